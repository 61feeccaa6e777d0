/* model/ai.h: SQL of the AI features: channel and user AI settings, the
 * channel's remote-provider policy with every member's consent, daily
 * usage for budgets, the audit, the messages a task may read (always
 * limited to what the requester may read, in the statement itself), the
 * embeddings and their queue, the moderation queue, and the insights. */
#ifndef PX_M_AI_H
#define PX_M_AI_H

#include "core/buf.h"
#include "core/db.h"
#include "core/err.h"

/* A channel's AI policy. */
struct px_m_ai_policy {
	char kind[8];           /* public, private, dm, group */
	int enabled;            /* AI features allowed in the channel */
	int remote;             /* the channel allows remote providers */
	int all_consent;        /* every member has remote_ok */
	char moderation[8];     /* off, flag, hold, block */
};

enum px_err px_m_ai_policy(struct px_db *db, long long channel, struct px_m_ai_policy *p)
	__attribute__((nonnull, warn_unused_result));
/* The channel's moderation mode (off, flag, hold, block) into mode[8];
 * the one read posting adds. */
enum px_err px_m_ai_moderation_mode(struct px_db *db, long long channel, char *mode)
	__attribute__((nonnull, warn_unused_result));
/* {"channel_id","enabled","remote","moderation"} */
enum px_err px_m_ai_channel_get(struct px_db *db, long long channel, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));
/* Sets the three settings (moderation already validated). */
enum px_err px_m_ai_channel_put(struct px_db *db, long long channel, int enabled, int remote,
				const char *moderation, long long by)
	__attribute__((nonnull, warn_unused_result));
/* {"remote_ok":b} */
enum px_err px_m_ai_user_get(struct px_db *db, long long user, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));
enum px_err px_m_ai_user_put(struct px_db *db, long long user, int remote_ok)
	__attribute__((nonnull, warn_unused_result));

/* Today's (UTC day) usage from the audit. */
struct px_m_ai_usage {
	long long user_tokens, channel_tokens, instance_tokens;
	double user_cost, channel_cost, instance_cost;
};
enum px_err px_m_ai_usage(struct px_db *db, long long user, long long channel,
			  struct px_m_ai_usage *u) __attribute__((nonnull, warn_unused_result));

struct px_m_ai_audit {
	long long user, channel;       /* channel 0: none */
	const char *feature, *provider, *model, *status, *sha256;
	const char *payload;           /* NULL: not kept */
	int remote, redactions;
	long tokens_in, tokens_out, duration_ms;
	double cost;
};
enum px_err px_m_ai_audit_add(struct px_db *db, const struct px_m_ai_audit *a)
	__attribute__((nonnull, warn_unused_result));
/* Audit rows with id > after (at most limit), one JSON object a line. */
enum px_err px_m_ai_audit_export(struct px_db *db, long long after, int limit, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));

/* Messages handed to a task. Strings point into the result; free with
 * px_m_ai_rows_free. */
struct px_m_ai_msg {
	long long id, channel;
	const char *author, *body;
	float score;
};
struct px_m_ai_rows {
	void *res;
	size_t n;
	struct px_m_ai_msg *v;
};
void px_m_ai_rows_free(struct px_m_ai_rows *r) __attribute__((nonnull));
/* A channel's top-level messages after user's read marker (unread_only),
 * else its latest; at most limit, oldest first. */
enum px_err px_m_ai_channel_msgs(struct px_db *db, long long channel, long long user,
				 int unread_only, int limit, struct px_m_ai_rows *r)
	__attribute__((nonnull, warn_unused_result));
/* A thread: its root and replies, oldest first; VALIDATION_NOT_FOUND
 * when root is not a live top-level message of channel. */
enum px_err px_m_ai_thread_msgs(struct px_db *db, long long channel, long long root, int limit,
				struct px_m_ai_rows *r) __attribute__((nonnull, warn_unused_result));
/* One live message of channel. */
enum px_err px_m_ai_message(struct px_db *db, long long channel, long long id,
			    struct px_m_ai_rows *r) __attribute__((nonnull, warn_unused_result));
/* The messages with these ids that user may read (member of the channel),
 * in any order. */
enum px_err px_m_ai_readable(struct px_db *db, long long user, const long long *ids, size_t n,
			     struct px_m_ai_rows *r) __attribute__((nonnull, warn_unused_result));
/* Full-text candidates: ids (> floor) of messages user may read matching
 * any of the words (newline-separated), best first among the newest 200
 * such messages. */
enum px_err px_m_ai_fts(struct px_db *db, long long user, const char *words, const char *lang,
			long long floor, int limit, long long *ids, size_t *n)
	__attribute__((nonnull, warn_unused_result));

/* --- embeddings ---------------------------------------------------------- */

/* Takes up to limit messages off the queue (skipping rows another worker
 * holds); r gets the live ones (id, channel, body). Run inside a
 * transaction with the store that follows. */
enum px_err px_m_ai_queue_take(struct px_db *db, int limit, struct px_m_ai_rows *r)
	__attribute__((nonnull, warn_unused_result));
/* Stores n vectors of model (dim int8 components each, back to back in
 * vecs); the dimension is recorded beside each. */
