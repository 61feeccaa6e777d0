/* check_waf_upload.c: the WAF's upload profile: content, name and
 * declared type judged together for every kind (waf_ftype.h), multipart
 * and raw bodies, code hidden in image, PDF and media bytes, and no false
 * alarm on compressed (random-looking) media. */
#include "core/http.h"
#include "waf/waf.h"
#include "waf/waf_detect.h"
#include "waf/waf_input.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/unit/run_suite.h"
#include "tests/unit/waf_fixture.h"

/* The upload profile on its own (its route comes with the files feature):
 * content, extension and declared type are judged together. */
static enum px_err upload(const char *name, const char *ctype, const void *data, size_t n,
			  struct px_waf_verdict *v)
{
	struct px_buf b = PX_BUF_INIT;
	struct px_request r;
	enum px_err e;

	px_buf_printf(&b, "--B0undary\r\nContent-Disposition: form-data; name=\"file\"; "
		      "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n", name, ctype);
	px_buf_append(&b, data, n);
	px_buf_puts(&b, "\r\n--B0undary--\r\n");
	ck_assert(!b.failed);
	wf_build(&r, "POST", "/upload", NULL, NULL, "multipart/form-data; boundary=B0undary",
		 b.data, b.len);
	e = px_waf_inspect(wf_waf, &r, "upload", v);
	px_request_clear(&r);
	px_buf_free(&b);
	return e;
}

static const unsigned char png1[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
	0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
	0, 0, 0, 13, 'I', 'D', 'A', 'T', 0x78, 0xda, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
	0x1f, 0, 5, 0, 1, 0xff, 0x9d, 0xa5, 0x37, 0x4e,
	0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82 };

struct ucase {
	const char *name, *ctype, *data;
	size_t n;          /* 0: strlen(data) */
	int block;
	int by_content;    /* refused by libmagic's type (rule 210101) */
};

static const char elf[] = "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0";
static const char pe[] = "MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0";
static const char gz[] = "\x1f\x8b\x08\0\0\0\0\0\0\x03\xcbH\xcd\xc9\xc9W\0\0";
static const char zip[] = "PK\x03\x04\x14\0\0\0\x08\0\0\0!\0\0\0\0\0\0\0\0\0\0\0\0\0\x06\0\0\0run.sh";

static const struct ucase ucases[] = {
	{ "manual.pdf", "application/pdf", "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\n"
	  "endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n", 0, 0, 0 },
	{ "notes.txt", "text/plain", "standup: SELECT * FROM users WHERE id = 1; rm -rf build/\n", 0, 0, 0 },
	{ "deploy-notes.txt", "text/plain", "#!/bin/sh\nset -e\nmake && ./deploy.sh --prod\n", 0, 0, 0 },
	{ "server.log", "text/plain", "2024-06-01 12:00:01 ERROR GET /etc/passwd 404 from 10.0.0.7\n", 0, 0, 0 },
	{ "notes.txt", "text/plain", "<?php system($_GET['cmd']); ?>\n", 0, 1, 1 },
	{ "readme.txt", "text/plain", "<!DOCTYPE html>\n<html><body><script>fetch('/api')</script>"
	  "</body></html>\n", 0, 1, 1 },
	{ "logo.txt", "text/plain", "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\">"
	  "<script>alert(1)</script></svg>\n", 0, 1, 1 },
	{ "report.pdf", "application/pdf", pe, sizeof(pe) - 1, 1, 0 },
	{ "photo.png", "image/png", elf, sizeof(elf) - 1, 1, 0 },
	{ "notes.txt", "text/plain", gz, sizeof(gz) - 1, 1, 0 },
	{ "holiday.jpg", "image/jpeg", zip, sizeof(zip) - 1, 1, 0 },
};

START_TEST(test_upload_profile)
{
	const struct ucase *c = &ucases[_i];
	struct px_waf_verdict v;
	struct px_buf js = PX_BUF_INIT;
	enum px_err e = upload(c->name, c->ctype, c->data, c->n ? c->n : strlen(c->data), &v);

	px_waf_verdict_json(&v, &js);
	ck_assert_msg((e != PX_OK) == c->block, "%s: expected %s, got %s", c->name,
		      c->block ? "block" : "pass", js.data);
	if (c->by_content)
		ck_assert_msg(strstr(js.data, "210101") != NULL, "%s: not refused by content: %s",
			      c->name, js.data);
	px_buf_free(&js);
}
END_TEST

