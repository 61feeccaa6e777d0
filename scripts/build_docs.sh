#!/usr/bin/env bash
# scripts/build_docs.sh: the documentation site (docs/MAINTAINING_DOCUMENTATION.md).
#
#   bash scripts/build_docs.sh build [SPEC]   API reference + mkdocs build --strict + link check
#   bash scripts/build_docs.sh lint           markdownlint-cli2 + link check of the sources
#   bash scripts/build_docs.sh check [SPEC]   lint, then build (what the test command runs)
#   bash scripts/build_docs.sh serve [SPEC]   live preview on DOCS_ADDR (127.0.0.1:8000)
#   bash scripts/build_docs.sh clean          removes the site and the rendered API reference
#
# SPEC is the OpenAPI document to render (else $OPENAPI_JSON, else
# docs/_generated/openapi.json). Output: $DOCS_SITE_DIR (build/docs-site).
# Needs mkdocs and mkdocs-material (Debian: PX_DOCS_PKGS in scripts/lib.sh),
# python3, and Node 20.19 or later with npm: the npm tools pinned in
# tools/docs/package-lock.json are installed with `npm ci` into
# $DOCS_TOOLS_DIR (build/docs-node), never globally. Exits non-zero on any
# problem.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CMD=${1:-build}
SPEC=${2:-${OPENAPI_JSON:-$ROOT/docs/_generated/openapi.json}}
SITE=${DOCS_SITE_DIR:-$ROOT/build/docs-site}
# the rendered API reference; scripts/mkdocs_hooks.py adds it to the site
API=${DOCS_API_DIR:-$ROOT/build/docs-api}
TOOLS=${DOCS_TOOLS_DIR:-$ROOT/build/docs-node}
ADDR=${DOCS_ADDR:-127.0.0.1:8000}
# jinja2's own DeprecationWarnings are noise, not problems of the docs
export PYTHONWARNINGS=ignore::DeprecationWarning REDOCLY_TELEMETRY=off

log() { printf '[docs] %s\n' "$*" >&2; }
die() { printf '[docs] error: %s\n' "$*" >&2; exit 1; }

need_mkdocs() {
  command -v mkdocs >/dev/null ||
    die "mkdocs not found: apt-get install mkdocs mkdocs-material (PX_DOCS_PKGS in scripts/lib.sh)"
}

# npm_tools: installs the pinned npm tools once (again when the lock changes).
npm_tools() {
  command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are needed (Node 20.19 or later)"
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)' ||
    die "Node $(node --version) is too old: @redocly/cli 2.77.0 needs 20.19 or later"
  # one install at a time when several runs share the folder
  mkdir -p "$(dirname "$TOOLS")"; exec 9>"$TOOLS.lock"; flock 9
  if ! cmp -s "$ROOT/tools/docs/package-lock.json" "$TOOLS/package-lock.json" ||
     [ ! -x "$TOOLS/node_modules/.bin/markdownlint-cli2" ] || [ ! -x "$TOOLS/node_modules/.bin/redocly" ]; then
    log "installing the npm tools of tools/docs/package-lock.json into $TOOLS"
    mkdir -p "$TOOLS"
    cp "$ROOT/tools/docs/package.json" "$ROOT/tools/docs/package-lock.json" "$TOOLS/"
    (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in $TOOLS"
  fi
  exec 9>&-
}

# render_api: the API reference as one self-contained page, $API/api/index.html,
# with the OpenAPI document beside it.
render_api() {
  [ -s "$SPEC" ] || die "no OpenAPI document at $SPEC: give its path (argument or OPENAPI_JSON), or make it in a build folder: make docs/_generated/openapi.json"
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$SPEC" 2>/dev/null || die "$SPEC is not JSON"
  rm -rf "$API"; mkdir -p "$API/api"
  # --inlineBundle: the Redoc script goes into the page instead of being
  # loaded from Redocly's CDN when the page is opened
  if ! "$TOOLS/node_modules/.bin/redocly" build-docs "$SPEC" --inlineBundle \
       --title "PlexiChat API reference" -o "$API/api/index.html" > "$API/redocly.log" 2>&1; then
    cat "$API/redocly.log" >&2; die "redocly build-docs failed on $SPEC"
  fi
  ! grep -Eq '<(script|link)[^>]* (src|href)="https?:' "$API/api/index.html" ||
    die "the API reference loads something from the network; see $API/api/index.html"
  cp "$SPEC" "$API/api/openapi.json"
  log "API reference: $(du -k "$API/api/index.html" | cut -f1) KiB from $SPEC"
}

do_build() {
  need_mkdocs; npm_tools; render_api
  log "mkdocs build --strict into $SITE"
  PX_DOCS_API_DIR="$API" mkdocs build --quiet --strict --clean --config-file "$ROOT/mkdocs.yml" \
    --site-dir "$SITE" || die "mkdocs build --strict failed"
  python3 "$ROOT/scripts/check_links.py" --site "$SITE" "$ROOT" || die "dead links (above)"
  log "site built: $SITE/index.html"
}

do_lint() {
  npm_tools
  log "markdownlint-cli2 (config: .markdownlint-cli2.jsonc)"
  (cd "$ROOT" && "$TOOLS/node_modules/.bin/markdownlint-cli2" "docs/*.md" "README.md") ||
    die "markdownlint found problems (above)"
  python3 "$ROOT/scripts/check_links.py" "$ROOT" || die "dead links (above)"
}

case $CMD in
  build) do_build ;;
  lint) do_lint ;;
  check) do_lint; do_build ;;
  serve)
    need_mkdocs; npm_tools; render_api
    log "serving on http://$ADDR/ (Ctrl-C stops)"
    PX_DOCS_API_DIR="$API" exec mkdocs serve --strict --config-file "$ROOT/mkdocs.yml" --dev-addr "$ADDR" ;;
  clean)
    rm -rf "$SITE" "$API"
    log "removed $SITE and $API (the npm tools stay in $TOOLS)" ;;
  *) die "usage: $0 build|lint|check|serve|clean [OPENAPI_JSON]" ;;
esac
