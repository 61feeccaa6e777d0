/* admin/plugin_cmd.c: plexichat-admin plugin, an admin's hold on plugins:
 * trusted keys, install (signature, manifest, dependencies, then unpack
 * and record), version switches, enable with grants, disable, remove,
 * and the developer's keygen and sign. Checks come from plugins/, rows
 * from model/plugins.h; nothing of a plugin runs here. */
#include "admin/plugin_cmd.h"
#include "admin/plugin_catalog.h"

#include "core/audit.h"
#include "core/cfg.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "core/dirs.h"
#include "handlers/plugin_manage.h"
#include "model/plugins.h"
#include "plugins/px_pl_inproc.h"
#include "plugins/px_pl_manifest.h"
#include "plugins/px_pl_pkg.h"
#include "plugins/px_pl_resolve.h"
#include "plugins/px_pl_sig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "plexichat-admin: plugin %s: %s\n", what, why);
	return 1;
}

static int fail_err(const char *what, enum px_err e)
{
	return fail(what, px_err_name(e));
}

static void audit(struct admin *a, const char *action, const char *name, const char *fields)
{
	struct px_audit_event ev = { 0 };
	char target[64];

	snprintf(target, sizeof(target), "plugin:%s", name);
	ev.action = action;
	ev.target = target;
	ev.correlation_id = "plexichat-admin";
	ev.fields_json = fields;
	(void)px_audit(a->db, &ev);
}

/* ---- keys ---- */

static int cmd_keygen(void)
{
	unsigned char seed[PX_PL_KEY_LEN], pub[PX_PL_KEY_LEN];
	struct px_buf s = PX_BUF_INIT, p = PX_BUF_INIT;
	int rc = 1;

	if (px_pl_sig_keygen(seed, pub) != 0)
		return fail("keygen", "no randomness");
	px_codec_b64_encode(&s, seed, sizeof(seed), PX_CODEC_B64_PAD);
	px_codec_b64_encode(&p, pub, sizeof(pub), PX_CODEC_B64_PAD);
	if (!s.failed && !p.failed) {
		printf("private %s\npublic %s\n", s.data, p.data);
		rc = 0;
	}
	px_crypto_wipe(seed, sizeof(seed));
	if (s.data)
		px_crypto_wipe(s.data, s.len);
	px_buf_free(&s);
	px_buf_free(&p);
	return rc;
}

/* Reads a private seed from a file holding "private BASE64" (keygen's
 * output) or the bare base64. */
static int read_seed(const char *path, unsigned char *seed)
{
	struct px_buf b = PX_BUF_INIT;
	char line[128] = "";
	int rc = -1;

	if (admin_read_file(path, &b) == 0 && b.data) {
		const char *t = strstr(b.data, "private ");

		t = t ? t + 8 : b.data;
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(t, "\n"), t);
		rc = px_pl_sig_decode(line, seed, PX_PL_KEY_LEN);
	}
	px_crypto_wipe(line, sizeof(line));
	if (b.data)
		px_crypto_wipe(b.data, b.len);
	px_buf_free(&b);
	return rc;
}

static int cmd_sign(int argc, char **argv)
{
	const char *key = admin_opt_value(argc, argv, "--key");
	const char *with[] = { "--key", NULL };
	const char *pkg = admin_positional(argc, argv, 0, with);
	unsigned char seed[PX_PL_KEY_LEN], sig[PX_PL_SIG_LEN];
	struct px_buf b = PX_BUF_INIT, err = PX_BUF_INIT, out = PX_BUF_INIT, path = PX_BUF_INIT;
	FILE *f = NULL;
	int rc = 1;

	if (!key || !pkg)
		return -1;
	if (read_seed(key, seed) != 0) {
		rc = fail("sign", "the key file holds no private key");
		goto out;
	}
	if (px_pl_pkg_load(pkg, &b, &err) != 0) {
		rc = fail("sign", err.data ? err.data : "unreadable");
		goto out;
	}
	if (px_pl_sig_sign(seed, b.data, b.len, sig) != 0) {
		rc = fail("sign", "signing failed");
		goto out;
	}
	px_codec_b64_encode(&out, sig, sizeof(sig), PX_CODEC_B64_PAD);
	px_buf_printf(&path, "%s.sig", pkg);
	if (out.failed || path.failed || !(f = fopen(path.data, "w")) ||
	    fprintf(f, "%s\n", out.data) < 0 || fclose(f) != 0) {
		f = NULL;
		rc = fail("sign", "cannot write the signature");
		goto out;
	}
	f = NULL;
	printf("%s\n", path.data);
	rc = 0;
out:
	if (f)
		fclose(f);
	px_crypto_wipe(seed, sizeof(seed));
	px_buf_free(&b);
	px_buf_free(&err);
	px_buf_free(&out);
	px_buf_free(&path);
	return rc;
}