START_TEST(test_upload_png)
{
	static const char php[] = "<?php eval($_POST[1]); ?>";
	unsigned char poly[8 + sizeof(php)];
	struct px_waf_verdict v;

	ck_assert_int_eq(upload("pixel.png", "image/png", png1, sizeof(png1), &v), PX_OK);
	memcpy(poly, png1, 8);
	memcpy(poly + 8, php, sizeof(php) - 1);
	ck_assert_int_ne(upload("scan.png", "image/png", poly, 8 + sizeof(php) - 1, &v), PX_OK);
}
END_TEST

/* A file sent as the raw body of a PUT or POST is judged as an upload
 * too: its bytes, its declared type and its Content-Disposition name. */
static enum px_err raw_upload(const char *method, const char *ctype, const char *cd,
			      const void *data, size_t n, struct px_waf_verdict *v)
{
	struct px_request r;
	enum px_err e;

	wf_build(&r, method, "/api/v1/users/me/avatar", NULL, cd, ctype, data, n);
	e = px_waf_inspect(wf_waf, &r, px_waf_profile_for_path(method, "/api/v1/users/me/avatar"), v);
	px_request_clear(&r);
	return e;
}

START_TEST(test_raw_upload)
{
	static const char php[] = "<?php system($_GET['c']); ?>";
	static const char gif[] = "GIF89a;<?php passthru($_REQUEST['x']);";
	static const char jsp[] = "<% Runtime.getRuntime().exec(request.getParameter(\"c\")); %>";
	static const char pdf[] = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
				  "trailer\n<< /Root 1 0 R >>\n%%EOF\n";
	unsigned char poly[sizeof(png1) + sizeof(php)];
	struct px_waf_verdict v;

	ck_assert_int_ne(raw_upload("PUT", "image/png", NULL, php, sizeof(php) - 1, &v), PX_OK);
	ck_assert_int_ne(raw_upload("POST", "image/gif", NULL, gif, sizeof(gif) - 1, &v), PX_OK);
	ck_assert_int_ne(raw_upload("PUT", "image/jpeg", NULL, jsp, sizeof(jsp) - 1, &v), PX_OK);
	memcpy(poly, png1, sizeof(png1));
	memcpy(poly + sizeof(png1), php, sizeof(php) - 1);
	ck_assert_int_ne(raw_upload("PUT", "image/png", NULL, poly, sizeof(png1) + sizeof(php) - 1, &v),
			 PX_OK);
	ck_assert_int_ne(raw_upload("PUT", "image/png", "content-disposition: attachment; filename=\"a.php\"",
				    png1, sizeof(png1), &v), PX_OK);
	/* real images and documents go through, NUL bytes and all */
	ck_assert_int_eq(raw_upload("PUT", "image/png", NULL, png1, sizeof(png1), &v), PX_OK);
	ck_assert_int_eq(raw_upload("PUT", "image/png", "content-disposition: attachment; filename=\"me.png\"",
				    png1, sizeof(png1), &v), PX_OK);
	ck_assert_int_eq(raw_upload("POST", "application/pdf", NULL, pdf, sizeof(pdf) - 1, &v), PX_OK);
}
END_TEST

/* A text file streamed to PUT /api/v1/files: the WAF sees its first
 * bytes only (body_partial), and the upload profile reads any raw body as
 * the file itself, so log lines are neither "fields" with CR/LF nor a
 * body shorter than its Content-Length. */
START_TEST(test_streamed_text_upload)
{
	static const char head[] = "2026-12-06 05:29:33 INFO started\r\n"
				   "2026-12-06 05:29:34 WARN disk 91% full\r\n";
	struct px_waf_verdict v;
	struct px_request r;

	wf_build(&r, "PUT", "/api/v1/files", "name=server.log", NULL, "text/plain", head,
		 sizeof(head) - 1);
	r.content_length = 1024 * 1024 * 1024;
	r.body_partial = 1;
	ck_assert_msg(px_waf_inspect(wf_waf, &r, "upload", &v) == PX_OK, "rule %u",
		      v.nrules ? v.rules[0] : 0);
	/* the same mismatch on a body that arrived whole is still noted */
	r.body_partial = 0;
	px_waf_inspect(wf_waf, &r, "upload", &v);
	ck_assert_uint_ge(v.nrules, 1);
	ck_assert_uint_eq(v.rules[0], 100125);
	px_request_clear(&r);
}
END_TEST

