/* px_pl_catalog.h: plugin catalogues. A catalogue is an index file
 * (index.json, signed as index.json.sig) listing plugin versions: each
 * with its manifest, where its package is, the package's SHA-256 and
 * the package's own signature. Reading one here checks its form; the
 * caller checks the index's signature before and each package's hash
 * and signature after downloading it. Format: docs/PLUGIN_DEVELOPMENT.md. */
#ifndef PX_PL_CATALOG_H
#define PX_PL_CATALOG_H

#include <stddef.h>

#include "core/buf.h"
#include "plugins/px_pl_manifest.h"
#include "plugins/px_pl_sig.h"

#define PX_PL_URL_MAX 1024
#define PX_PL_CATALOG_MAX 4096 /* versions in one index */

struct px_pl_entry {
	struct px_pl_manifest m;
	char url[PX_PL_URL_MAX];        /* absolute: https:// or file:// */
	char sha256[65];                /* of the package */
	unsigned char sig[PX_PL_SIG_LEN];
};

struct px_pl_catalog {
	int n;
	struct px_pl_entry *v;          /* malloc'ed, n entries */
};

/* Parses index text[0..len) fetched from index_url (package URLs may be
 * relative to it) into *c, appending to what c holds. 0, or -1 with the
 * first problem in err ("plugins[3].sha256: ..."). */
int px_pl_catalog_parse(const char *text, size_t len, const char *index_url,
			struct px_pl_catalog *c, struct px_buf *err)
	__attribute__((nonnull, warn_unused_result));

/* Frees the entries; c is empty again. */
void px_pl_catalog_free(struct px_pl_catalog *c) __attribute__((nonnull));

#endif
