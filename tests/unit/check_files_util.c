/* check_files_util.c: file-name normalisation, type agreement,
 * Content-Range parsing and Content-Disposition building (files_util.h),
 * table-driven, each case carrying its line. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/files_util.h"
#include "tests/unit/run_suite.h"

static const struct {
	int line;
	const char *in;
	size_t n;   /* 0: strlen */
	const char *want; /* NULL: FILES_NAME_INVALID */
} names[] = {
	{ __LINE__, "photo.png", 0, "photo.png" },
	{ __LINE__, "../../etc/passwd", 0, "passwd" },
	{ __LINE__, "C:\\Users\\x\\report.pdf", 0, "report.pdf" },
	{ __LINE__, "CON", 0, "_CON" },
	{ __LINE__, "con.txt", 0, "_con.txt" },
	{ __LINE__, "LPT1.png", 0, "_LPT1.png" },
	{ __LINE__, "COM10.png", 0, "COM10.png" },
	{ __LINE__, "console.txt", 0, "console.txt" },
	{ __LINE__, "evil\xe2\x80\xaegnp.exe", 0, "evilgnp.exe" },   /* U+202E */
	{ __LINE__, "a\xe2\x81\xa6" "b.txt", 0, "ab.txt" },          /* U+2066 */
	{ __LINE__, "tab\there.txt", 0, "tabhere.txt" },
	{ __LINE__, "nul\0byte.txt", 12, NULL },
	{ __LINE__, "bad\xff.txt", 0, NULL },
	{ __LINE__, "..", 0, NULL },
	{ __LINE__, "dir/", 0, NULL },
	{ __LINE__, "  .hidden. ", 0, "hidden" },
	{ __LINE__, "", 0, NULL },
	{ __LINE__, "e\xcc\x81t\xc3\xa9.txt", 0, "\xc3\xa9t\xc3\xa9.txt" }, /* NFC */
	{ __LINE__, "\xe6\x97\xa5\xe6\x9c\xac.png", 0, "\xe6\x97\xa5\xe6\x9c\xac.png" },
};

START_TEST(test_names)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct px_buf out = PX_BUF_INIT;
		size_t n = names[i].n ? names[i].n : strlen(names[i].in);
		enum px_err e = px_hf_name_normalise(names[i].in, n, &out);

		if (!names[i].want)
			ck_assert_msg(e == PX_E_FILES_NAME_INVALID, "line %d: want invalid, got %s",
				      names[i].line, e == PX_OK ? out.data : px_err_name(e));
		else
			ck_assert_msg(e == PX_OK && strcmp(out.data, names[i].want) == 0,
				      "line %d: want '%s', got %s '%s'", names[i].line,
				      names[i].want, px_err_name(e), out.data ? out.data : "");
		px_buf_free(&out);
	}
}
END_TEST

START_TEST(test_name_cap)
{
	struct px_buf in = PX_BUF_INIT, out = PX_BUF_INIT;
	int i;

	for (i = 0; i < 200; i++)
		px_buf_puts(&in, "\xc3\xa9"); /* 400 bytes of two-byte characters */
	px_buf_puts(&in, ".jpeg");
	ck_assert_int_eq(px_hf_name_normalise(in.data, in.len, &out), PX_OK);
	ck_assert_uint_le(out.len, PX_HF_NAME_MAX);
	ck_assert_str_eq(out.data + out.len - 5, ".jpeg");
	ck_assert_int_eq(((unsigned char)out.data[out.len - 6] & 0xc0) == 0x80, 1);
	ck_assert_int_eq((unsigned char)out.data[out.len - 7], 0xc3);
	px_buf_free(&in);
	px_buf_free(&out);
}
END_TEST

#define DOCX "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#define XLSX "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define PPTX "application/vnd.openxmlformats-officedocument.presentationml.presentation"
#define ODT "application/vnd.oasis.opendocument.text"

/* detected is what libmagic 5.44 says of such files (files_store.c also
 * names a ZIP by its directory: see check_files_scan.c) */
