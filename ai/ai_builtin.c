/* ai_builtin.c: the built-in provider (ai_builtin.h). Words are runs of
 * letters and digits (any byte >= 0x80 counts as a letter, so UTF-8 words
 * stay whole), lower-cased for ASCII and the German umlauts. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "ai/ai_builtin.h"

#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORD 48
#define MAX_SENT 2048        /* sentences considered per summary */
#define SENT_SHOW 280        /* bytes of a sentence shown */

/* English and German words that carry no topic. */
static const char *const stop[] = {
	"the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her",
	"was", "one", "our", "out", "has", "his", "how", "its", "may", "new", "now", "see",
	"two", "who", "did", "get", "let", "say", "she", "too", "use", "that", "this",
	"with", "have", "from", "they", "will", "would", "there", "their", "what", "about",
	"which", "when", "make", "like", "just", "your", "some", "them", "than", "then",
	"into", "also", "been", "were", "here", "should", "could", "does", "yes", "okay",
	"der", "die", "das", "und", "ist", "nicht", "ich", "sie", "mit", "den", "ein",
	"eine", "auf", "für", "von", "dem", "des", "wir", "ihr", "auch", "noch", "aber",
	"wie", "bei", "hat", "sind", "oder", "wenn", "dass", "nur", "schon", "mal", "doch",
};

/* Lower-cases one word into dst (cap >= MAX_WORD + 1); returns its length. */
static size_t fold(const char *s, size_t n, char *dst)
{
	size_t i, o = 0;

	for (i = 0; i < n && o < MAX_WORD; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		else if (c == 0xC3 && i + 1 < n && o + 1 < MAX_WORD &&
			 ((unsigned char)s[i + 1] == 0x84 || (unsigned char)s[i + 1] == 0x96 ||
			  (unsigned char)s[i + 1] == 0x9C)) {
			dst[o++] = (char)c;
			dst[o++] = (char)(s[++i] + 0x20);
			continue;
		}
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return o;
}

static int is_wordc(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c >= 0x80 || c == '_';
}

/* The next word at or after *pos in s[0..n): its start and length, 0 at
 * the end. */
static size_t next_word(const char *s, size_t n, size_t *pos, const char **w)
{
	size_t i = *pos, st;

	while (i < n && !is_wordc((unsigned char)s[i]))
		i++;
	st = i;
	while (i < n && is_wordc((unsigned char)s[i]))
		i++;
	*pos = i;
	*w = s + st;
	return i - st;
}

static int is_stop(const char *w)
{
	size_t i;

	for (i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
		if (strcmp(stop[i], w) == 0)
			return 1;
	return 0;
}

int px_ai_builtin_stopword(const char *w)
{
	return is_stop(w);
}

static unsigned long fnv(const char *s, size_t n, unsigned long h)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211UL;
	}
	return h;
}

#define FNV0 14695981039346656037UL

void px_ai_builtin_embed(const char *text, size_t n, float *out, int dim)
{
	unsigned long prev = 0;
	char w[MAX_WORD + 1];
	size_t pos = 0, wl;
	const char *ws;
	double norm = 0;
	int i;

	memset(out, 0, sizeof(*out) * (size_t)dim);
	while ((wl = next_word(text, n, &pos, &ws)) > 0) {
		unsigned long h;

		wl = fold(ws, wl, w);
		if (wl < 2 || is_stop(w)) {
			prev = 0;
			continue;
		}
		h = fnv(w, wl, FNV0);
		out[h % (unsigned long)dim] += (h >> 63) ? -1.0f : 1.0f;
		if (prev) {
			unsigned long b = fnv((const char *)&prev, sizeof(prev), h);

			out[b % (unsigned long)dim] += (b >> 63) ? -0.5f : 0.5f;
		}
		prev = h;
	}
	for (i = 0; i < dim; i++)
		norm += (double)out[i] * out[i];
	if (norm > 0) {
		float inv = (float)(1.0 / sqrt(norm));

		for (i = 0; i < dim; i++)
			out[i] *= inv;
	}
}

void px_ai_quantise(const float *f, signed char *q, int dim)
{
	int i;

	for (i = 0; i < dim; i++) {
		float x = f[i] * 127.0f;

		x = x > 127.0f ? 127.0f : x < -127.0f ? -127.0f : x;
		q[i] = (signed char)(x < 0 ? x - 0.5f : x + 0.5f);
	}
}

void px_ai_quantise_scaled(const float *f, signed char *q, int dim)
{
	float top = 0;
	int i;

	for (i = 0; i < dim; i++)
		if (fabsf(f[i]) > top)
			top = fabsf(f[i]);
	for (i = 0; i < dim; i++) {
		float x = top > 0 ? f[i] * 127.0f / top : 0;

		q[i] = (signed char)(x < 0 ? x - 0.5f : x + 0.5f);
	}
}