static int print_key(void *arg, const char *name, const char *pub)
{
	(void)arg;
	printf("%-24s %s\n", name, pub);
	return 0;
}

static int cmd_key(struct admin *a, int argc, char **argv)
{
	unsigned char pub[PX_PL_KEY_LEN];
	enum px_err e;

	if (argc == 1 && !strcmp(argv[0], "list")) {
		e = px_m_plugin_keys_each(a->db, print_key, NULL);
		return e == PX_OK ? 0 : fail_err("key list", e);
	}
	if (argc == 3 && !strcmp(argv[0], "add")) {
		if (px_pl_sig_decode(argv[2], pub, sizeof(pub)) != 0)
			return fail("key add", "not an Ed25519 public key (base64 of 32 bytes)");
		e = px_m_plugin_key_add(a->db, argv[1], argv[2]);
		if (e != PX_OK)
			return fail_err("key add", e);
		audit(a, "admin.plugin.key_added", argv[1], NULL);
		printf("trusted %s\n", argv[1]);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[0], "remove")) {
		e = px_m_plugin_key_remove(a->db, argv[1]);
		if (e != PX_OK)
			return fail_err("key remove", e);
		audit(a, "admin.plugin.key_removed", argv[1], NULL);
		return 0;
	}
	return -1;
}

/* ---- install ---- */

static void audit_install(struct admin *a, const struct px_plugin_done *d)
{
	struct px_buf fields = PX_BUF_INIT;

	px_buf_printf(&fields, "{\"version\":\"%s\",\"sha256\":\"%s\",\"signed_by\":", d->version,
		      d->sha256);
	px_buf_json_str(&fields, d->signer, strlen(d->signer));
	px_buf_putc(&fields, '}');
	audit(a, "admin.plugin.installed", d->name, fields.failed ? NULL : fields.data);
	px_buf_free(&fields);
}

/* Installs the package in b, whose signature signer (a trusted key's
 * name) made (handlers/plugin_manage.c). 0, or 1 with the reason printed. */
static int install_bytes(struct admin *a, const struct px_buf *b, const char *signer)
{
	struct px_buf why = PX_BUF_INIT;
	struct px_plugin_done d;
	int rc = 1;

	if (px_plugin_install_bytes(a->db, a->cfg, b->data ? b->data : "", b->len, signer, &d,
				    &why) != 0) {
		rc = fail("install", why.data ? why.data : "refused");
	} else {
		audit_install(a, &d);
		printf("installed %s %s (signed by %s)\n", d.name, d.version, signer);
		rc = 0;
	}
	px_buf_free(&why);
	return rc;
}

