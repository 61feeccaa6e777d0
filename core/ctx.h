/* ctx.h: what a handler is given for one request. Built by the pipeline in
 * fcgi/; handlers read it and fill the response or return an error code.
 * Handlers never write error bodies themselves. */
#ifndef PX_CTX_H
#define PX_CTX_H

#include "core/buf.h"
#include "core/err.h"
#include "core/http.h"
#include "core/path.h"

struct px_db;
struct px_cfg;
struct px_app;
struct px_tmpl_cache;
struct px_vcache;
struct px_plugin_host;

/* System roles, in increasing order of power. */
enum px_role {
	PX_ROLE_ANON = 0,
	PX_ROLE_GUEST,
	PX_ROLE_MEMBER,
	PX_ROLE_MODERATOR,
	PX_ROLE_ADMIN,
	PX_ROLE_OWNER,
};

/* Channel roles, in increasing order of power. */
enum px_chan_role {
	PX_CHAN_NONE = 0,     /* not a member */
	PX_CHAN_MEMBER,
	PX_CHAN_MODERATOR,
	PX_CHAN_OWNER,
};

/* A user's standing in one channel (model/channels.h decides with it). */
struct px_chan_access {
	long long channel_id;
	char kind[8];        /* public, private, dm, group */
	int archived;
	enum px_chan_role role; /* the user's channel role */
	enum px_role sys;       /* the user's system role */
	long long head;         /* id of the channel's newest event; 0: none yet */
};

/* The authenticated principal; user_id 0 means anonymous. */
struct px_principal {
	long long user_id;
	enum px_role role;
	char username[64];
	long long session_id;   /* 0 when authenticated by a token */
	int via_cookie;         /* 1: browser session cookie (CSRF applies) */
	unsigned scopes;        /* personal access token scopes; ~0u for sessions */
};

struct px_ctx {
	struct px_request *req;
	struct px_response *resp;
	struct px_db *db;             /* this worker's connection */
	const struct px_cfg *cfg;     /* snapshot for this request */
	struct px_app *app;           /* long-lived shared objects */
	struct px_tmpl_cache *tmpl;   /* shared page templates (web/tmpl.h) */
	struct px_vcache *pages;      /* shared latest pages of channels (core/vcache.h) */
	struct px_plugin_host *plugins; /* enabled plugins (handlers/plugin_host.h); NULL: none */
	struct px_path path;          /* the route's typed parameters, set by the
				       * router; freed by the pipeline (core/path.h) */
	struct px_principal who;
	struct px_chan_access chan;   /* who's standing in the route's channel, read
				       * with the session; channel_id 0: not read */
	int loopback;                 /* request came from 127.0.0.0/8 or ::1 */
	char client_ip[64];           /* client address, behind trusted proxies */
	int stopping;                 /* the process is shutting down */
	struct px_buf details;        /* JSON object text for error details */
};

typedef enum px_err (*px_handler_fn)(struct px_ctx *ctx);

/* Sets a one-field details object, e.g. px_ctx_detail(ctx, "field", "email"). */
void px_ctx_detail(struct px_ctx *ctx, const char *key, const char *value)
	__attribute__((nonnull));
/* Replies 200/201 with a JSON object built by json-c; takes ownership (puts
 * obj). obj NULL (a failed json-c allocation) gives SYSTEM_INTERNAL. */
enum px_err px_ctx_json(struct px_ctx *ctx, int status, struct json_object *obj)
	__attribute__((nonnull(1)));

#endif