static const struct {
	int line;
	const char *detected, *name, *declared;
	enum px_err want;
	const char *family;
} types[] = {
	{ __LINE__, "image/png", "a.png", "image/png", PX_OK, "png" },
	{ __LINE__, "image/png", "a.PNG", NULL, PX_OK, "png" },
	{ __LINE__, "image/png", "noext", "", PX_OK, "png" },
	{ __LINE__, "image/png", "a.png", "application/octet-stream", PX_OK, "png" },
	{ __LINE__, "image/jpeg", "a.jpg", "image/jpeg; q=1", PX_OK, "jpeg" },
	{ __LINE__, "image/png", "a.jpg", NULL, PX_E_FILES_TYPE_MISMATCH, NULL },
	{ __LINE__, "image/png", "a.png", "image/gif", PX_E_FILES_TYPE_MISMATCH, NULL },
	{ __LINE__, "image/gif", "a.js", NULL, PX_E_FILES_TYPE_MISMATCH, NULL },
	{ __LINE__, "image/gif", "a.gif", "text/javascript", PX_E_FILES_TYPE_MISMATCH, NULL },
	{ __LINE__, "image/png", "a.exe", NULL, PX_E_FILES_TYPE_MISMATCH, NULL },
	{ __LINE__, "application/x-executable", "a.png", NULL, PX_E_FILES_TYPE_NOT_ALLOWED, NULL },
	{ __LINE__, "text/plain", "notes.md", "text/markdown", PX_OK, "text" },
	{ __LINE__, "text/plain", "a.txt", "text/plain; charset=utf-8", PX_OK, "text" },
	{ __LINE__, "image/svg+xml", "a.svg", "image/svg+xml", PX_OK, "svg" },
	{ __LINE__, "text/html", "a.txt", NULL, PX_E_FILES_TYPE_MISMATCH, NULL },
	{ __LINE__, "application/pdf", "a.pdf", "application/pdf", PX_OK, "pdf" },
	/* text: JSON and CSV are plain text to libmagic here (its JSON and
	 * CSV checks are off); prose with code in it gets a program's type */
	{ __LINE__, "text/plain", "data.json", "application/json", PX_OK, "text" },
	{ __LINE__, "text/plain", "users.csv", "text/csv", PX_OK, "text" },
	{ __LINE__, "text/plain", "cols.tsv", "text/tab-separated-values", PX_OK, "text" },
	{ __LINE__, "text/plain", "ci.yml", "application/x-yaml", PX_OK, "text" },
	{ __LINE__, "text/plain", "build.log", "text/x-log", PX_OK, "text" },
	{ __LINE__, "text/x-c", "README.md", "text/markdown", PX_OK, "text" },
	{ __LINE__, "text/x-diff", "fix.patch", "text/x-patch", PX_OK, "text" },
	{ __LINE__, "text/x-shellscript", "notes.txt", "text/plain", PX_OK, "text" },
	{ __LINE__, "text/x-php", "notes.txt", "text/plain", PX_E_FILES_TYPE_NOT_ALLOWED, NULL },
	{ __LINE__, "text/plain", "data.json", "application/zip", PX_E_FILES_TYPE_MISMATCH, NULL },
	/* archives and office documents */
	{ __LINE__, "application/zip", "photos.zip", "application/zip", PX_OK, "zip" },
	{ __LINE__, "application/zip", "photos.zip", "application/x-zip-compressed", PX_OK, "zip" },
	{ __LINE__, "application/zip", "report.docx", DOCX, PX_E_FILES_TYPE_MISMATCH, NULL },
	{ __LINE__, "application/zip", "report.docx", NULL, PX_E_FILES_TYPE_MISMATCH, NULL },
	{ __LINE__, DOCX, "report.docx", DOCX, PX_OK, "docx" },
	{ __LINE__, DOCX, "report.zip", NULL, PX_E_FILES_TYPE_MISMATCH, NULL },
	{ __LINE__, DOCX, "report.xlsx", NULL, PX_E_FILES_TYPE_MISMATCH, NULL },
	{ __LINE__, XLSX, "sheet.xlsx", XLSX, PX_OK, "xlsx" },
	{ __LINE__, PPTX, "deck.pptx", PPTX, PX_OK, "pptx" },
	{ __LINE__, PPTX, "deck.pptx", DOCX, PX_E_FILES_TYPE_MISMATCH, NULL },
	{ __LINE__, ODT, "letter.odt", ODT, PX_OK, "odt" },
	{ __LINE__, "application/vnd.oasis.opendocument.spreadsheet", "t.ods", NULL, PX_OK, "ods" },
	{ __LINE__, "application/vnd.oasis.opendocument.presentation", "t.odp", NULL, PX_OK,
	  "odp" },
	{ __LINE__, ODT, "letter.docx", NULL, PX_E_FILES_TYPE_MISMATCH, NULL },
	{ __LINE__, "application/vnd.oasis.opendocument.graphics", "t.odg", NULL,
	  PX_E_FILES_TYPE_NOT_ALLOWED, NULL },
	{ __LINE__, "application/java-archive", "app.zip", NULL, PX_E_FILES_TYPE_NOT_ALLOWED, NULL },
	{ __LINE__, "application/gzip", "logs.tar.gz", "application/gzip", PX_OK, "gzip" },
	{ __LINE__, "application/gzip", "logs.tgz", "application/x-compressed-tar", PX_OK, "gzip" },
	{ __LINE__, "application/gzip", "logs.zip", NULL, PX_E_FILES_TYPE_MISMATCH, NULL },
	{ __LINE__, "application/x-7z-compressed", "all.7z", NULL, PX_OK, "7z" },
	{ __LINE__, "application/x-msi", "setup.docx", NULL, PX_E_FILES_TYPE_NOT_ALLOWED, NULL },
	{ __LINE__, "application/CDFV2", "old.doc", NULL, PX_E_FILES_TYPE_NOT_ALLOWED, NULL },
	/* audio */
	{ __LINE__, "audio/mpeg", "song.mp3", "audio/mpeg", PX_OK, "mp3" },
	{ __LINE__, "audio/mpeg", "song.mp3", "audio/mp3", PX_OK, "mp3" },
	{ __LINE__, "audio/mpeg", "song.wav", NULL, PX_E_FILES_TYPE_MISMATCH, NULL },
	{ __LINE__, "audio/ogg", "voice.ogg", "audio/ogg", PX_OK, "ogg" },
	{ __LINE__, "audio/ogg", "voice.opus", "audio/opus", PX_OK, "ogg" },
	{ __LINE__, "audio/x-wav", "take.wav", "audio/wav", PX_OK, "wav" },
	{ __LINE__, "audio/x-wav", "take.wav", "audio/x-wav", PX_OK, "wav" },
	{ __LINE__, "audio/flac", "track.flac", "audio/x-flac", PX_OK, "flac" },
	{ __LINE__, "audio/x-hx-aac-adts", "clip.aac", "audio/aac", PX_OK, "aac" },
	{ __LINE__, "audio/x-m4a", "memo.m4a", "audio/x-m4a", PX_OK, "m4a" },
	{ __LINE__, "audio/x-m4a", "memo.m4a", "audio/mp4", PX_OK, "m4a" },
	/* video, and the MP4 kin: the brand libmagic reads is not always the
	 * file's kind (an M4A written with the isom brand), the name chooses */
	{ __LINE__, "video/mp4", "clip.mp4", "video/mp4", PX_OK, "mp4" },
	{ __LINE__, "video/mp4", "memo.m4a", "audio/mp4", PX_OK, "m4a" },
	{ __LINE__, "video/mp4", "memo.m4a", NULL, PX_OK, "m4a" },
	{ __LINE__, "video/quicktime", "IMG_0001.MOV", "video/quicktime", PX_OK, "mov" },
	{ __LINE__, "video/mp4", "IMG_0001.mov", NULL, PX_OK, "mov" },
	{ __LINE__, "audio/x-m4a", "clip.mp4", NULL, PX_OK, "mp4" },
	{ __LINE__, "video/mp4", "noext", "video/quicktime", PX_OK, "mp4" },
	{ __LINE__, "video/mp4", "clip.mp3", NULL, PX_E_FILES_TYPE_MISMATCH, NULL },
	{ __LINE__, "video/mp4", "clip.mp4", "audio/mpeg", PX_E_FILES_TYPE_MISMATCH, NULL },
	{ __LINE__, "video/webm", "clip.webm", "video/webm", PX_OK, "webm" },
	{ __LINE__, "video/webm", "voice.webm", "audio/webm", PX_OK, "webm" },
	{ __LINE__, "video/webm", "clip.mp4", NULL, PX_E_FILES_TYPE_MISMATCH, NULL },
	{ __LINE__, "video/x-matroska", "clip.webm", NULL, PX_E_FILES_TYPE_NOT_ALLOWED, NULL },
	{ __LINE__, "video/3gpp", "clip.mp4", NULL, PX_E_FILES_TYPE_NOT_ALLOWED, NULL },
	{ __LINE__, "image/heic", "IMG_0001.mov", NULL, PX_E_FILES_TYPE_NOT_ALLOWED, NULL },
	/* a PHP script never becomes media, whatever its name */
	{ __LINE__, "text/x-php", "song.mp3", "audio/mpeg", PX_E_FILES_TYPE_NOT_ALLOWED, NULL },
	{ __LINE__, "text/plain", "song.mp3", "audio/mpeg", PX_E_FILES_TYPE_MISMATCH, NULL },
};

