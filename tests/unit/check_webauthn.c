/* check_webauthn.c: auth/webauthn against responses this test builds
 * itself: keys made with OpenSSL (P-256, Ed25519, RSA-2048), authenticator
 * data, attestation objects (libcbor) and clientDataJSON assembled by
 * hand, signed, then verified; and every tampered variant refused for its
 * own reason (origin, challenge, type, rpIdHash, flags, signature,
 * counter, algorithm, attestation statement and certificate chain). */
#include <check.h>
#include <cbor.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "auth/webauthn.h"
#include "tests/unit/run_suite.h"

#define RP "chat.example.org"
#define ORIGIN "https://chat.example.org"

static const unsigned char challenge[PX_WA_CHALLENGE_LEN] = "0123456789abcdef0123456789abcde";
static const unsigned char aaguid[16] = { 0xad, 0xce, 0x00, 0x02, 0x35, 0xbc, 0xc6, 0x0a,
					  0x64, 0x8b, 0x0b, 0x25, 0xf1, 0xf0, 0x55, 0x03 };
static const unsigned char cred_id[20] = "credential-id-1234!";

static struct px_wa_expect expect(int uv)
{
	struct px_wa_expect x = { challenge, sizeof(challenge), ORIGIN, RP, uv };

	return x;
}

static EVP_PKEY *keygen(int alg)
{
	EVP_PKEY *k = alg == PX_WA_ALG_ES256 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
		      : alg == PX_WA_ALG_EDDSA ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
					       : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);

	ck_assert_ptr_nonnull(k);
	return k;
}

static void map_put(cbor_item_t *m, cbor_item_t *k, cbor_item_t *v)
{
	ck_assert(cbor_map_add(m, (struct cbor_pair){ .key = cbor_move(k), .value = cbor_move(v) }));
}

static cbor_item_t *cint(int64_t v)
{
	return v >= 0 ? cbor_build_uint64((uint64_t)v) : cbor_build_negint64((uint64_t)(-1 - v));
}

static cbor_item_t *bn_bytes(EVP_PKEY *k, const char *name)
{
	BIGNUM *bn = NULL;
	unsigned char buf[512];
	int n;

	ck_assert(EVP_PKEY_get_bn_param(k, name, &bn) == 1);
	n = BN_bn2bin(bn, buf);
	BN_free(bn);
	return cbor_build_bytestring(buf, (size_t)n);
}

/* The COSE_Key of k under alg (cose_alg may differ to test refusals). */
static cbor_item_t *cose_key(EVP_PKEY *k, int alg, int64_t cose_alg)
{
	cbor_item_t *m = cbor_new_definite_map(5);
	unsigned char pt[65];
	size_t n = 0;

	if (alg == PX_WA_ALG_ES256) {
		ck_assert(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt,
							  sizeof(pt), &n) == 1 && n == 65);
		map_put(m, cint(1), cint(2));
		map_put(m, cint(3), cint(cose_alg));
		map_put(m, cint(-1), cint(1));
		map_put(m, cint(-2), cbor_build_bytestring(pt + 1, 32));
		map_put(m, cint(-3), cbor_build_bytestring(pt + 33, 32));
	} else if (alg == PX_WA_ALG_EDDSA) {
		n = 32;
		ck_assert(EVP_PKEY_get_raw_public_key(k, pt, &n) == 1);
		map_put(m, cint(1), cint(1));
		map_put(m, cint(3), cint(cose_alg));
		map_put(m, cint(-1), cint(6));
		map_put(m, cint(-2), cbor_build_bytestring(pt, 32));
	} else {
		map_put(m, cint(1), cint(3));
		map_put(m, cint(3), cint(cose_alg));
		map_put(m, cint(-1), bn_bytes(k, OSSL_PKEY_PARAM_RSA_N));
		map_put(m, cint(-2), bn_bytes(k, OSSL_PKEY_PARAM_RSA_E));
	}
	return m;
}

