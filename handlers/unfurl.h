/* unfurl.h: link previews. The sender threads of the outgoing webhooks
 * run each message's unfurl job (handlers/hooks_send.c); channel managers
 * switch previews per channel and authors remove their message's preview
 * over the API. docs/INTEGRATIONS.md "Link previews". */
#ifndef PX_H_UNFURL_H
#define PX_H_UNFURL_H

#include <stddef.h>

#include "core/ctx.h"

struct px_db;
struct px_cfg;

enum px_unfurl_outcome {
	PX_UNFURL_DONE,      /* preview stored, cleared, or none wanted */
	PX_UNFURL_RETRY,     /* the database failed: run the job again later */
};

/* Runs the unfurl job of message id: finds the first web link of its
 * rendering, takes the link's preview from the cache or fetches the page
 * through core/safefetch (outbound_allow_private, link_preview_max_bytes,
 * link_preview_timeout_ms, hooks_max_redirects; only text/html and
 * application/xhtml+xml with a 2xx status), reads it (core/htmlmeta) and
 * stores the preview on the message, which emits message.updated. A page
 * that cannot be fetched, is too large or too slow, or says nothing gives
 * no preview. why (wlen bytes) gets what happened, for the job's log. */
enum px_unfurl_outcome px_unfurl_run(struct px_db *db, const struct px_cfg *cfg, long long id,
				     char *why, size_t wlen) __attribute__((nonnull));

/* 1 when url has the origin (scheme, host and port) of public_url: such
 * an image may be shown in PlexiChat's own pages, whose CSP allows
 * images from 'self' only. */
int px_unfurl_same_origin(const struct px_cfg *cfg, const char *url) __attribute__((nonnull));

/* DELETE /api/v1/channels/{id}/messages/{mid}/preview: the author's. */
enum px_err px_h_unfurl_remove(struct px_ctx *ctx);
/* GET and PUT /api/v1/channels/{id}/link-previews: {"enabled": b}; PUT
 * by channel managers. */
enum px_err px_h_unfurl_channel_get(struct px_ctx *ctx);
enum px_err px_h_unfurl_channel_put(struct px_ctx *ctx);

#endif
