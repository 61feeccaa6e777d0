# core/: libplexi.a, the runtime every program and test links (buffers, errors, config, logging, database, HTTP parsing, media types, text codecs, metrics, crypto primitives, the WebSocket wire format); it includes nothing outside core/ and knows nothing of libfcgi.
noinst_LIBRARIES += libplexi.a
libplexi_a_SOURCES = \
	core/audit.c core/audit.h \
	core/buf.c core/buf.h \
	core/cfg.c core/cfg.h core/cfg_keys.def \
	core/codec.c core/codec.h \
	core/crypto.c core/crypto.h \
	core/ctx.c core/ctx.h \
	core/db.c core/db.h \
	core/dirs.c core/dirs.h \
	core/err.c core/err.h core/errors.def \
	core/gen.c core/gen.h \
	core/htmlmeta.c core/htmlmeta.h \
	core/http.c core/http.h \
	core/log.c core/log.h \
	core/mail.c core/mail.h \
	core/mediatype.c core/mediatype.h \
	core/memtrim.c core/memtrim.h \
	core/node.c core/node.h \
	core/metrics.c core/metrics.h \
	core/multipart.c core/multipart.h \
	core/migrate.c core/migrate.h \
	core/path.c core/path.h \
	core/ratelease.c core/ratelease.h \
	core/tlscert.c core/tlscert.h \
	core/safefetch.c core/safefetch.h \
	core/snap.c core/snap.h \
	core/utf8.c core/utf8.h \
	core/vcache.c core/vcache.h \
	core/webpush.c core/webpush.h \
	core/wsproto.c core/wsproto.h
