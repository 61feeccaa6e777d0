/* px_bk_cdc.h: FastCDC content-defined chunking with normalised chunk
 * sizes. Boundaries depend only on the last 64 bytes seen and on a keyed
 * gear table, so inserting or deleting bytes moves only nearby boundaries
 * and the store cannot fingerprint content from chunk sizes. */
#ifndef PX_BK_CDC_H
#define PX_BK_CDC_H

#include <stddef.h>
#include <stdint.h>

struct px_bk_cdc {
	uint64_t gear[256];
	uint64_t mask_small;   /* used before avg: harder to cut */
	uint64_t mask_large;   /* used after avg: easier to cut */
	size_t min, avg, max;
};

/* Running state of one stream; zero it (or call reset) at stream start. */
struct px_bk_cdc_state {
	uint64_t hash;
	size_t pos;            /* bytes in the current chunk so far */
};

/* Sets up a chunker with target size avg (a power of two between 64 KiB
 * and 64 MiB is used; other values are rounded down), min = avg/4 and
 * max = avg*4, and a gear table derived from the 32-byte seed.
 * Returns 0, or -1 when avg is out of range. */
int px_bk_cdc_init(struct px_bk_cdc *c, size_t avg, const unsigned char seed[32])
	__attribute__((warn_unused_result));
void px_bk_cdc_reset(struct px_bk_cdc_state *s);
/* Scans p[0..n) as the continuation of the current chunk. Returns how
 * many leading bytes belong to it; *cut is 1 when the chunk ends right
 * after them (the state is then reset for the next chunk), else 0 and
 * the return value is n. */
size_t px_bk_cdc_feed(const struct px_bk_cdc *c, struct px_bk_cdc_state *s,
		      const unsigned char *p, size_t n, int *cut);

#endif
