/* plugin_host.h: the plugins one plexichat.fcgi process runs. It follows
 * the enabled set in PostgreSQL (checked at most every two seconds),
 * loads in-process modules and starts out-of-process plugins when first
 * needed, and runs their hooks with the permissions an admin granted and
 * only in the channels they are enabled in. A plugin that fails five
 * times in a row is disabled, with the reason in its status. */
#ifndef PX_H_PLUGIN_HOST_H
#define PX_H_PLUGIN_HOST_H

#include "core/buf.h"
#include "core/db.h"
#include "core/err.h"

struct px_plugin_host;

/* An empty host; user: the account out-of-process plugins run as when
 * PlexiChat runs as root (NULL: nobody); db_conninfo: PlexiChat's own
 * (db_conninfo), whose host, port and database a plugin with the
 * "storage" grant is told to reach its data at (NULL: none). NULL on no
 * memory. */
struct px_plugin_host *px_plugin_host_new(const char *user, const char *db_conninfo)
	__attribute__((warn_unused_result));

/* Stops every plugin process and unloads every module; NULL is fine. */
void px_plugin_host_free(struct px_plugin_host *h);

/* Runs the "message.before_store" hooks for a message of author in
 * channel, in name order, each seeing the body the one before left. out
 * gets the body to store when a plugin changed it (empty: unchanged).
 * PLUGIN_REJECTED with the plugin's reason in reason, PLUGIN_UNAVAILABLE
 * when a plugin declared failure "closed" could not answer; a failing
 * plugin with failure "open" is skipped (logged). */
enum px_err px_plugin_host_before_store(struct px_plugin_host *h, struct px_db *db,
					long long channel, long long author, const char *body,
					struct px_buf *out, struct px_buf *reason)
	__attribute__((nonnull, warn_unused_result));

/* 1 when an enabled plugin declared hook (enum px_pl_hook): callers skip
 * the work of hooks nobody has. */
int px_plugin_host_wants(struct px_plugin_host *h, struct px_db *db, int hook)
	__attribute__((nonnull));

/* Which plugin a call is for: the one named (an event delivery), or the
 * first by name that declared hook with arg ("command:/poll": hook
 * PX_PL_HOOK_COMMAND, arg "poll"); either way one enabled in channel and
 * granted the permissions the hook needs. */
struct px_plugin_target {
	const char *name;          /* NULL: look it up by hook and arg */
	int hook;                  /* enum px_pl_hook */
	const char *arg;
	long long channel;         /* 0: a call of no channel (schedule) */
};

/* What a call found: the plugin's name and granted permission bits. */
struct px_plugin_callee {
	char name[48];
	unsigned granted;
};

enum px_plugin_call {
	PX_PLUGIN_ANSWERED,        /* reply holds its answer (one JSON object) */
	PX_PLUGIN_NONE,            /* no such plugin enabled here: nothing to do */
	PX_PLUGIN_FAILED,          /* it failed (counted, logged) or waits out a backoff */
};

/* Sends request (a JSON object) to the process plugin t names and puts
 * its answer in reply. In-process modules (ABI 1) have only the
 * before-store hook. */
enum px_plugin_call px_plugin_host_call(struct px_plugin_host *h, struct px_db *db,
					const struct px_plugin_target *t, const char *request,
					struct px_buf *reply, struct px_plugin_callee *who)
	__attribute__((nonnull, warn_unused_result));

#endif
