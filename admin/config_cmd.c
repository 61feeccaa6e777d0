/* admin/config_cmd.c: plexichat-admin config. The file named by -c is the
 * truth; config_versions (model/config_versions) keeps every text it had
 * when checked or rolled back, with who, when and its sha256. Values of
 * secret keys are never printed: show uses px_cfg_dump_json (secrets as
 * "***") and diff masks the lines that set them. The running server notices
 * a changed file by itself (px_cfg_file_stamp), so nothing is signalled. */
#include "admin/config_cmd.h"

#include "admin/linediff.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "model/config_versions.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const with_value[] = { "--who", NULL };

/* The configuration file's text and hex sha256. 0, or -1 after a message. */
static int read_current(const struct admin *a, struct px_buf *text, char sha[65])
{
	if (!a->cfg_path) {
		fprintf(stderr, "plexichat-admin: no configuration file: pass -c FILE or set PLEXICHAT_CONFIG\n");
		return -1;
	}
	if (admin_read_file(a->cfg_path, text) != 0) {
		fprintf(stderr, "plexichat-admin: cannot read %s: %s\n", a->cfg_path, strerror(errno));
		return -1;
	}
	px_crypto_sha256_hex(text->data, text->len, sha);
	return 0;
}

static void db_error(const char *what, enum px_err e)
{
	fprintf(stderr, "plexichat-admin: %s: %s%s\n", what, px_err_name(e),
		e == PX_E_SYSTEM_INTERNAL ? " (run plexichat-admin migrate?)" : "");
}

static int cmd_show(struct admin *a, int argc, char **argv)
{
	struct px_buf out = PX_BUF_INIT;
	struct json_object *o;

	px_cfg_dump_json(a->cfg, &out);
	if (admin_has_flag(argc, argv, "--json") || !(o = json_tokener_parse(out.data ? out.data : ""))) {
		printf("%s\n", out.data ? out.data : "{}");
	} else {
		struct json_object_iterator it = json_object_iter_begin(o), end = json_object_iter_end(o);

		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			printf("%s = %s\n", json_object_iter_peek_name(&it),
			       json_object_get_string(json_object_iter_peek_value(&it)));
		json_object_put(o);
	}
	px_buf_free(&out);
	return 0;
}

static int cmd_check(struct admin *a, int argc, char **argv)
{
	struct px_buf text = PX_BUF_INIT;
	struct px_m_config_version v;
	char sha[65];
	long long id = 0;
	enum px_err e;
	int rc = 1;

	/* main() loaded and validated it already, or we would not be here */
	if (read_current(a, &text, sha) != 0)
		goto out;
	printf("%s: valid\n", a->cfg_path);
	e = px_m_config_versions_add(a->db, admin_who(argc, argv), "check", a->cfg_path,
				     text.data, sha, 0, &id);
	if (e != PX_OK) {
		db_error("version not recorded", e);
		goto out;
	}
	if (id > 0) {
		printf("recorded as version %lld (sha256 %.12s)\n", id, sha);
	} else if (px_m_config_versions_get(a->db, 0, &v) == PX_OK) {
		printf("unchanged since version %lld (%s, %s)\n", v.id, v.at, v.who);
		px_m_config_version_clear(&v);
	}
	rc = 0;
out:
	px_buf_free(&text);
	return rc;
}

struct history {
	const char *sha;
	int json;
	struct px_buf line;
};

static void print_version(const struct px_m_config_version *v, void *arg)
{
	struct history *h = arg;
	int current = strcmp(v->sha256, h->sha) == 0;

	if (!h->json) {
		printf("%lld\t%s\t%s\t%s\t%.12s\t%lld%s\n", v->id, v->at, v->who, v->action,
		       v->sha256, v->bytes, current ? "\tcurrent" : "");
		return;
	}
	px_buf_reset(&h->line);
	px_buf_putc(&h->line, '{');
	admin_json_kv_int(&h->line, "id", v->id);
	admin_json_kv(&h->line, "at", v->at);
	admin_json_kv(&h->line, "who", v->who);
	admin_json_kv(&h->line, "action", v->action);
	admin_json_kv(&h->line, "path", v->path);
	admin_json_kv(&h->line, "sha256", v->sha256);
	admin_json_kv_int(&h->line, "bytes", v->bytes);
	px_buf_printf(&h->line, ",\"current\":%s}", current ? "true" : "false");
	(void)admin_put_line(&h->line);
}

