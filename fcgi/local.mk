# fcgi/: plexichat.fcgi, the only code that knows libfcgi.
bin_PROGRAMS += plexichat.fcgi
plexichat_fcgi_SOURCES = \
	fcgi/main.c \
	fcgi/adapter.c fcgi/adapter.h \
	fcgi/app.c fcgi/app.h \
	fcgi/authmw.c fcgi/authmw.h \
	fcgi/pipeline.c fcgi/pipeline.h \
	fcgi/router.c fcgi/router.h \
	fcgi/wafmw.c fcgi/wafmw.h \
	fcgi/routes.c fcgi/routes_decl.h \
	fcgi/routes_auth.inc fcgi/routes_msg.inc fcgi/routes_web.inc fcgi/routes_admin.inc
plexichat_fcgi_LDADD = libhandlers.a libmodel.a $(CORE_LIBS) $(FCGI_LIBS)