static void append_cbor(struct px_buf *out, cbor_item_t *it)
{
	unsigned char *p = NULL;
	size_t cap = 0, n = cbor_serialize_alloc(it, &p, &cap);

	ck_assert(n > 0);
	px_buf_append(out, p, n);
	free(p);
	cbor_decref(&it);
}

/* authenticator data: rpIdHash of rp, flags, count, and with key (a COSE
 * map, consumed) the attested credential data. */
static void auth_data(struct px_buf *out, const char *rp, unsigned flags, uint32_t count,
		      cbor_item_t *key)
{
	unsigned char h[32], c[4] = { (unsigned char)(count >> 24), (unsigned char)(count >> 16),
				      (unsigned char)(count >> 8), (unsigned char)count };

	px_crypto_sha256(rp, strlen(rp), h);
	px_buf_append(out, h, 32);
	px_buf_putc(out, (char)flags);
	px_buf_append(out, c, 4);
	if (key) {
		unsigned char len[2] = { 0, sizeof(cred_id) };

		px_buf_append(out, aaguid, 16);
		px_buf_append(out, len, 2);
		px_buf_append(out, cred_id, sizeof(cred_id));
		append_cbor(out, key);
	}
}

static void client_data(struct px_buf *out, const char *type, const unsigned char *ch,
			const char *origin, const char *extra)
{
	struct px_buf c = PX_BUF_INIT;

	px_codec_b64_encode(&c, ch, PX_WA_CHALLENGE_LEN, PX_CODEC_B64_URL);
	px_buf_printf(out, "{\"type\":\"%s\",\"challenge\":\"%s\",\"origin\":\"%s\"%s}", type,
		      c.data, origin, extra ? extra : "");
	px_buf_free(&c);
}

/* Signs authData || SHA-256(cdj) with k under alg into sig. */
static void sign(EVP_PKEY *k, int alg, const struct px_buf *ad, const struct px_buf *cdj,
		 struct px_buf *sig)
{
	struct px_buf m = PX_BUF_INIT;
	unsigned char h[32], s[1024];
	size_t n = sizeof(s);
	EVP_MD_CTX *mc = EVP_MD_CTX_new();

	px_crypto_sha256(cdj->data, cdj->len, h);
	px_buf_append(&m, ad->data, ad->len);
	px_buf_append(&m, h, 32);
	ck_assert(EVP_DigestSignInit(mc, NULL, alg == PX_WA_ALG_EDDSA ? NULL : EVP_sha256(),
				     NULL, k) == 1);
	ck_assert(EVP_DigestSign(mc, s, &n, (unsigned char *)m.data, m.len) == 1);
	px_buf_append(sig, s, n);
	EVP_MD_CTX_free(mc);
	px_buf_free(&m);
}

static void att_obj(struct px_buf *out, const char *fmt, cbor_item_t *stmt,
		    const struct px_buf *ad)
{
	cbor_item_t *m = cbor_new_definite_map(3);

	map_put(m, cbor_build_string("fmt"), cbor_build_string(fmt));
	map_put(m, cbor_build_string("attStmt"), stmt);
	map_put(m, cbor_build_string("authData"),
		cbor_build_bytestring((unsigned char *)ad->data, ad->len));
	append_cbor(out, m);
}

/* ---- registration with attestation "none", each algorithm, then use ---- */

static const int algs[] = { PX_WA_ALG_ES256, PX_WA_ALG_EDDSA, PX_WA_ALG_RS256 };

