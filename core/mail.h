/* mail.h: outgoing e-mail through libcurl's SMTP client, configured by the
 * smtp_* keys. Plain-text messages only; one message per call. */
#ifndef PX_MAIL_H
#define PX_MAIL_H

#include "core/err.h"

struct px_cfg;

/* 1 when smtp_url is set. */
int px_mail_enabled(const struct px_cfg *cfg) __attribute__((nonnull));
/* Sends a text/plain UTF-8 message to one recipient. Header values must
 * not contain CR or LF (VALIDATION_FIELD_FORMAT). Errors:
 * NETWORK_UNREACHABLE (connection), NETWORK_BAD_RESPONSE (the server
 * refused), NETWORK_TIMEOUT, SYSTEM_UNAVAILABLE (mail not configured). */
enum px_err px_mail_send(const struct px_cfg *cfg, const char *to,
			 const char *subject, const char *body)
	__attribute__((nonnull, warn_unused_result));

#endif
