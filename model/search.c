/* model/search.c: message search, parameterised: a search statement per
 * window of messages, then one prepared statement that renders the page
 * found. The words become tsqueries and ILIKE patterns here, as parameter
 * values (quoting for tsquery and escaping for LIKE done in C), so that
 * with the values known the planner combines the text-search and trigram
 * GIN indexes. */
#include "model/search.h"
#include "model/rows.h"

#include <json-c/json.h>
#include <string.h>

/* Ranking reads every candidate's tsvector, so a word found in one
 * message of thirty would cost a heap fetch and a rank per match, and
 * trigrams of common fragments have long posting lists. Search therefore
 * matches whole words (then prefixes) among the newest messages in growing
 * windows, takes a window's newest matches up to the limit and ranks
 * those, and looks at every message while it has fewer results than asked
 * for. Taking the newest matches lets the planner choose per query: common
 * words (two found together in one message of a hundred or so, prefixes of
 * common words) are met by walking the primary key backwards until the
 * page is full, a few thousand rows, where the GIN bitmap would read
 * posting lists of a million entries each at 10 M (bench/scale-bench.sh);
 * rare words come from the GIN index, and the lookups repeated in each
 * window are cheap exactly then. 0 ends the list: every message, whose
 * matches are all ranked (SQL_RANKED). */
static const long long windows[] = { 30000, 300000, 0 };
/* With from:, the windows count the author's messages: walking their
 * index reads a heap page per message where the walk of every message
 * reads a page per thirty, so a tenth as many. An author's old messages
 * are then reached without the text index's posting list of a common
 * word (10 M messages: `cache from:` 140 ms, nearly all of it the bitmap
 * of 340,000 entries ANDed with the author's), and the last window takes
 * the newest matches too (windows_pass). */
static const long long author_windows[] = { 3000, 30000, 0 };
#define NWINDOWS (sizeof(windows) / sizeof(windows[0]))

/* The window after i, or the last one (every message) when even the next
 * window, n results scaled by its growth, would likely hold fewer than
 * limit: a rare word then costs two statements, not one per window. */
static size_t next_window(const long long *w, size_t i, long n, int limit)
{
	if (i + 2 < NWINDOWS && w[i + 1] && n * (w[i + 1] / w[i]) < limit)
		return NWINDOWS - 1;
	return i + 1;
}

/* The search proper, without the order of its page (below): the ids and
 * ranks of one page of matches. Rendering them is a statement of its own
 * (SQL_RENDER), prepared: planning the message view took as long as
 * planning the search (1-2 ms a request at 10 M messages), and this one
 * must be planned with its values each time. */
#define SQL_SEARCH_HEAD \
	"SELECT m.id, CASE WHEN $10::text IS NULL THEN 0" \
	"  ELSE ts_rank(m.tsv, to_tsquery($8::regconfig, $10)) END AS rank" \
	" FROM messages m" \
	" WHERE m.channel_id IN (SELECT channel_id FROM channel_members WHERE user_id = $1)" \
	" AND m.id > $13::bigint AND ($14::bigint IS NULL OR m.id <= $14::bigint)" \
	" AND m.deleted_at IS NULL" \
	" AND ($2::bigint = 0 OR m.channel_id = $2::bigint)" \
	" AND ($3::text IS NULL OR m.channel_id = (SELECT id FROM channels WHERE name = $3::citext))" \
	" AND ($4::text IS NULL OR m.author_id = (SELECT id FROM users WHERE username = $4::citext))" \
	" AND ($5::date IS NULL OR m.created_at < $5::date)" \
	" AND ($6::date IS NULL OR m.created_at >= $6::date)" \
	" AND ($7 = '0' OR m.pinned_at IS NOT NULL)" \
	" AND (($10::text IS NULL AND $12::text IS NULL)" \
	"  OR ($10::text IS NOT NULL AND m.tsv @@ to_tsquery($8::regconfig, $10))" \
	"  OR ($12::text IS NOT NULL AND m.body ILIKE $12" \
	"      AND m.body ILIKE ALL (string_to_array($11, E'\\n'))))"

/* A window with a floor takes its newest matches: the planner walks the
 * primary key backwards for common words and takes the text index for
 * rare ones, and the floor bounds the walk. The last window, every
 * message, ranks all its matches: reached when the others held fewer
 * than the limit, so its matches are few, and with no floor an id order
 * could have the planner walk ten million rows for a word it thinks
 * common (seen at 10 M). */
