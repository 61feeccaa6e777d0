/* search.c: search handlers: the query language is parsed here, the model
 * runs one statement limited to the caller's channels. */
#include "handlers/search.h"
#include "handlers/channels_util.h"
#include "core/cfg.h"
#include "model/search.h"

#include <stdio.h>
#include <string.h>

#define MAX_WORDS 10
#define MAX_WORD 64

/* YYYY-MM-DD naming a real day. */
static int date_ok(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || y < 1970 || m < 1 || m > 12 ||
	    d < 1 || d > mdays[m - 1])
		return 0;
	return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

/* Copies src[0..n) into a field of size cap; 0 when it does not fit. */
static int put(char *dst, size_t cap, const char *src, size_t n)
{
	if (n == 0 || n >= cap)
		return 0;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 1;
}

/* Handles one "key:value" filter; returns 1 when tok was a filter, 0 when
 * it is a word, -1 when the filter is malformed (*bad names it). */
static int filter(const char *tok, size_t n, struct px_search_query *q, const char **bad)
{
	const char *v = memchr(tok, ':', n);
	size_t kl = v ? (size_t)(v - tok) : 0, vl;

	if (!v)
		return 0;
	vl = n - kl - 1;
	v++;
	if (kl == 2 && strncmp(tok, "in", 2) == 0) {
		if (vl && *v == '#')
			v++, vl--;
		*bad = "in";
		return put(q->in_name, sizeof(q->in_name), v, vl) ? 1 : -1;
	}
	if (kl == 4 && strncmp(tok, "from", 4) == 0) {
		if (vl && *v == '@')
			v++, vl--;
		*bad = "from";
		return put(q->from, sizeof(q->from), v, vl) ? 1 : -1;
	}
	if ((kl == 6 && strncmp(tok, "before", 6) == 0) ||
	    (kl == 5 && strncmp(tok, "after", 5) == 0)) {
		char *dst = kl == 6 ? q->before : q->after;

		*bad = kl == 6 ? "before" : "after";
		return put(dst, 11, v, vl) && date_ok(dst) ? 1 : -1;
	}
	if (kl == 2 && strncmp(tok, "is", 2) == 0) {
		*bad = "is";
		q->pinned = vl == 6 && strncmp(v, "pinned", 6) == 0;
		return q->pinned ? 1 : -1;
	}
	return 0;
}

enum px_err px_search_parse(const char *s, struct px_search_query *q, const char **bad)
{
	size_t used = 0, n;
	int f;

	memset(q, 0, sizeof(*q));
	while (s && *s) {
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		n = strcspn(s, " \t\r\n");
		if (n == 0)
			break;
		f = filter(s, n, q, bad);
		if (f < 0)
			return PX_E_VALIDATION_FIELD_FORMAT;
		if (f == 0) {
			*bad = "q";
			if (n > MAX_WORD || ++q->nwords > MAX_WORDS)
				return PX_E_VALIDATION_FIELD_LENGTH;
			if (used)
				q->words[used++] = '\n';
			memcpy(q->words + used, s, n);
			used += n;
			q->words[used] = '\0';
		}
		s += n;
	}
	return PX_OK;
}

/* Parses the request and runs the search in channel (0 = all). */
static enum px_err run(struct px_ctx *ctx, long long channel)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_search_query q;
	struct px_m_search m;
	const char *bad = "q";
	int limit;
	enum px_err e;

	if ((e = px_hm_limit(ctx, 20, 100, &limit)) != PX_OK)
		return e;
	e = px_search_parse(px_request_query(ctx->req, "q"), &q, &bad);
	if (e != PX_OK) {
		px_ctx_detail(ctx, "field", bad);
		return e;
	}
	if (q.nwords == 0 && !q.from[0] && !q.pinned && !q.in_name[0]) {
		px_ctx_detail(ctx, "field", "q");
		return PX_E_VALIDATION_MISSING_FIELD;
	}
	m = (struct px_m_search){ ctx->who.user_id, q.words, channel,
				  q.in_name[0] ? q.in_name : NULL, q.from[0] ? q.from : NULL,
				  q.before[0] ? q.before : NULL, q.after[0] ? q.after : NULL,
				  q.pinned, px_cfg_str(ctx->cfg, "search_language"), limit };
	if ((e = px_m_search(ctx->db, &m, &out)) == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_search(struct px_ctx *ctx)
{
	return run(ctx, 0);
}

enum px_err px_h_search_channel(struct px_ctx *ctx)
{
	struct px_chan_access a;
	enum px_err e = px_hm_gate(ctx, PX_CHAN_READ, &a);

	return e != PX_OK ? e : run(ctx, a.channel_id);
}
