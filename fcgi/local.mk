# fcgi/: plexichat.fcgi, the only code that knows libfcgi.
bin_PROGRAMS += plexichat.fcgi
plexichat_fcgi_SOURCES = \
	fcgi/main.c \
	fcgi/adapter.c fcgi/adapter.h \
	fcgi/app.c fcgi/app.h \
	fcgi/pipeline.c fcgi/pipeline.h \
	fcgi/router.c fcgi/router.h \
	fcgi/routes.c
plexichat_fcgi_LDADD = libhandlers.a libmodel.a $(CORE_LIBS) $(FCGI_LIBS)
