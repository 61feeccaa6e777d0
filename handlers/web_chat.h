/* web_chat.h: what the chat page handlers (web_chat.c, web_msg.c) share:
 * finding the channel of a /c/{channel} path, the channel page itself and
 * the fragment of one message. */
#ifndef PX_H_WEB_CHAT_H
#define PX_H_WEB_CHAT_H

#include "core/ctx.h"
#include "model/channels.h"

struct json_object;

/* Finds route parameter "channel" (a channel name, or an id) among mine
 * (the user's channels, borrowed) or the public channels, checks that the
 * user may read it (*a, when not NULL, gets the user's standing), loads it
 * into *chan (caller puts it) and sets route parameter "id" for the API
 * handlers. VALIDATION_NOT_FOUND when the user may not know of it; other
 * errors as px_m_channels_authorize. */
enum px_err px_web_chat_resolve(struct px_ctx *ctx, struct json_object *mine,
				struct json_object **chan, struct px_chan_access *a)
	__attribute__((warn_unused_result));

/* Renders the channel page (thread: the root id of the open thread
 * panel, or 0) with d's keys added (draft, compose_error, preview, ...);
 * takes ownership of d. */
enum px_err px_web_chat_page(struct px_ctx *ctx, int status, long long thread,
			     struct json_object *d) __attribute__((warn_unused_result));

/* Renders message msg (model JSON, borrowed) of channel chan as the
 * part/message fragment the script puts into the page. */
enum px_err px_web_message_fragment(struct px_ctx *ctx, struct json_object *chan,
				    struct json_object *msg, int status)
	__attribute__((warn_unused_result));

#endif
