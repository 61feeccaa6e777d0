#!/usr/bin/env bash
# node_tools.sh DIR: installs the S3 and Azure Blob servers the tests start
# (s3rver, Azurite) into DIR/node_modules, at the versions node/package.json
# and its lock name, unless both are there already. One list for every test
# that needs them; a lock file beside DIR keeps two installs from running
# into one folder at once (they break each other).
set -euo pipefail
dir=${1:?usage: node_tools.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
have() { [ -x "$dir/node_modules/.bin/s3rver" ] && [ -x "$dir/node_modules/.bin/azurite-blob" ] &&
	cmp -s "$here/node/package-lock.json" "$dir/package-lock.json"; }
mkdir -p "$dir"
exec 9>"$dir.lock"
flock 9
have && exit 0
cp "$here/node/package.json" "$here/node/package-lock.json" "$dir/"
(cd "$dir" && npm ci --silent --no-audit --no-fund >/dev/null 2>&1) ||
	{ echo "node_tools.sh: npm ci of s3rver and azurite into $dir failed" >&2; exit 1; }
have