float px_ai_cosine_i8(const signed char *a, const signed char *b, int dim)
{
	long long ab = 0, aa = 0, bb = 0;
	int i;

	for (i = 0; i < dim; i++) {
		ab += a[i] * b[i];
		aa += a[i] * a[i];
		bb += b[i] * b[i];
	}
	return aa && bb ? (float)((double)ab / sqrt((double)aa * (double)bb)) : 0;
}

/* --- summaries -------------------------------------------------------- */

struct sent {
	size_t item;
	const char *p;
	size_t n;
	double score;
	int pick;
};

/* Word counts in a small open-addressed table keyed by hash. */
struct counts {
	unsigned long *key;
	unsigned *val;
	size_t cap;
};

static unsigned *slot(struct counts *c, unsigned long h)
{
	size_t i = h & (c->cap - 1);

	while (c->key[i] && c->key[i] != h)
		i = (i + 1) & (c->cap - 1);
	c->key[i] = h;
	return &c->val[i];
}

/* Calls fn for each non-stop word (hash) of s. */
static void each_word(const char *s, size_t n, void (*fn)(void *, unsigned long), void *arg)
{
	char w[MAX_WORD + 1];
	size_t pos = 0, wl;
	const char *ws;

	while ((wl = next_word(s, n, &pos, &ws)) > 0) {
		wl = fold(ws, wl, w);
		if (wl >= 3 && !is_stop(w))
			fn(arg, fnv(w, wl, FNV0) | 1);
	}
}

static void count_fn(void *arg, unsigned long h)
{
	(*slot(arg, h))++;
}

struct score_acc {
	struct counts *c;
	double sum;
	int n;
};

static void score_fn(void *arg, unsigned long h)
{
	struct score_acc *a = arg;

	a->sum += *slot(a->c, h) > 1 ? log(1.0 + *slot(a->c, h)) : 0.0;
	a->n++;
}

/* Splits the items into sentences (ends: . ! ? followed by space, and
 * line ends). */
static size_t split(const struct px_ai_item *items, size_t n, struct sent *v, size_t cap)
{
	size_t i, k = 0;

	for (i = 0; i < n && k < cap; i++) {
		const char *s = items[i].text ? items[i].text : "";
		size_t len = strlen(s), a = 0, j;

		for (j = 0; j <= len && k < cap; j++) {
			int end = j == len || s[j] == '\n' ||
				  ((s[j] == '.' || s[j] == '!' || s[j] == '?') &&
				   (j + 1 == len || s[j + 1] == ' ' || s[j + 1] == '\n'));

			if (!end)
				continue;
			if (j < len && s[j] != '\n')
				j++;
			while (a < j && (s[a] == ' ' || s[a] == '\n' || s[a] == '\t'))
				a++;
			if (j > a + 2)
				v[k++] = (struct sent){ i, s + a, j - a, 0, 0 };
			a = j;
		}
	}
	return k;
}

/* Appends at most max bytes of s, cut on a UTF-8 boundary, with "..." */
static void put_cut(struct px_buf *b, const char *s, size_t n, size_t max)
{
	size_t i;

	if (n <= max) {
		px_buf_append(b, s, n);
		return;
	}
	i = max;
	while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
		i--;
	px_buf_append(b, s, i);
	px_buf_puts(b, "...");
}

void px_ai_builtin_summary(const struct px_ai_item *items, size_t n, int k, struct px_buf *out)
{
	struct counts c = { NULL, NULL, 0 };
	struct sent *v = calloc(MAX_SENT, sizeof(*v));
	size_t ns, i, j;
	int picked = 0;

	if (!v)
		goto fail;
	ns = split(items, n, v, MAX_SENT);
	for (c.cap = 1024; c.cap < ns * 64; c.cap *= 2)
		;
	c.key = calloc(c.cap, sizeof(*c.key));
	c.val = calloc(c.cap, sizeof(*c.val));
	if (!c.key || !c.val)
		goto fail;
	for (i = 0; i < ns; i++)
		each_word(v[i].p, v[i].n, count_fn, &c);
	for (i = 0; i < ns; i++) {
		struct score_acc a = { &c, 0, 0 };

		each_word(v[i].p, v[i].n, score_fn, &a);
		v[i].score = a.n ? a.sum / sqrt((double)a.n) : 0;
	}
	/* take the k best, then print them in conversation order */
	while (picked < k) {
		size_t best = ns;

		for (i = 0; i < ns; i++)
			if (!v[i].pick && v[i].score > 0 && (best == ns || v[i].score > v[best].score))
				best = i;
		if (best == ns)
			break;
		v[best].pick = 1;
		picked++;
		for (j = 0; j < ns; j++)   /* no second copy of the same sentence */
			if (j != best && v[j].n == v[best].n && memcmp(v[j].p, v[best].p, v[j].n) == 0)
				v[j].score = 0;
	}
	if (picked == 0 && ns > 0) /* nothing repeats: the first sentences */
		for (i = 0; i < ns && picked < k; i++, picked++)
			v[i].pick = 1;
	for (i = 0; i < ns; i++) {
		if (!v[i].pick)
			continue;
		px_buf_puts(out, "- ");
		put_cut(out, v[i].p, v[i].n, SENT_SHOW);
		px_buf_printf(out, " [#%lld]\n", items[v[i].item].id);
	}
	if (picked == 0)
		px_buf_puts(out, "- (no messages to summarise)\n");
fail:
	if (!v || !c.key || !c.val)
		out->failed = 1;
	free(c.key);
	free(c.val);
	free(v);
}

