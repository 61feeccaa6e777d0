/* px_bk_known.h: the set of shard ids known to be in the store, kept in
 * memory as an open-addressing hash table and cached on disk between runs
 * (a flat file of 32-byte ids), so existing shards are neither uploaded
 * again nor probed one by one. */
#ifndef PX_BK_KNOWN_H
#define PX_BK_KNOWN_H

#include <stddef.h>

#include "core/err.h"
#include "storage/px_st_store.h"

struct px_bk_known;

struct px_bk_known *px_bk_known_new(void);
void px_bk_known_free(struct px_bk_known *k);
/* 1 when id is in the set. */
int px_bk_known_has(const struct px_bk_known *k, const unsigned char id[32]);
/* Adds id; 0, or -1 on ENOMEM. */
int px_bk_known_add(struct px_bk_known *k, const unsigned char id[32])
	__attribute__((warn_unused_result));
void px_bk_known_del(struct px_bk_known *k, const unsigned char id[32]);
size_t px_bk_known_count(const struct px_bk_known *k);
/* Calls fn for every id (order unspecified). */
void px_bk_known_each(const struct px_bk_known *k,
		      void (*fn)(void *arg, const unsigned char id[32]),
		      void *arg);

/* Replaces the contents with the file's ids; -1 when missing/unreadable
 * or malformed (the set is then empty). */
int px_bk_known_load(struct px_bk_known *k, const char *path);
/* Writes the set atomically (temp file, fsync, rename); 0 or -1. */
int px_bk_known_save(const struct px_bk_known *k, const char *path)
	__attribute__((warn_unused_result));
/* Replaces the contents with the ids listed under "shards/" in st. */
enum px_err px_bk_known_rebuild(struct px_bk_known *k, struct px_st_store *st)
	__attribute__((warn_unused_result));

/* Store name of a shard: "shards/<2 hex>/<64 hex>" (out: 80 bytes). */
void px_bk_shard_name(const unsigned char id[32], char out[80]);
/* Parses a shard store name back into its id; 0 or -1. */
int px_bk_shard_parse(const char *name, unsigned char id[32]);

#endif