START_TEST(test_register_none_and_assert)
{
	struct px_buf ad = PX_BUF_INIT, cdj = PX_BUF_INIT, att = PX_BUF_INIT,
		      ad2 = PX_BUF_INIT, cdj2 = PX_BUF_INIT, sig = PX_BUF_INIT;
	struct px_wa_expect x = expect(0);
	struct px_wa_credential c;
	struct px_wa_assertion a;
	int alg = algs[_i];
	EVP_PKEY *k = keygen(alg);
	uint32_t count = 0;
	unsigned flags = 0;

	auth_data(&ad, RP, PX_WA_FLAG_UP | PX_WA_FLAG_UV | PX_WA_FLAG_AT, 0,
		  cose_key(k, alg, alg));
	client_data(&cdj, "webauthn.create", challenge, ORIGIN, NULL);
	att_obj(&att, "none", cbor_new_definite_map(0), &ad);
	ck_assert_int_eq(px_wa_verify_registration(&x, (unsigned char *)cdj.data, cdj.len,
						   (unsigned char *)att.data, att.len, &c),
			 PX_WA_OK);
	ck_assert_int_eq(c.alg, alg);
	ck_assert_uint_eq(c.id_len, sizeof(cred_id));
	ck_assert(memcmp(c.id, cred_id, sizeof(cred_id)) == 0);
	ck_assert(memcmp(c.aaguid, aaguid, 16) == 0);
	ck_assert_str_eq(c.fmt, "none");

	auth_data(&ad2, RP, PX_WA_FLAG_UP, 7, NULL);
	client_data(&cdj2, "webauthn.get", challenge, ORIGIN, NULL);
	sign(k, alg, &ad2, &cdj2, &sig);
	a = (struct px_wa_assertion){ (unsigned char *)cdj2.data, cdj2.len,
				      (unsigned char *)ad2.data, ad2.len,
				      (unsigned char *)sig.data, sig.len };
	ck_assert_int_eq(px_wa_verify_assertion(&x, &a, c.spki, c.spki_len, c.alg, 6, &count,
						&flags), PX_WA_OK);
	ck_assert_uint_eq(count, 7);
	ck_assert_uint_eq(flags, PX_WA_FLAG_UP);
	/* the same response against the counter it just set: a clone */
	ck_assert_int_eq(px_wa_verify_assertion(&x, &a, c.spki, c.spki_len, c.alg, 7, NULL,
						NULL), PX_WA_SIGN_COUNT);
	/* a key of another algorithm than stored is not used */
	ck_assert_int_eq(px_wa_verify_assertion(&x, &a, c.spki, c.spki_len,
						alg == PX_WA_ALG_EDDSA ? PX_WA_ALG_ES256
								       : PX_WA_ALG_EDDSA,
						0, NULL, NULL), PX_WA_SIGNATURE);
	px_wa_credential_free(&c);
	EVP_PKEY_free(k);
	px_buf_free(&ad);
	px_buf_free(&cdj);
	px_buf_free(&att);
	px_buf_free(&ad2);
	px_buf_free(&cdj2);
	px_buf_free(&sig);
}
END_TEST

/* ---- tampered registrations ---- */

enum reg_mut {
	R_ORIGIN, R_CHALLENGE, R_TYPE, R_CROSS_ORIGIN, R_RP_ID, R_NO_UP, R_NO_UV,
	R_NO_AT, R_UNKNOWN_ALG, R_ALG_KTY, R_TRAILING, R_FMT, R_NONE_STMT, R_BAD_POINT,
	R_PACKED_BADSIG, R_PACKED_ALG, R_CDJ_JUNK, R_CDJ_NUL
};

static const struct {
	int line;
	enum reg_mut m;
	int require_uv;
	enum px_wa_status want;
} reg_cases[] = {
	{ __LINE__, R_ORIGIN, 0, PX_WA_ORIGIN },
	{ __LINE__, R_CHALLENGE, 0, PX_WA_CHALLENGE },
	{ __LINE__, R_TYPE, 0, PX_WA_TYPE },
	{ __LINE__, R_CROSS_ORIGIN, 0, PX_WA_ORIGIN },
	{ __LINE__, R_RP_ID, 0, PX_WA_RP_ID },
	{ __LINE__, R_NO_UP, 0, PX_WA_USER_PRESENT },
	{ __LINE__, R_NO_UV, 1, PX_WA_USER_VERIFIED },
	{ __LINE__, R_NO_AT, 0, PX_WA_AUTH_DATA },
	{ __LINE__, R_UNKNOWN_ALG, 0, PX_WA_ALG },
	{ __LINE__, R_ALG_KTY, 0, PX_WA_KEY },
	{ __LINE__, R_TRAILING, 0, PX_WA_ATTESTATION_OBJECT },
	{ __LINE__, R_FMT, 0, PX_WA_ATTESTATION },
	{ __LINE__, R_NONE_STMT, 0, PX_WA_ATTESTATION },
	{ __LINE__, R_BAD_POINT, 0, PX_WA_KEY },
	{ __LINE__, R_PACKED_BADSIG, 0, PX_WA_SIGNATURE },
	{ __LINE__, R_PACKED_ALG, 0, PX_WA_ATTESTATION },
	{ __LINE__, R_CDJ_JUNK, 0, PX_WA_CLIENT_DATA },
	{ __LINE__, R_CDJ_NUL, 0, PX_WA_CLIENT_DATA },
};

