/* webpush.h: Web Push from the application server's side, all with
 * OpenSSL: message encryption (RFC 8291: ECDH P-256, HKDF-SHA-256, one
 * aes128gcm record of RFC 8188), the VAPID authorization (RFC 8292: an
 * ES256 JWT and the server's public key) and the POST to the push service
 * (RFC 8030) through core/safefetch, like every request to a URL a user
 * gave. Keys travel as raw bytes: a P-256 private scalar (32) and an
 * uncompressed public point (65). */
#ifndef PX_WEBPUSH_H
#define PX_WEBPUSH_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/safefetch.h"

#define PX_WEBPUSH_PRIV 32
#define PX_WEBPUSH_PUB 65
#define PX_WEBPUSH_AUTH 16
#define PX_WEBPUSH_SALT 16
/* Largest plaintext one 4096-byte record holds (tag, delimiter, header). */
#define PX_WEBPUSH_MAX_PLAIN 3993

/* A fresh P-256 key pair. SYSTEM_INTERNAL on an OpenSSL failure. */
enum px_err px_webpush_keygen(unsigned char priv[PX_WEBPUSH_PRIV],
			      unsigned char pub[PX_WEBPUSH_PUB]) __attribute__((warn_unused_result));

/* Encrypts plain[0..n) for the subscription (ua_pub, auth) with the given
 * sender key pair and salt, appending the aes128gcm body (salt, record
 * size 4096, key id = as_pub, then the single record) to out. The
 * deterministic form exists for RFC 8291's worked example; senders use
 * px_webpush_encrypt. VALIDATION_FIELD_FORMAT when ua_pub is not a point
 * on the curve or n > PX_WEBPUSH_MAX_PLAIN. */
enum px_err px_webpush_encrypt_with(const unsigned char ua_pub[PX_WEBPUSH_PUB],
				    const unsigned char auth[PX_WEBPUSH_AUTH],
				    const unsigned char as_priv[PX_WEBPUSH_PRIV],
				    const unsigned char as_pub[PX_WEBPUSH_PUB],
				    const unsigned char salt[PX_WEBPUSH_SALT],
				    const void *plain, size_t n, struct px_buf *out)
	__attribute__((nonnull(1, 2, 3, 4, 5, 8), warn_unused_result));
/* The same with a fresh sender key pair and a random salt. */
enum px_err px_webpush_encrypt(const unsigned char ua_pub[PX_WEBPUSH_PUB],
			       const unsigned char auth[PX_WEBPUSH_AUTH], const void *plain,
			       size_t n, struct px_buf *out)
	__attribute__((nonnull(1, 2, 5), warn_unused_result));

/* Appends the Authorization value "vapid t=<JWT>, k=<public key>" to out:
 * an ES256 JWT {aud, exp, sub} signed with the VAPID key. aud is the push
 * service's origin (scheme://host[:port]), exp seconds since the epoch
 * (at most 24 h ahead), sub a mailto: or https: contact. */
enum px_err px_webpush_vapid(const unsigned char priv[PX_WEBPUSH_PRIV],
			     const unsigned char pub[PX_WEBPUSH_PUB], const char *aud,
			     long long exp, const char *sub, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));

/* Writes the origin (scheme://host[:port]) of an https or http URL into
 * out (cap bytes). -1 when url is not one. */
int px_webpush_origin(const char *url, char *out, size_t cap) __attribute__((nonnull));

/* 1 when endpoint's origin is one of the comma-separated origins in list;
 * an entry "https://" "*" ".example.com" (an asterisk label) matches any host under
 * example.com, not example.com itself. Ports must match exactly. */
int px_webpush_allowed(const char *endpoint, const char *list) __attribute__((nonnull));

/* Where a push may go: the same rules as every request to a URL a user
 * gave (core/safefetch.h), since a subscription's endpoint comes from the
 * browser. */
struct px_webpush_target {
	const char *allow;          /* outbound_allow_private; NULL: nothing more */
	px_sf_resolve_fn resolve;   /* NULL: getaddrinfo (tests script DNS) */
	void *resolve_arg;
};

/* POSTs an encrypted body to endpoint with the VAPID authorization, TTL
 * (seconds) and Urgency through core/safefetch: the endpoint's name is
 * resolved and every address checked (private, loopback, link-local,
 * metadata... refused unless to->allow lists them), libcurl is pinned to
 * the checked addresses and every socket it opens is checked again (a
 * name that answers differently at connect time gains nothing), no
 * redirect is followed, the answer is read up to 64 KiB within 10 s.
 * *status gets the HTTP status (201 accepted; 404/410: the subscription
 * is gone); detail (dlen bytes, may be NULL) why it failed. Errors:
 * SECURITY_SSRF_BLOCKED (an address not allowed; nothing was sent),
 * NETWORK_UNREACHABLE, NETWORK_TIMEOUT, NETWORK_BAD_RESPONSE (a redirect,
 * an answer too large), VALIDATION_FIELD_FORMAT (not an http(s)
 * endpoint). */
enum px_err px_webpush_post(const char *endpoint, const char *authorization,
			    const struct px_buf *body, int ttl, const char *urgency,
			    const struct px_webpush_target *to, int *status, char *detail,
			    size_t dlen) __attribute__((nonnull(1, 2, 3, 5, 6, 7), warn_unused_result));

#endif
