/* px_bk_delta.h: sub-page deltas for block-level increments.
 *
 * A changed 8 KiB block is cut into 32 slices of 256 bytes, and only the
 * slices that differ from the parent backup's version of the block are
 * stored: a scattered row edit changes a tuple header, a line pointer and
 * the page header, not the whole page. To know which slices differ
 * without the parent's page image, every base backup leaves a "sums
 * file" in the local cache folder: for every block of every file, one
 * keyed 8-byte sum per slice (SipHash-2-4 under a key derived from the
 * repository's id key).
 * The next backup reads the parent's sums file in step with the archive.
 *
 * The sums file is an optimisation only. It is trusted when it names the
 * parent backup and its trailing SHA-256 matches; otherwise (absent, of
 * another backup, damaged) changed blocks are stored whole, as before.
 * The 16-byte block hash in the manifest stays the authority on whether
 * a block changed at all; a block whose hash changed but whose slices all
 * compare equal (a stale or colliding sums entry) is stored whole.
 *
 * Sums file layout: "PXSUMS1\n", u16 name length, the backup's name; then
 * per regular file: u16 path length, path, u64 block count, and
 * PX_BK_SUMS_PER_BLOCK bytes per block; then the SHA-256 of everything
 * before it. Integers are little-endian. */
#ifndef PX_BK_DELTA_H
#define PX_BK_DELTA_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

#define PX_BK_DELTA_BLOCK 8192
#define PX_BK_SLICE 256
#define PX_BK_SLICES (PX_BK_DELTA_BLOCK / PX_BK_SLICE)
#define PX_BK_SLICE_SUM 8
#define PX_BK_SUMS_PER_BLOCK (PX_BK_SLICES * PX_BK_SLICE_SUM)

/* ---- slices of one block ---- */

struct px_bk_slicer;

/* A slicer hashing under a 32-byte key; NULL on failure. */
struct px_bk_slicer *px_bk_slicer_new(const unsigned char key[32]);
void px_bk_slicer_free(struct px_bk_slicer *s);
/* The slice sums of a block of len bytes (len <= PX_BK_DELTA_BLOCK).
 * Slices past len get the sum of no bytes, so a block that grows shows
 * its new slices as changed. 0 or -1. */
int px_bk_slicer_sums(struct px_bk_slicer *s, const unsigned char *blk, size_t len,
		      unsigned char sums[PX_BK_SUMS_PER_BLOCK])
	__attribute__((warn_unused_result));

/* SipHash-c-d of p[0..n) under the 128-bit key (k0, k1), as its paper
 * defines it (key and message bytes read little-endian): c rounds per
 * 8-byte word, d to finish. The slice sums use SipHash-1-3. */
uint64_t px_bk_siphash(unsigned c, unsigned d, uint64_t k0, uint64_t k1,
		       const unsigned char *p, size_t n);

/* Bit i set for every slice i that holds bytes of a block of len bytes. */
uint32_t px_bk_slice_all(size_t len);
/* Bit i set for every slice within len whose sums differ. */
uint32_t px_bk_slice_diff(const unsigned char prev[PX_BK_SUMS_PER_BLOCK],
			  const unsigned char cur[PX_BK_SUMS_PER_BLOCK], size_t len);
/* Bytes that slice i of a block of len bytes holds (0 when past len);
 * its offset in the block is i * PX_BK_SLICE. */
size_t px_bk_slice_len(size_t len, unsigned i);
/* Bytes the slices of mask hold in a block of len bytes. */
size_t px_bk_slice_bytes(uint32_t mask, size_t len);
/* Appends the slices of mask, in order, to out. */
void px_bk_slice_pack(const unsigned char *blk, size_t len, uint32_t mask,
		      struct px_buf *out);
/* Writes packed slices (px_bk_slice_bytes(mask, len) bytes at p) into
 * blk at their offsets; the other bytes of blk are left as they are. */
void px_bk_slice_unpack(unsigned char *blk, size_t len, uint32_t mask,
			const unsigned char *p);

/* ---- sums files ---- */

struct px_bk_sums_in;
struct px_bk_sums_out;

/* Opens the sums file at path if it is whole and belongs to backup.
 * Errors: VALIDATION_NOT_FOUND (absent, or of another backup: the reason
 * is in err), STORAGE_SHARD_CORRUPT (truncated or checksum mismatch),
 * SYSTEM_INTERNAL (out of memory). Reads the file once to check it and
 * keeps an index of its files (path and offset), not their sums. */
enum px_err px_bk_sums_open(const char *path, const char *backup,
			    struct px_bk_sums_in **out, struct px_buf *err)
	__attribute__((warn_unused_result));
void px_bk_sums_close(struct px_bk_sums_in *in);
/* Positions the reader at the first block of relpath; returns its block
 * count, or -1 when the file has no entry (or cannot be read). */
int64_t px_bk_sums_seek(struct px_bk_sums_in *in, const char *relpath);
/* Reads the next block's sums of the file last sought; 0, or -1 past its
 * last block or on a read error. */
int px_bk_sums_next(struct px_bk_sums_in *in, unsigned char sums[PX_BK_SUMS_PER_BLOCK]);

/* Starts backup's sums file: written to a temporary file beside path,
 * which px_bk_sums_finish renames to path. NULL with err set. */
struct px_bk_sums_out *px_bk_sums_create(const char *path, const char *backup,
					 struct px_buf *err);
/* Starts a file's record; then exactly nblocks px_bk_sums_add calls. */
void px_bk_sums_file(struct px_bk_sums_out *o, const char *relpath, uint64_t nblocks);
void px_bk_sums_add(struct px_bk_sums_out *o, const unsigned char sums[PX_BK_SUMS_PER_BLOCK]);
/* Writes the checksum, syncs and closes; 0, or -1 with err set (the
 * file is then removed). Frees o either way. */
int px_bk_sums_finish(struct px_bk_sums_out *o, struct px_buf *err)
	__attribute__((warn_unused_result));
/* Closes and removes the file; frees o (NULL is fine). */
void px_bk_sums_abort(struct px_bk_sums_out *o);

#endif
