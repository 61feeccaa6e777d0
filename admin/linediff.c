/* admin/linediff.c: unified line diff (see linediff.h). Written here
 * rather than running diff(1) so that configuration text, which may hold
 * secrets, is never written to temporary files, and so that each line can
 * be masked before it is printed. */
#include "admin/linediff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct lines {
	struct px_str *l;
	size_t n;
};

/* Splits s at '\n' (a last line without one still counts). 0 or -1. */
static int split(const char *s, struct lines *out)
{
	size_t cap = 16, n = 0;
	const char *p = s, *e;
	struct px_str *l = malloc(cap * sizeof(*l)), *t;

	if (!l)
		return -1;
	while (*p) {
		e = strchr(p, '\n');
		if (n == cap) {
			cap *= 2;
			if (!(t = realloc(l, cap * sizeof(*l)))) {
				free(l);
				return -1;
			}
			l = t;
		}
		l[n].ptr = p;
		l[n].len = e ? (size_t)(e - p) : strlen(p);
		n++;
		p = e ? e + 1 : p + strlen(p);
	}
	out->l = l;
	out->n = n;
	return 0;
}

static int same(struct px_str x, struct px_str y)
{
	return x.len == y.len && memcmp(x.ptr, y.ptr, x.len) == 0;
}

struct op {
	char kind;   /* ' ', '-', '+' */
	size_t ai;   /* lines of a before this op */
	size_t bi;   /* lines of b before this op */
};

/* Fills ops for a[lo..ha) against b[lo..hb) by LCS. */
static int lcs_ops(const struct lines *a, const struct lines *b, size_t lo, size_t ha,
		   size_t hb, struct op *ops, size_t *nops)
{
	size_t n = ha - lo, m = hb - lo, i, j, w = m + 1;
	uint32_t *t = NULL;

	if (n * w <= (4u << 20))
		t = calloc((n + 1) * w, sizeof(*t));
	if (!t) {
		/* too large (or no memory): all of a out, all of b in */
		for (i = 0; i < n; i++)
			ops[(*nops)++] = (struct op){ '-', lo + i, lo };
		for (j = 0; j < m; j++)
			ops[(*nops)++] = (struct op){ '+', ha, lo + j };
		return 0;
	}
	/* t[i][j] = LCS length of a[lo+i..ha) and b[lo+j..hb) */
	for (i = n; i-- > 0;)
		for (j = m; j-- > 0;)
			t[i * w + j] = same(a->l[lo + i], b->l[lo + j]) ? t[(i + 1) * w + j + 1] + 1
				: (t[(i + 1) * w + j] >= t[i * w + j + 1] ? t[(i + 1) * w + j] : t[i * w + j + 1]);
	i = j = 0;
	while (i < n || j < m) {
		if (i < n && j < m && same(a->l[lo + i], b->l[lo + j])) {
			ops[(*nops)++] = (struct op){ ' ', lo + i, lo + j };
			i++, j++;
		} else if (j < m && (i == n || t[i * w + j + 1] >= t[(i + 1) * w + j])) {
			ops[(*nops)++] = (struct op){ '+', lo + i, lo + j };
			j++;
		} else {
			ops[(*nops)++] = (struct op){ '-', lo + i, lo + j };
			i++;
		}
	}
	free(t);
	return 0;
}

static void put_line(struct px_buf *out, char kind, struct px_str s,
		     void (*mask)(const char *, size_t, struct px_buf *, void *), void *mask_arg)
{
	px_buf_putc(out, kind);
	if (mask)
		mask(s.ptr, s.len, out, mask_arg);
	else
		px_buf_append(out, s.ptr, s.len);
	px_buf_putc(out, '\n');
}

static void hunk(const struct lines *a, const struct lines *b, const struct op *ops,
		 size_t s, size_t e, void (*mask)(const char *, size_t, struct px_buf *, void *), void *mask_arg,
		 struct px_buf *out)
{
	size_t k, na = 0, nb = 0;

	for (k = s; k < e; k++) {
		na += ops[k].kind != '+';
		nb += ops[k].kind != '-';
	}
	px_buf_printf(out, "@@ -%zu,%zu +%zu,%zu @@\n", ops[s].ai + (na > 0), na,
		      ops[s].bi + (nb > 0), nb);
	for (k = s; k < e; k++)
		put_line(out, ops[k].kind, ops[k].kind == '+' ? b->l[ops[k].bi] : a->l[ops[k].ai], mask, mask_arg);
}

int admin_linediff(const char *ta, const char *tb, const char *la, const char *lb,
		   int context, void (*mask)(const char *line, size_t len, struct px_buf *out, void *arg),
		   void *mask_arg, struct px_buf *out)
{
	struct lines a = { NULL, 0 }, b = { NULL, 0 };
	struct op *ops = NULL;
	size_t nops = 0, head = 0, ta_end, tb_end, k, s, e, ctx = (size_t)(context < 0 ? 0 : context);
	int changes = -1;

	if (split(ta, &a) != 0 || split(tb, &b) != 0)
		goto out;
	if (!(ops = malloc((a.n + b.n + 1) * sizeof(*ops))))
		goto out;
	while (head < a.n && head < b.n && same(a.l[head], b.l[head])) {
		ops[nops] = (struct op){ ' ', head, head };
		nops++, head++;
	}
	ta_end = a.n, tb_end = b.n;
	while (ta_end > head && tb_end > head && same(a.l[ta_end - 1], b.l[tb_end - 1]))
		ta_end--, tb_end--;
	if (lcs_ops(&a, &b, head, ta_end, tb_end, ops, &nops) != 0)
		goto out;
	for (k = 0; ta_end + k < a.n; k++)
		ops[nops++] = (struct op){ ' ', ta_end + k, tb_end + k };
	changes = 0;
	for (k = 0; k < nops; k++)
		changes += ops[k].kind != ' ';
	if (!changes)
		goto out;
	px_buf_printf(out, "--- %s\n+++ %s\n", la, lb);
	/* hunks: runs of changes, merged when under 2*ctx unchanged lines apart */
	k = 0;
	while (k < nops) {
		while (k < nops && ops[k].kind == ' ')
			k++;
		if (k == nops)
			break;
		s = k > ctx ? k - ctx : 0;
		e = k;
		for (;;) {
			size_t gap;

			while (e < nops && ops[e].kind != ' ')
				e++;
			for (gap = 0; e + gap < nops && ops[e + gap].kind == ' '; gap++)
				;
			if (e + gap == nops || gap > 2 * ctx) {
				e += gap < ctx ? gap : ctx;
				break;
			}
			e += gap;
		}
		hunk(&a, &b, ops, s, e, mask, mask_arg, out);
		k = e;
	}
	if (out->failed)
		changes = -1;
out:
	free(ops);
	free(a.l);
	free(b.l);
	return changes;
}
