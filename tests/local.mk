# tests/: Check unit tests (make check), one program per module; the shared
# test variables and core/'s tests are here, each other folder's tests in its local.mk.
TESTS += $(check_PROGRAMS)
TEST_LIBS = $(CORE_LIBS) $(CHECK_LIBS)
TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -DPX_SRCDIR='"$(abs_top_srcdir)"'

check_PROGRAMS += tests/unit/check_http
tests_unit_check_http_SOURCES = tests/unit/check_http.c
tests_unit_check_http_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_http_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_docs
tests_unit_check_docs_SOURCES = tests/unit/check_docs.c
tests_unit_check_docs_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_docs_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_cfg
tests_unit_check_cfg_SOURCES = tests/unit/check_cfg.c
tests_unit_check_cfg_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_cfg_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_router
tests_unit_check_router_SOURCES = tests/unit/check_router.c fcgi/router.c
tests_unit_check_router_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_router_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_openapi
tests_unit_check_openapi_SOURCES = tests/unit/check_openapi.c fcgi/openapi.c
tests_unit_check_openapi_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_openapi_LDADD = $(TEST_LIBS)
fcgi/tests_unit_check_openapi-openapi.$(OBJEXT): handlers/api_schema.inc

check_PROGRAMS += tests/unit/check_ratelease
tests_unit_check_ratelease_SOURCES = tests/unit/check_ratelease.c
tests_unit_check_ratelease_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_ratelease_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_tlscert
tests_unit_check_tlscert_SOURCES = tests/unit/check_tlscert.c
tests_unit_check_tlscert_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_tlscert_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_memtrim
tests_unit_check_memtrim_SOURCES = tests/unit/check_memtrim.c
tests_unit_check_memtrim_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_memtrim_LDADD = $(TEST_LIBS)
check_PROGRAMS += tests/unit/check_gen
tests_unit_check_gen_SOURCES = tests/unit/check_gen.c
tests_unit_check_gen_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_gen_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_vcache
tests_unit_check_vcache_SOURCES = tests/unit/check_vcache.c
tests_unit_check_vcache_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_vcache_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_crypto
tests_unit_check_crypto_SOURCES = tests/unit/check_crypto.c
tests_unit_check_crypto_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_crypto_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_webpush
tests_unit_check_webpush_SOURCES = tests/unit/check_webpush.c
tests_unit_check_webpush_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_webpush_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_codec
tests_unit_check_codec_SOURCES = tests/unit/check_codec.c
tests_unit_check_codec_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_codec_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_multipart
tests_unit_check_multipart_SOURCES = tests/unit/check_multipart.c
tests_unit_check_multipart_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_multipart_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_wsproto
tests_unit_check_wsproto_SOURCES = tests/unit/check_wsproto.c
tests_unit_check_wsproto_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_wsproto_LDADD = $(TEST_LIBS)
check_PROGRAMS += tests/unit/check_safefetch
tests_unit_check_safefetch_SOURCES = tests/unit/check_safefetch.c
tests_unit_check_safefetch_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_safefetch_LDADD = $(TEST_LIBS) -lpthread

check_PROGRAMS += tests/unit/check_htmlmeta
tests_unit_check_htmlmeta_SOURCES = tests/unit/check_htmlmeta.c
tests_unit_check_htmlmeta_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_htmlmeta_LDADD = $(TEST_LIBS)
