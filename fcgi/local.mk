# fcgi/: plexichat.fcgi, the only code that knows libfcgi: main, workers, the adapter, router, route table, the middleware pipeline and event streaming.
bin_PROGRAMS += plexichat.fcgi
plexichat_fcgi_SOURCES = \
	fcgi/main.c \
	fcgi/ai_worker.c fcgi/ai_worker.h \
	fcgi/adapter.c fcgi/adapter.h \
	fcgi/app.c fcgi/app.h \
	fcgi/notifier.c fcgi/notifier.h \
	fcgi/heartbeat.c fcgi/heartbeat.h \
	fcgi/authmw.c fcgi/authmw.h \
	fcgi/pipeline.c fcgi/pipeline.h \
	fcgi/router.c fcgi/router.h \
	fcgi/wafmw.c fcgi/wafmw.h \
	fcgi/routes.c fcgi/routes_decl.h \
	fcgi/routes_auth.inc fcgi/routes_msg.inc fcgi/routes_web.inc fcgi/routes_admin.inc \
	fcgi/routes_hooks.inc fcgi/hooks_worker.c fcgi/hooks_worker.h fcgi/routes_ai.inc \
	fcgi/routes_people.inc
plexichat_fcgi_LDADD = libhandlers.a libmodel.a libai.a libstorage.a $(PLUGIN_LIBS) $(CORE_LIBS) \
	$(FCGI_LIBS) $(VIPS_LIBS)

# The event hub and stream and the OpenAPI generator are fcgi/ code; they
# ride in libhandlers.a so that check_msg can drive the hub, and the tests
# that compile the route table can link, without plexichat.fcgi's main().
libhandlers_a_SOURCES += fcgi/openapi.c fcgi/openapi.h \
	fcgi/events_hub.c fcgi/events_hub.h fcgi/events_stream.c fcgi/events_stream.h \
	fcgi/events_ws.c fcgi/events_ws.h \
	fcgi/records.c fcgi/records.h fcgi/waker.c fcgi/waker.h

# The OpenAPI description is generated from the route table; the build
# writes it to docs/_generated/openapi.json for the documentation site.
fcgi/openapi.$(OBJEXT): handlers/api_schema.inc
all-local: docs/_generated/openapi.json
docs/_generated/openapi.json: plexichat.fcgi
	$(AM_V_GEN)$(MKDIR_P) docs/_generated && ./plexichat.fcgi --openapi > $@.tmp && mv $@.tmp $@
CLEANFILES += docs/_generated/openapi.json