void px_ai_builtin_answer(const struct px_ai_item *items, size_t n, const char *question,
			  struct px_buf *out)
{
	float q[PX_AI_BUILTIN_DIM], m[PX_AI_BUILTIN_DIM];
	size_t best[3] = { 0, 0, 0 }, i;
	float bs[3] = { 0, 0, 0 };
	int d, r, shown = 0;

	px_ai_builtin_embed(question, strlen(question), q, PX_AI_BUILTIN_DIM);
	for (i = 0; i < n; i++) {
		const char *t = items[i].text ? items[i].text : "";
		float s = 0;

		px_ai_builtin_embed(t, strlen(t), m, PX_AI_BUILTIN_DIM);
		for (d = 0; d < PX_AI_BUILTIN_DIM; d++)
			s += q[d] * m[d];
		for (r = 0; r < 3; r++) {
			if (s > bs[r]) {
				memmove(&bs[r + 1], &bs[r], sizeof(float) * (size_t)(2 - r));
				memmove(&best[r + 1], &best[r], sizeof(size_t) * (size_t)(2 - r));
				bs[r] = s;
				best[r] = i;
				break;
			}
		}
	}
	for (r = 0; r < 3; r++) {
		const char *t;

		if (bs[r] <= 0.05f)
			continue;
		t = items[best[r]].text ? items[best[r]].text : "";
		px_buf_printf(out, "- %s: ", items[best[r]].author ? items[best[r]].author : "?");
		put_cut(out, t, strlen(t), SENT_SHOW);
		px_buf_printf(out, " [#%lld]\n", items[best[r]].id);
		shown++;
	}
	/* none shares words with the question, but the caller's search found
	 * them (by a provider's embeddings, or a stemmed full-text match):
	 * its best comes first */
	if (!shown && n > 0) {
		const char *t = items[0].text ? items[0].text : "";

		px_buf_printf(out, "- %s: ", items[0].author ? items[0].author : "?");
		put_cut(out, t, strlen(t), SENT_SHOW);
		px_buf_printf(out, " [#%lld]\n", items[0].id);
	} else if (!shown) {
		px_buf_puts(out, "- No message you can read matches the question.\n");
	}
}

/* --- moderation ------------------------------------------------------- */

struct rule_word {
	char cat[32];
	char word[MAX_WORD + 1];
};

struct rule_re {
	char cat[32];
	char name[64];
	pcre2_code *re;
};

struct px_ai_lexicon {
	struct rule_word *w;
	size_t nw, capw;
	struct rule_re *r;
	size_t nr, capr;
};

/* Built-in rules, English and German: category, then a word or "re:". */
static const char *const builtin_rules[][2] = {
	{ "insult", "idiot" }, { "insult", "moron" }, { "insult", "dumbass" },
	{ "insult", "imbecile" }, { "insult", "loser" }, { "insult", "jerk" },
	{ "insult", "arschloch" }, { "insult", "vollidiot" }, { "insult", "depp" },
	{ "insult", "trottel" }, { "insult", "wichser" }, { "insult", "penner" },
	{ "threat", "re:\\b(i ?will|i'?ll|gonna|going to)\\s+(kill|hurt|beat)\\s+(you|u)\\b" },
	{ "threat", "re:\\bich\\s+(bring|mach|schlag)\\w*\\s+dich\\s+(um|kalt|tot)\\b" },
	{ "spam", "re:\\b(buy now|free money|click here|limited offer|jetzt kaufen|gratis geld)\\b" },
	{ "spam", "re:(https?://\\S+[\\s,]*){6,}" },
};

