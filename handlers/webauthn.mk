# handlers/webauthn.mk: passkeys (WebAuthn): core/webauthn (verification with
# OpenSSL and libcbor, no database), model/webauthn, the API and web
# handlers, the MFA policy gate, and the unit test with vectors it builds.
AM_CFLAGS += $(CBOR_CFLAGS)
CORE_LIBS += $(CBOR_LIBS)
libplexi_a_SOURCES += core/webauthn.c core/webauthn.h core/webauthn_key.c core/webauthn_key.h
libmodel_a_SOURCES += model/webauthn.c model/webauthn.h
libhandlers_a_SOURCES += handlers/auth_webauthn.c handlers/auth_webauthn.h \
	handlers/auth_passkey.c handlers/auth_mfa_step.c handlers/web_passkey.c

check_PROGRAMS += tests/unit/check_webauthn
tests_unit_check_webauthn_SOURCES = tests/unit/check_webauthn.c
tests_unit_check_webauthn_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_webauthn_LDADD = $(TEST_LIBS)
