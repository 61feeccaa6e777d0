/* px_bk_keys.c: key sets and wrap entries (see px_bk_keys.h). Secrets and
 * derived keys are wiped as soon as they are no longer needed. */
#include "backup/px_bk_keys.h"
#include "core/codec.h"

#include <argon2.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MASTER_PREFIX "plexichat-backup-master-key:"
#define WRAP_AAD "plexichat-backup wrap "
#define SALT_LEN 16

static const struct px_bk_kdf default_kdf = { 3, 32768, 1 };

void px_bk_keyring_wipe(struct px_bk_keyring *r)
{
	px_crypto_wipe(r, sizeof(*r));
}

void px_bk_secret_wipe(struct px_bk_secret *s)
{
	px_crypto_wipe(s, sizeof(*s));
}

int px_bk_secret_read(const char *path, enum px_bk_secret_kind kind,
		      struct px_bk_secret *out, struct px_buf *err)
{
	FILE *f = fopen(path, "rbe");
	size_t n;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!f) {
		px_buf_printf(err, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(out->data, 1, sizeof(out->data), f);
	if (!feof(f)) {
		px_buf_printf(err, "%s: longer than %zu bytes", path,
			      sizeof(out->data) - 1);
		goto out;
	}
	out->kind = kind;
	if (n >= strlen(MASTER_PREFIX) + 64 &&
	    !memcmp(out->data, MASTER_PREFIX, strlen(MASTER_PREFIX))) {
		char hex[65];

		memcpy(hex, out->data + strlen(MASTER_PREFIX), 64);
		hex[64] = '\0';
		if (px_codec_hex_decode_fixed(hex, out->data, 32) != 0) {
			px_buf_printf(err, "%s: malformed master key", path);
			goto out;
		}
		px_crypto_wipe(hex, sizeof(hex));
		out->kind = PX_BK_MASTER;
		out->len = 32;
		rc = 0;
		goto out;
	}
	if (kind == PX_BK_PASSPHRASE) {
		unsigned char *nl = memchr(out->data, '\n', n);

		if (nl)
			n = (size_t)(nl - out->data);
		if (n && out->data[n - 1] == '\r')
			n--;
		if (n == 0) {
			px_buf_printf(err, "%s: empty passphrase", path);
			goto out;
		}
	} else if (n < 16) {
		px_buf_printf(err, "%s: a key file needs at least 16 bytes", path);
		goto out;
	}
	out->len = n;
	rc = 0;
out:
	fclose(f);
	if (rc != 0)
		px_bk_secret_wipe(out);
	return rc;
}

/* Derives the key-encryption key of one wrap entry. */
static int derive_kek(const struct px_bk_secret *s, const struct px_bk_kdf *k,
		      const unsigned char *salt, unsigned char kek[32])
{
	unsigned char ikm[SALT_LEN + sizeof(s->data)];
	int rc;

	if (s->kind == PX_BK_PASSPHRASE)
		return argon2id_hash_raw(k->t_cost, k->m_kib, k->parallel,
					 s->data, s->len, salt, SALT_LEN, kek,
					 32) == ARGON2_OK ? 0 : -1;
	memcpy(ikm, salt, SALT_LEN);
	memcpy(ikm + SALT_LEN, s->data, s->len);
	rc = px_bk_hkdf(ikm, SALT_LEN + s->len, "plexichat-backup keyfile",
			kek, 32);
	px_crypto_wipe(ikm, sizeof(ikm));
	return rc;
}

static void derive_datakey(struct px_bk_datakey *k)
{
	unsigned char id[32];

	if (px_bk_hkdf(k->raw, 32, "plexichat-backup key-id", id, 32) == 0)
		memcpy(k->id, id, PX_BK_KEYID_LEN);
	if (px_bk_hkdf(k->raw, 32, "plexichat-backup enc", k->enc, 32) != 0)
		memset(k->enc, 0, 32);
}

static int derive_ring(struct px_bk_keyring *r)
{
	size_t i;

	for (i = 0; i < r->nkeys; i++)
		derive_datakey(&r->keys[i]);
	if (px_bk_hkdf(r->keys[0].raw, 32, "plexichat-backup shard-id",
		       r->id_key, 32) != 0 ||
	    px_bk_hkdf(r->keys[0].raw, 32, "plexichat-backup chunker",
		       r->cdc_seed, 32) != 0)
		return -1;
	return 0;
}

const unsigned char *px_bk_keys_lookup(const void *ring,
				       const unsigned char *keyid)
{
	const struct px_bk_keyring *r = ring;
	size_t i;

	for (i = 0; i < r->nkeys; i++)
		if (!memcmp(r->keys[i].id, keyid, PX_BK_KEYID_LEN))
			return r->keys[i].enc;
	return NULL;
}

const struct px_bk_datakey *px_bk_keys_current(const struct px_bk_keyring *r)
{
	return &r->keys[r->current];
}

static const unsigned char zero_id[PX_BK_KEYID_LEN];

static const unsigned char *master_lookup(const void *arg,
					  const unsigned char *keyid)
{
	return memcmp(keyid, zero_id, PX_BK_KEYID_LEN) ? NULL : arg;
}

static void keyset_name(unsigned v, char out[40])
{
	snprintf(out, 40, "keys/keyset-%06u", v);
}

static void json_hex(json_object *o, const char *k, const unsigned char *p,
		     size_t n)
{
	char hex[129];

	px_codec_hex_str(hex, p, n);
	json_object_object_add(o, k, json_object_new_string(hex));
	px_crypto_wipe(hex, sizeof(hex));
}

static int get_hex(json_object *o, const char *k, unsigned char *p, size_t n)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) != (int)(2 * n))
		return -1;
	return px_codec_hex_decode_fixed(json_object_get_string(v), p, n);
}

