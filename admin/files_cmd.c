/* admin/files_cmd.c: plexichat-admin files usage | cleanup | quota |
 * rethumb. The
 * figures and the clean-up are model/files_gc's; this file parses
 * arguments, opens the configured store and prints. */
#include "admin/files_cmd.h"

#include "core/audit.h"
#include "core/cfg.h"
#include "core/codec.h"
#include "model/files.h"
#include "model/files_gc.h"
#include "model/users.h"
#include "storage/px_st_files.h"

#include <ctype.h>
#include <strings.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int admin_parse_bytes(const char *s, long long *out)
{
	long long v = 0, mul = 1;
	const char *p = s;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (9223372036854775807LL - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	switch (toupper((unsigned char)*p)) {
	case '\0': break;
	case 'K': mul = 1LL << 10; break;
	case 'M': mul = 1LL << 20; break;
	case 'G': mul = 1LL << 30; break;
	case 'T': mul = 1LL << 40; break;
	default: return -1;
	}
	if (*p && p[1] && strcasecmp(p + 1, "iB") != 0 && strcasecmp(p + 1, "B") != 0)
		return -1;
	if (v > 9223372036854775807LL / mul)
		return -1;
	*out = v * mul;
	return 0;
}

static long long jint(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && !json_object_is_type(v, json_type_null)
		       ? json_object_get_string(v) : NULL;
}

/* Where the store is, for people: "local /var/lib/plexichat/files". */
static void store_where(struct admin *a, struct px_buf *kind, struct px_buf *where)
{
	const char *k = px_cfg_str(a->cfg, "files_store"), *dir = px_cfg_str(a->cfg, "files_dir");

	px_buf_puts(kind, k);
	if (px_st_files_remote_url(a->cfg))
		px_buf_puts(where, px_st_files_remote_url(a->cfg));
	else if (*dir)
		px_buf_puts(where, dir);
	else
		px_buf_printf(where, "%s/files", px_cfg_str(a->cfg, "data_dir"));
}

static int cmd_usage(struct admin *a, int argc, char **argv)
{
	const char *by = admin_opt_value(argc, argv, "--by"), *lim = admin_opt_value(argc, argv, "--limit");
	enum px_m_files_by b = PX_M_FILES_BY_NONE;
	struct px_buf out = PX_BUF_INIT, kind = PX_BUF_INIT, where = PX_BUF_INIT;
	struct json_object *j = NULL, *list = NULL;
	int limit = lim ? atoi(lim) : 20, rc = 1;
	char h1[32], h2[32];
	enum px_err e;
	size_t i, n;

	if (by && !strcmp(by, "user"))
		b = PX_M_FILES_BY_USER;
	else if (by && !strcmp(by, "channel"))
		b = PX_M_FILES_BY_CHANNEL;
	else if (by)
		return -1;
	if (limit < 1 || limit > 100000)
		return -1;
	if ((e = px_m_files_usage_json(a->db, b, limit, &out)) != PX_OK ||
	    !(j = json_tokener_parse(out.data))) {
		fprintf(stderr, "plexichat-admin: files usage: %s\n", px_err_name(e));
		goto out;
	}
	store_where(a, &kind, &where);
	json_object_object_add(j, "store", json_object_new_string(kind.data ? kind.data : ""));
	json_object_object_add(j, "location", json_object_new_string(where.data ? where.data : ""));
	if (admin_has_flag(argc, argv, "--json")) {
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		rc = 0;
		goto out;
	}
	admin_human_bytes(h1, sizeof(h1), jint(j, "bytes"));
	admin_human_bytes(h2, sizeof(h2), jint(j, "stored_bytes"));
	printf("store        %s %s\n", kind.data, where.data);
	printf("files        %lld (%s), %lld quarantined\n", jint(j, "files"), h1,
	       jint(j, "quarantined"));
	printf("objects      %lld (%s stored, the same bytes count once)\n", jint(j, "objects"), h2);
	admin_human_bytes(h1, sizeof(h1), jint(j, "upload_bytes"));
	printf("uploads      %lld in progress (%s received)\n", jint(j, "uploads"), h1);
	if ((b == PX_M_FILES_BY_USER && json_object_object_get_ex(j, "users", &list)) ||
	    (b == PX_M_FILES_BY_CHANNEL && json_object_object_get_ex(j, "channels", &list))) {
		printf("\n%-8s %-24s %8s %12s  %s\n", "id", b == PX_M_FILES_BY_USER ? "user" : "channel",
		       "files", "bytes", b == PX_M_FILES_BY_USER ? "quota" : "retention");
		n = json_object_array_length(list);
		for (i = 0; i < n; i++) {
			struct json_object *r = json_object_array_get_idx(list, i);
			const char *extra = jstr(r, b == PX_M_FILES_BY_USER ? "quota" : "files_retention_days");
			const char *name = jstr(r, b == PX_M_FILES_BY_USER ? "username" : "name");

			printf("%-8lld %-24s %8lld %12lld  %s%s\n", jint(r, "id"), name ? name : "(direct)",
			       jint(r, "files"), jint(r, "bytes"), extra ? extra : "default",
			       extra && b == PX_M_FILES_BY_CHANNEL ? " days" : "");
		}
	}
	rc = 0;
out:
	json_object_put(j);
	px_buf_free(&out);
	px_buf_free(&kind);
	px_buf_free(&where);
	return rc;
}

static int cmd_cleanup(struct admin *a, int argc, char **argv)
{
	struct px_m_files_gc_opts o = { 0 };
	struct px_m_files_gc_stats s;
	struct px_buf err = PX_BUF_INIT;
	struct px_st_files st = { .remote = NULL };
	struct px_m_files_objects ob = PX_ST_FILES_OBJECTS(&st);
	enum px_err e = PX_E_STORAGE_FAILED;
	int rc = 1;

	o.dry_run = admin_has_flag(argc, argv, "--dry-run");
	o.tmp_age = (long)px_cfg_int(a->cfg, "files_upload_ttl");
	memset(&s, 0, sizeof(s));
	if (px_st_files_open_config(a->cfg, &st, &err) != 0) {
		fprintf(stderr, "plexichat-admin: files cleanup: %s\n", err.data ? err.data : "");
		goto out;
	}
	e = px_m_files_cleanup(a->db, &ob, &o, &s, &err);
	if (admin_has_flag(argc, argv, "--json")) {
		printf("{\"dry_run\":%s,\"uploads_expired\":%lld,\"uploads_bytes\":%lld,"
		       "\"tmp_removed\":%lld,\"tmp_bytes\":%lld,\"retention_files\":%lld,"
		       "\"retention_bytes\":%lld,\"deleted_rows\":%lld,\"objects_checked\":%lld,"
		       "\"objects_removed\":%lld,\"objects_bytes\":%lld,\"objects_busy\":%lld,"
		       "\"ok\":%s}\n", o.dry_run ? "true" : "false", s.uploads_expired,
		       s.uploads_bytes, s.tmp_removed, s.tmp_bytes, s.retention_files,
		       s.retention_bytes, s.deleted_rows, s.objects_checked, s.objects_removed,
		       s.objects_bytes, s.objects_busy, e == PX_OK ? "true" : "false");
	} else {
		const char *verb = o.dry_run ? "would remove" : "removed";

		printf("expired uploads       %s %lld (%lld bytes received)\n", verb, s.uploads_expired,
		       s.uploads_bytes);
		printf("stale temporary files %s %lld (%lld bytes)\n", verb, s.tmp_removed, s.tmp_bytes);
		printf("past retention        %s %lld files (%lld bytes)\n", verb, s.retention_files,
		       s.retention_bytes);
		printf("deleted file rows     %s %lld\n", verb, s.deleted_rows);
		printf("orphan objects        %s %lld of %lld (%lld bytes)%s\n", verb, s.objects_removed,
		       s.objects_checked, s.objects_bytes,
		       s.objects_busy ? "; some were in use and are left for the next run" : "");
	}
	if (e != PX_OK)
		fprintf(stderr, "plexichat-admin: files cleanup: %s%s%s\n", px_err_name(e),
			err.len ? ": " : "", err.len ? err.data : "");
	rc = e == PX_OK ? 0 : 1;
out:
	px_st_files_close(&st);
	px_buf_free(&err);
	return rc;
}

/* files rethumb (--all | SHA256...) [--dry-run] [--json] */
static int cmd_rethumb(struct admin *a, int argc, char **argv)
{
	struct px_m_files_gc_stats s;
	struct px_buf err = PX_BUF_INIT;
	struct px_st_files st = { .remote = NULL };
	struct px_m_files_objects ob = PX_ST_FILES_OBJECTS(&st);
	int all = admin_has_flag(argc, argv, "--all"), dry = admin_has_flag(argc, argv, "--dry-run");
	int i, n = 0, rc = 1;
	enum px_err e = PX_OK;

	for (i = 0; i < argc; i++) {
		if (argv[i][0] == '-' && strcmp(argv[i], "--all") && strcmp(argv[i], "--dry-run") &&
		    strcmp(argv[i], "--json"))
			return -1;
		if (argv[i][0] != '-' && !px_codec_hex_lower_is(argv[i], 64)) {
			fprintf(stderr, "plexichat-admin: files rethumb: %s is not the SHA-256 of a file"
				" (64 lower-case hex digits)\n", argv[i]);
			return -1;
		}
		n += argv[i][0] != '-';
	}
	if (all == (n > 0))
		return -1;
	memset(&s, 0, sizeof(s));
	if (px_st_files_open_config(a->cfg, &st, &err) != 0) {
		fprintf(stderr, "plexichat-admin: files rethumb: %s\n", err.data ? err.data : "");
		goto out;
	}
	/* a local store makes missing derivatives at the next view; S3 only at upload */
	if (st.remote) {
		fprintf(stderr, "plexichat-admin: files rethumb: the file store is in S3, where"
			" derivatives are made at upload only; nothing was dropped\n");
		goto out;
	}
	if (all)
		e = px_m_files_rethumb(a->db, &ob, NULL, dry, &s);
	for (i = 0; i < argc && e == PX_OK; i++)
		if (argv[i][0] != '-')
			e = px_m_files_rethumb(a->db, &ob, argv[i], dry, &s);
	if (admin_has_flag(argc, argv, "--json"))
		printf("{\"dry_run\":%s,\"dropped\":%lld,\"objects_removed\":%lld,"
		       "\"objects_busy\":%lld,\"ok\":%s}\n", dry ? "true" : "false", s.image_rows,
		       s.objects_removed, s.objects_busy, e == PX_OK ? "true" : "false");
	else
		printf("%s %lld image%s' derivatives (%lld objects removed); made again at the next"
		       " view\n", dry ? "would drop" : "dropped", s.image_rows,
		       s.image_rows == 1 ? "" : "s", s.objects_removed);
	if (e != PX_OK)
		fprintf(stderr, "plexichat-admin: files rethumb: %s\n", px_err_name(e));
	rc = e == PX_OK ? 0 : 1;
out:
	px_st_files_close(&st);
	px_buf_free(&err);
	return rc;
}

static int cmd_quota(struct admin *a, int argc, char **argv)
{
	struct px_audit_event ev = { 0 };
	long long bytes = 0, used = 0, total = 0, own = -1;
	char h1[32], h2[32], target[40], fields[96];
	struct px_m_user u;
	enum px_err e;

	if (argc < 1 || argc > 2)
		return -1;
	if ((e = px_m_users_find_login(a->db, argv[0], &u)) != PX_OK) {
		fprintf(stderr, "plexichat-admin: %s: %s\n", argv[0], px_err_name(e));
		return 1;
	}
	if (argc == 2) {
		if (!strcmp(argv[1], "default"))
			bytes = -1;
		else if (admin_parse_bytes(argv[1], &bytes) != 0)
			return -1;
		if ((e = px_m_files_quota_set(a->db, u.id, bytes)) != PX_OK) {
			fprintf(stderr, "plexichat-admin: files quota: %s\n", px_err_name(e));
			return 1;
		}
		snprintf(target, sizeof(target), "user:%lld", u.id);
		snprintf(fields, sizeof(fields), "{\"bytes\":%lld}", bytes);
		ev.action = "admin.files.quota_set";
		ev.target = target;
		ev.correlation_id = "plexichat-admin";
		ev.fields_json = fields;
		(void)px_audit(a->db, &ev);
	}
	if ((e = px_m_files_usage_quota(a->db, u.id, &used, &total, &own)) != PX_OK) {
		fprintf(stderr, "plexichat-admin: files quota: %s\n", px_err_name(e));
		return 1;
	}
	admin_human_bytes(h1, sizeof(h1), used);
	if (own < 0) {
		long long def = px_cfg_int(a->cfg, "files_quota_user");

		if (def)
			admin_human_bytes(h2, sizeof(h2), def);
		printf("%s uses %s (%lld bytes); quota %s (default, files_quota_user)\n", u.username,
		       h1, used, def ? h2 : "unlimited");
	} else {
		if (own)
			admin_human_bytes(h2, sizeof(h2), own);
		printf("%s uses %s (%lld bytes); quota %s (%lld bytes, own)\n", u.username, h1, used,
		       own ? h2 : "unlimited", own);
	}
	return 0;
}

int admin_cmd_files(struct admin *a, int argc, char **argv)
{
	if (argc < 1)
		return -1;
	if (!strcmp(argv[0], "usage"))
		return cmd_usage(a, argc - 1, argv + 1);
	if (!strcmp(argv[0], "cleanup"))
		return cmd_cleanup(a, argc - 1, argv + 1);
	if (!strcmp(argv[0], "quota"))
		return cmd_quota(a, argc - 1, argv + 1);
	if (!strcmp(argv[0], "rethumb"))
		return cmd_rethumb(a, argc - 1, argv + 1);
	return -1;
}
