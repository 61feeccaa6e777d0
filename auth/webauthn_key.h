/* webauthn_key.h: the key half of auth/webauthn: COSE_Key maps to OpenSSL
 * keys, signature checks per COSE algorithm, the packed attestation
 * certificate chain, and the few CBOR look-ups both halves share. Used by
 * auth/webauthn.c only; not for handlers. */
#ifndef PX_WEBAUTHN_KEY_H
#define PX_WEBAUTHN_KEY_H

#include "auth/webauthn.h"

#include <cbor.h>
#include <openssl/evp.h>

/* The value of integer key k in a definite map, or NULL when absent, when
 * the key occurs twice, or when m is not a map. Borrowed from m. */
cbor_item_t *px_wa_map_int(const cbor_item_t *m, int64_t k);
/* The same for a text-string key. */
cbor_item_t *px_wa_map_str(const cbor_item_t *m, const char *k);
/* The integer value of it (unsigned or negative) into *v: 0, or -1 when it
 * is not an integer or does not fit. */
int px_wa_cbor_int(const cbor_item_t *it, int64_t *v);
/* A definite byte string's bytes and length; NULL when it is not one. */
const unsigned char *px_wa_cbor_bytes(const cbor_item_t *it, size_t *len);

/* Builds the public key of a COSE_Key map: EC2 P-256 with alg -7, OKP
 * Ed25519 with alg -8, or RSA (n of 2048..8192 bits, e) with alg -257;
 * the point or key is checked by OpenSSL. On PX_WA_OK *pkey is new
 * (EVP_PKEY_free) and *alg its algorithm. PX_WA_ALG for another alg,
 * PX_WA_KEY for anything malformed. */
enum px_wa_status px_wa_cose_key(const cbor_item_t *m, EVP_PKEY **pkey, int *alg)
	__attribute__((warn_unused_result));

/* 1 when pkey's type is the one alg needs (EC P-256, Ed25519, RSA). */
int px_wa_key_fits(EVP_PKEY *pkey, int alg);

/* Verifies sig over msg under alg: ES256 (DER ECDSA over SHA-256),
 * EdDSA (Ed25519 over msg itself) or RS256 (PKCS#1 v1.5, SHA-256).
 * PX_WA_SIGNATURE when it does not verify or pkey does not fit alg. */
enum px_wa_status px_wa_sig_verify(EVP_PKEY *pkey, int alg, const unsigned char *msg,
				   size_t n, const unsigned char *sig, size_t siglen)
	__attribute__((warn_unused_result));

/* Checks a packed statement's x5c array (§8.2.1): every entry a DER
 * certificate within its validity dates, each signed by the next; the
 * first (the attestation certificate) of version 3, not a CA, with
 * subject C, O, CN and OU "Authenticator Attestation", and, when it has
 * the id-fido-gen-ce-aaguid extension, one that is not critical and equals
 * aaguid. On PX_WA_OK *leaf is the first certificate's key (new;
 * EVP_PKEY_free). PX_WA_ATTESTATION otherwise. */
enum px_wa_status px_wa_x5c_check(const cbor_item_t *x5c, const unsigned char aaguid[16],
				  EVP_PKEY **leaf) __attribute__((warn_unused_result));

#endif
