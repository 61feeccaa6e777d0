/* tlscert.h: how long the web server's certificates have left. PlexiChat
 * does not terminate TLS itself (Apache mod_ssl, lighttpd or a proxy do);
 * it reads the certificate files they use, named in tls_cert_files, so
 * that /api/v1/system/health and the metrics warn before one expires
 * (docs/TLS.md). */
#ifndef PX_TLSCERT_H
#define PX_TLSCERT_H

#include <time.h>

struct px_tlscert {
	long days_left;          /* whole days until notAfter; negative: expired */
	time_t not_after;
	char subject[256];       /* the subject's CN, or the whole subject */
};

/* Reads the first certificate of the PEM file path (the leaf of a full
 * chain) as seen at now. 0, or -1 when the file cannot be read or holds
 * no certificate. */
int px_tlscert_read(const char *path, time_t now, struct px_tlscert *out)
	__attribute__((nonnull, warn_unused_result));

#endif
