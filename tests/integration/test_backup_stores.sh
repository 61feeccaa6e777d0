#!/bin/bash
# test_backup_stores.sh: the stores plexichat-backup can write to, and
# copy --to between them: a local folder, Azure Blob Storage (Azurite,
# which checks Shared Key and SAS signatures; npm azurite, version in node/package.json), S3
# (s3rver behind tests/integration/s3_proxy.py, which checks every SigV4
# signature with botocore) and gs:// (the GCS XML API: the same proxy
# checks the signatures for region "auto").
#
#   BUILD=/work/build/x tests/integration/test_backup_stores.sh
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-${PX_BUILD:-$SRC}}
B=$BUILD/plexichat-backup
NODE_DIR=${NODE_DIR:-$BUILD/node}
T=$(mktemp -d /tmp/test_backup_stores.XXXXXX)
PASS=0 FAIL=0
PIDS=()

ok()   { PASS=$((PASS + 1)); echo "ok   - $*"; }
bad()  {
	FAIL=$((FAIL + 1)); echo "FAIL - $*"
	[ -s "$T/err" ] && tail -n 2 "$T/err" | cut -c1-400 | sed 's/^/     /'
}
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
free_port() {
	local p
	for p in $(seq "$1" "$2"); do
		(echo > /dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return; }
	done
	return 1
}
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
[ -x "$B" ] || { echo "no $B: build first"; exit 2; }
command -v npm >/dev/null || { echo "npm missing (it comes with nodejs, PX_TEST_PKGS)"; exit 2; }
/usr/bin/python3 -c "import awscli" 2>/dev/null || { echo "awscli missing"; exit 2; }
bash "$SRC/tests/integration/node_tools.sh" "$NODE_DIR" || { echo "cannot install s3rver and azurite"; exit 2; }

# ---- servers ----
AZPORT=$(free_port 26140 26149) && S3PORT=$(free_port 26150 26159) &&
	PXPORT=$(free_port 26160 26164) && GPORT=$(free_port 26165 26169) || exit 2
mkdir -p "$T/az" "$T/s3"
"$NODE_DIR/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$AZPORT" \
	--location "$T/az" --silent --skipApiVersionCheck >"$T/azurite.log" 2>&1 &
PIDS+=($!)
"$NODE_DIR/node_modules/.bin/s3rver" -d "$T/s3" -a 127.0.0.1 -p "$S3PORT" \
	--configure-bucket plexi-backups --configure-bucket plexi-gcs >"$T/s3rver.log" 2>&1 &
PIDS+=($!)
/usr/bin/python3 "$SRC/tests/integration/s3_proxy.py" "$PXPORT" "$S3PORT" S3RVER S3RVER us-east-1 \
	>"$T/proxy.log" 2>&1 &
PIDS+=($!)
/usr/bin/python3 "$SRC/tests/integration/s3_proxy.py" "$GPORT" "$S3PORT" S3RVER S3RVER auto \
	>"$T/gproxy.log" 2>&1 &
PIDS+=($!)
for i in $(seq 50); do
	curl -s "127.0.0.1:$PXPORT/__stats" >/dev/null && curl -s "127.0.0.1:$GPORT/__stats" >/dev/null &&
		(echo > "/dev/tcp/127.0.0.1/$AZPORT") 2>/dev/null && break
	sleep 0.2
