# ai/: libai.a, the AI provider layer linked by plexichat.fcgi: the one
# provider interface with the providers as data, the HTTP client (timeouts,
# retries, Retry-After, circuit breaker, streaming), the wire formats of
# OpenAI-compatible servers, Anthropic and Gemini, the built-in provider
# redaction, and the approximate nearest-neighbour index of ask. Builds on core/ only; no SQL (governance is in model/).
noinst_LIBRARIES += libai.a
libai_a_SOURCES = \
	ai/ai_breaker.c ai/ai_breaker.h \
	ai/ai_http.c ai/ai_http.h \
	ai/ai_sse.c ai/ai_sse.h \
	ai/ai_wire.c ai/ai_wire.h \
	ai/ai_provider.c ai/ai_provider.h ai/ai_types.h \
	ai/ai_builtin.c ai/ai_builtin.h \
	ai/ai_redact.c ai/ai_redact.h \
	ai/ai_ann.c ai/ai_ann.h

check_PROGRAMS += tests/unit/check_ai
tests_unit_check_ai_SOURCES = tests/unit/check_ai.c
tests_unit_check_ai_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_ai_LDADD = libai.a $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_ai_ann
tests_unit_check_ai_ann_SOURCES = tests/unit/check_ai_ann.c
tests_unit_check_ai_ann_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_ai_ann_LDADD = libai.a $(TEST_LIBS)