static const char SQL_NEWEST[] = SQL_SEARCH_HEAD " ORDER BY m.id DESC LIMIT $9";
static const char SQL_RANKED[] = SQL_SEARCH_HEAD " ORDER BY rank DESC, m.id DESC LIMIT $9";

/* The page found, best first: $1 its ids, $2 their ranks, $3 the words
 * (newline-separated) marked in the snippets. A message deleted since
 * the search is left out. */
static const char SQL_RENDER[] =
	"SELECT json_build_object('results', coalesce(json_agg(json_build_object("
	" 'message', v.t::json, 'rank', round(h.rank::numeric, 4),"
	" 'channel', json_build_object('id', c.id, 'name', c.name::text, 'kind', c.kind),"
	" 'snippet', px_snippet(px_html_text(m.html), string_to_array($3, E'\\n')))"
	" ORDER BY h.rank DESC, h.id DESC), '[]'))"
	" FROM unnest($1::bigint[], $2::real[]) h(id, rank)"
	" JOIN messages m ON m.id = h.id AND m.deleted_at IS NULL"
	" JOIN px_message_view v ON v.id = h.id JOIN channels c ON c.id = m.channel_id";

/* The search statement's parameters, $1 to $12 (the window's floor and
 * ceiling are $13 and $14). */
enum { P_USER, P_CHANNEL, P_IN, P_FROM, P_BEFORE, P_AFTER, P_PINNED, P_LANG, P_LIMIT,
       P_TSQ, P_PATS, P_LONGEST, NPARAMS };

/* One page of matches as array literals of their ids and ranks. */
struct hits {
	struct px_buf ids, ranks;
	long n;
};

/* Appends word as a tsquery term, 'word' or the prefix 'word':*, with
 * quotes doubled. */
static void tsq_term(struct px_buf *b, const char *w, size_t n, int prefix)
{
	size_t i;

	if (b->len)
		px_buf_puts(b, " & ");
	px_buf_putc(b, '\'');
	for (i = 0; i < n; i++) {
		if (w[i] == '\'' || w[i] == '\\')
			px_buf_putc(b, w[i]);
		px_buf_putc(b, w[i]);
	}
	px_buf_puts(b, prefix ? "':*" : "'");
}

/* Appends %word% with LIKE's wildcards and escape character escaped. */
static void like_pattern(struct px_buf *b, const char *w, size_t n)
{
	size_t i;

	px_buf_putc(b, '%');
	for (i = 0; i < n; i++) {
		if (w[i] == '%' || w[i] == '_' || w[i] == '\\')
			px_buf_putc(b, '\\');
		px_buf_putc(b, w[i]);
	}
	px_buf_putc(b, '%');
}

/* From newline-separated words: the tsqueries of whole words and of
 * prefixes, the patterns (one per line) and the pattern of the longest
 * word when it has 3 or more characters, which the trigram index can
 * serve. */
static void derive(const char *words, struct px_buf *whole, struct px_buf *tsq,
		   struct px_buf *pats, struct px_buf *longest)
{
	const char *p = words, *best = NULL;
	size_t best_n = 0;

	while (p && *p) {
		size_t n = strcspn(p, "\n");

		tsq_term(whole, p, n, 0);
		tsq_term(tsq, p, n, 1);
		if (pats->len)
			px_buf_putc(pats, '\n');
		like_pattern(pats, p, n);
		if (n > best_n) {
			best = p;
			best_n = n;
		}
		p += n + (p[n] == '\n');
	}
	if (best && best_n >= 3)
		like_pattern(longest, best, best_n);
}

/* Runs the search over messages with floor < id <= ceiling (ceiling 0:
 * no upper bound), inside words too when inside is set, taking the newest
 * matches when newest is set and the best-ranked otherwise, into h. */
static enum px_err run(struct px_db *db, const char *const *p, long long floor,
		       long long ceiling, int inside, int newest, struct hits *h)
{
	char f[PX_M_LL], c[PX_M_LL];
	const char *params[NPARAMS + 2];
	PGresult *r = NULL;
	enum px_err e;
	int i;

	memcpy(params, p, NPARAMS * sizeof(*p));
	if (!inside)
		params[P_LONGEST] = NULL;
	params[NPARAMS] = px_m_ll(f, floor);
	params[NPARAMS + 1] = ceiling ? px_m_ll(c, ceiling) : NULL;
	/* unprepared on purpose: the plan depends on the words and the window,
	 * and a cached generic plan would know neither */
	e = px_db_exec(db, newest ? SQL_NEWEST : SQL_RANKED, NPARAMS + 2, params, &r);
	if (e != PX_OK)
		return e;
	h->n = PQntuples(r);
	px_buf_reset(&h->ids);
	px_buf_reset(&h->ranks);
	px_buf_putc(&h->ids, '{');
	px_buf_putc(&h->ranks, '{');
	for (i = 0; i < h->n; i++) {
		if (i) {
			px_buf_putc(&h->ids, ',');
			px_buf_putc(&h->ranks, ',');
		}
		px_buf_puts(&h->ids, PQgetvalue(r, i, 0));
		px_buf_puts(&h->ranks, PQgetvalue(r, i, 1));
	}
	px_buf_puts(&h->ids, "}");
	px_buf_puts(&h->ranks, "}");
	PQclear(r);
	return h->ids.failed || h->ranks.failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}