START_TEST(test_types)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		const struct px_hf_family *f = NULL;
		enum px_err e = px_hf_type_check(types[i].detected, types[i].name,
						 types[i].declared, &f);

		ck_assert_msg(e == types[i].want, "line %d: want %s, got %s", types[i].line,
			      px_err_name(types[i].want), px_err_name(e));
		if (types[i].family)
			ck_assert_msg(f && strcmp(f->name, types[i].family) == 0,
				      "line %d: family %s, want %s", types[i].line,
				      f ? f->name : "none", types[i].family);
	}
}
END_TEST

/* How each family is served: active ones as downloads under a neutral
 * type, archives and office documents as downloads under their own,
 * images, text, audio and video inline under their own; ZIP families
 * are the ones whose archive is accepted. */
static const struct {
	int line;
	const char *detected, *name;
	const char *served;
	unsigned flags;
} serving[] = {
	{ __LINE__, "image/png", "a.png", "image/png", 0 },
	{ __LINE__, "text/plain", "a.json", "text/plain; charset=utf-8", 0 },
	{ __LINE__, "application/pdf", "a.pdf", "application/octet-stream", PX_HF_ACTIVE },
	{ __LINE__, "image/svg+xml", "a.svg", "application/octet-stream", PX_HF_ACTIVE },
	{ __LINE__, "text/html", "a.html", "application/octet-stream", PX_HF_ACTIVE },
	{ __LINE__, "application/zip", "a.zip", "application/zip", PX_HF_DOWNLOAD | PX_HF_ZIP },
	{ __LINE__, DOCX, "a.docx", DOCX, PX_HF_DOWNLOAD | PX_HF_ZIP },
	{ __LINE__, XLSX, "a.xlsx", XLSX, PX_HF_DOWNLOAD | PX_HF_ZIP },
	{ __LINE__, PPTX, "a.pptx", PPTX, PX_HF_DOWNLOAD | PX_HF_ZIP },
	{ __LINE__, ODT, "a.odt", ODT, PX_HF_DOWNLOAD | PX_HF_ZIP },
	{ __LINE__, "application/gzip", "a.tar.gz", "application/gzip", PX_HF_DOWNLOAD },
	{ __LINE__, "application/x-7z-compressed", "a.7z", "application/x-7z-compressed",
	  PX_HF_DOWNLOAD },
	{ __LINE__, "audio/mpeg", "a.mp3", "audio/mpeg", 0 },
	{ __LINE__, "audio/ogg", "a.opus", "audio/ogg", 0 },
	{ __LINE__, "audio/x-wav", "a.wav", "audio/wav", 0 },
	{ __LINE__, "audio/flac", "a.flac", "audio/flac", 0 },
	{ __LINE__, "audio/x-hx-aac-adts", "a.aac", "audio/aac", 0 },
	{ __LINE__, "audio/x-m4a", "a.m4a", "audio/mp4", 0 },
	{ __LINE__, "video/mp4", "a.m4a", "audio/mp4", 0 },
	{ __LINE__, "video/mp4", "a.mp4", "video/mp4", 0 },
	{ __LINE__, "video/mp4", "a.mov", "video/quicktime", 0 },
	{ __LINE__, "video/quicktime", "a.mov", "video/quicktime", 0 },
	{ __LINE__, "video/webm", "a.webm", "video/webm", 0 },
};

