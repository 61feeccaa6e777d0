/* px_bk_cdc.c: FastCDC (Xia et al., 2016) with normalisation level 2.
 * The gear hash shifts left one bit per byte, so its top bits depend on
 * the last 64 bytes only; the masks therefore test the top bits. */
#include "backup/px_bk_cdc.h"
#include "backup/px_bk_crypto.h"

#include <string.h>

#define WINDOW 64

static uint64_t top_bits(unsigned k)
{
	return k == 0 ? 0 : ~(uint64_t)0 << (64 - k);
}

int px_bk_cdc_init(struct px_bk_cdc *c, size_t avg, const unsigned char seed[32])
{
	unsigned char block[PX_BK_HASH_LEN], in[8];
	unsigned bits = 0, i;

	if (avg < (64u << 10) || avg > (64u << 20))
		return -1;
	while (((size_t)2 << bits) <= avg)
		bits++;
	memset(c, 0, sizeof(*c));
	c->avg = (size_t)1 << bits;
	c->min = c->avg / 4;
	c->max = c->avg * 4;
	c->mask_small = top_bits(bits + 2);
	c->mask_large = top_bits(bits - 2);
	/* 4 gear entries per HMAC block, counter as input */
	for (i = 0; i < 256; i += 4) {
		unsigned j;

		memset(in, 0, sizeof(in));
		in[0] = (unsigned char)i;
		if (px_bk_hmac(seed, in, sizeof(in), block) != 0)
			return -1;
		for (j = 0; j < 4; j++) {
			uint64_t v = 0;
			unsigned b;

			for (b = 0; b < 8; b++)
				v = v << 8 | block[j * 8 + b];
			c->gear[i + j] = v;
		}
	}
	return 0;
}

void px_bk_cdc_reset(struct px_bk_cdc_state *s)
{
	s->hash = 0;
	s->pos = 0;
}

/* Scans p[i..end) with one mask; returns the index after the cut, or end. */
static size_t scan(const uint64_t *gear, uint64_t mask, const unsigned char *p,
		   size_t i, size_t end, uint64_t *h, int *cut)
{
	uint64_t x = *h;

	for (; i < end; i++) {
		x = (x << 1) + gear[p[i]];
		if (!(x & mask)) {
			*h = x;
			*cut = 1;
			return i + 1;
		}
	}
	*h = x;
	return end;
}

size_t px_bk_cdc_feed(const struct px_bk_cdc *c, struct px_bk_cdc_state *s,
		      const unsigned char *p, size_t n, int *cut)
{
	size_t i = 0, pos = s->pos;   /* pos: chunk length before p[i] */

	*cut = 0;
	/* bytes before min - WINDOW cannot influence any allowed cut */
	if (pos + WINDOW < c->min) {
		size_t skip = c->min - WINDOW - pos;

		if (skip > n)
			skip = n;
		i = skip;
		pos += skip;
	}
	/* warm the window up to min without testing */
	while (i < n && pos < c->min) {
		s->hash = (s->hash << 1) + c->gear[p[i++]];
		pos++;
	}
	/* the cut after byte j is tested when the chunk length j+1 >= min,
	 * with the small mask below avg and the large one up to max */
	if (i < n && pos < c->avg) {
		size_t end = i + (c->avg - pos < n - i ? c->avg - pos : n - i);
		size_t stop = scan(c->gear, c->mask_small, p, i, end, &s->hash, cut);

		pos += stop - i;
		i = stop;
	}
	if (!*cut && i < n && pos >= c->avg) {
		size_t end = i + (c->max - pos < n - i ? c->max - pos : n - i);
		size_t stop = scan(c->gear, c->mask_large, p, i, end, &s->hash, cut);

		pos += stop - i;
		i = stop;
	}
	if (!*cut && pos >= c->max)
		*cut = 1;
	if (*cut) {
		px_bk_cdc_reset(s);
		return i;
	}
	s->pos = pos;
	return n;
}
