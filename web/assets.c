/* assets.c: content hashes of static files for their URLs; owns a small
 * cache of (path, stat stamp, hash) guarded by one mutex. */
#include "web/assets.h"

#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SLOTS 32
#define HASH_HEX 12

struct slot {
	char *path;
	struct stat st;
	char hash[HASH_HEX + 1];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[SLOTS]; /* guarded by lock */
static unsigned next_victim;     /* guarded by lock */

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Hashes the file into hex[HASH_HEX + 1] with 64-bit FNV-1a: a
 * fingerprint for cache busting, not a security measure. -1 when the file
 * is unreadable. */
static int hash_file(const char *path, char *hex)
{
	unsigned char chunk[16384];
	uint64_t h = 0xcbf29ce484222325ull;
	FILE *fp = fopen(path, "rb");
	size_t n, i;
	int rc;

	if (!fp)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		for (i = 0; i < n; i++)
			h = (h ^ chunk[i]) * 0x100000001b3ull;
	rc = ferror(fp) ? -1 : 0;
	fclose(fp);
	snprintf(hex, HASH_HEX + 1, "%012llx",
		 (unsigned long long)(h >> 16) & 0xffffffffffffull);
	return rc;
}

/* Finds or fills the slot for path; copies its hash to hex. Locked. */
static int cached_hash(const char *path, const struct stat *st, char *hex)
{
	struct slot *s = NULL;
	unsigned i;

	for (i = 0; i < SLOTS; i++)
		if (slots[i].path && strcmp(slots[i].path, path) == 0)
			s = &slots[i];
	if (s && same_file(&s->st, st)) {
		memcpy(hex, s->hash, HASH_HEX + 1);
		return 0;
	}
	if (hash_file(path, hex) != 0)
		return -1;
	if (!s) {
		s = &slots[next_victim++ % SLOTS];
		free(s->path);
		if (!(s->path = strdup(path)))
			return 0;
	}
	s->st = *st;
	memcpy(s->hash, hex, HASH_HEX + 1);
	return 0;
}

void px_assets_url(const char *static_dir, const char *rel, struct px_buf *out)
{
	char path[4096], hex[HASH_HEX + 1];
	struct stat st;
	int ok;

	assert(rel && !strstr(rel, "..") && strlen(rel) <= PX_ASSETS_MAX_PATH);
	px_buf_puts(out, "/static/");
	px_buf_puts(out, rel);
	snprintf(path, sizeof(path), "%s/%s", static_dir, rel);
	if (stat(path, &st) != 0)
		return;
	pthread_mutex_lock(&lock);
	ok = cached_hash(path, &st, hex) == 0;
	pthread_mutex_unlock(&lock);
	if (ok)
		px_buf_printf(out, "?v=%s", hex);
}

void px_assets_free_all(void)
{
	unsigned i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < SLOTS; i++) {
		free(slots[i].path);
		slots[i].path = NULL;
	}
	pthread_mutex_unlock(&lock);
}
