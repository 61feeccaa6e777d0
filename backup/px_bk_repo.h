/* px_bk_repo.h: an opened backup store: the store itself, its public
 * "config" object (format version, repository id, chunk size), the
 * unlocked keys, the chunker, a codec, and the per-repository local cache
 * folder with the known-shard set.
 *
 * The known-shard cache is trusted only when the previous run ended
 * cleanly and no prune ran since it was written ("prunes/" markers);
 * otherwise it is rebuilt from one LIST of "shards/". */
#ifndef PX_BK_REPO_H
#define PX_BK_REPO_H

#include "core/buf.h"
#include "core/err.h"
#include "backup/px_bk_box.h"
#include "backup/px_bk_cdc.h"
#include "backup/px_bk_keys.h"
#include "backup/px_bk_known.h"
#include "storage/px_st_store.h"

struct px_bk_repo {
	struct px_st_store *store;
	struct px_bk_keyring keys;
	struct px_bk_cdc cdc;
	struct px_bk_codec *codec;
	struct px_bk_known *known;
	char id[17];
	size_t chunk_avg;
	char *cache_dir;         /* <cache base>/<repo id> */
	int known_loaded;
};

/* Creates a new repository in an empty store. chunk_avg: target shard
 * size. Errors: VALIDATION_CONFLICT (store already initialised), STORAGE_*. */
enum px_err px_bk_repo_init(struct px_st_store *st, const struct px_bk_secret *s,
			    const struct px_bk_kdf *kdf, size_t chunk_avg)
	__attribute__((warn_unused_result));
/* Opens the repository (takes ownership of st, even on failure) and
 * unlocks it with the secret. cache_base: folder for local caches.
 * *out is freed with px_bk_repo_close. Errors: STORAGE_SHARD_MISSING (not
 * a repository), STORAGE_KEY_INVALID, STORAGE_*, SYSTEM_INTERNAL; on
 * failure the store's own account of it (if any) is appended to why
 * (may be NULL). */
enum px_err px_bk_repo_open(struct px_st_store *st, const struct px_bk_secret *s,
			    const char *cache_base, int zstd_level,
			    struct px_bk_repo **out, struct px_buf *why)
	__attribute__((warn_unused_result));
void px_bk_repo_close(struct px_bk_repo *r);

/* Loads the known-shard cache (or rebuilds it, see above) and marks the
 * cache dirty until px_bk_repo_known_save. */
enum px_err px_bk_repo_known_load(struct px_bk_repo *r)
	__attribute__((warn_unused_result));
enum px_err px_bk_repo_known_save(struct px_bk_repo *r)
	__attribute__((warn_unused_result));
/* Path of a file in the cache folder (caller frees). */
char *px_bk_repo_cache_path(const struct px_bk_repo *r, const char *file);

/* Shard id of a plaintext: HMAC-SHA-256 under the repository's id key. */
int px_bk_repo_shard_id(const struct px_bk_repo *r, const void *p, size_t n,
			unsigned char id[32]) __attribute__((warn_unused_result));
/* Fetches, authenticates and decompresses one shard into out, checking
 * that its content matches its id. Errors: STORAGE_SHARD_MISSING,
 * STORAGE_SHARD_CORRUPT, STORAGE_KEY_INVALID, STORAGE_*. */
enum px_err px_bk_repo_read_shard(struct px_bk_repo *r, const unsigned char id[32],
				  struct px_buf *raw, struct px_buf *out)
	__attribute__((warn_unused_result));
/* Opens an already fetched shard (same checks). */
enum px_err px_bk_repo_open_shard(struct px_bk_repo *r, const unsigned char id[32],
				  const struct px_buf *raw, struct px_buf *out)
	__attribute__((warn_unused_result));

#endif