static long long get_int(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static enum px_err write_keyset(struct px_st_store *st,
				const struct px_bk_keyring *r)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	struct px_bk_codec *c = px_bk_codec_new(3);
	struct px_buf box = PX_BUF_INIT;
	enum px_err rc = PX_E_STORAGE_FAILED;
	const char *txt;
	char name[40];
	size_t i;

	if (!o || !arr || !c)
		goto out;
	json_object_object_add(o, "version", json_object_new_int(1));
	for (i = 0; i < r->nkeys; i++) {
		json_object *k = json_object_new_object();

		json_hex(k, "id", r->keys[i].id, PX_BK_KEYID_LEN);
		json_hex(k, "key", r->keys[i].raw, 32);
		json_object_object_add(k, "created",
				       json_object_new_int64(r->keys[i].created));
		json_object_array_add(arr, k);
	}
	json_object_object_add(o, "keys", arr);
	arr = NULL;
	json_object_object_add(o, "current", json_object_new_int((int)r->current));
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	keyset_name(r->keyset_version, name);
	if (px_bk_box_seal(c, "PXKS", r->master, zero_id, name, strlen(name),
			   txt, strlen(txt), 0, &box) != 0)
		goto out;
	px_crypto_wipe((char *)txt, strlen(txt));
	rc = px_st_put(st, name, box.data, box.len);
out:
	json_object_put(arr);
	json_object_put(o);
	px_bk_codec_free(c);
	px_buf_free(&box);
	return rc;
}

