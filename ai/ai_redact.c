/* ai_redact.c: the detectors and the placeholder map (ai_redact.h).
 * Detection runs left to right at word starts, trying the most specific
 * detector first (e-mail, key formats, IBAN, card, phone, entropy). */
#include "ai/ai_redact.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[PX_RED_KINDS] = { "EMAIL", "PHONE", "IBAN", "CARD", "SECRET" };

void px_ai_redactor_init(struct px_ai_redactor *r)
{
	memset(r, 0, sizeof(*r));
	px_buf_init(&r->values);
}

void px_ai_redactor_free(struct px_ai_redactor *r)
{
	px_buf_free(&r->values);
	free(r->off);
	free(r->kind);
	free(r->num);
	memset(r, 0, sizeof(*r));
}

int px_ai_luhn_ok(const char *d, size_t n)
{
	int sum = 0, dbl = 0;
	size_t i;

	if (n < 12 || n > 19)
		return 0;
	for (i = n; i-- > 0;) {
		int x;

		if (!isdigit((unsigned char)d[i]))
			return 0;
		x = d[i] - '0';
		if (dbl && (x *= 2) > 9)
			x -= 9;
		sum += x;
		dbl = !dbl;
	}
	return sum % 10 == 0;
}

int px_ai_iban_ok(const char *s, size_t n)
{
	unsigned rem = 0;
	size_t i;

	if (n < 15 || n > 34 || !isupper((unsigned char)s[0]) || !isupper((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]) || !isdigit((unsigned char)s[3]))
		return 0;
	/* the first four characters move to the end; letters count 10..35 */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[(i + 4) % n];

		if (isdigit(c))
			rem = (rem * 10 + (unsigned)(c - '0')) % 97;
		else if (isupper(c))
			rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
		else
			return 0;
	}
	return rem == 1;
}

double px_ai_entropy(const char *s, size_t n)
{
	unsigned cnt[256] = { 0 };
	double h = 0;
	size_t i;

	for (i = 0; i < n; i++)
		cnt[(unsigned char)s[i]]++;
	for (i = 0; i < 256; i++)
		if (cnt[i]) {
			double p = (double)cnt[i] / (double)n;

			h -= p * log2(p);
		}
	return h;
}

/* --- detectors: each returns the length of its match at s[0..n), 0 none */

static int local_c(unsigned char c)
{
	return isalnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static size_t email(const char *s, size_t n)
{
	size_t i = 0, at, dot = 0;

	while (i < n && local_c((unsigned char)s[i]))
		i++;
	if (i == 0 || i >= n || s[i] != '@')
		return 0;
	at = ++i;
	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '.'))
		i++;
	/* a full stop after the address ends the sentence, not the domain */
	while (i > at && s[i - 1] == '.')
		i--;
	for (dot = i; dot > at && s[dot - 1] != '.'; dot--)
		;
	dot = dot > at ? dot - 1 : 0;
	return dot > at && dot + 2 < i + 1 && i - dot > 2 ? i : 0;
}

static int tok_c(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '+' || c == '/' || c == '=' || c == '.';
}

static size_t token_len(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && tok_c((unsigned char)s[i]))
		i++;
	while (i > 0 && (s[i - 1] == '.' || s[i - 1] == '='))
		i--;
	return i;
}

/* API keys with a known prefix (OpenAI, Anthropic, Stripe, GitHub, Slack,
 * GitLab, Google, AWS) or a JWT. */
static size_t api_key(const char *s, size_t n)
{
	static const char *const pre[] = { "sk-", "sk_live_", "sk_test_", "rk_live_", "pk_live_",
					   "ghp_", "gho_", "ghs_", "ghu_", "github_pat_", "xoxb-",
					   "xoxp-", "xoxa-", "glpat-", "AIza", "AKIA", "ASIA",
					   "eyJ" };
	size_t t = token_len(s, n), i;

	for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
		size_t pl = strlen(pre[i]);

		if (t >= pl + 12 && strncmp(s, pre[i], pl) == 0)
			return t;
	}
	return 0;
}

/* A run of digits with single spaces or dashes between; *nd gets the
 * digits (without separators) into d (cap 40). */
static size_t digits_run(const char *s, size_t n, char *d, size_t *nd)
{
	size_t i = 0, end = 0;

	*nd = 0;
	while (i < n && *nd < 39) {
		if (isdigit((unsigned char)s[i])) {
			d[(*nd)++] = s[i++];
			end = i;
		} else if ((s[i] == ' ' || s[i] == '-') && i + 1 < n &&
			   isdigit((unsigned char)s[i + 1]) && end == i) {
			i++;
		} else {
			break;
		}
	}
	d[*nd] = '\0';
	return end;
}

static size_t card(const char *s, size_t n)
{
	char d[40];
	size_t nd, len = digits_run(s, n, d, &nd);

	return nd >= 13 && px_ai_luhn_ok(d, nd) ? len : 0;
}

