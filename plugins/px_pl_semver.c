/* px_pl_semver.c: SemVer 2.0.0 versions and npm-style ranges. A range is
 * kept as plain comparators: every shorthand (^, ~, x, hyphen) is turned
 * into its bounds when parsed, so matching is one loop. */
#include "plugins/px_pl_semver.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ---- versions ---------------------------------------------------------- */

/* A numeric identifier at *p: digits, no leading zero. 0 or -1. */
static int number(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s) || (s[0] == '0' && isdigit((unsigned char)s[1])))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return 0;
}

static int ident_char(int c)
{
	return isalnum(c) || c == '-';
}

/* Dot-separated identifiers at *p (pre-release when numeric_rule: numeric
 * ones without leading zeros); stops at the first other character. */
static int identifiers(const char **p, int numeric_rule)
{
	const char *s = *p;

	for (;;) {
		const char *start = s;
		int digits = 1;

		for (; ident_char((unsigned char)*s); s++)
			digits &= isdigit((unsigned char)*s) != 0;
		if (s == start)
			return -1;
		if (numeric_rule && digits && s - start > 1 && *start == '0')
			return -1;
		if (*s != '.')
			break;
		s++;
	}
	*p = s;
	return 0;
}

/* MAJOR.MINOR.PATCH[-PRE][+BUILD] at *p; *p is left after it. */
/* The pre-release and build parts after a full version at *p. */
static int suffix(const char **p, struct px_pl_ver *v)
{
	const char *s = *p, *pre;

	if (*s == '-') {
		pre = ++s;
		if (identifiers(&s, 1) || (size_t)(s - pre) >= sizeof(v->pre))
			return -1;
		memcpy(v->pre, pre, (size_t)(s - pre));
	}
	if (*s == '+') {
		s++;
		if (identifiers(&s, 0))
			return -1;
	}
	*p = s;
	return 0;
}

static int version_at(const char **p, struct px_pl_ver *v)
{
	const char *s = *p;

	memset(v, 0, sizeof(*v));
	if (number(&s, &v->major) || *s++ != '.' || number(&s, &v->minor) || *s++ != '.' ||
	    number(&s, &v->patch) || suffix(&s, v))
		return -1;
	*p = s;
	return 0;
}

int px_pl_ver_parse(const char *s, struct px_pl_ver *v)
{
	return version_at(&s, v) == 0 && *s == '\0' ? 0 : -1;
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* One pre-release identifier against another (section 11.4). */
static int ident_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int ad = all_digits(a, an), bd = all_digits(b, bn), c;

	if (ad && bd) {
		/* no leading zeros: the longer number is the larger */
		if (an != bn)
			return an < bn ? -1 : 1;
		return memcmp(a, b, an);
	}
	if (ad != bd)
		return ad ? -1 : 1; /* numeric identifiers come first */
	c = memcmp(a, b, an < bn ? an : bn);
	return c ? c : (an > bn) - (an < bn);
}

static int pre_cmp(const char *a, const char *b)
{
	if (!*a || !*b)
		return (*a == '\0') - (*b == '\0'); /* a release follows its pre-releases */
	for (;;) {
		size_t an = strcspn(a, "."), bn = strcspn(b, ".");
		int c = ident_cmp(a, an, b, bn);

		if (c)
			return c;
		a += an;
		b += bn;
		if (!*a || !*b)
			return (*a != '\0') - (*b != '\0'); /* more identifiers: larger */
		a++;
		b++;
	}
}

int px_pl_ver_cmp(const struct px_pl_ver *a, const struct px_pl_ver *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	return pre_cmp(a->pre, b->pre);
}

void px_pl_ver_format(const struct px_pl_ver *v, char *out, size_t n)
{
	snprintf(out, n, "%llu.%llu.%llu%s%s", (unsigned long long)v->major,
		 (unsigned long long)v->minor, (unsigned long long)v->patch, v->pre[0] ? "-" : "",
		 v->pre);
}

/* ---- ranges ------------------------------------------------------------ */

/* A version with some parts left open: "1.2", "1.x", "*". */
struct partial {
	int parts;            /* 0..3 given */
	struct px_pl_ver v;   /* the given parts, zeros after */
};

static int wildcard(const char *s)
{
	return (*s == 'x' || *s == 'X' || *s == '*') &&
	       (s[1] == '\0' || s[1] == '.');
}

