/* files_scan.c: format walkers for uploaded images and the ZIP bomb check.
 * Invariant: nothing here decodes pixels or unpacks data; every length
 * read from the file is checked against the file's size before it is
 * followed, and the file is read through one bounded buffer. */
#include "handlers/files_scan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF 65536

/* ---- reading ---------------------------------------------------------- */

struct rd {
	int fd;
	uint64_t size;   /* bytes in the file */
	uint64_t pos;    /* next byte to read */
	uint64_t bstart; /* file offset of buf[0] */
	size_t blen;
	int ioerr;       /* a read failed (as opposed to the file ending) */
	unsigned char buf[BUF];
};

static struct rd *rd_new(int fd, uint64_t size)
{
	struct rd *r = malloc(sizeof(*r));

	if (r) {
		r->fd = fd;
		r->size = size;
		r->pos = r->bstart = 0;
		r->blen = 0;
		r->ioerr = 0;
	}
	return r;
}

/* Makes r->pos readable from the buffer: 0, or -1 at the end or on error. */
static int fill(struct rd *r)
{
	size_t want;
	ssize_t n;

	if (r->pos >= r->bstart && r->pos < r->bstart + r->blen)
		return 0;
	if (r->pos >= r->size)
		return -1;
	want = r->size - r->pos < BUF ? (size_t)(r->size - r->pos) : BUF;
	do
		n = pread(r->fd, r->buf, want, (off_t)r->pos);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		r->ioerr = n < 0;
		return -1;
	}
	r->bstart = r->pos;
	r->blen = (size_t)n;
	return 0;
}

static int get(struct rd *r)
{
	if (fill(r) != 0)
		return -1;
	return r->buf[r->pos++ - r->bstart];
}

static int take(struct rd *r, void *p, size_t n)
{
	unsigned char *o = p;

	while (n) {
		size_t k;

		if (fill(r) != 0)
			return -1;
		k = (size_t)(r->bstart + r->blen - r->pos);
		if (k > n)
			k = n;
		memcpy(o, r->buf + (r->pos - r->bstart), k);
		r->pos += k;
		o += k;
		n -= k;
	}
	return 0;
}

static int skip(struct rd *r, uint64_t n)
{
	if (n > r->size - r->pos) {
		r->pos = r->size;
		return -1;
	}
	r->pos += n;
	return 0;
}

/* Moves r->pos to the next 0xFF byte: 0, or -1 at the end. */
static int find_ff(struct rd *r)
{
	for (;;) {
		const unsigned char *p, *s;
		size_t k;

		if (fill(r) != 0)
			return -1;
		s = r->buf + (r->pos - r->bstart);
		k = (size_t)(r->bstart + r->blen - r->pos);
		p = memchr(s, 0xFF, k);
		if (p) {
			r->pos += (uint64_t)(p - s);
			return 0;
		}
		r->pos += k;
	}
}

/* The file ended early: truncated, unless reading itself failed. */
static enum px_err short_read(const struct rd *r)
{
	return r->ioerr ? PX_E_STORAGE_FAILED : PX_E_FILES_IMAGE_INVALID;
}

/* After the end marker only zero padding may follow. */
static enum px_err tail(struct rd *r)
{
	while (fill(r) == 0) {
		size_t i, k = (size_t)(r->bstart + r->blen - r->pos);
		const unsigned char *s = r->buf + (r->pos - r->bstart);

		for (i = 0; i < k; i++)
			if (s[i])
				return PX_E_FILES_POLYGLOT;
		r->pos += k;
	}
	return r->ioerr ? PX_E_STORAGE_FAILED : PX_OK;
}

static uint32_t be16(const unsigned char *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const unsigned char *p) { return be16(p) << 16 | be16(p + 2); }
static uint32_t le16(const unsigned char *p) { return (uint32_t)p[1] << 8 | p[0]; }
static uint32_t le24(const unsigned char *p) { return le16(p) | (uint32_t)p[2] << 16; }
static uint32_t le32(const unsigned char *p) { return le16(p) | le16(p + 2) << 16; }
static uint64_t le64(const unsigned char *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

/* ---- writing ---------------------------------------------------------- */

/* The stripped copy: ranges of the input are coalesced and copied with
 * pread; literal bytes flush them first. The first failure sticks. */
struct wr {
	int out, in;
	int err;              /* errno of the first failure, 0 */
	uint64_t n;           /* bytes written */
	uint64_t off, len;    /* pending range of the input */
	unsigned char *tmp;
};

static void put(struct wr *w, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n && !w->err) {
		ssize_t k = write(w->out, c, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			w->err = k < 0 ? errno : EIO;
			return;
		}
		c += k;
		n -= (size_t)k;
		w->n += (uint64_t)k;
	}
}

