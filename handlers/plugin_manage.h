/* plugin_manage.h: installing, switching and removing plugins, one code
 * path for plexichat-admin plugin and /admin/plugins. Each step checks
 * before it changes anything: a trusted key's Ed25519 signature, the
 * package's entries and manifest (ABI, protocol), the dependencies of
 * every installed plugin over semver ranges, and the plugin's data
 * migrations, which run in the transaction that records the change
 * (docs/PLUGIN_DEVELOPMENT.md). A refusal says why in plain words and
 * leaves nothing half-done. Auditing is the caller's: it knows who asked. */
#ifndef PX_H_PLUGIN_MANAGE_H
#define PX_H_PLUGIN_MANAGE_H

#include <stddef.h>

#include "core/buf.h"
#include "core/cfg.h"
#include "core/db.h"
#include "plugins/px_pl_catalog.h"

/* What a change did, for the caller's message and audit entry. */
struct px_plugin_done {
	char name[48];
	char version[80];
	char sha256[65];   /* of the package (install) */
	char signer[80];   /* the trusted key that signed it (install) */
	int had_data;      /* remove with purge: there was data to drop */
};

/* Whether sig (64 bytes) is a trusted key's signature of p[0..n): the
 * key's name goes to signer (cap bytes) and 0 is returned; -1 when no
 * trusted key made it or the keys cannot be read. */
int px_plugin_verify(struct px_db *db, const void *p, size_t n, const unsigned char *sig,
		     char *signer, size_t cap) __attribute__((nonnull, warn_unused_result));

/* Installs (or upgrades, or goes back to) the package in p[0..n) whose
 * signature signer's key made: unpacked into a folder of its own under
 * plugins_dir, recorded with its migrations in one transaction. 0, or -1
 * with the reason in why. */
int px_plugin_install_bytes(struct px_db *db, const struct px_cfg *cfg, const void *p, size_t n,
			    const char *signer, struct px_plugin_done *d, struct px_buf *why)
	__attribute__((nonnull, warn_unused_result));

/* The same for a package and its signature as base64 text (PACKAGE.sig):
 * an unsigned package, one altered after signing or one no trusted key
 * signed is refused. */
int px_plugin_install_signed(struct px_db *db, const struct px_cfg *cfg, const void *p, size_t n,
			     const char *sig_b64, struct px_plugin_done *d, struct px_buf *why)
	__attribute__((nonnull, warn_unused_result));

/* Makes version (installed before) name's current one, its dependencies
 * checked and its data migrated up or down. 0, or -1 with why. */
int px_plugin_use(struct px_db *db, const char *name, const char *version,
		  struct px_plugin_done *d, struct px_buf *why) __attribute__((nonnull, warn_unused_result));

/* Removes name unless another plugin needs it; with purge its data too
 * (schema, role, migrations), else the data stays for a later install.
 * The folders of its versions are deleted; those that could not be go to
 * left, one per line. 0, or -1 with why. */
int px_plugin_remove(struct px_db *db, const char *name, int purge, struct px_plugin_done *d,
		     struct px_buf *left, struct px_buf *why) __attribute__((nonnull, warn_unused_result));

/* ---- catalogues ---- */

/* Fetches url (https:// or file://; redirects only to https) into out,
 * at most max bytes, trusting plugins_ca_file when set. 0, or -1 with
 * the reason in err. */
int px_plugin_fetch(const struct px_cfg *cfg, const char *url, size_t max, struct px_buf *out,
		    struct px_buf *err) __attribute__((nonnull, warn_unused_result));

/* Reads every catalogue in plugins_catalogs into c: the index and its
 * signature (URL + ".sig") fetched, the signature checked against the
 * trusted keys, the index parsed. One that fails is skipped, with a line
 * saying why appended to skipped. Returns how many were read. */
int px_plugin_catalogs(struct px_db *db, const struct px_cfg *cfg, struct px_pl_catalog *c,
		       struct px_buf *skipped) __attribute__((nonnull));

/* Installs NAME[@RANGE] (newest in range) from the catalogues with every
 * missing dependency, dependencies first; each package downloaded, checked
 * against the index's SHA-256 and its own signature, then installed as
 * px_plugin_install_bytes does. each (may be NULL) is told of every
 * version installed. 0, or -1 with why (what was installed before the
 * refusal stays: each of those installs was whole). */
int px_plugin_install_catalog(struct px_db *db, const struct px_cfg *cfg, const char *spec,
			      void (*each)(void *arg, const struct px_plugin_done *d), void *arg,
			      struct px_buf *why) __attribute__((nonnull(1, 2, 3, 6), warn_unused_result));

#endif
