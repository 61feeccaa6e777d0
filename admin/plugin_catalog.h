/* admin/plugin_catalog.h: what plexichat-admin plugin needs of catalogues
 * and signatures: fetching over HTTPS (or file://) with libcurl, checking
 * a signature against the trusted keys, and reading every configured
 * catalogue (plugins_catalogs) whose index verifies. */
#ifndef PX_ADMIN_PLUGIN_CATALOG_H
#define PX_ADMIN_PLUGIN_CATALOG_H

#include <stddef.h>

#include "admin/admin.h"
#include "plugins/px_pl_catalog.h"

/* Fetches url (https:// or file://; redirects only to https) into out,
 * at most max bytes, trusting plugins_ca_file when set. 0, or -1 with
 * the reason in err. */
int admin_plugin_fetch(struct admin *a, const char *url, size_t max, struct px_buf *out,
		       struct px_buf *err) __attribute__((nonnull, warn_unused_result));

/* Whether sig is a trusted key's signature of p[0..n): the key's name is
 * written into signer (cap bytes) and 0 returned; -1 when no trusted key
 * made it (or the keys cannot be read). */
int admin_plugin_verify(struct admin *a, const void *p, size_t n, const unsigned char *sig,
			char *signer, size_t cap) __attribute__((nonnull, warn_unused_result));

/* Reads every catalogue in plugins_catalogs into c: index.json and its
 * signature (URL + ".sig") fetched, the signature checked, the index
 * parsed. A catalogue that fails is reported on stderr and skipped.
 * Returns how many catalogues were read. */
int admin_plugin_catalogs(struct admin *a, struct px_pl_catalog *c) __attribute__((nonnull));

/* plugin catalog [--json]: the versions the catalogues offer. */
int admin_plugin_catalog_list(struct admin *a, int argc, char **argv);

#endif
