/* waf_input.c: the WAF's own tolerant, bounded walk over a raw request.
 * It never trusts the regular parsers' results, so a request they refused
 * (bad escapes, invalid JSON, broken multipart) is still inspected. */
#include "waf/waf_input.h"
#include "waf/waf_norm.h"
#include "core/codec.h"
#include "core/mediatype.h"
#include "core/utf8.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char *const flag_names[] = {
	"method", "path_form", "path_chars", "body_on_get", "content_encoding",
	"transfer_encoding", "te_with_cl", "header_count", "header_size",
	"headers_total", "forbidden_header", "content_type_missing",
	"content_type_forbidden", "charset", "body_too_large", "json_invalid",
	"json_deep", "params_many", "param_long", "form_invalid",
	"multipart_no_boundary", "multipart_dup_boundary",
	"multipart_unterminated", "multipart_parts", "multipart_bad_part",
	"multipart_dup_filename", "range", "bad_escape", "bad_utf8", "host",
	"xml_encoding", "query_chars", "content_length_mismatch",
	"multipart_epilogue",
};

static const struct {
	const char *name;
	unsigned bit;
} norm_flag_names[] = {
	{"nul", PX_WAF_N_NUL}, {"escape", PX_WAF_N_BAD_ESCAPE},
	{"overlong", PX_WAF_N_OVERLONG}, {"utf8", PX_WAF_N_BAD_UTF8},
	{"multi_decode", PX_WAF_N_MULTI_DECODE}, {"pct_u", PX_WAF_N_PCT_U},
	{"ctrl", PX_WAF_N_CTRL}, {"lowbyte_crlf", PX_WAF_N_LOWBYTE_CRLF},
	{"entity", PX_WAF_N_ENTITY}, {"crlf", PX_WAF_N_CRLF},
	{"folded", PX_WAF_N_FOLDED},
};

uint64_t px_waf_flag_bit(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(norm_flag_names) / sizeof(norm_flag_names[0]); i++)
		if (strcmp(name, norm_flag_names[i].name) == 0)
			return norm_flag_names[i].bit;
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (strcmp(name, flag_names[i]) == 0)
			return PX_WAF_R(i);
	return 0;
}

const char *px_waf_flag_name(uint64_t bit)
{
	size_t i;

	for (i = 0; i < sizeof(norm_flag_names) / sizeof(norm_flag_names[0]); i++)
		if (bit == norm_flag_names[i].bit)
			return norm_flag_names[i].name;
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (bit == PX_WAF_R(i))
			return flag_names[i];
	return "?";
}

const char *px_waf_header(const struct px_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->headers.n; i++)
		if (strcasecmp(req->headers.items[i].name, name) == 0)
			return req->headers.items[i].value;
	return NULL;
}

struct walk {
	const struct px_waf_ruleset *rs;
	const struct px_waf_profile *prof;
	const struct px_request *req;
	px_waf_emit_fn emit;
	void *ctx;
	uint64_t *flags;
	struct px_buf *s; /* three scratch buffers */
	size_t nvalues;
	const char *ct;          /* the request's Content-Type, or NULL */
	struct px_mediatype mt;  /* ct parsed, as the HTTP layer parses it */
};

static int emit(struct walk *w, enum px_waf_loc loc, const char *name,
		size_t nlen, const char *val, size_t len, int decoded)
{
	struct px_waf_value v;

	memset(&v, 0, sizeof(v));
	v.loc = loc;
	v.name = name;
	v.name_len = nlen;
	v.val = val;
	v.len = len;
	v.decoded = decoded;
	return w->emit(w->ctx, &v);
}

/* --- XML, also base64-wrapped (SAML responses and the like) ---------- */

static int looks_xml(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	if (n >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
	    (unsigned char)s[2] == 0xBF)
		s += 3, n -= 3;
	return n >= 5 && (strncasecmp(s, "<?xml", 5) == 0 ||
			  (n >= 9 && strncasecmp(s, "<!doctype", 9) == 0) ||
			  strncasecmp(s, "<saml", 5) == 0);
}

/* Whether a body or part of this type may hold XML: any subtype naming
 * it as a word in any case (xml, soap+xml, XML-DTD...), so XML is
 * inspected as XML; "openxmlformats" (a ZIP: docx, xlsx, pptx) is not. */
static int xml_type(const struct px_mediatype *mt)
{
	const char *s = mt->subtype.ptr;
	size_t i, n = mt->subtype.len;

	for (i = 0; i + 3 <= n; i++)
		if (strncasecmp(s + i, "xml", 3) == 0 &&
		    (i == 0 || !isalpha((unsigned char)s[i - 1])) &&
		    (i + 3 == n || !isalpha((unsigned char)s[i + 3])))
			return 1;
	return 0;
}

