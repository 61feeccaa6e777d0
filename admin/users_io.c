/* admin/users_io.c: batch accounts. Import reads CSV with a header line or
 * JSON lines (told apart by the first non-blank character: '{' is JSON) with
 * the fields username, email, display_name, role; it is idempotent: an
 * account is found by username and then updated (only the fields given and
 * different) or left alone, never made twice. Imported accounts have no
 * password: they sign in after `reset-password` or through an identity
 * provider. Owners are not made or changed by import (set-role does that).
 * Export writes every account, deactivated ones included, as CSV (the same
 * columns plus deactivated and created_at, which import ignores) or JSON
 * lines. */
#include "admin/users_io.h"

#include "core/audit.h"
#include "auth/ident.h"
#include "auth/perm.h"
#include "model/users.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { F_USERNAME, F_EMAIL, F_DISPLAY, F_ROLE, NFIELDS };
static const char *const field_names[NFIELDS] = { "username", "email", "display_name", "role" };
/* columns export writes that import reads past */
static const char *const export_only[] = { "id", "deactivated", "created_at", NULL };

struct seen {
	char name[64];
	unsigned line;
};

struct import {
	struct admin *a;
	int dry_run;
	long created, updated, unchanged, rejected;
	struct seen *seen;
	size_t nseen, capseen;
};

static void line_report(unsigned line, const char *what, const char *name, const char *why)
{
	printf("line %u: %s %s%s%s\n", line, what, name && *name ? name : "-", why ? ": " : "", why ? why : "");
}

static void reject(struct import *im, unsigned line, const char *name, const char *why)
{
	im->rejected++;
	line_report(line, "skipped", name, why);
}

/* The line an earlier record with this username was on (case-insensitive),
 * or 0 after remembering this one. */
static unsigned duplicate(struct import *im, const char *name, unsigned line)
{
	struct seen *t;
	size_t i;

	for (i = 0; i < im->nseen; i++)
		if (strcasecmp(im->seen[i].name, name) == 0)
			return im->seen[i].line;
	if (im->nseen == im->capseen) {
		im->capseen = im->capseen ? im->capseen * 2 : 64;
		t = realloc(im->seen, im->capseen * sizeof(*t));
		if (!t)
			return 0;
		im->seen = t;
	}
	snprintf(im->seen[im->nseen].name, sizeof(im->seen[0].name), "%s", name);
	im->seen[im->nseen++].line = line;
	return 0;
}

struct update {
	long long id;
	const char *email, *display, *role; /* NULL: unchanged */
};

static enum px_err apply_update(struct px_db *db, void *arg)
{
	const struct update *u = arg;
	enum px_err e = PX_OK;

	if (u->display)
		e = px_m_users_update_profile(db, u->id, u->display, NULL);
	if (e == PX_OK && u->email)
		e = px_m_users_set_email(db, u->id, u->email, 0);
	if (e == PX_OK && u->role)
		e = px_m_users_set_role(db, u->id, u->role);
	return e;
}

static void create(struct import *im, unsigned line, const char *const f[NFIELDS],
		   const char *skeleton)
{
	struct px_m_user_new n;
	const char *which = NULL;
	char why[160];
	long long id = 0;
	enum px_err e;

	if (f[F_ROLE] && strcmp(f[F_ROLE], "owner") == 0) {
		reject(im, line, f[F_USERNAME], "import does not make owners (use set-role)");
		return;
	}
	e = px_m_users_clash(im->a->db, f[F_USERNAME], skeleton, f[F_EMAIL], 0, &which);
	if (e != PX_OK || which) {
		snprintf(why, sizeof(why), e != PX_OK ? "database: %s" : "%s already belongs to another account",
			 e != PX_OK ? px_err_name(e) : which);
		reject(im, line, f[F_USERNAME], why);
		return;
	}
	if (im->dry_run) {
		im->created++;
		line_report(line, "would create", f[F_USERNAME], NULL);
		return;
	}
	memset(&n, 0, sizeof(n));
	n.username = f[F_USERNAME];
	n.skeleton = skeleton;
	n.email = f[F_EMAIL];
	n.display_name = f[F_DISPLAY] ? f[F_DISPLAY] : f[F_USERNAME];
	n.password_hash = NULL;
	n.role = f[F_ROLE] ? f[F_ROLE] : "member";
	if ((e = px_m_users_create(im->a->db, &n, &id)) != PX_OK) {
		reject(im, line, f[F_USERNAME], px_err_name(e));
		return;
	}
	im->created++;
	snprintf(why, sizeof(why), "id %lld, %s", id, n.role);
	line_report(line, "created", f[F_USERNAME], why);
}

