/* check_files_scan.c: the image walkers (structure, trailing bytes,
 * polyglots, dimensions read from the header), the pixel limit, the
 * metadata stripper and the ZIP bomb check (files_scan.h), on files made
 * byte by byte here; table-driven, each case carrying its line. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "handlers/files_scan.h"
#include "tests/unit/run_suite.h"

/* ---- building files --------------------------------------------------- */

static void be32(struct px_buf *b, uint32_t v)
{
	unsigned char c[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };

	px_buf_append(b, (const char *)c, 4);
}

static void le16(struct px_buf *b, uint32_t v)
{
	unsigned char c[2] = { (unsigned char)v, (unsigned char)(v >> 8) };

	px_buf_append(b, (const char *)c, 2);
}

static void le32(struct px_buf *b, uint32_t v)
{
	le16(b, v & 0xffff);
	le16(b, v >> 16);
}

static void raw(struct px_buf *b, const char *s, size_t n)
{
	px_buf_append(b, s, n);
}
#define LIT(b, s) raw(b, s, sizeof(s) - 1)

/* CRCs are not checked by the walker: zeros will do. */
static void png_chunk(struct px_buf *b, const char *type, const char *data, size_t n)
{
	be32(b, (uint32_t)n);
	raw(b, type, 4);
	raw(b, data, n);
	be32(b, 0);
}

static void png(struct px_buf *b, uint32_t w, uint32_t h, int interlace, int text)
{
	struct px_buf ihdr = PX_BUF_INIT;

	LIT(b, "\x89PNG\r\n\x1a\n");
	be32(&ihdr, w);
	be32(&ihdr, h);
	raw(&ihdr, "\x08\x02\x00\x00", 4);
	px_buf_putc(&ihdr, (char)interlace);
	png_chunk(b, "IHDR", ihdr.data, ihdr.len);
	if (text) {
		png_chunk(b, "tEXt", "GPSLatitude\0" "48.85", 17);
		png_chunk(b, "eXIf", "MM\0*GPS-secret", 14);
	}
	png_chunk(b, "IDAT", "\x78\x9c\x63\x00\x00\x00\x01\x00\x01", 9);
	png_chunk(b, "IEND", "", 0);
	px_buf_free(&ihdr);
}

static void jpeg(struct px_buf *b, uint32_t w, uint32_t h, int progressive, int exif)
{
	LIT(b, "\xFF\xD8");
	LIT(b, "\xFF\xE0\x00\x10JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00");
	if (exif)
		LIT(b, "\xFF\xE1\x00\x16" "Exif\0\0MM\0*GPSsecret!");
	LIT(b, "\xFF\xFE\x00\x09" "comment");
	LIT(b, "\xFF\xDB\x00\x04\x00\x01"); /* a (short) DQT: not decoded */
	px_buf_putc(b, (char)0xFF);
	px_buf_putc(b, progressive ? (char)0xC2 : (char)0xC0);
	LIT(b, "\x00\x0B\x08");
	px_buf_putc(b, (char)(h >> 8));
	px_buf_putc(b, (char)h);
	px_buf_putc(b, (char)(w >> 8));
	px_buf_putc(b, (char)w);
	LIT(b, "\x01\x01\x11\x00");
	LIT(b, "\xFF\xDA\x00\x08\x01\x01\x00\x00\x3F\x00");
	/* entropy data with a stuffed 0xFF00, a restart marker and fill bytes */
	LIT(b, "\x12\x34\xFF\x00\x56\xFF\xD0\x78\x9A\xFF\xFF");
	LIT(b, "\xFF\xD9");
}

static void gif(struct px_buf *b, uint32_t w, uint32_t h, int comment)
{
	LIT(b, "GIF89a");
	le16(b, w);
	le16(b, h);
	LIT(b, "\x80\x00\x00" "\x00\x00\x00\xFF\xFF\xFF"); /* 2-colour table */
	LIT(b, "\x21\xFF\x0BNETSCAPE2.0\x03\x01\x00\x00\x00");
	if (comment)
		LIT(b, "\x21\xFE\x0Asecret GPS\x00");
	LIT(b, "\x21\xF9\x04\x00\x00\x00\x00\x00");
	LIT(b, "\x2C\x00\x00\x00\x00");
	le16(b, w);
	le16(b, h);
	LIT(b, "\x00\x02\x02\x44\x01\x00");
	LIT(b, ";");
}