/* A long all-base64 value that decodes to XML is inspected as XML too. */
static int maybe_b64_xml(struct walk *w, const char *name, size_t nlen,
			 const char *val, size_t len)
{
	if (len < 32 || len > 4 * 1024 * 1024)
		return 0;
	px_buf_reset(&w->s[2]);
	if (px_codec_b64_decode(val, len, PX_CODEC_B64_LENIENT, &w->s[2]) != 0 ||
	    !looks_xml(w->s[2].data, w->s[2].len))
		return 0;
	return emit(w, PX_WAF_L_XML, name, nlen, w->s[2].data, w->s[2].len, 0);
}

/* --- urlencoded (query and form) -------------------------------------- */

static int field(struct walk *w, enum px_waf_loc loc, const char *name,
		 size_t nlen, const char *val, size_t len, int decoded)
{
	if (++w->nvalues > w->rs->set.max_params) {
		*w->flags |= PX_WAF_R(PX_WAF_R_PARAMS_MANY_I);
		return 1;
	}
	if (len > w->rs->set.max_param_bytes && loc != PX_WAF_L_JSON &&
	    loc != PX_WAF_L_MULTIPART && loc != PX_WAF_L_FORM)
		*w->flags |= PX_WAF_R(PX_WAF_R_PARAM_LONG_I);
	if (nlen && emit(w, PX_WAF_L_NAME, name, nlen, name, nlen, decoded))
		return 1;
	if (emit(w, loc, name, nlen, val, len, decoded))
		return 1;
	return maybe_b64_xml(w, name, nlen, val, len);
}

static int walk_urlencoded(struct walk *w, enum px_waf_loc loc, const char *s,
			   size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t end = i, eq;

		while (end < n && s[end] != '&')
			end++;
		for (eq = i; eq < end && s[eq] != '='; eq++)
			;
		if (end > i) {
			unsigned f;

			px_buf_reset(&w->s[0]);
			px_buf_reset(&w->s[1]);
			f = px_waf_url_decode(s + i, eq - i, 1, &w->s[1]);
			if (eq < end)
				f |= px_waf_url_decode(s + eq + 1, end - eq - 1, 1, &w->s[0]);
			if (f & PX_WAF_N_BAD_ESCAPE)
				*w->flags |= PX_WAF_R(PX_WAF_R_BAD_ESCAPE_I);
			if (!px_utf8_valid(w->s[0].data ? w->s[0].data : "", w->s[0].len) ||
			    !px_utf8_valid(w->s[1].data ? w->s[1].data : "", w->s[1].len)) {
				/* NULs are reported by the normaliser; anything else is bad UTF-8. */
				if (!(f & PX_WAF_N_NUL))
					*w->flags |= PX_WAF_R(PX_WAF_R_BAD_UTF8_I);
			}
			if (field(w, loc, w->s[1].data ? w->s[1].data : "", w->s[1].len,
				  w->s[0].data ? w->s[0].data : "", w->s[0].len, 1))
				return 1;
		}
		i = end + 1;
	}
	return 0;
}

/* --- JSON --------------------------------------------------------------- */

struct jframe {
	int is_obj;
	size_t key_off, key_len; /* in s[1] */
};

#define JSON_STACK 256

/* Parses the string at s[*i] (on the quote) into out; 0 on error. */
static int json_string(const char *s, size_t n, size_t *i, struct px_buf *out)
{
	size_t p = *i + 1;

	while (p < n) {
		unsigned char c = (unsigned char)s[p];

		if (c == '"') {
			*i = p + 1;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c != '\\') {
			size_t q = p + 1;

			while (q < n && s[q] != '"' && s[q] != '\\' && (unsigned char)s[q] >= 0x20)
				q++;
			px_buf_append(out, s + p, q - p);
			p = q;
			continue;
		}
		if (p + 1 >= n)
			return 0;
		switch (s[p + 1]) {
		case '"': px_buf_putc(out, '"'); break;
		case '\\': px_buf_putc(out, '\\'); break;
		case '/': px_buf_putc(out, '/'); break;
		case 'b': px_buf_putc(out, '\b'); break;
		case 'f': px_buf_putc(out, '\f'); break;
		case 'n': px_buf_putc(out, '\n'); break;
		case 'r': px_buf_putc(out, '\r'); break;
		case 't': px_buf_putc(out, '\t'); break;
		case 'u': {
			unsigned long v, lo;

			if (px_codec_hex_num(s + p + 2, n - p - 2, 4, &v) != 0)
				return 0;
			if (v >= 0xD800 && v <= 0xDBFF && p + 12 <= n && s[p + 6] == '\\' &&
			    s[p + 7] == 'u' && px_codec_hex_num(s + p + 8, n - p - 8, 4, &lo) == 0 &&
			    lo >= 0xDC00 && lo <= 0xDFFF) {
				v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
				p += 6;
			}
			if (v == 0)
				px_buf_putc(out, '\0');
			else
				px_waf_utf8_put(out, (long)v);
			p += 4;
			break;
		}
		default:
			return 0;
		}
		p += 2;
	}
	return 0;
}