/* A packed self-attestation statement over ad and cdj by k. */
static cbor_item_t *self_stmt(EVP_PKEY *k, int alg, int64_t stmt_alg, const struct px_buf *ad,
			      const struct px_buf *cdj, int corrupt)
{
	struct px_buf sig = PX_BUF_INIT;
	cbor_item_t *m = cbor_new_definite_map(2);

	sign(k, alg, ad, cdj, &sig);
	if (corrupt)
		sig.data[sig.len / 2] ^= 0x55;
	map_put(m, cbor_build_string("alg"), cint(stmt_alg));
	map_put(m, cbor_build_string("sig"), cbor_build_bytestring((unsigned char *)sig.data, sig.len));
	px_buf_free(&sig);
	return m;
}

START_TEST(test_register_refusals)
{
	struct px_buf ad = PX_BUF_INIT, cdj = PX_BUF_INIT, att = PX_BUF_INIT;
	enum reg_mut m = reg_cases[_i].m;
	struct px_wa_expect x = expect(reg_cases[_i].require_uv);
	unsigned char other[PX_WA_CHALLENGE_LEN];
	unsigned flags = PX_WA_FLAG_UP | PX_WA_FLAG_AT;
	EVP_PKEY *k = keygen(PX_WA_ALG_ES256);
	cbor_item_t *key = cose_key(k, PX_WA_ALG_ES256, m == R_UNKNOWN_ALG ? -35 : m == R_ALG_KTY ? -8 : -7);
	cbor_item_t *stmt = NULL;
	struct px_wa_credential c;
	enum px_wa_status got;

	memcpy(other, challenge, sizeof(other));
	other[0] ^= 1;
	if (m == R_NO_UP)
		flags &= ~PX_WA_FLAG_UP;
	if (m == R_NO_AT)
		flags &= ~PX_WA_FLAG_AT;
	if (m == R_BAD_POINT) {
		/* y of the point replaced: not on the curve any more */
		cbor_item_t *y = cbor_build_bytestring(challenge, 32);
		struct cbor_pair *p = cbor_map_handle(key);

		cbor_decref(&p[4].value);
		p[4].value = y;
	}
	auth_data(&ad, m == R_RP_ID ? "evil.example.org" : RP, flags, 0,
		  m == R_NO_AT ? NULL : key);
	if (m == R_NO_AT)
		cbor_decref(&key);
	if (m == R_CDJ_JUNK)
		px_buf_puts(&cdj, "{\"type\":\"webauthn.create\"} trailing");
	else
		client_data(&cdj, m == R_TYPE ? "webauthn.get" : "webauthn.create",
			    m == R_CHALLENGE ? other : challenge,
			    m == R_ORIGIN ? "https://chat.example.org.evil.example" : ORIGIN,
			    m == R_CROSS_ORIGIN ? ",\"crossOrigin\":true" : NULL);
	if (m == R_CDJ_NUL)
		cdj.data[3] = '\0';
	if (m == R_PACKED_BADSIG || m == R_PACKED_ALG)
		stmt = self_stmt(k, PX_WA_ALG_ES256, m == R_PACKED_ALG ? -257 : -7, &ad, &cdj,
				 m == R_PACKED_BADSIG);
	else if (m == R_NONE_STMT)
		stmt = self_stmt(k, PX_WA_ALG_ES256, -7, &ad, &cdj, 0);
	else
		stmt = cbor_new_definite_map(0);
	att_obj(&att, m == R_FMT ? "fido-u2f" : m == R_PACKED_BADSIG || m == R_PACKED_ALG
							   ? "packed" : "none", stmt, &ad);
	if (m == R_TRAILING)
		px_buf_putc(&att, 0);
	got = px_wa_verify_registration(&x, (unsigned char *)cdj.data, cdj.len,
					(unsigned char *)att.data, att.len, &c);
	ck_assert_msg(got == reg_cases[_i].want, "line %d: want %s got %s", reg_cases[_i].line,
		      px_wa_reason(reg_cases[_i].want), px_wa_reason(got));
	ck_assert_ptr_null(c.spki);
	EVP_PKEY_free(k);
	px_buf_free(&ad);
	px_buf_free(&cdj);
	px_buf_free(&att);
}
END_TEST

