/* webauthn_key.c: COSE keys to OpenSSL keys, signature checks for ES256,
 * EdDSA and RS256, and the packed attestation certificate chain. Every
 * key made here has been accepted by OpenSSL's own public-key check. */
#include "auth/webauthn_key.h"

#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

#define X5C_MAX 8
#define RSA_MIN_BITS 2048
#define RSA_MAX_BYTES 1024 /* 8192 bits */
/* id-fido-gen-ce-aaguid (§8.2.1) */
#define OID_FIDO_AAGUID "1.3.6.1.4.1.45724.1.1.4"

/* COSE (RFC 9052/9053) labels and values used here. */
enum { COSE_KTY = 1, COSE_ALG = 3, COSE_CRV = -1, COSE_X = -2, COSE_Y = -3,
       COSE_RSA_N = -1, COSE_RSA_E = -2 };
enum { KTY_OKP = 1, KTY_EC2 = 2, KTY_RSA = 3, CRV_P256 = 1, CRV_ED25519 = 6 };

int px_wa_cbor_int(const cbor_item_t *it, int64_t *v)
{
	uint64_t u;

	if (!it || (!cbor_isa_uint(it) && !cbor_isa_negint(it)))
		return -1;
	u = cbor_get_int(it);
	if (u > (uint64_t)INT64_MAX)
		return -1;
	*v = cbor_isa_uint(it) ? (int64_t)u : -1 - (int64_t)u;
	return 0;
}

const unsigned char *px_wa_cbor_bytes(const cbor_item_t *it, size_t *len)
{
	if (!it || !cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it))
		return NULL;
	*len = cbor_bytestring_length(it);
	return cbor_bytestring_handle(it);
}

/* 1 when key item k is the integer want (ints) or the text want_s. */
static int key_is(const cbor_item_t *k, int64_t want, const char *want_s)
{
	int64_t v;

	if (want_s)
		return cbor_isa_string(k) && cbor_string_is_definite(k) &&
		       cbor_string_length(k) == strlen(want_s) &&
		       memcmp(cbor_string_handle(k), want_s, strlen(want_s)) == 0;
	return px_wa_cbor_int(k, &v) == 0 && v == want;
}

static cbor_item_t *map_find(const cbor_item_t *m, int64_t k, const char *ks)
{
	struct cbor_pair *p;
	cbor_item_t *found = NULL;
	size_t i, n;

	if (!m || !cbor_isa_map(m) || !cbor_map_is_definite(m))
		return NULL;
	p = cbor_map_handle(m);
	n = cbor_map_size(m);
	for (i = 0; i < n; i++) {
		if (!key_is(p[i].key, k, ks))
			continue;
		if (found)
			return NULL; /* a duplicate key makes the map ambiguous */
		found = p[i].value;
	}
	return found;
}

cbor_item_t *px_wa_map_int(const cbor_item_t *m, int64_t k)
{
	return map_find(m, k, NULL);
}

cbor_item_t *px_wa_map_str(const cbor_item_t *m, const char *k)
{
	return map_find(m, 0, k);
}