static size_t skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

static int walk_json(struct walk *w, const char *s, size_t n)
{
	struct jframe st[JSON_STACK];
	size_t depth = 0, i = 0, maxd = w->rs->set.max_json_depth;
	int want_key = 0, rc = 0;

	if (maxd >= JSON_STACK)
		maxd = JSON_STACK - 1;
	px_buf_reset(&w->s[1]);
	for (;;) {
		i = skip_ws(s, n, i);
		if (i >= n)
			goto invalid;
		if (want_key) {
			size_t off = w->s[1].len;

			if (s[i] == '}' ) {
				want_key = 0;
				goto close;
			}
			if (s[i] != '"' || !json_string(s, n, &i, &w->s[1]))
				goto invalid;
			st[depth].key_off = off;
			st[depth].key_len = w->s[1].len - off;
			/* an empty first key leaves the buffer unallocated */
			if (field(w, PX_WAF_L_NAME, NULL, 0,
				  w->s[1].data ? w->s[1].data + off : "",
				  w->s[1].len - off, 0)) {
				rc = 1;
				goto out;
			}
			i = skip_ws(s, n, i);
			if (i >= n || s[i] != ':')
				goto invalid;
			i++;
			want_key = 0;
			continue;
		}
		/* A value. */
		if (s[i] == '{' || s[i] == '[') {
			if (depth >= maxd) {
				*w->flags |= PX_WAF_R(PX_WAF_R_JSON_DEEP_I);
				goto out;
			}
			depth++;
			st[depth].is_obj = s[i] == '{';
			st[depth].key_off = depth > 1 ? st[depth - 1].key_off : 0;
			st[depth].key_len = depth > 1 ? st[depth - 1].key_len : 0;
			i++;
			if (st[depth].is_obj) {
				want_key = 1;
				continue;
			}
			i = skip_ws(s, n, i);
			if (i < n && s[i] == ']')
				goto close;
			continue;
		} else if (s[i] == '"') {
			px_buf_reset(&w->s[0]);
			if (!json_string(s, n, &i, &w->s[0]))
				goto invalid;
			if (field(w, PX_WAF_L_JSON,
				  depth && w->s[1].data ? w->s[1].data + st[depth].key_off : NULL,
				  depth ? st[depth].key_len : 0,
				  w->s[0].data ? w->s[0].data : "", w->s[0].len, 0)) {
				rc = 1;
				goto out;
			}
		} else {
			size_t st0 = i;

			while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-' ||
					 s[i] == '+' || s[i] == '.'))
				i++;
			if (i == st0)
				goto invalid;
		}
		/* After a value: ',' or a closing bracket. */
		for (;;) {
			i = skip_ws(s, n, i);
			if (depth == 0) {
				if (i != n)
					goto invalid;
				goto out;
			}
			if (i >= n)
				goto invalid;
			if (s[i] == ',') {
				i++;
				want_key = st[depth].is_obj;
				break;
			}
close:
			if (s[i] != (st[depth].is_obj ? '}' : ']'))
				goto invalid;
			i++;
			depth--;
			/* Keys of the closed object are no longer needed. */
			if (depth == 0)
				w->s[1].len = 0;
		}
	}
invalid:
	*w->flags |= PX_WAF_R(PX_WAF_R_JSON_INVALID_I);
out:
	return rc;
}

/* --- multipart ----------------------------------------------------------- */

/* Finds parameter `key` (e.g. "filename") in a Content-Disposition value
 * h[0..n); returns the number of occurrences and the first value (quotes
 * removed, escapes kept). Deliberately naive: it looks for "; key=" even
 * inside quoted strings, as the sloppiest multipart parser would, so a
 * filename hidden in another parameter's value is still seen. */
