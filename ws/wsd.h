/* wsd.h: plexichat-ws, the WebSocket side of the event stream.
 *
 * One thread and one epoll set hold every socket. The web server passes
 * the upgrade request through (lighttpd mod_proxy with upgrade enabled,
 * Apache mod_proxy_wstunnel) on a unix socket; the request runs through
 * the same pipeline as in plexichat.fcgi (WAF, cookie or bearer token,
 * rate limit, route GET /api/v1/events/ws: fcgi/events_ws.h), so every
 * rule of the HTTP side holds. Afterwards one PostgreSQL connection
 * LISTENs (events, typing, auth changes) and serves the loop; the frames'
 * requests run on a worker thread with a connection of its own
 * (ws/wsd_work.h), so that their commits never stall the loop.
 *
 * Every event goes out as one text frame holding the event's JSON, the
 * same object SSE sends as data; a client resumes with ?last_event_id=N.
 * Client frames {"type":"typing"|"read",...} are run as the HTTP routes
 * they stand for (POST .../typing, PUT .../read-marker), through the
 * pipeline again: the WAF judges each frame, the handler validates it.
 * docs/API.md describes the protocol and its close codes. */
#ifndef PX_WSD_H
#define PX_WSD_H

#include "core/buf.h"
#include "fcgi/app.h"

struct px_wsd;

/* Listens on path (a unix socket, mode 0666: its folder guards it) for
 * app's configuration; NULL with the reason in err. */
struct px_wsd *px_wsd_new(struct px_app *app, const char *path, const char *conninfo,
			  struct px_buf *err) __attribute__((nonnull, warn_unused_result));
/* Serves until SIGTERM or SIGINT (SIGHUP reloads the configuration);
 * then closes every socket with 1001. 0, or -1 when the loop failed. */
int px_wsd_run(struct px_wsd *d) __attribute__((nonnull));
void px_wsd_free(struct px_wsd *d);

#endif
