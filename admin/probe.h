/* admin/probe.h: one short HTTP GET against the running server (health,
 * metrics) and the expiry of its TLS certificate, for doctor and stats. */
#ifndef PX_ADMIN_PROBE_H
#define PX_ADMIN_PROBE_H

#include "core/buf.h"

/* GETs base (public_url, trailing slashes ignored) + path with a timeout of
 * timeout_s seconds, following no redirects, body capped at 4 MiB.
 * Returns the HTTP status (body in *body, appended), or -1 with the reason
 * in *err when no answer came (connection refused, timeout, TLS error). */
long admin_probe_get(const char *base, const char *path, long timeout_s,
		     struct px_buf *body, struct px_buf *err)
	__attribute__((warn_unused_result));

/* Days until the certificate served at https url expires (negative when it
 * already has), read with libcurl's CERTINFO; the certificate is read even
 * when it does not verify (*verified tells). Returns 0, or -1 with the
 * reason in *err. */
int admin_probe_cert_days(const char *url, long timeout_s, double *days,
			  int *verified, struct px_buf *err)
	__attribute__((warn_unused_result));

#endif
