/* multipart.h: a streaming reader of multipart/form-data bodies (RFC 7578).
 *
 * The body comes through a read callback and passes through one window of
 * PX_MULTIPART_WINDOW bytes: part headers are parsed into small strings,
 * part bodies are handed to a sink in pieces, so a body of any size costs
 * the same memory. One reader serves the pipeline (the text fields of a
 * streamed form's first bytes, px_multipart_prefix_form), the upload route
 * of the files API and the channel composer's form. */
#ifndef PX_MULTIPART_H
#define PX_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct px_request;

/* Big enough for a part's header block and a delimiter together. */
#define PX_MULTIPART_WINDOW (128 * 1024)

/* Up to n bytes of the body into p: the count, 0 at its end, -1 when it
 * ended before its declared length (a broken connection). */
typedef long (*px_multipart_read_fn)(void *arg, void *p, size_t n);
/* Takes n bytes of a part's body; any error stops the reader with it. */
typedef enum px_err (*px_multipart_sink_fn)(void *arg, const void *p, size_t n);

struct px_multipart {
	px_multipart_read_fn read;
	void *arg;
	char *win;          /* the window, PX_MULTIPART_WINDOW bytes */
	size_t len;         /* bytes in it */
	uint64_t consumed;  /* body bytes before win[0] */
	int eof;            /* 1: read said 0, -1: read said -1 */
	int state;          /* where the reader stands (multipart.c) */
	char delim[80];     /* "\r\n--" boundary */
	size_t dl;
};

/* One part's headers; strings are "" when absent, never NULL after a
 * successful px_multipart_next. */
struct px_multipart_part {
	struct px_buf name;     /* the field name of Content-Disposition */
	struct px_buf filename; /* as sent: not normalised, not decoded */
	int has_filename;       /* a file part (filename="" included) */
	struct px_buf type;     /* the part's Content-Type */
};

/* Starts reading a body of content_type (multipart/form-data with a
 * boundary of 1..70 characters, else VALIDATION_CONTENT_TYPE) from read.
 * Allocates the window (SYSTEM_INTERNAL when out of memory); release it
 * with px_multipart_close, also after a failure. */
enum px_err px_multipart_open(struct px_multipart *m, const char *content_type,
			      px_multipart_read_fn read, void *arg)
	__attribute__((warn_unused_result));

/* Moves to the next part (dropping what is left of the current one's body)
 * and reads its headers into p. *end is 1, and p untouched, at the closing
 * delimiter. FILES_MULTIPART_INVALID when the body is malformed or ends
 * before the closing delimiter, VALIDATION_BODY_INCOMPLETE when read
 * reported a short body. */
enum px_err px_multipart_next(struct px_multipart *m, struct px_multipart_part *p, int *end)
	__attribute__((warn_unused_result));

/* Hands the current part's body to sink (NULL: dropped) and consumes the
 * delimiter after it. Errors as px_multipart_next, or the sink's. */
enum px_err px_multipart_body(struct px_multipart *m, px_multipart_sink_fn sink, void *arg)
	__attribute__((warn_unused_result));

/* Body bytes consumed so far: after px_multipart_body, the offset just past
 * the delimiter that ended the part. */
uint64_t px_multipart_offset(const struct px_multipart *m);

void px_multipart_part_free(struct px_multipart_part *p);
void px_multipart_close(struct px_multipart *m);

/* The text fields of a multipart/form-data body of which r->body holds
 * the first bytes (all of it when r->body_partial is 0): every part
 * without a filename whose delimiter ends within those bytes is added to
 * r->form, in order. A body that is malformed within those bytes, or a
 * part cut at their end, ends the list without an error: the handler that
 * reads the whole body reports it. VALIDATION_INVALID_ENCODING for a field
 * that is not UTF-8 or holds a NUL, VALIDATION_MALFORMED_QUERY past
 * PX_MAX_PARAMS fields. */
enum px_err px_multipart_prefix_form(struct px_request *r)
	__attribute__((warn_unused_result));

#endif
