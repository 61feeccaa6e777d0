#!/bin/bash
# backup-bench.sh: plexichat-backup against pg_dump and restic on one
# generated chat database, in one run. Prints a table of figures.
#
#   BUILD=/work/build/backup SIZE_MB=200 bench/backup-bench.sh
#
# SIZE_MB is the database size to generate (default 200; the issue's figure
# is about 1000). Starts its own PostgreSQL 15 cluster on a free port
# 18400-18450 (PORT_LO, PORT_HI) in a temporary folder (set KEEP=1 to keep it). Needs restic
# (apt-get install restic) and /usr/bin/time.
#
# PARTS="logical physical" (default both): logical is the snapshot
# comparison above; physical is WAL archiving (archive lag and INSERT
# latency under load), base backups against pg_basebackup, and block-level
# increments after 1% random and 1% recent edits. PARTS="... pitr" adds
# point-in-time recovery side by side with pgBackRest (apt-get install
# pgbackrest): both archive the same WAL (one archive_command runs both),
# both take a full backup, a posting load runs, and both restore to a time
# inside it, timed until the restored server is promoted. PITR_HOUR=1
# makes the load before the target an hour's worth of posts (POST_RATE a
# second, default 30), e.g. SIZE_MB=1000 PITR_HOUR=1 for 1 GB and an hour
# of WAL.
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
for p in $(seq "${PORT_LO:-18400}" "${PORT_HI:-18450}"); do (echo > /dev/tcp/127.0.0.1/$p) 2>/dev/null || break; done
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
OURS1="$B --store $T/store1 --passphrase-file $T/pass --cache-dir $T/cache1 --db dbname=chat --no-uploads --no-status --no-progress"

# timed CMD...: runs CMD under /usr/bin/time; sets SECS, RSS_KB and CPU
# (user + system seconds of CMD and what it waited for, not the server's). A
# plexichat-backup run also counts towards the highest peak RSS of any
# command (MAX_RSS_KB, with its command in MAX_RSS_WHAT), checked against
# RSS_LIMIT_MB (default 64, the issue's bound) at the end.
MAX_RSS_KB=0 MAX_RSS_WHAT=""
timed() {
	/usr/bin/time -f "%e %M %U %S" -o "$T/time" "$@"
	read -r SECS RSS_KB USR SYS < "$T/time"
	CPU=$(python3 -c "print('%.2f' % ($USR + $SYS))")
	case "$*" in *"$B "*)
		if [ "$RSS_KB" -gt "$MAX_RSS_KB" ]; then
			MAX_RSS_KB=$RSS_KB
			MAX_RSS_WHAT=$(printf '%s' "$*" | grep -o ' \(backup\|verify\|restore\|base-backup\)\( --[a-z-]*\)\?' | head -1)
		fi ;;
	esac
}
mbs() { python3 -c "print('%.1f' % ($1 / 1e6 / max($2, 0.001)))"; }
size_of() { du -sb "$1" | cut -f1; }
field() { grep -o "\"$1\":[0-9]*" "$T/ours.log" | tail -1 | cut -d: -f2; }
rows=()
row() { rows+=("$(printf '| %-58s | %12s |' "$1" "$2")"); }

PARTS=${PARTS:-logical physical}
REPEAT=${REPEAT:-3}
case " $PARTS " in *" logical "*) ;; *) SKIP_LOGICAL=1 ;; esac
if [ -z "${SKIP_LOGICAL:-}" ]; then
# warm the cache once so the first measured tool is not penalised
pg_dump chat > /dev/null
sync