/* A package file, its signature beside it (PACKAGE.sig) or in sigpath. */
static int install_file(struct admin *a, const char *pkg, const char *sigpath)
{
	struct px_buf b = PX_BUF_INIT, err = PX_BUF_INIT, path = PX_BUF_INIT;
	unsigned char sig[PX_PL_SIG_LEN];
	char signer[80];
	int rc = 1;

	if (px_pl_pkg_load(pkg, &b, &err) != 0) {
		rc = fail("install", err.data ? err.data : "unreadable");
		goto out;
	}
	if (!sigpath)
		px_buf_printf(&path, "%s.sig", pkg);
	px_buf_reset(&err);
	if (admin_read_file(sigpath ? sigpath : path.data, &err) != 0 || !err.data ||
	    px_pl_sig_decode(err.data, sig, sizeof(sig)) != 0) {
		rc = fail("install", "no signature (PACKAGE.sig, or --sig FILE): unsigned plugins are"
				     " refused");
		goto out;
	}
	if (px_plugin_verify(a->db, b.data, b.len, sig, signer, sizeof(signer)) != 0) {
		rc = fail("install", "the signature does not verify with any trusted key"
				     " (plexichat-admin plugin key list); the package may have been"
				     " altered");
		goto out;
	}
	rc = install_bytes(a, &b, signer);
out:
	px_buf_free(&b);
	px_buf_free(&err);
	px_buf_free(&path);
	return rc;
}

static void installed_one(void *arg, const struct px_plugin_done *d)
{
	audit_install(arg, d);
	printf("installed %s %s (signed by %s)\n", d->name, d->version, d->signer);
}

/* NAME[@RANGE] from the configured catalogues, with every missing
 * dependency, dependencies first (handlers/plugin_manage.c). */
static int install_catalog(struct admin *a, const char *spec)
{
	struct px_buf why = PX_BUF_INIT;
	int rc = 0;

	if (px_plugin_install_catalog(a->db, a->cfg, spec, installed_one, a, &why) != 0)
		rc = fail("install", why.data ? why.data : "refused");
	px_buf_free(&why);
	return rc;
}

static int cmd_install(struct admin *a, int argc, char **argv)
{
	const char *with[] = { "--sig", NULL };
	const char *what = admin_positional(argc, argv, 0, with);
	struct stat st;

	if (!what)
		return -1;
	if (stat(what, &st) == 0)
		return install_file(a, what, admin_opt_value(argc, argv, "--sig"));
	return install_catalog(a, what);
}

/* ---- list, switch, enable, disable, remove ---- */

static int print_plugin(void *arg, const struct px_m_plugin *p)
{
	(void)arg;
	printf("%-20s %-12s %-9s %-14s granted %s%s%s\n", p->name, p->version,
	       p->enabled ? "enabled" : "disabled", p->status, p->granted,
	       p->status_detail[0] ? "  " : "", p->status_detail);
	return 0;
}

static int cmd_list(struct admin *a, int argc, char **argv)
{
	struct px_buf out = PX_BUF_INIT;
	enum px_err e;
	int rc;

	if (admin_has_flag(argc, argv, "--json")) {
		e = px_m_plugins_json(a->db, &out);
		rc = e == PX_OK ? (admin_put_line(&out) == 0 ? 0 : 1) : fail_err("list", e);
		px_buf_free(&out);
		return rc;
	}
	e = px_m_plugins_each(a->db, print_plugin, NULL);
	return e == PX_OK ? 0 : fail_err("list", e);
}

/* plugin use NAME VERSION: back (or forward) to a version installed
 * before, its dependencies checked and its data migrated as for an
 * install. */
static int cmd_use(struct admin *a, int argc, char **argv)
{
	struct px_buf why = PX_BUF_INIT;
	struct px_plugin_done d;
	int rc = 1;

	if (argc != 2)
		return -1;
	if (px_plugin_use(a->db, argv[0], argv[1], &d, &why) != 0) {
		rc = fail("use", why.data ? why.data : "refused");
	} else {
		audit(a, "admin.plugin.version_set", argv[0], NULL);
		printf("%s is at %s\n", argv[0], argv[1]);
		rc = 0;
	}
	px_buf_free(&why);
	return rc;
}

struct find {
	const char *name;
	struct px_pl_manifest m;
	int found;
};

