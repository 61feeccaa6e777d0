/* webauthn.h: server-side verification of WebAuthn (passkey / security key)
 * registrations and assertions, W3C WebAuthn Level 2 §7.1 and §7.2, with
 * OpenSSL for signatures and libcbor for CBOR. No database and no I/O: the
 * caller supplies the expected challenge, origin and RP ID and stores what
 * comes back. Supported COSE algorithms: ES256 (-7, P-256), EdDSA (-8,
 * Ed25519) and RS256 (-257, RSA of 2048 bits or more). Attestation formats:
 * "none" and "packed" (self attestation, or x5c with the chain's own
 * signatures and validity checked; it is not anchored to a vendor root).
 * Every function is thread-safe and allocates only what its comment says. */
#ifndef PX_WEBAUTHN_H
#define PX_WEBAUTHN_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct px_buf;

#define PX_WA_ALG_ES256 (-7)
#define PX_WA_ALG_EDDSA (-8)
#define PX_WA_ALG_RS256 (-257)

#define PX_WA_CRED_ID_MAX 1023 /* §5.8.3: credential ids are at most 1023 bytes */
#define PX_WA_CHALLENGE_LEN 32 /* bytes of a challenge made by the caller */

/* authenticator data flags (§6.1) */
#define PX_WA_FLAG_UP 0x01u /* user present */
#define PX_WA_FLAG_UV 0x04u /* user verified (PIN, biometric) */
#define PX_WA_FLAG_BE 0x08u /* backup eligible (a synced passkey) */
#define PX_WA_FLAG_BS 0x10u /* backed up */
#define PX_WA_FLAG_AT 0x40u /* attested credential data present */
#define PX_WA_FLAG_ED 0x80u /* extensions present */

/* Why a verification failed; px_wa_reason() names each for logs, audit
 * records and error details. */
enum px_wa_status {
	PX_WA_OK = 0,
	PX_WA_CLIENT_DATA,   /* clientDataJSON is not a JSON object of strings */
	PX_WA_TYPE,          /* type is not webauthn.create / webauthn.get */
	PX_WA_CHALLENGE,     /* challenge differs from the expected one */
	PX_WA_ORIGIN,        /* origin differs, or crossOrigin is true */
	PX_WA_RP_ID,         /* rpIdHash is not SHA-256 of the RP ID */
	PX_WA_USER_PRESENT,  /* UP flag clear */
	PX_WA_USER_VERIFIED, /* UV flag clear although required */
	PX_WA_AUTH_DATA,     /* authenticator data malformed or truncated */
	PX_WA_ATTESTATION_OBJECT, /* attestationObject is not the CBOR map */
	PX_WA_KEY,           /* COSE key malformed, or not a point/size allowed */
	PX_WA_ALG,           /* algorithm not ES256, EdDSA or RS256 */
	PX_WA_SIGNATURE,     /* signature does not verify */
	PX_WA_ATTESTATION,   /* attestation format unknown or statement invalid */
	PX_WA_SIGN_COUNT,    /* counter did not increase: possible clone */
	PX_WA_INTERNAL       /* out of memory or an OpenSSL failure */
};

/* What the server expects of a ceremony. challenge is the raw bytes it
 * issued; origin is "scheme://host[:port]" exactly as a browser writes
 * it; rp_id is the host. require_uv refuses responses without UV. */
struct px_wa_expect {
	const unsigned char *challenge;
	size_t challenge_len;
	const char *origin;
	const char *rp_id;
	int require_uv;
};

/* A verified registration. spki is the public key as DER
 * SubjectPublicKeyInfo, malloc'd: free with px_wa_credential_free(). */
struct px_wa_credential {
	unsigned char id[PX_WA_CRED_ID_MAX];
	size_t id_len;
	int alg;
	unsigned char *spki;
	size_t spki_len;
	uint32_t sign_count;
	unsigned flags;
	unsigned char aaguid[16];
	char fmt[8];         /* "none" or "packed" */
	char attestation[8]; /* "none", "self" or "basic" (x5c, not anchored) */
};

/* The three byte strings of an assertion response. */
struct px_wa_assertion {
	const unsigned char *client_data;
	size_t client_data_len;
	const unsigned char *auth_data;
	size_t auth_data_len;
	const unsigned char *signature;
	size_t signature_len;
};

/* Derives the WebAuthn origin ("scheme://host[:port]", scheme and host in
 * lower case, the default port left out, as browsers serialise origins)
 * and the RP ID (the host) from a public base URL. -1 when the URL has no
 * scheme or host, carries user info, or a part does not fit its buffer. */
int px_wa_site(const char *public_url, char *origin, size_t ocap, char *rp_id, size_t rcap);

/* A short stable name of st ("origin", "sign_count", ...); static. */
const char *px_wa_reason(enum px_wa_status st);

/* Copies the challenge member of clientDataJSON (base64url text, as the
 * browser sent it) into out (cap bytes, NUL-terminated), so the caller can
 * find the challenge it issued. -1 when absent, not a string or too long. */
int px_wa_client_challenge(const unsigned char *cdj, size_t len, char *out, size_t cap);

/* Appends the bytes of member k of o, a base64url string as WebAuthn's
 * JSON carries binary values (rawId, clientDataJSON, signature...), to
 * out. -1 when o is NULL, k is absent or not a string, the text is not
 * strict base64url, or it decodes to nothing or to more than max bytes. */
int px_wa_member_bytes(struct json_object *o, const char *k, size_t max,
		       struct px_buf *out) __attribute__((warn_unused_result));

/* Verifies a registration (§7.1): clientDataJSON (type webauthn.create,
 * challenge, origin, crossOrigin not true), then the attestationObject:
 * rpIdHash, UP, UV when required, AT with a credential id of 1..1023
 * bytes and a COSE key of an allowed algorithm, no trailing bytes, and the
 * attestation statement ("none": empty; "packed": alg and sig over
 * authData || SHA-256(clientDataJSON), by the credential key itself or by
 * x5c[0], whose certificate must meet §8.2.1 and whose chain must verify
 * link by link and be within its validity dates). On PX_WA_OK out is
 * filled and owns out->spki; on failure out holds nothing to free. */
enum px_wa_status px_wa_verify_registration(const struct px_wa_expect *x,
					    const unsigned char *cdj, size_t cdj_len,
					    const unsigned char *att, size_t att_len,
					    struct px_wa_credential *out)
	__attribute__((warn_unused_result));

/* Verifies an assertion (§7.2) against a stored key (DER SPKI spki of
 * algorithm alg) and its stored counter: clientDataJSON (type
 * webauthn.get, challenge, origin), rpIdHash, UP, UV when required, the
 * signature over authData || SHA-256(clientDataJSON), and the counter:
 * when either the stored or the new value is non-zero the new one must be
 * greater (PX_WA_SIGN_COUNT otherwise: a cloned authenticator). The new
 * counter and the flags go to *count and *flags (either may be NULL). */
enum px_wa_status px_wa_verify_assertion(const struct px_wa_expect *x,
					 const struct px_wa_assertion *a,
					 const unsigned char *spki, size_t spki_len, int alg,
					 uint32_t stored_count, uint32_t *count,
					 unsigned *flags) __attribute__((warn_unused_result));

/* Frees c->spki and clears it; c itself stays the caller's. */
void px_wa_credential_free(struct px_wa_credential *c);

#endif