static int disp_param(const char *h, size_t n, const char *key, const char **val,
		      size_t *len)
{
	size_t kl = strlen(key), i;
	int count = 0;

	for (i = 0; i < n; i++) {
		size_t v, e;

		if (h[i] != ';')
			continue;
		v = i + 1;
		while (v < n && (h[v] == ' ' || h[v] == '\t'))
			v++;
		if (v + kl >= n || strncasecmp(h + v, key, kl) != 0)
			continue;
		v += kl;
		while (v < n && (h[v] == ' ' || h[v] == '\t'))
			v++;
		if (v >= n || h[v] != '=')
			continue;
		v++;
		while (v < n && (h[v] == ' ' || h[v] == '\t'))
			v++;
		if (v < n && h[v] == '"') {
			v++;
			for (e = v; e < n && h[e] != '"'; e++)
				if (h[e] == '\\' && e + 1 < n)
					e++;
		} else {
			for (e = v; e < n && h[e] != ';'; e++)
				;
		}
		if (count++ == 0) {
			*val = h + v;
			*len = e - v;
		}
	}
	return count;
}

static const char *memmem_b(const char *h, size_t hn, const char *nd, size_t nn)
{
	return nn ? memmem(h, hn, nd, nn) : NULL;
}

struct part {
	const char *name, *filename, *filename_star, *ctype;
	size_t name_len, filename_len, filename_star_len, ctype_len;
	int ndisp, nfilename;
};

static void part_headers(struct walk *w, const char *h, size_t n, struct part *p)
{
	size_t i = 0;

	memset(p, 0, sizeof(*p));
	while (i < n) {
		size_t e = i;

		while (e < n && h[e] != '\n')
			e++;
		if (e - i > 20 && strncasecmp(h + i, "content-disposition:", 20) == 0) {
			p->ndisp++;
			disp_param(h + i, e - i, "name", &p->name, &p->name_len);
			p->nfilename += disp_param(h + i, e - i, "filename", &p->filename,
						   &p->filename_len);
			p->nfilename += disp_param(h + i, e - i, "filename*", &p->filename_star,
						   &p->filename_star_len);
		} else if (e - i > 13 && strncasecmp(h + i, "content-type:", 13) == 0) {
			size_t v = i + 13;

			while (v < e && (h[v] == ' ' || h[v] == '\t'))
				v++;
			p->ctype = h + v;
			p->ctype_len = e - v;
			while (p->ctype_len && (p->ctype[p->ctype_len - 1] == '\r' ||
						p->ctype[p->ctype_len - 1] == ' ' ||
						p->ctype[p->ctype_len - 1] == '\t'))
				p->ctype_len--;
		}
		i = e + 1;
	}
	if (p->ndisp != 1 || p->nfilename > 2)
		*w->flags |= PX_WAF_R(PX_WAF_R_MP_BAD_PART_I);
	if (p->nfilename == 2 && p->filename_star)
		*w->flags |= PX_WAF_R(PX_WAF_R_MP_DUP_FILENAME_I);
	if (p->filename && p->filename_len && (p->nfilename > 1))
		*w->flags |= PX_WAF_R(PX_WAF_R_MP_DUP_FILENAME_I);
}

static int emit_file(struct walk *w, const struct part *p, const char *fname,
		     size_t flen, const char *body, size_t blen)
{
	struct px_mediatype mt;
	struct px_waf_value v;

	if (emit(w, PX_WAF_L_FILENAME, p->name, p->name_len, fname, flen, 0))
		return 1;
	memset(&v, 0, sizeof(v));
	v.loc = PX_WAF_L_FILE;
	v.name = p->name;
	v.name_len = p->name_len;
	v.val = body;
	v.len = blen;
	v.filename = fname;
	v.filename_len = flen;
	v.ctype = p->ctype ? p->ctype : "";
	v.ctype_len = p->ctype_len;
	if (w->emit(w->ctx, &v))
		return 1;
	(void)px_mediatype_parse(p->ctype ? p->ctype : "", p->ctype_len, &mt);
	if (looks_xml(body, blen) || xml_type(&mt))
		return emit(w, PX_WAF_L_XML, p->name, p->name_len, body, blen, 0);
	return 0;
}

static int handle_part(struct walk *w, const char *h, size_t hn,
		       const char *body, size_t blen)
{
	struct part p;

	part_headers(w, h, hn, &p);
	if (p.filename || p.filename_star) {
		if (p.filename && emit_file(w, &p, p.filename, p.filename_len, body, blen))
			return 1;
		if (p.filename_star) {
			/* RFC 5987: charset'lang'percent-encoded */
			const char *q = memchr(p.filename_star, '\'', p.filename_star_len);
			const char *q2 = q ? memchr(q + 1, '\'', p.filename_star_len -
						    (size_t)(q + 1 - p.filename_star)) : NULL;
			const char *fs = q2 ? q2 + 1 : p.filename_star;
			size_t fl = p.filename_star_len - (size_t)(fs - p.filename_star);

			px_buf_reset(&w->s[2]);
			px_waf_url_decode(fs, fl, 0, &w->s[2]);
			if (p.filename && (w->s[2].len != p.filename_len ||
					   memcmp(w->s[2].data, p.filename, p.filename_len) != 0))
				*w->flags |= PX_WAF_R(PX_WAF_R_MP_DUP_FILENAME_I);
			if (emit_file(w, &p, w->s[2].data ? w->s[2].data : "", w->s[2].len,
				      body, blen))
				return 1;
		}
		return 0;
	}
	return field(w, PX_WAF_L_MULTIPART, p.name, p.name ? p.name_len : 0, body, blen, 0);
}