static int find_one(void *arg, const struct px_m_plugin *p)
{
	struct find *f = arg;
	struct px_buf err = PX_BUF_INIT;

	if (strcmp(p->name, f->name))
		return 0;
	f->found = px_pl_manifest_parse(p->manifest, strlen(p->manifest), &f->m, &err) == 0 ? 1 : -1;
	px_buf_free(&err);
	return 1;
}

/* The PostgreSQL array of the permissions to grant: the manifest's,
 * except network unless --grant names it; --grant may only name
 * permissions the manifest asks for. 0, or -1 with the reason. */
static int grants(const struct px_pl_manifest *m, const char *extra, struct px_buf *out,
		  const char **why)
{
	unsigned want = m->perms & ~(unsigned)PX_PL_PERM_NETWORK;
	char one[40];

	for (const char *s = extra; s && *s;) {
		size_t n = strcspn(s, ",");
		unsigned bit;

		snprintf(one, sizeof(one), "%.*s", (int)n, s);
		bit = px_pl_perm_bit(one);
		if (!bit || !(m->perms & bit)) {
			*why = "--grant names a permission the manifest does not ask for";
			return -1;
		}
		want |= bit;
		s += n + (s[n] == ',');
	}
	px_buf_putc(out, '{');
	for (unsigned bit = 1; bit; bit <<= 1)
		if (want & bit)
			px_buf_printf(out, "%s%s", out->len > 1 ? "," : "", px_pl_perm_name(bit));
	px_buf_putc(out, '}');
	return out->failed ? -1 : 0;
}

static int cmd_enable(struct admin *a, int argc, char **argv)
{
	const char *with[] = { "--grant", "--channels", NULL };
	const char *name = admin_positional(argc, argv, 0, with);
	const char *chans = admin_opt_value(argc, argv, "--channels");
	int all = admin_has_flag(argc, argv, "--all-channels");
	struct px_buf g = PX_BUF_INIT, c = PX_BUF_INIT;
	struct find f;
	const char *why = NULL;
	enum px_err e;
	int rc = 1;

	if (!name || (all && chans))
		return -1;
	memset(&f, 0, sizeof(f));
	f.name = name;
	for (const char *p = chans; p && *p; p++)
		if (!strchr("0123456789,", *p))
			return -1;
	if ((e = px_m_plugins_each(a->db, find_one, &f)) != PX_OK || f.found <= 0) {
		rc = fail("enable", e != PX_OK ? px_err_name(e) : f.found ? "stored manifest refused"
									 : "not installed");
		goto out;
	}
	if (grants(&f.m, admin_opt_value(argc, argv, "--grant"), &g, &why) != 0) {
		rc = fail("enable", why ? why : "out of memory");
		goto out;
	}
	if (chans)
		px_buf_printf(&c, "{%s}", chans);
	e = px_m_plugin_enable(a->db, name, 1, g.data, all, chans ? c.data : NULL);
	if (e != PX_OK) {
		rc = fail_err("enable", e);
		goto out;
	}
	audit(a, "admin.plugin.enabled", name, NULL);
	printf("enabled %s with %s%s\n", name, g.data,
	       all ? " in every channel" : chans ? " in the channels given" : "");
	rc = 0;
out:
	px_buf_free(&g);
	px_buf_free(&c);
	return rc;
}

/* Whether value suits setting s of the manifest. */
/* plugin set NAME KEY VALUE | plugin set NAME KEY --clear */
static int cmd_set(struct admin *a, int argc, char **argv)
{
	struct find f;
	enum px_err e;
	int clear = argc == 3 && !strcmp(argv[2], "--clear");

	if (argc != 3)
		return -1;
	memset(&f, 0, sizeof(f));
	f.name = argv[0];
	if ((e = px_m_plugins_each(a->db, find_one, &f)) != PX_OK || f.found <= 0)
		return fail("set", e != PX_OK ? px_err_name(e) : "not installed");
	for (int i = 0; i < f.m.nsettings; i++) {
		if (strcmp(f.m.settings[i].key, argv[1]))
			continue;
		if (!clear && !px_pl_setting_ok(&f.m.settings[i], argv[2]))
			return fail("set", "the value does not fit the setting's type (plugin.json)");
		if ((e = px_m_plugin_setting_set(a->db, argv[0], argv[1], clear ? NULL : argv[2])) !=
		    PX_OK)
			return fail_err("set", e);
		audit(a, "admin.plugin.setting_set", argv[0], NULL);
		printf("%s: %s %s\n", argv[0], argv[1], clear ? "cleared" : "set");
		return 0;
	}
	return fail("set", "the plugin declares no such setting");
}