static void update(struct import *im, unsigned line, const char *const f[NFIELDS],
		   const struct px_m_user *u)
{
	struct update up = { u->id, NULL, NULL, NULL };
	const char *which = NULL;
	char what[80] = "";
	size_t wl = 0;
	enum px_err e;

	if (f[F_EMAIL] && strcasecmp(f[F_EMAIL], u->email) != 0) {
		up.email = f[F_EMAIL];
		wl += (size_t)snprintf(what + wl, sizeof(what) - wl, " email");
	}
	if (f[F_DISPLAY] && strcmp(f[F_DISPLAY], u->display_name) != 0) {
		up.display = f[F_DISPLAY];
		wl += (size_t)snprintf(what + wl, sizeof(what) - wl, " display_name");
	}
	if (f[F_ROLE] && strcmp(f[F_ROLE], u->role) != 0) {
		if (strcmp(f[F_ROLE], "owner") == 0 || strcmp(u->role, "owner") == 0) {
			reject(im, line, u->username, "import does not change owners (use set-role)");
			return;
		}
		up.role = f[F_ROLE];
		snprintf(what + wl, sizeof(what) - wl, " role");
	}
	if (!what[0]) {
		im->unchanged++;
		line_report(line, "skipped", u->username, "unchanged");
		return;
	}
	if (up.email) {
		e = px_m_users_clash(im->a->db, NULL, NULL, up.email, u->id, &which);
		if (e != PX_OK || which) {
			reject(im, line, u->username, e != PX_OK ? px_err_name(e)
			       : "email already belongs to another account");
			return;
		}
	}
	if (!im->dry_run && (e = px_db_tx(im->a->db, apply_update, &up)) != PX_OK) {
		reject(im, line, u->username, px_err_name(e));
		return;
	}
	im->updated++;
	line_report(line, im->dry_run ? "would update" : "updated", u->username, what + 1);
}

/* One record; f[i] NULL when the field is absent or empty. */
static void import_record(struct import *im, unsigned line, const char *f[NFIELDS])
{
	struct px_buf skeleton = PX_BUF_INIT;
	struct px_m_user u;
	const char *reason = "";
	char why[160];
	unsigned dup;
	enum px_err e;

	if (!f[F_USERNAME]) {
		reject(im, line, NULL, "no username");
		goto out;
	}
	if (px_ident_username(f[F_USERNAME], &skeleton, &reason) != PX_OK) {
		snprintf(why, sizeof(why), "invalid username (%s)", reason);
		reject(im, line, f[F_USERNAME], why);
		goto out;
	}
	if (f[F_ROLE] && px_perm_role_parse(f[F_ROLE]) < 0) {
		snprintf(why, sizeof(why), "unknown role %.40s (guest, member, moderator, admin)", f[F_ROLE]);
		reject(im, line, f[F_USERNAME], why);
		goto out;
	}
	if (f[F_EMAIL] && (strlen(f[F_EMAIL]) > 254 || !strchr(f[F_EMAIL], '@') ||
			   strpbrk(f[F_EMAIL], " \t\r\n<>,;"))) {
		reject(im, line, f[F_USERNAME], "invalid email");
		goto out;
	}
	if (f[F_DISPLAY] && (strlen(f[F_DISPLAY]) > 200 || strpbrk(f[F_DISPLAY], "\r\n\t"))) {
		reject(im, line, f[F_USERNAME], "display_name too long or with control characters");
		goto out;
	}
	if ((dup = duplicate(im, f[F_USERNAME], line)) != 0) {
		snprintf(why, sizeof(why), "duplicate of line %u", dup);
		reject(im, line, f[F_USERNAME], why);
		goto out;
	}
	e = px_m_users_find_login(im->a->db, f[F_USERNAME], &u);
	if (e == PX_OK && strcasecmp(u.username, f[F_USERNAME]) == 0)
		update(im, line, f, &u);
	else if (e == PX_OK || e == PX_E_VALIDATION_NOT_FOUND)
		create(im, line, f, skeleton.data);
	else
		reject(im, line, f[F_USERNAME], px_err_name(e));
out:
	px_buf_free(&skeleton);
}

/* Reads one CSV record (RFC 4180: quoted fields may hold commas, quotes
 * doubled and line breaks) from *p into cells, each cell NUL-terminated,
 * offsets in off[]; advances *p and *line. Returns the number of cells,
 * 0 at the end, -1 on an unterminated quote. */
