/* waf_ftype.c: upload kinds by signature, extension and declared type,
 * and their agreement with libmagic. Kinds, names and classes are one
 * table in enum order. */
#include "waf/waf_ftype.h"
#include "waf/waf_magic.h"
#include "core/mediatype.h"
#include "core/utf8.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	enum px_waf_fclass cls;
} kinds[] = {
	[PX_WAF_F_NONE] = {"none", PX_WAF_FC_NONE},
	[PX_WAF_F_PNG] = {"png", PX_WAF_FC_BINARY},
	[PX_WAF_F_JPEG] = {"jpeg", PX_WAF_FC_BINARY},
	[PX_WAF_F_GIF] = {"gif", PX_WAF_FC_BINARY},
	[PX_WAF_F_WEBP] = {"webp", PX_WAF_FC_BINARY},
	[PX_WAF_F_PDF] = {"pdf", PX_WAF_FC_BINARY},
	[PX_WAF_F_TEXT] = {"text", PX_WAF_FC_TEXT},
	[PX_WAF_F_ZIP] = {"zip", PX_WAF_FC_ARCHIVE},
	[PX_WAF_F_OOXML] = {"ooxml", PX_WAF_FC_ARCHIVE},
	[PX_WAF_F_ODF] = {"odf", PX_WAF_FC_ARCHIVE},
	[PX_WAF_F_GZIP] = {"gzip", PX_WAF_FC_ARCHIVE},
	[PX_WAF_F_7Z] = {"7z", PX_WAF_FC_ARCHIVE},
	[PX_WAF_F_MP3] = {"mp3", PX_WAF_FC_BINARY},
	[PX_WAF_F_OGG] = {"ogg", PX_WAF_FC_BINARY},
	[PX_WAF_F_WAV] = {"wav", PX_WAF_FC_BINARY},
	[PX_WAF_F_FLAC] = {"flac", PX_WAF_FC_BINARY},
	[PX_WAF_F_AAC] = {"aac", PX_WAF_FC_BINARY},
	[PX_WAF_F_MP4] = {"mp4", PX_WAF_FC_BINARY},
	[PX_WAF_F_WEBM] = {"webm", PX_WAF_FC_BINARY},
	[PX_WAF_F_OTHER] = {"other", PX_WAF_FC_NONE},
};

const char *px_waf_ftype_name(enum px_waf_ftype t)
{
	return kinds[t].name;
}

enum px_waf_fclass px_waf_ftype_class(enum px_waf_ftype t)
{
	return kinds[t].cls;
}

static unsigned le16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int text_bytes(const char *b, size_t n)
{
	size_t i, ctrl = 0;

	if (n >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0)
		b += 3, n -= 3;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)b[i];

		if (c == 0)
			return 0;
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f')
			ctrl++;
	}
	return ctrl == 0 && px_utf8_valid(b, n);
}

size_t px_waf_ftype_id3_len(const char *b, size_t n)
{
	const unsigned char *u = (const unsigned char *)b;

	/* "ID3", major version 2..4, revision, flags, a 28-bit syncsafe size */
	if (n < 10 || memcmp(b, "ID3", 3) != 0 || u[3] < 2 || u[3] > 4 || u[4] == 0xff ||
	    ((u[6] | u[7] | u[8] | u[9]) & 0x80))
		return 0;
	return 10 + ((size_t)u[6] << 21 | (size_t)u[7] << 14 | (size_t)u[8] << 7 | u[9]) +
	       (u[3] == 4 && (u[5] & 0x10) ? 10 : 0);
}

/* An MPEG audio frame header (MP3) or an ADTS header (AAC) at b. */
static enum px_waf_ftype mpeg_audio(const unsigned char *b, size_t n)
{
	unsigned layer;