/* Makes a public key of type name from params; checks it. */
static EVP_PKEY *from_params(const char *name, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *pc = params ? EVP_PKEY_CTX_new_from_name(NULL, name, NULL) : NULL;
	EVP_PKEY_CTX *cc = NULL;
	EVP_PKEY *pkey = NULL;

	if (!pc || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	cc = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!cc || EVP_PKEY_public_check(cc) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	EVP_PKEY_CTX_free(cc);
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *ec2_key(const cbor_item_t *m)
{
	const unsigned char *x, *y;
	unsigned char pt[65];
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;
	size_t xl = 0, yl = 0;
	int64_t crv;

	x = px_wa_cbor_bytes(px_wa_map_int(m, COSE_X), &xl);
	y = px_wa_cbor_bytes(px_wa_map_int(m, COSE_Y), &yl);
	if (px_wa_cbor_int(px_wa_map_int(m, COSE_CRV), &crv) != 0 || crv != CRV_P256 ||
	    !x || !y || xl != 32 || yl != 32)
		return NULL;
	pt[0] = 0x04; /* uncompressed point */
	memcpy(pt + 1, x, 32);
	memcpy(pt + 33, y, 32);
	if ((bld = OSSL_PARAM_BLD_new()) &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)))
		pkey = from_params("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

static EVP_PKEY *okp_key(const cbor_item_t *m)
{
	const unsigned char *x;
	size_t xl = 0;
	int64_t crv;

	x = px_wa_cbor_bytes(px_wa_map_int(m, COSE_X), &xl);
	if (px_wa_cbor_int(px_wa_map_int(m, COSE_CRV), &crv) != 0 || crv != CRV_ED25519 ||
	    !x || xl != 32)
		return NULL;
	return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xl);
}

static EVP_PKEY *rsa_key(const cbor_item_t *m)
{
	const unsigned char *n, *e;
	size_t nl = 0, el = 0;
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;

	n = px_wa_cbor_bytes(px_wa_map_int(m, COSE_RSA_N), &nl);
	e = px_wa_cbor_bytes(px_wa_map_int(m, COSE_RSA_E), &el);
	if (!n || !e || nl > RSA_MAX_BYTES || el == 0 || el > 8)
		return NULL;
	bn = BN_bin2bn(n, (int)nl, NULL);
	be = BN_bin2bn(e, (int)el, NULL);
	if (!bn || !be || BN_num_bits(bn) < RSA_MIN_BITS)
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
		pkey = from_params("RSA", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return pkey;
}

enum px_wa_status px_wa_cose_key(const cbor_item_t *m, EVP_PKEY **pkey, int *alg)
{
	int64_t kty, a;

	*pkey = NULL;
	if (!m || !cbor_isa_map(m) ||
	    px_wa_cbor_int(px_wa_map_int(m, COSE_KTY), &kty) != 0 ||
	    px_wa_cbor_int(px_wa_map_int(m, COSE_ALG), &a) != 0)
		return PX_WA_KEY;
	if (a != PX_WA_ALG_ES256 && a != PX_WA_ALG_EDDSA && a != PX_WA_ALG_RS256)
		return PX_WA_ALG;
	if (a == PX_WA_ALG_ES256 && kty == KTY_EC2)
		*pkey = ec2_key(m);
	else if (a == PX_WA_ALG_EDDSA && kty == KTY_OKP)
		*pkey = okp_key(m);
	else if (a == PX_WA_ALG_RS256 && kty == KTY_RSA)
		*pkey = rsa_key(m);
	if (!*pkey)
		return PX_WA_KEY;
	*alg = (int)a;
	return PX_WA_OK;
}

int px_wa_key_fits(EVP_PKEY *pkey, int alg)
{
	char group[32];

	switch (alg) {
	case PX_WA_ALG_ES256:
		return EVP_PKEY_is_a(pkey, "EC") &&
		       EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
						      sizeof(group), NULL) == 1 &&
		       (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0);
	case PX_WA_ALG_EDDSA:
		return EVP_PKEY_is_a(pkey, "ED25519");
	case PX_WA_ALG_RS256:
		return EVP_PKEY_is_a(pkey, "RSA") && EVP_PKEY_get_bits(pkey) >= RSA_MIN_BITS;
	default:
		return 0;
	}
}

enum px_wa_status px_wa_sig_verify(EVP_PKEY *pkey, int alg, const unsigned char *msg,
				   size_t n, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *mc;
	int ok;

	if (!px_wa_key_fits(pkey, alg))
		return PX_WA_SIGNATURE;
	if (!(mc = EVP_MD_CTX_new()))
		return PX_WA_INTERNAL;
	ok = EVP_DigestVerifyInit(mc, NULL, alg == PX_WA_ALG_EDDSA ? NULL : EVP_sha256(),
				  NULL, pkey) == 1 &&
	     EVP_DigestVerify(mc, sig, siglen, msg, n) == 1;
	EVP_MD_CTX_free(mc);
	return ok ? PX_WA_OK : PX_WA_SIGNATURE;
}

/* 1 when the subject has an entry of nid (with value want, if given). */
static int subject_has(X509_NAME *name, int nid, const char *want)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	ASN1_STRING *v;

	if (i < 0)
		return 0;
	if (!want)
		return 1;
	v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	return v && (size_t)ASN1_STRING_length(v) == strlen(want) &&
	       memcmp(ASN1_STRING_get0_data(v), want, strlen(want)) == 0;
}

