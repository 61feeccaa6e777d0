/* px_bk_psql.h: pg_dump's plain-format script text made fit for libpq.
 * pg_dump writes psql meta-commands (\connect, \restrict KEY,
 * \unrestrict KEY) between statements; libpq does not understand them and
 * the \restrict key is random per run, so the backup drops them. Only
 * lines that start with a backslash at the top level of the SQL are
 * meta-commands: inside a string literal, a quoted identifier, a
 * dollar-quoted body or a comment, a backslash or an empty line is data. */
#ifndef PX_BK_PSQL_H
#define PX_BK_PSQL_H

#include <stddef.h>

#include "core/buf.h"

/* Appends text[0..len) to out without its meta-command lines, keeping
 * every other byte (empty lines included) as it was. The text is read as
 * pg_dump writes it, with standard_conforming_strings on: backslashes
 * escape only inside E'...' literals. Returns 0, or -1 when out failed
 * (out->failed is set; out is the caller's to free either way). */
int px_bk_psql_strip_meta(const char *text, size_t len, struct px_buf *out)
	__attribute__((warn_unused_result));

#endif
