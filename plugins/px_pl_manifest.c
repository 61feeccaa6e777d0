/* px_pl_manifest.c: plugin.json into struct px_pl_manifest. Strict: an
 * unknown field, a wrong type or a value out of range refuses the whole
 * manifest, because what a plugin may do is read from it. */
#include "plugins/px_pl_manifest.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <json-c/json.h>

static const struct {
	const char *name;
	unsigned bit;
} perms[] = {
	{ "messages.read", PX_PL_PERM_MESSAGES_READ },
	{ "messages.modify", PX_PL_PERM_MESSAGES_MODIFY },
	{ "messages.post", PX_PL_PERM_MESSAGES_POST },
	{ "channels.read", PX_PL_PERM_CHANNELS_READ },
	{ "users.read", PX_PL_PERM_USERS_READ },
	{ "files.read", PX_PL_PERM_FILES_READ },
	{ "network", PX_PL_PERM_NETWORK },
	{ "storage", PX_PL_PERM_STORAGE },
};

/* event types a plugin can follow, and the permission each needs */
static const struct {
	const char *type;
	unsigned perm;
} events[] = {
	{ "message", PX_PL_PERM_MESSAGES_READ },
	{ "reaction", PX_PL_PERM_MESSAGES_READ },
	{ "member", PX_PL_PERM_CHANNELS_READ },
	{ "file", PX_PL_PERM_FILES_READ },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

unsigned px_pl_perm_bit(const char *name)
{
	for (size_t i = 0; i < N(perms); i++)
		if (!strcmp(perms[i].name, name))
			return perms[i].bit;
	return 0;
}

const char *px_pl_perm_name(unsigned bit)
{
	for (size_t i = 0; i < N(perms); i++)
		if (perms[i].bit == bit)
			return perms[i].name;
	return NULL;
}

int px_pl_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= PX_PL_NAME_MAX || !islower((unsigned char)s[0]) || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return 0;
	return 1;
}

/* A relative path inside the package: no "..", no empty or "." segment,
 * no leading '/', only [A-Za-z0-9._-/]. */
static int path_valid(const char *s)
{
	const char *seg = s;

	if (!*s || strlen(s) >= PX_PL_PATH_MAX)
		return 0;
	for (const char *p = s;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - seg);

			if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && !memcmp(seg, "..", 2)))
				return 0;
			if (*p == '\0')
				return 1;
			seg = p + 1;
		} else if (!isalnum((unsigned char)*p) && !strchr("._-", *p)) {
			return 0;
		}
	}
}

static int fail(struct px_buf *err, const char *field, const char *why)
{
	px_buf_printf(err, "%s: %s", field, why);
	return -1;
}

/* Copies string field o into out (cap bytes) when it is a string of at
 * most cap - 1 bytes. */
static int str_into(struct json_object *o, char *out, size_t cap, const char *field,
		    struct px_buf *err)
{
	size_t n;

	if (!json_object_is_type(o, json_type_string))
		return fail(err, field, "must be a string");
	n = (size_t)json_object_get_string_len(o);
	if (n >= cap || memchr(json_object_get_string(o), '\0', n))
		return fail(err, field, "too long");
	memcpy(out, json_object_get_string(o), n + 1);
	return 0;
}

static int int_in(struct json_object *o, int lo, int hi, int *out, const char *field,
		  struct px_buf *err)
{
	int64_t v;