static int partial_parse(const char *s, struct partial *pv)
{
	uint64_t *part[3] = { &pv->v.major, &pv->v.minor, &pv->v.patch };
	int i, open = 0;

	memset(pv, 0, sizeof(*pv));
	for (i = 0; i < 3 && *s; i++) {
		if (wildcard(s)) {
			s++;
			open = 1;
		} else if (open || number(&s, part[i])) {
			return -1; /* "1.x.3" is no range */
		} else {
			pv->parts = i + 1;
		}
		if (i == 2 || *s != '.')
			break;
		s++;
	}
	if (pv->parts == 3 && suffix(&s, &pv->v))
		return -1;
	return *s == '\0' ? 0 : -1;
}

/* The smallest version above every version the first k parts of v name
 * (k = 1: next major, 2: next minor, 3: next patch). -1 on overflow. */
static int bump(const struct px_pl_ver *v, int k, struct px_pl_ver *out)
{
	memset(out, 0, sizeof(*out));
	out->major = v->major;
	if (k == 1)
		return v->major == UINT64_MAX ? -1 : (out->major++, 0);
	out->minor = v->minor;
	if (k == 2)
		return v->minor == UINT64_MAX ? -1 : (out->minor++, 0);
	out->patch = v->patch;
	return v->patch == UINT64_MAX ? -1 : (out->patch++, 0);
}

struct alt_b {
	int n;
	struct px_pl_cmp *c;
};

static int add(struct alt_b *a, enum px_pl_op op, const struct px_pl_ver *v)
{
	if (a->n >= PX_PL_RANGE_CMPS)
		return -1;
	a->c[a->n].op = op;
	a->c[a->n].v = *v;
	a->n++;
	return 0;
}

/* Lower and upper bound of "every version the partial names". */
static int x_range(struct alt_b *a, const struct partial *p)
{
	struct px_pl_ver hi;

	if (p->parts == 3)
		return add(a, PX_PL_EQ, &p->v);
	if (add(a, PX_PL_GE, &p->v))
		return -1;
	if (p->parts == 0)
		return 0;
	return bump(&p->v, p->parts, &hi) || add(a, PX_PL_LT, &hi);
}

static int caret(struct alt_b *a, const struct partial *p)
{
	struct px_pl_ver hi;
	int k;

	if (p->parts == 0)
		return add(a, PX_PL_GE, &p->v);
	/* the left-most non-zero part given stays; a zero major with no
	 * minor given keeps only the major */
	if (p->v.major > 0 || p->parts == 1)
		k = 1;
	else if (p->v.minor > 0 || p->parts == 2)
		k = 2;
	else
		k = 3;
	return add(a, PX_PL_GE, &p->v) || bump(&p->v, k, &hi) || add(a, PX_PL_LT, &hi);
}

static int tilde(struct alt_b *a, const struct partial *p)
{
	struct px_pl_ver hi;

	if (p->parts == 0)
		return add(a, PX_PL_GE, &p->v);
	return add(a, PX_PL_GE, &p->v) || bump(&p->v, p->parts >= 2 ? 2 : 1, &hi) ||
	       add(a, PX_PL_LT, &hi);
}

static int compare_op(struct alt_b *a, const char *op, const struct partial *p)
{
	struct px_pl_ver hi;
	int gt = op[0] == '>', eq = op[1] == '=';

	if (p->parts == 3)
		return add(a, gt ? (eq ? PX_PL_GE : PX_PL_GT) : (eq ? PX_PL_LE : PX_PL_LT), &p->v);
	if (p->parts == 0) /* ">=*" is anything; "<*" and ">*" nothing */
		return eq ? add(a, PX_PL_GE, &p->v) : add(a, PX_PL_LT, &p->v);
	if (gt && eq)
		return add(a, PX_PL_GE, &p->v);
	if (!gt && !eq)
		return add(a, PX_PL_LT, &p->v);
	/* ">1.2" is ">=1.3.0", "<=1.2" is "<1.3.0" */
	return bump(&p->v, p->parts, &hi) || add(a, gt ? PX_PL_GE : PX_PL_LT, &hi);
}