START_TEST(test_register_packed_self)
{
	struct px_buf ad = PX_BUF_INIT, cdj = PX_BUF_INIT, att = PX_BUF_INIT;
	struct px_wa_expect x = expect(1);
	int alg = algs[_i];
	EVP_PKEY *k = keygen(alg);
	struct px_wa_credential c;

	auth_data(&ad, RP, PX_WA_FLAG_UP | PX_WA_FLAG_UV | PX_WA_FLAG_AT, 0, cose_key(k, alg, alg));
	client_data(&cdj, "webauthn.create", challenge, ORIGIN, NULL);
	att_obj(&att, "packed", self_stmt(k, alg, alg, &ad, &cdj, 0), &ad);
	ck_assert_int_eq(px_wa_verify_registration(&x, (unsigned char *)cdj.data, cdj.len,
						   (unsigned char *)att.data, att.len, &c),
			 PX_WA_OK);
	ck_assert_str_eq(c.fmt, "packed");
	ck_assert_str_eq(c.attestation, "self");
	px_wa_credential_free(&c);
	EVP_PKEY_free(k);
	px_buf_free(&ad);
	px_buf_free(&cdj);
	px_buf_free(&att);
}
END_TEST

/* ---- packed with an x5c chain ---- */

static X509 *cert(EVP_PKEY *subject, EVP_PKEY *signer, X509 *issuer, const char *ou,
		  int ca, const unsigned char *ext_aaguid, long days_valid)
{
	static long serial = 1;
	X509 *c = X509_new();
	X509_NAME *n = X509_get_subject_name(c);
	X509_EXTENSION *ext;
	X509V3_CTX v3;

	ck_assert(X509_set_version(c, 2) == 1);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial++);
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), days_valid * 86400);
	X509_set_pubkey(c, subject);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (unsigned char *)"DE", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (unsigned char *)"Test Vendor", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC, (unsigned char *)ou, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (unsigned char *)(ca ? "Test Root" : "Test Key"), -1, -1, 0);
	X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : n);
	X509V3_set_ctx(&v3, issuer ? issuer : c, c, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
				  ca ? "critical,CA:TRUE" : "CA:FALSE");
	X509_add_ext(c, ext, -1);
	X509_EXTENSION_free(ext);
	if (ext_aaguid) {
		ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1);
		ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
		unsigned char der[18] = { 0x04, 16 };

		memcpy(der + 2, ext_aaguid, 16);
		ASN1_OCTET_STRING_set(v, der, sizeof(der));
		ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, v);
		X509_add_ext(c, ext, -1);
		X509_EXTENSION_free(ext);
		ASN1_OCTET_STRING_free(v);
		ASN1_OBJECT_free(oid);
	}
	ck_assert(X509_sign(c, signer, EVP_sha256()) > 0);
	return c;
}

static cbor_item_t *der_item(X509 *c)
{
	unsigned char *der = NULL;
	int n = i2d_X509(c, &der);
	cbor_item_t *it;

	ck_assert(n > 0);
	it = cbor_build_bytestring(der, (size_t)n);
	OPENSSL_free(der);
	return it;
}

