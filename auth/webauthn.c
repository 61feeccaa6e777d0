/* webauthn.c: the ceremony half of auth/webauthn: clientDataJSON,
 * authenticator data, attestation statements and the verification steps
 * of registration and assertion in the order of WebAuthn L2 §7.1/§7.2.
 * Nothing here trusts a length it has not checked against its buffer. */
#include "auth/webauthn.h"
#include "auth/webauthn_key.h"
#include "core/buf.h"
#include "core/codec.h"
#include "core/crypto.h"

#include <ctype.h>
#include <json-c/json.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUTH_DATA_MIN 37 /* rpIdHash 32, flags 1, signCount 4 */
#define ATTESTED_MIN 18  /* aaguid 16, credentialIdLength 2 */

static const char *const reasons[] = {
	[PX_WA_OK] = "ok",
	[PX_WA_CLIENT_DATA] = "client_data",
	[PX_WA_TYPE] = "type",
	[PX_WA_CHALLENGE] = "challenge",
	[PX_WA_ORIGIN] = "origin",
	[PX_WA_RP_ID] = "rp_id",
	[PX_WA_USER_PRESENT] = "user_presence",
	[PX_WA_USER_VERIFIED] = "user_verification",
	[PX_WA_AUTH_DATA] = "auth_data",
	[PX_WA_ATTESTATION_OBJECT] = "attestation_object",
	[PX_WA_KEY] = "key",
	[PX_WA_ALG] = "algorithm",
	[PX_WA_SIGNATURE] = "signature",
	[PX_WA_ATTESTATION] = "attestation",
	[PX_WA_SIGN_COUNT] = "sign_count",
	[PX_WA_INTERNAL] = "internal",
};

const char *px_wa_reason(enum px_wa_status st)
{
	return (unsigned)st < sizeof(reasons) / sizeof(reasons[0]) ? reasons[st] : "internal";
}

int px_wa_site(const char *url, char *origin, size_t ocap, char *rp_id, size_t rcap)
{
	const char *sep = url ? strstr(url, "://") : NULL, *host, *port;
	size_t slen, alen, hlen, i;
	int n;

	if (!sep || sep == url)
		return -1;
	slen = (size_t)(sep - url);
	host = sep + 3;
	alen = strcspn(host, "/?#");
	if (alen == 0 || memchr(host, '@', alen))
		return -1;
	port = host[0] == '[' ? memchr(host, ']', alen) : host;
	if (!port)
		return -1;
	port = memchr(port, ':', alen - (size_t)(port - host));
	hlen = port ? (size_t)(port - host) : alen;
	if (hlen == 0 || hlen >= rcap)
		return -1;
	for (i = 0; i < hlen; i++)
		rp_id[i] = (char)tolower((unsigned char)host[i]);
	rp_id[hlen] = '\0';
	if (port && ((slen == 5 && strncasecmp(url, "https", 5) == 0 &&
		      alen - hlen == 4 && strncmp(port, ":443", 4) == 0) ||
		     (slen == 4 && strncasecmp(url, "http", 4) == 0 &&
		      alen - hlen == 3 && strncmp(port, ":80", 3) == 0)))
		port = NULL;
	n = snprintf(origin, ocap, "%.*s://%s%.*s", (int)slen, url, rp_id,
		     port ? (int)(alen - hlen) : 0, port ? port : "");
	if (n < 0 || (size_t)n >= ocap)
		return -1;
	for (i = 0; i < slen; i++)
		origin[i] = (char)tolower((unsigned char)origin[i]);
	return 0;
}

/* Parsed authenticator data; pointers borrow from the caller's bytes. */
struct auth_data {
	const unsigned char *rp_hash;
	unsigned flags;
	uint32_t count;
	const unsigned char *aaguid;
	const unsigned char *cred_id;
	size_t cred_id_len;
};

/* Parses clientDataJSON into a new JSON object: NULL when it is not one
 * complete JSON object without NUL bytes. */
