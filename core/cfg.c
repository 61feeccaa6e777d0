/* cfg.c: loads and validates configuration snapshots from the key table in
 * cfg_keys.def. A snapshot is immutable once returned. */
#include "core/cfg.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum key_type { T_STR, T_INT, T_BOOL, T_ENUM };
#define SECRET 1
#define RESTART 2
#define PATH 4

struct key_def {
	const char *name;
	enum key_type type;
	const char *def;
	int flags;
	long long min, max;
	const char *doc;
};

static const struct key_def keys[] = {
#define K(name, type, def, flags, min, max, doc) \
	{ #name, T_##type, def, flags, min, max, doc },
#include "core/cfg_keys.def"
#undef K
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct px_cfg {
	char *values[NKEYS];
	char *path;
	long long stamp;
};

const char *px_cfg_key_name(unsigned i)
{
	return i < NKEYS ? keys[i].name : NULL;
}

static int key_index(const char *name, size_t n)
{
	unsigned i;

	for (i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == n && memcmp(keys[i].name, name, n) == 0)
			return (int)i;
	return -1;
}

/* Checks an ENUM value against the words after "one of:" in the doc. */
static int enum_ok(const struct key_def *k, const char *v)
{
	const char *p = strstr(k->doc, "one of:");
	size_t vl = strlen(v);

	if (!p || vl == 0)
		return 0;
	p += 7;
	while (*p) {
		size_t wl;

		while (*p == ' ')
			p++;
		wl = strcspn(p, " .");
		if (wl == vl && strncmp(p, v, wl) == 0)
			return 1;
		p += wl;
		if (*p == '.')
			break;
	}
	return 0;
}

static const char *parse_bool(const char *v)
{
	static const char *const yes[] = { "on", "true", "yes", "1" };
	static const char *const no[] = { "off", "false", "no", "0" };
	unsigned i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return "on";
		if (strcasecmp(v, no[i]) == 0)
			return "off";
	}
	return NULL;
}

/* Validates v for key k and stores a normalised copy. Returns NULL on
 * success or a static reason. */
static const char *set_value(struct px_cfg *c, unsigned i, const char *v)
{
	const struct key_def *k = &keys[i];
	const char *norm = v;
	char *copy;

	switch (k->type) {
	case T_INT: {
		char *end;
		long long n;

		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno || end == v || *end)
			return "expected an integer";
		if (n < k->min || n > k->max)
			return "out of range";
		break;
	}
	case T_BOOL:
		norm = parse_bool(v);
		if (!norm)
			return "expected on/off, true/false, yes/no or 1/0";
		break;
	case T_ENUM:
		if (!enum_ok(k, v))
			return "not one of the allowed values";
		break;
	case T_STR:
		break;
	}
	copy = strdup(norm);
	if (!copy)
		return "out of memory";
	free(c->values[i]);
	c->values[i] = copy;
	return NULL;
}

/* Reads the first line of a secret file into a new string. */
static char *read_secret_file(const char *path)
{
	char line[4096];
	FILE *fp = fopen(path, "re");
	char *r = NULL;

	if (!fp)
		return NULL;
	if (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\r\n")] = '\0';
		r = strdup(line);
	} else {
		r = strdup("");
	}
	fclose(fp);
	return r;
}

/* value, or base/value when base is given and value is a relative path:
 * a file's paths are relative to the file's folder, so that a whole
 * installation can move (shared hosting). *tmp holds a joined path. */
static const char *resolve(const char *base, const char *value, struct px_buf *tmp)
{
	if (!base || !*value || value[0] == '/')
		return value;
	px_buf_reset(tmp);
	px_buf_printf(tmp, "%s/%s", base, value);
	return tmp->failed ? NULL : tmp->data;
}

/* Applies name=value from a source; name may be <secret>_file. base: the
 * folder of the config file the line came from, NULL for the environment. */