	if (n < 4 || b[0] != 0xff || (b[1] & 0xe0) != 0xe0)
		return PX_WAF_F_NONE;
	layer = (b[1] >> 1) & 3;
	if (layer == 0)
		return (b[1] & 0xf6) == 0xf0 && ((b[2] >> 2) & 0xf) < 13 ? PX_WAF_F_AAC
									   : PX_WAF_F_NONE;
	/* version 01 is reserved, bitrate 1111 and sample rate 11 invalid */
	if (((b[1] >> 3) & 3) == 1 || (b[2] >> 4) == 15 || ((b[2] >> 2) & 3) == 3)
		return PX_WAF_F_NONE;
	return PX_WAF_F_MP3;
}

/* What follows an ID3v2 tag: the audio it labels. */
static enum px_waf_ftype after_id3(const char *b, size_t n)
{
	size_t tag = px_waf_ftype_id3_len(b, n);
	enum px_waf_ftype t;

	if (tag + 4 > n)
		return PX_WAF_F_MP3; /* the tag fills the view (cover art) */
	if (memcmp(b + tag, "fLaC", 4) == 0)
		return PX_WAF_F_FLAC;
	t = mpeg_audio((const unsigned char *)b + tag, n - tag);
	return t == PX_WAF_F_NONE ? PX_WAF_F_OTHER : t;
}

/* An ftyp box of an MP4, M4A or QuickTime brand (not HEIF images, not 3GPP). */
static int mp4_box(const unsigned char *b, size_t n)
{
	static const char brands[][5] = {
		"isom", "iso2", "iso3", "iso4", "iso5", "iso6", "mp41", "mp42", "mp71", "avc1",
		"M4A ", "M4B ", "M4V ", "M4VH", "M4VP", "qt  ", "dash", "MSNV",
	};
	size_t i;

	if (n < 16 || memcmp(b + 4, "ftyp", 4) != 0 || be32(b) < 16)
		return 0;
	for (i = 0; i < sizeof(brands) / sizeof(brands[0]); i++)
		if (memcmp(b + 8, brands[i], 4) == 0)
			return 1;
	return 0;
}

/* An EBML variable-length integer at p (size of an element); 0 bytes
 * used when malformed. */
static size_t vint(const unsigned char *p, const unsigned char *end, uint64_t *v)
{
	size_t len = 1, i;
	unsigned char mask = 0x80;

	if (p >= end || !*p)
		return 0;
	while (!(*p & mask))
		mask >>= 1, len++;
	if ((size_t)(end - p) < len)
		return 0;
	*v = *p & (mask - 1);
	for (i = 1; i < len; i++)
		*v = *v << 8 | p[i];
	return len;
}

/* An EBML header whose DocType is "webm" (Matroska proper is not taken). */
static int webm_header(const unsigned char *b, size_t n)
{
	const unsigned char *p, *end;
	uint64_t size = 0, el;
	size_t k;

	if (n < 8 || memcmp(b, "\x1a\x45\xdf\xa3", 4) != 0 || !(k = vint(b + 4, b + n, &size)))
		return 0;
	p = b + 4 + k;
	end = size < (uint64_t)(b + n - p) ? p + size : b + n;
	while (p < end) {
		uint64_t id;
		size_t il = vint(p, end, &id); /* an ID is coded as a size is */

		if (!il || !(k = vint(p + il, end, &el)) || el > (uint64_t)(end - p - il - k))
			return 0;
		if (il == 2 && p[0] == 0x42 && p[1] == 0x82) /* DocType */
			return el == 4 && memcmp(p + il + k, "webm", 4) == 0;
		p += il + k + el;
	}
	return 0;
}

/* A ZIP archive: ODF, OOXML or a plain one, by its entries in view. */
static enum px_waf_ftype zip_kind(const unsigned char *b, size_t n)
{
	static const char ct[] = "[Content_Types].xml";
	static const char odf[] = "application/vnd.oasis.opendocument.";
	const unsigned char *p = b, *end = b + n;