static struct json_object *client_data(const unsigned char *cdj, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o = NULL;

	if (!len || len > 64 * 1024 || memchr(cdj, 0, len) || !(tok = json_tokener_new()))
		return NULL;
	o = json_tokener_parse_ex(tok, (const char *)cdj, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static const char *member_str(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

int px_wa_client_challenge(const unsigned char *cdj, size_t len, char *out, size_t cap)
{
	struct json_object *o = client_data(cdj, len);
	const char *c = o ? member_str(o, "challenge") : NULL;
	int rc = -1;

	if (c && strlen(c) < cap) {
		memcpy(out, c, strlen(c) + 1);
		rc = 0;
	}
	json_object_put(o);
	return rc;
}

int px_wa_member_bytes(struct json_object *o, const char *k, size_t max,
		       struct px_buf *out)
{
	struct json_object *v;
	const char *s;

	if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	if (px_codec_b64_decode(s, strlen(s), PX_CODEC_B64_URL, out) != 0 || out->len == 0 ||
	    out->len > max)
		return -1;
	return 0;
}

/* §7.1 steps 5-9 / §7.2 steps 7-12: type, challenge, origin, crossOrigin. */
static enum px_wa_status check_client_data(const struct px_wa_expect *x, const char *type,
					   const unsigned char *cdj, size_t len)
{
	struct json_object *o = client_data(cdj, len), *co;
	struct px_buf ch = PX_BUF_INIT;
	const char *t, *c, *origin;
	enum px_wa_status st = PX_WA_CLIENT_DATA;

	if (!o)
		return PX_WA_CLIENT_DATA;
	t = member_str(o, "type");
	c = member_str(o, "challenge");
	origin = member_str(o, "origin");
	if (!t || !c || !origin)
		goto out;
	st = PX_WA_TYPE;
	if (strcmp(t, type) != 0)
		goto out;
	st = PX_WA_CHALLENGE;
	if (px_codec_b64_decode(c, strlen(c), PX_CODEC_B64_URL, &ch) != 0 ||
	    ch.len != x->challenge_len || !px_crypto_memeq(ch.data, x->challenge, ch.len))
		goto out;
	st = PX_WA_ORIGIN;
	if (strcmp(origin, x->origin) != 0 ||
	    (json_object_object_get_ex(o, "crossOrigin", &co) &&
	     json_object_get_boolean(co)))
		goto out;
	st = PX_WA_OK;
out:
	px_buf_free(&ch);
	json_object_put(o);
	return st;
}

/* Checks that exactly one CBOR map fills p[0..n). */
static int whole_map(const unsigned char *p, size_t n)
{
	struct cbor_load_result r;
	cbor_item_t *it = cbor_load(p, n, &r);
	int ok = it && r.error.code == CBOR_ERR_NONE && r.read == n && cbor_isa_map(it);

	if (it)
		cbor_decref(&it);
	return ok;
}

/* Splits authenticator data (§6.1). With AT set, the credential id and
 * the COSE key (a new item in *key, cbor_decref) follow; registration
 * requires AT (want_at), assertions refuse it. Extensions (ED) must be
 * exactly one map; nothing may trail. */
static enum px_wa_status parse_auth_data(const unsigned char *p, size_t n, int want_at,
					 struct auth_data *ad, cbor_item_t **key)
{
	struct cbor_load_result r;
	size_t off = AUTH_DATA_MIN;

	memset(ad, 0, sizeof(*ad));
	if (key)
		*key = NULL;
	if (!p || n < AUTH_DATA_MIN)
		return PX_WA_AUTH_DATA;
	ad->rp_hash = p;
	ad->flags = p[32];
	ad->count = (uint32_t)p[33] << 24 | (uint32_t)p[34] << 16 | (uint32_t)p[35] << 8 | p[36];
	if (!!(ad->flags & PX_WA_FLAG_AT) != want_at ||
	    ((ad->flags & PX_WA_FLAG_BS) && !(ad->flags & PX_WA_FLAG_BE)))
		return PX_WA_AUTH_DATA;
	if (want_at) {
		if (n - off < ATTESTED_MIN)
			return PX_WA_AUTH_DATA;
		ad->aaguid = p + off;
		ad->cred_id_len = (size_t)p[off + 16] << 8 | p[off + 17];
		off += ATTESTED_MIN;
		if (ad->cred_id_len == 0 || ad->cred_id_len > PX_WA_CRED_ID_MAX ||
		    n - off < ad->cred_id_len)
			return PX_WA_AUTH_DATA;
		ad->cred_id = p + off;
		off += ad->cred_id_len;
		*key = off < n ? cbor_load(p + off, n - off, &r) : NULL;
		if (!*key || r.error.code != CBOR_ERR_NONE)
			return PX_WA_KEY;
		off += r.read;
	}
	if (ad->flags & PX_WA_FLAG_ED)
		return off < n && whole_map(p + off, n - off) ? PX_WA_OK : PX_WA_AUTH_DATA;
	return off == n ? PX_WA_OK : PX_WA_AUTH_DATA;
}

/* rpIdHash, UP and (when required) UV. */
static enum px_wa_status check_rp_flags(const struct px_wa_expect *x, const struct auth_data *ad)
{
	unsigned char h[PX_SHA256_LEN];

	px_crypto_sha256(x->rp_id, strlen(x->rp_id), h);
	if (!px_crypto_memeq(h, ad->rp_hash, sizeof(h)))
		return PX_WA_RP_ID;
	if (!(ad->flags & PX_WA_FLAG_UP))
		return PX_WA_USER_PRESENT;
	if (x->require_uv && !(ad->flags & PX_WA_FLAG_UV))
		return PX_WA_USER_VERIFIED;
	return PX_WA_OK;
}

/* authData || SHA-256(clientDataJSON) into m: what both ceremonies sign. */
static int signed_bytes(struct px_buf *m, const unsigned char *ad, size_t adn,
			const unsigned char *cdj, size_t cdn)
{
	unsigned char h[PX_SHA256_LEN];

	px_crypto_sha256(cdj, cdn, h);
	px_buf_append(m, ad, adn);
	px_buf_append(m, h, sizeof(h));
	return m->failed ? -1 : 0;
}

/* The "packed" statement (§8.2): x5c (basic) or self attestation. */
static enum px_wa_status packed(const cbor_item_t *stmt, const struct px_buf *m,
				EVP_PKEY *cred, int alg, const unsigned char *aaguid,
				struct px_wa_credential *out)
{
	cbor_item_t *x5c = px_wa_map_str(stmt, "x5c");
	const unsigned char *sig;
	EVP_PKEY *leaf = NULL;
	enum px_wa_status st;
	size_t siglen = 0;
	int64_t salg;

	sig = px_wa_cbor_bytes(px_wa_map_str(stmt, "sig"), &siglen);
	if (!sig || px_wa_cbor_int(px_wa_map_str(stmt, "alg"), &salg) != 0 ||
	    px_wa_map_str(stmt, "ecdaaKeyId"))
		return PX_WA_ATTESTATION;
	if (!x5c) {
		if (salg != alg)
			return PX_WA_ATTESTATION;
		st = px_wa_sig_verify(cred, alg, (unsigned char *)m->data, m->len, sig, siglen);
		strcpy(out->attestation, "self");
		return st;
	}
	if ((st = px_wa_x5c_check(x5c, aaguid, &leaf)) != PX_WA_OK)
		return st;
	st = px_wa_sig_verify(leaf, (int)salg, (unsigned char *)m->data, m->len, sig, siglen);
	EVP_PKEY_free(leaf);
	strcpy(out->attestation, "basic");
	return st == PX_WA_SIGNATURE ? PX_WA_ATTESTATION : st;
}

/* Checks the statement of format fmt; records fmt and the type. */
static enum px_wa_status statement(const cbor_item_t *fmt, const cbor_item_t *stmt,
				   const struct px_buf *m, EVP_PKEY *cred, int alg,
				   const unsigned char *aaguid, struct px_wa_credential *out)
{
	size_t n;

	if (!fmt || !cbor_isa_string(fmt) || !cbor_string_is_definite(fmt) || !stmt ||
	    !cbor_isa_map(stmt) || !cbor_map_is_definite(stmt))
		return PX_WA_ATTESTATION_OBJECT;
	n = cbor_string_length(fmt);
	if (n == 4 && memcmp(cbor_string_handle(fmt), "none", 4) == 0) {
		strcpy(out->fmt, "none");
		strcpy(out->attestation, "none");
		return cbor_map_size(stmt) == 0 ? PX_WA_OK : PX_WA_ATTESTATION;
	}
	if (n == 6 && memcmp(cbor_string_handle(fmt), "packed", 6) == 0) {
		strcpy(out->fmt, "packed");
		return packed(stmt, m, cred, alg, aaguid, out);
	}
	return PX_WA_ATTESTATION;
}

/* Fills out's key and identity fields from a verified registration. */
static enum px_wa_status keep_credential(EVP_PKEY *pkey, int alg, const struct auth_data *ad,
					 struct px_wa_credential *out)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pkey, &der);

	if (n <= 0)
		return PX_WA_INTERNAL;
	memcpy(out->id, ad->cred_id, ad->cred_id_len);
	out->id_len = ad->cred_id_len;
	out->alg = alg;
	out->spki = malloc((size_t)n);
	if (!out->spki) {
		OPENSSL_free(der);
		return PX_WA_INTERNAL;
	}
	memcpy(out->spki, der, (size_t)n);
	out->spki_len = (size_t)n;
	OPENSSL_free(der);
	out->sign_count = ad->count;
	out->flags = ad->flags;
	memcpy(out->aaguid, ad->aaguid, sizeof(out->aaguid));
	return PX_WA_OK;
}

enum px_wa_status px_wa_verify_registration(const struct px_wa_expect *x,
					    const unsigned char *cdj, size_t cdj_len,
					    const unsigned char *att, size_t att_len,
					    struct px_wa_credential *out)
{
	struct px_buf m = PX_BUF_INIT;
	struct cbor_load_result r;
	cbor_item_t *obj = NULL, *key = NULL;
	const unsigned char *adp;
	EVP_PKEY *pkey = NULL;
	struct auth_data ad;
	enum px_wa_status st;
	size_t adn = 0;
	int alg = 0;

	memset(out, 0, sizeof(*out));
	if ((st = check_client_data(x, "webauthn.create", cdj, cdj_len)) != PX_WA_OK)
		return st;
	st = PX_WA_ATTESTATION_OBJECT;
	obj = att && att_len ? cbor_load(att, att_len, &r) : NULL;
	if (!obj || r.error.code != CBOR_ERR_NONE || r.read != att_len || !cbor_isa_map(obj) ||
	    !(adp = px_wa_cbor_bytes(px_wa_map_str(obj, "authData"), &adn)))
		goto out;
	if ((st = parse_auth_data(adp, adn, 1, &ad, &key)) != PX_WA_OK ||
	    (st = check_rp_flags(x, &ad)) != PX_WA_OK ||
	    (st = px_wa_cose_key(key, &pkey, &alg)) != PX_WA_OK)
		goto out;
	st = PX_WA_INTERNAL;
	if (signed_bytes(&m, adp, adn, cdj, cdj_len) != 0)
		goto out;
	st = statement(px_wa_map_str(obj, "fmt"), px_wa_map_str(obj, "attStmt"), &m, pkey,
		       alg, ad.aaguid, out);
	if (st == PX_WA_OK)
		st = keep_credential(pkey, alg, &ad, out);
out:
	if (st != PX_WA_OK)
		px_wa_credential_free(out);
	EVP_PKEY_free(pkey);
	if (key)
		cbor_decref(&key);
	if (obj)
		cbor_decref(&obj);
	px_buf_free(&m);
	return st;
}

enum px_wa_status px_wa_verify_assertion(const struct px_wa_expect *x,
					 const struct px_wa_assertion *a,
					 const unsigned char *spki, size_t spki_len, int alg,
					 uint32_t stored_count, uint32_t *count, unsigned *flags)
{
	struct px_buf m = PX_BUF_INIT;
	const unsigned char *p = spki;
	EVP_PKEY *pkey = NULL;
	struct auth_data ad;
	enum px_wa_status st;

	if ((st = check_client_data(x, "webauthn.get", a->client_data,
				    a->client_data_len)) != PX_WA_OK ||
	    (st = parse_auth_data(a->auth_data, a->auth_data_len, 0, &ad, NULL)) != PX_WA_OK ||
	    (st = check_rp_flags(x, &ad)) != PX_WA_OK)
		return st;
	st = PX_WA_KEY;
	if (!spki || !(pkey = d2i_PUBKEY(NULL, &p, (long)spki_len)) || p != spki + spki_len)
		goto out;
	st = PX_WA_INTERNAL;
	if (signed_bytes(&m, a->auth_data, a->auth_data_len, a->client_data,
			 a->client_data_len) != 0)
		goto out;
	st = px_wa_sig_verify(pkey, alg, (unsigned char *)m.data, m.len, a->signature,
			      a->signature_len);
	if (st != PX_WA_OK)
		goto out;
	/* §7.2 step 21: a counter that does not move on means two copies */
	if ((ad.count != 0 || stored_count != 0) && ad.count <= stored_count)
		st = PX_WA_SIGN_COUNT;
	if (count)
		*count = ad.count;
	if (flags)
		*flags = ad.flags;
out:
	EVP_PKEY_free(pkey);
	px_buf_free(&m);
	return st;
}

void px_wa_credential_free(struct px_wa_credential *c)
{
	free(c->spki);
	c->spki = NULL;
	c->spki_len = 0;
}
