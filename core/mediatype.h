/* mediatype.h: the one parser of media types ("type/subtype; name=value;
 * name2="quoted""), RFC 9110 section 8.3.1, for Content-Type values of
 * requests and of multipart parts. The HTTP layer and the WAF both decide
 * how to read a body from its result, so that no Content-Type can be read
 * one way by one and another way by the other. */
#ifndef PX_MEDIATYPE_H
#define PX_MEDIATYPE_H

#include <stddef.h>

#include "core/buf.h"

/* Longest charset or boundary value kept (RFC 2046 allows 70 for a
 * boundary, IANA 40 for a charset name). */
#define PX_MT_VALUE_MAX 127

struct px_mediatype {
	/* Views into the parsed text, case as sent (compare with
	 * px_mediatype_is): "type/subtype" as a whole, and its two halves. All
	 * empty unless type "/" subtype is well formed and followed only by
	 * OWS, then ';' or the end. */
	struct px_str essence, type, subtype;
	/* The first charset parameter, quotes and escapes removed, lower-cased;
	 * "" when absent or longer than PX_MT_VALUE_MAX. */
	char charset[PX_MT_VALUE_MAX + 1];
	/* The first boundary parameter, quotes and escapes removed, case kept;
	 * "" when absent or longer than PX_MT_VALUE_MAX. */
	char boundary[PX_MT_VALUE_MAX + 1];
	size_t boundary_len;
	/* How many charset and boundary parameters there were (names match
	 * case-insensitively): more than one is ambiguous. */
	unsigned ncharset, nboundary;
};

/* Parses s[0..n) into *mt (which it clears first; it keeps pointers into
 * s). OWS (spaces and tabs) is allowed before the type, around ';' and
 * around '='; type, subtype and parameter names are tokens compared
 * without case; a value is a token or a quoted-string with backslash
 * escapes. A malformed parameter is skipped up to the next ';' outside
 * quotes, so one bad parameter hides none after it. Returns 0 when all of
 * s is well formed, with no duplicate charset or boundary and no value
 * too long to keep; -1 otherwise, *mt then holding what could be read.
 * Callers that only need the type may ignore the result. */
int px_mediatype_parse(const char *s, size_t n, struct px_mediatype *mt);

/* 1 when mt is `want`, "type/subtype" compared without case, where a
 * subtype of "*" matches any (want "image/" "*"); 0 otherwise, and always
 * when mt has no type. */
int px_mediatype_is(const struct px_mediatype *mt, const char *want);

/* 1 when mt's subtype ends in the structured-syntax suffix `suffix` (RFC
 * 6838 section 4.2.8), e.g. "+json" for application/problem+json. */
int px_mediatype_suffix(const struct px_mediatype *mt, const char *suffix);

#endif
