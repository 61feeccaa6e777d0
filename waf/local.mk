# waf/: libwaf.a, the web application firewall (normaliser, rules, input views, detectors, IP lists, feeds), built on core/ only; also its rules file, unit tests and `make waf-bench`.
noinst_LIBRARIES += libwaf.a
libwaf_a_SOURCES = \
	waf/waf.c waf/waf.h \
	waf/waf_norm.c waf/waf_norm.h \
	waf/waf_rules.c waf/waf_rules.h \
	waf/waf_input.c waf/waf_input.h \
	waf/waf_detect.c waf/waf_detect.h \
	waf/waf_ftype.c waf/waf_ftype.h \
	waf/waf_ssrf.c waf/waf_ssrf.h \
	waf/waf_ip.c waf/waf_ip.h \
	waf/waf_magic.c waf/waf_magic.h \
	waf/waf_feed.c waf/waf_feed.h

dist_pkgdata_DATA += etc/waf.rules

# In-process corpus benchmark: `make waf-bench` builds it and measures the
# rules on the shared corpus (when ../shared is there), the project's own
# held-out set, and a large harmless set generated from realistic chat
# traffic (written into the build tree, never committed).
EXTRA_PROGRAMS = bench/waf_bench
bench_waf_bench_SOURCES = bench/waf_bench.c bench/waf_corpus.c bench/waf_corpus.h
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
tests_unit_check_waf_SOURCES = tests/unit/check_waf.c \
	tests/unit/waf_fixture.c tests/unit/waf_fixture.h
tests_unit_check_waf_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_waf_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_waf_upload
tests_unit_check_waf_upload_SOURCES = tests/unit/check_waf_upload.c \
	tests/unit/waf_fixture.c tests/unit/waf_fixture.h
tests_unit_check_waf_upload_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_waf_upload_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_waf_ip
tests_unit_check_waf_ip_SOURCES = tests/unit/check_waf_ip.c
tests_unit_check_waf_ip_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_waf_ip_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_waf_feed
tests_unit_check_waf_feed_SOURCES = tests/unit/check_waf_feed.c
tests_unit_check_waf_feed_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_waf_feed_LDADD = $(TEST_LIBS)
