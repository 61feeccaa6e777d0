/* px_bk_known.c: a linear-probing table of 32-byte ids. Ids are keyed
 * hashes, so their first 8 bytes are already uniformly distributed and
 * serve directly as the table hash. An all-zero slot means empty (a zero
 * id has probability 2^-256); deletion uses backward-shift. */
#include "backup/px_bk_known.h"
#include "backup/px_bk_crypto.h"
#include "core/codec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct px_bk_known {
	unsigned char (*slots)[32];
	size_t cap, n;       /* cap is a power of two */
};

static const unsigned char zero[32];

static size_t slot_of(const unsigned char *id, size_t cap)
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));
	return (size_t)h & (cap - 1);
}

struct px_bk_known *px_bk_known_new(void)
{
	struct px_bk_known *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->cap = 1024;
	k->slots = calloc(k->cap, 32);
	if (!k->slots) {
		free(k);
		return NULL;
	}
	return k;
}

void px_bk_known_free(struct px_bk_known *k)
{
	if (!k)
		return;
	free(k->slots);
	free(k);
}

static size_t find(const struct px_bk_known *k, const unsigned char *id)
{
	size_t i = slot_of(id, k->cap);

	while (memcmp(k->slots[i], zero, 32) && memcmp(k->slots[i], id, 32))
		i = (i + 1) & (k->cap - 1);
	return i;
}

int px_bk_known_has(const struct px_bk_known *k, const unsigned char id[32])
{
	return memcmp(k->slots[find(k, id)], zero, 32) != 0;
}

static int grow(struct px_bk_known *k)
{
	struct px_bk_known big = { calloc(k->cap * 2, 32), k->cap * 2, 0 };
	size_t i;

	if (!big.slots)
		return -1;
	for (i = 0; i < k->cap; i++)
		if (memcmp(k->slots[i], zero, 32))
			memcpy(big.slots[find(&big, k->slots[i])], k->slots[i], 32);
	free(k->slots);
	k->slots = big.slots;
	k->cap = big.cap;
	return 0;
}

int px_bk_known_add(struct px_bk_known *k, const unsigned char id[32])
{
	size_t i;

	if (!memcmp(id, zero, 32))
		return 0;
	if ((k->n + 1) * 4 > k->cap * 3 && grow(k) != 0)
		return -1;
	i = find(k, id);
	if (!memcmp(k->slots[i], zero, 32)) {
		memcpy(k->slots[i], id, 32);
		k->n++;
	}
	return 0;
}

void px_bk_known_del(struct px_bk_known *k, const unsigned char id[32])
{
	size_t i = find(k, id), j;

	if (!memcmp(k->slots[i], zero, 32))
		return;
	memset(k->slots[i], 0, 32);
	k->n--;
	/* backward-shift the cluster after i so lookups stay correct */
	for (j = (i + 1) & (k->cap - 1); memcmp(k->slots[j], zero, 32);
	     j = (j + 1) & (k->cap - 1)) {
		size_t home = slot_of(k->slots[j], k->cap);

		if (((j - home) & (k->cap - 1)) >= ((j - i) & (k->cap - 1))) {
			memcpy(k->slots[i], k->slots[j], 32);
			memset(k->slots[j], 0, 32);
			i = j;
		}
	}
}

size_t px_bk_known_count(const struct px_bk_known *k)
{
	return k->n;
}

void px_bk_known_each(const struct px_bk_known *k,
		      void (*fn)(void *arg, const unsigned char id[32]),
		      void *arg)
{
	size_t i;

	for (i = 0; i < k->cap; i++)
		if (memcmp(k->slots[i], zero, 32))
			fn(arg, k->slots[i]);
}

static void clear(struct px_bk_known *k)
{
	memset(k->slots, 0, k->cap * 32);
	k->n = 0;
}

int px_bk_known_load(struct px_bk_known *k, const char *path)
{
	FILE *f = fopen(path, "rbe");
	unsigned char id[32];
	char magic[8];
	int rc = -1;

	clear(k);
	if (!f)
		return -1;
	if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "PXKNOWN1", 8))
		goto out;
	while (fread(id, 1, 32, f) == 32)
		if (px_bk_known_add(k, id) != 0)
			goto out;
	rc = ferror(f) ? -1 : 0;
out:
	fclose(f);
	if (rc != 0)
		clear(k);
	return rc;
}

int px_bk_known_save(const struct px_bk_known *k, const char *path)
{
	char tmp[4096];
	FILE *f;
	size_t i;
	int rc = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return -1;
	f = fopen(tmp, "wbe");
	if (!f)
		return -1;
	if (fwrite("PXKNOWN1", 1, 8, f) != 8)
		goto out;
	for (i = 0; i < k->cap; i++)
		if (memcmp(k->slots[i], zero, 32) &&
		    fwrite(k->slots[i], 1, 32, f) != 32)
			goto out;
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		goto out;
	rc = 0;
out:
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

void px_bk_shard_name(const unsigned char id[32], char out[80])
{
	char hex[65];

	px_codec_hex_str(hex, id, 32);
	snprintf(out, 80, "shards/%.2s/%s", hex, hex);
}

int px_bk_shard_parse(const char *name, unsigned char id[32])
{
	if (strncmp(name, "shards/", 7) || strlen(name) != 7 + 3 + 64 ||
	    name[9] != '/' || memcmp(name + 7, name + 10, 2))
		return -1;
	return px_codec_hex_decode_fixed(name + 10, id, 32);
}

struct rebuild {
	struct px_bk_known *k;
	int failed;
};

static int add_listed(void *arg, const char *name, size_t size)
{
	struct rebuild *r = arg;
	unsigned char id[32];

	if (px_bk_shard_parse(name, id) == 0 && size > 0 &&
	    px_bk_known_add(r->k, id) != 0) {
		r->failed = 1;
		return 1;
	}
	return 0;
}

enum px_err px_bk_known_rebuild(struct px_bk_known *k, struct px_st_store *st)
{
	struct rebuild r = { k, 0 };
	enum px_err rc;

	clear(k);
	rc = px_st_list(st, "shards/", add_listed, &r);
	if (rc == PX_OK && r.failed)
		rc = PX_E_STORAGE_FAILED;
	return rc;
}
