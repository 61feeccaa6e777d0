#!/usr/bin/env bash
# test_browser.sh: the web UI in a real browser (playwright-core + axe-core
# with Debian's chromium). Installs the two npm packages into build/node
# (git-ignored) on first use, then runs tests/browser/run.js against
# PX_BASE_URL (the flow-*.js files sign in and need PX_ADMIN_PASSWORD);
# screenshots go to PX_ARTIFACTS.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NODE_DIR="$ROOT/build/node"
command -v chromium >/dev/null || { echo "chromium is missing (PX_TEST_PKGS installs it)" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm is missing (PX_TEST_PKGS installs it)" >&2; exit 1; }
mkdir -p "$NODE_DIR"
cp "$ROOT/tests/browser/package.json" "$NODE_DIR/package.json"
if [ ! -f "$NODE_DIR/node_modules/playwright-core/package.json" ] || \
   [ ! -f "$NODE_DIR/node_modules/axe-core/axe.min.js" ]; then
  (cd "$NODE_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
export NODE_PATH="$NODE_DIR/node_modules" PX_BROWSER_AUTH=1
export PX_ARTIFACTS="${PX_ARTIFACTS:-$ROOT/test-artifacts/browser}/screenshots"
mkdir -p "$PX_ARTIFACTS"
exec node "$ROOT/tests/browser/run.js"
