# handlers/waf.mk: the WAF area's model and handler sources (owned by the WAF
# work; core/waf.mk holds the engine, which is included before model/).
libmodel_a_SOURCES += model/waf.c model/waf.h
libhandlers_a_SOURCES += handlers/admin_waf.c handlers/admin_waf.h

check_PROGRAMS += tests/unit/check_waf_routes
tests_unit_check_waf_routes_SOURCES = tests/unit/check_waf_routes.c fcgi/routes.c fcgi/router.c
tests_unit_check_waf_routes_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_waf_routes_LDADD = libhandlers.a libmodel.a $(TEST_LIBS)