enum x5c_mut { X_OK, X_OU, X_CHAIN, X_AAGUID, X_EXPIRED, X_LEAF_CA, X_SIG };

static const struct {
	int line;
	enum x5c_mut m;
	enum px_wa_status want;
} x5c_cases[] = {
	{ __LINE__, X_OK, PX_WA_OK },
	{ __LINE__, X_OU, PX_WA_ATTESTATION },
	{ __LINE__, X_CHAIN, PX_WA_ATTESTATION },
	{ __LINE__, X_AAGUID, PX_WA_ATTESTATION },
	{ __LINE__, X_EXPIRED, PX_WA_ATTESTATION },
	{ __LINE__, X_LEAF_CA, PX_WA_ATTESTATION },
	{ __LINE__, X_SIG, PX_WA_ATTESTATION },
};

START_TEST(test_register_packed_x5c)
{
	struct px_buf ad = PX_BUF_INIT, cdj = PX_BUF_INIT, att = PX_BUF_INIT, sig = PX_BUF_INIT;
	enum x5c_mut m = x5c_cases[_i].m;
	struct px_wa_expect x = expect(0);
	EVP_PKEY *cred = keygen(PX_WA_ALG_EDDSA), *att_key = keygen(PX_WA_ALG_ES256);
	EVP_PKEY *root_key = keygen(PX_WA_ALG_ES256), *stranger = keygen(PX_WA_ALG_ES256);
	unsigned char wrong_aaguid[16] = { 1 };
	X509 *root = cert(root_key, root_key, NULL, "Root", 1, NULL, 3650);
	X509 *leaf = cert(att_key, m == X_CHAIN ? stranger : root_key, root,
			  m == X_OU ? "Somebody" : "Authenticator Attestation", m == X_LEAF_CA,
			  m == X_AAGUID ? wrong_aaguid : aaguid, m == X_EXPIRED ? -1 : 365);
	cbor_item_t *stmt = cbor_new_definite_map(3), *chain = cbor_new_definite_array(2);
	struct px_wa_credential c;
	enum px_wa_status got;

	auth_data(&ad, RP, PX_WA_FLAG_UP | PX_WA_FLAG_AT, 0, cose_key(cred, PX_WA_ALG_EDDSA, -8));
	client_data(&cdj, "webauthn.create", challenge, ORIGIN, NULL);
	sign(m == X_SIG ? stranger : att_key, PX_WA_ALG_ES256, &ad, &cdj, &sig);
	ck_assert(cbor_array_push(chain, cbor_move(der_item(leaf))));
	ck_assert(cbor_array_push(chain, cbor_move(der_item(root))));
	map_put(stmt, cbor_build_string("alg"), cint(-7));
	map_put(stmt, cbor_build_string("sig"), cbor_build_bytestring((unsigned char *)sig.data, sig.len));
	map_put(stmt, cbor_build_string("x5c"), chain);
	att_obj(&att, "packed", stmt, &ad);
	got = px_wa_verify_registration(&x, (unsigned char *)cdj.data, cdj.len,
					(unsigned char *)att.data, att.len, &c);
	ck_assert_msg(got == x5c_cases[_i].want, "line %d: want %s got %s", x5c_cases[_i].line,
		      px_wa_reason(x5c_cases[_i].want), px_wa_reason(got));
	if (got == PX_WA_OK) {
		ck_assert_str_eq(c.attestation, "basic");
		ck_assert_int_eq(c.alg, PX_WA_ALG_EDDSA);
	}
	px_wa_credential_free(&c);
	X509_free(root);
	X509_free(leaf);
	EVP_PKEY_free(cred);
	EVP_PKEY_free(att_key);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(stranger);
	px_buf_free(&ad);
	px_buf_free(&cdj);
	px_buf_free(&att);
	px_buf_free(&sig);
}
END_TEST

/* ---- tampered assertions ---- */

