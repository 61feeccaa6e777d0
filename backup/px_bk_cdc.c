/* px_bk_cdc.c: FastCDC (Xia et al., 2016) with normalisation level 2.
 * The gear hash shifts left one bit per byte, so its top bits depend on
 * the last 64 bytes only; the masks therefore test the top bits. */
#include "px_bk_cdc.h"
#include "px_bk_crypto.h"

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

size_t px_bk_cdc_feed(const struct px_bk_cdc *c, struct px_bk_cdc_state *s,
		      const unsigned char *p, size_t n, int *cut)
{
	size_t i = 0, pos = s->pos;
	uint64_t h = s->hash;

	*cut = 0;
	/* bytes before min - WINDOW cannot influence any allowed cut */
	if (pos + WINDOW < c->min) {
		size_t skip = c->min - WINDOW - pos;

		if (skip > n)
			skip = n;
		i = skip;
		pos += skip;
	}
	for (; i < n; i++, pos++) {
		h = (h << 1) + c->gear[p[i]];
		if (pos + 1 < c->min)
			continue;
		if ((pos + 1 < c->avg && !(h & c->mask_small)) ||
		    (pos + 1 >= c->avg && !(h & c->mask_large)) ||
		    pos + 1 >= c->max) {
			*cut = 1;
			px_bk_cdc_reset(s);
			return i + 1;
		}
	}
	s->hash = h;
	s->pos = pos;
	return n;
}
