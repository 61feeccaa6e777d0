/* mediatype.c: the RFC 9110 media-type grammar, by hand and in one pass:
 *   media-type = type "/" subtype parameters
 *   parameters = *( OWS ";" OWS [ name OWS "=" OWS value ] )
 *   value      = token / quoted-string
 * (OWS around '=' is more than RFC 9110 allows; clients send it and both
 * readers of a request must take it alike.) Never reads past n. */
#include "core/mediatype.h"

#include <string.h>
#include <strings.h>

/* tchar of RFC 9110 section 5.6.2. */
static int tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static size_t ows(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

static size_t token(const char *s, size_t n, size_t i)
{
	while (i < n && tchar((unsigned char)s[i]))
		i++;
	return i;
}

/* Skips past the next ';' that is not inside a quoted-string; n if none. */
static size_t skip_param(const char *s, size_t n, size_t i)
{
	int quoted = 0;

	for (; i < n; i++) {
		if (quoted && s[i] == '\\')
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == ';')
			return i;
	}
	return n;
}

/* Reads the value at s[*i] into v (at most PX_MT_VALUE_MAX bytes and a
 * NUL; *vlen is the full length even when longer). 0, or -1 when there is
 * no value or a quoted-string is broken. */
static int value(const char *s, size_t n, size_t *i, char *v, size_t *vlen)
{
	size_t p = *i, len = 0;

	if (p < n && s[p] == '"') {
		for (p++; p < n && s[p] != '"'; p++) {
			unsigned char c = (unsigned char)s[p];

			if (c == '\\' && p + 1 < n)
				c = (unsigned char)s[++p];
			/* qdtext and quoted-pair: HTAB, SP, VCHAR, obs-text */
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return -1;
			if (len < PX_MT_VALUE_MAX)
				v[len] = (char)c;
			len++;
		}
		if (p >= n)
			return -1;
		p++;
	} else {
		size_t end = token(s, n, p);

		if (end == p)
			return -1;
		for (; p < end; p++, len++)
			if (len < PX_MT_VALUE_MAX)
				v[len] = s[p];
	}
	v[len < PX_MT_VALUE_MAX ? len : PX_MT_VALUE_MAX] = '\0';
	*vlen = len;
	*i = p;
	return 0;
}

/* Keeps the first of a repeated parameter; 0, or -1 when this one is a
 * repeat or too long to keep. */
static int keep(char *dst, const char *v, size_t vlen, unsigned *count)
{
	if ((*count)++ > 0)
		return -1;
	if (vlen > PX_MT_VALUE_MAX)
		return -1;
	memcpy(dst, v, vlen + 1);
	return 0;
}

int px_mediatype_parse(const char *s, size_t n, struct px_mediatype *mt)
{
	char v[PX_MT_VALUE_MAX + 1];
	size_t i, t, sl, name, name_len, vlen, k;
	int rc = 0;

	memset(mt, 0, sizeof(*mt));
	i = ows(s, n, 0);
	t = token(s, n, i);
	if (t == i || t >= n || s[t] != '/')
		return -1;
	sl = token(s, n, t + 1);
	k = ows(s, n, sl);
	if (sl == t + 1 || (k < n && s[k] != ';'))
		return -1;
	mt->essence.ptr = s + i;
	mt->essence.len = sl - i;
	mt->type.ptr = s + i;
	mt->type.len = t - i;
	mt->subtype.ptr = s + t + 1;
	mt->subtype.len = sl - t - 1;
	for (i = k; i < n; i = ows(s, n, i)) {
		if (s[i] != ';') { /* text after a value: skip it */
			rc = -1;
			i = skip_param(s, n, i);
			continue;
		}
		i = ows(s, n, i + 1);
		if (i >= n || s[i] == ';')
			continue; /* an empty parameter is allowed */
		name = i;
		i = token(s, n, i);
		name_len = i - name;
		i = ows(s, n, i);
		if (name_len == 0 || i >= n || s[i] != '=') {
			rc = -1;
			i = skip_param(s, n, i);
			continue;
		}
		i = ows(s, n, i + 1);
		if (value(s, n, &i, v, &vlen) != 0) {
			rc = -1;
			i = skip_param(s, n, i);
			continue;
		}
		if (name_len == 7 && strncasecmp(s + name, "charset", 7) == 0) {
			if (keep(mt->charset, v, vlen, &mt->ncharset) != 0)
				rc = -1;
			for (k = 0; mt->charset[k]; k++)
				if (mt->charset[k] >= 'A' && mt->charset[k] <= 'Z')
					mt->charset[k] += 'a' - 'A';
		} else if (name_len == 8 && strncasecmp(s + name, "boundary", 8) == 0) {
			if (keep(mt->boundary, v, vlen, &mt->nboundary) != 0)
				rc = -1;
			mt->boundary_len = strlen(mt->boundary);
		}
	}
	return rc;
}

int px_mediatype_is(const struct px_mediatype *mt, const char *want)
{
	const char *slash = strchr(want, '/');
	size_t tl;

	if (!slash || mt->type.len == 0)
		return 0;
	tl = (size_t)(slash - want);
	if (tl != mt->type.len || strncasecmp(want, mt->type.ptr, tl) != 0)
		return 0;
	if (strcmp(slash + 1, "*") == 0)
		return 1;
	return strlen(slash + 1) == mt->subtype.len &&
	       strncasecmp(slash + 1, mt->subtype.ptr, mt->subtype.len) == 0;
}

int px_mediatype_suffix(const struct px_mediatype *mt, const char *suffix)
{
	size_t sl = strlen(suffix);

	return mt->subtype.len > sl &&
	       strncasecmp(mt->subtype.ptr + mt->subtype.len - sl, suffix, sl) == 0;
}