enum as_mut {
	A_OK, A_ORIGIN, A_CHALLENGE, A_TYPE, A_RP_ID, A_NO_UP, A_NO_UV, A_UV_OK, A_BADSIG,
	A_OTHER_KEY, A_COUNT_SAME, A_COUNT_BACK, A_COUNT_ZERO_BOTH, A_COUNT_ZERO_NEW,
	A_AT_FLAG, A_TRUNCATED, A_TRAILING, A_EXTENSIONS
};

static const struct {
	int line;
	enum as_mut m;
	int require_uv;
	uint32_t stored, sent;
	enum px_wa_status want;
} as_cases[] = {
	{ __LINE__, A_OK, 0, 4, 5, PX_WA_OK },
	{ __LINE__, A_ORIGIN, 0, 0, 1, PX_WA_ORIGIN },
	{ __LINE__, A_CHALLENGE, 0, 0, 1, PX_WA_CHALLENGE },
	{ __LINE__, A_TYPE, 0, 0, 1, PX_WA_TYPE },
	{ __LINE__, A_RP_ID, 0, 0, 1, PX_WA_RP_ID },
	{ __LINE__, A_NO_UP, 0, 0, 1, PX_WA_USER_PRESENT },
	{ __LINE__, A_NO_UV, 1, 0, 1, PX_WA_USER_VERIFIED },
	{ __LINE__, A_UV_OK, 1, 0, 1, PX_WA_OK },
	{ __LINE__, A_BADSIG, 0, 0, 1, PX_WA_SIGNATURE },
	{ __LINE__, A_OTHER_KEY, 0, 0, 1, PX_WA_SIGNATURE },
	{ __LINE__, A_COUNT_SAME, 0, 5, 5, PX_WA_SIGN_COUNT },
	{ __LINE__, A_COUNT_BACK, 0, 5, 3, PX_WA_SIGN_COUNT },
	{ __LINE__, A_COUNT_ZERO_BOTH, 0, 0, 0, PX_WA_OK },
	{ __LINE__, A_COUNT_ZERO_NEW, 0, 9, 0, PX_WA_SIGN_COUNT },
	{ __LINE__, A_AT_FLAG, 0, 0, 1, PX_WA_AUTH_DATA },
	{ __LINE__, A_TRUNCATED, 0, 0, 1, PX_WA_AUTH_DATA },
	{ __LINE__, A_TRAILING, 0, 0, 1, PX_WA_AUTH_DATA },
	{ __LINE__, A_EXTENSIONS, 0, 0, 1, PX_WA_OK },
};

START_TEST(test_assertion_refusals)
{
	struct px_buf ad = PX_BUF_INIT, cdj = PX_BUF_INIT, sig = PX_BUF_INIT, spki = PX_BUF_INIT;
	enum as_mut m = as_cases[_i].m;
	struct px_wa_expect x = expect(as_cases[_i].require_uv);
	unsigned flags = PX_WA_FLAG_UP | (m == A_UV_OK ? PX_WA_FLAG_UV : 0);
	EVP_PKEY *k = keygen(PX_WA_ALG_ES256), *other = keygen(PX_WA_ALG_ES256);
	unsigned char ch[PX_WA_CHALLENGE_LEN], *der = NULL;
	struct px_wa_assertion a;
	enum px_wa_status got;
	int n = i2d_PUBKEY(k, &der);

	px_buf_append(&spki, der, (size_t)n);
	OPENSSL_free(der);
	memcpy(ch, challenge, sizeof(ch));
	if (m == A_CHALLENGE)
		ch[5] ^= 0x20;
	if (m == A_NO_UP)
		flags = 0;
	if (m == A_AT_FLAG)
		flags |= PX_WA_FLAG_AT;
	if (m == A_EXTENSIONS)
		flags |= PX_WA_FLAG_ED;
	auth_data(&ad, m == A_RP_ID ? "example.org" : RP, flags, as_cases[_i].sent, NULL);
	if (m == A_EXTENSIONS) {
		cbor_item_t *ext = cbor_new_definite_map(1);

		map_put(ext, cbor_build_string("credProtect"), cint(1));
		append_cbor(&ad, ext);
	}
	if (m == A_TRAILING)
		px_buf_putc(&ad, 0);
	client_data(&cdj, m == A_TYPE ? "webauthn.create" : "webauthn.get", ch,
		    m == A_ORIGIN ? "http://chat.example.org" : ORIGIN, NULL);
	sign(m == A_OTHER_KEY ? other : k, PX_WA_ALG_ES256, &ad, &cdj, &sig);
	if (m == A_BADSIG)
		sig.data[sig.len - 3] ^= 0x01;
	if (m == A_TRUNCATED)
		ad.len = 36;
	a = (struct px_wa_assertion){ (unsigned char *)cdj.data, cdj.len, (unsigned char *)ad.data,
				      ad.len, (unsigned char *)sig.data, sig.len };
	got = px_wa_verify_assertion(&x, &a, (unsigned char *)spki.data, spki.len,
				     PX_WA_ALG_ES256, as_cases[_i].stored, NULL, NULL);
	ck_assert_msg(got == as_cases[_i].want, "line %d: want %s got %s", as_cases[_i].line,
		      px_wa_reason(as_cases[_i].want), px_wa_reason(got));
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	px_buf_free(&ad);
	px_buf_free(&cdj);
	px_buf_free(&sig);
	px_buf_free(&spki);
}
END_TEST

