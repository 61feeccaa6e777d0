/* px_bk_repo.c: opening a repository and its local cache. */
#include "backup/px_bk_repo.h"
#include "core/dirs.h"
#include "core/codec.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FORMAT_VERSION 1

enum px_err px_bk_repo_init(struct px_st_store *st, const struct px_bk_secret *s,
			    const struct px_bk_kdf *kdf, size_t chunk_avg)
{
	struct px_bk_keyring ring;
	struct px_bk_cdc probe;
	struct px_buf cfg = PX_BUF_INIT, old = PX_BUF_INIT;
	unsigned char idb[8];
	char id[17];
	enum px_err rc;

	if (px_bk_cdc_init(&probe, chunk_avg, (const unsigned char *)"0123456789abcdef0123456789abcdef") != 0)
		return PX_E_VALIDATION_FAILED;
	rc = px_st_get(st, "config", &old);
	px_buf_free(&old);
	if (rc == PX_OK)
		return PX_E_VALIDATION_CONFLICT;
	if (rc != PX_E_STORAGE_SHARD_MISSING)
		return rc;
	/* first what the store needs (folders, an Azure container), so that
	 * the key set can be written */
	if (st->ops->prepare && (rc = st->ops->prepare(st)) != PX_OK)
		return rc;
	rc = px_bk_keys_init(st, s, kdf, &ring);
	px_bk_keyring_wipe(&ring);
	if (rc != PX_OK)
		return rc;
	if (px_bk_random(idb, sizeof(idb)) != 0)
		return PX_E_STORAGE_FAILED;
	px_codec_hex_str(id, idb, 8);
	px_buf_printf(&cfg, "{\"format\":\"plexichat-backup\",\"version\":%d,"
		      "\"id\":\"%s\",\"chunk_avg\":%zu,\"created\":%lld}\n",
		      FORMAT_VERSION, id, probe.avg, (long long)time(NULL));
	/* config last: a store without it is not a repository yet */
	rc = cfg.failed ? PX_E_STORAGE_FAILED :
	     px_st_put(st, "config", cfg.data, cfg.len);
	px_buf_free(&cfg);
	return rc;
}

static enum px_err read_config(struct px_bk_repo *r)
{
	struct px_buf txt = PX_BUF_INIT;
	json_object *o = NULL, *v;
	enum px_err rc;

	rc = px_st_get(r->store, "config", &txt);
	if (rc == PX_E_STORAGE_SHARD_MISSING) {
		px_buf_reset(&r->store->errmsg);
		px_buf_printf(&r->store->errmsg,
			      "%s is not a backup store (no config): run init",
			      r->store->url);
	}
	if (rc != PX_OK)
		goto out;
	rc = PX_E_STORAGE_SHARD_CORRUPT;
	o = json_tokener_parse(txt.data);
	if (!o || !json_object_object_get_ex(o, "version", &v) ||
	    json_object_get_int(v) != FORMAT_VERSION ||
	    !json_object_object_get_ex(o, "id", &v) ||
	    json_object_get_string_len(v) != 16)
		goto out;
	memcpy(r->id, json_object_get_string(v), 17);
	if (strspn(r->id, "0123456789abcdef") != 16 ||
	    !json_object_object_get_ex(o, "chunk_avg", &v))
		goto out;
	r->chunk_avg = (size_t)json_object_get_int64(v);
	rc = PX_OK;
out:
	json_object_put(o);
	px_buf_free(&txt);
	return rc;
}

enum px_err px_bk_repo_open(struct px_st_store *st, const struct px_bk_secret *s,
			    const char *cache_base, int zstd_level,
			    struct px_bk_repo **out, struct px_buf *why)
{
	struct px_bk_repo *r = calloc(1, sizeof(*r));
	struct px_buf dir = PX_BUF_INIT;
	enum px_err rc = PX_E_SYSTEM_INTERNAL;

	*out = NULL;
	if (!r) {
		px_st_store_free(st);
		return rc;
	}
	r->store = st;
	rc = read_config(r);
	if (rc != PX_OK)
		goto fail;
	rc = px_bk_keys_open(st, s, &r->keys);
	if (rc != PX_OK)
		goto fail;
	rc = PX_E_SYSTEM_INTERNAL;
	r->codec = px_bk_codec_new(zstd_level);
	r->known = px_bk_known_new();
	if (!r->codec || !r->known ||
	    px_bk_cdc_init(&r->cdc, r->chunk_avg, r->keys.cdc_seed) != 0)
		goto fail;
	px_buf_printf(&dir, "%s/%s", cache_base, r->id);
	if (dir.failed || px_dirs_make(dir.data, 0700) != 0) {
		px_buf_reset(&st->errmsg);
		px_buf_printf(&st->errmsg, "cannot create cache folder %s: %s",
			      dir.data ? dir.data : "", strerror(errno));
		rc = PX_E_STORAGE_FAILED;
		goto fail;
	}
	r->cache_dir = px_buf_steal(&dir);
	*out = r;
	return PX_OK;
fail:
	if (why && st->errmsg.len)
		px_buf_puts(why, st->errmsg.data);
	px_buf_free(&dir);
	px_bk_repo_close(r);
	return rc;
}

