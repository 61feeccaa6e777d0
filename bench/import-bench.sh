#!/usr/bin/env bash
# bench/import-bench.sh: plexichat-admin import slack of a generated export
# of PX_BENCH_MESSAGES messages (default 1000000; 20 channels, 50 users,
# threads and reactions: bench/import-gen.py) into a fresh database: the
# rate in messages/s (target: at least 20,000/s, issue 17) and the peak
# resident memory of the importer (/usr/bin/time -v), beside the anchor
# measured in the same run: COPY of the same rows (channel, author, body,
# HTML, time) from CSV into a scratch table with the messages table's own
# columns and indexes (the least PostgreSQL needs to store them).
# The import runs with PX_BENCH_IMPORT_ARGS (default --defer-indexes: the
# search indexes built once at the end; "" for the row-by-row path). The
# machine is shared: the load average is printed at the start and the end.
#   PX_BENCH_PG_PORT (default 29500), PX_BENCH_BUILD (default build/import-bench)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root"
install_pkgs $PX_BUILD_PKGS $PX_RUN_PKGS python3 time
open_path "$PX_ROOT"
BUILD=${PX_BENCH_BUILD:-$PX_ROOT/build/import-bench}
WORK="$PX_ROOT/build/import-bench-data"
N=${PX_BENCH_MESSAGES:-1000000}
IMPORT_ARGS=${PX_BENCH_IMPORT_ARGS---defer-indexes}
PGPORT=${PX_BENCH_PG_PORT:-29500}
build "$BUILD"
cleanup() { trap - INT TERM EXIT; set +e; pg_stop "$WORK/pg"; }
trap cleanup INT TERM EXIT
pg_stop "$WORK/pg" 2>/dev/null || true
rm -rf "$WORK"; mkdir -p "$WORK/var" "$WORK/run"; chmod 755 "$WORK"
chown -R www-data:www-data "$WORK/var" "$WORK/run"
pg_start "$WORK/pg" "$PGPORT"
write_config "$WORK/plexichat.conf" "$WORK" "$PGPORT"
ADMIN="$BUILD/plexichat-admin -c $WORK/plexichat.conf"
$ADMIN migrate >/dev/null
PSQL="runuser -u postgres -- psql -X -q -h $WORK/pg.sock -p $PGPORT -d plexichat -v ON_ERROR_STOP=1"

echo "== $(nproc) cores shared by the importer and PostgreSQL; $N messages; import ${IMPORT_ARGS:-(row by row)}"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(date +%s.%N)
python3 "$PX_ROOT/bench/import-gen.py" "$N" "$WORK/export.zip" "$WORK/rows.csv" >/dev/null
chmod 644 "$WORK/rows.csv"
t1=$(date +%s.%N)
printf 'generated: %s bytes zipped in %.1f s\n' "$(stat -c %s "$WORK/export.zip")" "$(python3 -c "print($t1 - $t0)")"

# the anchor: the same rows by COPY into a table shaped like messages
$PSQL <<'SQL'
CREATE TABLE bench_copy (LIKE messages INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING INDEXES);
ALTER TABLE bench_copy ALTER COLUMN id SET DEFAULT nextval('messages_id_seq');
SQL
t0=$(date +%s.%N)
$PSQL -c "\\copy bench_copy (channel_id, author_id, body, html, created_at) FROM '$WORK/rows.csv' CSV"
t1=$(date +%s.%N)
copy_s=$(python3 -c "print($t1 - $t0)")
$PSQL -c "DROP TABLE bench_copy"

# shellcheck disable=SC2086 # IMPORT_ARGS is a list of options
/usr/bin/time -v $ADMIN import slack "$WORK/export.zip" $IMPORT_ARGS > "$WORK/report.json" 2> "$WORK/time.txt" \
  || { cat "$WORK/time.txt"; die "import failed"; }
imp_s=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0;
  for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$WORK/time.txt")
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
got=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['imported']['messages'])" "$WORK/report.json")
[ "$got" = "$N" ] || die "imported $got of $N messages (report: $WORK/report.json)"
python3 - "$N" "$imp_s" "$copy_s" "$rss" "$WORK/report.json" <<'PY'
import json, sys
n, imp, copy, rss, rep = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
r = json.load(open(rep))
print("import slack:  %d messages, %d reactions in %.1f s = %.0f messages/s (target >= 20000)"
      % (n, r["imported"]["reactions"], imp, n / imp))
print("  peak RSS of plexichat-admin: %.1f MiB" % (rss / 1024.0))
print("anchor COPY of the same rows into a table shaped like messages: %.1f s = %.0f rows/s"
      % (copy, n / copy))
print("import / COPY: %.2f" % ((n / imp) / (n / copy)))
PY
grep -h "^plexichat-admin:" "$WORK/time.txt" || true
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
