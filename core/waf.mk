# core/waf.mk: the WAF modules, its tests, fuzzers and benchmarks (owned by the WAF work).
libplexi_a_SOURCES += \
	core/waf.c core/waf.h \
	core/waf_norm.c core/waf_norm.h \
	core/waf_rules.c core/waf_rules.h \
	core/waf_input.c core/waf_input.h \
	core/waf_detect.c core/waf_detect.h \
	core/waf_ssrf.c core/waf_ssrf.h \
	core/waf_ip.c core/waf_ip.h \
	core/waf_magic.c core/waf_magic.h \
	core/waf_feed.c core/waf_feed.h

dist_pkgdata_DATA += etc/waf.rules

# In-process corpus benchmark: `make waf-bench` builds it and measures the
# rules on the shared corpus (when ../shared is there), the project's own
# held-out set, and a large harmless set generated from realistic chat
# traffic (written into the build tree, never committed).
EXTRA_PROGRAMS = bench/waf_bench
bench_waf_bench_SOURCES = bench/waf_bench.c bench/waf_corpus.c bench/waf_corpus.h
bench_waf_bench_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/bench
bench_waf_bench_LDADD = $(CORE_LIBS)
CLEANFILES += bench/waf_bench$(EXEEXT) bench/waf-benign.jsonl
EXTRA_DIST += bench/waf-benign-gen.py tests/waf-heldout/heldout.jsonl tests/waf-heldout/README.md
WAF_CORPUS = $(abs_top_srcdir)/../shared/waf-corpus/dev.jsonl
WAF_HELDOUT = $(abs_top_srcdir)/tests/waf-heldout/heldout.jsonl
WAF_BENIGN = $(abs_top_builddir)/bench/waf-benign.jsonl

.PHONY: waf-bench
waf-bench: bench/waf_bench$(EXEEXT)
	@$(MKDIR_P) bench
	@python3 $(top_srcdir)/bench/waf-benign-gen.py $(WAF_BENIGN)
	@if [ -f "$(WAF_CORPUS)" ]; then shared="shared=$(WAF_CORPUS)"; else \
	  shared=; echo "== shared: NOT MEASURED, no corpus at $(WAF_CORPUS) (../shared is absent)"; echo; fi; \
	./bench/waf_bench $(WAF_BENCH_FLAGS) $(top_srcdir)/etc/waf.rules $$shared \
	  held-out=$(WAF_HELDOUT) generated-benign=$(WAF_BENIGN)

check_PROGRAMS += tests/unit/check_waf
tests_unit_check_waf_SOURCES = tests/unit/check_waf.c
tests_unit_check_waf_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_waf_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_waf_ip
tests_unit_check_waf_ip_SOURCES = tests/unit/check_waf_ip.c
tests_unit_check_waf_ip_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_waf_ip_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_waf_feed
tests_unit_check_waf_feed_SOURCES = tests/unit/check_waf_feed.c
tests_unit_check_waf_feed_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_waf_feed_LDADD = $(TEST_LIBS)
