/* px_bk_bincopy.h: rows of a binary COPY turned into text COPY rows.
 *
 * PostgreSQL spends most of a dump formatting values as text (timestamps
 * above all); in binary it only copies them. The dumper therefore asks for
 * binary COPY and writes text COPY itself, so backups stay text (portable
 * across major versions, compressing as well as pg_dump's) while the
 * server does less work. Only the types below are read in binary; the
 * query hands every other column over already formatted by its own output
 * function (see px_bk_dump.c), which arrives here as PX_BK_COL_TEXT.
 *
 * The text written is not byte for byte what the server's text COPY
 * writes (timestamps are always in UTC with six fraction digits, doubles
 * with 17 significant digits), but it loads back to the same values. */
#ifndef PX_BK_BINCOPY_H
#define PX_BK_BINCOPY_H

#include "buf.h"

#include <stddef.h>

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

struct px_bk_bincopy {
	const enum px_bk_col *cols;   /* per column, PX_BK_COL_OTHER excluded */
	int ncols;
	int header_done, trailer_seen;
	long long rows;
};

/* cols must outlive b. */
void px_bk_bincopy_init(struct px_bk_bincopy *b, const enum px_bk_col *cols, int ncols);

/* Converts one CopyData message (the first carries the file header) and
 * appends the text rows to out. -1 on anything that is not a well-formed
 * binary COPY of ncols columns of the declared types. */
int px_bk_bincopy_feed(struct px_bk_bincopy *b, const char *msg, size_t n,
		       struct px_buf *out);

#endif
