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
 * PlexiChat runs as root (NULL: nobody). NULL on no memory. */
struct px_plugin_host *px_plugin_host_new(const char *user) __attribute__((warn_unused_result));

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

#endif
