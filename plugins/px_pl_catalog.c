/* px_pl_catalog.c: index.json of a plugin catalogue into entries. Strict
 * like the manifest: an entry with an unknown field, a bad hash, a
 * signature that is not 64 bytes, or a URL of another scheme refuses the
 * whole index, since an admin installs from what it says. */
#include "plugins/px_pl_catalog.h"

#include "core/codec.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

static int fail(struct px_buf *err, int i, const char *field, const char *why)
{
	if (i >= 0)
		px_buf_printf(err, "plugins[%d].%s: %s", i, field, why);
	else
		px_buf_printf(err, "%s: %s", field, why);
	return -1;
}

/* The package URL: absolute https:// or file://, or relative to the
 * index (no scheme, no leading '/', no ".." segment). 0, or -1. */
static int resolve_url(const char *index_url, const char *u, char *out, size_t cap)
{
	const char *slash;
	size_t base;

	if (!strncmp(u, "https://", 8) || !strncmp(u, "file:///", 8))
		return (size_t)snprintf(out, cap, "%s", u) < cap ? 0 : -1;
	if (strstr(u, "://") || u[0] == '/' || !u[0] || strstr(u, "..") || strchr(u, '\\'))
		return -1;
	slash = strrchr(index_url, '/');
	if (!slash)
		return -1;
	base = (size_t)(slash - index_url) + 1;
	return (size_t)snprintf(out, cap, "%.*s%s", (int)base, index_url, u) < cap ? 0 : -1;
}

static int entry(struct json_object *o, int i, const char *index_url, struct px_pl_entry *e,
		 struct px_buf *err)
{
	int have = 0;

	if (!json_object_is_type(o, json_type_object))
		return fail(err, i, "", "each entry is an object");
	memset(e, 0, sizeof(*e));
	json_object_object_foreach(o, k, v) {
		const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v)
									 : NULL;

		if (!strcmp(k, "manifest")) {
			const char *text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
			struct px_buf why = PX_BUF_INIT;
			int rc;

			if (!json_object_is_type(v, json_type_object))
				return fail(err, i, k, "an object");
			rc = px_pl_manifest_parse(text, strlen(text), &e->m, &why);
			if (rc)
				fail(err, i, k, why.data ? why.data : "refused");
			px_buf_free(&why);
			if (rc)
				return -1;
			have |= 1;
		} else if (!strcmp(k, "url")) {
			if (!s || resolve_url(index_url, s, e->url, sizeof(e->url)))
				return fail(err, i, k, "https://, file:// or a path relative to the index");
			have |= 2;
		} else if (!strcmp(k, "sha256")) {
			if (!s || !px_codec_hex_lower_is(s, 64))
				return fail(err, i, k, "64 lower-case hex digits");
			strcpy(e->sha256, s);
			have |= 4;
		} else if (!strcmp(k, "signature")) {
			if (!s || px_pl_sig_decode(s, e->sig, sizeof(e->sig)))
				return fail(err, i, k, "base64 of an Ed25519 signature");
			have |= 8;
		} else {
			return fail(err, i, k, "unknown field");
		}
	}
	return have == 15 ? 0 : fail(err, i, "", "manifest, url, sha256 and signature are required");
}

int px_pl_catalog_parse(const char *text, size_t len, const char *index_url,
			struct px_pl_catalog *c, struct px_buf *err)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = NULL, *list = NULL;
	struct px_pl_entry *v;
	int rc = -1, n0 = c->n;
	size_t n;

	if (!tok)
		return -1;
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o || json_tokener_get_parse_end(tok) != len || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "plugins", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		fail(err, -1, "index", "one JSON object with a \"plugins\" array");
		goto out;
	}
	n = json_object_array_length(list);
	if (n + (size_t)c->n > PX_PL_CATALOG_MAX) {
		fail(err, -1, "index", "too many versions");
		goto out;
	}
	if (!n) {
		rc = 0;
		goto out;
	}
	if (!(v = realloc(c->v, ((size_t)c->n + n) * sizeof(*v))))
		goto out;
	c->v = v;
	for (size_t i = 0; i < n; i++) {
		if (entry(json_object_array_get_idx(list, i), (int)i, index_url, &c->v[c->n], err))
			goto out;
		c->n++;
	}
	rc = 0;
out:
	if (rc)
		c->n = n0; /* nothing of a refused index stays */
	json_object_put(o);
	json_tokener_free(tok);
	return rc;
}

void px_pl_catalog_free(struct px_pl_catalog *c)
{
	free(c->v);
	c->v = NULL;
	c->n = 0;
}