/* Whether [p, end) holds only whitespace (line ends after the last part). */
static int blank(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != '\r' && *p != '\n' && *p != ' ' && *p != '\t')
			return 0;
	return 1;
}

static int walk_multipart(struct walk *w, const struct px_mediatype *mt,
			  const char *s, size_t n)
{
	char delim[80];
	const char *p, *end = s + n;
	size_t blen = mt->boundary_len, dl, parts = 0;

	if (blen == 0 || blen > 70) { /* RFC 2046: 1 to 70 characters */
		*w->flags |= PX_WAF_R(PX_WAF_R_MP_NO_BOUNDARY_I);
		return emit(w, PX_WAF_L_BODY, NULL, 0, s, n, 0);
	}
	if (mt->nboundary > 1)
		*w->flags |= PX_WAF_R(PX_WAF_R_MP_DUP_BOUNDARY_I);
	delim[0] = '-';
	delim[1] = '-';
	memcpy(delim + 2, mt->boundary, blen);
	dl = blen + 2;
	p = memmem_b(s, n, delim, dl);
	if (!p) {
		*w->flags |= PX_WAF_R(PX_WAF_R_MP_UNTERMINATED_I);
		return emit(w, PX_WAF_L_BODY, NULL, 0, s, n, 0);
	}
	for (;;) {
		const char *hs, *he, *bs, *next;
		size_t hl;

		p += dl;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
			/* The closing delimiter. Parsers differ on what follows it
			 * (RFC 2046 says ignore it, some read on), so anything but
			 * line ends is flagged, and parts after it inspected too. */
			if (!blank(p + 2, end))
				*w->flags |= PX_WAF_R(PX_WAF_R_MP_EPILOGUE_I);
			p = memmem_b(p + 2, (size_t)(end - p - 2), delim, dl);
			if (!p)
				return 0;
			continue;
		}
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p == '\r')
			p++;
		if (p >= end || *p != '\n')
			break;
		hs = p + 1;
		if (++parts > w->rs->set.max_parts) {
			*w->flags |= PX_WAF_R(PX_WAF_R_MP_PARTS_I);
			return 0;
		}
		he = memmem_b(hs, (size_t)(end - hs), "\r\n\r\n", 4);
		hl = 4;
		{
			const char *lf = memmem_b(hs, (size_t)(end - hs), "\n\n", 2);

			if (lf && (!he || lf < he))
				he = lf, hl = 2;
		}
		if (hs < end && hs[0] == '\n')
			he = hs - 1, hl = 2; /* no headers at all */
		else if (hs + 1 < end && hs[0] == '\r' && hs[1] == '\n')
			he = hs - 2, hl = 4;
		if (!he || he - hs > 8192) {
			*w->flags |= PX_WAF_R(PX_WAF_R_MP_BAD_PART_I);
			break;
		}
		bs = he + hl;
		next = memmem_b(bs, (size_t)(end - bs), delim, dl);
		if (!next) {
			/* a streamed upload shows the WAF only its first bytes:
			 * the closing delimiter lies beyond them */
			if (!w->req->body_partial)
				*w->flags |= PX_WAF_R(PX_WAF_R_MP_UNTERMINATED_I);
			handle_part(w, hs, he > hs ? (size_t)(he - hs) : 0, bs,
				    (size_t)(end - bs));
			return 0;
		}
		{
			const char *be = next;

			if (be > bs && be[-1] == '\n')
				be--;
			if (be > bs && be[-1] == '\r')
				be--;
			if (handle_part(w, hs, he > hs ? (size_t)(he - hs) : 0, bs,
					(size_t)(be - bs)))
				return 1;
		}
		p = next;
	}
	if (!w->req->body_partial)
		*w->flags |= PX_WAF_R(PX_WAF_R_MP_UNTERMINATED_I);
	return 0;
}

/* --- XML bodies ------------------------------------------------------------ */

