/* waf_corpus.h: loads the shared WAF corpus (JSON Lines, one labelled
 * HTTP request per line) into px_request structs built exactly as the
 * corpus README's wire format says (Content-Length and Connection added),
 * for the in-process benchmarks and tests. */
#ifndef PX_WAF_CORPUS_H
#define PX_WAF_CORPUS_H

#include <stddef.h>

#include "core/http.h"

struct px_corpus_entry {
	char id[64];
	char cls[32];
	int expect_block;
	struct px_request req;
	size_t wire_bytes;   /* size of the request on the wire */
	char *raw_body;      /* decoded body bytes (same as req.body) */
};

struct px_corpus {
	struct px_corpus_entry *e;
	size_t n;
};

/* Loads path; returns 0, or -1 with a message in err. */
int px_corpus_load(const char *path, struct px_corpus *c, struct px_buf *err);
void px_corpus_free(struct px_corpus *c);

#endif
