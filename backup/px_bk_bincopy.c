/* px_bk_bincopy.c: binary COPY rows to text COPY rows, and their delta
 * coding (see the header).
 * Binary COPY is big-endian; dates count days and timestamps microseconds
 * from 2000-01-01, with the extremes of their range meaning -infinity and
 * infinity. */
#include "backup/px_bk_bincopy.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SIGNATURE[11] = "PGCOPY\n\377\r\n";   /* and its NUL */

enum px_bk_col px_bk_col_for_oid(unsigned oid)
{
	switch (oid) {
	case 16: return PX_BK_COL_BOOL;
	case 21: return PX_BK_COL_INT2;
	case 23: return PX_BK_COL_INT4;
	case 20: return PX_BK_COL_INT8;
	case 701: return PX_BK_COL_FLOAT8;
	case 1082: return PX_BK_COL_DATE;
	case 1114: return PX_BK_COL_TIMESTAMP;
	case 1184: return PX_BK_COL_TIMESTAMPTZ;
	case 3802: return PX_BK_COL_JSONB;
	case 25:   /* text */
	case 1043: /* varchar */
	case 19:   /* name */
	case 114:  /* json */
		return PX_BK_COL_TEXT;
	default:
		return PX_BK_COL_OTHER;
	}
}

static const char *const col_names[] = {
	[PX_BK_COL_TEXT] = "text", [PX_BK_COL_BOOL] = "bool", [PX_BK_COL_INT2] = "int2",
	[PX_BK_COL_INT4] = "int4", [PX_BK_COL_INT8] = "int8", [PX_BK_COL_FLOAT8] = "float8",
	[PX_BK_COL_DATE] = "date", [PX_BK_COL_TIMESTAMP] = "timestamp",
	[PX_BK_COL_TIMESTAMPTZ] = "timestamptz", [PX_BK_COL_JSONB] = "jsonb",
	[PX_BK_COL_OTHER] = "other",
};

const char *px_bk_col_name(enum px_bk_col c)
{
	return c >= 0 && c <= PX_BK_COL_OTHER ? col_names[c] : "other";
}

int px_bk_col_parse(const char *name)
{
	int i;

	for (i = 0; i <= PX_BK_COL_OTHER; i++)
		if (strcmp(name, col_names[i]) == 0)
			return i;
	return -1;
}

void px_bk_bincopy_init(struct px_bk_bincopy *b, const enum px_bk_col *cols, int ncols)
{
	memset(b, 0, sizeof(*b));
	b->cols = cols;
	b->ncols = ncols;
}

static uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Appends v in decimal. */
static void put_int(struct px_buf *out, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	px_buf_append(out, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* The escape letter for bytes text COPY writes as backslash sequences. */
static char escape_of(unsigned char c)
{
	switch (c) {
	case '\\': return '\\';
	case '\b': return 'b';
	case '\f': return 'f';
	case '\n': return 'n';
	case '\r': return 'r';
	case '\t': return 't';
	case '\v': return 'v';
	default: return 0;
	}
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Whether any of the 8 bytes in w is below 14 (the escaped control bytes
 * are 8 to 13) or a backslash: text is scanned a word at a time and only
 * words with such a byte are looked at byte by byte. */
static int word_may_escape(uint64_t w)
{
	uint64_t bs = w ^ (ONES * '\\');

	return ((((w - ONES * 14) & ~w) | ((bs - ONES) & ~bs)) & HIGHS) != 0;
}

static void put_text(struct px_buf *out, const unsigned char *p, size_t n)
{
	size_t run = 0, i = 0;

	while (i < n) {
		uint64_t w;
		char e;

		if (n - i >= 8) {
			memcpy(&w, p + i, 8);
			if (!word_may_escape(w)) {
				i += 8;
				continue;
			}
		}
		e = escape_of(p[i]);
		if (e) {
			px_buf_append(out, p + run, i - run);
			px_buf_putc(out, '\\');
			px_buf_putc(out, e);
			run = i + 1;
		}
		i++;
	}
	px_buf_append(out, p + run, n - run);
}

/* Civil date of day d counted from 2000-01-01 (proleptic Gregorian,
 * astronomical years: 0 is 1 BC). */
static void civil(int64_t d, int64_t *y, int *m, int *day)
{
	int64_t z = d + 10957 + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Writes v as exactly w decimal digits ending before end; returns the
 * start. */
static char *digits(char *end, int64_t v, int w)
{
	while (w-- > 0) {
		*--end = (char)('0' + v % 10);
		v /= 10;
	}
	return end;
}

/* "YYYY-MM-DD[ HH:MM:SS.ffffff][+00][ BC]" for v microseconds after
 * 2000-01-01 00:00 (with_time) or for day number v. Written by hand: a
 * dump formats millions of these. */
static void put_datetime(struct px_buf *out, int64_t v, int with_time, int utc)
{
	char tmp[64], *p = tmp + sizeof(tmp);
	int64_t day = v, y, yy, tod = 0;
	int m, d, yw = 4;

	if (with_time) {
		const int64_t per_day = 86400000000LL;

		day = v / per_day;
		tod = v % per_day;
		if (tod < 0) {
			tod += per_day;
			day--;
		}
	}
	civil(day, &y, &m, &d);
	if (y <= 0)
		p -= 3, memcpy(p, " BC", 3);
	if (utc)
		p -= 3, memcpy(p, "+00", 3);
	if (with_time) {
		p = digits(p, tod % 1000000, 6);
		*--p = '.';
		p = digits(p, tod / 1000000 % 60, 2);
		*--p = ':';
		p = digits(p, tod / 60000000 % 60, 2);
		*--p = ':';
		p = digits(p, tod / 3600000000LL, 2);
		*--p = ' ';
	}
	p = digits(p, d, 2);
	*--p = '-';
	p = digits(p, m, 2);
	*--p = '-';
	yy = y > 0 ? y : 1 - y;
	while (yw < 19 && yy >= 10000) {   /* years past 9999 take more digits */
		yy /= 10;
		yw++;
	}
	p = digits(p, y > 0 ? y : 1 - y, yw);
	px_buf_append(out, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void put_float8(struct px_buf *out, uint64_t bits)
{
	char tmp[40];
	double v;
	int n;

	memcpy(&v, &bits, sizeof(v));
	if (isnan(v))
		n = snprintf(tmp, sizeof(tmp), "NaN");
	else if (isinf(v))
		n = snprintf(tmp, sizeof(tmp), "%sInfinity", v < 0 ? "-" : "");
	else
		n = snprintf(tmp, sizeof(tmp), "%.17g", v);
	px_buf_append(out, tmp, (size_t)n);
}

/* Appends one field of type t, len bytes at p; -1 when len does not fit. */
static int put_field(struct px_buf *out, enum px_bk_col t, const unsigned char *p,
		     size_t len)
{
	static const size_t width[] = {
		[PX_BK_COL_BOOL] = 1, [PX_BK_COL_INT2] = 2, [PX_BK_COL_INT4] = 4,
		[PX_BK_COL_INT8] = 8, [PX_BK_COL_FLOAT8] = 8, [PX_BK_COL_DATE] = 4,
		[PX_BK_COL_TIMESTAMP] = 8, [PX_BK_COL_TIMESTAMPTZ] = 8,
	};

	if (t != PX_BK_COL_TEXT && t != PX_BK_COL_JSONB && t != PX_BK_COL_OTHER &&
	    len != width[t])
		return -1;
	switch (t) {
	case PX_BK_COL_BOOL:
		px_buf_putc(out, p[0] ? 't' : 'f');
		return 0;
	case PX_BK_COL_INT2:
		put_int(out, (int16_t)be(p, 2));
		return 0;
	case PX_BK_COL_INT4:
		put_int(out, (int32_t)be(p, 4));
		return 0;
	case PX_BK_COL_INT8:
		put_int(out, (int64_t)be(p, 8));
		return 0;
	case PX_BK_COL_FLOAT8:
		put_float8(out, be(p, 8));
		return 0;
	case PX_BK_COL_DATE: {
		int32_t d = (int32_t)be(p, 4);

		if (d == INT32_MIN || d == INT32_MAX)
			px_buf_puts(out, d < 0 ? "-infinity" : "infinity");
		else
			put_datetime(out, d, 0, 0);
		return 0;
	}
	case PX_BK_COL_TIMESTAMP:
	case PX_BK_COL_TIMESTAMPTZ: {
		int64_t v = (int64_t)be(p, 8);

		if (v == INT64_MIN || v == INT64_MAX)
			px_buf_puts(out, v < 0 ? "-infinity" : "infinity");
		else
			put_datetime(out, v, 1, t == PX_BK_COL_TIMESTAMPTZ);
		return 0;
	}
	case PX_BK_COL_JSONB:
		if (len < 1 || p[0] != 1)   /* jsonb's binary format version */
			return -1;
		put_text(out, p + 1, len - 1);
		return 0;
	case PX_BK_COL_TEXT:
	case PX_BK_COL_OTHER:
		put_text(out, p, len);
		return 0;
	}
	return -1;
}

/* Reads the file header at *p (end e) once (*done then set), copying it
 * to out when out is given: 1 when read or already read, 0 when cut off,
 * -1 when it is not a binary COPY header. */
static int copy_header(int *done, const unsigned char **p, const unsigned char *e,
		       struct px_buf *out)
{
	const unsigned char *q = *p;
	uint32_t ext;

	if (*done)
		return 1;
	if (e - q < 19)
		return e - q >= 11 && memcmp(q, SIGNATURE, sizeof(SIGNATURE)) != 0 ? -1 : 0;
	if (memcmp(q, SIGNATURE, sizeof(SIGNATURE)) != 0)
		return -1;
	ext = (uint32_t)be(q + 15, 4);
	if (ext > (1u << 20))
		return -1;
	if ((size_t)(e - q) - 19 < ext)
		return 0;
	if (out)
		px_buf_append(out, q, 19 + ext);
	*p = q + 19 + ext;
	*done = 1;
	return 1;
}

/* Reads a tuple's field count at *p (end e), copying it to out when out is
 * given: 1 at the trailer, 0 when ncols fields follow, -2 when cut off,
 * -1 for another count. */
static int tuple_head(const unsigned char **p, const unsigned char *e, int ncols,
		      struct px_buf *out)
{
	int16_t nf;

	if (e - *p < 2)
		return -2;
	nf = (int16_t)be(*p, 2);
	if (nf != -1 && nf != ncols)
		return -1;
	if (out)
		px_buf_append(out, *p, 2);
	*p += 2;
	return nf == -1;
}

/* Converts the tuple at *p (end e) and advances *p; 1 at the trailer. */
static int tuple(struct px_bk_bincopy *b, const unsigned char **p,
		 const unsigned char *e, struct px_buf *out)
{
	const unsigned char *q = *p;
	int i, head = tuple_head(&q, e, b->ncols, NULL);

	if (head != 0) {
		*p = q;
		return head == 1 ? 1 : -1;
	}
	for (i = 0; i < b->ncols; i++) {
		int32_t len;

		if (e - q < 4)
			return -1;
		len = (int32_t)be(q, 4);
		q += 4;
		if (i)
			px_buf_putc(out, '\t');
		if (len == -1) {
			px_buf_puts(out, "\\N");
			continue;
		}
		if (len < 0 || e - q < len || put_field(out, b->cols[i], q, (size_t)len) != 0)
			return -1;
		q += len;
	}
	px_buf_putc(out, '\n');
	b->rows++;
	*p = q;
	return 0;
}

int px_bk_bincopy_feed(struct px_bk_bincopy *b, const char *msg, size_t n,
		       struct px_buf *out)
{
	const unsigned char *p = (const unsigned char *)msg, *e = p + n;

	if (copy_header(&b->header_done, &p, e, NULL) != 1)
		return -1;
	while (p < e) {
		int rc;

		if (b->trailer_seen)
			return -1;
		rc = tuple(b, &p, e, out);
		if (rc < 0)
			return -1;
		b->trailer_seen = rc == 1;
	}
	return out->failed ? -1 : 0;
}

int px_bk_delta_init(struct px_bk_delta *d, const enum px_bk_col *cols, int ncols)
{
	memset(d, 0, sizeof(*d));
	d->cols = cols;
	d->ncols = ncols;
	d->prev = calloc(ncols > 0 ? (size_t)ncols : 1, sizeof(*d->prev));
	d->seen = calloc(ncols > 0 ? (size_t)ncols : 1, 1);
	return d->prev && d->seen ? 0 : -1;
}

void px_bk_delta_free(struct px_bk_delta *d)
{
	free(d->prev);
	free(d->seen);
	d->prev = NULL;
	d->seen = NULL;
}

/* Width of the columns delta coding applies to; 0 for the others. */
static size_t delta_width(enum px_bk_col c)
{
	switch (c) {
	case PX_BK_COL_INT2: return 2;
	case PX_BK_COL_INT4:
	case PX_BK_COL_DATE: return 4;
	case PX_BK_COL_INT8:
	case PX_BK_COL_TIMESTAMP:
	case PX_BK_COL_TIMESTAMPTZ: return 8;
	default: return 0;
	}
}

static void put_be(unsigned char *p, uint64_t v, size_t n)
{
	while (n--) {
		p[n] = (unsigned char)v;
		v >>= 8;
	}
}

/* A field's code: 0x00 for NULL; otherwise a first byte with bit 0 set,
 * six bits of v and the continuation bit, then LEB128 groups of seven.
 * Writes it at w (at most 10 bytes) and returns the end. */
static unsigned char *code_at(unsigned char *w, uint64_t v)
{
	*w = (unsigned char)(1 | (v & 0x3F) << 1);
	v >>= 6;
	while (v) {
		*w++ |= 0x80;
		*w = (unsigned char)(v & 0x7F);
		v >>= 7;
	}
	return w + 1;
}

static void put_code(struct px_buf *out, uint64_t v)
{
	unsigned char b[10];

	px_buf_append(out, b, (size_t)(code_at(b, v) - b));
}

/* Reads a code at *p (end e): 1 with *v, 0 for NULL, -2 when cut off,
 * -1 when malformed. Advances *p past it unless cut off. */
static int get_code(const unsigned char **p, const unsigned char *e, uint64_t *v)
{
	const unsigned char *q = *p;
	unsigned shift = 6;
	uint64_t x;

	if (q >= e)
		return -2;
	if (!(*q & 1)) {
		if (*q)
			return -1;
		*p = q + 1;
		return 0;
	}
	x = (*q >> 1) & 0x3F;
	while (*q++ & 0x80) {
		if (q >= e)
			return -2;
		if (shift > 62 || (shift == 62 && (*q & 0x7C)))
			return -1;
		x |= (uint64_t)(*q & 0x7F) << shift;
		shift += 7;
	}
	*v = x;
	*p = q;
	return 1;
}

static uint64_t width_mask(size_t w)
{
	return w == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * w)) - 1;
}

/* The code of v stepping from prev in a column w bytes wide: the step as
 * a signed number of that width, zigzagged. */
static uint64_t step_of(size_t w, uint64_t prev, uint64_t v)
{
	uint64_t m = width_mask(w), dl = (v - prev) & m;
	int64_t sd = w < 8 && (dl >> (8 * w - 1)) ? (int64_t)(dl | ~m) : (int64_t)dl;
	uint64_t u = (uint64_t)sd;

	return (u << 1) ^ (0 - (u >> 63));
}

void px_bk_delta_code(enum px_bk_col c, uint64_t prev, uint64_t v, struct px_buf *out)
{
	put_code(out, step_of(delta_width(c), prev, v));
}

/* Codes the binary tuple at *p (end e) at *w, the coded bytes of this
 * call starting at start; 1 at the trailer, 0 for a tuple, -1 when
 * malformed. No field's code is longer than the four length bytes and
 * value it replaces, and a text field's at most one byte more, so the
 * caller's room (see px_bk_delta_encode) is never exceeded. */
static int encode_tuple(struct px_bk_delta *d, const unsigned char **p,
			const unsigned char *e, unsigned char **w, const unsigned char *start)
{
	const unsigned char *q = *p;
	unsigned char *o = *w;
	int16_t nf;
	int i;

	if (e - q < 2)
		return -1;
	nf = (int16_t)be(q, 2);
	if (nf == -1) {   /* the trailer */
		if (!(d->flags & PX_BK_DELTA_NO_TRAILER)) {
			memcpy(o, q, 2);
			*w = o + 2;
		}
		*p = q + 2;
		return 1;
	}
	if (nf != d->ncols)
		return -1;
	memcpy(o, q, 2);
	o += 2;
	q += 2;
	for (i = 0; i < d->ncols; i++) {
		size_t wd = delta_width(d->cols[i]);
		int32_t len;

		if (e - q < 4)
			return -1;
		len = (int32_t)be(q, 4);
		q += 4;
		if (len == -1) {
			*o++ = 0;
			continue;
		}
		if (len < 0 || e - q < len || (wd && (size_t)len != wd))
			return -1;
		if (wd) {
			uint64_t v = be(q, (int)wd);

			if ((d->flags & PX_BK_DELTA_JOIN) && !d->seen[i])
				/* its step is the joiner's to write */
				d->fix[d->nfix++] = (struct px_bk_delta_fix){
					d->emitted + (uint64_t)(o - start), v, i };
			else
				o = code_at(o, step_of(wd, d->prev[i], v));
			d->prev[i] = v;
			d->seen[i] = 1;
		} else {
			o = code_at(o, (uint64_t)len);
			memcpy(o, q, (size_t)len);
			o += len;
		}
		q += len;
	}
	d->rows++;
	*p = q;
	*w = o;
	return 0;
}

int px_bk_delta_encode(struct px_bk_delta *d, const void *msg, size_t n, struct px_buf *out)
{
	const unsigned char *p = msg, *e = p + n;
	size_t base = out->len;
	unsigned char *start, *w;

	if (copy_header(&d->header_done, &p, e,
			(d->flags & PX_BK_DELTA_NO_HEADER) ? NULL : out) != 1)
		return -1;
	/* one reservation for the message: its codes take at most its bytes
	 * and one more per field (a field is at least four bytes) */
	if (px_buf_reserve(out, (size_t)(e - p) + (size_t)(e - p) / 4 + 1) != 0)
		return -1;
	start = (unsigned char *)out->data + base;
	w = (unsigned char *)out->data + out->len;
	while (p < e) {
		int rc;

		if (d->trailer_seen || (rc = encode_tuple(d, &p, e, &w, start)) < 0) {
			out->data[out->len] = '\0';
			return -1;
		}
		d->trailer_seen = rc == 1;
	}
	out->len = (size_t)(w - (unsigned char *)out->data);
	out->data[out->len] = '\0';
	d->emitted += out->len - base;
	return 0;
}

/* Decodes the coded tuple at *p (end e) into out: 1 at the trailer, 0 for
 * a tuple, -2 when it is cut off (out and the state untouched), -1 when
 * malformed. */
static int decode_tuple(struct px_bk_delta *d, const unsigned char **p,
			const unsigned char *e, struct px_buf *out)
{
	const unsigned char *q = *p;
	size_t mark = out->len;
	uint64_t v, vals[64], *val = d->ncols <= 64 ? vals : NULL;
	int i, rc = tuple_head(&q, e, d->ncols, out);

	if (rc != 0) {
		if (rc == 1)
			*p = q;
		return rc;
	}
	/* values land in prev only once the whole tuple is here */
	if (!val && !(val = malloc((size_t)d->ncols * sizeof(*val))))
		return -1;
	for (i = 0; i < d->ncols; i++) {
		size_t w = delta_width(d->cols[i]);
		unsigned char f[12];

		rc = get_code(&q, e, &v);
		if (rc < 0)
			goto cut;
		val[i] = d->prev[i];
		if (rc == 0) {
			px_buf_append(out, "\377\377\377\377", 4);
			continue;
		}
		if (w) {
			int64_t sd = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);

			val[i] = (d->prev[i] + (uint64_t)sd) & width_mask(w);
			put_be(f, w, 4);
			put_be(f + 4, val[i], w);
			px_buf_append(out, f, 4 + w);
		} else {
			if (v > INT32_MAX) {
				rc = -1;
				goto cut;
			}
			if ((uint64_t)(e - q) < v) {
				rc = -2;
				goto cut;
			}
			put_be(f, v, 4);
			px_buf_append(out, f, 4);
			px_buf_append(out, q, (size_t)v);
			q += v;
		}
	}
	memcpy(d->prev, val, (size_t)d->ncols * sizeof(*val));
	if (val != vals)
		free(val);
	d->rows++;
	*p = q;
	return 0;
cut:
	if (val != vals)
		free(val);
	px_buf_truncate(out, mark);
	return rc;
}

long px_bk_delta_decode(struct px_bk_delta *d, const void *p, size_t n, struct px_buf *out)
{
	const unsigned char *q = p, *e = q + n;
	int h = copy_header(&d->header_done, &q, e, out);

	if (h <= 0)
		return h;
	while (q < e) {
		int rc;

		if (d->trailer_seen)
			return -1;
		rc = decode_tuple(d, &q, e, out);
		if (rc == -2)
			break;
		if (rc < 0)
			return -1;
		d->trailer_seen = rc == 1;
	}
	return out->failed ? -1 : (long)(q - (const unsigned char *)p);
}