static int cmd_disable(struct admin *a, int argc, char **argv)
{
	enum px_err e;

	if (argc != 1)
		return -1;
	if ((e = px_m_plugin_enable(a->db, argv[0], 0, NULL, 0, NULL)) != PX_OK)
		return fail_err("disable", e);
	audit(a, "admin.plugin.disabled", argv[0], NULL);
	printf("disabled %s\n", argv[0]);
	return 0;
}

/* plugin remove NAME [--purge | --keep-data]: keeping the data is the
 * default, because dropping it cannot be undone and a plugin removed to
 * be installed again (or by mistake) finds it again. */
static int cmd_remove(struct admin *a, int argc, char **argv)
{
	struct px_buf why = PX_BUF_INIT, left = PX_BUF_INIT;
	const char *name = admin_positional(argc, argv, 0, NULL);
	int purge = admin_has_flag(argc, argv, "--purge");
	struct px_plugin_done d;
	int rc = 1;

	if (!name || (purge && admin_has_flag(argc, argv, "--keep-data")) ||
	    admin_positional(argc, argv, 1, NULL))
		return -1;
	if (px_plugin_remove(a->db, name, purge, &d, &left, &why) != 0) {
		rc = fail("remove", why.data ? why.data : "refused");
		goto out;
	}
	for (char *s = left.data, *nl; s && *s; s = nl + 1) {
		nl = strchr(s, '\n');
		*nl = '\0';
		fprintf(stderr, "plexichat-admin: plugin remove: %s left on disk\n", s);
	}
	audit(a, "admin.plugin.removed", name, purge ? "{\"purge\":true}" : "{\"purge\":false}");
	printf("removed %s%s\n", name,
	       purge ? (d.had_data ? ", its data dropped" : "") : ", its data kept");
	rc = 0;
out:
	px_buf_free(&why);
	px_buf_free(&left);
	return rc;
}

int admin_cmd_plugin(struct admin *a, int argc, char **argv)
{
	if (argc < 1)
		return -1;
	if (!strcmp(argv[0], "keygen"))
		return argc == 1 ? cmd_keygen() : -1;
	if (!strcmp(argv[0], "sign"))
		return cmd_sign(argc - 1, argv + 1);
	if (!a->cfg) {
		fprintf(stderr, "plexichat-admin: plugin %s: %s\n", argv[0],
			a->cfg_error ? a->cfg_error : "needs the configuration");
		return 1;
	}
	if (!strcmp(argv[0], "key"))
		return cmd_key(a, argc - 1, argv + 1);
	if (!strcmp(argv[0], "install"))
		return cmd_install(a, argc - 1, argv + 1);
	if (!strcmp(argv[0], "list"))
		return cmd_list(a, argc - 1, argv + 1);
	if (!strcmp(argv[0], "catalog"))
		return admin_plugin_catalog_list(a, argc - 1, argv + 1);
	if (!strcmp(argv[0], "use"))
		return cmd_use(a, argc - 1, argv + 1);
	if (!strcmp(argv[0], "enable"))
		return cmd_enable(a, argc - 1, argv + 1);
	if (!strcmp(argv[0], "disable"))
		return cmd_disable(a, argc - 1, argv + 1);
	if (!strcmp(argv[0], "set"))
		return cmd_set(a, argc - 1, argv + 1);
	if (!strcmp(argv[0], "remove"))
		return cmd_remove(a, argc - 1, argv + 1);
	return -1;
}
