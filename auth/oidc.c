/* oidc.c: OpenID Connect relying party: provider file, discovery and JWKS
 * cache (this module's own state, behind a mutex), code exchange and
 * ID-token checks. */
#include "auth/oidc.h"
#include "core/cfg.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "auth/jwt.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define CACHE_SLOTS 8
#define META_TTL 3600
#define JWKS_MIN_REFRESH 10 /* seconds between refetches on unknown kids */
#define MAX_BODY (1 << 20)

struct slot {
	char issuer[512];
	struct px_oidc_meta meta;
	time_t meta_at;
	char *jwks;
	time_t jwks_at;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot cache[CACHE_SLOTS];

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
	struct px_buf *b = arg;

	px_buf_append(b, p, size * n);
	return b->failed ? 0 : size * n;
}

/* GET url, or POST form when form != NULL (with HTTP Basic client auth
 * when user != NULL). The body goes to out. */
static enum px_err http(const char *url, const char *form, const char *user,
			const char *pass, struct px_buf *out, long *status)
{
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	CURLcode rc;

	if (!c)
		return PX_E_SYSTEM_INTERNAL;
	out->max = MAX_BODY;
	h = curl_slist_append(h, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (form)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
	if (user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return PX_E_NETWORK_TIMEOUT;
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
		return PX_E_NETWORK_UNREACHABLE;
	return rc == CURLE_OK && !out->failed ? PX_OK : PX_E_NETWORK_BAD_RESPONSE;
}

static enum px_err get_json(const char *url, struct json_object **o)
{
	struct px_buf b = PX_BUF_INIT;
	long status = 0;
	enum px_err e = http(url, NULL, NULL, NULL, &b, &status);

	*o = NULL;
	if (e == PX_OK && (status != 200 || !b.data || !(*o = json_tokener_parse(b.data))))
		e = PX_E_NETWORK_BAD_RESPONSE;
	px_buf_free(&b);
	return e;
}

static void copy_str(char *dst, size_t cap, struct json_object *o, const char *key)
{
	struct json_object *v;

	dst[0] = '\0';
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		snprintf(dst, cap, "%s", json_object_get_string(v));
}

static int get_bool(struct json_object *o, const char *key, int dflt)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_boolean(v) : dflt;
}

static struct json_object *load_file(const struct px_cfg *cfg)
{
	const char *path = px_cfg_str(cfg, "oidc_providers_file");
	struct json_object *o, *arr = NULL;

	if (!*path || !(o = json_object_from_file(path)))
		return NULL;
	if (json_object_object_get_ex(o, "providers", &arr) &&
	    json_object_is_type(arr, json_type_array))
		json_object_get(arr);
	else
		arr = NULL;
	json_object_put(o);
	return arr;
}

static void fill(const struct px_cfg *cfg, struct json_object *o, struct px_oidc_provider *p)
{
	memset(p, 0, sizeof(*p));
	copy_str(p->name, sizeof(p->name), o, "name");
	copy_str(p->label, sizeof(p->label), o, "label");
	copy_str(p->issuer, sizeof(p->issuer), o, "issuer");
	copy_str(p->client_id, sizeof(p->client_id), o, "client_id");
	copy_str(p->client_secret, sizeof(p->client_secret), o, "client_secret");
	copy_str(p->scopes, sizeof(p->scopes), o, "scopes");
	copy_str(p->redirect_uri, sizeof(p->redirect_uri), o, "redirect_uri");
	if (!p->scopes[0])
		snprintf(p->scopes, sizeof(p->scopes), "openid email profile");
	if (!p->redirect_uri[0])
		snprintf(p->redirect_uri, sizeof(p->redirect_uri),
			 "%s/api/v1/auth/oidc/%s/callback", px_cfg_str(cfg, "public_url"), p->name);
	p->trust_email = get_bool(o, "trust_email", 0);
	p->auto_register = get_bool(o, "auto_register", 1);
}

enum px_err px_oidc_provider(const struct px_cfg *cfg, const char *name,
			     struct px_oidc_provider *p)
{
	struct json_object *arr = load_file(cfg);
	enum px_err e = PX_E_VALIDATION_NOT_FOUND;
	size_t i;

	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		fill(cfg, json_object_array_get_idx(arr, i), p);
		if (strcmp(p->name, name) == 0) {
			e = p->issuer[0] && p->client_id[0] ? PX_OK : PX_E_SYSTEM_INTERNAL;
			break;
		}
	}
	json_object_put(arr);
	return e;
}

