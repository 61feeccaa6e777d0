/* px_bk_box.c: compress-then-encrypt sealing of objects. Scratch buffers
 * live in the codec and are reused between objects, so a backup's memory
 * stays at a few shard sizes whatever the data size. */
#include "backup/px_bk_box.h"
#include "backup/px_bk_crypto.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

struct px_bk_codec {
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	struct px_buf scratch;   /* compressed payload / decrypted payload */
	struct px_buf aad;
	int level;
};

struct px_bk_codec *px_bk_codec_new(int zstd_level)
{
	struct px_bk_codec *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->level = zstd_level != 0 ? zstd_level : 3;   /* < 0: zstd's fast levels */
	c->cctx = ZSTD_createCCtx();
	c->dctx = ZSTD_createDCtx();
	if (!c->cctx || !c->dctx) {
		px_bk_codec_free(c);
		return NULL;
	}
	ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_compressionLevel, c->level);
	ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_checksumFlag, 0);
	return c;
}

void px_bk_codec_free(struct px_bk_codec *c)
{
	if (!c)
		return;
	ZSTD_freeCCtx(c->cctx);
	ZSTD_freeDCtx(c->dctx);
	px_buf_free(&c->scratch);
	px_buf_free(&c->aad);
	free(c);
}

int px_bk_codec_level(const struct px_bk_codec *c)
{
	return c->level;
}

static int make_aad(struct px_bk_codec *c, const unsigned char *hdr,
		    const void *bind, size_t bindlen)
{
	px_buf_reset(&c->aad);
	px_buf_append(&c->aad, hdr, PX_BK_BOX_HEADER);
	px_buf_append(&c->aad, bind, bindlen);
	return c->aad.failed ? -1 : 0;
}

int px_bk_box_seal(struct px_bk_codec *c, const char magic[4],
		   const unsigned char *key, const unsigned char *keyid,
		   const void *bind, size_t bindlen, const void *pt, size_t n,
		   int compress, struct px_buf *out)
{
	unsigned char *hdr;
	size_t plen = n, room = compress ? ZSTD_compressBound(n) : n;

	if (n > PX_BK_MAX_PLAIN)
		return -1;
	/* compressed straight into out and encrypted there in place: no
	 * scratch copy of the payload (memory is a shard, not two) */
	px_buf_reset(out);
	if (px_buf_reserve(out, PX_BK_BOX_OVERHEAD + room) != 0)
		return -1;
	hdr = (unsigned char *)out->data;
	if (compress) {
		size_t z = ZSTD_compress2(c->cctx, hdr + PX_BK_BOX_HEADER, room, pt, n);

		if (ZSTD_isError(z))
			return -1;
		if (z < n)
			plen = z;
		else
			compress = 0;
	}
	if (!compress)
		memcpy(hdr + PX_BK_BOX_HEADER, pt, n);
	memcpy(hdr, magic, 4);
	hdr[4] = 1;
	hdr[5] = compress ? 1 : 0;
	hdr[6] = hdr[7] = 0;
	memcpy(hdr + 8, keyid, PX_BK_KEYID_LEN);
	if (px_bk_random(hdr + 16, PX_BK_NONCE_LEN) != 0 ||
	    make_aad(c, hdr, bind, bindlen) != 0)
		return -1;
	if (px_bk_seal(key, hdr + 16, c->aad.data, c->aad.len, hdr + PX_BK_BOX_HEADER, plen,
		       hdr + PX_BK_BOX_HEADER) != 0)
		return -1;
	out->len = PX_BK_BOX_OVERHEAD + plen;
	out->data[out->len] = '\0';
	return 0;
}

enum px_err px_bk_box_open(struct px_bk_codec *c, const char magic[4],
			   px_bk_key_lookup lookup, const void *arg,
			   const void *bind, size_t bindlen, const void *data,
			   size_t n, struct px_buf *out)
{
	const unsigned char *hdr = data, *key;
	size_t clen;

	px_buf_reset(out);
	if (n < PX_BK_BOX_OVERHEAD || memcmp(hdr, magic, 4) != 0 ||
	    hdr[4] != 1 || (hdr[5] & ~1u) != 0)
		return PX_E_STORAGE_SHARD_CORRUPT;
	key = lookup(arg, hdr + 8);
	if (!key)
		return PX_E_STORAGE_KEY_INVALID;
	clen = n - PX_BK_BOX_OVERHEAD;
	if (make_aad(c, hdr, bind, bindlen) != 0)
		return PX_E_STORAGE_FAILED;
	px_buf_reset(&c->scratch);
	if (px_buf_reserve(&c->scratch, clen) != 0)
		return PX_E_STORAGE_FAILED;
	if (px_bk_open(key, hdr + 16, c->aad.data, c->aad.len,
		       hdr + PX_BK_BOX_HEADER, clen,
		       (unsigned char *)c->scratch.data) != 0)
		return PX_E_STORAGE_SHARD_CORRUPT;
	if (!(hdr[5] & 1)) {
		px_buf_append(out, c->scratch.data, clen);
	} else {
		unsigned long long raw = ZSTD_getFrameContentSize(c->scratch.data,
								  clen);
		size_t z;

		if (raw == ZSTD_CONTENTSIZE_ERROR ||
		    raw == ZSTD_CONTENTSIZE_UNKNOWN || raw > PX_BK_MAX_PLAIN)
			return PX_E_STORAGE_SHARD_CORRUPT;
		if (px_buf_reserve(out, (size_t)raw) != 0)
			return PX_E_STORAGE_FAILED;
		z = ZSTD_decompressDCtx(c->dctx, out->data, (size_t)raw,
					c->scratch.data, clen);
		if (ZSTD_isError(z) || z != raw)
			return PX_E_STORAGE_SHARD_CORRUPT;
		out->len = z;
		out->data[z] = '\0';
	}
	return out->failed ? PX_E_STORAGE_FAILED : PX_OK;
}
