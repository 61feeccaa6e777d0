/* model/search.h: full-text and partial-word message search limited to
 * the channels a user belongs to. */
#ifndef PX_M_SEARCH_H
#define PX_M_SEARCH_H

#include "core/buf.h"
#include "core/db.h"

struct px_m_search {
	long long user;
	const char *terms;    /* words, newline-separated ("" for none) */
	long long channel;    /* 0: every channel of the user */
	const char *in_name;  /* channel name filter or NULL */
	const char *from;     /* author username or NULL */
	const char *before;   /* YYYY-MM-DD (exclusive) or NULL */
	const char *after;    /* YYYY-MM-DD (inclusive) or NULL */
	int pinned;           /* 1: pinned messages only */
	const char *lang;     /* text-search configuration */
	int limit;
};

/* {"results":[{"message":{...},"channel":{"id","name","kind"},"snippet":html,
 * "rank":r}...]} best first. Each word matches as a text-search lexeme;
 * when no message holds the words so, by prefix; when none holds them as
 * prefixes either, (3 or more characters) anywhere inside a word through
 * the trigram index, so "db.json", "js" and fragments are found. */
enum px_err px_m_search(struct px_db *db, const struct px_m_search *q, struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));

#endif
