# model/: libmodel.a, the only place SQL text appears: one file per entity with its named, parameterised statements, and rows.c for the helpers they share.
noinst_LIBRARIES += libmodel.a
libmodel_a_SOURCES = \
	model/rows.c model/rows.h \
	model/compliance.c model/compliance.h \
	model/notify.c model/notify.h model/notify_run.c model/notify_run.h \
	model/auth_invites.c model/auth_invites.h \
	model/auth_ldap.c model/auth_ldap.h \
	model/auth_limits.c model/auth_limits.h \
	model/auth_mfa.c model/auth_mfa.h \
	model/auth_oidc.c model/auth_oidc.h \
	model/channels.c model/channels.h \
	model/events.c model/events.h \
	model/messages.c model/messages.h \
	model/hooks.c model/hooks.h \
	model/previews.c model/previews.h \
	model/user_export.c model/user_export.h \
	model/commands.c model/commands.h \
	model/files.c model/files.h model/files_gc.c model/files_gc.h \
	model/images.c model/images.h \
	model/nodes.c model/nodes.h \
	model/notifications.c model/notifications.h \
	model/search.c model/search.h \
	model/sessions.c model/sessions.h \
	model/system.c model/system.h \
	model/users.c model/users.h \
	model/people.c model/people.h \
	model/waf.c model/waf.h \
	model/web_admin.c model/web_admin.h \
	model/web_prefs.c model/web_prefs.h \
	model/webauthn.c model/webauthn.h \
	model/ai.c model/ai.h \
	model/ai_ann.c model/ai_ann.h
