/* mail.h: outgoing e-mail through libcurl's SMTP client, configured by the
 * smtp_* keys: plain text, or text plus HTML as multipart/alternative,
 * with extra header lines; one message per call. */
#ifndef PX_MAIL_H
#define PX_MAIL_H

#include "core/buf.h"
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

/* A message with an optional HTML alternative and extra headers. */
struct px_mail_msg {
	const char *to;
	const char *subject;      /* ASCII; no CR or LF */
	const char *text;         /* UTF-8 plain text */
	const char *html;         /* UTF-8 HTML, or NULL for text only */
	const char *headers;      /* extra "Name: value\r\n" lines, or NULL */
};

/* Sends m: text only as text/plain, with html as multipart/alternative
 * (text first, then HTML, each base64 so no line is too long for SMTP).
 * Errors as px_mail_send; VALIDATION_FIELD_FORMAT also when headers holds
 * a bare CR or LF or does not end in CRLF. */
enum px_err px_mail_send_msg(const struct px_cfg *cfg, const struct px_mail_msg *m)
	__attribute__((nonnull, warn_unused_result));
/* Appends the message px_mail_send_msg would send for msg to out (for
 * tests and the outbox); mime boundary from the random generator. */
void px_mail_build(const struct px_cfg *cfg, const struct px_mail_msg *msg, struct px_buf *out)
	__attribute__((nonnull));

#endif