/* Converts UTF-16 (BOM or zero-byte pattern) to UTF-8 in out; 0 if not UTF-16. */
static int utf16_to_utf8(const char *s, size_t n, struct px_buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	int le;
	size_t i = 0;

	if (n >= 2 && u[0] == 0xFF && u[1] == 0xFE)
		le = 1, i = 2;
	else if (n >= 2 && u[0] == 0xFE && u[1] == 0xFF)
		le = 0, i = 2;
	else if (n >= 4 && u[0] == '<' && u[1] == 0)
		le = 1;
	else if (n >= 4 && u[0] == 0 && u[1] == '<')
		le = 0;
	else
		return 0;
	for (; i + 1 < n; i += 2) {
		long cp = le ? (u[i] | (u[i + 1] << 8)) : ((u[i] << 8) | u[i + 1]);

		if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < n) {
			long lo = le ? (u[i + 2] | (u[i + 3] << 8)) : ((u[i + 2] << 8) | u[i + 3]);

			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 2;
			}
		}
		if (cp == 0)
			px_buf_putc(out, '\0');
		else
			px_waf_utf8_put(out, cp);
	}
	return 1;
}

static int walk_xml(struct walk *w, const char *s, size_t n)
{
	const char *enc;

	px_buf_reset(&w->s[2]);
	if (utf16_to_utf8(s, n, &w->s[2])) {
		s = w->s[2].data ? w->s[2].data : "";
		n = w->s[2].len;
	}
	/* Only encodings every parser agrees on are accepted. */
	enc = n > 5 && strncasecmp(s, "<?xml", 5) == 0 ? memmem_b(s, n < 200 ? n : 200, "encoding", 8) : NULL;
	if (enc) {
		const char *q = enc + 8;
		size_t left = (size_t)(s + n - q);

		while (left && (*q == ' ' || *q == '=' || *q == '"' || *q == '\''))
			q++, left--;
		if (!(left >= 5 && (strncasecmp(q, "utf-8", 5) == 0 || strncasecmp(q, "utf-16", 6) == 0 ||
				    strncasecmp(q, "us-ascii", 8) == 0 ||
				    strncasecmp(q, "iso-8859-1", 10) == 0)))
			*w->flags |= PX_WAF_R(PX_WAF_R_XML_ENCODING_I);
	}
	return emit(w, PX_WAF_L_XML, NULL, 0, s, n, 0);
}

/* --- request-level checks ------------------------------------------------------ */

/* The type is judged as the body walk and the HTTP layer read it: a
 * malformed one (mt->essence empty) is in no list. */
static void check_content_type(struct walk *w, const char *ct,
			       const struct px_mediatype *mt)
{
	const struct px_waf_settings *set = &w->rs->set;

	if (!ct || !*ct) {
		*w->flags |= PX_WAF_R(PX_WAF_R_CT_MISSING_I);
		return;
	}
	if (!px_waf_list_has(set->body_types, set->nbody_types, mt->essence.ptr,
			     mt->essence.len))
		*w->flags |= PX_WAF_R(PX_WAF_R_CT_FORBIDDEN_I);
	if (mt->ncharset > 0 &&
	    !px_waf_list_has(set->charsets, set->ncharsets, mt->charset, strlen(mt->charset)))
		*w->flags |= PX_WAF_R(PX_WAF_R_CHARSET_I);
}

static void check_headers(struct walk *w)
{
	const struct px_request *r = w->req;
	const struct px_waf_settings *set = &w->rs->set;
	size_t i, total = 0;

	if (r->headers.n > set->max_headers)
		*w->flags |= PX_WAF_R(PX_WAF_R_HEADER_COUNT_I);
	for (i = 0; i < r->headers.n; i++) {
		const struct px_kv *kv = &r->headers.items[i];

		total += kv->value_len + strlen(kv->name);
		if (kv->value_len > set->max_header_bytes)
			*w->flags |= PX_WAF_R(PX_WAF_R_HEADER_SIZE_I);
		if (px_waf_list_has(set->forbidden_headers, set->nforbidden_headers,
				    kv->name, strlen(kv->name)))
			*w->flags |= PX_WAF_R(PX_WAF_R_FORBIDDEN_HEADER_I);
	}
	if (total > set->max_headers_total)
		*w->flags |= PX_WAF_R(PX_WAF_R_HEADERS_TOTAL_I);
}

static void check_range(struct walk *w, const char *range)
{
	size_t commas = 0;
	const char *p;

	if (!range)
		return;
	if (strncasecmp(range, "bytes=", 6) != 0) {
		*w->flags |= PX_WAF_R(PX_WAF_R_RANGE_I);
		return;
	}
	for (p = range; *p; p++) {
		if (*p == ',')
			commas++;
		else if (!isdigit((unsigned char)*p) && *p != '-' && *p != ' ' && p >= range + 6)
			*w->flags |= PX_WAF_R(PX_WAF_R_RANGE_I);
	}
	if (commas + 1 > w->rs->set.max_ranges)
		*w->flags |= PX_WAF_R(PX_WAF_R_RANGE_I);
}

