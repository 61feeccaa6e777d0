/* search.h: /api/v1/search and /api/v1/channels/{id}/messages/search. */
#ifndef PX_H_SEARCH_H
#define PX_H_SEARCH_H

#include "core/ctx.h"

enum px_err px_h_search(struct px_ctx *ctx);
enum px_err px_h_search_channel(struct px_ctx *ctx);

/* A parsed query: free words plus in:, from:, before:, after:, is:pinned. */
struct px_search_query {
	char words[1024];       /* newline-separated */
	char in_name[81];
	char from[65];
	char before[11], after[11];
	int pinned;
	int nwords;
};

/* Parses the query text s into *q. VALIDATION_FIELD_FORMAT (*bad names
 * the filter) for a malformed date or unknown is: value;
 * VALIDATION_FIELD_LENGTH for more than 10 words or a word over 64 bytes. */
enum px_err px_search_parse(const char *s, struct px_search_query *q,
			    const char **bad);

#endif