/* One comparator token ("^1.2", ">=1.0.0", "1.x"). */
static int comparator(struct alt_b *a, const char *t)
{
	struct partial p;
	char op[3] = "";
	size_t n = strspn(t, "<>=^~");

	if (n > 2)
		return -1;
	memcpy(op, t, n);
	if (partial_parse(t + n, &p))
		return -1;
	if (n == 0 || !strcmp(op, "="))
		return x_range(a, &p);
	if (!strcmp(op, "^"))
		return caret(a, &p);
	if (!strcmp(op, "~"))
		return tilde(a, &p);
	if (!strcmp(op, ">") || !strcmp(op, ">=") || !strcmp(op, "<") || !strcmp(op, "<="))
		return compare_op(a, op, &p);
	return -1;
}

/* "A - B": both ends included, B's open parts as in x-ranges. */
static int hyphen(struct alt_b *a, const char *lo, const char *hi)
{
	struct partial l, h;
	struct px_pl_ver up;

	if (partial_parse(lo, &l) || partial_parse(hi, &h))
		return -1;
	if (add(a, PX_PL_GE, &l.v))
		return -1;
	if (h.parts == 3)
		return add(a, PX_PL_LE, &h.v);
	if (h.parts == 0)
		return 0;
	return bump(&h.v, h.parts, &up) || add(a, PX_PL_LT, &up);
}

#define TOKENS 24
#define TOKEN_LEN 96

/* Splits one alternative into tokens, joining an operator written apart
 * from its version ("> = 1" is not accepted, ">= 1.2.3" is). */
static int tokens(const char *s, size_t len, char t[][TOKEN_LEN], int *n)
{
	size_t i = 0;

	*n = 0;
	while (i < len) {
		size_t start, k;

		while (i < len && isspace((unsigned char)s[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !isspace((unsigned char)s[i]))
			i++;
		k = i - start;
		if (*n >= TOKENS || k >= TOKEN_LEN)
			return -1;
		memcpy(t[*n], s + start, k);
		t[*n][k] = '\0';
		if (*n > 0 && strspn(t[*n - 1], "<>=^~") == strlen(t[*n - 1]) && t[*n - 1][0]) {
			size_t m = strlen(t[*n - 1]);

			if (m + k >= TOKEN_LEN)
				return -1;
			memcpy(t[*n - 1] + m, t[*n], k + 1);
			continue;
		}
		(*n)++;
	}
	return 0;
}

static int alternative(const char *s, size_t len, struct alt_b *a)
{
	char t[TOKENS][TOKEN_LEN];
	int n, i;

	if (tokens(s, len, t, &n))
		return -1;
	if (n == 0)
		return add(a, PX_PL_GE, &(struct px_pl_ver){ 0 }); /* "" is "*" */
	if (n == 3 && !strcmp(t[1], "-"))
		return hyphen(a, t[0], t[2]);
	for (i = 0; i < n; i++) {
		if (strspn(t[i], "<>=^~") == strlen(t[i]))
			return -1; /* an operator with nothing after it */
		if (comparator(a, t[i]))
			return -1;
	}
	return 0;
}

int px_pl_range_parse(const char *s, struct px_pl_range *r)
{
	memset(r, 0, sizeof(*r));
	for (;;) {
		const char *bar = strstr(s, "||");
		size_t len = bar ? (size_t)(bar - s) : strlen(s);
		struct alt_b a;

		if (r->nalts >= PX_PL_RANGE_ALTS)
			return -1;
		a.n = 0;
		a.c = r->alt[r->nalts].c;
		if (alternative(s, len, &a))
			return -1;
		r->alt[r->nalts].n = a.n;
		r->nalts++;
		if (!bar)
			return 0;
		s = bar + 2;
	}
}

static int holds(const struct px_pl_cmp *c, const struct px_pl_ver *v)
{
	int d = px_pl_ver_cmp(v, &c->v);

	switch (c->op) {
	case PX_PL_EQ: return d == 0;
	case PX_PL_LT: return d < 0;
	case PX_PL_LE: return d <= 0;
	case PX_PL_GT: return d > 0;
	case PX_PL_GE: return d >= 0;
	}
	return 0;
}

int px_pl_range_match(const struct px_pl_range *r, const struct px_pl_ver *v)
{
	for (int i = 0; i < r->nalts; i++) {
		int ok = 1, pre_named = !v->pre[0];

		for (int j = 0; j < r->alt[i].n && ok; j++) {
			const struct px_pl_ver *c = &r->alt[i].c[j].v;

			ok = holds(&r->alt[i].c[j], v);
			if (c->pre[0] && c->major == v->major && c->minor == v->minor &&
			    c->patch == v->patch)
				pre_named = 1;
		}
		if (ok && pre_named)
			return 1;
	}
	return 0;
}