static int csv_record(const char **p, unsigned *line, struct px_buf *cells, size_t *off,
		      int maxcells)
{
	const char *s = *p;
	int n = 0;

	if (!*s)
		return 0;
	px_buf_reset(cells);
	for (;;) {
		if (n < maxcells)
			off[n] = cells->len;
		if (*s == '"') {
			for (s++;; s++) {
				if (!*s)
					return -1;
				if (*s == '"' && s[1] == '"') {
					s++;
				} else if (*s == '"') {
					s++;
					break;
				}
				if (*s == '\n')
					(*line)++;
				if (n < maxcells)
					px_buf_putc(cells, *s);
			}
		}
		while (*s && *s != ',' && *s != '\n' && *s != '\r') {
			if (n < maxcells)
				px_buf_putc(cells, *s);
			s++;
		}
		if (n < maxcells)
			px_buf_putc(cells, '\0');
		n++;
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s == '\r')
			s++;
		if (*s == '\n')
			s++;
		(*line)++;
		break;
	}
	*p = s;
	return n;
}

#define MAXCOLS 32

/* Trims spaces in place; "" becomes NULL. */
static const char *field(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return *s ? s : NULL;
}

static int import_csv(struct import *im, const char *text)
{
	struct px_buf cells = PX_BUF_INIT;
	size_t off[MAXCOLS];
	int map[MAXCOLS], n, i, k, rc = 0;
	unsigned line = 1, start;
	const char *f[NFIELDS];

	n = csv_record(&text, &line, &cells, off, MAXCOLS);
	if (n <= 0 || n > MAXCOLS) {
		fprintf(stderr, "plexichat-admin: no CSV header line (username,email,display_name,role)\n");
		rc = -1;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *h = field(cells.data + off[i]);

		map[i] = -1;
		for (k = 0; h && k < NFIELDS; k++)
			if (strcasecmp(h, field_names[k]) == 0)
				map[i] = k;
		for (k = 0; h && map[i] < 0 && export_only[k]; k++)
			if (strcasecmp(h, export_only[k]) == 0)
				map[i] = NFIELDS;
		if (map[i] < 0)
			printf("header: column %d (%s) is not a field; ignored\n", i + 1, h ? h : "empty");
		if (map[i] == F_USERNAME)
			rc = 1;
	}
	if (rc != 1) {
		fprintf(stderr, "plexichat-admin: the CSV header has no username column\n");
		rc = -1;
		goto out;
	}
	rc = 0;
	for (;;) {
		start = line;
		n = csv_record(&text, &line, &cells, off, MAXCOLS);
		if (n == 0)
			break;
		if (n < 0 || cells.failed) {
			reject(im, start, NULL, n < 0 ? "unterminated quoted field" : "out of memory");
			break;
		}
		if (n == 1 && !field(cells.data + off[0]))
			continue; /* blank line */
		memset(f, 0, sizeof(f));
		for (i = 0; i < n && i < MAXCOLS; i++)
			if (map[i] >= 0 && map[i] < NFIELDS)
				f[map[i]] = field(cells.data + off[i]);
		import_record(im, start, f);
	}
out:
	px_buf_free(&cells);
	return rc;
}

static int import_jsonl(struct import *im, char *text)
{
	char *line = text, *end;
	unsigned no;
	int k;

	for (no = 1; line && *line; no++, line = end ? end + 1 : NULL) {
		struct json_object *o, *v;
		const char *f[NFIELDS];
		char why[96];
		int bad = 0;

		end = strchr(line, '\n');
		if (end)
			*end = '\0';
		if (!field(line))
			continue;
		o = json_tokener_parse(line);
		if (!o || !json_object_is_type(o, json_type_object)) {
			reject(im, no, NULL, "not a JSON object");
			json_object_put(o);
			continue;
		}
		memset(f, 0, sizeof(f));
		for (k = 0; k < NFIELDS; k++) {
			if (!json_object_object_get_ex(o, field_names[k], &v) || !v)
				continue;
			if (!json_object_is_type(v, json_type_string)) {
				snprintf(why, sizeof(why), "%s is not a string", field_names[k]);
				bad = 1;
				break;
			}
			f[k] = json_object_get_string(v);
			if (!*f[k])
				f[k] = NULL;
		}
		if (bad)
			reject(im, no, f[F_USERNAME], why);
		else
			import_record(im, no, f);
		json_object_put(o);
	}
	return 0;
}