# The machine is shared: every full run is repeated REPEAT times, interleaved,
# and the fastest of each is kept. Stores start empty each round.
# JOBS: connections the first backup reads tables on (--jobs); the serial
# dump (--jobs 1) is timed beside it in every round, into its own store.
JOBS=${JOBS:-2}
# FAST_LEVEL: a zstd fast level (--zstd-level, negative) timed in the
# same rounds into a third store (FAST_LEVEL=0 leaves it out)
FAST_LEVEL=${FAST_LEVEL:--1}
# the serial dump in primary key order (--table-order key), into its own store
OURS3="$B --store $T/store3 --passphrase-file $T/pass --cache-dir $T/cache3 --db dbname=chat --no-uploads --no-status --no-progress --jobs 1 --table-order key"
OURS2="$B --store $T/store2 --passphrase-file $T/pass --cache-dir $T/cache2 --db dbname=chat --no-uploads --no-status --no-progress"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
T_PGDUMP=999 T_OURS=999 T_SERIAL=999 T_RESTIC=999 T_FAST=999 T_KEY=999 RSS_OURS=0 RSS_SERIAL=0
C_PGDUMP=999 C_OURS=999 C_SERIAL=999 C_FAST=999 C_KEY=999
for i in $(seq "$REPEAT"); do
	rm -rf "$T/store" "$T/cache" "$T/restic" "$T/store1" "$T/cache1" "$T/store2" "$T/cache2" \
		"$T/store3" "$T/cache3"
	for st in store store1 store2 store3; do
		$B --store "$T/$st" --passphrase-file "$T/pass" init 2>/dev/null
	done
	restic init >/dev/null 2>&1
	timed sh -c "pg_dump chat > /dev/null"
	T_PGDUMP=$(python3 -c "print(min($T_PGDUMP, $SECS))"); C_PGDUMP=$(python3 -c "print(min($C_PGDUMP, $CPU))")
	timed sh -c "$OURS --jobs $JOBS backup 2> $T/ours.log"
	T_OURS=$(python3 -c "print(min($T_OURS, $SECS))"); C_OURS=$(python3 -c "print(min($C_OURS, $CPU))")
	[ "$RSS_KB" -gt "$RSS_OURS" ] && RSS_OURS=$RSS_KB
	timed sh -c "$OURS1 --jobs 1 backup 2> $T/serial.log"
	T_SERIAL=$(python3 -c "print(min($T_SERIAL, $SECS))"); C_SERIAL=$(python3 -c "print(min($C_SERIAL, $CPU))")
	[ "$RSS_KB" -gt "$RSS_SERIAL" ] && RSS_SERIAL=$RSS_KB
	timed sh -c "$OURS3 backup 2> $T/key.log"
	T_KEY=$(python3 -c "print(min($T_KEY, $SECS))"); C_KEY=$(python3 -c "print(min($C_KEY, $CPU))")
	if [ "$FAST_LEVEL" != 0 ]; then
		timed sh -c "$OURS2 --jobs $JOBS --zstd-level $FAST_LEVEL backup 2> $T/fast.log"
		T_FAST=$(python3 -c "print(min($T_FAST, $SECS))"); C_FAST=$(python3 -c "print(min($C_FAST, $CPU))")
	fi
	timed sh -c "pg_dump chat | restic backup --stdin --stdin-filename chat.sql -q"
	T_RESTIC=$(python3 -c "print(min($T_RESTIC, $SECS))")
done
FAST_UP=$(grep -o '"bytes_uploaded":[0-9]*' "$T/fast.log" 2>/dev/null | tail -1 | cut -d: -f2)
FULL_UP=$(field bytes_uploaded); FULL_IN=$(field bytes)
KEY_UP=$(grep -o '"bytes_uploaded":[0-9]*' "$T/key.log" | tail -1 | cut -d: -f2)
RESTIC_FULL=$(size_of "$T/restic")