void px_bk_repo_close(struct px_bk_repo *r)
{
	if (!r)
		return;
	px_bk_keyring_wipe(&r->keys);
	px_bk_codec_free(r->codec);
	px_bk_known_free(r->known);
	px_st_store_free(r->store);
	free(r->cache_dir);
	free(r);
}

char *px_bk_repo_cache_path(const struct px_bk_repo *r, const char *file)
{
	struct px_buf b = PX_BUF_INIT;

	px_buf_printf(&b, "%s/%s", r->cache_dir, file);
	return px_buf_steal(&b);
}

static int newest_prune(void *arg, const char *name, size_t size)
{
	struct px_buf *b = arg;

	if (!b->data || strcmp(name, b->data) > 0) {
		px_buf_reset(b);
		px_buf_puts(b, name);
	}
	return 0;
}

/* The newest "prunes/..." marker name into out ("" when none). */
static enum px_err last_prune(struct px_bk_repo *r, struct px_buf *out)
{
	enum px_err rc = px_st_list(r->store, "prunes/", newest_prune, out);

	if (!out->data)
		px_buf_puts(out, "");
	return rc;
}

static int read_line(const char *path, struct px_buf *out)
{
	char line[512];
	FILE *f = fopen(path, "re");
	int rc = -1;

	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		px_buf_puts(out, line);
		rc = 0;
	}
	fclose(f);
	return rc;
}

static int write_line(const char *path, const char *s)
{
	FILE *f = fopen(path, "we");
	int rc;

	if (!f)
		return -1;
	rc = fprintf(f, "%s\n", s) < 0 ? -1 : 0;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

enum px_err px_bk_repo_known_load(struct px_bk_repo *r)
{
	char *known = px_bk_repo_cache_path(r, "known-shards");
	char *dirty = px_bk_repo_cache_path(r, "known-shards.dirty");
	char *seen = px_bk_repo_cache_path(r, "known-shards.prune");
	struct px_buf prune = PX_BUF_INIT, cached = PX_BUF_INIT;
	enum px_err rc = PX_E_SYSTEM_INTERNAL;
	int trust;

	if (!known || !dirty || !seen)
		goto out;
	rc = last_prune(r, &prune);
	if (rc != PX_OK)
		goto out;
	trust = access(dirty, F_OK) != 0 && read_line(seen, &cached) == 0 &&
		cached.data && !strcmp(cached.data, prune.data) &&
		px_bk_known_load(r->known, known) == 0;
	if (!trust) {
		rc = px_bk_known_rebuild(r->known, r->store);
		if (rc != PX_OK)
			goto out;
	}
	rc = PX_E_STORAGE_FAILED;
	/* until saved, a crash leaves the cache marked untrusted */
	if (write_line(dirty, "1") != 0 || write_line(seen, prune.data) != 0)
		goto out;
	r->known_loaded = 1;
	rc = PX_OK;
out:
	free(known);
	free(dirty);
	free(seen);
	px_buf_free(&prune);
	px_buf_free(&cached);
	return rc;
}

enum px_err px_bk_repo_known_save(struct px_bk_repo *r)
{
	char *known = px_bk_repo_cache_path(r, "known-shards");
	char *dirty = px_bk_repo_cache_path(r, "known-shards.dirty");
	enum px_err rc = PX_E_STORAGE_FAILED;

	if (known && dirty && px_bk_known_save(r->known, known) == 0 &&
	    (unlink(dirty) == 0 || errno == ENOENT))
		rc = PX_OK;
	free(known);
	free(dirty);
	return rc;
}

int px_bk_repo_shard_id(const struct px_bk_repo *r, const void *p, size_t n,
			unsigned char id[32])
{
	return px_bk_hmac(r->keys.id_key, p, n, id);
}

enum px_err px_bk_repo_open_shard(struct px_bk_repo *r, const unsigned char id[32],
				  const struct px_buf *raw, struct px_buf *out)
{
	unsigned char check[32];
	enum px_err rc;

	rc = px_bk_box_open(r->codec, "PXSH", px_bk_keys_lookup, &r->keys, id,
			    32, raw->data, raw->len, out);
	/* the key set is complete, so an unknown key id is tampering */
	if (rc == PX_E_STORAGE_KEY_INVALID)
		rc = PX_E_STORAGE_SHARD_CORRUPT;
	if (rc != PX_OK)
		return rc;
	if (px_bk_repo_shard_id(r, out->data, out->len, check) != 0)
		return PX_E_STORAGE_FAILED;
	return px_crypto_memeq(check, id, 32) ? PX_OK : PX_E_STORAGE_SHARD_CORRUPT;
}

enum px_err px_bk_repo_read_shard(struct px_bk_repo *r, const unsigned char id[32],
				  struct px_buf *raw, struct px_buf *out)
{
	char name[80];
	enum px_err rc;

	px_bk_shard_name(id, name);
	rc = px_st_get(r->store, name, raw);
	if (rc != PX_OK)
		return rc;
	return px_bk_repo_open_shard(r, id, raw, out);
}