static int add_rule(struct px_ai_lexicon *lx, const char *cat, const char *spec,
		    const char **why)
{
	if (strlen(cat) >= 32)
		return *why = "category name too long", 0;
	if (strncmp(spec, "re:", 3) == 0) {
		int err;
		PCRE2_SIZE off;
		pcre2_code *re;

		re = pcre2_compile((PCRE2_SPTR)(spec + 3), PCRE2_ZERO_TERMINATED,
				   PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP, &err, &off, NULL);
		if (!re)
			return *why = "pattern does not compile", 0;
		pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
		if (lx->nr == lx->capr) {
			size_t nc = lx->capr ? lx->capr * 2 : 8;
			struct rule_re *t = realloc(lx->r, nc * sizeof(*t));

			if (!t) {
				pcre2_code_free(re);
				return *why = "out of memory", 0;
			}
			lx->r = t;
			lx->capr = nc;
		}
		snprintf(lx->r[lx->nr].cat, 32, "%s", cat);
		snprintf(lx->r[lx->nr].name, 64, "%s", spec + 3);
		lx->r[lx->nr++].re = re;
		return 1;
	}
	if (!spec[0] || strlen(spec) > MAX_WORD)
		return *why = "word empty or too long", 0;
	if (lx->nw == lx->capw) {
		size_t nc = lx->capw ? lx->capw * 2 : 32;
		struct rule_word *t = realloc(lx->w, nc * sizeof(*t));

		if (!t)
			return *why = "out of memory", 0;
		lx->w = t;
		lx->capw = nc;
	}
	snprintf(lx->w[lx->nw].cat, 32, "%s", cat);
	fold(spec, strlen(spec), lx->w[lx->nw].word);
	lx->nw++;
	return 1;
}

static int load_file(struct px_ai_lexicon *lx, const char *path, const char **why)
{
	char line[512], cat[64], spec[448];
	FILE *f = fopen(path, "r");
	int ok = 1;

	if (!f)
		return *why = "ai_moderation_rules_file cannot be opened", 0;
	while (ok && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (sscanf(line, "%63s %447[^\n]", cat, spec) != 2) {
			*why = "a line is not \"category word\"";
			ok = 0;
		} else {
			ok = add_rule(lx, cat, spec, why);
		}
	}
	fclose(f);
	return ok;
}

struct px_ai_lexicon *px_ai_lexicon_new(const char *path, const char **why)
{
	struct px_ai_lexicon *lx = calloc(1, sizeof(*lx));
	size_t i;

	*why = NULL;
	if (!lx)
		return *why = "out of memory", NULL;
	for (i = 0; i < sizeof(builtin_rules) / sizeof(builtin_rules[0]); i++)
		if (!add_rule(lx, builtin_rules[i][0], builtin_rules[i][1], why))
			goto fail;
	if (path && path[0] && !load_file(lx, path, why))
		goto fail;
	return lx;
fail:
	px_ai_lexicon_free(lx);
	return NULL;
}

void px_ai_lexicon_free(struct px_ai_lexicon *lx)
{
	size_t i;

	if (!lx)
		return;
	for (i = 0; i < lx->nr; i++)
		pcre2_code_free(lx->r[i].re);
	free(lx->r);
	free(lx->w);
	free(lx);
}

static void hit(struct px_ai_verdict *v, const char *cat, const char *what)
{
	if (!v->hit) {
		snprintf(v->category, sizeof(v->category), "%s", cat);
		snprintf(v->match, sizeof(v->match), "%s", what);
	}
	v->hit = 1;
	v->score++;
}

void px_ai_moderate(const struct px_ai_lexicon *lx, const char *text, size_t n,
		    struct px_ai_verdict *v)
{
	char w[MAX_WORD + 1];
	size_t pos = 0, wl, i;
	pcre2_match_data *md;
	const char *ws;

	memset(v, 0, sizeof(*v));
	while ((wl = next_word(text, n, &pos, &ws)) > 0) {
		fold(ws, wl, w);
		for (i = 0; i < lx->nw; i++)
			if (w[0] == lx->w[i].word[0] && strcmp(w, lx->w[i].word) == 0)
				hit(v, lx->w[i].cat, lx->w[i].word);
	}
	if (!lx->nr || !(md = pcre2_match_data_create(4, NULL)))
		return;
	for (i = 0; i < lx->nr; i++)
		if (pcre2_match(lx->r[i].re, (PCRE2_SPTR)text, n, 0, 0, md, NULL) >= 0)
			hit(v, lx->r[i].cat, lx->r[i].name);
	pcre2_match_data_free(md);
}