static size_t header_count(const struct px_request *r, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < r->headers.n; i++)
		n += strcasecmp(r->headers.items[i].name, name) == 0;
	return n;
}

static void check_request(struct walk *w)
{
	const struct px_request *r = w->req;
	const char *m = r->method ? r->method : "";
	const char *te = px_waf_header(r, "transfer-encoding");
	const char *ce = px_waf_header(r, "content-encoding");
	const char *host = px_waf_header(r, "host");
	const char *rp = r->raw_path ? r->raw_path : "";
	uint64_t *f = w->flags;
	size_t i;

	if (!px_waf_list_has(w->rs->set.methods, w->rs->set.nmethods, m, strlen(m)))
		*f |= PX_WAF_R(PX_WAF_R_METHOD_I);
	if (rp[0] != '/' && !(strcmp(rp, "*") == 0 && strcmp(m, "OPTIONS") == 0))
		*f |= PX_WAF_R(PX_WAF_R_PATH_FORM_I);
	for (i = 0; rp[i]; i++)
		if ((unsigned char)rp[i] <= 0x20 || (unsigned char)rp[i] >= 0x7F)
			*f |= PX_WAF_R(PX_WAF_R_PATH_CHARS_I);
	for (i = 0; r->raw_query && r->raw_query[i]; i++)
		if ((unsigned char)r->raw_query[i] <= 0x20 || (unsigned char)r->raw_query[i] >= 0x7F)
			*f |= PX_WAF_R(PX_WAF_R_QUERY_CHARS_I);
	if ((strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) &&
	    (r->body_len > 0 || r->content_length > 0))
		*f |= PX_WAF_R(PX_WAF_R_BODY_ON_GET_I);
	if (ce && strcasecmp(ce, "identity") != 0)
		*f |= PX_WAF_R(PX_WAF_R_CONTENT_ENCODING_I);
	if (te) {
		*f |= PX_WAF_R(PX_WAF_R_TE_I);
		/* Smuggling needs two framings or two readings of one: a length
		 * too, a coding other than exactly "chunked" (" chunked",
		 * "xchunked", "chunked, identity"), or the header twice. */
		if (r->content_length > 0 || strcasecmp(te, "chunked") != 0 ||
		    header_count(r, "transfer-encoding") > 1)
			*f |= PX_WAF_R(PX_WAF_R_TE_CL_I);
	}
	/* a streamed body (uploads) shows the WAF only its first bytes */
	if (r->content_length && r->body_len && r->content_length != r->body_len &&
	    !r->body_partial)
		*f |= PX_WAF_R(PX_WAF_R_CL_MISMATCH_I);
	if (host) {
		for (i = 0; host[i]; i++)
			if (!isalnum((unsigned char)host[i]) && !strchr(".-:[]_", host[i]))
				*f |= PX_WAF_R(PX_WAF_R_HOST_BAD_I);
	}
	if (r->body_len > w->prof->max_body || r->content_length > w->prof->max_body)
		*f |= PX_WAF_R(PX_WAF_R_BODY_TOO_LARGE_I);
	check_headers(w);
	check_range(w, px_waf_header(r, "range"));
	if (r->body_len > 0)
		check_content_type(w, w->ct, &w->mt);
}

/* --- the walk ---------------------------------------------------------------- */

static int walk_cookies(struct walk *w, const char *s)
{
	while (s && *s) {
		const char *end = strchr(s, ';'), *eq;
		size_t len;

		if (!end)
			end = s + strlen(s);
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		len = (size_t)(end - s);
		eq = memchr(s, '=', len);
		{
			const char *v = eq ? eq + 1 : s;
			size_t vlen = (size_t)(end - v), nlen = eq ? (size_t)(eq - s) : 0;

			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"')
				v++, vlen -= 2;
			if (field(w, PX_WAF_L_COOKIE, s, nlen, v, vlen, 0))
				return 1;
		}
		s = *end ? end + 1 : end;
	}
	return 0;
}

/* Whether a request body of this type is a file in itself (a PUT or
 * POST of an image, say) rather than fields: then it is inspected as an
 * upload, not as text. */
static int file_type(const struct px_mediatype *mt)
{
	return px_mediatype_is(mt, "image/*") || px_mediatype_is(mt, "audio/*") ||
	       px_mediatype_is(mt, "video/*") || px_mediatype_is(mt, "application/pdf") ||
	       px_mediatype_is(mt, "application/octet-stream");
}