	if (!json_object_is_type(o, json_type_int))
		return fail(err, field, "must be an integer");
	v = json_object_get_int64(o);
	if (v < lo || v > hi) {
		px_buf_printf(err, "%s: must be between %d and %d", field, lo, hi);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int hook(struct px_pl_manifest *m, const char *s, struct px_buf *err)
{
	struct px_pl_hookdecl *h;

	if (m->nhooks >= PX_PL_MAX_HOOKS)
		return fail(err, "hooks", "too many");
	h = &m->hooks[m->nhooks];
	memset(h, 0, sizeof(*h));
	if (!strcmp(s, "message.before_store")) {
		h->hook = PX_PL_HOOK_BEFORE_STORE;
	} else if (!strncmp(s, "event.", 6)) {
		size_t i;

		for (i = 0; i < N(events) && strcmp(events[i].type, s + 6); i++)
			;
		if (i == N(events))
			return fail(err, "hooks", "unknown event type");
		h->hook = PX_PL_HOOK_EVENT;
		strcpy(h->arg, events[i].type);
	} else if (!strncmp(s, "command:/", 9)) {
		if (!px_pl_name_valid(s + 9))
			return fail(err, "hooks", "a command name is [a-z][a-z0-9_-]*");
		h->hook = PX_PL_HOOK_COMMAND;
		strcpy(h->arg, s + 9);
	} else if (!strcmp(s, "route")) {
		h->hook = PX_PL_HOOK_ROUTE;
	} else if (!strcmp(s, "schedule")) {
		h->hook = PX_PL_HOOK_SCHEDULE;
	} else {
		return fail(err, "hooks", "unknown hook");
	}
	for (int i = 0; i < m->nhooks; i++)
		if (m->hooks[i].hook == h->hook && !strcmp(m->hooks[i].arg, h->arg))
			return fail(err, "hooks", "listed twice");
	m->nhooks++;
	return 0;
}

unsigned px_pl_hook_needs(const struct px_pl_hookdecl *h)
{
	if (h->hook == PX_PL_HOOK_BEFORE_STORE)
		return PX_PL_PERM_MESSAGES_READ;
	for (size_t j = 0; h->hook == PX_PL_HOOK_EVENT && j < N(events); j++)
		if (!strcmp(events[j].type, h->arg))
			return events[j].perm;
	return 0;
}

/* Hooks that show a plugin data need the permission to read it. */
static int hooks_permitted(const struct px_pl_manifest *m, struct px_buf *err)
{
	for (int i = 0; i < m->nhooks; i++) {
		const struct px_pl_hookdecl *h = &m->hooks[i];
		unsigned need = px_pl_hook_needs(h);

		if (need && !(m->perms & need)) {
			px_buf_printf(err, "hooks: %s needs the permission \"%s\"",
				      h->hook == PX_PL_HOOK_EVENT ? "an event hook" : "message.before_store",
				      px_pl_perm_name(need));
			return -1;
		}
		if (h->hook == PX_PL_HOOK_SCHEDULE && m->schedule_seconds == 0)
			return fail(err, "schedule_seconds", "needed by the schedule hook");
	}
	return 0;
}

static int strings_each(struct json_object *a, const char *field, struct px_buf *err,
			int (*fn)(struct px_pl_manifest *, const char *, struct px_buf *),
			struct px_pl_manifest *m)
{
	if (!json_object_is_type(a, json_type_array))
		return fail(err, field, "must be an array of strings");
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *v = json_object_array_get_idx(a, i);

		if (!json_object_is_type(v, json_type_string))
			return fail(err, field, "must be an array of strings");
		if (fn(m, json_object_get_string(v), err))
			return -1;
	}
	return 0;
}

static int perm(struct px_pl_manifest *m, const char *s, struct px_buf *err)
{
	unsigned b = px_pl_perm_bit(s);

	if (!b)
		return fail(err, "permissions", "unknown permission");
	m->perms |= b;
	return 0;
}

static int deps(struct px_pl_manifest *m, struct json_object *o, struct px_buf *err)
{
	if (!json_object_is_type(o, json_type_object))
		return fail(err, "dependencies", "must be an object of name: range");
	json_object_object_foreach(o, k, v) {
		struct px_pl_dep *d;

		if (m->ndeps >= PX_PL_MAX_DEPS)
			return fail(err, "dependencies", "too many");
		if (!px_pl_name_valid(k))
			return fail(err, "dependencies", "not a plugin name");
		for (int i = 0; i < m->ndeps; i++)
			if (!strcmp(m->deps[i].name, k))
				return fail(err, "dependencies", "listed twice");
		d = &m->deps[m->ndeps];
		memset(d, 0, sizeof(*d));
		strcpy(d->name, k);
		if (str_into(v, d->text, sizeof(d->text), "dependencies", err))
			return -1;
		if (px_pl_range_parse(d->text, &d->range))
			return fail(err, "dependencies", "not a version range");
		m->ndeps++;
	}
	return 0;
}

static int setting(struct px_pl_manifest *m, struct json_object *o, struct px_buf *err)
{
	static const char *const types[] = { "string", "bool", "int", "enum" };
	struct px_pl_setting *s;
	char type[16] = "";

	if (m->nsettings >= PX_PL_MAX_SETTINGS)
		return fail(err, "settings", "too many");
	if (!json_object_is_type(o, json_type_object))
		return fail(err, "settings", "each must be an object");
	s = &m->settings[m->nsettings];
	memset(s, 0, sizeof(*s));
	json_object_object_foreach(o, k, v) {
		int rc;

		if (!strcmp(k, "key"))
			rc = str_into(v, s->key, sizeof(s->key), "settings.key", err);
		else if (!strcmp(k, "type"))
			rc = str_into(v, type, sizeof(type), "settings.type", err);
		else if (!strcmp(k, "label"))
			rc = str_into(v, s->label, sizeof(s->label), "settings.label", err);
		else if (!strcmp(k, "default"))
			rc = str_into(v, s->def, sizeof(s->def), "settings.default", err);
		else if (!strcmp(k, "options"))
			rc = str_into(v, s->options, sizeof(s->options), "settings.options", err);
		else
			rc = fail(err, "settings", "unknown field");
		if (rc)
			return -1;
	}
	if (!px_pl_name_valid(s->key) || !s->label[0])
		return fail(err, "settings", "each needs a key ([a-z][a-z0-9_-]*) and a label");
	for (size_t i = 0; i < N(types); i++)
		if (!strcmp(type, types[i])) {
			s->type = (enum px_pl_stype)i;
			if (s->type == PX_PL_S_ENUM && !s->options[0])
				return fail(err, "settings.options", "an enum lists its values (a|b|c)");
			m->nsettings++;
			return 0;
		}
	return fail(err, "settings.type", "one of string, bool, int, enum");
}

static int migration(struct px_pl_manifest *m, struct json_object *o, struct px_buf *err)
{
	struct px_pl_migration *g;

	if (m->nmigrations >= PX_PL_MAX_MIGRATIONS)
		return fail(err, "migrations", "too many");
	if (!json_object_is_type(o, json_type_object))
		return fail(err, "migrations", "each must be an object with up (and down)");
	g = &m->migrations[m->nmigrations];
	{
		json_object_object_foreach(o, k, v) {
			int rc;

			if (!strcmp(k, "up"))
				rc = str_into(v, g->up, sizeof(g->up), "migrations.up", err);
			else if (!strcmp(k, "down"))
				rc = str_into(v, g->down, sizeof(g->down), "migrations.down", err);
			else
				rc = fail(err, "migrations", "unknown field");
			if (rc)
				return -1;
		}
	}
	if (!path_valid(g->up) || (g->down[0] && !path_valid(g->down)))
		return fail(err, "migrations", "up and down are relative paths inside the package");
	m->nmigrations++;
	return 0;
}

enum { SEEN_NAME = 1, SEEN_VERSION = 2, SEEN_KIND = 4, SEEN_ENTRY = 8, SEEN_ABI = 16,
       SEEN_PROTOCOL = 32 };

static const char *const seen_names[] = { "name", "version", "kind", "entry", "abi", "protocol" };

static int field(struct px_pl_manifest *m, const char *k, struct json_object *v,
		 struct px_buf *err, unsigned *seen)
{
	char text[PX_PL_TEXT_MAX];