static enum px_err write_wrap(struct px_st_store *st, const unsigned char master[32],
			      const struct px_bk_secret *s,
			      const struct px_bk_kdf *kdf, char id_out[17])
{
	unsigned char salt[SALT_LEN], nonce[12], kek[32], wrapped[48], idb[8];
	json_object *o = json_object_new_object();
	struct px_buf aad = PX_BUF_INIT, name = PX_BUF_INIT;
	enum px_err rc = PX_E_STORAGE_FAILED;
	const char *txt;
	char id[17];

	if (!kdf)
		kdf = &default_kdf;
	if (!o || px_bk_random(salt, sizeof(salt)) != 0 ||
	    px_bk_random(nonce, sizeof(nonce)) != 0 ||
	    px_bk_random(idb, sizeof(idb)) != 0)
		goto out;
	px_codec_hex_str(id, idb, 8);
	if (derive_kek(s, kdf, salt, kek) != 0)
		goto out;
	px_buf_printf(&aad, WRAP_AAD "%s", id);
	if (aad.failed || px_bk_seal(kek, nonce, aad.data, aad.len, master, 32,
				     wrapped) != 0)
		goto out;
	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "kind", json_object_new_string(
		s->kind == PX_BK_PASSPHRASE ? "passphrase" : "keyfile"));
	json_object_object_add(o, "kdf", json_object_new_string(
		s->kind == PX_BK_PASSPHRASE ? "argon2id" : "hkdf-sha256"));
	json_object_object_add(o, "t", json_object_new_int((int)kdf->t_cost));
	json_object_object_add(o, "m_kib", json_object_new_int((int)kdf->m_kib));
	json_object_object_add(o, "p", json_object_new_int((int)kdf->parallel));
	json_hex(o, "salt", salt, sizeof(salt));
	json_hex(o, "nonce", nonce, sizeof(nonce));
	json_hex(o, "wrapped", wrapped, sizeof(wrapped));
	json_object_object_add(o, "created", json_object_new_int64(time(NULL)));
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	px_buf_printf(&name, "keys/wrap-%s", id);
	if (name.failed)
		goto out;
	rc = px_st_put(st, name.data, txt, strlen(txt));
	if (rc == PX_OK && id_out)
		memcpy(id_out, id, 17);
out:
	px_crypto_wipe(kek, sizeof(kek));
	json_object_put(o);
	px_buf_free(&aad);
	px_buf_free(&name);
	return rc;
}

struct key_names {
	char **wraps;
	size_t nwraps;
	unsigned keyset_max;
	int any;
};

static int collect(void *arg, const char *name, size_t size)
{
	struct key_names *k = arg;
	unsigned v;
	char **nw;

	k->any = 1;
	if (!strncmp(name, "keys/wrap-", 10)) {
		nw = realloc(k->wraps, (k->nwraps + 1) * sizeof(*nw));
		if (!nw)
			return 1;
		k->wraps = nw;
		k->wraps[k->nwraps] = strdup(name);
		if (k->wraps[k->nwraps])
			k->nwraps++;
	} else if (sscanf(name, "keys/keyset-%u", &v) == 1 && v > k->keyset_max) {
		k->keyset_max = v;
	}
	return 0;
}

static void names_free(struct key_names *k)
{
	size_t i;

	for (i = 0; i < k->nwraps; i++)
		free(k->wraps[i]);
	free(k->wraps);
}

enum px_err px_bk_keys_init(struct px_st_store *st, const struct px_bk_secret *s,
			    const struct px_bk_kdf *kdf, struct px_bk_keyring *out)
{
	struct key_names names = { 0 };
	enum px_err rc;

	memset(out, 0, sizeof(*out));
	rc = px_st_list(st, "keys/", collect, &names);
	if (rc != PX_OK)
		goto out;
	if (names.any) {
		rc = PX_E_VALIDATION_CONFLICT;
		goto out;
	}
	rc = PX_E_STORAGE_FAILED;
	if (s->kind == PX_BK_MASTER) {
		memcpy(out->master, s->data, 32);
	} else if (px_bk_random(out->master, 32) != 0) {
		goto out;
	}
	if (px_bk_random(out->keys[0].raw, 32) != 0)
		goto out;
	out->keys[0].created = time(NULL);
	out->nkeys = 1;
	out->current = 0;
	out->keyset_version = 1;
	if (derive_ring(out) != 0)
		goto out;
	rc = write_keyset(st, out);
	if (rc == PX_OK && s->kind != PX_BK_MASTER)
		rc = write_wrap(st, out->master, s, kdf, NULL);
out:
	names_free(&names);
	if (rc != PX_OK)
		px_bk_keyring_wipe(out);
	return rc;
}

