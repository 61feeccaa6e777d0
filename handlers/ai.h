/* ai.h: the /api/v1/ai handlers (catch-up summaries, ask, translate,
 * settings, recommendations), the admin AI handlers (audit export, review
 * queue, insights, status) and the moderation step of posting. */
#ifndef PX_H_AI_H
#define PX_H_AI_H

#include "core/ctx.h"

enum px_err px_h_ai_summary(struct px_ctx *ctx);
enum px_err px_h_ai_ask(struct px_ctx *ctx);
enum px_err px_h_ai_translate(struct px_ctx *ctx);
enum px_err px_h_ai_channel_settings_get(struct px_ctx *ctx);
enum px_err px_h_ai_channel_settings_put(struct px_ctx *ctx);
enum px_err px_h_ai_settings_get(struct px_ctx *ctx);
enum px_err px_h_ai_settings_put(struct px_ctx *ctx);
enum px_err px_h_ai_recommendations(struct px_ctx *ctx);
enum px_err px_h_admin_ai_audit(struct px_ctx *ctx);
enum px_err px_h_admin_ai_review_list(struct px_ctx *ctx);
enum px_err px_h_admin_ai_review_decide(struct px_ctx *ctx);
enum px_err px_h_admin_ai_insights(struct px_ctx *ctx);
enum px_err px_h_admin_ai_status(struct px_ctx *ctx);

/* Moderation of a post in channel, before it is stored. *verdict gets
 * the outcome; *mode the channel's mode. AI_MODERATION_BLOCKED when the
 * mode is block and a rule matched. Built-in rules only, in-process: a
 * post never waits on a remote provider. */
struct px_ai_verdict;
enum px_err px_h_ai_moderate_post(struct px_ctx *ctx, long long channel, const char *body,
				  struct px_ai_verdict *verdict, char mode[8])
	__attribute__((warn_unused_result));
/* After moderation said hold: stores the post for review and answers 202
 * {"held":true,"review_id":id}. An "unchecked" one (its provider did not
 * answer in time) is also queued for handlers/ai_recheck.h. */
enum px_err px_h_ai_hold_post(struct px_ctx *ctx, long long channel, long long thread_root,
			      const char *body, const struct px_ai_verdict *v)
	__attribute__((warn_unused_result));
/* The verdict in a moderation provider's answer: "FLAG category" sets
 * v (hit, category, match = provider); anything else leaves it. */
void px_h_ai_verdict_of(const char *answer, const char *provider, struct px_ai_verdict *v)
	__attribute__((nonnull(2, 3)));
/* After a flagged post was stored (out: its JSON): queues it for review;
 * an "unchecked" one (its provider did not answer in time) also for
 * handlers/ai_recheck.h. */
void px_h_ai_flag_post(struct px_ctx *ctx, long long channel, const char *body,
		       const struct px_buf *out, const struct px_ai_verdict *v);

/* Posts the held post of review entry rid (already marked approved, en
 * filled by px_m_ai_mod_decide) as its author, a reply when it was one,
 * and links the entry to the message; msg gets the message's JSON. */
struct px_m_ai_mod_entry;
enum px_err px_h_ai_post_held(struct px_ctx *ctx, long long rid,
			      const struct px_m_ai_mod_entry *en, struct px_buf *msg)
	__attribute__((nonnull, warn_unused_result));

#endif
