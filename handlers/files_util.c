/* files_util.c: file names, type families, Content-Range and
 * Content-Disposition for the files area. No I/O, no state. */
#include "handlers/files_util.h"
#include "core/mediatype.h"
#include "core/utf8.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

/* ---- names ------------------------------------------------------------ */

static uint32_t decode(const unsigned char *s, size_t len)
{
	if (len == 1)
		return s[0];
	if (len == 2)
		return ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
	if (len == 3)
		return ((uint32_t)(s[0] & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) |
		       (s[2] & 0x3f);
	return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
	       ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
}

/* Characters a name never keeps: controls, bidi controls, invisible marks. */
static int dropped(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c ||
	       (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
}

static int nfc(const char *s, size_t n, struct px_buf *out)
{
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *norm = unorm2_getNFCInstance(&st);
	UChar *u = NULL, *v = NULL;
	int32_t ul = 0, vl;
	int rc = -1;

	if (U_FAILURE(st) || n > 4 * 1024)
		return -1;
	u = malloc((n + 1) * sizeof(UChar));
	v = malloc((3 * n + 4) * sizeof(UChar));
	if (!u || !v)
		goto out;
	u_strFromUTF8(u, (int32_t)n + 1, &ul, s, (int32_t)n, &st);
	vl = unorm2_normalize(norm, u, ul, v, (int32_t)(3 * n + 4), &st);
	if (U_FAILURE(st))
		goto out;
	{
		char *o = malloc((size_t)vl * 3 + 1);
		int32_t ol = 0;

		if (!o)
			goto out;
		u_strToUTF8(o, vl * 3 + 1, &ol, v, vl, &st);
		if (U_SUCCESS(st)) {
			px_buf_reset(out);
			px_buf_append(out, o, (size_t)ol);
			rc = out->failed ? -1 : 0;
		}
		free(o);
	}
out:
	free(u);
	free(v);
	return rc;
}

static int device_name(const char *s, size_t n)
{
	static const char *const dev[] = { "con", "prn", "aux", "nul" };
	size_t base = 0, i;

	while (base < n && s[base] != '.')
		base++;
	while (base > 0 && s[base - 1] == ' ')
		base--;
	for (i = 0; i < sizeof(dev) / sizeof(dev[0]); i++)
		if (base == 3 && strncasecmp(s, dev[i], 3) == 0)
			return 1;
	return base == 4 && (strncasecmp(s, "com", 3) == 0 || strncasecmp(s, "lpt", 3) == 0) &&
	       s[3] >= '1' && s[3] <= '9';
}

/* Cuts s to at most max bytes at a character boundary, keeping an
 * extension of up to 16 bytes at the end. */
static void cap_len(struct px_buf *b, size_t max)
{
	const char *dot = NULL;
	size_t ext = 0, keep, i;
	char tail[17];

	if (b->len <= max)
		return;
	dot = memrchr(b->data, '.', b->len);
	if (dot && (size_t)(b->data + b->len - dot) <= 16)
		ext = (size_t)(b->data + b->len - dot);
	memcpy(tail, b->data + b->len - ext, ext);
	keep = max - ext;
	/* step back to the start of a character */
	while (keep > 0 && ((unsigned char)b->data[keep] & 0xc0) == 0x80)
		keep--;
	b->len = keep;
	for (i = 0; i < ext; i++)
		b->data[b->len++] = tail[i];
	b->data[b->len] = '\0';
}

enum px_err px_hf_name_normalise(const char *in, size_t n, struct px_buf *out)
{
	struct px_buf k = PX_BUF_INIT, t = PX_BUF_INIT;
	enum px_err e = PX_E_FILES_NAME_INVALID;
	const char *s = in;
	size_t i, start = 0, end;

	if (!in || n == 0 || memchr(in, '\0', n) || !px_utf8_valid(in, n))
		goto out;
	for (i = 0; i < n; i++)
		if (in[i] == '/' || in[i] == '\\')
			start = i + 1;
	for (i = start; i < n;) {
		size_t l = px_utf8_seq_len(s + i, n - i);

		if (l == 0)
			goto out;
		if (!dropped(decode((const unsigned char *)s + i, l)))
			px_buf_append(&k, s + i, l);
		i += l;
	}
	if (k.len == 0 || nfc(k.data, k.len, &t) != 0)
		goto out;
	for (start = 0; start < t.len && (t.data[start] == ' ' || t.data[start] == '.'); start++)
		;
	for (end = t.len; end > start && (t.data[end - 1] == ' ' || t.data[end - 1] == '.'); end--)
		;
	if (end == start)
		goto out;
	px_buf_reset(out);
	if (device_name(t.data + start, end - start))
		px_buf_putc(out, '_');
	px_buf_append(out, t.data + start, end - start);
	if (out->failed) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	cap_len(out, PX_HF_NAME_MAX);
	e = PX_OK;
out:
	px_buf_free(&k);
	px_buf_free(&t);
	return e;
}

/* ---- type families ---------------------------------------------------- */

#define L(...) (const char *const[]){ __VA_ARGS__, NULL }
#define DOCX "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#define XLSX "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define PPTX "application/vnd.openxmlformats-officedocument.presentationml.presentation"
#define ODT "application/vnd.oasis.opendocument.text"
#define ODS "application/vnd.oasis.opendocument.spreadsheet"
#define ODP "application/vnd.oasis.opendocument.presentation"
#define NEUTRAL "application/octet-stream"
/* Detected, extension and declared type must name the same row (or rows
 * of one kin). Rows marked active are types a browser would run or
 * render with script: they are always downloads under a neutral type;
 * archives and office documents are downloads under their own type;
 * the rest (images, text, audio, video) may show inline. What the WAF's
 * upload profile admits (etc/waf.rules upload_types) is a subset of this
 * table. Text takes the program-text types libmagic gives prose with code
 * in it (a Markdown file with a C block is "text/x-c"), not PHP. */
static const struct px_hf_family families[] = {
	{ "png", "image/png", 0, NULL, L("image/png"), L("png") },
	{ "jpeg", "image/jpeg", 0, NULL, L("image/jpeg", "image/pjpeg"),
	  L("jpg", "jpeg", "jpe", "jfif") },
	{ "gif", "image/gif", 0, NULL, L("image/gif"), L("gif") },
	{ "webp", "image/webp", 0, NULL, L("image/webp"), L("webp") },
	{ "text", "text/plain; charset=utf-8", 0, NULL,
	  L("text/plain", "text/markdown", "text/x-markdown", "text/csv",
	    "text/tab-separated-values", "text/x-log", "application/json", "application/x-ndjson",
	    "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/x-diff",
	    "text/x-patch", "text/x-c", "text/x-c++", "text/x-java", "text/x-script.python",
	    "text/x-shellscript", "text/x-makefile", "text/x-tex", "text/x-ruby", "text/x-perl",
	    "text/x-awk", "text/x-asm", "text/x-objective-c", "text/troff", "text/x-m4",
	    "text/x-tcl", "text/x-lisp", "text/x-msdos-batch"),
	  L("txt", "text", "md", "markdown", "csv", "tsv", "log", "json", "yaml", "yml", "diff",
	    "patch") },
	{ "pdf", NEUTRAL, PX_HF_ACTIVE, NULL, L("application/pdf"), L("pdf") },
	{ "svg", NEUTRAL, PX_HF_ACTIVE, NULL, L("image/svg+xml", "image/svg"), L("svg", "svgz") },
	{ "html", NEUTRAL, PX_HF_ACTIVE, NULL, L("text/html", "application/xhtml+xml"),
	  L("html", "htm", "xhtml", "shtml") },
	{ "xml", NEUTRAL, PX_HF_ACTIVE, NULL, L("text/xml", "application/xml"), L("xml", "xsl") },
	{ "js", NEUTRAL, PX_HF_ACTIVE, NULL,
	  L("text/javascript", "application/javascript", "application/x-javascript"),
	  L("js", "mjs") },
	{ "zip", "application/zip", PX_HF_DOWNLOAD | PX_HF_ZIP, NULL,
	  L("application/zip", "application/x-zip-compressed", "application/x-zip"), L("zip") },
	{ "docx", DOCX, PX_HF_DOWNLOAD | PX_HF_ZIP, NULL, L(DOCX), L("docx") },
	{ "xlsx", XLSX, PX_HF_DOWNLOAD | PX_HF_ZIP, NULL, L(XLSX), L("xlsx") },
	{ "pptx", PPTX, PX_HF_DOWNLOAD | PX_HF_ZIP, NULL, L(PPTX), L("pptx") },
	{ "odt", ODT, PX_HF_DOWNLOAD | PX_HF_ZIP, NULL, L(ODT), L("odt") },
	{ "ods", ODS, PX_HF_DOWNLOAD | PX_HF_ZIP, NULL, L(ODS), L("ods") },
	{ "odp", ODP, PX_HF_DOWNLOAD | PX_HF_ZIP, NULL, L(ODP), L("odp") },
	{ "gzip", "application/gzip", PX_HF_DOWNLOAD, NULL,
	  L("application/gzip", "application/x-gzip", "application/x-compressed-tar",
	    "application/x-tgz"),
	  L("gz", "tgz") },
	{ "7z", "application/x-7z-compressed", PX_HF_DOWNLOAD, NULL,
	  L("application/x-7z-compressed"), L("7z") },
	{ "mp3", "audio/mpeg", 0, NULL, L("audio/mpeg", "audio/mp3"), L("mp3") },
	{ "ogg", "audio/ogg", 0, NULL,
	  L("audio/ogg", "audio/opus", "application/ogg", "audio/vorbis", "audio/x-vorbis+ogg",
	    "audio/x-opus+ogg"),
	  L("ogg", "oga", "opus") },
	{ "wav", "audio/wav", 0, NULL, L("audio/x-wav", "audio/wav", "audio/wave", "audio/vnd.wave"),
	  L("wav") },
	{ "flac", "audio/flac", 0, NULL, L("audio/flac", "audio/x-flac"), L("flac") },
	{ "aac", "audio/aac", 0, NULL,
	  L("audio/x-hx-aac-adts", "audio/aac", "audio/x-aac", "audio/aacp"), L("aac") },
	{ "m4a", "audio/mp4", 0, "mp4", L("audio/x-m4a", "audio/mp4", "audio/m4a"), L("m4a") },
	{ "mp4", "video/mp4", 0, "mp4", L("video/mp4", "video/x-m4v"), L("mp4", "m4v") },
	{ "mov", "video/quicktime", 0, "mp4", L("video/quicktime"), L("mov") },
	{ "webm", "video/webm", 0, NULL, L("video/webm", "audio/webm"), L("webm") },
};
#undef L
#undef DOCX
#undef XLSX
#undef PPTX
#undef ODT
#undef ODS
#undef ODP
#undef NEUTRAL

static int in_list(const char *const *l, const char *s, size_t n)
{
	for (; *l; l++)
		if (strlen(*l) == n && strncasecmp(*l, s, n) == 0)
			return 1;
	return 0;
}

const struct px_hf_family *px_hf_family_of_type(const char *mime)
{
	struct px_mediatype mt;
	size_t i;

	if (!mime)
		return NULL;
	px_mediatype_parse(mime, strlen(mime), &mt);
	for (i = 0; mt.essence.len && i < sizeof(families) / sizeof(families[0]); i++)
		if (in_list(families[i].mimes, mt.essence.ptr, mt.essence.len))
			return &families[i];
	return NULL;
}

const struct px_hf_family *px_hf_family_of_name(const char *name, int *has_ext)
{
	const char *dot = name ? strrchr(name, '.') : NULL;
	size_t i;

	*has_ext = dot && dot != name && dot[1];
	if (!*has_ext)
		return NULL;
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (in_list(families[i].exts, dot + 1, strlen(dot + 1)))
			return &families[i];
	return NULL;
}

/* A declared type that says nothing about the content. */
static int declared_generic(const char *declared)
{
	struct px_mediatype mt;

	px_mediatype_parse(declared, strlen(declared), &mt);
	return px_mediatype_is(&mt, "application/octet-stream");
}

static int kin(const struct px_hf_family *a, const struct px_hf_family *b)
{
	return a && b && a->kin && b->kin && strcmp(a->kin, b->kin) == 0;
}

enum px_err px_hf_type_check(const char *detected, const char *name,
			     const char *declared, const struct px_hf_family **fam)
{
	const struct px_hf_family *d = px_hf_family_of_type(detected), *x, *y = NULL;
	int has_ext, said = declared && *declared && !declared_generic(declared);

	*fam = NULL;
	if (!d)
		return PX_E_FILES_TYPE_NOT_ALLOWED;
	x = px_hf_family_of_name(name, &has_ext);
	if (said)
		y = px_hf_family_of_type(declared);
	if ((has_ext && x != d && !kin(x, d)) || (said && y != d && !kin(y, d)))
		return PX_E_FILES_TYPE_MISMATCH;
	*fam = has_ext ? x : d; /* within a kin the name says which */
	return PX_OK;
}

const struct px_hf_family *px_hf_family_of_file(const char *detected, const char *name)
{
	const struct px_hf_family *f;

	if (px_hf_type_check(detected, name, NULL, &f) != PX_OK)
		return px_hf_family_of_type(detected);
	return f;
}

/* ---- Content-Range ---------------------------------------------------- */

static int number(const char **p, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (UINT64_MAX - 9) / 10 || s - *p >= 19)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*out = v;
	return 0;
}

int px_hf_content_range(const char *h, uint64_t *first, uint64_t *last, uint64_t *total)
{
	const char *p = h;

	if (!p || strncasecmp(p, "bytes ", 6) != 0)
		return -1;
	p += 6;
	while (*p == ' ')
		p++;
	if (number(&p, first) != 0 || *p++ != '-' || number(&p, last) != 0 || *p++ != '/' ||
	    number(&p, total) != 0)
		return -1;
	while (*p == ' ')
		p++;
	return *p || *last < *first || *last >= *total ? -1 : 0;
}

/* ---- Content-Disposition ---------------------------------------------- */

void px_hf_disposition(struct px_buf *out, int attachment, const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)name;
	int ascii = 1;
	size_t i;

	px_buf_puts(out, attachment ? "attachment" : "inline");
	px_buf_puts(out, "; filename=\"");
	for (i = 0; s[i]; i++) {
		unsigned char c = s[i];

		if (c >= 0x80)
			ascii = 0;
		if (c >= 0x80 && (c & 0xc0) == 0x80)
			continue; /* one '_' per non-ASCII character */
		px_buf_putc(out, c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '%' ? '_'
									 : (char)c);
	}
	px_buf_putc(out, '"');
	if (ascii)
		return;
	px_buf_puts(out, "; filename*=UTF-8''");
	for (i = 0; s[i]; i++) {
		unsigned char c = s[i];

		if (isalnum(c) || strchr("!#$&+-.^_`|~", c))
			px_buf_putc(out, (char)c);
		else {
			px_buf_putc(out, '%');
			px_buf_putc(out, hex[c >> 4]);
			px_buf_putc(out, hex[c & 15]);
		}
	}
}