row "database size (pg_database_size)" "$((DBSIZE / 1000000)) MB"
row "pg_dump plain output" "$((DUMPSIZE / 1000000)) MB"
row "pg_dump > /dev/null (fastest of $REPEAT)" "${T_PGDUMP} s"
row "plexichat-backup --jobs $JOBS, first backup to a local store" "${T_OURS} s"
row "  throughput (table data read)" "$(mbs "$FULL_IN" "$T_OURS") MB/s"
row "  share of pg_dump speed" "$(python3 -c "print('%d%%' % (100 * $T_PGDUMP / $T_OURS))")"
row "  tables read in block ranges (ranges)" \
	"$(grep -o 'dump: [^ ]* read in [0-9]* block ranges' "$T/ours.log" | sed 's/dump: \([^ ]*\) read in \([0-9]*\).*/\1 (\2)/' | paste -sd ' ' -)"
row "  stored" "$((FULL_UP / 1000000)) MB"
row "  peak RSS (highest of the rounds)" "$((RSS_OURS / 1024)) MiB"
row "plexichat-backup --jobs 1 (serial dump), same rounds" "${T_SERIAL} s"
row "  share of pg_dump speed" "$(python3 -c "print('%d%%' % (100 * $T_PGDUMP / $T_SERIAL))")"
row "  peak RSS (highest of the rounds)" "$((RSS_SERIAL / 1024)) MiB"
row "CPU s of the client (least of the rounds): pg_dump / --jobs $JOBS / --jobs 1" "$C_PGDUMP / $C_OURS / $C_SERIAL"
row "plexichat-backup --jobs 1 --table-order key, same rounds" "${T_KEY} s"
row "  share of pg_dump speed; client CPU s" \
	"$(python3 -c "print('%d%%' % (100 * $T_PGDUMP / $T_KEY))"); $C_KEY"
if [ "$FAST_LEVEL" != 0 ]; then
	row "plexichat-backup --jobs $JOBS --zstd-level $FAST_LEVEL, same rounds" "${T_FAST} s"
	row "  share of pg_dump speed; client CPU s" \
		"$(python3 -c "print('%d%%' % (100 * $T_PGDUMP / $T_FAST))"); $C_FAST"
	row "  stored (level 1: $((FULL_UP / 1000000)) MB)" "$((${FAST_UP:-0} / 1000000)) MB"
fi
# the serial dump into the store that holds the parallel one: identical
# streams give identical shards, so it stores none (stores differ in keys
# and chunker, so the two stores of the rounds cannot be compared)
$OURS --jobs 1 backup 2> "$T/same.log"
row "  --jobs 1 into the --jobs $JOBS store afterwards: new shards" "$(grep -o '"shards_new":[0-9]*' "$T/same.log" | tail -1 | cut -d: -f2) of $(grep -o '"shards":[0-9]*' "$T/same.log" | tail -1 | cut -d: -f2)"
row "load average before / after the rounds" "$LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)"
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
$OURS3 backup 2> "$T/key.log"
INC1_KEY=$(grep -o '"bytes_uploaded":[0-9]*' "$T/key.log" | tail -1 | cut -d: -f2)
row "  in key order (--table-order key): uploads, share" "$((INC1_KEY / 1000)) kB, $(python3 -c "print('%.1f%%' % (100 * $INC1_KEY / $KEY_UP))")"
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
fi

case " $PARTS " in *" physical "*)
# ---- physical: WAL archiving, base backups, block-level increments ----
# The WAL archive and the base backups go to two local stores (the base
# backup store starts empty each round, as the logical one does).
PB="runuser -u postgres -- $B --key-file $T/key --cache-dir $T/pcache --no-progress"
mkdir -p "$T/pcache" "$T/walstore"; chown -R postgres "$T/pcache" "$T/walstore" "$T/key"; chmod 600 "$T/key"
$PB --store "$T/walstore" init 2>/dev/null
$PB --store "$T/walstore" pg-settings 60 >> "$T/pg/postgresql.conf"
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$T/pg" -w restart -m fast >/dev/null
psql -X -q -d chat -c "VACUUM (ANALYZE) chatbench.messages"   # pages settled, as autovacuum leaves them
CI="host=127.0.0.1 port=$PGPORT user=postgres dbname=chat"
T_PGBB=999 T_BB=999 RSS_BB=0
for i in $(seq "$REPEAT"); do
	rm -rf "$T/bstore"; mkdir "$T/bstore"; chown postgres "$T/bstore"
	$PB --store "$T/bstore" init 2>/dev/null
	timed sh -c "pg_basebackup -h 127.0.0.1 -p $PGPORT -U postgres -D - -Ft -X none -c fast 2>/dev/null | cat > /dev/null"
	T_PGBB=$(python3 -c "print(min($T_PGBB, $SECS))")
	timed sh -c "$PB --store $T/bstore base-backup --full --db '$CI' > $T/bb.out 2> $T/bb.log"
	T_BB=$(python3 -c "print(min($T_BB, $SECS))")
	[ "$RSS_KB" -gt "$RSS_BB" ] && RSS_BB=$RSS_KB
