/* px_bk_box.h: the sealed-object format shared by shards, manifests and
 * key sets, and the zstd/AES-GCM codec that makes it.
 *
 *   offset 0  magic (4 bytes: "PXSH" shard, "PXMF" manifest, "PXKS" key set, "PXWL" WAL file)
 *          4  version (1) = 1
 *          5  flags (1): bit 0 = payload is zstd-compressed
 *          6  reserved (2) = 0
 *          8  key id (8): which data key sealed it
 *         16  nonce (12): random per object
 *         28  ciphertext, then the 16-byte GCM tag
 *
 * The associated data is the 28-byte header followed by the caller's
 * binding (a shard's id, a manifest's name), so neither the header nor the
 * object's name can be changed or swapped without detection. */
#ifndef PX_BK_BOX_H
#define PX_BK_BOX_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define PX_BK_BOX_HEADER 28
#define PX_BK_BOX_OVERHEAD (PX_BK_BOX_HEADER + 16)
#define PX_BK_KEYID_LEN 8
#define PX_BK_MAX_PLAIN (256u << 20)

struct px_bk_codec;

/* zstd level 1..19 (0 = 3). NULL on ENOMEM. Owned by one thread. */
struct px_bk_codec *px_bk_codec_new(int zstd_level);
void px_bk_codec_free(struct px_bk_codec *c);
int px_bk_codec_level(const struct px_bk_codec *c);

/* Finds the 32-byte key for a key id, or NULL when unknown. */
typedef const unsigned char *(*px_bk_key_lookup)(const void *arg,
						 const unsigned char *keyid);

/* Replaces out with the sealed box of pt[0..n). compress asks for zstd
 * (kept only when it makes the payload smaller). 0, or -1 (ENOMEM or
 * crypto failure). */
int px_bk_box_seal(struct px_bk_codec *c, const char magic[4],
		   const unsigned char *key, const unsigned char *keyid,
		   const void *bind, size_t bindlen, const void *pt, size_t n,
		   int compress, struct px_buf *out)
	__attribute__((warn_unused_result));
/* Replaces out with the plaintext of a box. Errors: STORAGE_KEY_INVALID
 * (key id unknown), STORAGE_SHARD_CORRUPT (bad magic, truncated,
 * authentication or decompression failed), STORAGE_FAILED (ENOMEM). */
enum px_err px_bk_box_open(struct px_bk_codec *c, const char magic[4],
			   px_bk_key_lookup lookup, const void *arg,
			   const void *bind, size_t bindlen, const void *data,
			   size_t n, struct px_buf *out)
	__attribute__((warn_unused_result));

#endif
