/* totp.h: RFC 6238 time-based one-time passwords (RFC 4226 truncation),
 * base32 secrets, otpauth:// URIs and QR codes as SVG (libqrencode). */
#ifndef PX_TOTP_H
#define PX_TOTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"

enum px_totp_alg { PX_TOTP_SHA1, PX_TOTP_SHA256, PX_TOTP_SHA512 };

#define PX_TOTP_STEP 30
#define PX_TOTP_DIGITS 6
#define PX_TOTP_WINDOW 1       /* steps accepted either side of now */
#define PX_TOTP_SECRET_BYTES 20

/* The code for counter (time step) with digits (6..8) into out (9 bytes).
 * Returns 0, or -1 for bad arguments. */
int px_totp_code(enum px_totp_alg alg, const unsigned char *key, size_t klen,
		 uint64_t counter, int digits, char out[9]);
/* Checks a 6-digit SHA-1 code against the steps now-1..now+1 that are
 * later than last_step (so a used code is never accepted again). Returns
 * the matching step, or -1. Compares in constant time. */
long long px_totp_verify(const unsigned char *key, size_t klen, const char *code,
			 time_t now, long long last_step);

/* RFC 4648 base32 without padding (upper case). */
void px_base32_encode(struct px_buf *out, const unsigned char *p, size_t n);
/* Decodes base32 (case-insensitive, '=' and spaces ignored); -1 if bad. */
int px_base32_decode(const char *s, struct px_buf *out);

/* otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...&algorithm=SHA1&
 * digits=6&period=30, with the labels percent-encoded. */
void px_totp_uri(struct px_buf *out, const char *issuer, const char *account,
		 const char *secret_b32);
/* A QR code of text as a standalone SVG document. 0 or -1. */
int px_totp_qr_svg(const char *text, struct px_buf *out);

#endif