static void webp(struct px_buf *b, uint32_t w, uint32_t h, int exif)
{
	struct px_buf body = PX_BUF_INIT;
	uint32_t bits = (w - 1) | (h - 1) << 14;

	LIT(&body, "WEBP");
	if (exif) {
		LIT(&body, "VP8X");
		le32(&body, 10);
		px_buf_putc(&body, 0x08 | 0x04); /* EXIF and XMP flags */
		LIT(&body, "\0\0\0");
		le16(&body, (w - 1) & 0xffff);
		px_buf_putc(&body, (char)((w - 1) >> 16));
		le16(&body, (h - 1) & 0xffff);
		px_buf_putc(&body, (char)((h - 1) >> 16));
	}
	LIT(&body, "VP8L");
	le32(&body, 5);
	px_buf_putc(&body, 0x2f);
	le32(&body, bits);
	px_buf_putc(&body, 0); /* pad to even */
	if (exif) {
		LIT(&body, "EXIF");
		le32(&body, 9);
		LIT(&body, "GPSsecret\0");
		LIT(&body, "XMP ");
		le32(&body, 4);
		LIT(&body, "<x/>");
	}
	LIT(b, "RIFF");
	le32(b, (uint32_t)body.len);
	raw(b, body.data, body.len);
	px_buf_free(&body);
}

static FILE *file_of(const struct px_buf *b)
{
	FILE *f = tmpfile();

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(b->data, 1, b->len, f), b->len);
	fflush(f);
	return f;
}

/* ---- the walkers ------------------------------------------------------ */

enum kind { K_PNG, K_PNG_I, K_JPEG, K_JPEG_P, K_GIF, K_WEBP, K_GIFJS, K_RAW };

static const struct {
	int line;
	enum kind kind;
	uint32_t w, h;
	const char *tail;   /* appended bytes */
	size_t tail_n;
	size_t cut;         /* bytes cut from the end (after the tail) */
	enum px_err want;
	int whole;
} scans[] = {
	{ __LINE__, K_PNG, 3, 2, NULL, 0, 0, PX_OK, 0 },
	{ __LINE__, K_PNG_I, 3, 2, NULL, 0, 0, PX_OK, 1 },
	{ __LINE__, K_PNG, 60000, 60000, NULL, 0, 0, PX_OK, 0 },
	{ __LINE__, K_PNG, 3, 2, "\0\0\0\0", 4, 0, PX_OK, 0 }, /* zero padding */
	{ __LINE__, K_PNG, 3, 2, "PK\x03\x04\x14\0\0\0", 8, 0, PX_E_FILES_POLYGLOT, 0 },
	{ __LINE__, K_PNG, 3, 2, NULL, 0, 5, PX_E_FILES_IMAGE_INVALID, 0 },
	{ __LINE__, K_PNG, 0, 2, NULL, 0, 0, PX_E_FILES_IMAGE_INVALID, 0 },
	{ __LINE__, K_JPEG, 640, 480, NULL, 0, 0, PX_OK, 0 },
	{ __LINE__, K_JPEG_P, 640, 480, NULL, 0, 0, PX_OK, 1 },
	{ __LINE__, K_JPEG, 640, 480, "<script>alert(1)</script>", 25, 0, PX_E_FILES_POLYGLOT, 0 },
	{ __LINE__, K_JPEG, 640, 480, NULL, 0, 2, PX_E_FILES_IMAGE_INVALID, 0 },
	{ __LINE__, K_GIF, 2, 2, NULL, 0, 0, PX_OK, 1 },
	{ __LINE__, K_GIF, 2, 2, "*/=alert(1)//", 13, 0, PX_E_FILES_POLYGLOT, 1 },
	{ __LINE__, K_GIF, 2, 2, NULL, 0, 1, PX_OK, 1 }, /* no trailer: tolerated */
	{ __LINE__, K_GIFJS, 0, 0, NULL, 0, 0, PX_E_FILES_POLYGLOT, 1 },
	{ __LINE__, K_WEBP, 300, 200, NULL, 0, 0, PX_OK, 1 },
	{ __LINE__, K_WEBP, 300, 200, "PK\x05\x06", 4, 0, PX_E_FILES_POLYGLOT, 1 },
	{ __LINE__, K_WEBP, 300, 200, NULL, 0, 3, PX_E_FILES_IMAGE_INVALID, 1 },
};