	/* ODF: its first entry is "mimetype", stored, holding the document's type */
	if (n >= 38 && le16(b + 8) == 0 && le16(b + 26) == 8 &&
	    memcmp(b + 30, "mimetype", 8) == 0) {
		size_t at = 38 + le16(b + 28);

		if (at + sizeof(odf) - 1 <= n && memcmp(b + at, odf, sizeof(odf) - 1) == 0)
			return PX_WAF_F_ODF;
	}
	/* OOXML: a local or central header names "[Content_Types].xml" */
	while ((p = memmem(p, (size_t)(end - p), "PK", 2)) != NULL) {
		size_t at = 0, nl = 0;

		if (end - p >= 30 && p[2] == 3 && p[3] == 4)
			at = 30, nl = le16(p + 26);
		else if (end - p >= 46 && p[2] == 1 && p[3] == 2)
			at = 46, nl = le16(p + 28);
		if (nl == sizeof(ct) - 1 && (size_t)(end - p) >= at + nl &&
		    memcmp(p + at, ct, nl) == 0)
			return PX_WAF_F_OOXML;
		p += 2;
	}
	return PX_WAF_F_ZIP;
}

/* The view ends with a ZIP end record (its comment reaching the end):
 * the whole directory is in view. */
static int zip_whole(const unsigned char *b, size_t n)
{
	size_t i;

	if (n < 22)
		return 0;
	for (i = n - 22 + 1; i-- > 0 && n - i <= 22 + 65535;)
		if (memcmp(b + i, "PK\x05\x06", 4) == 0 && i + 22 + le16(b + i + 20) == n)
			return 1;
	return 0;
}

enum px_waf_ftype px_waf_ftype_sniff(const char *b, size_t n)
{
	const unsigned char *u = (const unsigned char *)b;
	enum px_waf_ftype t;

	if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
		return PX_WAF_F_PNG;
	if (n >= 3 && memcmp(b, "\xFF\xD8\xFF", 3) == 0)
		return PX_WAF_F_JPEG;
	if (n >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0))
		return PX_WAF_F_GIF;
	if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
		return PX_WAF_F_WEBP;
	if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WAVE", 4) == 0)
		return PX_WAF_F_WAV;
	if (n >= 5 && memcmp(b, "%PDF-", 5) == 0)
		return PX_WAF_F_PDF;
	if (n >= 4 && (memcmp(b, "PK\x03\x04", 4) == 0 || memcmp(b, "PK\x05\x06", 4) == 0))
		return zip_kind(u, n);
	if (n >= 3 && memcmp(b, "\x1f\x8b\x08", 3) == 0)
		return PX_WAF_F_GZIP;
	if (n >= 6 && memcmp(b, "7z\xbc\xaf\x27\x1c", 6) == 0)
		return PX_WAF_F_7Z;
	if (px_waf_ftype_id3_len(b, n))
		return after_id3(b, n);
	if ((t = mpeg_audio(u, n)) != PX_WAF_F_NONE)
		return t;
	if (n >= 4 && memcmp(b, "OggS", 4) == 0)
		return PX_WAF_F_OGG;
	if (n >= 4 && memcmp(b, "fLaC", 4) == 0)
		return PX_WAF_F_FLAC;
	if (mp4_box(u, n))
		return PX_WAF_F_MP4;
	if (webm_header(u, n))
		return PX_WAF_F_WEBM;
	return text_bytes(b, n) ? PX_WAF_F_TEXT : PX_WAF_F_OTHER;
}

int px_waf_ftype_agree(enum px_waf_ftype named, enum px_waf_ftype sniffed, const char *b,
		       size_t n)
{
	if (named == sniffed)
		return 1;
	return named == PX_WAF_F_OOXML && sniffed == PX_WAF_F_ZIP &&
	       !zip_whole((const unsigned char *)b, n);
}

