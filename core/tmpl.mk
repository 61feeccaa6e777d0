# core/tmpl.mk: the Mustache template engine and its tests (owned by the template work).
libplexi_a_SOURCES += core/tmpl.c core/tmpl.h

check_PROGRAMS += tests/unit/check_mustache_spec
tests_unit_check_mustache_spec_SOURCES = tests/unit/check_mustache_spec.c
tests_unit_check_mustache_spec_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_mustache_spec_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_tmpl
tests_unit_check_tmpl_SOURCES = tests/unit/check_tmpl.c
tests_unit_check_tmpl_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_tmpl_LDADD = $(TEST_LIBS)