static const char *apply(struct px_cfg *c, const char *name, size_t nlen,
			 const char *value, const char *base)
{
	struct px_buf tmp = PX_BUF_INIT;
	int i = key_index(name, nlen);
	const char *why = "unknown key", *v;
	char *secret;

	if (i >= 0) {
		v = keys[i].flags & PATH ? resolve(base, value, &tmp) : value;
		why = v ? set_value(c, (unsigned)i, v) : "out of memory";
		goto out;
	}
	if (nlen > 5 && memcmp(name + nlen - 5, "_file", 5) == 0) {
		i = key_index(name, nlen - 5);
		if (i >= 0 && (keys[i].flags & SECRET)) {
			v = resolve(base, value, &tmp);
			secret = v ? read_secret_file(v) : NULL;
			if (!secret) {
				why = "cannot read the secret file";
				goto out;
			}
			why = set_value(c, (unsigned)i, secret);
			memset(secret, 0, strlen(secret));
			free(secret);
		}
	}
out:
	px_buf_free(&tmp);
	return why;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static long long stamp_of(const struct stat *st)
{
	return (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec +
	       (long long)st->st_size * 7;
}

long long px_cfg_file_stamp(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? stamp_of(&st) : -1;
}

/* The folder of path, absolute (relative paths in the file are taken from
 * it); NULL when it cannot be found or on no memory. Caller frees. */
static char *folder_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *abs;

	if (!slash)
		return realpath(".", NULL);
	dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
	abs = dir ? realpath(dir, NULL) : NULL;
	free(dir);
	return abs;
}

static int load_file(struct px_cfg *c, const char *path, struct px_buf *err)
{
	char line[8192], *base = NULL;
	FILE *fp;
	struct stat st;
	int lineno = 0, rc = -1;

	fp = fopen(path, "re");
	if (!fp) {
		px_buf_printf(err, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
		px_buf_printf(err, "%s: not a regular file", path);
		goto out;
	}
	/* anyone on the machine could rewrite it (point sql_dir or the
	 * database elsewhere): such a file is never trusted */
	if (st.st_mode & S_IWOTH) {
		px_buf_printf(err, "%s: refused: the file is writable by every user "
			      "(chmod o-w %s)", path, path);
		goto out;
	}
	c->stamp = stamp_of(&st);
	base = folder_of(path);
	if (!base) {
		px_buf_printf(err, "%s: cannot resolve its folder: %s", path, strerror(errno));
		goto out;
	}
	while (fgets(line, sizeof(line), fp)) {
		char *s, *eq, *name, *value;
		const char *why;
		size_t vl;

		lineno++;
		if (!strchr(line, '\n') && !feof(fp)) {
			px_buf_printf(err, "%s:%d: line too long", path, lineno);
			goto out;
		}
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			px_buf_printf(err, "%s:%d: expected key = value", path, lineno);
			goto out;
		}
		*eq = '\0';
		name = trim(s);
		value = trim(eq + 1);
		vl = strlen(value);
		if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
			value[vl - 1] = '\0';
			value++;
		}
		why = apply(c, name, strlen(name), value, base);
		if (why) {
			px_buf_printf(err, "%s:%d: %s: %s", path, lineno, name, why);
			goto out;
		}
	}
	rc = 0;
out:
	free(base);
	fclose(fp);
	return rc;
}

static int load_env(struct px_cfg *c, struct px_buf *err)
{
	char var[128];
	unsigned i, j;

	for (i = 0; i < NKEYS; i++) {
		int pass;

		for (pass = 0; pass < 2; pass++) {
			const char *suffix = pass ? "_FILE" : "", *v, *why;
			char name[96];

			if (pass && !(keys[i].flags & SECRET))
				continue;
			snprintf(var, sizeof(var), "PLEXICHAT_%s%s", keys[i].name, suffix);
			for (j = 10; var[j]; j++)
				var[j] = (char)toupper((unsigned char)var[j]);
			v = getenv(var);
			if (!v)
				continue;
			snprintf(name, sizeof(name), "%s%s", keys[i].name, pass ? "_file" : "");
			why = apply(c, name, strlen(name), v, NULL);
			if (why) {
				px_buf_printf(err, "environment: %s: %s", var, why);
				return -1;
			}
		}
	}
	return 0;
}

int px_cfg_load(const char *path, struct px_cfg **out, struct px_buf *err)
{
	struct px_cfg *c = calloc(1, sizeof(*c));
	unsigned i;

	if (!c)
		return -1;
	for (i = 0; i < NKEYS; i++)
		if (set_value(c, i, keys[i].def)) {
			px_buf_printf(err, "default for %s is invalid", keys[i].name);
			goto fail;
		}
	if (path && *path) {
		c->path = strdup(path);
		if (!c->path || load_file(c, path, err) != 0)
			goto fail;
	}
	if (load_env(c, err) != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	px_cfg_free(c);
	return -1;
}

const char *px_cfg_locate(const char *given, struct px_buf *found)
{
	char exe[4096], *slash;
	const char *env = getenv("PLEXICHAT_CONFIG");
	ssize_t len;

	if (given && *given)
		return given;
	if (env && *env)
		return env;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return NULL;
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	px_buf_reset(found);
	px_buf_printf(found, "%s/plexichat.conf", exe);
	return !found->failed && access(found->data, F_OK) == 0 ? found->data : NULL;
}

void px_cfg_free(struct px_cfg *c)
{
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < NKEYS; i++) {
		if (c->values[i] && (keys[i].flags & SECRET))
			memset(c->values[i], 0, strlen(c->values[i]));
		free(c->values[i]);
	}
	free(c->path);
	free(c);
}

static const char *value_of(const struct px_cfg *c, const char *key)
{
	int i = key_index(key, strlen(key));

	assert(i >= 0);
	return i >= 0 ? c->values[i] : "";
}

const char *px_cfg_str(const struct px_cfg *c, const char *key)
{
	return value_of(c, key);
}

long long px_cfg_int(const struct px_cfg *c, const char *key)
{
	return strtoll(value_of(c, key), NULL, 10);
}

int px_cfg_bool(const struct px_cfg *c, const char *key)
{
	return strcmp(value_of(c, key), "on") == 0;
}

const char *px_cfg_path(const struct px_cfg *c)
{
	return c->path;
}

long long px_cfg_stamp(const struct px_cfg *c)
{
	return c->stamp;
}

void px_cfg_dump_json(const struct px_cfg *c, struct px_buf *out)
{
	unsigned i;

	px_buf_putc(out, '{');
	for (i = 0; i < NKEYS; i++) {
		const char *v = (keys[i].flags & SECRET) && *c->values[i] ? "***"
									  : c->values[i];
		if (i)
			px_buf_putc(out, ',');
		px_buf_json_str(out, keys[i].name, strlen(keys[i].name));
		px_buf_putc(out, ':');
		px_buf_json_str(out, v, strlen(v));
	}
	px_buf_putc(out, '}');
}