done
stat_of() { curl -s "http://127.0.0.1:$1/__stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }

AZKEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
AZEP=http://127.0.0.1:$AZPORT/devstoreaccount1
AZ=(--azure-account devstoreaccount1 --azure-endpoint "$AZEP")
S3=(--s3-endpoint "http://127.0.0.1:$PXPORT" --s3-access-key S3RVER --s3-secret-key S3RVER)
# An account SAS for Azurite (service version 2019-12-12): the account
# key signs account, permissions, service, resource types, start, expiry,
# IP, protocol and version, one per line.
sas() {
	python3 - "$AZKEY" "$1" <<'PY'
import base64, hashlib, hmac, sys, urllib.parse
key, perms = sys.argv[1], sys.argv[2]
f = ["devstoreaccount1", perms, "b", "sco", "", "2030-01-01T00:00:00Z", "", "https,http", "2019-12-12", ""]
sig = base64.b64encode(hmac.new(base64.b64decode(key), "\n".join(f).encode(), hashlib.sha256).digest()).decode()
print("sv=2019-12-12&ss=b&srt=sco&sp=%s&se=2030-01-01T00:00:00Z&spr=https,http&sig=%s"
      % (perms, urllib.parse.quote(sig, safe="")))
PY
}
head -c 32 /dev/urandom > "$T/key"
# run STORE-ARGS...: plexichat-backup with a key and cache; out/err in $T
run() { "$B" --key-file "$T/key" --cache-dir "$T/cache" "$@" >"$T/out" 2>"$T/err"; }
field() { grep -o "\"$1\":[0-9]*" "$T/out" | tail -1 | cut -d: -f2; }

# a folder of files to back up
mkdir -p "$T/files/a" "$T/files/b"
for i in $(seq 30); do head -c $((i * 3000)) /dev/urandom > "$T/files/a/f$i"; done
printf 'hello\n' > "$T/files/b/small"

# ---- local -> Azure (Shared Key) -> S3 ----
run --store "$T/local" init; check "local: init" [ $? = 0 ]
run --store "$T/local" --no-db --files "$T/files" --no-status backup; check "local: backup of the files" [ $? = 0 ]
run --store "$T/local" "${AZ[@]}" --azure-key "$AZKEY" copy --to azure://backups/copy1; rc=$?
n1=$(field copied)
check "copy --to azure:// (Shared Key; $n1 objects)" [ $rc = 0 -a "${n1:-0}" -gt 5 ]
run --store azure://backups/copy1 "${AZ[@]}" --azure-key "$AZKEY" verify; rc=$?
check "azure: verify of the copy reads and authenticates every shard" [ $rc = 0 ]
run --store azure://backups/copy1 "${AZ[@]}" --azure-key "$AZKEY" restore --target-files "$T/r1"; rc=$?
check "azure: restore from the copy (exit $rc) gives back every file" diff -r "$T/files" "$T/r1"
run --store "$T/local" "${AZ[@]}" --azure-key "$AZKEY" copy --to azure://backups/copy1; rc=$?
check "copy again: nothing copied, everything skipped (resumes)" [ $rc = 0 -a "$(field copied)" = 0 -a "$(field skipped)" = "$n1" ]
run --store azure://backups/copy1 "${AZ[@]}" --azure-key "$AZKEY" "${S3[@]}" copy --to s3://plexi-backups/copy2; rc=$?
check "copy azure:// -> s3:// (exit $rc)" [ $rc = 0 -a "$(field copied)" = "$n1" ]
run --store s3://plexi-backups/copy2 "${S3[@]}" restore --target-files "$T/r2"; rc=$?
check "s3: restore from the second copy (exit $rc) gives back every file" diff -r "$T/files" "$T/r2"
check "s3: every request carried a valid SigV4 signature ($(stat_of "$PXPORT" valid) valid)" \
	[ "$(stat_of "$PXPORT" invalid)" = 0 -a "$(stat_of "$PXPORT" valid)" -gt 10 ]

# ---- Azure: WAL, SAS, wrong key ----
cp /bin/ls "$T/seg1"; cp /bin/cat "$T/seg2"
N=000000010000000000000001
run --store azure://backups/copy1 "${AZ[@]}" --azure-key "$AZKEY" archive-push "$T/seg1" "$N"
check "azure: archive-push" [ $? = 0 ]
ok_same=0 split=0
for i in 1 2 3 4 5; do
	n=00000001000000000000D00$i
	"$B" --key-file "$T/key" --cache-dir "$T/cache" --store azure://backups/copy1 "${AZ[@]}" --azure-key "$AZKEY" \
		archive-push "$T/seg1" "$n" 2>/dev/null & p1=$!
	"$B" --key-file "$T/key" --cache-dir "$T/cache" --store azure://backups/copy1 "${AZ[@]}" --azure-key "$AZKEY" \
		archive-push "$T/seg2" "$n" 2>/dev/null & p2=$!
	wait $p1; r1=$?; wait $p2; r2=$?
	run --store azure://backups/copy1 "${AZ[@]}" --azure-key "$AZKEY" archive-get "$n" "$T/got"
	{ [ $r1 = 0 -a $r2 = 8 ] && cmp -s "$T/got" "$T/seg1"; } ||
		{ [ $r1 = 8 -a $r2 = 0 ] && cmp -s "$T/got" "$T/seg2"; } && split=$((split + 1))
done
check "azure: archivers racing with different content: one stores, the other gets 8 ($split/5)" [ $split = 5 ]
RW=$(sas rwdlac); RO=$(sas rl)
run --store azure://backups/copy1 "${AZ[@]}" --azure-sas "$RW" archive-get "$N" "$T/sasgot"; rc=$?
check "azure SAS (read-write): archive-get (exit $rc)" cmp -s "$T/sasgot" "$T/seg1"
run --store azure://backups/copy1 "${AZ[@]}" --azure-sas "$RW" archive-push "$T/seg2" 00000001000000000000000E
check "azure SAS (read-write): archive-push" [ $? = 0 ]
run --store azure://backups/copy1 "${AZ[@]}" --azure-sas "$RO" list; rc=$?
check "azure SAS (read and list only): list (exit $rc)" [ $rc = 0 ]
run --store azure://backups/copy1 "${AZ[@]}" --azure-sas "$RO" archive-push "$T/seg2" 00000001000000000000000F; rc=$?
check "azure SAS (read and list only): a write is refused -> exit 5 (got $rc)" [ $rc = 5 ]
run --store azure://backups/copy1 "${AZ[@]}" --azure-sas "${RW%sig=*}sig=AAAA${RW#*sig=}" list; rc=$?
check "azure: a SAS whose signature was altered -> exit 5 (got $rc)" [ $rc = 5 ]
run --store azure://backups/copy1 "${AZ[@]}" --azure-key "${AZKEY/E/F}" list; rc=$?
check "azure: a wrong account key -> exit 5, STORAGE_CREDENTIALS (got $rc)" \
	[ $rc = 5 ] && grep -q STORAGE_CREDENTIALS "$T/err"

# ---- gs:// (GCS XML API, HMAC keys, region auto) ----
G=(--s3-endpoint "http://127.0.0.1:$GPORT" --s3-access-key S3RVER --s3-secret-key S3RVER)
run --store gs://plexi-gcs/repo "${G[@]}" init; check "gs: init" [ $? = 0 ]
run --store gs://plexi-gcs/repo "${G[@]}" archive-push "$T/seg1" "$N"; check "gs: archive-push" [ $? = 0 ]
run --store gs://plexi-gcs/repo "${G[@]}" archive-get "$N" "$T/ggot"
check "gs: archive-get gives it back" cmp -s "$T/ggot" "$T/seg1"
check "gs: every request signed for region auto, checked by botocore ($(stat_of "$GPORT" valid) valid)" \
	[ "$(stat_of "$GPORT" invalid)" = 0 -a "$(stat_of "$GPORT" valid)" -gt 3 ]

echo "# $PASS passed, $FAIL failed"
[ $FAIL = 0 ]