static enum px_hf_img build(enum kind k, uint32_t w, uint32_t h, int meta, struct px_buf *b)
{
	switch (k) {
	case K_PNG: png(b, w, h, 0, meta); return PX_HF_IMG_PNG;
	case K_PNG_I: png(b, w, h, 1, meta); return PX_HF_IMG_PNG;
	case K_JPEG: jpeg(b, w, h, 0, meta); return PX_HF_IMG_JPEG;
	case K_JPEG_P: jpeg(b, w, h, 1, meta); return PX_HF_IMG_JPEG;
	case K_GIF: gif(b, w, h, meta); return PX_HF_IMG_GIF;
	case K_WEBP: webp(b, w, h, meta); return PX_HF_IMG_WEBP;
	case K_GIFJS:
		/* the classic: a GIF header that is also the start of a JS comment */
		LIT(b, "GIF89a/*\x01\x00\x01\x00\x00\x00\x00;*/=1;alert(document.domain)//");
		return PX_HF_IMG_GIF;
	default: return PX_HF_IMG_NONE;
	}
}

START_TEST(test_scan)
{
	size_t i;

	for (i = 0; i < sizeof(scans) / sizeof(scans[0]); i++) {
		struct px_buf b = PX_BUF_INIT;
		struct px_hf_img_info in;
		enum px_hf_img fmt = build(scans[i].kind, scans[i].w, scans[i].h, 1, &b);
		enum px_err e;
		FILE *f;

		if (scans[i].tail)
			raw(&b, scans[i].tail, scans[i].tail_n);
		b.len -= scans[i].cut;
		f = file_of(&b);
		e = px_hf_img_scan(fileno(f), b.len, fmt, &in);
		ck_assert_msg(e == scans[i].want, "line %d: want %s got %s", scans[i].line,
			      px_err_name(scans[i].want), px_err_name(e));
		if (e == PX_OK) {
			ck_assert_msg(in.width == scans[i].w && in.height == scans[i].h,
				      "line %d: want %ux%u got %ux%u", scans[i].line, scans[i].w,
				      scans[i].h, in.width, in.height);
			ck_assert_msg(in.whole == scans[i].whole, "line %d: whole", scans[i].line);
		}
		fclose(f);
		px_buf_free(&b);
	}
}
END_TEST

/* ---- the pixel limit -------------------------------------------------- */

START_TEST(test_pixel_limit)
{
	static const struct {
		int line;
		enum kind kind;
		uint32_t w, h;
		uint64_t max;
		enum px_err want;
	} cases[] = {
		{ __LINE__, K_PNG, 60000, 60000, 50000000, PX_E_FILES_IMAGE_TOO_LARGE },
		{ __LINE__, K_PNG, 7000, 7000, 50000000, PX_OK },
		{ __LINE__, K_PNG_I, 7000, 7000, 50000000, PX_E_FILES_IMAGE_TOO_LARGE }, /* whole */
		{ __LINE__, K_JPEG, 65535, 65535, 50000000, PX_E_FILES_IMAGE_TOO_LARGE },
		{ __LINE__, K_JPEG, 4000, 3000, 50000000, PX_OK },
		{ __LINE__, K_JPEG_P, 4000, 3000, 50000000, PX_OK },
		{ __LINE__, K_GIF, 65535, 2, 50000000, PX_OK },
		{ __LINE__, K_GIF, 65535, 65535, 50000000, PX_E_FILES_IMAGE_TOO_LARGE },
		{ __LINE__, K_WEBP, 16384, 16384, 50000000, PX_E_FILES_IMAGE_TOO_LARGE },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct px_buf b = PX_BUF_INIT;
		struct px_hf_img_info in;
		enum px_hf_img fmt = build(cases[i].kind, cases[i].w, cases[i].h, 0, &b);
		struct timespec t0, t1;
		enum px_err e;
		FILE *f = file_of(&b);

		clock_gettime(CLOCK_MONOTONIC, &t0);
		e = px_hf_img_scan(fileno(f), b.len, fmt, &in);
		ck_assert_msg(e == PX_OK, "line %d: scan %s", cases[i].line, px_err_name(e));
		e = px_hf_img_limit(&in, cases[i].max);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ck_assert_msg(e == cases[i].want, "line %d: want %s got %s", cases[i].line,
			      px_err_name(cases[i].want), px_err_name(e));
		/* from the header alone: no time for decoding */
		ck_assert_msg((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) <
				      50000000L, "line %d: too slow", cases[i].line);
		fclose(f);
		px_buf_free(&b);
	}
}
END_TEST

