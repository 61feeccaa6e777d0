/* path.c: a route's typed path parameters. A set holds at most PX_PATH_MAX
 * parameters; each owns its text, and its number always agrees with the
 * text (px_path_dec). */
#include "core/path.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t px_path_dec(const char *s, size_t n)
{
	int64_t v = 0;
	size_t i;

	/* 18 digits stay below INT64_MAX, so the sum below cannot overflow */
	if (n == 0 || n > 18 || s[0] == '0')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static struct px_path_param *find(const struct px_path *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->p[i].name, name) == 0)
			return (struct px_path_param *)&p->p[i];
	return NULL;
}

int px_path_add(struct px_path *p, const char *name, size_t nlen,
		const char *text, size_t tlen)
{
	struct px_path_param *q;
	char *t;

	if (p->n >= PX_PATH_MAX || nlen >= PX_PATH_NAME_MAX)
		return -1;
	if (!(t = strndup(text, tlen)))
		return -1;
	q = &p->p[p->n++];
	memcpy(q->name, name, nlen);
	q->name[nlen] = '\0';
	q->text = t;
	q->num = px_path_dec(t, strlen(t));
	return 0;
}

void px_path_clear(struct px_path *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->p[i].text);
	memset(p, 0, sizeof(*p));
}

int64_t px_path_int(const struct px_path *p, const char *name)
{
	const struct px_path_param *q = find(p, name);

	return q ? q->num : 0;
}

const char *px_path_str(const struct px_path *p, const char *name)
{
	const struct px_path_param *q = find(p, name);

	return q ? q->text : NULL;
}

int px_path_set_int(struct px_path *p, const char *name, int64_t v)
{
	struct px_path_param *q = find(p, name);
	char digits[24];
	int n;

	if (v < 1 || v > PX_PATH_INT_MAX)
		return -1;
	n = snprintf(digits, sizeof(digits), "%" PRId64, v);
	if (!q)
		return px_path_add(p, name, strlen(name), digits, (size_t)n);
	free(q->text);
	if (!(q->text = strdup(digits))) {
		/* the text may never be NULL: drop the parameter instead */
		*q = p->p[--p->n];
		return -1;
	}
	q->num = v;
	return 0;
}