static int cmd_history(struct admin *a, int argc, char **argv)
{
	struct history h = { "", admin_has_flag(argc, argv, "--json"), PX_BUF_INIT };
	struct px_buf text = PX_BUF_INIT;
	char sha[65] = "";
	enum px_err e;

	if (a->cfg_path && admin_read_file(a->cfg_path, &text) == 0) {
		px_crypto_sha256_hex(text.data, text.len, sha);
		h.sha = sha;
	}
	if (!h.json)
		printf("id\tat\twho\taction\tsha256\tbytes\n");
	e = px_m_config_versions_list(a->db, print_version, &h);
	if (e != PX_OK)
		db_error("history", e);
	px_buf_free(&h.line);
	px_buf_free(&text);
	return e == PX_OK ? 0 : 1;
}

/* Prints "key = ***" for a line setting a key named in arg (a JSON object
 * whose member names are the secret keys), else the line. */
static void mask_secret(const char *line, size_t len, struct px_buf *out, void *arg)
{
	struct json_object *secret_keys = arg;
	size_t i = 0, k0, k1;
	char key[128];

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	k0 = i;
	while (i < len && line[i] != '=' && line[i] != ' ' && line[i] != '\t')
		i++;
	k1 = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (secret_keys && i < len && line[i] == '=' && k1 > k0 && k1 - k0 < sizeof(key)) {
		memcpy(key, line + k0, k1 - k0);
		key[k1 - k0] = '\0';
		if (json_object_object_get_ex(secret_keys, key, NULL)) {
			px_buf_append(out, line, i + 1);
			px_buf_puts(out, " ***");
			return;
		}
	}
	px_buf_append(out, line, len);
}

/* Names of secret keys: those px_cfg_dump_json prints as "***". Returns a
 * JSON object the caller puts, or NULL when out of memory. */
static struct json_object *load_secret_keys(const struct admin *a)
{
	struct px_buf d = PX_BUF_INIT;
	struct json_object *o, *secret_keys;

	px_cfg_dump_json(a->cfg, &d);
	o = json_tokener_parse(d.data ? d.data : "");
	secret_keys = json_object_new_object();
	if (o && secret_keys) {
		struct json_object_iterator it = json_object_iter_begin(o), end = json_object_iter_end(o);

		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			if (strcmp(json_object_get_string(json_object_iter_peek_value(&it)), "***") == 0)
				json_object_object_add(secret_keys, json_object_iter_peek_name(&it), NULL);
	}
	json_object_put(o);
	px_buf_free(&d);
	return secret_keys;
}

static int parse_id(const char *s, long long *id)
{
	char *end;

	errno = 0;
	*id = s ? strtoll(s, &end, 10) : 0;
	if (s && (errno || *end || *id <= 0)) {
		fprintf(stderr, "plexichat-admin: %s is not a version number\n", s);
		return -1;
	}
	return 0;
}

static int cmd_diff(struct admin *a, int argc, char **argv)
{
	struct px_buf text = PX_BUF_INIT, out = PX_BUF_INIT;
	struct px_m_config_version v = { 0 };
	struct json_object *secret_keys = NULL;
	char sha[65], la[256], lb[1100];
	long long id;
	enum px_err e;
	int n, rc = 2;

	if (parse_id(admin_positional(argc, argv, 1, with_value), &id) != 0 ||
	    read_current(a, &text, sha) != 0)
		goto out;
	if ((e = px_m_config_versions_get(a->db, id, &v)) != PX_OK) {
		if (e == PX_E_VALIDATION_NOT_FOUND)
			fprintf(stderr, "plexichat-admin: %s; record one with: plexichat-admin config check\n",
				id ? "no such version" : "no version recorded yet");
		else
			db_error("diff", e);
		goto out;
	}
	if (!(secret_keys = load_secret_keys(a))) {
		fprintf(stderr, "plexichat-admin: out of memory\n");
		goto out;
	}
	snprintf(la, sizeof(la), "version %lld (%s, %s)", v.id, v.at, v.who);
	snprintf(lb, sizeof(lb), "%s (current)", a->cfg_path);
	n = admin_linediff(v.content, text.data, la, lb, 3, mask_secret, secret_keys, &out);
	if (n < 0) {
		fprintf(stderr, "plexichat-admin: out of memory\n");
		goto out;
	}
	if (n > 0)
		fwrite(out.data, 1, out.len, stdout);
	rc = n > 0; /* as diff(1): 0 same, 1 different, 2 trouble */
out:
	json_object_put(secret_keys);
	px_m_config_version_clear(&v);
	px_buf_free(&text);
	px_buf_free(&out);
	return rc;
}

/* Writes content next to path, with path's mode and owner, validates it as
 * a configuration, then renames it over path and syncs the folder. 0, or
 * -1 after a message; path is untouched on failure. */
