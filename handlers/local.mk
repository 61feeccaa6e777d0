# handlers/: libhandlers.a, thin HTTP glue per API area and per page (validated input, then model/, then JSON or a template), with the OpenAPI document and the unit tests that need the route table.
noinst_LIBRARIES += libhandlers.a
libhandlers_a_SOURCES = \
	handlers/system.c handlers/system.h \
	handlers/cluster.c handlers/cluster.h \
	handlers/admin_waf.c handlers/admin_waf.h \
	handlers/admin_compliance.c handlers/admin_compliance.h \
	handlers/admin_plugins.c handlers/admin_plugins.h \
	handlers/plugin_manage.c handlers/plugin_manage.h \
	handlers/auth.c handlers/auth.h \
	handlers/auth_invite.c \
	handlers/auth_ldap.c handlers/auth_ldap.h \
	handlers/auth_login.c \
	handlers/auth_mfa.c handlers/auth_mfa.h \
	handlers/auth_mfa_api.c \
	handlers/auth_mfa_step.c \
	handlers/auth_oidc.c \
	handlers/auth_passkey.c \
	handlers/auth_password.c \
	handlers/web_reset.c \
	handlers/notify.c handlers/notify.h \
	handlers/auth_register.c \
	handlers/auth_session.c handlers/auth_session.h \
	handlers/auth_sessions.c \
	handlers/auth_util.c handlers/auth_util.h \
	handlers/auth_webauthn.c handlers/auth_webauthn.h \
	handlers/users.c handlers/users_admin.c \
	handlers/channels_util.c handlers/channels_util.h \
	handlers/channels.c handlers/channels.h \
	handlers/events.c handlers/events.h \
	handlers/messages.c handlers/messages.h handlers/messages_react.c \
	handlers/files.c handlers/files.h handlers/files_upload.c handlers/files_resume.c \
	handlers/files_store.c handlers/files_store.h handlers/files_util.c handlers/files_util.h \
	handlers/files_scan.c handlers/files_scan.h handlers/files_clamd.c handlers/files_clamd.h \
	handlers/files_image.c handlers/files_image.h handlers/files_sign.c handlers/files_sign.h \
	handlers/avatars.c handlers/avatars.h \
	handlers/plugin_host.c handlers/plugin_host.h \
	handlers/plugin_events.c handlers/plugin_events.h \
	handlers/msg.h \
	handlers/notifications.c handlers/notifications.h \
	handlers/search.c handlers/search.h \
	handlers/web.c handlers/web.h \
	handlers/web_util.c handlers/web_util.h \
	handlers/web_view.c handlers/web_view.h \
	handlers/web_chat.c handlers/web_chat.h \
	handlers/web_attach.c handlers/web_attach.h handlers/web_files.c \
	handlers/web_msg.c handlers/web_search.c handlers/web_settings.c handlers/web_admin.c \
	handlers/web_passkey.c \
	handlers/hooks.c handlers/hooks.h handlers/hooks_out.c \
	handlers/hooks_send.c handlers/hooks_send.h \
	handlers/unfurl.c handlers/unfurl.h \
	handlers/user_export.c handlers/user_export.h \
	handlers/hooks_slack.c handlers/hooks_slack.h \
	handlers/commands.c handlers/commands.h \
	handlers/ai.c handlers/ai.h handlers/ai_admin.c handlers/ai_svc.c handlers/ai_svc.h \
	handlers/ai_embed.c handlers/ai_embed.h handlers/ai_recheck.c handlers/ai_recheck.h handlers/ai_ann.c handlers/ai_ann.h handlers/web_ai.c \
	handlers/people.c handlers/people.h handlers/web_people.c handlers/web_emoji.c

# Tests that drive handlers directly; check_perm and check_waf_routes also
# compile the route table, to check every route's policy columns.
# files_image.c works through libvips: its flags are the build's, its
# libraries go on every link line that takes libhandlers.a.
AM_CFLAGS += $(VIPS_CFLAGS)
HANDLER_TEST_LIBS = libhandlers.a libmodel.a libai.a libstorage.a $(PLUGIN_LIBS) $(TEST_LIBS) $(VIPS_LIBS)
check_PROGRAMS += tests/unit/check_files_util
tests_unit_check_files_util_SOURCES = tests/unit/check_files_util.c
tests_unit_check_files_util_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_files_util_LDADD = $(HANDLER_TEST_LIBS)
check_PROGRAMS += tests/unit/check_files_sign
tests_unit_check_files_sign_SOURCES = tests/unit/check_files_sign.c
tests_unit_check_files_sign_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_files_sign_LDADD = $(HANDLER_TEST_LIBS)
check_PROGRAMS += tests/unit/check_files_scan
tests_unit_check_files_scan_SOURCES = tests/unit/check_files_scan.c
tests_unit_check_files_scan_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_files_scan_LDADD = $(HANDLER_TEST_LIBS)
check_PROGRAMS += tests/unit/check_msg tests/unit/check_web \
	tests/unit/check_perm tests/unit/check_waf_routes
tests_unit_check_msg_SOURCES = tests/unit/check_msg.c
tests_unit_check_msg_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_msg_LDADD = $(HANDLER_TEST_LIBS)
tests_unit_check_web_SOURCES = tests/unit/check_web.c
tests_unit_check_web_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_web_LDADD = $(HANDLER_TEST_LIBS)
tests_unit_check_perm_SOURCES = tests/unit/check_perm.c fcgi/routes.c fcgi/router.c
tests_unit_check_perm_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_perm_LDADD = $(HANDLER_TEST_LIBS)
tests_unit_check_waf_routes_SOURCES = tests/unit/check_waf_routes.c fcgi/routes.c fcgi/router.c
tests_unit_check_waf_routes_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_waf_routes_LDADD = $(HANDLER_TEST_LIBS)
check_PROGRAMS += tests/unit/check_hooks
tests_unit_check_hooks_SOURCES = tests/unit/check_hooks.c
tests_unit_check_hooks_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_hooks_LDADD = $(HANDLER_TEST_LIBS)
check_PROGRAMS += tests/unit/check_files_clamd
tests_unit_check_files_clamd_SOURCES = tests/unit/check_files_clamd.c
tests_unit_check_files_clamd_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_files_clamd_LDADD = $(HANDLER_TEST_LIBS)

# The schema module of the OpenAPI description (handlers/api_schema.py),
# compiled into plexichat.fcgi as JSON; fcgi/openapi.c joins it with the
# route table.
EXTRA_DIST += handlers/api_schema.py
CLEANFILES += handlers/api_schema.inc
handlers/api_schema.inc: $(srcdir)/handlers/api_schema.py
	$(AM_V_GEN)$(MKDIR_P) handlers && python3 $(srcdir)/handlers/api_schema.py --c $@