void px_oidc_list_json(const struct px_cfg *cfg, struct px_buf *out)
{
	struct json_object *arr = load_file(cfg);
	struct px_oidc_provider p;
	size_t i;

	px_buf_putc(out, '[');
	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		fill(cfg, json_object_array_get_idx(arr, i), &p);
		px_buf_puts(out, i ? ",{\"name\":" : "{\"name\":");
		px_buf_json_str(out, p.name, strlen(p.name));
		px_buf_puts(out, ",\"label\":");
		px_buf_json_str(out, p.label[0] ? p.label : p.name,
				strlen(p.label[0] ? p.label : p.name));
		px_buf_putc(out, '}');
	}
	px_buf_putc(out, ']');
	json_object_put(arr);
}

/* The cache slot of issuer (reusing the oldest). Called with the lock. */
static struct slot *slot_for(const char *issuer)
{
	struct slot *old = &cache[0];
	int i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		if (strcmp(cache[i].issuer, issuer) == 0)
			return &cache[i];
		if (cache[i].meta_at < old->meta_at)
			old = &cache[i];
	}
	free(old->jwks);
	memset(old, 0, sizeof(*old));
	snprintf(old->issuer, sizeof(old->issuer), "%s", issuer);
	return old;
}

static enum px_err fetch_meta(const struct px_oidc_provider *p, struct px_oidc_meta *m)
{
	char url[700];
	struct json_object *o = NULL;
	char iss[512];
	enum px_err e;

	snprintf(url, sizeof(url), "%s/.well-known/openid-configuration", p->issuer);
	if ((e = get_json(url, &o)) != PX_OK)
		return e;
	copy_str(iss, sizeof(iss), o, "issuer");
	copy_str(m->authorization_endpoint, sizeof(m->authorization_endpoint), o,
		 "authorization_endpoint");
	copy_str(m->token_endpoint, sizeof(m->token_endpoint), o, "token_endpoint");
	copy_str(m->jwks_uri, sizeof(m->jwks_uri), o, "jwks_uri");
	json_object_put(o);
	if (strcmp(iss, p->issuer) != 0 || !m->authorization_endpoint[0] ||
	    !m->token_endpoint[0] || !m->jwks_uri[0])
		return PX_E_NETWORK_BAD_RESPONSE;
	return PX_OK;
}

enum px_err px_oidc_discover(const struct px_oidc_provider *p, struct px_oidc_meta *m)
{
	struct slot *s;
	time_t now = time(NULL);
	enum px_err e = PX_OK;

	pthread_mutex_lock(&cache_lock);
	s = slot_for(p->issuer);
	if (s->meta_at + META_TTL < now) {
		/* fetched under the lock: discovery is rare and this keeps one
		 * request per issuer in flight */
		if ((e = fetch_meta(p, &s->meta)) == PX_OK)
			s->meta_at = now;
	}
	*m = s->meta;
	pthread_mutex_unlock(&cache_lock);
	return e;
}

/* A parsed copy of the cached JWKS, refetched when refresh is set (at most
 * every JWKS_MIN_REFRESH seconds) or when none is cached. */
static enum px_err jwks(const struct px_oidc_provider *p, const struct px_oidc_meta *m,
			int refresh, struct json_object **out)
{
	struct json_object *o = NULL;
	struct slot *s;
	time_t now = time(NULL);
	enum px_err e = PX_OK;

	pthread_mutex_lock(&cache_lock);
	s = slot_for(p->issuer);
	if (!s->jwks || (refresh && s->jwks_at + JWKS_MIN_REFRESH < now)) {
		if ((e = get_json(m->jwks_uri, &o)) == PX_OK) {
			free(s->jwks);
			s->jwks = strdup(json_object_to_json_string(o));
			s->jwks_at = now;
			json_object_put(o);
		}
	}
	*out = s->jwks ? json_tokener_parse(s->jwks) : NULL;
	pthread_mutex_unlock(&cache_lock);
	return *out ? PX_OK : e != PX_OK ? e : PX_E_NETWORK_BAD_RESPONSE;
}

