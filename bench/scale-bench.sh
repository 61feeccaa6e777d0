#!/usr/bin/env bash
# bench/scale-bench.sh: reading at ten times the data (issue 22). Two data
# sets of the same shape (bench/gen-chat-px.sh through gen-chat-data.sh),
# PX_BENCH_MESSAGES (default 10,000,000) and PX_BENCH_ANCHOR (default
# 1,000,000; 0 = none) messages, each in its own database of one private
# PostgreSQL, each behind its own plexichat.fcgi and lighttpd; every figure
# of the large one is printed beside the same figure of the small one,
# measured in the same run, with the load average of the machine:
#   latest-50   GET /channels/{id}/messages?limit=50 over a user's 200
#               channels of every size, p99 (4 connections)
#   jump        jump to a date: the id of a channel's first message at or
#               after a random date (the SQL such a route runs; PlexiChat has
#               no jump-to-date route, so it is timed in PostgreSQL) and the
#               page around it through HTTP (?around=), each p99
#   unread      GET /channels for a user in 200 channels (every channel with
#               its unread and mention counts), p99 (1 connection), and its
#               statement alone in PostgreSQL beside the 200 unread counts
#               made by the scan the kept counts replaced (sql/190),
#               p50/p99 (pgbench, 1 client)
#   search      GET /search over query mix A (tuned on), mix B (written
#               by hand, not tuned on until its figures were read) and mix C
#               (its words drawn by rule, seed 3), p95 (2 connections);
#               requests from bench/scale_bench.py
# The data sets are made once and kept in build/scale-bench (16 GB for the
# two; PX_BENCH_FRESH=1 remakes them). PX_BENCH_SECONDS (default 10),
# PX_BENCH_ONLY (gen,latest,jump,unread,search; default all),
# PX_BENCH_PG_PORT (29532), PX_BENCH_HTTP_PORT (29580, the anchor +1),
# PX_BUILD_DIR (build/scale),
# PX_BENCH_WORK (the folder of the data sets).
# Data generation and index builds run under nice/ionice: the machine may
# be shared.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root"
install_pkgs $PX_BUILD_PKGS $PX_RUN_PKGS python3
open_path "$PX_ROOT"
BUILD="${PX_BUILD_DIR:-$PX_ROOT/build/scale}"
WORK="${PX_BENCH_WORK:-$PX_ROOT/build/scale-bench}"
SECS=${PX_BENCH_SECONDS:-10}
BIG=${PX_BENCH_MESSAGES:-10000000}; SMALL=${PX_BENCH_ANCHOR:-1000000}
ONLY=${PX_BENCH_ONLY:-gen,latest,jump,unread,search}
PGPORT=${PX_BENCH_PG_PORT:-29532}; PORT=${PX_BENCH_HTTP_PORT:-29580}
want() { case ",$ONLY," in *",$1,"*) return 0 ;; esac; return 1; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

nice -n 15 ionice -c3 bash -c "source '$PX_ROOT/scripts/lib.sh'; build '$BUILD'"
[ "${PX_BENCH_FRESH:-0}" = 1 ] && { pg_stop "$WORK/pg"; rm -rf "$WORK"; }
mkdir -p "$WORK"; chmod 755 "$WORK"
cleanup() { trap - INT TERM EXIT; set +e; stop_all; pg_stop "$WORK/pg"; }
trap cleanup INT TERM EXIT
pg_start "$WORK/pg" "$PGPORT"
SU="runuser -u postgres -- psql -X -q -h $WORK/pg.sock -p $PGPORT -v ON_ERROR_STOP=1"
# loading writes each table once (wal_level minimal: no WAL for tables
# filled in the transaction that truncated them); reads keep 1 GB cached
if [ "$($SU -At -d postgres -c 'SHOW wal_level')" != minimal ]; then
  $SU -d postgres -c "ALTER SYSTEM SET wal_level = minimal" -c "ALTER SYSTEM SET max_wal_senders = 0" \
      -c "ALTER SYSTEM SET shared_buffers = '1GB'" -c "ALTER SYSTEM SET max_wal_size = '8GB'" \
      -c "ALTER SYSTEM SET checkpoint_timeout = '30min'"
  pg_stop "$WORK/pg"; pg_start "$WORK/pg" "$PGPORT"
fi
PW="Bench-$(head -c 8 "$WORK/pg.password")"