START_TEST(test_serving)
{
	size_t i;

	for (i = 0; i < sizeof(serving) / sizeof(serving[0]); i++) {
		const struct px_hf_family *f = px_hf_family_of_file(serving[i].detected,
								     serving[i].name);

		ck_assert_msg(f && strcmp(f->served, serving[i].served) == 0 &&
				      f->flags == serving[i].flags,
			      "line %d: served %s flags %u", serving[i].line, f ? f->served : "-",
			      f ? f->flags : 0);
	}
	/* a row whose name no longer fits: the detected type's family */
	ck_assert_str_eq(px_hf_family_of_file("video/mp4", "x.png")->name, "mp4");
	ck_assert_ptr_null(px_hf_family_of_file("application/x-executable", "x.png"));
}
END_TEST

static const struct {
	int line;
	const char *h;
	int ok;
	unsigned long long first, last, total;
} ranges[] = {
	{ __LINE__, "bytes 0-99/100", 0, 0, 99, 100 },
	{ __LINE__, "bytes 80-99/100", 0, 80, 99, 100 },
	{ __LINE__, "bytes 0-0/1", 0, 0, 0, 1 },
	{ __LINE__, "Bytes 5-9/10 ", 0, 5, 9, 10 },
	{ __LINE__, "bytes 0-100/100", -1, 0, 0, 0 },
	{ __LINE__, "bytes 10-9/100", -1, 0, 0, 0 },
	{ __LINE__, "bytes */100", -1, 0, 0, 0 },
	{ __LINE__, "bytes 0-9/*", -1, 0, 0, 0 },
	{ __LINE__, "bytes -1-9/100", -1, 0, 0, 0 },
	{ __LINE__, "bytes 0-9/100x", -1, 0, 0, 0 },
	{ __LINE__, "items 0-9/100", -1, 0, 0, 0 },
	{ __LINE__, "bytes 0-99999999999999999999/100", -1, 0, 0, 0 },
	{ __LINE__, "", -1, 0, 0, 0 },
	{ __LINE__, NULL, -1, 0, 0, 0 },
};

