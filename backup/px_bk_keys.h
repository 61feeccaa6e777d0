/* px_bk_keys.h: the store's keys.
 *
 * A random 32-byte master key seals the key set ("keys/keyset-NNNNNN",
 * a PXKS box, never overwritten: a rotation writes the next number). The
 * key set lists the data keys; the newest seals new objects, older ones
 * still open old objects. The master key is wrapped once per passphrase
 * or key file in "keys/wrap-<id>" (plain JSON: KDF parameters, salt, and
 * the AES-GCM-wrapped master key). Passphrases go through Argon2id; key
 * files (at least 16 bytes of anything) through HKDF-SHA-256 with a salt.
 * An exported master key ("plexichat-backup-master-key:<hex>") opens the
 * store directly. Shard names use an HMAC key and the chunker a gear seed,
 * both derived from the first data key so they never change. */
#ifndef PX_BK_KEYS_H
#define PX_BK_KEYS_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "backup/px_bk_box.h"
#include "backup/px_bk_crypto.h"
#include "storage/px_st_store.h"

#define PX_BK_MAX_KEYS 64

enum px_bk_secret_kind { PX_BK_PASSPHRASE, PX_BK_KEYFILE, PX_BK_MASTER };

struct px_bk_secret {
	enum px_bk_secret_kind kind;
	unsigned char data[1024];
	size_t len;
};

/* Argon2id cost; NULL in the calls below means the defaults
 * (t = 3, m = 32 MiB, p = 1: about 0.1 s here and under the backup's
 * 64 MiB memory budget). */
struct px_bk_kdf {
	unsigned t_cost, m_kib, parallel;
};

struct px_bk_datakey {
	unsigned char id[PX_BK_KEYID_LEN];
	unsigned char raw[PX_BK_KEY_LEN];
	unsigned char enc[PX_BK_KEY_LEN];   /* HKDF(raw, "enc") seals boxes */
	long long created;
};

struct px_bk_keyring {
	unsigned char master[PX_BK_KEY_LEN];
	struct px_bk_datakey keys[PX_BK_MAX_KEYS];
	size_t nkeys, current;
	unsigned keyset_version;
	unsigned char id_key[PX_BK_KEY_LEN];    /* shard names */
	unsigned char cdc_seed[PX_BK_KEY_LEN];  /* chunker gear table */
};

/* Reads a secret from a file: a passphrase is the first line (newline
 * dropped, must be non-empty); a key file is the whole file (16..1024
 * bytes), or an exported master key, recognised by its prefix.
 * Returns 0 or -1 with the reason in err. */
int px_bk_secret_read(const char *path, enum px_bk_secret_kind kind,
		      struct px_bk_secret *out, struct px_buf *err)
	__attribute__((warn_unused_result));

/* Creates the keys of a new store. Errors: VALIDATION_CONFLICT when the
 * store already has keys, STORAGE_* from the store. */
enum px_err px_bk_keys_init(struct px_st_store *st, const struct px_bk_secret *s,
			    const struct px_bk_kdf *kdf, struct px_bk_keyring *out)
	__attribute__((warn_unused_result));
/* Opens the newest key set with the secret. STORAGE_KEY_INVALID when no
 * wrap entry accepts it (wrong passphrase or key file). */
enum px_err px_bk_keys_open(struct px_st_store *st, const struct px_bk_secret *s,
			    struct px_bk_keyring *out)
	__attribute__((warn_unused_result));
/* Adds a wrap entry for another secret; its id (16 hex + NUL) to id. */
enum px_err px_bk_keys_add(struct px_st_store *st, const struct px_bk_keyring *r,
			   const struct px_bk_secret *s, const struct px_bk_kdf *kdf,
			   char id[17]) __attribute__((warn_unused_result));
/* Removes wrap entry id; refuses (VALIDATION_CONFLICT) to remove the last
 * one, and VALIDATION_NOT_FOUND when there is no such entry. */
enum px_err px_bk_keys_remove(struct px_st_store *st, const char *id)
	__attribute__((warn_unused_result));
/* Adds a new data key, makes it current, writes the next key set. */
enum px_err px_bk_keys_rotate(struct px_st_store *st, struct px_bk_keyring *r)
	__attribute__((warn_unused_result));
/* Appends the exported master key line to out. Treat it as the store. */
void px_bk_keys_export(const struct px_bk_keyring *r, struct px_buf *out);
/* Lists wrap entry ids and kinds as JSON lines into out. */
enum px_err px_bk_keys_list(struct px_st_store *st, struct px_buf *out)
	__attribute__((warn_unused_result));

/* Key lookup for px_bk_box_open (arg is the keyring). */
const unsigned char *px_bk_keys_lookup(const void *ring,
				       const unsigned char *keyid);
const struct px_bk_datakey *px_bk_keys_current(const struct px_bk_keyring *r);
void px_bk_keyring_wipe(struct px_bk_keyring *r);
void px_bk_secret_wipe(struct px_bk_secret *s);

#endif