/* Tries one wrap entry; 0 and master filled when the secret opens it. */
static int try_wrap(struct px_st_store *st, const char *name,
		    const struct px_bk_secret *s, unsigned char master[32])
{
	struct px_buf txt = PX_BUF_INIT, aad = PX_BUF_INIT;
	unsigned char salt[SALT_LEN], nonce[12], wrapped[48], kek[32];
	struct px_bk_kdf kdf;
	json_object *o = NULL, *v;
	int rc = -1;

	if (px_st_get(st, name, &txt) != PX_OK)
		goto out;
	o = json_tokener_parse(txt.data);
	if (!o || !json_object_object_get_ex(o, "kind", &v) ||
	    strcmp(json_object_get_string(v),
		   s->kind == PX_BK_PASSPHRASE ? "passphrase" : "keyfile"))
		goto out;
	if (!json_object_object_get_ex(o, "id", &v) ||
	    get_hex(o, "salt", salt, sizeof(salt)) ||
	    get_hex(o, "nonce", nonce, sizeof(nonce)) ||
	    get_hex(o, "wrapped", wrapped, sizeof(wrapped)))
		goto out;
	kdf.t_cost = (unsigned)get_int(o, "t");
	kdf.m_kib = (unsigned)get_int(o, "m_kib");
	kdf.parallel = (unsigned)get_int(o, "p");
	/* refuse absurd costs from a tampered entry */
	if (kdf.m_kib > (1u << 21) || kdf.t_cost > 64 || kdf.parallel > 64)
		goto out;
	px_buf_printf(&aad, WRAP_AAD "%s", json_object_get_string(v));
	if (aad.failed || derive_kek(s, &kdf, salt, kek) != 0)
		goto out;
	rc = px_bk_open(kek, nonce, aad.data, aad.len, wrapped, 32, master);
out:
	px_crypto_wipe(kek, sizeof(kek));
	json_object_put(o);
	px_buf_free(&txt);
	px_buf_free(&aad);
	return rc;
}

static enum px_err read_keyset(struct px_st_store *st, unsigned version,
			       struct px_bk_keyring *r)
{
	struct px_bk_codec *c = px_bk_codec_new(3);
	struct px_buf box = PX_BUF_INIT, plain = PX_BUF_INIT;
	json_object *o = NULL, *arr;
	enum px_err rc;
	char name[40];
	size_t i;

	keyset_name(version, name);
	rc = c ? px_st_get(st, name, &box) : PX_E_STORAGE_FAILED;
	if (rc != PX_OK)
		goto out;
	rc = px_bk_box_open(c, "PXKS", master_lookup, r->master, name,
			    strlen(name), box.data, box.len, &plain);
	if (rc == PX_E_STORAGE_SHARD_CORRUPT)
		rc = PX_E_STORAGE_KEY_INVALID;
	if (rc != PX_OK)
		goto out;
	rc = PX_E_STORAGE_SHARD_CORRUPT;
	o = json_tokener_parse(plain.data);
	if (!o || !json_object_object_get_ex(o, "keys", &arr) ||
	    !json_object_is_type(arr, json_type_array) ||
	    json_object_array_length(arr) == 0 ||
	    json_object_array_length(arr) > PX_BK_MAX_KEYS)
		goto out;
	r->nkeys = json_object_array_length(arr);
	for (i = 0; i < r->nkeys; i++) {
		json_object *k = json_object_array_get_idx(arr, i);

		if (get_hex(k, "key", r->keys[i].raw, 32) != 0)
			goto out;
		r->keys[i].created = get_int(k, "created");
	}
	r->current = (size_t)get_int(o, "current");
	if (r->current >= r->nkeys)
		goto out;
	r->keyset_version = version;
	rc = derive_ring(r) == 0 ? PX_OK : PX_E_STORAGE_FAILED;
out:
	if (plain.data)
		px_crypto_wipe(plain.data, plain.len);
	json_object_put(o);
	px_bk_codec_free(c);
	px_buf_free(&box);
	px_buf_free(&plain);
	return rc;
}

enum px_err px_bk_keys_open(struct px_st_store *st, const struct px_bk_secret *s,
			    struct px_bk_keyring *out)
{
	struct key_names names = { 0 };
	enum px_err rc;
	size_t i;
	int found = 0;

