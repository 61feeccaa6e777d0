/* px_bk_verify.c: snapshot verification (see px_bk_verify.h). */
#include "backup/px_bk_verify.h"
#include "backup/px_bk_manifest.h"
#include "backup/px_bk_reader.h"
#include "core/codec.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"

struct uniq {
	struct px_bk_known *seen;
	unsigned char (*ids)[32];
	size_t n, cap;
	int failed;
};

static int add_uniq(void *arg, const char *hex, size_t size)
{
	struct uniq *u = arg;
	unsigned char id[32];

	if (px_codec_hex_decode_fixed(hex, id, 32) != 0 || px_bk_known_has(u->seen, id))
		return 0;
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 256;
		void *p = realloc(u->ids, cap * 32);

		if (!p) {
			u->failed = 1;
			return 1;
		}
		u->ids = p;
		u->cap = cap;
	}
	if (px_bk_known_add(u->seen, id) != 0) {
		u->failed = 1;
		return 1;
	}
	memcpy(u->ids[u->n++], id, 32);
	return 0;
}

enum px_err px_bk_verify(struct px_bk_repo *r, json_object *m, size_t sample,
			 struct px_bk_verify_result *res,
			 void (*on_progress)(void *, uint64_t), void *arg,
			 struct px_buf *err)
{
	struct uniq u = { px_bk_known_new(), NULL, 0, 0, 0 };
	struct px_buf plain = PX_BUF_INIT;
	struct px_bk_reader *rd = NULL;
	enum px_err rc = PX_E_SYSTEM_INTERNAL;
	char hex[65];
	size_t i;

	memset(res, 0, sizeof(*res));
	if (!u.seen)
		goto out;
	px_bk_manifest_each_shard(m, add_uniq, &u);
	if (u.failed)
		goto out;
	res->shards = u.n;
	rc = px_bk_known_rebuild(r->known, r->store);
	if (rc != PX_OK)
		goto out;
	/* present ones first in the array, missing ones reported */
	for (i = 0; i < u.n;) {
		if (px_bk_known_has(r->known, u.ids[i])) {
			i++;
			continue;
		}
		px_codec_hex_str(hex, u.ids[i], 32);
		px_log_error("backup", NULL, "STORAGE_SHARD_MISSING: shard %s", hex);
		if (!res->missing++)
			px_buf_printf(err, "shard %s is missing", hex);
		memcpy(u.ids[i], u.ids[--u.n], 32);
	}
	/* partial Fisher-Yates: the first `sample` entries become the sample */
	if (sample && sample < u.n) {
		for (i = 0; i < sample; i++) {
			unsigned long long rnd;
			size_t j;
			unsigned char t[32];

			if (px_bk_random(&rnd, sizeof(rnd)) != 0)
				goto out;
			j = i + (size_t)(rnd % (u.n - i));
			memcpy(t, u.ids[i], 32);
			memcpy(u.ids[i], u.ids[j], 32);
			memcpy(u.ids[j], t, 32);
		}
		u.n = sample;
	}
	rd = px_bk_reader_new(r, (const unsigned char (*)[32])u.ids, u.n, 8);
	if (!rd)
		goto out;
	for (i = 0; i < u.n; i++) {
		enum px_err one = px_bk_reader_next(rd, u.ids[i], &plain);

		px_codec_hex_str(hex, u.ids[i], 32);
		res->read++;
		if (one == PX_E_STORAGE_SHARD_CORRUPT) {
			px_log_error("backup", NULL, "STORAGE_SHARD_CORRUPT: shard %s", hex);
			if (!res->missing && !res->corrupt)
				px_buf_printf(err, "shard %s failed authentication", hex);
			res->corrupt++;
		} else if (one == PX_E_STORAGE_SHARD_MISSING) {
			px_log_error("backup", NULL, "STORAGE_SHARD_MISSING: shard %s", hex);
			if (!res->missing++)
				px_buf_printf(err, "shard %s is missing", hex);
		} else if (one != PX_OK) {
			px_buf_printf(err, "shard %s: %s", hex, r->store->errmsg.data ?
				      r->store->errmsg.data : px_err_name(one));
			rc = one;
			goto out;
		} else {
			res->bytes += plain.len;
		}
		if (on_progress)
			on_progress(arg, res->bytes);
	}
	rc = res->missing ? PX_E_STORAGE_SHARD_MISSING :
	     res->corrupt ? PX_E_STORAGE_SHARD_CORRUPT : PX_OK;
out:
	px_bk_reader_free(rd);
	px_bk_known_free(u.seen);
	free(u.ids);
	px_buf_free(&plain);
	return rc;
}