	for (unsigned i = 0; i < N(seen_names); i++)
		if (!strcmp(k, seen_names[i]))
			*seen |= 1u << i;

	if (!strcmp(k, "name"))
		return str_into(v, m->name, sizeof(m->name), "name", err) ||
		       (!px_pl_name_valid(m->name) &&
			fail(err, "name", "[a-z][a-z0-9_-]*, at most 40 characters"));
	if (!strcmp(k, "version"))
		return str_into(v, text, sizeof(text), "version", err) ||
		       (px_pl_ver_parse(text, &m->version) && fail(err, "version", "not SemVer 2.0.0"));
	if (!strcmp(k, "description"))
		return str_into(v, m->description, sizeof(m->description), "description", err);
	if (!strcmp(k, "kind")) {
		if (str_into(v, text, sizeof(text), "kind", err))
			return -1;
		if (!strcmp(text, "inproc") || !strcmp(text, "process")) {
			m->kind = text[0] == 'i' ? PX_PL_INPROC : PX_PL_PROCESS;
			return 0;
		}
		return fail(err, "kind", "inproc or process");
	}
	if (!strcmp(k, "abi") || !strcmp(k, "protocol"))
		return int_in(v, 1, INT_MAX, &m->abi, k, err);
	if (!strcmp(k, "entry"))
		return str_into(v, m->entry, sizeof(m->entry), "entry", err) ||
		       (!path_valid(m->entry) && fail(err, "entry", "a relative path inside the package"));
	if (!strcmp(k, "hooks"))
		return strings_each(v, "hooks", err, hook, m);
	if (!strcmp(k, "permissions"))
		return strings_each(v, "permissions", err, perm, m);
	if (!strcmp(k, "dependencies"))
		return deps(m, v, err);
	if (!strcmp(k, "settings")) {
		if (!json_object_is_type(v, json_type_array))
			return fail(err, "settings", "must be an array");
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (setting(m, json_object_array_get_idx(v, i), err))
				return -1;
		return 0;
	}
	if (!strcmp(k, "migrations")) {
		if (!json_object_is_type(v, json_type_array))
			return fail(err, "migrations", "must be an array");
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (migration(m, json_object_array_get_idx(v, i), err))
				return -1;
		return 0;
	}
	if (!strcmp(k, "memory_mb"))
		return int_in(v, 8, 4096, &m->memory_mb, k, err);
	if (!strcmp(k, "cpu_seconds"))
		return int_in(v, 1, 86400, &m->cpu_seconds, k, err);
	if (!strcmp(k, "open_files"))
		return int_in(v, 8, 4096, &m->open_files, k, err);
	if (!strcmp(k, "call_timeout_ms"))
		return int_in(v, 1, 60000, &m->call_timeout_ms, k, err);
	if (!strcmp(k, "schedule_seconds"))
		return int_in(v, 10, 7 * 86400, &m->schedule_seconds, k, err);
	if (!strcmp(k, "failure")) {
		if (str_into(v, text, sizeof(text), "failure", err))
			return -1;
		if (strcmp(text, "open") && strcmp(text, "closed"))
			return fail(err, "failure", "open or closed");
		m->fail_closed = text[0] == 'c';
		return 0;
	}
	return fail(err, k, "unknown field");
}

int px_pl_manifest_parse(const char *text, size_t len, struct px_pl_manifest *m,
			 struct px_buf *err)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = NULL;
	unsigned seen = 0;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	m->memory_mb = 64;
	m->cpu_seconds = 60;
	m->open_files = 32;
	m->call_timeout_ms = 250;
	if (!tok)
		goto out;
	if (len > 65536) {
		fail(err, "manifest", "larger than 64 KiB");
		goto out;
	}
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o || json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object)) {
		fail(err, "manifest", "not one JSON object");
		goto out;
	}
	{
		json_object_object_foreach(o, k, v) {
			if (field(m, k, v, err, &seen))
				goto out;
		}
	}
	if ((seen & (SEEN_NAME | SEEN_VERSION | SEEN_KIND | SEEN_ENTRY)) !=
	    (SEEN_NAME | SEEN_VERSION | SEEN_KIND | SEEN_ENTRY)) {
		fail(err, "manifest", "name, version, kind and entry are required");
		goto out;
	}
	if ((seen & (SEEN_ABI | SEEN_PROTOCOL)) !=
	    (m->kind == PX_PL_INPROC ? SEEN_ABI : SEEN_PROTOCOL)) {
		fail(err, m->kind == PX_PL_INPROC ? "abi" : "protocol",
		     m->kind == PX_PL_INPROC ? "an inproc plugin names the ABI it was built for"
					     : "a process plugin names the protocol it speaks");
		goto out;
	}
	if (m->abi != (m->kind == PX_PL_INPROC ? PX_PL_ABI : PX_PL_PROTOCOL)) {
		px_buf_printf(err, "%s: built for %d, this PlexiChat speaks %d",
			      m->kind == PX_PL_INPROC ? "abi" : "protocol", m->abi,
			      m->kind == PX_PL_INPROC ? PX_PL_ABI : PX_PL_PROTOCOL);
		goto out;
	}
	for (int i = 0; i < m->ndeps; i++)
		if (!strcmp(m->deps[i].name, m->name)) {
			fail(err, "dependencies", "a plugin cannot depend on itself");
			goto out;
		}
	if (hooks_permitted(m, err))
		goto out;
	if (m->nmigrations && !(m->perms & PX_PL_PERM_STORAGE)) {
		fail(err, "migrations", "data migrations need the permission \"storage\"");
		goto out;
	}
	rc = 0;
out:
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	return rc;
}

int px_pl_setting_ok(const struct px_pl_setting *s, const char *value)
{
	char *end;
	size_t n = strlen(value);

	switch (s->type) {
	case PX_PL_S_BOOL:
		return !strcmp(value, "true") || !strcmp(value, "false");
	case PX_PL_S_INT:
		(void)strtoll(value, &end, 10);
		return n && *end == '\0';
	case PX_PL_S_ENUM:
		for (const char *o = s->options; *o; o += strcspn(o, "|") + (o[strcspn(o, "|")] != 0))
			if (strcspn(o, "|") == n && !strncmp(o, value, n))
				return 1;
		return 0;
	case PX_PL_S_STRING:
		return n < PX_PL_TEXT_MAX * 8;
	}
	return 0;
}

const struct px_pl_setting *px_pl_setting_find(const struct px_pl_manifest *m, const char *key)
{
	for (int i = 0; i < m->nsettings; i++)
		if (!strcmp(m->settings[i].key, key))
			return &m->settings[i];
	return NULL;
}