	memset(out, 0, sizeof(*out));
	rc = px_st_list(st, "keys/", collect, &names);
	if (rc != PX_OK)
		goto out;
	if (!names.keyset_max) {
		rc = PX_E_STORAGE_SHARD_MISSING;
		px_buf_reset(&st->errmsg);
		px_buf_puts(&st->errmsg, "no key set in the store: run init first");
		goto out;
	}
	if (s->kind == PX_BK_MASTER) {
		memcpy(out->master, s->data, 32);
		found = 1;
	}
	for (i = 0; !found && i < names.nwraps; i++)
		found = try_wrap(st, names.wraps[i], s, out->master) == 0;
	rc = found ? read_keyset(st, names.keyset_max, out) :
		     PX_E_STORAGE_KEY_INVALID;
out:
	names_free(&names);
	if (rc != PX_OK)
		px_bk_keyring_wipe(out);
	return rc;
}

enum px_err px_bk_keys_add(struct px_st_store *st, const struct px_bk_keyring *r,
			   const struct px_bk_secret *s, const struct px_bk_kdf *kdf,
			   char id[17])
{
	if (s->kind == PX_BK_MASTER)
		return PX_E_VALIDATION_FAILED;
	return write_wrap(st, r->master, s, kdf, id);
}

enum px_err px_bk_keys_remove(struct px_st_store *st, const char *id)
{
	struct key_names names = { 0 };
	struct px_buf name = PX_BUF_INIT;
	enum px_err rc;
	size_t i;
	int have = 0;

	px_buf_printf(&name, "keys/wrap-%s", id);
	rc = px_st_list(st, "keys/", collect, &names);
	if (rc != PX_OK || name.failed)
		goto out;
	for (i = 0; i < names.nwraps; i++)
		have |= !strcmp(names.wraps[i], name.data);
	if (!have)
		rc = PX_E_VALIDATION_NOT_FOUND;
	else if (names.nwraps < 2)
		rc = PX_E_VALIDATION_CONFLICT;
	else
		rc = px_st_del(st, name.data);
out:
	names_free(&names);
	px_buf_free(&name);
	return rc;
}

enum px_err px_bk_keys_rotate(struct px_st_store *st, struct px_bk_keyring *r)
{
	struct px_bk_datakey *k;

	if (r->nkeys == PX_BK_MAX_KEYS)
		return PX_E_VALIDATION_CONFLICT;
	k = &r->keys[r->nkeys];
	if (px_bk_random(k->raw, 32) != 0)
		return PX_E_STORAGE_FAILED;
	k->created = time(NULL);
	derive_datakey(k);
	r->nkeys++;
	r->current = r->nkeys - 1;
	r->keyset_version++;
	return write_keyset(st, r);
}

void px_bk_keys_export(const struct px_bk_keyring *r, struct px_buf *out)
{
	char hex[65];

	px_codec_hex_str(hex, r->master, 32);
	px_buf_printf(out, MASTER_PREFIX "%s\n", hex);
	px_crypto_wipe(hex, sizeof(hex));
}

enum px_err px_bk_keys_list(struct px_st_store *st, struct px_buf *out)
{
	struct key_names names = { 0 };
	struct px_buf txt = PX_BUF_INIT;
	enum px_err rc;
	size_t i;

	rc = px_st_list(st, "keys/", collect, &names);
	for (i = 0; rc == PX_OK && i < names.nwraps; i++) {
		json_object *o, *id, *kind, *cr;

		rc = px_st_get(st, names.wraps[i], &txt);
		if (rc != PX_OK)
			break;
		o = json_tokener_parse(txt.data);
		if (o && json_object_object_get_ex(o, "id", &id) &&
		    json_object_object_get_ex(o, "kind", &kind) &&
		    json_object_object_get_ex(o, "created", &cr))
			px_buf_printf(out, "{\"id\":\"%s\",\"kind\":\"%s\",\"created\":%lld}\n",
				      json_object_get_string(id),
				      json_object_get_string(kind),
				      (long long)json_object_get_int64(cr));
		json_object_put(o);
	}
	px_buf_printf(out, "{\"keyset_version\":%u}\n", names.keyset_max);
	names_free(&names);
	px_buf_free(&txt);
	return rc;
}