# setup NAME MESSAGES: database NAME migrated, bench0..9, the data set
setup() {
  local db=$1 n=$2 conf="$WORK/$1.conf" have
  $SU -d postgres >/dev/null <<SQL
SELECT 'CREATE DATABASE $db OWNER plexichat'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db')\\gexec
SQL
  $SU -d "$db" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS citext" \
      -c "CREATE EXTENSION IF NOT EXISTS pg_trgm"
  mkdir -p "$WORK/$db/var" "$WORK/$db/run"
  write_config "$conf" "$WORK" "$PGPORT"
  sed -i "s/dbname=plexichat/dbname=$db/; s|^data_dir = .*|data_dir = $WORK/$db/var|" "$conf"
  chown -R www-data:www-data "$WORK/$db"
  # the server's backends are its children: migrations (index builds at
  # 10 M) and the load run niced, as the machine is shared; connections
  # made later run at normal priority again
  local pm; pm=$(head -n 1 "$WORK/pg/postmaster.pid")
  renice -n 15 -p "$pm" >/dev/null; ionice -c3 -p "$pm"
  "$BUILD/plexichat-admin" -c "$conf" migrate >/dev/null
  for i in $(seq 0 9); do
    "$BUILD/plexichat-admin" -c "$conf" create-user "bench$i" --password-stdin <<<"$PW" >/dev/null 2>&1 || true
  done
  have=$($SU -At -d "$db" -c "SELECT count(*) FROM messages")
  if [ "$have" -lt "$n" ] && want gen; then
    log "making $n messages in database $db (once; kept in $WORK); load average $(load)"
    local t0=$SECONDS
    runuser -u postgres -- env DB="host=$WORK/pg.sock port=$PGPORT user=postgres dbname=$db" \
      PX_BENCH_MESSAGES="$n" sh "$(dirname "$0")/gen-chat-data.sh"
    echo "made $n messages in $((SECONDS - t0)) s; load average $(load)"
  fi
  renice -n 0 -p "$pm" >/dev/null; ionice -c2 -n4 -p "$pm"
}

setup px10m "$BIG"
[ "$SMALL" -gt 0 ] && setup px1m "$SMALL"

# stack NAME PORT: plexichat.fcgi (4 workers, the default) and lighttpd
# in front of database NAME; the token of bench0 in TOK_NAME
stack() {
  local db=$1 port=$2 d="$WORK/$1" tok
  touch "$d/plexichat.log"; chown www-data "$d/plexichat.log"
  PLEXICHAT_RATE_LIMIT=off PLEXICHAT_LOG_LEVEL=warn PX_FCGI_LOG="$d/plexichat.log" \
    fcgi_start "$BUILD" "$WORK/$db.conf" "$d/run/px.sock"
  lighttpd_start "$d/run" "$port" "$d/run/px.sock"
  wait_http "http://127.0.0.1:$port/api/v1/system/health"
  tok=$(curl -s -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"bench0\",\"password\":\"$PW\"}" | python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])')
  printf -v "TOK_$db" '%s' "$tok"
}

