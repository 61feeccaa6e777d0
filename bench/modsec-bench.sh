#!/bin/sh
# modsec-bench.sh: compare PlexiChat's WAF with ModSecurity v3 + OWASP CRS
# (paranoia level 1) on the shared corpus, in one run.
#
# Needs the Debian packages libmodsecurity3, libmodsecurity-dev and
# modsecurity-crs (apt-get install them first); they are not build
# requirements of PlexiChat. Uses libplexi.a from an existing build dir.
#
# usage: bench/modsec-bench.sh [BUILD_DIR] [CORPUS]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$(pwd)}
corpus=${2:-$src/../shared/waf-corpus/dev.jsonl}
crs_rules=/usr/share/modsecurity-crs/rules
crs_setup=/etc/modsecurity/crs/crs-setup.conf

if [ ! -f "$corpus" ]; then
	echo "modsec-bench: no corpus at $corpus (../shared is absent); nothing to measure"
	exit 0
fi
for f in "$build/libwaf.a" "$build/libplexi.a" /usr/include/modsecurity/modsecurity.h "$crs_setup"; do
	if [ ! -e "$f" ]; then
		echo "modsec-bench: missing $f" >&2
		exit 1
	fi
done

out=$build/bench
mkdir -p "$out"
conf=$out/modsec-crs-pl1.conf
{
	echo "SecRuleEngine On"
	echo "SecRequestBodyAccess On"
	echo "SecRequestBodyLimit 13107200"
	echo "SecRequestBodyNoFilesLimit 1048576"
	echo "SecRequestBodyLimitAction Reject"
	echo "SecPcreMatchLimit 100000"
	echo "SecPcreMatchLimitRecursion 100000"
	echo "SecAuditEngine Off"
	echo "SecDebugLogLevel 0"
	echo "SecArgumentSeparator &"
	echo "SecCookieFormat 0"
	echo "SecRule REQUEST_HEADERS:Content-Type \"(?:application(?:/soap\\+|/)|text/)xml\" \"id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML\""
	echo "SecRule REQUEST_HEADERS:Content-Type \"application/json\" \"id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON\""
	echo "Include $crs_setup"
	for f in "$crs_rules"/*.conf; do
		echo "Include $f"
	done
} > "$conf"

cc -O2 -D_GNU_SOURCE -I"$src" -I"$build" \
	$(pkg-config --cflags json-c libpcre2-8) \
	-o "$out/modsec_bench" "$src/bench/modsec_bench.c" "$src/bench/waf_corpus.c" \
	"$build/libwaf.a" "$build/libplexi.a" -lmodsecurity \
	$(pkg-config --libs json-c libpcre2-8 libcmark-gfm openssl libpq libxml-2.0 libcurl libargon2 libzstd libqrencode) \
	-lmagic -lm -pthread

"$out/modsec_bench" "$conf" "$src/etc/waf.rules" "$corpus"