/* The aaguid extension, when present, must be non-critical and hold an
 * OCTET STRING of the 16 bytes of aaguid. */
static int aaguid_ok(X509 *c, const unsigned char aaguid[16])
{
	ASN1_OBJECT *oid = OBJ_txt2obj(OID_FIDO_AAGUID, 1);
	X509_EXTENSION *ext;
	ASN1_OCTET_STRING *d;
	const unsigned char *p;
	int i, ok = 0;

	if (!oid)
		return 0;
	i = X509_get_ext_by_OBJ(c, oid, -1);
	ASN1_OBJECT_free(oid);
	if (i < 0)
		return 1;
	ext = X509_get_ext(c, i);
	d = ext ? X509_EXTENSION_get_data(ext) : NULL;
	if (d && !X509_EXTENSION_get_critical(ext) && ASN1_STRING_length(d) == 18) {
		p = ASN1_STRING_get0_data(d);
		ok = p[0] == 0x04 && p[1] == 16 && memcmp(p + 2, aaguid, 16) == 0;
	}
	return ok;
}

static int leaf_ok(X509 *c, const unsigned char aaguid[16])
{
	X509_NAME *s = X509_get_subject_name(c);

	return X509_get_version(c) == 2 && !(X509_get_extension_flags(c) & EXFLAG_CA) &&
	       subject_has(s, NID_countryName, NULL) &&
	       subject_has(s, NID_organizationName, NULL) &&
	       subject_has(s, NID_commonName, NULL) &&
	       subject_has(s, NID_organizationalUnitName, "Authenticator Attestation") &&
	       aaguid_ok(c, aaguid);
}

static int in_dates(X509 *c)
{
	return X509_cmp_current_time(X509_get0_notBefore(c)) < 0 &&
	       X509_cmp_current_time(X509_get0_notAfter(c)) > 0;
}

enum px_wa_status px_wa_x5c_check(const cbor_item_t *x5c, const unsigned char aaguid[16],
				  EVP_PKEY **leaf)
{
	X509 *certs[X5C_MAX] = { NULL };
	enum px_wa_status st = PX_WA_ATTESTATION;
	size_t i, n, len = 0;

	*leaf = NULL;
	if (!cbor_isa_array(x5c) || !cbor_array_is_definite(x5c) ||
	    (n = cbor_array_size(x5c)) == 0 || n > X5C_MAX)
		return PX_WA_ATTESTATION;
	for (i = 0; i < n; i++) {
		const unsigned char *der = px_wa_cbor_bytes(cbor_array_handle(x5c)[i], &len);
		const unsigned char *p = der;

		if (!der || !(certs[i] = d2i_X509(NULL, &p, (long)len)) ||
		    p != der + len || !in_dates(certs[i]))
			goto out;
	}
	for (i = 0; i + 1 < n; i++)
		if (X509_check_issued(certs[i + 1], certs[i]) != X509_V_OK ||
		    X509_verify(certs[i], X509_get0_pubkey(certs[i + 1])) != 1)
			goto out;
	if (!leaf_ok(certs[0], aaguid) || !(*leaf = X509_get_pubkey(certs[0])))
		goto out;
	st = PX_WA_OK;
out:
	for (i = 0; i < X5C_MAX; i++)
		X509_free(certs[i]);
	return st;
}