START_TEST(test_content_range)
{
	size_t i;

	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		uint64_t f = 0, l = 0, t = 0;
		int rc = px_hf_content_range(ranges[i].h, &f, &l, &t);

		ck_assert_msg(rc == ranges[i].ok, "line %d: want %d got %d", ranges[i].line,
			      ranges[i].ok, rc);
		if (rc == 0)
			ck_assert_msg(f == ranges[i].first && l == ranges[i].last &&
					      t == ranges[i].total,
				      "line %d: values", ranges[i].line);
	}
}
END_TEST

static const struct {
	int line;
	int attach;
	const char *name, *want;
} dispositions[] = {
	{ __LINE__, 1, "report.pdf", "attachment; filename=\"report.pdf\"" },
	{ __LINE__, 0, "cat.png", "inline; filename=\"cat.png\"" },
	{ __LINE__, 1, "a\"b\\c%d.txt", "attachment; filename=\"a_b_c_d.txt\"" },
	{ __LINE__, 1, "\xc3\xa9t\xc3\xa9 1.txt",
	  "attachment; filename=\"_t_ 1.txt\"; filename*=UTF-8''%C3%A9t%C3%A9%201.txt" },
	{ __LINE__, 0, "\xe6\x97\xa5.png",
	  "inline; filename=\"_.png\"; filename*=UTF-8''%E6%97%A5.png" },
	{ __LINE__, 1, "x;y=z.txt", "attachment; filename=\"x;y=z.txt\"" },
};

START_TEST(test_disposition)
{
	size_t i;

	for (i = 0; i < sizeof(dispositions) / sizeof(dispositions[0]); i++) {
		struct px_buf b = PX_BUF_INIT;

		px_hf_disposition(&b, dispositions[i].attach, dispositions[i].name);
		ck_assert_msg(strcmp(b.data, dispositions[i].want) == 0,
			      "line %d: want %s got %s", dispositions[i].line, dispositions[i].want,
			      b.data);
		px_buf_free(&b);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("files_util");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_name_cap);
	tcase_add_test(tc, test_types);
	tcase_add_test(tc, test_serving);
	tcase_add_test(tc, test_content_range);
	tcase_add_test(tc, test_disposition);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
