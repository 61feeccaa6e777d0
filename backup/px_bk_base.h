/* px_bk_base.h: physical base backups through the replication protocol,
 * with block-level increments.
 *
 * The cluster is read as pg_basebackup reads it: a replication connection
 * runs BASE_BACKUP, whose COPY stream carries the data directory as a tar
 * archive. The archive is parsed as it arrives; every regular file is cut
 * into 8 KiB blocks (PostgreSQL's page size) and each block is hashed
 * (SHA-256, first 16 bytes). A block goes into the backup's one "blocks"
 * stream (content-defined shards, as every other stream) only when its
 * hash differs from the same block's hash in the parent backup's block
 * map, or there is no parent: so an incremental backup uploads only the
 * pages that changed, whatever changed them (WAL-logged or not, hint
 * bits, a file rewritten with old page LSNs).
 *
 * The manifest (a snapshot, "kind": "base") lists "pgdata": [{path,
 * type file/dir/symlink, mode, size, runs, slicemap, map_at, target
 * (symlinks)}] in archive order, "blocks" {shards, bytes}: the changed
 * blocks of every file in that order, and "maps" {shards, bytes}: the
 * block maps of every regular file in that order (the 16-byte hashes of
 * its blocks), a second stream, so that neither the manifest nor memory
 * grows with the cluster; "map_at" is where a file's map starts in it.
 * Backups written before carry the map in the entry instead ("map":
 * base64), which readers still take.
 * "runs" (base64) packs the file's runs of changed blocks, each as two
 * unsigned LEB128 varints: the gap from the end of the previous run (from
 * block 0 for the first) and the run's length (> 0). "slicemap" (base64,
 * only when some changed blocks are stored as slices) packs, in block
 * order, each such block as a LEB128 gap from the block after the
 * previous one (from 0) and its 32-bit slice mask, little-endian: the
 * block holds only the 256-byte slices whose bits are set, in order.
 * Packed rather than as JSON arrays, whose objects cost about 250 bytes of
 * memory per changed block. Backups written before this form carry
 * "changed": [[first block, count], ...] (no slices) or "stored" runs with
 * "slices": [[block, mask], ...]; readers take both. Also "parent" (the
 * base backup it is an increment of), "timeline",
 * "start_lsn", "end_lsn", "start_wal" (the oldest WAL file a restore
 * needs, from backup_label), "start_time", "end_time", "next_xid" (no
 * transaction at or above it committed before the backup ended) and
 * "system_id". */
#ifndef PX_BK_BASE_H
#define PX_BK_BASE_H

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>

#include "core/buf.h"
#include "core/err.h"
#include "backup/px_bk_delta.h"
#include "backup/px_bk_writer.h"

#define PX_BK_BLOCK 8192
#define PX_BK_BLOCK_HASH 16

struct px_bk_base_stats {
	uint64_t files, bytes, blocks, blocks_changed, bytes_changed;
	uint64_t blocks_sliced;   /* changed blocks stored as some of their slices */
	uint64_t bytes_written;   /* plain bytes put in the blocks stream */
};

/* Sub-page deltas (px_bk_delta.h); every field may be NULL. slicer
 * computes the slice sums; prev is the parent backup's sums file, used
 * only when the parent is used; out receives this backup's sums. */
struct px_bk_base_delta {
	struct px_bk_slicer *slicer;
	struct px_bk_sums_in *prev;
	struct px_bk_sums_out *out;
};

/* Takes a base backup of the cluster at conninfo (a replication
 * connection is opened to it). prev: the parent's manifest, or NULL for a
 * full backup; prev_maps: its block maps (px_bk_maps_fetch; NULL when
 * they are in the manifest); a parent of another cluster (system id) is ignored. d
 * (may be NULL): slice sums, so that a changed block whose parent's sums
 * are known stores only its changed slices. The blocks go to w in one
 * stream; m gets the fields above (except
 * "parent", which the caller sets). Errors: SYSTEM_DB_UNAVAILABLE
 * (connection or BASE_BACKUP failed), VALIDATION_FAILED (the archive is
 * malformed, or the cluster has tablespaces outside the data directory),
 * the writer's errors; err says why. */
enum px_err px_bk_base_run(const char *conninfo, json_object *prev, FILE *prev_maps,
			   const struct px_bk_base_delta *d, struct px_bk_writer *w, json_object *m,
			   struct px_bk_base_stats *st, struct px_buf *err)
	__attribute__((warn_unused_result));

/* Reading a packed "runs" or "slicemap" list: p..end are its decoded
 * bytes, next starts at 0. */
struct px_bk_packed {
	const unsigned char *p, *end;
	uint64_t next;
};

/* The next run: 1, 0 at the end, -1 when malformed. */
int px_bk_packed_run(struct px_bk_packed *it, uint64_t *first, uint64_t *count);
/* The next sliced block and its mask: 1, 0 at the end, -1 when malformed. */
int px_bk_packed_slice(struct px_bk_packed *it, uint64_t *block, uint32_t *mask);

/* The block map of file entry e into map: from "map" (older backups) or
 * from "map_at" in maps, the backup's "maps" stream read into a file
 * (px_bk_maps_fetch in px_bk_pitr.h). 0 or -1. */
int px_bk_map_of(json_object *e, FILE *maps, struct px_buf *map);

/* 1 when p is a relative path without empty, "." or ".." parts. */
int px_bk_base_path_ok(const char *p);

/* Parses "X/Y" into an LSN; 0 or -1. */
int px_bk_lsn_parse(const char *s, uint64_t *out);

#endif
