# handlers/auth.mk: the auth area's core, model, handler and test sources (owned by that area's work).
libplexi_a_SOURCES += \
	core/crypto.c core/crypto.h \
	core/ident.c core/ident.h \
	core/jwt.c core/jwt.h \
	core/mail.c core/mail.h \
	core/oidc.c core/oidc.h \
	core/perm.c core/perm.h \
	core/pwpolicy.c core/pwpolicy.h \
	core/totp.c core/totp.h
libmodel_a_SOURCES += \
	model/auth_invites.c model/auth_invites.h \
	model/auth_limits.c model/auth_limits.h \
	model/auth_mfa.c model/auth_mfa.h \
	model/auth_oidc.c model/auth_oidc.h \
	model/sessions.c model/sessions.h
libhandlers_a_SOURCES += \
	handlers/auth.c handlers/auth.h \
	handlers/auth_invite.c \
	handlers/auth_login.c \
	handlers/auth_mfa.c handlers/auth_mfa.h \
	handlers/auth_mfa_api.c \
	handlers/auth_oidc.c \
	handlers/auth_password.c \
	handlers/auth_sessions.c \
	handlers/auth_register.c \
	handlers/auth_session.c handlers/auth_session.h \
	handlers/auth_util.c handlers/auth_util.h \
	handlers/users.c handlers/users_admin.c
# ICU (a dependency of libxml2-dev) for NFKC and UTS #39 confusable checks.
CORE_LIBS += -licui18n -licuuc -licudata

# The common-password list is compiled in as a sorted C array.
EXTRA_DIST += etc/common-passwords.txt
CLEANFILES += core/common_passwords.inc
core/pwpolicy.$(OBJEXT): core/common_passwords.inc
core/common_passwords.inc: $(srcdir)/etc/common-passwords.txt
	$(AM_V_GEN)$(MKDIR_P) core && grep -v '^#' $(srcdir)/etc/common-passwords.txt | \
	  tr 'A-Z' 'a-z' | LC_ALL=C sort -u | \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/.*/"&",/' > $@

check_PROGRAMS += tests/unit/check_crypto tests/unit/check_totp tests/unit/check_perm tests/unit/check_jwt
tests_unit_check_crypto_SOURCES = tests/unit/check_crypto.c
tests_unit_check_crypto_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_crypto_LDADD = $(TEST_LIBS)
tests_unit_check_totp_SOURCES = tests/unit/check_totp.c
tests_unit_check_totp_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_totp_LDADD = $(TEST_LIBS)
tests_unit_check_perm_SOURCES = tests/unit/check_perm.c fcgi/routes.c fcgi/router.c
tests_unit_check_perm_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_perm_LDADD = libhandlers.a libmodel.a $(TEST_LIBS)
tests_unit_check_jwt_SOURCES = tests/unit/check_jwt.c
tests_unit_check_jwt_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_jwt_LDADD = $(TEST_LIBS)