/* ---- stripping -------------------------------------------------------- */

static int has(const struct px_buf *b, const char *s)
{
	return memmem(b->data, b->len, s, strlen(s)) != NULL;
}

static void slurp(FILE *f, struct px_buf *out)
{
	char buf[4096];
	size_t n;

	rewind(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		px_buf_append(out, buf, n);
}

START_TEST(test_strip)
{
	static const struct {
		int line;
		enum kind kind;
		int orient;
		const char *gone[3];
		const char *kept[3];
	} cases[] = {
		{ __LINE__, K_JPEG, 1, { "GPSsecret", "comment", "Exif" }, { "JFIF", NULL, NULL } },
		{ __LINE__, K_JPEG, 6, { "GPSsecret", "comment", NULL }, { "JFIF", "Exif", NULL } },
		{ __LINE__, K_JPEG_P, 0, { "GPSsecret", NULL, NULL }, { "\xFF\xC2", NULL, NULL } },
		{ __LINE__, K_PNG, 0, { "GPSLatitude", "GPS-secret", "eXIf" }, { "IDAT", "IEND", NULL } },
		{ __LINE__, K_GIF, 0, { "secret GPS", NULL, NULL }, { "NETSCAPE2.0", NULL, NULL } },
		{ __LINE__, K_WEBP, 0, { "GPSsecret", "<x/>", "EXIF" }, { "VP8X", "VP8L", NULL } },
	};
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct px_buf b = PX_BUF_INIT, o = PX_BUF_INIT;
		struct px_hf_img_info in, again;
		enum px_hf_img fmt = build(cases[i].kind, 40, 30, 1, &b);
		FILE *f = file_of(&b), *out = tmpfile();
		enum px_err e;

		ck_assert_int_eq(px_hf_img_scan(fileno(f), b.len, fmt, &in), PX_OK);
		e = px_hf_img_strip(fileno(f), b.len, fmt, cases[i].orient, fileno(out));
		ck_assert_msg(e == PX_OK, "line %d: %s", cases[i].line, px_err_name(e));
		slurp(out, &o);
		for (j = 0; j < 3; j++) {
			if (cases[i].gone[j])
				ck_assert_msg(!has(&o, cases[i].gone[j]), "line %d: %s kept",
					      cases[i].line, cases[i].gone[j]);
			if (cases[i].kept[j])
				ck_assert_msg(has(&o, cases[i].kept[j]), "line %d: %s lost",
					      cases[i].line, cases[i].kept[j]);
		}
		ck_assert_msg(o.len < b.len, "line %d: nothing left out", cases[i].line);
		/* the copy is itself a well-formed file of the same size */
		ck_assert_msg(px_hf_img_scan(fileno(out), o.len, fmt, &again) == PX_OK &&
				      again.width == in.width && again.height == in.height,
			      "line %d: the copy does not scan", cases[i].line);
		if (cases[i].kind == K_JPEG && cases[i].orient == 6) {
			const char *x = memmem(o.data, o.len, "\x01\x12\x00\x03", 4);

			ck_assert_msg(x && x[9] == 6, "line %d: orientation", cases[i].line);
		}
		if (cases[i].kind == K_WEBP) {
			const unsigned char *u = (const unsigned char *)o.data;
			uint32_t riff = u[4] | u[5] << 8 | u[6] << 16 | (uint32_t)u[7] << 24;

			ck_assert_uint_eq(riff + 8, o.len);
			ck_assert_uint_eq(u[20] & 0x0C, 0); /* VP8X flags: no EXIF, no XMP */
		}
		fclose(f);
		fclose(out);
		px_buf_free(&b);
		px_buf_free(&o);
	}
}
END_TEST