static void add_param(struct px_buf *b, CURL *c, const char *k, const char *v)
{
	char *esc = curl_easy_escape(c, v, 0);

	px_buf_printf(b, "%s%s=%s", b->len ? "&" : "", k, esc ? esc : "");
	curl_free(esc);
}

void px_oidc_challenge(const char *verifier, struct px_buf *out)
{
	unsigned char d[PX_SHA256_LEN];

	px_crypto_sha256(verifier, strlen(verifier), d);
	px_codec_b64_encode(out, d, sizeof(d), PX_CODEC_B64_URL);
}

void px_oidc_auth_url(const struct px_oidc_provider *p, const struct px_oidc_meta *m,
		      const char *state, const char *nonce, const char *challenge,
		      struct px_buf *out)
{
	struct px_buf q = PX_BUF_INIT;
	CURL *c = curl_easy_init();

	add_param(&q, c, "response_type", "code");
	add_param(&q, c, "client_id", p->client_id);
	add_param(&q, c, "redirect_uri", p->redirect_uri);
	add_param(&q, c, "scope", p->scopes);
	add_param(&q, c, "state", state);
	add_param(&q, c, "nonce", nonce);
	add_param(&q, c, "code_challenge", challenge);
	add_param(&q, c, "code_challenge_method", "S256");
	px_buf_printf(out, "%s%c%s", m->authorization_endpoint,
		      strchr(m->authorization_endpoint, '?') ? '&' : '?', q.data);
	px_buf_free(&q);
	if (c)
		curl_easy_cleanup(c);
}

/* POSTs the code to the token endpoint; *id_token gets the ID token. */
static enum px_err exchange(const struct px_oidc_provider *p, const struct px_oidc_meta *m,
			    const char *code, const char *verifier, struct px_buf *id_token)
{
	struct px_buf form = PX_BUF_INIT, body = PX_BUF_INIT;
	struct json_object *o = NULL, *v;
	CURL *c = curl_easy_init();
	long status = 0;
	enum px_err e;

	add_param(&form, c, "grant_type", "authorization_code");
	add_param(&form, c, "code", code);
	add_param(&form, c, "redirect_uri", p->redirect_uri);
	add_param(&form, c, "client_id", p->client_id);
	add_param(&form, c, "code_verifier", verifier);
	if (c)
		curl_easy_cleanup(c);
	e = form.failed ? PX_E_SYSTEM_INTERNAL
			: http(m->token_endpoint, form.data, p->client_id, p->client_secret,
			       &body, &status);
	if (e == PX_OK && status != 200)
		e = PX_E_AUTH_OIDC_FAILED;
	if (e == PX_OK && (!body.data || !(o = json_tokener_parse(body.data)) ||
			   !json_object_object_get_ex(o, "id_token", &v) ||
			   !json_object_is_type(v, json_type_string)))
		e = PX_E_NETWORK_BAD_RESPONSE;
	if (e == PX_OK)
		px_buf_puts(id_token, json_object_get_string(v));
	json_object_put(o);
	px_buf_free(&form);
	px_buf_free(&body);
	return e;
}

enum px_err px_oidc_finish(const struct px_oidc_provider *p, const struct px_oidc_meta *m,
			   const char *code, const char *verifier, const char *nonce,
			   struct json_object **claims)
{
	struct px_buf tok = PX_BUF_INIT;
	struct json_object *keys = NULL;
	enum px_err e;

	*claims = NULL;
	if ((e = exchange(p, m, code, verifier, &tok)) != PX_OK ||
	    (e = jwks(p, m, 0, &keys)) != PX_OK)
		goto out;
	e = px_jwt_verify(tok.data, keys, claims);
	if (e == PX_E_VALIDATION_NOT_FOUND) { /* the provider rotated its keys */
		json_object_put(keys);
		if ((e = jwks(p, m, 1, &keys)) == PX_OK)
			e = px_jwt_verify(tok.data, keys, claims);
		if (e == PX_E_VALIDATION_NOT_FOUND)
			e = PX_E_AUTH_TOKEN_INVALID;
	}
	if (e == PX_OK && (e = px_jwt_check_claims(*claims, p->issuer, p->client_id, nonce,
						   time(NULL))) != PX_OK) {
		json_object_put(*claims);
		*claims = NULL;
	}
out:
	json_object_put(keys);
	px_buf_free(&tok);
	return e;
}