static enum px_err newest_id(struct px_db *db, long long *head)
{
	return px_m_ll_row(db, "msg_newest", "SELECT coalesce(max(id), 0) FROM messages",
			   0, NULL, head);
}

/* With before:, the windows end at the period's newest message instead of
 * the newest of all (ids grow with created_at), so an old period over a
 * common word ranks a window of its own newest messages, not every match
 * of the period. Its id: the last message created before the date in each
 * of the user's channels (one messages_channel_created lookup each, no
 * index of its own), the largest of them; 0 when there is none. The id
 * bound only chooses the window: the statement still filters on
 * created_at, and the last window has no id bound at all, so a message
 * whose created_at is out of id order (an import, a backdated row, or
 * concurrent posts whose now() is their transaction's start) is still
 * found exactly where its created_at puts it. */
static enum px_err period_head(struct px_db *db, const char *user, const char *before,
			       long long *head)
{
	const char *params[2] = { user, before };

	return px_m_ll_row(db, "search_period_head",
		"SELECT coalesce(max(x.id), 0) FROM channel_members cm"
		" CROSS JOIN LATERAL (SELECT m.id FROM messages m"
		"  WHERE m.channel_id = cm.channel_id AND m.created_at < $2::date"
		"  ORDER BY m.created_at DESC LIMIT 1) x"
		" WHERE cm.user_id = $1::bigint", 2, params, head);
}

/* The floor of window w: below head by w messages, or by w of the
 * author's with from: (the id of their next older message; an index-only
 * walk of messages_author); 0 for the last window or when there are
 * fewer. */
static enum px_err window_floor(struct px_db *db, const struct px_m_search *q, long long w,
				long long head, long long *floor)
{
	char h[PX_M_LL], k[PX_M_LL];
	const char *params[3] = { q->from, px_m_ll(h, head), px_m_ll(k, w) };

	*floor = w && head > w ? head - w : 0;
	if (!w || !q->from)
		return PX_OK;
	return px_m_ll_row(db, "search_author_floor",
		"SELECT coalesce((SELECT m.id FROM messages m"
		" WHERE m.author_id = (SELECT id FROM users WHERE username = $1::citext)"
		" AND m.deleted_at IS NULL AND m.id <= $2::bigint"
		" ORDER BY m.id DESC OFFSET $3::bigint LIMIT 1), 0)", 3, params, floor);
}

/* Words that PostgreSQL expects in at most this many messages go straight
 * to the last window, every message ranked: the text index hands over
 * their matches at once, each a heap fetch and a rank (10 M messages: two
 * common words found together in 8,000 take 14-30 ms), where each window
 * before it would read the same posting lists again for a part of them
 * (two windows of the same pair: 40-60 ms). */
#define RANK_ALL_ROWS 10000.0

/* The planner's estimate of the messages the tsquery p[P_TSQ] matches,
 * from the text index's statistics (its most common lexemes and their
 * frequencies); an unnamed statement is planned with its values. */
static enum px_err match_estimate(struct px_db *db, const char *const *p, double *rows)
{
	const char *params[2] = { p[P_LANG], p[P_TSQ] };
	struct json_object *plan = NULL, *top, *node, *v;
	PGresult *r = NULL;
	enum px_err e = px_db_exec(db, "EXPLAIN (FORMAT JSON) SELECT 1 FROM messages m"
				   " WHERE m.tsv @@ to_tsquery($1::regconfig, $2)", 2, params, &r);

	*rows = 0;
	if (e != PX_OK)
		return e;
	plan = json_tokener_parse(PQgetvalue(r, 0, 0));
	top = json_object_is_type(plan, json_type_array) ? json_object_array_get_idx(plan, 0)
							 : NULL;
	if (top && json_object_object_get_ex(top, "Plan", &node) &&
	    json_object_object_get_ex(node, "Plan Rows", &v))
		*rows = json_object_get_double(v);
	else
		e = PX_E_SYSTEM_INTERNAL;
	json_object_put(plan);
	PQclear(r);
	return e;
}

