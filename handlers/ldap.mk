# handlers/ldap.mk: LDAP login: core/ldapauth (libldap), model/auth_ldap,
# handlers/auth_ldap, and the unit test of filter escaping and role maps.
AM_CFLAGS += $(LDAP_CFLAGS)
CORE_LIBS += $(LDAP_LIBS)
libplexi_a_SOURCES += core/ldapauth.c core/ldapauth.h
libmodel_a_SOURCES += model/auth_ldap.c model/auth_ldap.h
libhandlers_a_SOURCES += handlers/auth_ldap.c handlers/auth_ldap.h

check_PROGRAMS += tests/unit/check_ldapauth
tests_unit_check_ldapauth_SOURCES = tests/unit/check_ldapauth.c
tests_unit_check_ldapauth_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_ldapauth_LDADD = $(TEST_LIBS)