/* ---- upload kinds (waf_ftype.h): archives, office documents, audio and
 * video, each by its signature, name and declared type ---- */

#define DOCX "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#define ODT "application/vnd.oasis.opendocument.text"

static void put16(struct px_buf *b, unsigned v)
{
	px_buf_putc(b, (char)(v & 0xff));
	px_buf_putc(b, (char)(v >> 8));
}

static void put32(struct px_buf *b, uint32_t v)
{
	put16(b, v & 0xffff);
	put16(b, v >> 16);
}

/* A ZIP of stored entries (CRCs 0: nothing here reads them) from names
 * and contents alternating in e, NULL-ended; whole 0 leaves out the
 * directory, as the WAF sees the first 64 KiB of a larger archive. */
static void stored_zip(struct px_buf *b, const char *const *e, int whole)
{
	struct px_buf cd = PX_BUF_INIT;
	uint32_t n = 0, at;

	for (; e[0]; e += 2, n++) {
		uint32_t nl = (uint32_t)strlen(e[0]), dl = (uint32_t)strlen(e[1]);

		at = (uint32_t)b->len;
		px_buf_append(b, "PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0", 18);
		put32(b, dl);
		put32(b, dl);
		put16(b, nl);
		put16(b, 0);
		px_buf_puts(b, e[0]);
		px_buf_puts(b, e[1]);
		px_buf_append(&cd, "PK\x01\x02\x14\0\x14\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
		put32(&cd, dl);
		put32(&cd, dl);
		put16(&cd, nl);
		px_buf_append(&cd, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
		put32(&cd, at);
		px_buf_puts(&cd, e[0]);
	}
	if (whole) {
		at = (uint32_t)b->len;
		px_buf_append(b, cd.data, cd.len);
		px_buf_append(b, "PK\x05\x06\0\0\0\0", 8);
		put16(b, n);
		put16(b, n);
		put32(b, (uint32_t)cd.len);
		put32(b, at);
		put16(b, 0);
	}
	px_buf_free(&cd);
}

#define S(lit) px_buf_append(b, lit, sizeof(lit) - 1)

static const char mp3_frame[] = "\xff\xfb\x90\x00";
static const char id3_tag[] = "ID3\x04\0\0\0\0\0\x0c" "TIT2\0\0\0\x02\0\0\0x";

/* Appends the sample called key to b. */
static void sample(struct px_buf *b, const char *key)
{
	static const char *const docx[] = {
		"[Content_Types].xml", "<Types xmlns=\"http://schemas.openxmlformats.org/package/"
		"2006/content-types\"/>", "_rels/.rels", "<Relationships/>",
		"word/document.xml", "<w:document/>", NULL };
	/* LibreOffice and openpyxl write the content types last */
	static const char *const docx_late[] = {
		"_rels/.rels", "<Relationships/>", "word/document.xml", "<w:document/>",
		"[Content_Types].xml", "<Types/>", NULL };
	static const char *const odt[] = {
		"mimetype", ODT, "content.xml", "<office:document-content/>", NULL };
	static const char *const plain[] = { "notes/readme.txt", "hello", NULL };
	static const char *const php[] = { "shell.php", "<?php system($_GET['c']); ?>", NULL };

	if (!strcmp(key, "mp3") || !strcmp(key, "id3")) {
		if (!strcmp(key, "id3"))
			S(id3_tag);
		S(mp3_frame);
		px_buf_append(b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	} else if (!strcmp(key, "id3php")) {
		S(id3_tag);
		S("<?php system($_GET['c']); ?>\n");
	} else if (!strcmp(key, "opus")) {
		S("OggS\0\x02\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\x01\x13"
		  "OpusHead\x01\x01\x38\x01\x80\xbb\0\0\0\0\0");
	} else if (!strcmp(key, "wav")) {
		S("RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0"
		  "data\0\0\0\0");
	} else if (!strcmp(key, "flac")) {
		S("fLaC\x80\0\0\x22\x10\0\x10\0\0\0\0\0\0\0\x0a\xc4\x40\xf0");
		px_buf_append(b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
	} else if (!strcmp(key, "aac")) {
		S("\xff\xf1\x50\x80\x02\x1f\xfc\xff\xf1\x50\x80\x02\x1f\xfc");
	} else if (!strcmp(key, "m4a")) {
		S("\0\0\0\x18" "ftypM4A \0\0\0\0M4A isom");
	} else if (!strcmp(key, "mp4")) {
		S("\0\0\0\x1c" "ftypisom\0\0\x02\0isomiso2mp41");
	} else if (!strcmp(key, "mov")) {
		S("\0\0\0\x14" "ftypqt  \0\0\x02\0qt  ");
	} else if (!strcmp(key, "heic")) {
		S("\0\0\0\x18" "ftypheic\0\0\0\0mif1heic");
	} else if (!strcmp(key, "webm") || !strcmp(key, "mkv")) {
		if (!strcmp(key, "webm"))
			S("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3"
			  "\x81\x08\x42\x82\x84webm\x42\x87\x81\x02\x42\x85\x81\x02");
		else
			S("\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3"
			  "\x81\x08\x42\x82\x88matroska\x42\x87\x81\x02\x42\x85\x81\x02");
		S("\x18\x53\x80\x67\x01\0\0\0\0\0\0\0");
	} else if (!strcmp(key, "7z")) {
		S("7z\xbc\xaf\x27\x1c\0\x04");
		px_buf_append(b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24);
	} else if (!strcmp(key, "gz")) {
		S("\x1f\x8b\x08\0\0\0\0\0\0\x03\xcbH\xcd\xc9\xc9W\0\0");
	} else if (!strcmp(key, "zip")) {
		stored_zip(b, plain, 1);
	} else if (!strcmp(key, "zip_cut")) {
		stored_zip(b, plain, 0);
	} else if (!strcmp(key, "zip_php")) {
		stored_zip(b, php, 1);
	} else if (!strcmp(key, "docx")) {
		stored_zip(b, docx, 1);
	} else if (!strcmp(key, "docx_late")) {
		stored_zip(b, docx_late, 1);
	} else if (!strcmp(key, "odt")) {
		stored_zip(b, odt, 1);
	} else if (!strcmp(key, "mp4_php")) {
		S("\0\0\0\x1c" "ftypisom\0\0\x02\0isomiso2mp41\0\0\0\x30mdat");
		S("<?php system($_GET['c']); ?>\0\0\0\0");
	} else if (!strcmp(key, "mp3_jsp")) {
		S(mp3_frame);
		S("\0\0<%= Runtime.getRuntime().exec(request.getParameter(\"c\")) %>\0\0");
	} else if (!strcmp(key, "mp3_elf")) {
		S(mp3_frame);
		S("\0\0\0\0\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0");
	} else if (!strcmp(key, "ogg_zip")) {
		sample(b, "opus");
		stored_zip(b, plain, 1);
	} else {
		px_buf_puts(b, key); /* text as it is */
	}
}

static const struct kcase {
	int line;
	const char *name, *ctype, *key;
	unsigned rule; /* 0: passes, else the first rule that refuses it */
} kcases[] = {
	{ __LINE__, "song.mp3", "audio/mpeg", "mp3", 0 },
	{ __LINE__, "song.mp3", "application/octet-stream", "id3", 0 },
	{ __LINE__, "voice.opus", "audio/opus", "opus", 0 },
	{ __LINE__, "voice.ogg", "audio/ogg", "opus", 0 },
	{ __LINE__, "take.wav", "audio/wav", "wav", 0 },
	{ __LINE__, "take.wav", "audio/x-wav", "wav", 0 },
	{ __LINE__, "track.flac", "audio/flac", "flac", 0 },
	{ __LINE__, "clip.aac", "audio/aac", "aac", 0 },
	{ __LINE__, "memo.m4a", "audio/x-m4a", "m4a", 0 },
	{ __LINE__, "memo.m4a", "audio/mp4", "mp4", 0 },  /* brands: the handler chooses */
	{ __LINE__, "clip.mp4", "video/mp4", "mp4", 0 },
	{ __LINE__, "IMG_0001.MOV", "video/quicktime", "mov", 0 },
	{ __LINE__, "clip.webm", "video/webm", "webm", 0 },
	{ __LINE__, "voice.webm", "audio/webm", "webm", 0 },
	{ __LINE__, "photos.zip", "application/zip", "zip", 0 },
	{ __LINE__, "photos.zip", "application/x-zip-compressed", "zip", 0 },
	{ __LINE__, "src.zip", "application/zip", "zip_php", 0 }, /* members are not searched */
	{ __LINE__, "report.docx", DOCX, "docx", 0 },
	{ __LINE__, "report.docx", DOCX, "docx_late", 0 },
	{ __LINE__, "report.docx", DOCX, "zip_cut", 0 }, /* directory out of view */
	{ __LINE__, "letter.odt", ODT, "odt", 0 },
	{ __LINE__, "logs.tar.gz", "application/gzip", "gz", 0 },
	{ __LINE__, "all.7z", "application/x-7z-compressed", "7z", 0 },
	{ __LINE__, "data.json", "application/json", "{\"users\": [{\"id\": 1}]}\n", 0 },
	{ __LINE__, "users.csv", "text/csv", "id,name\n1,Ana\n", 0 },
	{ __LINE__, "ci.yml", "application/x-yaml", "on: push\njobs: {}\n", 0 },
	/* a name or declared type of another kind */
	{ __LINE__, "song.wav", "audio/mpeg", "mp3", 210101 },
	{ __LINE__, "song.mp3", "audio/wav", "mp3", 210101 },
	{ __LINE__, "clip.mp4", "video/mp4", "webm", 210101 },
	{ __LINE__, "clip.mp3", "audio/mpeg", "mp4", 210101 },
	{ __LINE__, "all.7z", "application/x-7z-compressed", "zip", 210101 },
	{ __LINE__, "logs.gz", "application/gzip", "7z", 210101 },
	{ __LINE__, "report.docx", DOCX, "zip", 210101 },        /* a zip, seen whole */
	{ __LINE__, "report.docx", "application/zip", "docx", 210101 },
	{ __LINE__, "report.zip", "application/zip", "docx", 210101 },
	{ __LINE__, "letter.odt", ODT, "docx", 210101 },
	{ __LINE__, "report.docx", DOCX, "odt", 210101 },
	{ __LINE__, "app.zip", "application/java-archive", "zip", 210101 },
	/* formats outside the kinds */
	{ __LINE__, "clip.webm", "video/webm", "mkv", 210101 },
	{ __LINE__, "IMG_0001.mov", "video/quicktime", "heic", 210101 },
	/* code under a media name */
	{ __LINE__, "song.mp3", "audio/mpeg", "<?php system($_GET['c']); ?>\n", 210101 },
	{ __LINE__, "song.mp3", "audio/mpeg", "id3php", 210101 },
	{ __LINE__, "clip.mp4", "video/mp4", "mp4_php", 210102 },
	{ __LINE__, "song.mp3", "audio/mpeg", "mp3_jsp", 210102 },
	{ __LINE__, "song.mp3", "audio/mpeg", "mp3_elf", 210102 },
	{ __LINE__, "voice.ogg", "audio/ogg", "ogg_zip", 210102 },
	{ __LINE__, "song.php.mp3", "audio/mpeg", "mp3", 210100 },
	{ __LINE__, "song.mp3.exe", "audio/mpeg", "mp3", 210100 },
};

START_TEST(test_upload_kinds)
{
	const struct kcase *c = &kcases[_i];
	struct px_buf b = PX_BUF_INIT, js = PX_BUF_INIT;
	struct px_waf_verdict v;
	enum px_err e;

	sample(&b, c->key);
	ck_assert(!b.failed);
	e = upload(c->name, c->ctype, b.data, b.len, &v);
	px_waf_verdict_json(&v, &js);
	ck_assert_msg((e != PX_OK) == (c->rule != 0), "line %d: expected %s, got %s", c->line,
		      c->rule ? "block" : "pass", js.data);
	ck_assert_msg(!c->rule || (v.nrules && v.rules[0] == c->rule),
		      "line %d: expected rule %u first: %s", c->line, c->rule, js.data);
	px_buf_free(&js);
	px_buf_free(&b);
}
END_TEST

/* Raw PUT bodies of the new kinds under the files routes' profile: the
 * declared type is the request's (body_types admits it), the name may
 * come in Content-Disposition. */
START_TEST(test_raw_upload_kinds)
{
	static const struct {
		const char *ctype, *cd, *key;
		int block;
	} r[] = {
		{ "audio/mpeg", NULL, "mp3", 0 },
		{ "video/mp4", NULL, "mp4", 0 },
		{ "video/webm", "content-disposition: attachment; filename=\"clip.webm\"", "webm", 0 },
		{ DOCX, "content-disposition: attachment; filename=\"report.docx\"", "docx", 0 },
		{ "application/zip", NULL, "zip", 0 },
		{ "text/csv", NULL, "id,name\n1,Ana\n", 0 },
		{ "audio/mpeg", NULL, "<?php system($_GET['c']); ?>\n", 1 },
		{ DOCX, "content-disposition: attachment; filename=\"report.docx\"", "zip", 1 },
		{ "audio/mpeg", "content-disposition: attachment; filename=\"a.php\"", "mp3", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		struct px_buf b = PX_BUF_INIT, js = PX_BUF_INIT;
		struct px_waf_verdict v;
		struct px_request req;
		enum px_err e;

		sample(&b, r[i].key);
		wf_build(&req, "PUT", "/api/v1/files", "channel_id=3", r[i].cd, r[i].ctype, b.data,
			 b.len);
		e = px_waf_inspect(wf_waf, &req, "upload", &v);
		px_request_clear(&req);
		px_waf_verdict_json(&v, &js);
		ck_assert_msg((e != PX_OK) == r[i].block, "case %zu (%s): expected %s, got %s", i,
			      r[i].key, r[i].block ? "block" : "pass", js.data);
		px_buf_free(&js);
		px_buf_free(&b);
	}
}
END_TEST

/* Compressed media is random-looking bytes. Behind every binary
 * signature, 64 KiB of noise must not look like code; the noise does
 * hold the short tags ("<?=", "<%@", "<%=") that a plain search took
 * for code in about one such file in 80. */
START_TEST(test_upload_code_noise)
{
	static const char *const keys[] = { "mp3", "opus", "wav", "flac", "aac", "mp4", "webm" };
	static const char *const heads[] = { "\x89PNG\r\n\x1a\n", "\xff\xd8\xff\xe0", "%PDF-1.7\n" };
	int det = px_waf_detector_index("upload_code"), tags = 0;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t k, r, i;

	ck_assert_int_ge(det, 0);
	for (k = 0; k < 10; k++) {
		for (r = 0; r < 40; r++) {
			struct px_buf b = PX_BUF_INIT;
			struct px_waf_value val;
			struct px_waf_item it;

			if (k < 7)
				sample(&b, keys[k]);
			else
				px_buf_puts(&b, heads[k - 7]);
			for (i = 0; i < 64 * 1024 / 8; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				px_buf_append(&b, &x, 8);
			}
			ck_assert(!b.failed);
			tags += memmem(b.data, b.len, "<?=", 3) || memmem(b.data, b.len, "<%@", 3) ||
				memmem(b.data, b.len, "<%=", 3);
			memset(&val, 0, sizeof(val));
			val.loc = PX_WAF_L_FILE;
			val.val = b.data;
			val.len = b.len;
			memset(&it, 0, sizeof(it));
			it.kind = PX_WAF_K_FILE;
			it.v = &val;
			it.text = b.data;
			it.text_len = b.len;
			ck_assert_msg(!px_waf_detector_run(det, &it), "kind %zu noise %zu taken for code",
				      k, r);
			px_buf_free(&b);
		}
	}
	ck_assert_int_ge(tags, 1);
}
END_TEST

#undef S
#undef DOCX
#undef ODT

int main(void)
{
	Suite *s = suite_create("waf_upload");
	TCase *tc = tcase_create("upload");

	tcase_add_unchecked_fixture(tc, wf_load, wf_unload);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_upload_profile, 0, (int)(sizeof(ucases) / sizeof(ucases[0])));
	tcase_add_test(tc, test_upload_png);
	tcase_add_test(tc, test_raw_upload);
	tcase_add_test(tc, test_streamed_text_upload);
	tcase_add_loop_test(tc, test_upload_kinds, 0, (int)(sizeof(kcases) / sizeof(kcases[0])));
	tcase_add_test(tc, test_raw_upload_kinds);
	tcase_add_test(tc, test_upload_code_noise);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