done
bfield() { grep -o "\"$1\":[0-9]*" "$T/bb.out" | tail -1 | cut -d: -f2; }
BB_UP=$(bfield bytes_uploaded); BB_BYTES=$(bfield bytes)
# the sealed manifest (it carries every file's block map) is not in bytes_uploaded
man_size() { stat -c %s "$T/bstore/snapshots/$(grep -o '"snapshot":"[^"]*"' "$T/bb.out" | cut -d'"' -f4)"; }
BB_MAN=$(man_size)
row "cluster size (data directory sent by BASE_BACKUP)" "$((BB_BYTES / 1000000)) MB"
row "pg_basebackup -D - -Ft -X none | cat > /dev/null (fastest of $REPEAT)" "${T_PGBB} s"
row "plexichat-backup base-backup --full to a local store" "${T_BB} s"
row "  share of pg_basebackup speed" "$(python3 -c "print('%d%%' % (100 * $T_PGBB / $T_BB))")"
row "  stored (sealed, compressed)" "$((BB_UP / 1000000)) MB"
row "  peak RSS (highest of the rounds)" "$((RSS_BB / 1024)) MiB"
if [ "${ANCHOR:-1}" = 1 ]; then   # a second store, full now, for the anchor row below
	rm -rf "$T/bstore2" "$T/pcache2"; mkdir "$T/bstore2" "$T/pcache2"; chown postgres "$T/bstore2" "$T/pcache2"
	PB2="runuser -u postgres -- $B --key-file $T/key --cache-dir $T/pcache2 --no-progress --store $T/bstore2"
	$PB2 init 2>/dev/null
	$PB2 base-backup --full --db "$CI" > $T/bb2.out 2> $T/bb2.log
	FULL2=$(grep -o '"bytes_uploaded":[0-9]*' "$T/bb2.out" | cut -d: -f2)
fi
psql -X -q -d chat -c "SELECT setseed(0.3); UPDATE chatbench.messages SET body = body || ' (edited)', edited_at = now()
	WHERE random() < 0.01"
timed sh -c "$PB --store $T/bstore base-backup --db '$CI' > $T/bb.out 2> $T/bb.log"
INC=$(bfield bytes_uploaded)
row "after editing 1% random messages: base-backup (incremental) uploads" "$((INC / 1000)) kB"
row "  share of the full base backup" "$(python3 -c "print('%.1f%%' % (100 * $INC / $BB_UP))")"
row "  changed blocks / all blocks" "$(bfield blocks_changed) / $(bfield blocks)"
INC_MAN=$(man_size)
row "  with the manifests: increment / full" \
	"$(((INC + INC_MAN) / 1000)) / $(((BB_UP + BB_MAN) / 1000)) kB, $(python3 -c "print('%.1f%%' % (100 * ($INC + $INC_MAN) / ($BB_UP + $BB_MAN)))")"
row "  changed blocks stored as slices; plain bytes written / changed" \
	"$(bfield blocks_sliced); $(($(bfield bytes_written) / 1000)) / $(($(bfield bytes_changed) / 1000)) kB"
row "  time, peak RSS" "${SECS} s, $((RSS_KB / 1024)) MiB"
# the anchor for the rows above: the same edit in a second store whose
# cache lost the slice sums (whole changed blocks, as before sub-page deltas)
if [ -n "${FULL2:-}" ]; then
	rm -f "$T"/pcache2/*/base-sums-*
	timed sh -c "$PB2 base-backup --db '$CI' > $T/bb2.out 2> $T/bb2.log"
	INC2=$(grep -o '"bytes_uploaded":[0-9]*' "$T/bb2.out" | cut -d: -f2)
	row "  anchor: same edit, whole changed blocks (no slice sums)" \
		"$((INC2 / 1000)) kB, $(python3 -c "print('%.1f%%' % (100 * $INC2 / $FULL2))"), ${SECS} s"
	rm -rf "$T/bstore2" "$T/pcache2"
fi
psql -X -q -d chat -c "UPDATE chatbench.messages SET body = body || ' (edited)', edited_at = now()
	WHERE id > (SELECT max(id) - count(*) / 100 FROM chatbench.messages)"
timed sh -c "$PB --store $T/bstore base-backup --db '$CI' > $T/bb.out 2> $T/bb.log"
INC=$(bfield bytes_uploaded)
row "after editing 1% recent messages: base-backup (incremental) uploads" "$((INC / 1000)) kB"
row "  share of the full base backup" "$(python3 -c "print('%.1f%%' % (100 * $INC / $BB_UP))")"
# Shapes the slice size was not tuned on: 1% more messages (inserts
# only), then 1% of random messages deleted (their reactions cascade),
# then a VACUUM of both tables (pruned pages, index entries removed)
psql -X -q -d chat -c "SELECT setseed(0.5); INSERT INTO chatbench.messages (channel_id, user_id, body, created_at)
	SELECT channel_id, user_id, body, now() FROM chatbench.messages WHERE random() < 0.01"
timed sh -c "$PB --store $T/bstore base-backup --db '$CI' > $T/bb.out 2> $T/bb.log"
INC=$(bfield bytes_uploaded)
row "after inserting 1% new messages: base-backup (incremental) uploads" "$((INC / 1000)) kB"
row "  share of the full base backup; changed / sliced blocks" \
	"$(python3 -c "print('%.1f%%' % (100 * $INC / $BB_UP))"); $(bfield blocks_changed) / $(bfield blocks_sliced)"
psql -X -q -d chat -c "SELECT setseed(0.6); DELETE FROM chatbench.messages WHERE random() < 0.01"
timed sh -c "$PB --store $T/bstore base-backup --db '$CI' > $T/bb.out 2> $T/bb.log"
INC=$(bfield bytes_uploaded)
row "after deleting 1% random messages: base-backup (incremental) uploads" "$((INC / 1000)) kB"
row "  share of the full base backup; changed / sliced blocks" \
	"$(python3 -c "print('%.1f%%' % (100 * $INC / $BB_UP))"); $(bfield blocks_changed) / $(bfield blocks_sliced)"
psql -X -q -d chat -c "VACUUM chatbench.messages" -c "VACUUM chatbench.reactions"
timed sh -c "$PB --store $T/bstore base-backup --db '$CI' > $T/bb.out 2> $T/bb.log"
INC=$(bfield bytes_uploaded)
row "after then VACUUM of messages and reactions: base-backup uploads" "$((INC / 1000)) kB"
row "  share of the full base backup; changed / sliced blocks" \
	"$(python3 -c "print('%.1f%%' % (100 * $INC / $BB_UP))"); $(bfield blocks_changed) / $(bfield blocks_sliced)"
# restoring the chain (full + 5 increments) into a data directory, every
# file checked against the block map; pg_basebackup's time above is the anchor
mkdir "$T/prest"; chown postgres "$T/prest"
timed sh -c "$PB --store $T/bstore restore --to-latest --target-dir $T/prest > $T/rest.out 2> $T/rest.log"
row "restore --to-latest of full + 5 increments into a folder (checked)" "${SECS} s, $((RSS_KB / 1024)) MiB"
rm -rf "$T/prest"

# Posting load: pgbench inserting messages (8 clients, 20 s), with
# archive_command archiving into the store and with it a no-op ('true'),
# interleaved, POST_ROUNDS times (default 2); p99 from pgbench's
# per-transaction log. The archiver's lag is sampled every 0.5 s
# throughout (so both kinds of run share the sampler's own load).
cat > "$T/post.sql" <<'PGB'
\set c random(1, 10)
\set u random(1, 50)
INSERT INTO chatbench.messages (channel_id, user_id, body, created_at) VALUES (:c, :u, repeat('posting benchmark message ', 8), now());
PGB
p99() { cat "$T"/pgb/pgbench_log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {print a[int(NR*0.99)] / 1000}'; }
post_run() {   # post_run ARCHIVE_COMMAND: prints "p99_ms tps"
	psql -X -q -d chat -c "ALTER SYSTEM SET archive_command = '$1'" -c "SELECT pg_reload_conf()" >/dev/null
	rm -rf "$T/pgb"; mkdir -p "$T/pgb"
	(cd "$T/pgb" && pgbench -n -c 8 -j 2 -T 20 -l -f "$T/post.sql" chat > "$T/pgb.out" 2>&1)
	echo "$(p99) $(grep -o 'tps = [0-9.]*' "$T/pgb.out" | head -1 | cut -d' ' -f3)"
}
ARCH_CMD=$(grep '^archive_command' "$T/pg/postgresql.conf" | tail -1 | sed -e "s/^archive_command = '//" -e "s/'\$//" -e "s/''/'/g")
ARCH_SQL=$(printf '%s' "$ARCH_CMD" | sed "s/'/''/g")
( while sleep 0.5; do psql -X -At -d chat -c "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 9, 16))::bit(64)::bigint
	- coalesce(('x' || substr(last_archived_wal, 9, 16))::bit(64)::bigint, 0) - 1,
	extract(epoch FROM now() - last_archived_time) FROM pg_stat_archiver" 2>/dev/null; done > "$T/lag" ) &
LAGPID=$!
P99S_ON=() P99S_OFF=() TPSS_ON=() TPSS_OFF=()
# each round starts with the other of the two, so neither is always first
for i in $(seq "${POST_ROUNDS:-2}"); do
	for j in 0 1; do
		case $(( (i - 1 + j) % 2 )) in
		0) read -r p t <<< "$(post_run "$ARCH_SQL")"; P99S_ON+=("$p"); TPSS_ON+=("${t%.*}") ;;
		1) read -r p t <<< "$(post_run true)"; P99S_OFF+=("$p"); TPSS_OFF+=("${t%.*}") ;;
		esac
	done
done
kill $LAGPID 2>/dev/null || true; wait $LAGPID 2>/dev/null || true
psql -X -q -d chat -c "ALTER SYSTEM SET archive_command = '$ARCH_SQL'" -c "SELECT pg_reload_conf()" >/dev/null
MAXSEG=$(awk -F'|' '{print $1}' "$T/lag" | sort -n | tail -1)
WALMB=$(python3 -c "print(int($(du -sb "$T/walstore/wal" | cut -f1) / 1e6))")
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1}
	END {print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
row "posting load (pgbench, 8 clients, 20 s, ${POST_ROUNDS:-2} rounds): INSERTs/s archiving on / off" \
	"${TPSS_ON[*]} / ${TPSS_OFF[*]}"
row "  INSERT p99 ms by round: archiving on" "${P99S_ON[*]}"
row "  INSERT p99 ms by round: archive_command true" "${P99S_OFF[*]}"
row "  INSERT p99 medians on / off (ms)" "$(med "${P99S_ON[@]}") / $(med "${P99S_OFF[@]}")"
row "  archive lag: most segments waiting (sampled every 0.5 s)" "${MAXSEG:-?}"
row "  WAL archive stored (all runs)" "${WALMB} MB"
;; esac

case " $PARTS " in *" pitr "*)
# ---- PITR side by side with pgBackRest ----
command -v pgbackrest >/dev/null || { echo "PARTS=pitr needs pgbackrest" >&2; exit 2; }
case " $PARTS " in *" physical "*) ;; *) echo "PARTS=pitr needs physical too" >&2; exit 2 ;; esac
mkdir -p "$T/pgbr" "$T/pgbr-log" "$T/pgbr-lock" "$T/pgbr-spool"
cat > "$T/pgbackrest.conf" <<CONF
[global]
repo1-path=$T/pgbr
repo1-cipher-type=aes-256-cbc
repo1-cipher-pass=bench-pgbackrest-pass
compress-type=zst
compress-level=1
start-fast=y
log-level-console=warn
log-path=$T/pgbr-log
lock-path=$T/pgbr-lock
spool-path=$T/pgbr-spool
[bench]
pg1-path=$T/pg
pg1-port=$PGPORT
pg1-socket-path=$T/sock
CONF
chown -R postgres "$T/pgbr" "$T/pgbr-log" "$T/pgbr-lock" "$T/pgbr-spool" "$T/pgbackrest.conf"
BR="runuser -u postgres -- pgbackrest --config=$T/pgbackrest.conf --stanza=bench"
BOTH_SQL=$(printf '%s' "$ARCH_CMD && pgbackrest --config=$T/pgbackrest.conf --stanza=bench archive-push %p" | sed "s/'/''/g")
psql -X -q -d chat -c "ALTER SYSTEM SET archive_command = '$BOTH_SQL'" -c "SELECT pg_reload_conf()" >/dev/null
$BR stanza-create >/dev/null
$PB --store "$T/walstore" base-backup --full --db "$CI" > /dev/null 2>&1
timed $BR backup --type=full; T_BRBACKUP=$SECS
# a posting load, a point in its middle, more load. PITR_HOUR=1: the load
# before the target is the WAL of one hour of posting at POST_RATE posts a
# second (default 30: 108,000 messages), written as fast as the machine
# takes it (pgbench -t, 4 clients) rather than over an hour of wall time;
# both tools then replay that WAL from the full backup taken just before.
LSN0=$(psql -X -At -d chat -c "SELECT pg_current_wal_lsn()")
if [ "${PITR_HOUR:-0}" = 1 ]; then
	NPOST=$(( ${POST_RATE:-30} * 3600 ))
	T0=$(date +%s.%N)
	(cd "$T" && pgbench -n -c 4 -j 2 -t $((NPOST / 4)) -f "$T/post.sql" chat > /dev/null 2>&1)
	T_LOAD=$(python3 -c "print('%.0f' % ($(date +%s.%N) - $T0))")
else
	(cd "$T" && pgbench -n -c 4 -j 2 -T 15 -f "$T/post.sql" chat > /dev/null 2>&1)
fi
sleep 1
TP=$(psql -X -At -d chat -c "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
TP_BR=$(printf '%s' "$TP" | sed -e 's/T/ /' -e 's/Z$/+00/')   # pgBackRest's form of the same time
ROWS_TP=$(psql -X -At -d chat -c "SELECT count(*) FROM chatbench.messages")
WAL_MB=$(psql -X -At -d chat -c "SELECT round(pg_wal_lsn_diff(pg_current_wal_lsn(), '$LSN0') / 1000000, 1)")
DB_MB=$(psql -X -At -d chat -c "SELECT pg_database_size('chat') / 1000000")
sleep 1
(cd "$T" && pgbench -n -c 4 -j 2 -T 5 -f "$T/post.sql" chat > /dev/null 2>&1)
psql -X -q -d chat -c "SELECT pg_switch_wal()" >/dev/null
# until the archive has everything (an hour of WAL may keep it busy a while)
for i in $(seq $([ "${PITR_HOUR:-0}" = 1 ] && echo 6000 || echo 150)); do
	[ "$(psql -X -At -d chat -c "SELECT last_archived_wal >= pg_walfile_name(pg_current_wal_lsn() - 1) FROM pg_stat_archiver")" = t ] && break
	sleep 0.2
done
PORT_R=$((PGPORT + 1))
mkdir -p "$T/r-ours" "$T/r-br"; chown postgres "$T/r-ours" "$T/r-br"; chmod 700 "$T/r-br"
timed $PB --store "$T/walstore" restore --to-time "$TP" --target-dir "$T/r-ours" --start --port "$PORT_R" \
	--target-db "host=127.0.0.1 port=$PORT_R user=postgres dbname=chat"
T_OURS_PITR=$SECS
ROWS_OURS=$(psql -X -At -h 127.0.0.1 -p "$PORT_R" -d chat -c "SELECT count(*) FROM chatbench.messages")
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$T/r-ours" stop -m fast >/dev/null
pitr_br() {
	$BR restore --pg1-path="$T/r-br" --type=time --target="$TP_BR" --target-action=promote \
		--archive-mode=off >/dev/null &&
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$T/r-br" -l "$T/pgbr-log/r-br.log" -w -t 600 \
		-o "-p $PORT_R -k '' -c listen_addresses=127.0.0.1" start >/dev/null &&
	until [ "$(psql -X -At -h 127.0.0.1 -p "$PORT_R" -d chat -c "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ]; do
		sleep 0.2; done
}
timed sh -c "$(declare -f pitr_br); BR='$BR' T='$T' TP_BR='$TP_BR' PGBIN='$PGBIN' PORT_R=$PORT_R pitr_br"
T_BR_PITR=$SECS
ROWS_BR=$(psql -X -At -h 127.0.0.1 -p "$PORT_R" -d chat -c "SELECT count(*) FROM chatbench.messages")
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$T/r-br" stop -m fast >/dev/null
if [ "${PITR_HOUR:-0}" = 1 ]; then
	row "PITR after an hour of posting ($NPOST posts at ${POST_RATE:-30}/s, written in ${T_LOAD} s)" "${DB_MB} MB db"
	row "  WAL between the full backup and the target" "${WAL_MB} MB"
fi
row "PITR to a time inside a posting load: rows at the target" "$ROWS_TP"
row "  plexichat-backup restore --to-time --start (until promoted)" "${T_OURS_PITR} s, $ROWS_OURS rows"
row "  pgbackrest restore --type=time + pg_ctl start (until promoted)" "${T_BR_PITR} s, $ROWS_BR rows"
row "  pgbackrest backup --type=full (same cluster)" "${T_BRBACKUP} s"
;; esac

RSS_LIMIT_MB=${RSS_LIMIT_MB:-64}
row "highest peak RSS of any plexichat-backup command (limit ${RSS_LIMIT_MB} MiB)" \
	"$((MAX_RSS_KB / 1024)) MiB"
row "  that command" "${MAX_RSS_WHAT:-?}"

echo
echo "plexichat-backup benchmark: SIZE_MB=$SIZE_MB, PARTS=$PARTS, $(nproc) cores, $(restic version 2>/dev/null | cut -d' ' -f1-2), $(pg_dump --version)"
printf '| %-58s | %12s |\n|%s|%s|\n' "measure" "value" "$(printf -- '-%.0s' $(seq 60))" "$(printf -- '-%.0s' $(seq 14))"
printf '%s\n' "${rows[@]}"
if [ "$MAX_RSS_KB" -ge $((RSS_LIMIT_MB * 1024)) ]; then
	echo "FAIL: a plexichat-backup command peaked at $((MAX_RSS_KB / 1024)) MiB, over ${RSS_LIMIT_MB} MiB" >&2
	exit 1
fi