# requests NAME: the request files of database NAME, drawn from its data
# (the same rules for both sizes): latest-50 of each of bench0's 200
# channels (more than the 128 latest pages a process keeps, visited in turn:
# every page is read from the database), 300 jump targets, the search mixes
requests() {
  local db=$1 me
  q() { $SU -At -F $'\t' -d "$db" "$@"; }
  me=$(q -c "SELECT id FROM users WHERE username = 'bench0'")
  q > "$WORK/$db-latest.txt" <<SQL
SELECT CASE WHEN k <= 20 THEN 'largest 20' ELSE 'others' END,
       '/api/v1/channels/' || m.channel_id || '/messages?limit=50'
FROM channel_members m JOIN (SELECT id, substr(name::text, 5)::int AS k FROM channels
                             WHERE name LIKE 'gen-%') c ON c.id = m.channel_id
WHERE m.user_id = $me ORDER BY hashint8(k)
SQL
  # jump targets: a channel of bench0 and a time in the data's two years;
  # the lookup is what a jump-to-date route would run
  q > "$WORK/$db-jump.tsv" <<SQL
SELECT m.channel_id, '2024-06-01'::timestamptz + (abs(hashint8(i)) % 60000000) * interval '1 second'
FROM generate_series(1, 300) i,
     LATERAL (SELECT channel_id FROM channel_members WHERE user_id = $me
              ORDER BY hashint8(channel_id * 7 + i) LIMIT 1) m
SQL
  q > "$WORK/$db-around.txt" <<SQL
CREATE TEMP TABLE j (channel_id bigint, at timestamptz);
\copy j FROM '$WORK/$db-jump.tsv'
SELECT 'around', '/api/v1/channels/' || j.channel_id || '/messages?limit=50&around=' || x.id
FROM j, LATERAL ($JUMP_SQL) x
SQL
  # rare words: the last word of sampled messages in bench0's channels
  # when it is in 1 to 10 messages; mix A samples with seed 1, B with 2,
  # C with 3; C's other words, channel, author and date are drawn from
  # bench/msg-words.txt and the generated names by the same seed
  for mix in A B C; do
    local seed=1 w1=deploy w2=database w3=meeting w4=review p1=migra p2=kube \
          f1="deploy in:gen-7" f2="release from:gen12" f3="database after:2026-01-01"
    if [ $mix = B ]; then
      seed=2 w1=cluster w2=node w3=token w4=session p1=certif p2=throu
      f1="backup in:gen-13" f2="cache from:gen30" f3="index before:2024-09-01"
    elif [ $mix = C ]; then
      seed=3
      { read -r w1 w2 w3 w4 p1 p2; read -r f1; read -r f2; read -r f3; } < <(python3 - \
        "$PX_ROOT/bench/msg-words.txt" "$(q -c "SELECT count(*) FROM channels WHERE name LIKE 'gen-%'")" \
        "$(q -c "SELECT count(*) FROM users WHERE username LIKE 'gen%'")" <<'PY'
import random, sys
words = [w for w in open(sys.argv[1]).read().split() if w.isalpha()]
r = random.Random(3)
w = r.sample(words, 7)
long_ = [x for x in words if len(x) >= 7 and x not in w]
print(" ".join(w[:4] + [x[:5] for x in r.sample(long_, 2)]))
print("%s in:gen-%d" % (w[4], r.randrange(int(sys.argv[2])) + 1))
print("%s from:gen%d" % (w[5], r.randrange(int(sys.argv[3])) + 1))
print("%s before:%s" % (w[6], r.choice(["2024-03-01", "2024-11-15", "2025-07-01", "2026-02-01"])))
PY
)
    fi
    {
      q <<SQL
SELECT 'rare word', w FROM (SELECT DISTINCT split_part(body, ' ', -1) AS w
  FROM messages TABLESAMPLE SYSTEM (0.05) REPEATABLE ($seed)
  WHERE channel_id IN (SELECT channel_id FROM channel_members WHERE user_id = $me)) s
WHERE length(w) >= 10 AND (SELECT count(*) FROM (SELECT 1 FROM messages
  WHERE tsv @@ plainto_tsquery('english', w) LIMIT 11) c) BETWEEN 1 AND 10
ORDER BY hashtext(w) LIMIT 10
SQL
      printf 'two common words\t%s\n' "$w1 $w2" "$w3 $w4"
      printf 'prefix\t%s\n' "$p1" "$p2"
      printf 'filter: channel\t%s\n' "$f1"
      printf 'filter: user\t%s\n' "$f2"
      printf 'filter: date\t%s\n' "$f3"
    } | python3 -c '
import sys, urllib.parse
for line in sys.stdin:
    label, q = line.rstrip("\n").split("\t", 1)
    print(label + "\t/api/v1/search?limit=20&q=" + urllib.parse.quote(q))' > "$WORK/$db-search-$mix.txt"
  done
}
# the first top-level message of the channel at or after the time
JUMP_SQL="SELECT id FROM messages WHERE channel_id = j.channel_id AND created_at >= j.at
 AND thread_root_id IS NULL ORDER BY created_at, id LIMIT 1"

# jump_sql NAME: p99 of the lookup alone, as pgbench runs it (1 client)
jump_sql() {
  local db=$1 f="$WORK/$1-jump.pgb" n
  n=$(wc -l < "$WORK/$db-jump.tsv")
  { echo "\\set i random(1, $n)"
    echo "SELECT id FROM messages, (SELECT (('{$(cut -f1 "$WORK/$db-jump.tsv" | paste -sd,)}'::bigint[])[:i]) AS channel_id,"
    echo " (('{$(cut -f2 "$WORK/$db-jump.tsv" | sed 's/.*/"&"/' | paste -sd,)}'::timestamptz[])[:i]) AS at) j"
    echo " WHERE messages.channel_id = j.channel_id AND created_at >= j.at AND thread_root_id IS NULL"
    echo " ORDER BY created_at, id LIMIT 1;"; } > "$f"
  chown postgres "$f"; rm -rf "$WORK/$db-pgblog"; mkdir -p "$WORK/$db-pgblog"; chown postgres "$WORK/$db-pgblog"
  (cd "$WORK/$db-pgblog" && runuser -u postgres -- "$PX_PG_BIN/pgbench" -n -h "$WORK/pg.sock" -p "$PGPORT" \
     -c1 -T"$SECS" -l -f "$f" "$db" >/dev/null 2>&1)
  cat "$WORK/$db-pgblog"/pgbench_log.* | awk '{print $3 / 1000}' | sort -n |
    awk '{a[NR] = $1} END {printf "jump lookup (SQL)            n=%-6d p50=%.2f p99=%.2f\n", NR, a[int(NR * 0.5) + 1], a[int(NR * 0.99) + 1]}'
}

