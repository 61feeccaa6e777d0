#!/bin/bash
# backup-bench.sh: plexichat-backup against pg_dump and restic on one
# generated chat database, in one run. Prints a table of figures.
#
#   BUILD=/work/build/backup SIZE_MB=200 bench/backup-bench.sh
#
# SIZE_MB is the database size to generate (default 200; the issue's figure
# is about 1000). Starts its own PostgreSQL 15 cluster on a free port
# 18400-18450 in a temporary folder (set KEEP=1 to keep it). Needs restic
# (apt-get install restic) and /usr/bin/time.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC}
B=$BUILD/plexichat-backup
SIZE_MB=${SIZE_MB:-200}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
T=$(mktemp -d /tmp/backup-bench.XXXXXX)
chmod 755 "$T"
cleanup() {
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$T/pg" stop -m fast >/dev/null 2>&1 || true
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
for p in $(seq 18400 18450); do (echo > /dev/tcp/127.0.0.1/$p) 2>/dev/null || break; done
export PGHOST=127.0.0.1 PGPORT=$p PGUSER=postgres
mkdir -p "$T/pg" "$T/sock"; chown postgres "$T/pg" "$T/sock"
runuser -u postgres -- "$PGBIN/initdb" -D "$T/pg" -A trust -U postgres >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$T/pg" -l "$T/sock/log" -w \
	-o "-k $T/sock -p $PGPORT -c listen_addresses=127.0.0.1 -c shared_buffers=256MB" start >/dev/null
createdb chat
echo "generating ${SIZE_MB} MB ..." >&2
DB="dbname=chat" SIZE_MB=$SIZE_MB "$SRC/bench/gen-chat-data.sh" >/dev/null
psql -X -q -d chat -f "$SRC/sql/050_backup_status.sql"
DBSIZE=$(psql -X -At -d chat -c "SELECT pg_database_size('chat')")
DUMPSIZE=$(pg_dump chat | wc -c)

head -c 32 /dev/urandom > "$T/key"
printf 'bench passphrase\n' > "$T/pass"
export RESTIC_PASSWORD=bench RESTIC_REPOSITORY=$T/restic
OURS="$B --store $T/store --passphrase-file $T/pass --cache-dir $T/cache --db dbname=chat --no-uploads --no-status --no-progress"

# timed CMD...: runs CMD under /usr/bin/time; sets SECS and RSS_KB
timed() {
	/usr/bin/time -f "%e %M" -o "$T/time" "$@"
	read -r SECS RSS_KB < "$T/time"
}
mbs() { python3 -c "print('%.1f' % ($1 / 1e6 / max($2, 0.001)))"; }
size_of() { du -sb "$1" | cut -f1; }
field() { grep -o "\"$1\":[0-9]*" "$T/ours.log" | tail -1 | cut -d: -f2; }
rows=()
row() { rows+=("$(printf '| %-58s | %12s |' "$1" "$2")"); }

# warm the cache once so the first measured tool is not penalised
pg_dump chat > /dev/null
sync

# The machine is shared: every full run is repeated REPEAT times, interleaved,
# and the fastest of each is kept. Stores start empty each round.
REPEAT=${REPEAT:-3}
T_PGDUMP=999 T_OURS=999 T_RESTIC=999 RSS_OURS=0
for i in $(seq "$REPEAT"); do
	rm -rf "$T/store" "$T/cache" "$T/restic"
	$B --store "$T/store" --passphrase-file "$T/pass" init 2>/dev/null
	restic init >/dev/null 2>&1
	timed sh -c "pg_dump chat > /dev/null"
	T_PGDUMP=$(python3 -c "print(min($T_PGDUMP, $SECS))")
	timed sh -c "$OURS backup 2> $T/ours.log"
	T_OURS=$(python3 -c "print(min($T_OURS, $SECS))")
	[ "$RSS_KB" -gt "$RSS_OURS" ] && RSS_OURS=$RSS_KB
	timed sh -c "pg_dump chat | restic backup --stdin --stdin-filename chat.sql -q"
	T_RESTIC=$(python3 -c "print(min($T_RESTIC, $SECS))")
done
FULL_UP=$(field bytes_uploaded); FULL_IN=$(field bytes)
RESTIC_FULL=$(size_of "$T/restic")

row "database size (pg_database_size)" "$((DBSIZE / 1000000)) MB"
row "pg_dump plain output" "$((DUMPSIZE / 1000000)) MB"
row "pg_dump > /dev/null (fastest of $REPEAT)" "${T_PGDUMP} s"
row "plexichat-backup, first backup to a local store" "${T_OURS} s"
row "  throughput (table data read)" "$(mbs "$FULL_IN" "$T_OURS") MB/s"
row "  share of pg_dump speed" "$(python3 -c "print('%d%%' % (100 * $T_PGDUMP / $T_OURS))")"
row "  stored" "$((FULL_UP / 1000000)) MB"
row "  peak RSS (highest of the rounds)" "$((RSS_OURS / 1024)) MiB"
row "pg_dump | restic backup --stdin" "${T_RESTIC} s"
row "  restic repository" "$((RESTIC_FULL / 1000000)) MB"
row "  plexichat-backup speed / restic speed" "$(python3 -c "print('%.2fx' % ($T_RESTIC / $T_OURS))")"

# 1% of the most recent messages edited
psql -X -q -d chat -c "UPDATE chatbench.messages SET body = body || ' (edited)', edited_at = now()
	WHERE id > (SELECT max(id) - count(*) / 100 FROM chatbench.messages)"
timed sh -c "$OURS backup 2> $T/ours.log"; T_INC1=$SECS
INC1=$(field bytes_uploaded)
before=$(size_of "$T/restic")
timed sh -c "pg_dump chat | restic backup --stdin --stdin-filename chat.sql -q"; T_RINC1=$SECS
RINC1=$(( $(size_of "$T/restic") - before ))
row "after editing 1% recent messages: plexichat-backup uploads" "$((INC1 / 1000)) kB"
row "  share of the first backup's bytes" "$(python3 -c "print('%.1f%%' % (100 * $INC1 / $FULL_UP))")"
row "  restic adds" "$((RINC1 / 1000)) kB"
row "  time: plexichat-backup / restic" "${T_INC1} s / ${T_RINC1} s"

# 1% of random messages edited
psql -X -q -d chat -c "SELECT setseed(0.7); UPDATE chatbench.messages SET body = body || ' (edited)', edited_at = now()
	WHERE random() < 0.01"
timed sh -c "$OURS backup 2> $T/ours.log"; T_INC2=$SECS
INC2=$(field bytes_uploaded)
before=$(size_of "$T/restic")
timed sh -c "pg_dump chat | restic backup --stdin --stdin-filename chat.sql -q"; T_RINC2=$SECS
RINC2=$(( $(size_of "$T/restic") - before ))
row "after editing 1% random messages: plexichat-backup uploads" "$((INC2 / 1000)) kB"
row "  share of the first backup's bytes" "$(python3 -c "print('%.1f%%' % (100 * $INC2 / $FULL_UP))")"
row "  restic adds" "$((RINC2 / 1000)) kB"
row "  time: plexichat-backup / restic" "${T_INC2} s / ${T_RINC2} s"

# restore / verification
timed sh -c "$OURS verify > /dev/null 2>&1"; T_VERIFY=$SECS; RSS_V=$RSS_KB
timed sh -c "restic dump -q latest chat.sql > /dev/null"; T_RDUMP=$SECS
createdb r_ours
timed sh -c "$OURS restore --target-db dbname=r_ours > /dev/null 2>&1"; T_REST=$SECS; RSS_R=$RSS_KB
createdb r_restic
timed sh -c "restic dump -q latest chat.sql | psql -X -q -d r_restic > /dev/null 2>&1"; T_RREST=$SECS
row "full verify (read, decrypt, authenticate every shard)" "${T_VERIFY} s"
row "  restic dump latest > /dev/null" "${T_RDUMP} s"
row "restore into an empty database (verified)" "${T_REST} s"
row "  restic dump latest | psql" "${T_RREST} s"
row "  peak RSS verify / restore" "$((RSS_V / 1024)) / $((RSS_R / 1024)) MiB"

# crypto ceiling: AES-256-GCM and SHA-256 over 1 MiB blocks, one core
AES=$(openssl speed -evp aes-256-gcm -bytes 1048576 -seconds 1 2>/dev/null | awk '/^AES-256-GCM/ {print $2}' | tr -d k)
SHA=$(openssl speed -evp sha256 -bytes 1048576 -seconds 1 2>/dev/null | awk '/^sha256/ {print $2}' | tr -d k)
CEIL=$(python3 -c "a=$AES*1e3; s=$SHA*1e3; print(1/(1/a+1/s))")
row "openssl AES-256-GCM / SHA-256, one core" "$(python3 -c "print('%d / %d MB/s' % ($AES/1e3, $SHA/1e3))")"
row "  backup throughput as share of AES-GCM+SHA-256 ceiling" "$(python3 -c "print('%.1f%%' % (100 * $FULL_IN / $T_OURS / $CEIL))")"

echo
echo "plexichat-backup benchmark: SIZE_MB=$SIZE_MB, $(nproc) cores, $(restic version | cut -d' ' -f1-2), $(pg_dump --version)"
printf '| %-58s | %12s |\n|%s|%s|\n' "measure" "value" "$(printf -- '-%.0s' $(seq 60))" "$(printf -- '-%.0s' $(seq 14))"
printf '%s\n' "${rows[@]}"