enum px_err px_m_ai_embed_store(struct px_db *db, const char *model, const long long *ids,
				const long long *channels, const signed char *vecs, int dim,
				size_t n) __attribute__((nonnull, warn_unused_result));
/* The id below the newest window message ids (0 when window <= 0 or
 * there are fewer): the floor of ask's searches. */
enum px_err px_m_ai_floor(struct px_db *db, long window, long long *floor)
	__attribute__((nonnull, warn_unused_result));
/* Calls fn for each stored vector of model and dimension dim in the
 * channels user may read whose message id is above floor. */
typedef void (*px_m_ai_vec_fn)(void *arg, long long id, const signed char *v, int dim);
enum px_err px_m_ai_vectors(struct px_db *db, long long user, const char *model, int dim,
			    long long floor, px_m_ai_vec_fn fn, void *arg)
	__attribute__((nonnull(1, 3, 6), warn_unused_result));
/* *yes = 1 when a channel user may read holds a vector of model. */
enum px_err px_m_ai_has_vectors(struct px_db *db, long long user, const char *model, int *yes)
	__attribute__((nonnull, warn_unused_result));
/* Calls fn once for every (channel, model) pair the stored vectors have. */
typedef void (*px_m_ai_chan_model_fn)(void *arg, long long channel, const char *model);
enum px_err px_m_ai_embed_channels(struct px_db *db, px_m_ai_chan_model_fn fn, void *arg)
	__attribute__((nonnull(1, 2), warn_unused_result));
/* Queues again every message of channel whose vector is not of model;
 * *n (may be NULL) gets how many were queued. */
enum px_err px_m_ai_embed_requeue(struct px_db *db, long long channel, const char *model,
				  long *n) __attribute__((nonnull(1, 3), warn_unused_result));
/* Messages waiting in the queue. */
enum px_err px_m_ai_queue_len(struct px_db *db, long long *n) __attribute__((nonnull, warn_unused_result));

/* --- moderation ------------------------------------------------------------ */

struct px_m_ai_mod {
	long long channel, author, message, thread_root;  /* message 0: held */
	const char *body, *action, *category, *match;
	int recheck;            /* 1: the moderation provider is to be asked again */
};
enum px_err px_m_ai_mod_add(struct px_db *db, const struct px_m_ai_mod *m, long long *id)
	__attribute__((nonnull, warn_unused_result));
/* {"items":[...]} pending entries, oldest first. */
enum px_err px_m_ai_mod_list(struct px_db *db, int limit, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));
/* A decided entry: what approving a held post needs. */
struct px_m_ai_mod_entry {
	long long channel, author, thread_root;
	long long message;      /* the flagged message; 0 for a held post */
	char action[8];
	char *body;             /* malloc'd; the caller frees */
};
/* Marks a pending entry approved or rejected by who (0: nobody in
 * particular, the recheck) and fills *e.
 * VALIDATION_NOT_FOUND when there is no such pending entry. */
enum px_err px_m_ai_mod_decide(struct px_db *db, long long id, int approve, long long by,
			       struct px_m_ai_mod_entry *e) __attribute__((nonnull, warn_unused_result));
/* Links a held entry to the message its approval posted. */
enum px_err px_m_ai_mod_posted(struct px_db *db, long long id, long long message)
	__attribute__((nonnull, warn_unused_result));

/* An entry taken for asking the moderation provider again. */
struct px_m_ai_recheck {
	long long id, channel, author;
	long long message;      /* 0: a held post, never posted */
	int attempts;           /* including this one */
	char *body;             /* malloc'd */
};
/* Takes up to cap due entries (unchecked, still pending, and either held
 * or posted with their message not deleted) and moves them 10 minutes ahead, so no other worker takes them
 * meanwhile. Free each body. */
enum px_err px_m_ai_recheck_take(struct px_db *db, struct px_m_ai_recheck *v, size_t cap, size_t *n)
	__attribute__((nonnull, warn_unused_result));
/* Records the verdict on an entry and ends its rechecks: status pending,
 * approved or rejected; action flag or hold; unlink 1 drops the message
 * link (a taken-down post that now waits as held). */
struct px_m_ai_verdict_row {
	const char *status, *action, *category, *match;
	int unlink;
};
enum px_err px_m_ai_recheck_done(struct px_db *db, long long id, const struct px_m_ai_verdict_row *v)
	__attribute__((nonnull, warn_unused_result));
/* Asks again in delay_s seconds, or never (delay_s 0: the entry stays
 * unchecked for a person). */
enum px_err px_m_ai_recheck_later(struct px_db *db, long long id, int delay_s)
	__attribute__((nonnull, warn_unused_result));

/* --- insights -------------------------------------------------------------- */

/* {"activity":[{day,messages}],"busiest_channels":[...],"response_times":
 * {...},"topics":[...]} over the last days. */
enum px_err px_m_ai_insights(struct px_db *db, int days, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));
/* {"channels":[{id,name,topic,score,reason}]} public channels user is not
 * in, ranked by how active the people user shares channels with are there. */
enum px_err px_m_ai_recommend(struct px_db *db, long long user, int limit, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));

#endif