START_TEST(test_site_and_challenge)
{
	static const struct {
		int line;
		const char *url, *origin, *rp;
	} cases[] = {
		{ __LINE__, "https://chat.example.org", "https://chat.example.org", "chat.example.org" },
		{ __LINE__, "https://Chat.Example.ORG:443/app/", "https://chat.example.org", "chat.example.org" },
		{ __LINE__, "HTTP://localhost:8080/x?y", "http://localhost:8080", "localhost" },
		{ __LINE__, "http://localhost:80", "http://localhost", "localhost" },
		{ __LINE__, "https://h.example:8443", "https://h.example:8443", "h.example" },
		{ __LINE__, "https://u:p@h.example", NULL, NULL },
		{ __LINE__, "h.example", NULL, NULL },
		{ __LINE__, "https:///x", NULL, NULL },
	};
	char o[128], r[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = px_wa_site(cases[i].url, o, sizeof(o), r, sizeof(r));

		if (!cases[i].origin) {
			ck_assert_msg(rc == -1, "line %d: accepted", cases[i].line);
			continue;
		}
		ck_assert_msg(rc == 0 && !strcmp(o, cases[i].origin) && !strcmp(r, cases[i].rp),
			      "line %d: want %s %s got %d %s %s", cases[i].line, cases[i].origin,
			      cases[i].rp, rc, o, r);
	}
	ck_assert_int_eq(px_wa_client_challenge((const unsigned char *)"{\"challenge\":\"abc\"}", 19,
						o, sizeof(o)), 0);
	ck_assert_str_eq(o, "abc");
	ck_assert_int_eq(px_wa_client_challenge((const unsigned char *)"{\"challenge\":1}", 15, o,
						sizeof(o)), -1);
	ck_assert_int_eq(px_wa_client_challenge((const unsigned char *)"{\"challenge\":\"abc\"}", 19,
						o, 3), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("webauthn");
	TCase *tc = tcase_create("webauthn");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_register_none_and_assert, 0, 3);
	tcase_add_loop_test(tc, test_register_packed_self, 0, 3);
	tcase_add_loop_test(tc, test_register_refusals, 0,
			    (int)(sizeof(reg_cases) / sizeof(reg_cases[0])));
	tcase_add_loop_test(tc, test_register_packed_x5c, 0,
			    (int)(sizeof(x5c_cases) / sizeof(x5c_cases[0])));
	tcase_add_loop_test(tc, test_assertion_refusals, 0,
			    (int)(sizeof(as_cases) / sizeof(as_cases[0])));
	tcase_add_test(tc, test_site_and_challenge);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