static void flush(struct wr *w)
{
	while (w->len && !w->err) {
		size_t k = w->len < BUF ? (size_t)w->len : BUF;
		ssize_t n = pread(w->in, w->tmp, k, (off_t)w->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->err = n < 0 ? errno : EIO;
			return;
		}
		put(w, w->tmp, (size_t)n);
		w->off += (uint64_t)n;
		w->len -= (uint64_t)n;
	}
}

static void keep(struct wr *w, uint64_t off, uint64_t len)
{
	if (!w || !len)
		return;
	if (w->len && w->off + w->len == off) {
		w->len += len;
		return;
	}
	flush(w);
	w->off = off;
	w->len = len;
}

static void lit(struct wr *w, const void *p, size_t n)
{
	if (!w)
		return;
	flush(w);
	put(w, p, n);
}

/* ---- PNG -------------------------------------------------------------- */

static int png_kept(const unsigned char *t)
{
	static const char kept[] = "IHDR PLTE IDAT IEND tRNS gAMA cHRM sRGB iCCP sBIT pHYs bKGD "
				   "acTL fcTL fdAT cICP ";
	const char *p;

	for (p = kept; *p; p += 5)
		if (memcmp(p, t, 4) == 0)
			return 1;
	return 0;
}

static int letters(const unsigned char *t)
{
	int i;

	for (i = 0; i < 4; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z')))
			return 0;
	return 1;
}

static enum px_err png(struct rd *r, struct wr *w, struct px_hf_img_info *in)
{
	unsigned char h[8], d[13];
	int chunks = 0;

	if (take(r, h, 8) != 0)
		return short_read(r);
	if (memcmp(h, "\x89PNG\r\n\x1a\n", 8) != 0)
		return PX_E_FILES_POLYGLOT;
	keep(w, 0, 8);
	for (;;) {
		uint64_t start = r->pos;
		uint32_t len;

		if (take(r, h, 8) != 0)
			return short_read(r);
		len = be32(h);
		if (len > 0x7fffffffu || !letters(h + 4))
			return PX_E_FILES_POLYGLOT;
		if (chunks++ == 0) {
			if (memcmp(h + 4, "IHDR", 4) != 0 || len != 13)
				return PX_E_FILES_POLYGLOT;
			if (take(r, d, 13) != 0 || skip(r, 4) != 0)
				return short_read(r);
			in->width = be32(d);
			in->height = be32(d + 4);
			if (in->width == 0 || in->height == 0 || in->width > 0x7fffffffu ||
			    in->height > 0x7fffffffu || d[12] > 1)
				return PX_E_FILES_IMAGE_INVALID;
			in->whole = d[12] == 1; /* Adam7: decoded whole */
		} else {
			if (memcmp(h + 4, "IHDR", 4) == 0)
				return PX_E_FILES_POLYGLOT;
			if (skip(r, (uint64_t)len + 4) != 0)
				return short_read(r);
		}
		if (png_kept(h + 4))
			keep(w, start, 12 + (uint64_t)len);
		if (memcmp(h + 4, "IEND", 4) == 0)
			break;
	}
	in->pixels = (uint64_t)in->width * in->height;
	in->frames = 1;
	return tail(r);
}

/* ---- JPEG ------------------------------------------------------------- */

static int jpeg_sof(int m)
{
	return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

/* APPn and COM segments are dropped but for what rendering needs. */
static int jpeg_kept(int m, const unsigned char *id, size_t n)
{
	if (m == 0xFE || (m >= 0xE0 && m <= 0xEF)) {
		if (m == 0xE0)
			return n >= 5 && (memcmp(id, "JFIF\0", 5) == 0 || memcmp(id, "JFXX\0", 5) == 0);
		if (m == 0xE2)
			return n >= 12 && memcmp(id, "ICC_PROFILE\0", 12) == 0;
		if (m == 0xEE)
			return n >= 5 && memcmp(id, "Adobe", 5) == 0;
		return 0;
	}
	return 1;
}

/* EXIF holding only IFD0's Orientation (big-endian TIFF). */
static void jpeg_orientation(struct wr *w, int o)
{
	unsigned char x[36] = { 0xFF, 0xE1, 0, 34, 'E', 'x', 'i', 'f', 0, 0,
				'M', 'M', 0, 42, 0, 0, 0, 8, /* TIFF header, IFD0 at 8 */
				0, 1,                        /* one entry */
				0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, /* Orientation SHORT 1 */
				0, 0, 0, 0 };                /* no next IFD */

	x[29] = (unsigned char)o;
	lit(w, x, sizeof(x));
}

static enum px_err jpeg(struct rd *r, struct wr *w, int orient, struct px_hf_img_info *in)
{
	int c, m, sof = 0, scans = 0, exif = w && orient >= 2 && orient <= 8;
	unsigned char h[12];

	if (get(r) != 0xFF || get(r) != 0xD8)
		return r->pos < 2 ? short_read(r) : PX_E_FILES_POLYGLOT;
	keep(w, 0, 2);
	if ((c = get(r)) < 0)
		return short_read(r);
	if (c != 0xFF)
		return PX_E_FILES_POLYGLOT;
	while ((c = get(r)) == 0xFF)
		; /* fill bytes */
	if (c < 0)
		return short_read(r);
	m = c;
	for (;;) {
		uint64_t start = r->pos - 2;
		uint32_t len;
		size_t idn;

		if (m == 0xD9) {
			if (!sof || !scans)
				return PX_E_FILES_IMAGE_INVALID;
			if (exif)
				jpeg_orientation(w, orient);
			keep(w, start, 2);
			break;
		}
		if (m == 0x00 || m == 0x01 || m == 0xD8 || (m >= 0xD0 && m <= 0xD7))
			return PX_E_FILES_POLYGLOT; /* no segment may start so */
		if (take(r, h, 2) != 0)
			return short_read(r);
		len = be16(h);
		if (len < 2)
			return PX_E_FILES_POLYGLOT;
		if (exif && m != 0xE0) {
			jpeg_orientation(w, orient);
			exif = 0;
		}
		if (jpeg_sof(m)) {
			if (len < 8 || sof)
				return PX_E_FILES_POLYGLOT;
			if (take(r, h, 6) != 0 || skip(r, len - 8) != 0)
				return short_read(r);
			in->height = be16(h + 1);
			in->width = be16(h + 3);
			if (in->width == 0 || in->height == 0 || h[5] == 0)
				return PX_E_FILES_IMAGE_INVALID;
			/* progressive and hierarchical frames keep every coefficient */
			in->whole = m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE ||
				    m == 0xC5 || m == 0xC7 || m == 0xCD || m == 0xCF;
			sof = 1;
			idn = 0;
		} else {
			idn = len - 2 < sizeof(h) ? len - 2 : sizeof(h);
			if (take(r, h, idn) != 0 || skip(r, len - 2 - idn) != 0)
				return short_read(r);
		}
		if (jpeg_kept(m, h, idn))
			keep(w, start, 2 + (uint64_t)len);
		if (m != 0xDA) {
			if ((c = get(r)) < 0)
				return short_read(r);
			if (c != 0xFF)
				return PX_E_FILES_POLYGLOT;
			while ((c = get(r)) == 0xFF)
				;
			if (c < 0)
				return short_read(r);
			m = c;
			continue;
		}
		/* entropy-coded data: up to a marker that is neither a stuffed
		 * 0xFF00 nor a restart marker */
		if (!sof)
			return PX_E_FILES_POLYGLOT;
		scans++;
		{
			uint64_t es = r->pos, ff;

			for (;;) {
				if (find_ff(r) != 0)
					return short_read(r);
				ff = r->pos++;
				while ((c = get(r)) == 0xFF)
					;
				if (c < 0)
					return short_read(r);
				if (c != 0x00 && !(c >= 0xD0 && c <= 0xD7))
					break;
			}
			keep(w, es, ff - es);
			/* the marker is written from its last 0xFF: fill bytes go */
			m = c;
		}
	}
	in->pixels = (uint64_t)in->width * in->height;
	in->frames = 1;
	return tail(r);
}

/* ---- GIF -------------------------------------------------------------- */

/* Skips data sub-blocks up to their terminator. */
static int sub_blocks(struct rd *r)
{
	int n;

	while ((n = get(r)) > 0)
		if (skip(r, (uint64_t)n) != 0)
			return -1;
	return n < 0 ? -1 : 0;
}

static enum px_err gif(struct rd *r, struct wr *w, struct px_hf_img_info *in)
{
	unsigned char h[13];
	uint64_t most;

	if (take(r, h, 13) != 0)
		return short_read(r);
	if (memcmp(h, "GIF87a", 6) != 0 && memcmp(h, "GIF89a", 6) != 0)
		return PX_E_FILES_POLYGLOT;
	in->width = le16(h + 6);
	in->height = le16(h + 8);
	if (in->width == 0 || in->height == 0)
		return PX_E_FILES_IMAGE_INVALID;
	if ((h[10] & 0x80) && skip(r, 3u << ((h[10] & 7) + 1)) != 0)
		return short_read(r);
	keep(w, 0, r->pos);
	most = (uint64_t)in->width * in->height;
	in->whole = 1; /* decoded into a whole canvas */
	for (;;) {
		uint64_t start = r->pos, px;
		int c = get(r), kept = 0;

		if (c < 0) {
			/* a missing trailer after whole blocks is common and harmless */
			if (r->ioerr || !in->frames)
				return short_read(r);
			lit(w, ";", 1);
			break;
		}
		if (c == 0x3B) {
			if (!in->frames)
				return PX_E_FILES_IMAGE_INVALID;
			keep(w, start, 1);
			break;
		}
		if (c == 0x21) {
			int label = get(r), n = get(r);

			if (n < 0)
				return short_read(r);
			if (n > 0) {
				unsigned char id[255];

				if (take(r, id, (size_t)n) != 0)
					return short_read(r);
				kept = label == 0xF9 ||
				       (label == 0xFF && n == 11 &&
					(memcmp(id, "NETSCAPE2.0", 11) == 0 ||
					 memcmp(id, "ANIMEXTS1.0", 11) == 0));
				if (sub_blocks(r) != 0)
					return short_read(r);
			}
		} else if (c == 0x2C) {
			int code;

			if (take(r, h, 9) != 0)
				return short_read(r);
			if ((h[8] & 0x80) && skip(r, 3u << ((h[8] & 7) + 1)) != 0)
				return short_read(r);
			if ((code = get(r)) < 0)
				return short_read(r);
			if (code < 1 || code > 11)
				return PX_E_FILES_POLYGLOT;
			if (sub_blocks(r) != 0)
				return short_read(r);
			px = (uint64_t)le16(h + 4) * le16(h + 6);
			if (px > most)
				most = px;
			in->frames++;
			kept = 1;
		} else {
			return PX_E_FILES_POLYGLOT; /* not a GIF block */
		}
		if (kept)
			keep(w, start, r->pos - start);
	}
	in->pixels = most;
	return tail(r);
}

/* ---- WebP ------------------------------------------------------------- */

static int webp_kept(const unsigned char *t)
{
	static const char kept[] = "VP8 VP8LVP8XALPHANIMANMFICCP";
	size_t i;

	for (i = 0; i < sizeof(kept) - 1; i += 4)
		if (memcmp(kept + i, t, 4) == 0)
			return 1;
	return 0;
}

static enum px_err webp(struct rd *r, struct wr *w, struct px_hf_img_info *in)
{
	unsigned char h[12], d[10];
	uint64_t end;
	int chunks = 0, images = 0;

	if (take(r, h, 12) != 0)
		return short_read(r);
	if (memcmp(h, "RIFF", 4) != 0 || memcmp(h + 8, "WEBP", 4) != 0)
		return PX_E_FILES_POLYGLOT;
	end = 8 + (uint64_t)le32(h + 4);
	if (end > r->size)
		return PX_E_FILES_IMAGE_INVALID; /* truncated */
	lit(w, h, 12); /* the size is written again at the end */
	in->whole = 1; /* libwebp decodes into one buffer */
	in->frames = 1;
	while (r->pos < end) {
		uint64_t start = r->pos, csize, body;
		size_t dn;

		if (end - r->pos < 8)
			return PX_E_FILES_POLYGLOT;
		if (take(r, h, 8) != 0)
			return short_read(r);
		csize = le32(h + 4);
		body = csize + (csize & 1);
		if (body > end - r->pos)
			return PX_E_FILES_POLYGLOT; /* a chunk past the RIFF size */
		dn = csize < sizeof(d) ? (size_t)csize : sizeof(d);
		if (take(r, d, dn) != 0 || skip(r, body - dn) != 0)
			return short_read(r);
		if (chunks++ == 0) {
			if (memcmp(h, "VP8X", 4) == 0 && dn >= 10) {
				in->width = le24(d + 4) + 1;
				in->height = le24(d + 7) + 1;
			} else if (memcmp(h, "VP8 ", 4) == 0 && dn >= 10 &&
				   memcmp(d + 3, "\x9d\x01\x2a", 3) == 0) {
				in->width = le16(d + 6) & 0x3fff;
				in->height = le16(d + 8) & 0x3fff;
			} else if (memcmp(h, "VP8L", 4) == 0 && dn >= 5 && d[0] == 0x2f) {
				uint32_t b = le32(d + 1);

				in->width = (b & 0x3fff) + 1;
				in->height = ((b >> 14) & 0x3fff) + 1;
			} else {
				return PX_E_FILES_POLYGLOT;
			}
			if (in->width == 0 || in->height == 0)
				return PX_E_FILES_IMAGE_INVALID;
		}
		if (memcmp(h, "VP8 ", 4) == 0 || memcmp(h, "VP8L", 4) == 0)
			images++;
		if (memcmp(h, "ANMF", 4) == 0)
			in->frames = (uint32_t)++images;
		if (memcmp(h, "VP8X", 4) == 0 && w && dn >= 10) {
			/* the header stays; its EXIF (0x08) and XMP (0x04) flags go */
			d[0] &= (unsigned char)~0x0C;
			lit(w, h, 8);
			lit(w, d, dn);
			keep(w, start + 8 + dn, body - dn);
		} else if (webp_kept(h)) {
			keep(w, start, 8 + body);
		}
	}
	if (!images)
		return PX_E_FILES_IMAGE_INVALID;
	if (w) {
		unsigned char sz[4];
		uint64_t n;

		flush(w);
		n = w->n - 8;
		sz[0] = (unsigned char)n;
		sz[1] = (unsigned char)(n >> 8);
		sz[2] = (unsigned char)(n >> 16);
		sz[3] = (unsigned char)(n >> 24);
		if (!w->err && pwrite(w->out, sz, 4, 4) != 4)
			w->err = errno ? errno : EIO;
	}
	in->pixels = (uint64_t)in->width * in->height;
	return tail(r);
}

/* ---- the entry points ------------------------------------------------- */

static enum px_err walk(int fd, uint64_t size, enum px_hf_img fmt, struct wr *w, int orient,
			struct px_hf_img_info *in)
{
	struct rd *r = rd_new(fd, size);
	enum px_err e;

	memset(in, 0, sizeof(*in));
	in->fmt = fmt;
	if (!r)
		return PX_E_SYSTEM_INTERNAL;
	switch (fmt) {
	case PX_HF_IMG_PNG: e = png(r, w, in); break;
	case PX_HF_IMG_JPEG: e = jpeg(r, w, orient, in); break;
	case PX_HF_IMG_GIF: e = gif(r, w, in); break;
	case PX_HF_IMG_WEBP: e = webp(r, w, in); break;
	default: e = PX_E_FILES_TYPE_NOT_ALLOWED; break;
	}
	free(r);
	return e;
}

enum px_err px_hf_img_scan(int fd, uint64_t size, enum px_hf_img fmt,
			   struct px_hf_img_info *info)
{
	return walk(fd, size, fmt, NULL, 0, info);
}

enum px_err px_hf_img_limit(const struct px_hf_img_info *info, uint64_t max_pixels)
{
	uint64_t px = info->pixels > (uint64_t)info->width * info->height
			      ? info->pixels : (uint64_t)info->width * info->height;

	return px > (info->whole ? max_pixels / 4 : max_pixels) ? PX_E_FILES_IMAGE_TOO_LARGE
								 : PX_OK;
}

enum px_err px_hf_img_strip(int fd, uint64_t size, enum px_hf_img fmt, int orientation,
			    int out)
{
	struct wr w = { out, fd, 0, 0, 0, 0, malloc(BUF) };
	struct px_hf_img_info in;
	enum px_err e;

	if (!w.tmp)
		return PX_E_SYSTEM_INTERNAL;
	e = walk(fd, size, fmt, &w, orientation, &in);
	flush(&w);
	free(w.tmp);
	if (e == PX_OK && w.err)
		e = w.err == ENOSPC || w.err == EDQUOT ? PX_E_STORAGE_FULL : PX_E_STORAGE_FAILED;
	return e;
}

/* ---- ZIP -------------------------------------------------------------- */

#define ZIP_MAX_ENTRIES 100000

struct span {
	uint64_t from, to;
};

static int by_from(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->from < y->from ? -1 : x->from > y->from;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static int pread_all(int fd, void *p, size_t n, uint64_t off)
{
	ssize_t k;

	do
		k = pread(fd, p, n, (off_t)off);
	while (k < 0 && errno == EINTR);
	return k == (ssize_t)n ? 0 : -1;
}

/* The ZIP64 fields of a central header's extra data that its 32-bit
 * fields mark as 0xFFFFFFFF, in the order the format gives them. */
static void zip64_extra(const unsigned char *x, size_t n, uint64_t *usz, uint64_t *csz,
			uint64_t *off)
{
	size_t i = 0;

	while (i + 4 <= n) {
		uint32_t id = le16(x + i), len = le16(x + i + 2);
		const unsigned char *v = x + i + 4;

		if (i + 4 + len > n)
			return;
		if (id == 0x0001) {
			size_t at = 0;

			if (*usz == 0xffffffffu && at + 8 <= len)
				*usz = le64(v + at), at += 8;
			if (*csz == 0xffffffffu && at + 8 <= len)
				*csz = le64(v + at), at += 8;
			if (*off == 0xffffffffu && at + 8 <= len)
				*off = le64(v + at);
			return;
		}
		i += 4 + len;
	}
}

/* What an entry's name tells about the archive (PX_HF_ZIP_* bits). */
static unsigned name_marks(const unsigned char *s, size_t n)
{
	static const struct {
		const char *name;
		int prefix;
		unsigned bit;
	} marks[] = {
		{ "[Content_Types].xml", 0, PX_HF_ZIP_OPC }, { "word/", 1, PX_HF_ZIP_WORD },
		{ "xl/", 1, PX_HF_ZIP_XL }, { "ppt/", 1, PX_HF_ZIP_PPT },
	};
	unsigned bits = 0;
	size_t i;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		size_t k = strlen(marks[i].name);

		if ((marks[i].prefix ? n > k : n == k) && memcmp(s, marks[i].name, k) == 0)
			bits |= marks[i].bit;
	}
	return bits;
}

const char *px_hf_zip_ooxml(const struct px_hf_zip *z)
{
	unsigned parts = z->names & (PX_HF_ZIP_WORD | PX_HF_ZIP_XL | PX_HF_ZIP_PPT);

	if (!z->found || !(z->names & PX_HF_ZIP_OPC))
		return NULL;
	if (parts == PX_HF_ZIP_WORD)
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
	if (parts == PX_HF_ZIP_XL)
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
	if (parts == PX_HF_ZIP_PPT)
		return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
	return NULL;
}

enum px_err px_hf_zip_check(int fd, uint64_t size, uint64_t max_ratio, uint64_t max_unpacked,
			    struct px_hf_zip *z)
{
	unsigned char *t = NULL, *x = NULL, c[56];
	struct span *sp = NULL;
	struct rd *r = NULL;
	uint64_t tn, eocd, entries, cdsize, cdoff, stated, total = 0, first = UINT64_MAX, k;
	enum px_err e = PX_OK;
	size_t i;
	int found = 0;

	memset(z, 0, sizeof(*z));
	if (size < 22)
		return PX_OK;
	tn = size < 22 + 65535 ? size : 22 + 65535;
	t = malloc((size_t)tn);
	x = malloc(65536);
	if (!t || !x) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	if (pread_all(fd, t, (size_t)tn, size - tn) != 0) {
		e = PX_E_STORAGE_FAILED;
		goto out;
	}
	/* the end record, its comment reaching exactly to the end */
	for (i = (size_t)tn - 22 + 1; i-- > 0;)
		if (memcmp(t + i, "PK\x05\x06", 4) == 0 && i + 22 + le16(t + i + 20) == tn) {
			found = 1;
			break;
		}
	if (!found)
		goto out;
	eocd = size - tn + i;
	entries = le16(t + i + 10);
	cdsize = le32(t + i + 12);
	stated = le32(t + i + 16);
	if ((entries == 0xffff || cdsize == 0xffffffffu || stated == 0xffffffffu) &&
	    eocd >= 20 && pread_all(fd, c, 20, eocd - 20) == 0 &&
	    memcmp(c, "PK\x06\x07", 4) == 0) {
		/* readers find the ZIP64 end record before the locator */
		if (eocd < 20 + 56 || pread_all(fd, c, 56, eocd - 20 - 56) != 0 ||
		    memcmp(c, "PK\x06\x06", 4) != 0)
			goto out;
		entries = le64(c + 32);
		cdsize = le64(c + 40);
		stated = le64(c + 48);
		eocd -= 20 + 56;
	}
	if (entries > ZIP_MAX_ENTRIES) {
		e = PX_E_FILES_ARCHIVE_BOMB;
		goto out;
	}
	/* the directory ends where the end records begin, as readers that
	 * allow data before the archive (self-extractors, polyglots) see it;
	 * its stated offset is ignored */
	if (entries == 0 || cdsize > eocd)
		goto out; /* nothing declared, or not a usable archive */
	cdoff = eocd - cdsize;
	sp = calloc((size_t)entries, sizeof(*sp));
	r = rd_new(fd, cdoff + cdsize);
	if (!sp || !r) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	r->pos = cdoff;
	for (k = 0; k < entries; k++) {
		uint64_t csz, usz, lho;
		uint32_t nl, xl, cl;

		if (take(r, c, 46) != 0 || memcmp(c, "PK\x01\x02", 4) != 0)
			goto out; /* a damaged directory: not judged here */
		csz = le32(c + 20);
		usz = le32(c + 24);
		nl = le16(c + 28);
		xl = le16(c + 30);
		cl = le16(c + 32);
		lho = le32(c + 42);
		if (take(r, x, nl) != 0)
			goto out;
		z->names |= name_marks(x, nl);
		if (take(r, x, xl) != 0 || skip(r, cl) != 0)
			goto out;
		zip64_extra(x, xl, &usz, &csz, &lho);
		total = sat_add(total, usz);
		first = lho < first ? lho : first;
		sp[k].from = lho;
		sp[k].to = sat_add(sat_add(lho, 30 + (uint64_t)nl), csz);
	}
	z->found = 1;
	/* offsets count from the archive's start: where the directory sits
	 * minus where it says it sits is what comes before the archive */
	z->start = stated > cdoff ? UINT64_MAX : sat_add(cdoff - stated, first);
	if (total > max_unpacked || total / size > max_ratio) {
		e = PX_E_FILES_ARCHIVE_BOMB;
		goto out;
	}
	/* overlapping entries reuse one compressed stream many times */
	qsort(sp, (size_t)entries, sizeof(*sp), by_from);
	for (k = 1; k < entries; k++)
		if (sp[k - 1].to > sp[k].from) {
			e = PX_E_FILES_ARCHIVE_BOMB;
			goto out;
		}
out:
	if (e == PX_OK && r && r->ioerr)
		e = PX_E_STORAGE_FAILED;
	free(t);
	free(x);
	free(sp);
	free(r);
	return e;
}