static const struct {
	const char *ext;
	enum px_waf_ftype t;
} ext_map[] = {
	{"png", PX_WAF_F_PNG}, {"jpg", PX_WAF_F_JPEG}, {"jpeg", PX_WAF_F_JPEG},
	{"jpe", PX_WAF_F_JPEG}, {"jfif", PX_WAF_F_JPEG}, {"gif", PX_WAF_F_GIF},
	{"webp", PX_WAF_F_WEBP}, {"pdf", PX_WAF_F_PDF}, {"txt", PX_WAF_F_TEXT},
	{"text", PX_WAF_F_TEXT}, {"log", PX_WAF_F_TEXT}, {"md", PX_WAF_F_TEXT},
	{"markdown", PX_WAF_F_TEXT}, {"csv", PX_WAF_F_TEXT}, {"tsv", PX_WAF_F_TEXT},
	{"json", PX_WAF_F_TEXT}, {"yaml", PX_WAF_F_TEXT}, {"yml", PX_WAF_F_TEXT},
	{"diff", PX_WAF_F_TEXT}, {"patch", PX_WAF_F_TEXT}, {"zip", PX_WAF_F_ZIP},
	{"docx", PX_WAF_F_OOXML}, {"xlsx", PX_WAF_F_OOXML}, {"pptx", PX_WAF_F_OOXML},
	{"odt", PX_WAF_F_ODF}, {"ods", PX_WAF_F_ODF}, {"odp", PX_WAF_F_ODF},
	{"gz", PX_WAF_F_GZIP}, {"tgz", PX_WAF_F_GZIP}, {"7z", PX_WAF_F_7Z},
	{"mp3", PX_WAF_F_MP3}, {"ogg", PX_WAF_F_OGG}, {"oga", PX_WAF_F_OGG},
	{"opus", PX_WAF_F_OGG}, {"wav", PX_WAF_F_WAV}, {"flac", PX_WAF_F_FLAC},
	{"aac", PX_WAF_F_AAC}, {"mp4", PX_WAF_F_MP4}, {"m4a", PX_WAF_F_MP4},
	{"m4v", PX_WAF_F_MP4}, {"mov", PX_WAF_F_MP4}, {"webm", PX_WAF_F_WEBM},
};

enum px_waf_ftype px_waf_ftype_ext(const char *name, size_t n)
{
	const char *dot = NULL;
	size_t i, el;

	for (i = 0; i < n; i++)
		if (name[i] == '.')
			dot = name + i;
		else if (name[i] == '/' || name[i] == '\\')
			dot = NULL;
	if (!dot)
		return PX_WAF_F_NONE;
	el = (size_t)(name + n - dot - 1);
	for (i = 0; i < sizeof(ext_map) / sizeof(ext_map[0]); i++)
		if (strlen(ext_map[i].ext) == el && strncasecmp(dot + 1, ext_map[i].ext, el) == 0)
			return ext_map[i].t;
	return PX_WAF_F_OTHER;
}

