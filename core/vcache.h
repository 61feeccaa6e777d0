/* vcache.h: a small, bounded, thread-safe cache of byte strings made from
 * versioned data, such as the latest page of a channel.
 *
 * Each entry is stored under a key (two numbers) and the version of the
 * data it was made from; a reader asks with the version it has just read
 * from the database and gets the bytes only when they were made from that
 * very version, so a changed source is never answered from the cache.
 * Entries also expire after max_age seconds, which bounds how long data
 * the version does not cover (an author's display name) can lag.
 * One slot per key hash: a colliding key replaces the older entry. */
#ifndef PX_VCACHE_H
#define PX_VCACHE_H

#include <stddef.h>

#include "core/buf.h"

/* The latest-page cache of plexichat.fcgi: entry size and age bounds. */
#define PX_PAGE_CACHE_BYTES (64 * 1024)
#define PX_PAGE_CACHE_SECONDS 10

struct px_vcache;

/* slots entries (0: a cache that never hits) of at most max_bytes each.
 * NULL when out of memory; the caller frees it with px_vcache_free. */
struct px_vcache *px_vcache_new(unsigned slots, size_t max_bytes, int max_age)
	__attribute__((warn_unused_result));
/* Frees the cache and its entries; NULL is allowed. */
void px_vcache_free(struct px_vcache *c);
/* Appends the bytes stored for (id, variant) at version to out: 1 when
 * found, 0 when not (out untouched), -1 when out could not grow. A NULL
 * cache (switched off) never has anything. */
int px_vcache_get(struct px_vcache *c, long long id, int variant,
		  long long version, struct px_buf *out) __attribute__((nonnull(5)));
/* Stores a copy of n bytes for (id, variant) at version; too large an
 * entry or a failed allocation is simply not kept, nor is anything in a
 * NULL cache. */
void px_vcache_put(struct px_vcache *c, long long id, int variant,
		   long long version, const void *p, size_t n);

#endif