# list_sql NAME: the statement of GET /channels alone for bench0, as
# pgbench runs it (1 client, prepared, JIT off as in plexichat.fcgi): what
# the route runs (px_channels_mine_text, sql/191 and 195, over px_channel_list) and the
# anchor below, interleaved in one run
list_sql() {
  local db=$1 d="$WORK/$1-listlog" me
  me=$($SU -At -d "$db" -c "SELECT id FROM users WHERE username = 'bench0'")
  echo "SELECT px_channels_mine_text($me);" > "$WORK/$db-list-set.pgb"
  # the anchor: the 200 unread counts alone, each by the scan after the
  # marker, as the list made them before sql/190 kept them
  echo "SELECT jsonb_object_agg(m.channel_id, CASE WHEN m.notify = 'all' THEN" \
       "px_unread_scan(m.channel_id, $me, m.last_read_id) ELSE 0 END) FROM channel_members m" \
       "WHERE m.user_id = $me;" > "$WORK/$db-list-fn.pgb"
  chown postgres "$WORK/$db"-list-*.pgb; rm -rf "$d"; mkdir -p "$d"; chown postgres "$d"
  (cd "$d" && runuser -u postgres -- env PGOPTIONS="-c jit=off" "$PX_PG_BIN/pgbench" -n -M prepared \
     -h "$WORK/pg.sock" -p "$PGPORT" -c1 -T"$SECS" -l -f "$WORK/$db-list-set.pgb" \
     -f "$WORK/$db-list-fn.pgb" "$db" >/dev/null 2>&1)
  for s in 0 1; do
    cat "$d"/pgbench_log.* | awk -v s=$s '$4 == s {print $3 / 1000}' | sort -n |
      awk -v l="$([ $s = 0 ] && echo 'the list (px_channels_mine_text)' || echo 'unread counts alone, by scan')" \
        '{a[NR] = $1} END {printf "list SQL, %-29s n=%-6d p50=%.2f p99=%.2f\n", l, NR, a[int(NR * 0.5) + 1],
                           a[int(NR * 0.99) + 1]}'
  done
}

jump_sql_and_around() { # db url token
  jump_sql "$1"; run_py 1 99 around "$@"
}

want latest || want jump || want unread || want search || exit 0
DBS=(px10m); PORTS=("$PORT")
[ "$SMALL" -gt 0 ] && { DBS+=(px1m); PORTS+=($((PORT + 1))); }
for i in "${!DBS[@]}"; do
  stack "${DBS[$i]}" "${PORTS[$i]}"; requests "${DBS[$i]}"
done
# measure WHAT ARGS...: each data set in turn, the large one first
measure() {
  local what=$1; shift
  for i in "${!DBS[@]}"; do
    local db=${DBS[$i]} tok n
    tok=TOK_$db; n=$($SU -At -d "$db" -c "SELECT count(*) FROM messages")
    echo "-- $what, $db ($n messages); load average $(load)"
    "$@" "$db" "http://127.0.0.1:${PORTS[$i]}" "${!tok}"
  done
}
run_py() { # conns pct file-suffix db url token
  python3 "$(dirname "$0")/scale_bench.py" "$5" "$6" "$WORK/$4-$3.txt" --conns "$1" --pct "$2" \
    --seconds "$SECS" --name "$3"
}
echo "== $(nproc) cores shared by the load generator, lighttpd, plexichat.fcgi, PostgreSQL" \
     "and other work on this machine"
if want latest; then
  # warm-up: every worker has its connection and prepared statements
  for i in "${!DBS[@]}"; do run_py 4 99 latest "${DBS[$i]}" "http://127.0.0.1:${PORTS[$i]}" \
    "$(n=TOK_${DBS[$i]}; echo "${!n}")" >/dev/null; done
  measure "latest 50 (4 connections)" run_py 4 99 latest
fi
if want jump; then
  measure "jump to a date" jump_sql_and_around
fi
if want unread; then
  for db in "${DBS[@]}"; do printf 'GET /channels (200 channels)\t/api/v1/channels\n' > "$WORK/$db-unread.txt"; done
  measure "unread counts of a user in 200 channels (1 connection)" run_py 1 99 unread
  measure "the channel list's statement alone (SQL, 1 client)" list_sql
fi
if want search; then
  measure "search, mix A (tuned on; 2 connections)" run_py 2 95,99 search-A
  measure "search, mix B (not tuned on; 2 connections)" run_py 2 95,99 search-B
  measure "search, mix C (drawn by rule; 2 connections)" run_py 2 95,99 search-C
fi
