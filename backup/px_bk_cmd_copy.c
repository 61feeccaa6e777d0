/* px_bk_cmd_copy.c: copy --to URL: the whole store, object by object and
 * byte for byte, into another store of any kind (local, S3, GCS, Azure).
 * Objects stay sealed (the same key opens the copy; nothing is
 * decrypted). Shards, keys and WAL go first, manifests after them and
 * "config" last, so the destination is a repository only once it is
 * complete, and a snapshot appears only after its shards. Objects the
 * destination already holds with the same size are skipped, so an
 * interrupted copy resumes. Lock objects are not copied. */
#include "backup/px_bk_cmd.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "storage/px_st_store.h"

struct names {
	json_object *by_name;   /* name -> size */
};

static int collect(void *arg, const char *name, size_t size)
{
	struct names *n = arg;

	if (strncmp(name, "locks/", 6) != 0)
		json_object_object_add(n->by_name, name, json_object_new_int64((int64_t)size));
	return 0;
}

/* 0: shards, keys, WAL, markers; 1: snapshots; 2: config. */
static int phase_of(const char *name)
{
	if (!strcmp(name, "config"))
		return 2;
	return strncmp(name, "snapshots/", 10) ? 0 : 1;
}

int px_bk_cmd_copy(struct px_bk_opts *o, int argc, char **argv)
{
	struct px_st_store *src = NULL, *dst = NULL;
	struct names have = { json_object_new_object() }, want = { json_object_new_object() };
	struct px_buf obj = PX_BUF_INIT, cfg = PX_BUF_INIT;
	unsigned long long copied = 0, skipped = 0, bytes = 0;
	enum px_err rc = PX_OK;
	int phase, code = PX_BK_EXIT_OK;

	(void)argc;
	(void)argv;
	if (!o->copy_to) {
		fprintf(stderr, "usage: copy --to URL\n");
		code = PX_BK_EXIT_USAGE;
		goto out;
	}
	src = px_bk_open_store(o);
	dst = src ? px_bk_open_store_at(o, o->copy_to) : NULL;
	if (!src || !dst) {
		code = PX_BK_EXIT_STORAGE;
		goto out;
	}
	rc = px_st_get(src, "config", &cfg);
	if (rc != PX_OK) {
		px_buf_printf(&obj, "%s is not a backup store (no config)", src->url);
		code = px_bk_fail(rc, "copy", &obj);
		goto out;
	}
	if (dst->ops->prepare)
		rc = dst->ops->prepare(dst);
	if (rc == PX_OK)
		rc = px_st_list(dst, "", collect, &have);
	if (rc == PX_OK)
		rc = px_st_list(src, "", collect, &want);
	if (rc != PX_OK) {
		code = px_bk_fail(rc, "copy", src->errmsg.len ? &src->errmsg : &dst->errmsg);
		goto out;
	}
	for (phase = 0; phase < 3 && rc == PX_OK; phase++) {
		json_object_object_foreach(want.by_name, name, size) {
			json_object *d;

			if (phase_of(name) != phase)
				continue;
			if (json_object_object_get_ex(have.by_name, name, &d) &&
			    json_object_get_int64(d) == json_object_get_int64(size)) {
				skipped++;
				continue;
			}
			rc = px_st_get(src, name, &obj);
			if (rc == PX_OK)
				rc = px_st_put(dst, name, obj.data ? obj.data : "", obj.len);
			if (rc != PX_OK) {
				struct px_buf d2 = PX_BUF_INIT;

				px_buf_printf(&d2, "%s: %s", name, src->errmsg.len ? src->errmsg.data :
					      dst->errmsg.len ? dst->errmsg.data : px_err_message(rc));
				code = px_bk_fail(rc, "copy", &d2);
				px_buf_free(&d2);
				break;
			}
			copied++;
			bytes += obj.len;
		}
		/* each phase durable before the next names it */
		if (rc == PX_OK && (rc = px_st_flush(dst)) != PX_OK)
			code = px_bk_fail(rc, "copy", &dst->errmsg);
	}
	if (rc == PX_OK) {
		char fields[256];

		snprintf(fields, sizeof(fields), "{\"to\":\"%s\",\"copied\":%llu,\"skipped\":%llu,"
			 "\"bytes\":%llu}", dst->url, copied, skipped, bytes);
		px_log_fields(PX_LOG_INFO, PX_BK_LOG_MODULE, NULL, fields, "copy done");
		printf("%s\n", fields);
	}
out:
	json_object_put(have.by_name);
	json_object_put(want.by_name);
	px_buf_free(&obj);
	px_buf_free(&cfg);
	px_st_store_free(src);
	px_st_store_free(dst);
	return code;
}