static int replace_file(const char *path, const char *content, size_t len)
{
	struct px_buf tmp = PX_BUF_INIT, err = PX_BUF_INIT;
	struct px_cfg *check = NULL;
	char real[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	int fd = -1, dfd = -1, rc = -1, created = 0;

	if (!realpath(path, real) || stat(real, &st) != 0) {
		fprintf(stderr, "plexichat-admin: %s: %s\n", path, strerror(errno));
		goto out;
	}
	px_buf_printf(&tmp, "%s.rollback-XXXXXX", real);
	if (tmp.failed || (fd = mkstemp(tmp.data)) < 0) {
		fprintf(stderr, "plexichat-admin: cannot create a file next to %s: %s\n", real, strerror(errno));
		goto out;
	}
	created = 1;
	if (fchmod(fd, st.st_mode & 07777) != 0 ||
	    (fchown(fd, st.st_uid, st.st_gid) != 0 && errno != EPERM)) {
		fprintf(stderr, "plexichat-admin: %s: %s\n", tmp.data, strerror(errno));
		goto out;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, content + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "plexichat-admin: writing %s: %s\n", tmp.data, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		fprintf(stderr, "plexichat-admin: %s: %s\n", tmp.data, strerror(errno));
		goto out;
	}
	fd = -1;
	if (px_cfg_load(tmp.data, &check, &err) != 0) {
		fprintf(stderr, "plexichat-admin: that version does not load now: %s\n", err.data);
		goto out;
	}
	if (rename(tmp.data, real) != 0) {
		fprintf(stderr, "plexichat-admin: rename to %s: %s\n", real, strerror(errno));
		goto out;
	}
	created = 0;
	snprintf(dir, sizeof(dir), "%s", real);
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY)) >= 0)
		(void)fsync(dfd);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (created)
		unlink(tmp.data);
	px_cfg_free(check);
	px_buf_free(&tmp);
	px_buf_free(&err);
	return rc;
}

static int cmd_rollback(struct admin *a, int argc, char **argv)
{
	struct px_buf text = PX_BUF_INIT;
	struct px_m_config_version v = { 0 };
	const char *who = admin_who(argc, argv), *n = admin_positional(argc, argv, 1, with_value);
	char sha[65], action[64];
	long long id, rec = 0;
	enum px_err e;
	int rc = 1;

	if (!n)
		return -1;
	if (parse_id(n, &id) != 0 || read_current(a, &text, sha) != 0)
		goto out;
	if ((e = px_m_config_versions_get(a->db, id, &v)) != PX_OK) {
		if (e == PX_E_VALIDATION_NOT_FOUND)
			fprintf(stderr, "plexichat-admin: no version %lld (see plexichat-admin config history)\n", id);
		else
			db_error("rollback", e);
		goto out;
	}
	if (strcmp(v.sha256, sha) == 0) {
		printf("%s already has the text of version %lld; nothing written\n", a->cfg_path, id);
		rc = 0;
		goto out;
	}
	/* keep the text being replaced, when it was never recorded */
	e = px_m_config_versions_add(a->db, who, "before-rollback", a->cfg_path, text.data, sha, 0, &rec);
	if (e != PX_OK) {
		db_error("cannot record the current file first", e);
		goto out;
	}
	if (rec > 0)
		printf("recorded the current file as version %lld\n", rec);
	if (replace_file(a->cfg_path, v.content, strlen(v.content)) != 0)
		goto out;
	snprintf(action, sizeof(action), "rollback:%lld", id);
	e = px_m_config_versions_add(a->db, who, action, a->cfg_path, v.content, v.sha256, 1, &rec);
	if (e != PX_OK) {
		db_error("written, but the new version was not recorded", e);
		goto out;
	}
	printf("%s now has the text of version %lld (recorded as version %lld); "
	       "the server reloads it by itself\n", a->cfg_path, id, rec);
	rc = 0;
out:
	px_m_config_version_clear(&v);
	px_buf_free(&text);
	return rc;
}

int admin_cmd_config(struct admin *a, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct admin *, int, char **);
	} sub[] = {
		{ "show", cmd_show }, { "check", cmd_check }, { "diff", cmd_diff },
		{ "history", cmd_history }, { "rollback", cmd_rollback },
	};
	const char *s = admin_positional(argc, argv, 0, with_value);
	size_t i;

	for (i = 0; s && i < sizeof(sub) / sizeof(sub[0]); i++)
		if (strcmp(s, sub[i].name) == 0)
			return sub[i].fn(a, argc, argv);
	return -1;
}
