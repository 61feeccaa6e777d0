# ws/: plexichat-ws, the WebSocket side of the event stream: one epoll thread that takes the upgrades the web server passes through and runs them, and the clients' frames, through the fcgi/ pipeline (ws/wsd.h).
bin_PROGRAMS += plexichat-ws
plexichat_ws_SOURCES = \
	ws/main.c \
	ws/wsd.c ws/wsd.h \
	ws/wsd_conn.c ws/wsd_conn.h \
	ws/wsd_events.c ws/wsd_events.h \
	ws/wsd_frames.c ws/wsd_frames.h \
	ws/wsd_work.c ws/wsd_work.h \
	fcgi/app.c fcgi/app.h \
	fcgi/authmw.c fcgi/authmw.h \
	fcgi/pipeline.c fcgi/pipeline.h \
	fcgi/router.c fcgi/router.h \
	fcgi/wafmw.c fcgi/wafmw.h \
	fcgi/routes.c fcgi/routes_decl.h
plexichat_ws_LDADD = libhandlers.a libmodel.a libai.a libstorage.a $(PLUGIN_LIBS) $(CORE_LIBS) $(FCGI_LIBS) $(VIPS_LIBS)
