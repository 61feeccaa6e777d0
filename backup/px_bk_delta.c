/* px_bk_delta.c: slice sums of 8 KiB blocks, the masks and packing of
 * changed slices, and the local sums files (see px_bk_delta.h). The
 * writer hashes what it writes as it goes; the reader checks the whole
 * file once at open, so a damaged file is never half-trusted. */
#include "backup/px_bk_delta.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "PXSUMS1\n"
#define MAGIC_LEN 8
#define TRAILER 32

/* Writes the n low bytes of v at p, least significant first. */
static void le(unsigned char *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* ---- slices ---- */

/* The slice sums are SipHash (Aumasson and Bernstein, 2012): a keyed
 * pseudo-random function with 64-bit output made for short inputs, so
 * without the key nobody can make two slices that share a sum. The 1-3
 * variant (one round per word, three to finish; what Python and Rust use
 * for their hash tables) costs 0.04 s of CPU per 112 MB here, against
 * 0.1 s for SipHash-2-4 or a SHA-256 per slice and 0.07 s for the block
 * hashes themselves. */
#define SIP_C 1
#define SIP_D 3

struct px_bk_slicer {
	uint64_t k0, k1;
	unsigned char empty[PX_BK_SLICE_SUM];
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

static uint64_t le64(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

uint64_t px_bk_siphash(unsigned c, unsigned d, uint64_t k0, uint64_t k1,
		       const unsigned char *p, size_t n)
{
	uint64_t v[4] = { k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
			  k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL };
	uint64_t m, last = (uint64_t)n << 56;
	size_t i, whole = n - n % 8;
	unsigned r;

	for (i = 0; i < whole; i += 8) {
		memcpy(&m, p + i, 8);
		m = le64toh(m);
		v[3] ^= m;
		for (r = 0; r < c; r++)
			sip_round(v);
		v[0] ^= m;
	}
	last |= le64(p + whole, n - whole);
	v[3] ^= last;
	for (r = 0; r < c; r++)
		sip_round(v);
	v[0] ^= last;
	v[2] ^= 0xff;
	for (r = 0; r < d; r++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

struct px_bk_slicer *px_bk_slicer_new(const unsigned char key[32])
{
	struct px_bk_slicer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	/* SipHash takes a 128-bit key: the first half of the derived one */
	s->k0 = le64(key, 8);
	s->k1 = le64(key + 8, 8);
	le(s->empty, px_bk_siphash(SIP_C, SIP_D, s->k0, s->k1, key, 0), 8);
	return s;
}

void px_bk_slicer_free(struct px_bk_slicer *s)
{
	free(s);
}

size_t px_bk_slice_len(size_t len, unsigned i)
{
	size_t off = (size_t)i * PX_BK_SLICE;

	if (i >= PX_BK_SLICES || off >= len)
		return 0;
	return len - off < PX_BK_SLICE ? len - off : PX_BK_SLICE;
}

int px_bk_slicer_sums(struct px_bk_slicer *s, const unsigned char *blk, size_t len,
		      unsigned char sums[PX_BK_SUMS_PER_BLOCK])
{
	unsigned i;
	size_t n;

	if (len > PX_BK_DELTA_BLOCK)
		return -1;
	for (i = 0; i < PX_BK_SLICES; i++) {
		n = px_bk_slice_len(len, i);
		if (n == 0)
			memcpy(sums + i * PX_BK_SLICE_SUM, s->empty, PX_BK_SLICE_SUM);
		else
			le(sums + i * PX_BK_SLICE_SUM,
			   px_bk_siphash(SIP_C, SIP_D, s->k0, s->k1, blk + (size_t)i * PX_BK_SLICE, n), 8);
	}
	return 0;
}

uint32_t px_bk_slice_all(size_t len)
{
	size_t n = (len + PX_BK_SLICE - 1) / PX_BK_SLICE;

	if (n >= 32)
		return 0xffffffffu;
	return (uint32_t)((1u << n) - 1);
}

uint32_t px_bk_slice_diff(const unsigned char prev[PX_BK_SUMS_PER_BLOCK],
			  const unsigned char cur[PX_BK_SUMS_PER_BLOCK], size_t len)
{
	uint32_t m = 0;
	unsigned i;

	for (i = 0; i < PX_BK_SLICES && px_bk_slice_len(len, i) > 0; i++)
		if (memcmp(prev + i * PX_BK_SLICE_SUM, cur + i * PX_BK_SLICE_SUM, PX_BK_SLICE_SUM))
			m |= 1u << i;
	return m;
}

size_t px_bk_slice_bytes(uint32_t mask, size_t len)
{
	size_t n = 0;
	unsigned i;

	for (i = 0; i < PX_BK_SLICES; i++)
		if (mask & (1u << i))
			n += px_bk_slice_len(len, i);
	return n;
}

void px_bk_slice_pack(const unsigned char *blk, size_t len, uint32_t mask,
		      struct px_buf *out)
{
	unsigned i;

	for (i = 0; i < PX_BK_SLICES; i++)
		if (mask & (1u << i))
			px_buf_append(out, blk + (size_t)i * PX_BK_SLICE, px_bk_slice_len(len, i));
}

void px_bk_slice_unpack(unsigned char *blk, size_t len, uint32_t mask,
			const unsigned char *p)
{
	unsigned i;
	size_t n;

	for (i = 0; i < PX_BK_SLICES; i++) {
		if (!(mask & (1u << i)))
			continue;
		n = px_bk_slice_len(len, i);
		memcpy(blk + (size_t)i * PX_BK_SLICE, p, n);
		p += n;
	}
}

/* ---- sums files: writing ---- */

struct px_bk_sums_out {
	FILE *f;
	EVP_MD_CTX *md;
	char *path, *tmp;
	int failed;
};

static void out_put(struct px_bk_sums_out *o, const void *p, size_t n)
{
	if (o->failed)
		return;
	if (fwrite(p, 1, n, o->f) != n || EVP_DigestUpdate(o->md, p, n) != 1)
		o->failed = 1;
}

static void out_str(struct px_bk_sums_out *o, const char *s)
{
	unsigned char n[2];
	size_t len = strlen(s);

	if (len > 65535) {
		o->failed = 1;
		return;
	}
	le(n, len, 2);
	out_put(o, n, 2);
	out_put(o, s, len);
}

struct px_bk_sums_out *px_bk_sums_create(const char *path, const char *backup,
					 struct px_buf *err)
{
	struct px_bk_sums_out *o = calloc(1, sizeof(*o));
	struct px_buf tmp = PX_BUF_INIT;
	int fd;

	if (!o)
		goto fail;
	px_buf_printf(&tmp, "%s.tmp-%ld", path, (long)getpid());
	o->path = strdup(path);
	o->md = EVP_MD_CTX_new();
	if (tmp.failed || !o->path || !o->md || EVP_DigestInit_ex(o->md, EVP_sha256(), NULL) != 1)
		goto fail;
	o->tmp = px_buf_steal(&tmp);
	/* private, as the rest of the cache: the sums say which slices repeat */
	fd = o->tmp ? open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	o->f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (!o->f) {
		if (fd >= 0)
			close(fd);
		px_buf_printf(err, "cannot create %s: %s", o->tmp ? o->tmp : path, strerror(errno));
		goto fail;
	}
	out_put(o, MAGIC, MAGIC_LEN);
	out_str(o, backup);
	return o;
fail:
	px_buf_free(&tmp);
	if (!err->len)
		px_buf_puts(err, "out of memory");
	px_bk_sums_abort(o);
	return NULL;
}

void px_bk_sums_file(struct px_bk_sums_out *o, const char *relpath, uint64_t nblocks)
{
	unsigned char n[8];

	out_str(o, relpath);
	le(n, nblocks, 8);
	out_put(o, n, 8);
}

void px_bk_sums_add(struct px_bk_sums_out *o, const unsigned char sums[PX_BK_SUMS_PER_BLOCK])
{
	out_put(o, sums, PX_BK_SUMS_PER_BLOCK);
}

static void out_free(struct px_bk_sums_out *o)
{
	EVP_MD_CTX_free(o->md);
	free(o->path);
	free(o->tmp);
	free(o);
}

int px_bk_sums_finish(struct px_bk_sums_out *o, struct px_buf *err)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;

	if (!o->failed && EVP_DigestFinal_ex(o->md, h, &hl) == 1 && hl == TRAILER &&
	    fwrite(h, 1, TRAILER, o->f) == TRAILER && fflush(o->f) == 0 &&
	    fsync(fileno(o->f)) == 0) {
		if (fclose(o->f) == 0 && rename(o->tmp, o->path) == 0) {
			out_free(o);
			return 0;
		}
		o->f = NULL;
	}
	px_buf_printf(err, "cannot write %s: %s", o->tmp, strerror(errno));
	px_bk_sums_abort(o);
	return -1;
}

void px_bk_sums_abort(struct px_bk_sums_out *o)
{
	if (!o)
		return;
	if (o->f)
		fclose(o->f);
	if (o->tmp)
		unlink(o->tmp);
	out_free(o);
}

/* ---- sums files: reading ---- */

struct px_bk_sums_in {
	FILE *f;
	json_object *index;   /* path -> offset of its block count */
	uint64_t left;        /* blocks still to read in the file sought */
};

void px_bk_sums_close(struct px_bk_sums_in *in)
{
	if (!in)
		return;
	if (in->f)
		fclose(in->f);
	json_object_put(in->index);
	free(in);
}

/* Reads n bytes into p (or skips them when p is NULL) through the hash. */
static int in_get(FILE *f, EVP_MD_CTX *md, unsigned char *p, size_t n, uint64_t *pos)
{
	unsigned char buf[4096] = { 0 };   /* only to skip into; zeroed for cppcheck */
	unsigned char *dst;
	size_t k;

	while (n > 0) {
		k = n < sizeof(buf) ? n : sizeof(buf);
		dst = p ? p : buf;
		if (fread(dst, 1, k, f) != k || EVP_DigestUpdate(md, dst, k) != 1)
			return -1;
		if (p)
			p += k;
		n -= k;
		*pos += k;
	}
	return 0;
}

/* Reads a u16-prefixed string into s (NUL-terminated). */
static int in_str(FILE *f, EVP_MD_CTX *md, struct px_buf *s, uint64_t *pos)
{
	unsigned char n[2];
	size_t len;

	px_buf_reset(s);
	if (in_get(f, md, n, 2, pos) != 0)
		return -1;
	len = (size_t)le64(n, 2);
	if (px_buf_reserve(s, len + 1) != 0 || in_get(f, md, (unsigned char *)s->data, len, pos) != 0)
		return -1;
	s->len = len;
	s->data[len] = '\0';
	return 0;
}

/* Walks the records up to the trailer, indexing them, and checks it. */
static enum px_err in_scan(struct px_bk_sums_in *in, uint64_t size, EVP_MD_CTX *md,
			   uint64_t pos, const char *path, struct px_buf *err)
{
	struct px_buf s = PX_BUF_INIT;
	unsigned char n[8], h[EVP_MAX_MD_SIZE], t[TRAILER];
	unsigned int hl = 0;
	uint64_t nb;
	enum px_err rc = PX_E_STORAGE_SHARD_CORRUPT;

	while (pos + TRAILER < size) {
		if (in_str(in->f, md, &s, &pos) != 0)
			goto out;
		json_object_object_add(in->index, s.data, json_object_new_int64((int64_t)pos));
		if (in_get(in->f, md, n, 8, &pos) != 0)
			goto out;
		nb = le64(n, 8);
		if (nb > (size - pos) / PX_BK_SUMS_PER_BLOCK ||
		    in_get(in->f, md, NULL, (size_t)(nb * PX_BK_SUMS_PER_BLOCK), &pos) != 0)
			goto out;
	}
	if (pos + TRAILER != size || fread(t, 1, TRAILER, in->f) != TRAILER ||
	    EVP_DigestFinal_ex(md, h, &hl) != 1 || memcmp(h, t, TRAILER) != 0)
		goto out;
	rc = PX_OK;
out:
	if (rc != PX_OK)
		px_buf_printf(err, "sums file %s is damaged", path);
	px_buf_free(&s);
	return rc;
}

enum px_err px_bk_sums_open(const char *path, const char *backup,
			    struct px_bk_sums_in **out, struct px_buf *err)
{
	struct px_bk_sums_in *in = calloc(1, sizeof(*in));
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct px_buf name = PX_BUF_INIT;
	unsigned char magic[MAGIC_LEN];
	uint64_t pos = 0;
	long size;
	enum px_err rc = PX_E_SYSTEM_INTERNAL;

	*out = NULL;
	if (!in || !md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    !(in->index = json_object_new_object()))
		goto out;
	in->f = fopen(path, "rbe");
	if (!in->f) {
		px_buf_printf(err, "no sums file %s: %s", path, strerror(errno));
		rc = PX_E_VALIDATION_NOT_FOUND;
		goto out;
	}
	rc = PX_E_STORAGE_SHARD_CORRUPT;
	if (fseek(in->f, 0, SEEK_END) != 0 || (size = ftell(in->f)) < 0 ||
	    fseek(in->f, 0, SEEK_SET) != 0 || in_get(in->f, md, magic, MAGIC_LEN, &pos) != 0 ||
	    memcmp(magic, MAGIC, MAGIC_LEN) != 0 || in_str(in->f, md, &name, &pos) != 0) {
		px_buf_printf(err, "sums file %s is damaged", path);
		goto out;
	}
	if (strcmp(name.data, backup) != 0) {
		px_buf_printf(err, "sums file %s is of backup %s, not %s", path, name.data, backup);
		rc = PX_E_VALIDATION_NOT_FOUND;
		goto out;
	}
	rc = in_scan(in, (uint64_t)size, md, pos, path, err);
	if (rc != PX_OK)
		goto out;
	*out = in;
	in = NULL;
out:
	px_buf_free(&name);
	EVP_MD_CTX_free(md);
	px_bk_sums_close(in);
	return rc;
}

int64_t px_bk_sums_seek(struct px_bk_sums_in *in, const char *relpath)
{
	json_object *v;
	unsigned char n[8];

	in->left = 0;
	if (!json_object_object_get_ex(in->index, relpath, &v) ||
	    fseek(in->f, (long)json_object_get_int64(v), SEEK_SET) != 0 ||
	    fread(n, 1, 8, in->f) != 8)
		return -1;
	in->left = le64(n, 8);
	return (int64_t)in->left;
}

int px_bk_sums_next(struct px_bk_sums_in *in, unsigned char sums[PX_BK_SUMS_PER_BLOCK])
{
	if (in->left == 0 || fread(sums, 1, PX_BK_SUMS_PER_BLOCK, in->f) != PX_BK_SUMS_PER_BLOCK) {
		in->left = 0;
		return -1;
	}
	in->left--;
	return 0;
}
