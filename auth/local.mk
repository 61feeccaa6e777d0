# auth/: libauth.a, authentication and authorisation without a database (password hashing and policy, TOTP, JWT, OIDC, look-alike names, the permission table, WebAuthn, LDAP), built on core/ only, with its unit tests.
AM_CFLAGS += $(LDAP_CFLAGS) $(CBOR_CFLAGS)
noinst_LIBRARIES += libauth.a
libauth_a_SOURCES = \
	auth/ident.c auth/ident.h \
	auth/jwt.c auth/jwt.h \
	auth/ldapauth.c auth/ldapauth.h \
	auth/oidc.c auth/oidc.h \
	auth/password.c auth/password.h \
	auth/perm.c auth/perm.h \
	auth/pwpolicy.c auth/pwpolicy.h \
	auth/totp.c auth/totp.h \
	auth/webauthn.c auth/webauthn.h \
	auth/webauthn_key.c auth/webauthn_key.h
# ICU (a dependency of libxml2-dev) for NFKC and UTS #39 confusable checks.
CORE_LIBS += -licui18n -licuuc -licudata $(LDAP_LIBS) $(CBOR_LIBS)

# The common-password list is compiled in as a sorted C array.
EXTRA_DIST += etc/common-passwords.txt
CLEANFILES += auth/common_passwords.inc
auth/pwpolicy.$(OBJEXT): auth/common_passwords.inc
auth/common_passwords.inc: $(srcdir)/etc/common-passwords.txt
	$(AM_V_GEN)$(MKDIR_P) auth && grep -v '^#' $(srcdir)/etc/common-passwords.txt | \
	  tr 'A-Z' 'a-z' | LC_ALL=C sort -u | \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/.*/"&",/' > $@

check_PROGRAMS += tests/unit/check_totp tests/unit/check_jwt tests/unit/check_ident \
	tests/unit/check_ldapauth tests/unit/check_webauthn
tests_unit_check_totp_SOURCES = tests/unit/check_totp.c
tests_unit_check_totp_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_totp_LDADD = $(TEST_LIBS)
tests_unit_check_jwt_SOURCES = tests/unit/check_jwt.c
tests_unit_check_jwt_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_jwt_LDADD = $(TEST_LIBS)
tests_unit_check_ident_SOURCES = tests/unit/check_ident.c
tests_unit_check_ident_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_ident_LDADD = $(TEST_LIBS)
tests_unit_check_ldapauth_SOURCES = tests/unit/check_ldapauth.c
tests_unit_check_ldapauth_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_ldapauth_LDADD = $(TEST_LIBS)
tests_unit_check_webauthn_SOURCES = tests/unit/check_webauthn.c
tests_unit_check_webauthn_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_webauthn_LDADD = $(TEST_LIBS)