/* A raw file body: an upload like a multipart file part, with the name
 * from Content-Disposition (when given) and the request's type. */
static int walk_raw_file(struct walk *w, const char *ct, const char *b, size_t n)
{
	const char *cd = px_waf_header(w->req, "content-disposition");
	struct part p;

	memset(&p, 0, sizeof(p));
	p.ctype = ct;
	p.ctype_len = strlen(ct);
	if (!cd || disp_param(cd, strlen(cd), "filename", &p.filename, &p.filename_len) == 0) {
		p.filename = "";
		p.filename_len = 0;
	}
	return emit_file(w, &p, p.filename, p.filename_len, b, n);
}

/* The body by its declared type, read with px_mediatype_parse as the
 * HTTP layer reads it; then by its content, since a body of any type
 * may be read by something. */
static int walk_body(struct walk *w)
{
	const struct px_request *r = w->req;
	const struct px_mediatype *mt = &w->mt;
	const char *b = r->body ? r->body : "";
	size_t n = r->body_len;

	if (n == 0)
		return 0;
	if (px_mediatype_is(mt, "application/x-www-form-urlencoded")) {
		if (memchr(b, '\0', n))
			*w->flags |= PX_WAF_R(PX_WAF_R_FORM_INVALID_I);
		return walk_urlencoded(w, PX_WAF_L_FORM, b, n);
	}
	if (px_mediatype_is(mt, "multipart/form-data"))
		return walk_multipart(w, mt, b, n);
	/* the middle of a resumable upload (PATCH /api/v1/files/uploads/{id}):
	 * bytes without a type of their own; the assembled file is judged by
	 * content, extension and declared type when it completes */
	if (px_mediatype_is(mt, "application/offset+octet-stream"))
		return 0;
	if (px_mediatype_is(mt, "application/json") ||
	    (px_mediatype_is(mt, "application/*") && px_mediatype_suffix(mt, "+json"))) {
		if (!px_utf8_valid(b, n))
			*w->flags |= PX_WAF_R(PX_WAF_R_BAD_UTF8_I);
		return walk_json(w, b, n);
	}
	if (file_type(mt) || w->prof->body_is_file)
		return walk_raw_file(w, w->ct, b, n);
	if (xml_type(mt) || looks_xml(b, n) ||
	    (n >= 2 && ((unsigned char)b[0] == 0xFF || (unsigned char)b[0] == 0xFE)))
		return walk_xml(w, b, n);
	if (n > 0 && (b[0] == '{' || b[0] == '[')) {
		/* JSON sent under another type is still inspected as JSON. */
		uint64_t keep = *w->flags;
		int rc = walk_json(w, b, n);

		if (!(keep & PX_WAF_R(PX_WAF_R_JSON_INVALID_I)) &&
		    (*w->flags & PX_WAF_R(PX_WAF_R_JSON_INVALID_I)))
			*w->flags = keep; /* not JSON after all: fall through to raw */
		else
			return rc;
	}
	return emit(w, PX_WAF_L_BODY, NULL, 0, b, n, 0);
}

int px_waf_input_walk(const struct px_waf_ruleset *rs,
		      const struct px_waf_profile *prof,
		      const struct px_request *req, px_waf_emit_fn fn,
		      void *ctx, uint64_t *flags, struct px_buf scratch[3])
{
	struct walk w;
	size_t i;

	memset(&w, 0, sizeof(w));
	w.rs = rs;
	w.prof = prof;
	w.req = req;
	w.emit = fn;
	w.ctx = ctx;
	w.flags = flags;
	w.s = scratch;
	w.ct = req->content_type ? req->content_type : px_waf_header(req, "content-type");
	(void)px_mediatype_parse(w.ct ? w.ct : "", w.ct ? strlen(w.ct) : 0, &w.mt);
	check_request(&w);
	if (req->raw_path && emit(&w, PX_WAF_L_PATH, NULL, 0, req->raw_path,
				  strlen(req->raw_path), 0))
		return 1;
	if (req->raw_query && walk_urlencoded(&w, PX_WAF_L_QUERY, req->raw_query,
					      strlen(req->raw_query)))
		return 1;
	for (i = 0; i < req->headers.n && i < rs->set.max_headers * 4; i++) {
		const struct px_kv *kv = &req->headers.items[i];

		if (strcmp(kv->name, "cookie") == 0) {
			if (walk_cookies(&w, kv->value))
				return 1;
			continue;
		}
		if (emit(&w, PX_WAF_L_HEADER, kv->name, strlen(kv->name), kv->value,
			 kv->value_len, 0))
			return 1;
	}
	w.nvalues = 0; /* the body has its own parameter budget */
	return walk_body(&w);
}