static size_t iban(const char *s, size_t n)
{
	char c[40];
	size_t i = 0, k = 0, best = 0;

	/* letters and digits, optionally in groups of four split by spaces;
	 * the longest prefix with a valid checksum wins */
	while (i < n && k < 34) {
		unsigned char ch = (unsigned char)s[i];

		if (isupper(ch) || isdigit(ch)) {
			c[k++] = (char)ch;
			i++;
			if (px_ai_iban_ok(c, k))
				best = i;
		} else if (ch == ' ' && k % 4 == 0 && k > 0 && i + 1 < n &&
			   isalnum((unsigned char)s[i + 1])) {
			i++;
		} else {
			break;
		}
	}
	return best;
}

/* Separators inside a phone number: "+49 (30) 123-45.67/8". */
static int sep(unsigned char c)
{
	return c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')';
}

static size_t phone(const char *s, size_t n)
{
	size_t i = 0, nd = 0, end = 0;
	int plus = s[0] == '+';

	if (plus)
		i++;
	else if (s[0] != '0' && s[0] != '(')
		return 0;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isdigit(c)) {
			nd++;
			end = i + 1;
		} else if (!sep(c) || !((i + 1 < n && isdigit((unsigned char)s[i + 1])) ||
					(i + 2 < n && sep((unsigned char)s[i + 1]) &&
					 isdigit((unsigned char)s[i + 2])))) {
			break;
		}
	}
	return nd >= (plus ? 8u : 9u) && nd <= 15 ? end : 0;
}

static size_t secret(const char *s, size_t n)
{
	size_t t = token_len(s, n), i, al = 0, dg = 0;

	if (t < 24 || t > 512)
		return 0;
	for (i = 0; i < t; i++) {
		al += isalpha((unsigned char)s[i]) != 0;
		dg += isdigit((unsigned char)s[i]) != 0;
	}
	return al && dg && px_ai_entropy(s, t) >= 4.0 ? t : 0;
}

/* The placeholder of value (made when new). */
static void placeholder(struct px_ai_redactor *r, enum px_ai_red_kind k, const char *v,
			size_t vn, struct px_buf *out)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->kind[i] == k && strlen(r->values.data + r->off[i]) == vn &&
		    memcmp(r->values.data + r->off[i], v, vn) == 0)
			break;
	if (i == r->n) {
		if (r->n == r->cap) {
			size_t nc = r->cap ? r->cap * 2 : 8;
			size_t *o = realloc(r->off, nc * sizeof(*o));
			enum px_ai_red_kind *kk = o ? realloc(r->kind, nc * sizeof(*kk)) : NULL;
			int *nu;

			if (o)
				r->off = o;
			if (kk)
				r->kind = kk;
			nu = kk ? realloc(r->num, nc * sizeof(*nu)) : NULL;
			if (!nu) {
				r->failed = 1;
				out->failed = 1;
				return;
			}
			r->num = nu;
			r->cap = nc;
		}
		r->off[r->n] = r->values.len;
		px_buf_append(&r->values, v, vn);
		px_buf_putc(&r->values, '\0');
		r->kind[r->n] = k;
		r->num[r->n] = ++r->count[k];
		r->n++;
	}
	px_buf_printf(out, "[%s_%d]", names[k], r->num[i]);
}

void px_ai_redact(struct px_ai_redactor *r, const char *s, size_t n, struct px_buf *out)
{
	size_t i = 0;

	while (i < n) {
		int start = i == 0 || !isalnum((unsigned char)s[i - 1]);
		size_t m = 0;
		enum px_ai_red_kind k = PX_RED_EMAIL;

		if (start && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '(')) {
			if ((m = email(s + i, n - i)))
				k = PX_RED_EMAIL;
			else if ((m = api_key(s + i, n - i)))
				k = PX_RED_SECRET;
			else if ((m = iban(s + i, n - i)))
				k = PX_RED_IBAN;
			else if ((m = card(s + i, n - i)))
				k = PX_RED_CARD;
			else if ((m = phone(s + i, n - i)))
				k = PX_RED_PHONE;
			else if ((m = secret(s + i, n - i)))
				k = PX_RED_SECRET;
		}
		if (m) {
			placeholder(r, k, s + i, m, out);
			i += m;
		} else {
			px_buf_putc(out, s[i++]);
		}
	}
}

void px_ai_restore(const struct px_ai_redactor *r, const char *s, size_t n, struct px_buf *out)
{
	size_t i = 0, j;

	while (i < n) {
		int done = 0;

		if (s[i] == '[' && r->n) {
			for (j = 0; j < r->n && !done; j++) {
				char ph[48];
				int l = snprintf(ph, sizeof(ph), "[%s_%d]", names[r->kind[j]], r->num[j]);

				if (l > 0 && (size_t)l <= n - i && memcmp(s + i, ph, (size_t)l) == 0) {
					px_buf_puts(out, r->values.data + r->off[j]);
					i += (size_t)l;
					done = 1;
				}
			}
		}
		if (!done)
			px_buf_putc(out, s[i++]);
	}
}