/* ---- ZIP -------------------------------------------------------------- */

struct entry {
	uint32_t csz, usz;
	const char *name; /* NULL: "a.txt" */
};

/* Local headers with csz bytes of data each, then the central directory
 * and the end record; zip64: sizes through ZIP64 extra fields; rel:
 * offsets counted from the archive's start (an archive made on its own
 * and appended), else from the file's (as self-extractors write them). */
static void zip(struct px_buf *b, const struct entry *e, size_t n, int overlap, uint64_t big,
		int rel)
{
	struct px_buf cd = PX_BUF_INIT;
	uint32_t offs[8], base = rel ? (uint32_t)b->len : 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *nm = e[i].name ? e[i].name : "a.txt";

		offs[i] = overlap ? 0 : (uint32_t)b->len - base;
		if (overlap && i)
			continue;
		LIT(b, "PK\x03\x04\x14\0\0\0\x08\0\0\0\0\0\0\0\0\0");
		le32(b, e[i].csz);
		le32(b, e[i].usz);
		le16(b, (uint32_t)strlen(nm));
		le16(b, 0);
		raw(b, nm, strlen(nm));
		px_buf_append(b, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", e[i].csz);
	}
	for (i = 0; i < n; i++) {
		const char *nm = e[i].name ? e[i].name : "a.txt";

		LIT(&cd, "PK\x01\x02\x14\0\x14\0\0\0\x08\0\0\0\0\0\0\0\0\0");
		le32(&cd, e[i].csz);
		le32(&cd, big ? 0xffffffffu : e[i].usz);
		le16(&cd, (uint32_t)strlen(nm));
		le16(&cd, big ? 12 : 0);
		LIT(&cd, "\0\0\0\0\0\0\0\0\0\0"); /* comment, disk, attributes */
		le32(&cd, offs[i]);
		raw(&cd, nm, strlen(nm));
		if (big) {
			le16(&cd, 1);
			le16(&cd, 8);
			le32(&cd, (uint32_t)big);
			le32(&cd, (uint32_t)(big >> 32));
		}
	}
	{
		uint32_t at = (uint32_t)b->len - base;

		raw(b, cd.data, cd.len);
		LIT(b, "PK\x05\x06\0\0\0\0");
		le16(b, (uint32_t)n);
		le16(b, (uint32_t)n);
		le32(b, (uint32_t)cd.len);
		le32(b, at);
		le16(b, 0);
	}
	px_buf_free(&cd);
}

