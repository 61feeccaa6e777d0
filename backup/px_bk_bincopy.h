/* px_bk_bincopy.h: binary COPY streams, as the dumper stores tables.
 *
 * PostgreSQL spends most of a text dump formatting values (timestamps above
 * all); in binary it only copies them. The dumper therefore reads binary
 * COPY and stores it delta-coded (px_bk_delta_encode, below), and restore
 * turns the decoded rows into text COPY (px_bk_bincopy_feed), which loads
 * into the same or a newer major version. Only the types below are read in
 * binary; the dump query hands every other column over already formatted
 * by its own output function (see px_bk_dump.c), which arrives here as
 * PX_BK_COL_OTHER and is treated as text.
 *
 * The text written is not byte for byte what the server's text COPY
 * writes (timestamps are always in UTC with six fraction digits, doubles
 * with 17 significant digits), but it loads back to the same values. */
#ifndef PX_BK_BINCOPY_H
#define PX_BK_BINCOPY_H

#include "core/buf.h"

#include <stddef.h>
#include <stdint.h>

enum px_bk_col {
	PX_BK_COL_TEXT,          /* text, varchar, name, json and pre-formatted */
	PX_BK_COL_BOOL,
	PX_BK_COL_INT2,
	PX_BK_COL_INT4,
	PX_BK_COL_INT8,
	PX_BK_COL_FLOAT8,
	PX_BK_COL_DATE,
	PX_BK_COL_TIMESTAMP,
	PX_BK_COL_TIMESTAMPTZ,
	PX_BK_COL_JSONB,
	PX_BK_COL_OTHER          /* no binary reading: the query formats it */
};

/* The reading for a column of type oid (a built-in type's fixed oid). */
enum px_bk_col px_bk_col_for_oid(unsigned oid);
/* The reading's name as kept in manifests ("int8", "text", ...), and back:
 * -1 for an unknown name. */
const char *px_bk_col_name(enum px_bk_col c);
int px_bk_col_parse(const char *name);

struct px_bk_bincopy {
	const enum px_bk_col *cols;   /* per column, PX_BK_COL_OTHER excluded */
	int ncols;
	int header_done, trailer_seen;
	long long rows;
};

/* cols must outlive b. */
void px_bk_bincopy_init(struct px_bk_bincopy *b, const enum px_bk_col *cols, int ncols);

/* Converts whole units of the stream (the first call's bytes start with
 * the file header) and appends the text rows to out. -1 on anything that is not a well-formed
 * binary COPY of ncols columns of the declared types. */
int px_bk_bincopy_feed(struct px_bk_bincopy *b, const char *msg, size_t n,
		       struct px_buf *out);

/* Delta coding, the form in which the dumper stores a table's binary COPY:
 * the header and each tuple's field count stay as they are; every field
 * becomes one code (0x00 for NULL, otherwise a varint: bit 0 set, then six
 * and seven bits a byte), which for a fixed-width integer, date or
 * timestamp column holds the zigzagged difference from the column's
 * previous non-NULL value (modulo its width), and for any other column the
 * length before its bytes. Ascending keys and times, twelve bytes apiece
 * in binary COPY, shrink to one to four; the stream is about 15% shorter
 * than the binary one and compresses 6% smaller, and the dumper formats
 * nothing. Exact and reversible; the state runs over one stream.
 *
 * A stream may be coded in parts (block ranges of one table read on several
 * connections) and joined into exactly the stream a single pass codes:
 * the first part keeps the header, the last the trailer (the flags
 * below), and a part after the first does not know the values its
 * columns step from. Such a part (PX_BK_DELTA_JOIN) leaves out the code
 * of each delta column's first non-NULL value and records where it
 * belongs (a px_bk_delta_fix); whoever joins the parts writes it there
 * with px_bk_delta_code, stepping from the previous parts' last values. */
enum {
	PX_BK_DELTA_NO_HEADER = 1,    /* the header is read but not written */
	PX_BK_DELTA_NO_TRAILER = 2,   /* the trailer is read but not written */
	PX_BK_DELTA_JOIN = 4          /* previous values unknown: record fixes */
};

struct px_bk_delta_fix {
	uint64_t at;      /* offset in the part's coded bytes the code goes at */
	uint64_t value;   /* the column's value, as stored in prev */
	int col;
};

struct px_bk_delta {
	const enum px_bk_col *cols;
	int ncols;
	int header_done, trailer_seen;
	long long rows;
	uint64_t *prev;      /* per column; owned */
	int flags;           /* PX_BK_DELTA_*; set after init */
	/* PX_BK_DELTA_JOIN: seen[i] once column i had a non-NULL value;
	 * fix (ncols entries, the caller's) receives nfix fixes in order */
	unsigned char *seen; /* owned */
	struct px_bk_delta_fix *fix;
	int nfix;
	uint64_t emitted;    /* coded bytes written so far */
};

/* cols must outlive d. 0, or -1 out of memory. */
int px_bk_delta_init(struct px_bk_delta *d, const enum px_bk_col *cols, int ncols);
/* Appends the code of value v of a column of reading c that steps from
 * prev: what a part's fix stands for. */
void px_bk_delta_code(enum px_bk_col c, uint64_t prev, uint64_t v, struct px_buf *out);
void px_bk_delta_free(struct px_bk_delta *d);
/* Codes one CopyData message of whole units (the first carries the file
 * header) onto out. -1 when it is not a binary COPY of ncols columns of
 * the declared widths. */
int px_bk_delta_encode(struct px_bk_delta *d, const void *msg, size_t n, struct px_buf *out);
/* Decodes the whole units at the start of the n coded bytes at p back into
 * binary COPY on out, returning how many bytes they took: a tuple cut off
 * at the end is left for the next call, with more bytes. -1 when the
 * bytes are malformed. */
long px_bk_delta_decode(struct px_bk_delta *d, const void *p, size_t n, struct px_buf *out);

#endif