static int cmd_import(struct admin *a, int argc, char **argv, const char *path)
{
	struct import im;
	struct px_buf text = PX_BUF_INIT;
	struct px_audit_event ev = { 0 };
	char fields[160];
	const char *p;
	int rc;

	memset(&im, 0, sizeof(im));
	im.a = a;
	im.dry_run = admin_has_flag(argc, argv, "--dry-run");
	if (admin_read_file(strcmp(path, "-") == 0 ? "/dev/stdin" : path, &text) != 0) {
		fprintf(stderr, "plexichat-admin: cannot read %s: %s\n", path, strerror(errno));
		px_buf_free(&text);
		return 1;
	}
	p = text.data;
	if (strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	rc = *p == '{' ? import_jsonl(&im, text.data + (p - text.data)) : import_csv(&im, p);
	if (rc == 0) {
		printf("%screated %ld, updated %ld, skipped %ld (%ld unchanged, %ld rejected)\n",
		       im.dry_run ? "dry run, nothing written: " : "", im.created, im.updated,
		       im.unchanged + im.rejected, im.unchanged, im.rejected);
		if (!im.dry_run && (im.created || im.updated)) {
			snprintf(fields, sizeof(fields), "{\"created\":%ld,\"updated\":%ld,\"rejected\":%ld}",
				 im.created, im.updated, im.rejected);
			ev.action = "admin.users_imported";
			ev.correlation_id = "plexichat-admin";
			ev.fields_json = fields;
			(void)px_audit(a->db, &ev);
		}
	}
	free(im.seen);
	px_buf_free(&text);
	return rc != 0 || im.rejected ? 1 : 0;
}

struct export {
	int json;
	long n;
	struct px_buf line;
};

static void csv_cell(struct px_buf *b, const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n") || (*s && (s[0] == ' ' || s[strlen(s) - 1] == ' '))) {
		px_buf_putc(b, '"');
		for (; *s; s++) {
			if (*s == '"')
				px_buf_putc(b, '"');
			px_buf_putc(b, *s);
		}
		px_buf_putc(b, '"');
	} else {
		px_buf_puts(b, s);
	}
	px_buf_putc(b, last ? '\n' : ',');
}

static void export_user(const struct px_m_user *u, void *arg)
{
	struct export *x = arg;

	x->n++;
	px_buf_reset(&x->line);
	if (x->json) {
		px_buf_putc(&x->line, '{');
		admin_json_kv_int(&x->line, "id", u->id);
		admin_json_kv(&x->line, "username", u->username);
		admin_json_kv(&x->line, "email", u->email[0] ? u->email : NULL);
		admin_json_kv(&x->line, "display_name", u->display_name);
		admin_json_kv(&x->line, "role", u->role);
		px_buf_printf(&x->line, ",\"deactivated\":%s", u->deactivated ? "true" : "false");
		admin_json_kv(&x->line, "created_at", u->created_at);
		px_buf_puts(&x->line, "}\n");
	} else {
		csv_cell(&x->line, u->username, 0);
		csv_cell(&x->line, u->email, 0);
		csv_cell(&x->line, u->display_name, 0);
		csv_cell(&x->line, u->role, 0);
		csv_cell(&x->line, u->deactivated ? "true" : "false", 0);
		csv_cell(&x->line, u->created_at, 1);
	}
	fwrite(x->line.data, 1, x->line.len, stdout);
}

static int cmd_export(struct admin *a, int argc, char **argv)
{
	struct export x = { admin_has_flag(argc, argv, "--json"), 0, PX_BUF_INIT };
	const int page = 500;
	long before;
	int offset = 0;
	enum px_err e;

	if (!x.json)
		printf("username,email,display_name,role,deactivated,created_at\n");
	do {
		before = x.n;
		e = px_m_users_list(a->db, NULL, 1, page, offset, export_user, &x);
		offset += page;
	} while (e == PX_OK && x.n - before == page);
	px_buf_free(&x.line);
	if (e != PX_OK)
		fprintf(stderr, "plexichat-admin: export: %s\n", px_err_name(e));
	return e == PX_OK ? 0 : 1;
}

int admin_cmd_users(struct admin *a, int argc, char **argv)
{
	const char *sub = admin_positional(argc, argv, 0, NULL);
	const char *file = admin_positional(argc, argv, 1, NULL);

	if (sub && strcmp(sub, "import") == 0 && file)
		return cmd_import(a, argc, argv, file);
	if (sub && strcmp(sub, "export") == 0)
		return cmd_export(a, argc, argv);
	return -1;
}