START_TEST(test_zip)
{
	static const struct entry small[2] = { { 20, 60, NULL }, { 30, 90, NULL } };
	static const struct entry bomb[1] = { { 40, 4000000000u, NULL } };
	static const struct entry many[3] = { { 40, 1000, NULL }, { 40, 1000, NULL },
					      { 40, 1000, NULL } };
	static const struct entry docx[3] = { { 20, 60, "_rels/.rels" },
					      { 30, 90, "word/document.xml" },
					      { 10, 30, "[Content_Types].xml" } };
	static const struct entry xlsx[2] = { { 30, 90, "[Content_Types].xml" },
					      { 20, 60, "xl/workbook.xml" } };
	static const struct entry mixed[3] = { { 20, 60, "[Content_Types].xml" },
					       { 20, 60, "word/document.xml" },
					       { 20, 60, "xl/workbook.xml" } };
	static const struct entry noopc[1] = { { 20, 60, "word/document.xml" } };
	static const struct {
		int line;
		const struct entry *e;
		size_t n;
		int overlap;
		uint64_t big;
		const char *before;  /* data before the archive */
		int rel;             /* offsets from the archive's start */
		enum px_err want;
		uint64_t start;      /* want (PX_OK) */
		const char *ooxml;   /* want (PX_OK) */
	} cases[] = {
		{ __LINE__, small, 2, 0, 0, NULL, 0, PX_OK, 0, NULL },
		{ __LINE__, small, 2, 0, 0, "%PDF-1.4 a document first\n%%EOF\n", 0, PX_OK, 32, NULL },
		{ __LINE__, small, 2, 0, 0, "%PDF-1.4 a document first\n%%EOF\n", 1, PX_OK, 32, NULL },
		{ __LINE__, docx, 3, 0, 0, NULL, 0, PX_OK, 0,
		  "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
		{ __LINE__, xlsx, 2, 0, 0, NULL, 0, PX_OK, 0,
		  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
		{ __LINE__, xlsx, 2, 0, 0, "GIF89a", 1, PX_OK, 6,
		  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
		{ __LINE__, mixed, 3, 0, 0, NULL, 0, PX_OK, 0, NULL },
		{ __LINE__, noopc, 1, 0, 0, NULL, 0, PX_OK, 0, NULL },
		{ __LINE__, bomb, 1, 0, 0, NULL, 0, PX_E_FILES_ARCHIVE_BOMB, 0, NULL },
		{ __LINE__, bomb, 1, 0, 0, "GIF89a and then a bomb", 0, PX_E_FILES_ARCHIVE_BOMB, 0,
		  NULL },
		{ __LINE__, many, 3, 1, 0, NULL, 0, PX_E_FILES_ARCHIVE_BOMB, 0, NULL }, /* overlapping */
		{ __LINE__, small, 1, 0, 1ull << 40, NULL, 0, PX_E_FILES_ARCHIVE_BOMB, 0,
		  NULL }, /* ZIP64 */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct px_buf b = PX_BUF_INIT;
		struct px_hf_zip z;
		FILE *f;
		enum px_err e;

		if (cases[i].before)
			raw(&b, cases[i].before, strlen(cases[i].before));
		zip(&b, cases[i].e, cases[i].n, cases[i].overlap, cases[i].big, cases[i].rel);
		f = file_of(&b);
		e = px_hf_zip_check(fileno(f), b.len, 100, 4294967296ull, &z);
		ck_assert_msg(e == cases[i].want, "line %d: want %s got %s", cases[i].line,
			      px_err_name(cases[i].want), px_err_name(e));
		ck_assert_msg(e != PX_OK || z.found == 1, "line %d: not seen as a ZIP",
			      cases[i].line);
		if (e == PX_OK) {
			const char *t = px_hf_zip_ooxml(&z);

			ck_assert_msg(z.start == cases[i].start, "line %d: start %llu, want %llu",
				      cases[i].line, (unsigned long long)z.start,
				      (unsigned long long)cases[i].start);
			ck_assert_msg(cases[i].ooxml ? t && strcmp(t, cases[i].ooxml) == 0 : !t,
				      "line %d: OOXML type %s", cases[i].line, t ? t : "none");
		}
		fclose(f);
		px_buf_free(&b);
	}
	/* not an archive at all: not judged here */
	{
		struct px_buf b = PX_BUF_INIT;
		struct px_hf_zip z;
		FILE *f;

		LIT(&b, "just some text, nothing like an end record, long enough to look at");
		f = file_of(&b);
		ck_assert_int_eq(px_hf_zip_check(fileno(f), b.len, 100, 1000, &z), PX_OK);
		ck_assert_int_eq(z.found, 0);
		ck_assert_ptr_null(px_hf_zip_ooxml(&z));
		fclose(f);
		px_buf_free(&b);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("files_scan");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_scan);
	tcase_add_test(tc, test_pixel_limit);
	tcase_add_test(tc, test_strip);
	tcase_add_test(tc, test_zip);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