/* The windows for the words as one tsquery (p[P_TSQ]), newest first,
 * until one holds the limit or the last, every message, was read. */
static enum px_err windows_pass(struct px_db *db, const struct px_m_search *q,
				const char *const *p, long long head, struct hits *h)
{
	const long long *w = q->from ? author_windows : windows;
	enum px_err e = PX_OK;
	double rows = RANK_ALL_ROWS + 1;
	size_t i = 0;

	h->n = 0;
	/* an author's walk is bounded by their messages already */
	if (p[P_TSQ] && !q->from)
		e = match_estimate(db, p, &rows);
	if (rows <= RANK_ALL_ROWS)
		i = NWINDOWS - 1;
	for (; e == PX_OK && h->n < q->limit; i = next_window(w, i, h->n, q->limit)) {
		long long floor = 0;

		e = window_floor(db, q, w[i], head, &floor);
		/* a window below the period's head ends there; the
		 * last (floor 0) reads every message, as without before:,
		 * and ranks its matches, except an author's: ranking every
		 * match has the planner AND the word's whole posting list
		 * with the author's messages (a common word at 10 M: 180 ms
		 * for an author of 1,500 messages, whose walk takes 5) */
		if (e == PX_OK)
			e = run(db, p, floor, floor && q->before ? head : 0, 0,
				floor || q->from, h);
		if (!floor)
			break;
	}
	return e;
}

/* The page in h as the answer's JSON, into out. */
static enum px_err render(struct px_db *db, const struct hits *h, const char *terms,
			  struct px_buf *out)
{
	const char *params[3] = { h->ids.data, h->ranks.data, terms };

	return px_m_json_row(db, "search_render", SQL_RENDER, 3, params, out);
}

enum px_err px_m_search(struct px_db *db, const struct px_m_search *q, struct px_buf *out)
{
	struct px_buf whole = PX_BUF_INIT, tsq = PX_BUF_INIT, pats = PX_BUF_INIT,
		      longest = PX_BUF_INIT;
	struct hits h = { PX_BUF_INIT, PX_BUF_INIT, 0 };
	char u[PX_M_LL], c[PX_M_LL], l[PX_M_LL];
	enum px_err e = PX_E_SYSTEM_INTERNAL;
	long long head = 0;

	derive(q->terms, &whole, &tsq, &pats, &longest);
	if (!whole.failed && !tsq.failed && !pats.failed && !longest.failed) {
		const char *p[NPARAMS] = {
			[P_USER] = px_m_ll(u, q->user), [P_CHANNEL] = px_m_ll(c, q->channel),
			[P_IN] = q->in_name, [P_FROM] = q->from, [P_BEFORE] = q->before,
			[P_AFTER] = q->after, [P_PINNED] = q->pinned ? "1" : "0",
			[P_LANG] = q->lang, [P_LIMIT] = px_m_ll(l, q->limit),
			[P_TSQ] = whole.data, [P_PATS] = pats.data ? pats.data : "",
			[P_LONGEST] = longest.data };

		e = q->before ? period_head(db, p[P_USER], q->before, &head)
			      : newest_id(db, &head);
		if (e == PX_OK)
			e = windows_pass(db, q, p, head, &h);
		/* prefixes only when whole words found nothing: a prefix is a
		 * partial match to the text index, which reads every lexeme
		 * it covers into a bitmap, where whole words are intersected
		 * in their posting lists (two common words at 10 M messages:
		 * 17 ms against 270, and the bitmap goes lossy past work_mem);
		 * stemming already finds "deploy" in "deployment" */
		if (e == PX_OK && h.n == 0 && tsq.data) {
			p[P_TSQ] = tsq.data;
			e = windows_pass(db, q, p, head, &h);
		}
		/* inside words only when whole words found nothing: the trigram
		 * lookup of a long word reads the long posting lists of its
		 * common fragments (140 ms at 1 M messages, a loaded machine),
		 * far more than every whole-word window together */
		if (e == PX_OK && h.n == 0 && longest.data)
			e = run(db, p, 0, 0, 1, 0, &h);
		/* rendered once, the last pass's page: not each window's */
		if (e == PX_OK)
			e = render(db, &h, q->terms, out);
	}
	px_buf_free(&whole);
	px_buf_free(&tsq);
	px_buf_free(&pats);
	px_buf_free(&longest);
	px_buf_free(&h.ids);
	px_buf_free(&h.ranks);
	return e;
}