/* Declared types and libmagic's names for them. */
static const struct {
	const char *ct;
	enum px_waf_ftype t;
} ct_map[] = {
	{"image/png", PX_WAF_F_PNG}, {"image/jpeg", PX_WAF_F_JPEG},
	{"image/jpg", PX_WAF_F_JPEG}, {"image/pjpeg", PX_WAF_F_JPEG},
	{"image/gif", PX_WAF_F_GIF}, {"image/webp", PX_WAF_F_WEBP},
	{"application/pdf", PX_WAF_F_PDF}, {"text/*", PX_WAF_F_TEXT},
	{"application/json", PX_WAF_F_TEXT}, {"application/x-ndjson", PX_WAF_F_TEXT},
	{"application/yaml", PX_WAF_F_TEXT}, {"application/x-yaml", PX_WAF_F_TEXT},
	{"application/zip", PX_WAF_F_ZIP}, {"application/x-zip-compressed", PX_WAF_F_ZIP},
	{"application/x-zip", PX_WAF_F_ZIP},
	{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", PX_WAF_F_OOXML},
	{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", PX_WAF_F_OOXML},
	{"application/vnd.openxmlformats-officedocument.presentationml.presentation", PX_WAF_F_OOXML},
	{"application/vnd.oasis.opendocument.text", PX_WAF_F_ODF},
	{"application/vnd.oasis.opendocument.spreadsheet", PX_WAF_F_ODF},
	{"application/vnd.oasis.opendocument.presentation", PX_WAF_F_ODF},
	{"application/gzip", PX_WAF_F_GZIP}, {"application/x-gzip", PX_WAF_F_GZIP},
	{"application/x-compressed-tar", PX_WAF_F_GZIP}, {"application/x-tgz", PX_WAF_F_GZIP},
	{"application/x-7z-compressed", PX_WAF_F_7Z},
	{"audio/mpeg", PX_WAF_F_MP3}, {"audio/mp3", PX_WAF_F_MP3},
	{"audio/ogg", PX_WAF_F_OGG}, {"audio/opus", PX_WAF_F_OGG},
	{"application/ogg", PX_WAF_F_OGG},
	{"audio/vorbis", PX_WAF_F_OGG}, {"audio/x-vorbis+ogg", PX_WAF_F_OGG},
	{"audio/x-opus+ogg", PX_WAF_F_OGG},
	{"audio/wav", PX_WAF_F_WAV}, {"audio/x-wav", PX_WAF_F_WAV}, {"audio/wave", PX_WAF_F_WAV},
	{"audio/vnd.wave", PX_WAF_F_WAV},
	{"audio/flac", PX_WAF_F_FLAC}, {"audio/x-flac", PX_WAF_F_FLAC},
	{"audio/aac", PX_WAF_F_AAC}, {"audio/x-aac", PX_WAF_F_AAC}, {"audio/aacp", PX_WAF_F_AAC},
	{"audio/x-hx-aac-adts", PX_WAF_F_AAC},
	{"video/mp4", PX_WAF_F_MP4}, {"audio/mp4", PX_WAF_F_MP4}, {"audio/x-m4a", PX_WAF_F_MP4},
	{"audio/m4a", PX_WAF_F_MP4}, {"video/x-m4v", PX_WAF_F_MP4},
	{"video/quicktime", PX_WAF_F_MP4},
	{"video/webm", PX_WAF_F_WEBM}, {"audio/webm", PX_WAF_F_WEBM},
	{"application/octet-stream", PX_WAF_F_NONE},
};

enum px_waf_ftype px_waf_ftype_ctype(const char *ct, size_t n)
{
	struct px_mediatype mt;
	size_t i;

	(void)px_mediatype_parse(ct, n, &mt);
	if (mt.essence.len == 0) {
		while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
			n--;
		return n == 0 ? PX_WAF_F_NONE : PX_WAF_F_OTHER;
	}
	for (i = 0; i < sizeof(ct_map) / sizeof(ct_map[0]); i++)
		if (px_mediatype_is(&mt, ct_map[i].ct))
			return ct_map[i].t;
	return PX_WAF_F_OTHER;
}

/* Kind named by libmagic's MIME type. Markup that browsers run and
 * server-side scripts are OTHER even though they are text. */
static enum px_waf_ftype ftype_mime(const char *mime)
{
	static const char *const active[] = {
		"text/html", "application/xhtml+xml", "image/svg+xml", "text/x-php",
		"application/x-php", "application/x-httpd-php",
	};
	size_t i;

	for (i = 0; i < sizeof(active) / sizeof(active[0]); i++)
		if (strcmp(mime, active[i]) == 0)
			return PX_WAF_F_OTHER;
	if (strncmp(mime, "text/", 5) == 0)
		return PX_WAF_F_TEXT;
	return px_waf_ftype_ctype(mime, strlen(mime));
}

enum px_waf_ftype px_waf_ftype_content(const char *b, size_t n)
{
	enum px_waf_ftype own = px_waf_ftype_sniff(b, n), lm;
	size_t tag = px_waf_ftype_id3_len(b, n);
	char mime[128];

	/* an empty file has no content to name (libmagic: "application/x-empty") */
	if (own == PX_WAF_F_OTHER || n == 0)
		return own;
	if (tag) {
		if (tag + 4 > n)
			return own; /* only the tag is in view: nothing to judge */
		b += tag;
		n -= tag;
	}
	if (px_waf_magic_mime(b, n, mime, sizeof(mime)) != 0)
		return own;
	lm = ftype_mime(mime);
	/* libmagic names OOXML only when its parts come first */
	if (own == PX_WAF_F_OOXML && lm == PX_WAF_F_ZIP)
		return own;
	return lm == own ? own : PX_WAF_F_OTHER;
}
