/* handlers/plugin_manage.c: install, version switch and removal of
 * plugins for the CLI and /admin alike (see plugin_manage.h). Checks come
 * from plugins/, rows and migrations from model/; nothing of a plugin
 * runs here. */
#include "handlers/plugin_manage.h"

#include "core/codec.h"
#include "core/crypto.h"
#include "core/dirs.h"
#include "core/log.h"
#include "model/plugins.h"
#include "plugins/px_pl_inproc.h"
#include "plugins/px_pl_manifest.h"
#include "plugins/px_pl_pkg.h"
#include "plugins/px_pl_resolve.h"
#include "plugins/px_pl_sig.h"

#include <curl/curl.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_INSTALLED PX_PL_PLAN_MAX

static int refuse(struct px_buf *why, const char *text)
{
	px_buf_puts(why, text);
	return -1;
}

/* ---- signatures ---- */

struct signer {
	const void *p;
	size_t n;
	const unsigned char *sig;
	char *name;
	size_t cap;
	int found;
};

static int try_key(void *arg, const char *name, const char *pub)
{
	struct signer *s = arg;
	unsigned char k[PX_PL_KEY_LEN];

	if (px_pl_sig_decode(pub, k, sizeof(k)) == 0 && px_pl_sig_verify(k, s->p, s->n, s->sig)) {
		snprintf(s->name, s->cap, "%s", name);
		s->found = 1;
		return 1;
	}
	return 0;
}

int px_plugin_verify(struct px_db *db, const void *p, size_t n, const unsigned char *sig,
		     char *signer, size_t cap)
{
	struct signer s = { p, n, sig, signer, cap, 0 };

	if (px_m_plugin_keys_each(db, try_key, &s) != PX_OK)
		return -1;
	return s.found ? 0 : -1;
}

/* ---- what is installed ---- */

struct installed {
	struct px_pl_manifest *m[MAX_INSTALLED];
	int n;
};

static int collect(void *arg, const struct px_m_plugin *p)
{
	struct installed *in = arg;
	struct px_buf err = PX_BUF_INIT;
	struct px_pl_manifest *m;

	if (in->n == MAX_INSTALLED || !(m = malloc(sizeof(*m))))
		return 1;
	/* a stored manifest that no longer parses is left out: its plugin
	 * constrains nothing (the runtime refuses to load it anyway) */
	if (px_pl_manifest_parse(p->manifest, strlen(p->manifest), m, &err) != 0)
		free(m);
	else
		in->m[in->n++] = m;
	px_buf_free(&err);
	return 0;
}

static void installed_free(struct installed *in)
{
	for (int i = 0; i < in->n; i++)
		free(in->m[i]);
	in->n = 0;
}

static int installed_load(struct px_db *db, struct installed *in, struct px_buf *why)
{
	enum px_err e;

	memset(in, 0, sizeof(*in));
	if ((e = px_m_plugins_each(db, collect, in)) != PX_OK)
		return refuse(why, px_err_name(e));
	return 0;
}

/* Whether making m the current version of its plugin keeps every
 * dependency satisfied. 0, or -1 with the reason. */
static int resolve_with(struct installed *in, const struct px_pl_manifest *m, struct px_buf *why)
{
	const struct px_pl_manifest *avail[MAX_INSTALLED + 1];
	struct px_pl_plan plan;
	char want[96];

	for (int i = 0; i < in->n; i++)
		avail[i] = in->m[i];
	avail[in->n] = m;
	want[0] = '=';
	px_pl_ver_format(&m->version, want + 1, sizeof(want) - 1);
	if (px_pl_resolve((const struct px_pl_manifest *const *)in->m, in->n, avail, in->n + 1,
			  m->name, want, &plan, why) != 0) {
		if (!why->len)
			px_buf_puts(why, "the dependencies cannot be met");
		return -1;
	}
	return 0;
}

/* ---- data migrations ---- */

/* The migrations of a version, read from its unpacked folder. */
struct migs {
	struct px_m_plugin_mig v[PX_PL_MAX_MIGRATIONS];
	struct px_buf up[PX_PL_MAX_MIGRATIONS], down[PX_PL_MAX_MIGRATIONS];
	char sha[PX_PL_MAX_MIGRATIONS][65];
	int n;
};

static void migs_free(struct migs *g)
{
	for (int i = 0; i < g->n; i++) {
		px_buf_free(&g->up[i]);
		px_buf_free(&g->down[i]);
	}
	g->n = 0;
}

static int read_script(const char *dir, const char *rel, struct px_buf *out)
{
	struct px_buf path = PX_BUF_INIT, err = PX_BUF_INIT;
	int rc;

	px_buf_printf(&path, "%s/%s", dir, rel);
	rc = path.failed ? -1 : px_pl_pkg_load(path.data, out, &err);
	px_buf_free(&path);
	px_buf_free(&err);
	return rc == 0 && out->data ? 0 : -1;
}

static int migs_load(const struct px_pl_manifest *m, const char *dir, struct migs *g,
		     struct px_buf *why)
{
	memset(g, 0, sizeof(*g));
	for (int i = 0; i < m->nmigrations; i++) {
		const struct px_pl_migration *s = &m->migrations[i];

		g->n = i + 1;
		if (read_script(dir, s->up, &g->up[i]) != 0 ||
		    (s->down[0] && read_script(dir, s->down, &g->down[i]) != 0)) {
			px_buf_printf(why, "migration %d: %s is not in the package", i + 1,
				      g->up[i].data ? s->down : s->up);
			return -1;
		}
		px_crypto_sha256_hex(g->up[i].data, g->up[i].len, g->sha[i]);
		g->v[i].up = g->up[i].data;
		g->v[i].up_sha256 = g->sha[i];
		g->v[i].down = s->down[0] ? g->down[i].data : NULL;
	}
	return 0;
}

/* ---- install ---- */

static const char *plugins_dir(const struct px_cfg *cfg, struct px_buf *b)
{
	const char *d = px_cfg_str(cfg, "plugins_dir");

	if (d && *d)
		px_buf_puts(b, d);
	else
		px_buf_printf(b, "%s/plugins", px_cfg_str(cfg, "data_dir"));
	return b->failed ? NULL : b->data;
}

/* The account nftw hands files to (nftw takes no argument). Set and used
 * under the single-threaded CLI or one request; a race would at worst
 * give a folder to the same owner twice. */
static uid_t own_uid;
static gid_t own_gid;

static int own_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)type;
	(void)f;
	return lchown(path, own_uid, own_gid) == 0 ? 0 : -1;
}

/* plexichat-admin runs as root, the server as its own account: what root
 * makes under plugins_dir is given to the owner of data_dir, so that the
 * server (and /admin/plugins) can add versions and delete them too. */
static void own_like_data_dir(const struct px_cfg *cfg, const char *path, int tree)
{
	struct stat st;

	if (geteuid() != 0 || stat(px_cfg_str(cfg, "data_dir"), &st) != 0 || st.st_uid == 0)
		return;
	own_uid = st.st_uid;
	own_gid = st.st_gid;
	if (tree ? nftw(path, own_one, 16, FTW_PHYS) != 0 : lchown(path, own_uid, own_gid) != 0)
		px_log_warn("plugins", NULL, "%s stays root's: %s", path, strerror(errno));
}

int px_plugin_install_bytes(struct px_db *db, const struct px_cfg *cfg, const void *p, size_t n,
			    const char *signer, struct px_plugin_done *d, struct px_buf *why)
{
	struct px_buf err = PX_BUF_INIT, dir = PX_BUF_INIT, base = PX_BUF_INIT, mjson = PX_BUF_INIT;
	char esha[65];
	struct px_pl_manifest *m = malloc(sizeof(*m));
	struct installed in = { { NULL }, 0 };
	struct migs *g = calloc(1, sizeof(*g));
	struct stat st;
	int rc = -1, made = 0;
	enum px_err e;

	memset(d, 0, sizeof(*d));
	if (!m || !g) {
		refuse(why, "out of memory");
		goto out;
	}
	if (px_pl_pkg_inspect(p, n, m, &mjson, &err) != 0) {
		refuse(why, err.data ? err.data : "damaged package");
		goto out;
	}
	snprintf(d->name, sizeof(d->name), "%s", m->name);
	snprintf(d->signer, sizeof(d->signer), "%s", signer);
	px_pl_ver_format(&m->version, d->version, sizeof(d->version));
	px_crypto_sha256_hex(p, n, d->sha256);
	if (installed_load(db, &in, why) || resolve_with(&in, m, why))
		goto out;
	if (!plugins_dir(cfg, &base) || (px_dirs_make(base.data, 0755) != 0 && errno != EEXIST)) {
		refuse(why, "cannot make the plugins folder (plugins_dir)");
		goto out;
	}
	own_like_data_dir(cfg, base.data, 0);
	px_buf_printf(&dir, "%s/%s-%s-%.12s", base.data, m->name, d->version, d->sha256);
	if (stat(dir.data, &st) != 0) {
		if (px_pl_pkg_unpack(p, n, dir.data, &err) != 0) {
			refuse(why, err.data ? err.data : "cannot unpack");
			goto out;
		}
		made = 1;
		own_like_data_dir(cfg, dir.data, 1);
	}
	px_buf_reset(&err);
	px_buf_printf(&err, "%s/%s", dir.data, m->entry);
	if (err.failed || px_pl_file_sha256(err.data, esha) != 0) {
		refuse(why, "the unpacked entry point cannot be read");
		goto out;
	}
	if (migs_load(m, dir.data, g, why))
		goto out;
	e = px_m_plugin_install(db, m->name, d->version, mjson.data, dir.data, d->sha256, esha,
				signer, g->v, g->n, why);
	if (e != PX_OK) {
		if (!why->len)
			refuse(why, e == PX_E_VALIDATION_CONFLICT
					    ? "this version was installed before from a different package"
					    : px_err_name(e));
		goto out;
	}
	made = 0;
	rc = 0;
out:
	if (made)
		px_pl_pkg_rmtree(dir.data);
	if (g)
		migs_free(g);
	free(g);
	free(m);
	installed_free(&in);
	px_buf_free(&err);
	px_buf_free(&dir);
	px_buf_free(&base);
	px_buf_free(&mjson);
	return rc;
}

int px_plugin_install_signed(struct px_db *db, const struct px_cfg *cfg, const void *p, size_t n,
			     const char *sig_b64, struct px_plugin_done *d, struct px_buf *why)
{
	unsigned char sig[PX_PL_SIG_LEN];
	char signer[80];

	memset(d, 0, sizeof(*d));
	if (!*sig_b64 || px_pl_sig_decode(sig_b64, sig, sizeof(sig)) != 0)
		return refuse(why, "no signature (PACKAGE.sig): unsigned plugins are refused");
	if (px_plugin_verify(db, p, n, sig, signer, sizeof(signer)) != 0)
		return refuse(why, "the signature does not verify with any trusted key (plexichat-admin"
				   " plugin key list); the package may have been altered");
	return px_plugin_install_bytes(db, cfg, p, n, signer, d, why);
}

/* ---- switch, remove ---- */

int px_plugin_use(struct px_db *db, const char *name, const char *version,
		  struct px_plugin_done *d, struct px_buf *why)
{
	struct px_buf dir = PX_BUF_INIT, mjson = PX_BUF_INIT, sha = PX_BUF_INIT, esha = PX_BUF_INIT,
		      err = PX_BUF_INIT;
	struct installed in = { { NULL }, 0 };
	struct px_pl_manifest *m = malloc(sizeof(*m));
	struct migs *g = calloc(1, sizeof(*g));
	enum px_err e;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->version, sizeof(d->version), "%s", version);
	if (!m || !g) {
		refuse(why, "out of memory");
		goto out;
	}
	if ((e = px_m_plugin_version_get(db, name, version, &dir, &mjson, &sha, &esha)) != PX_OK) {
		refuse(why, e == PX_E_VALIDATION_NOT_FOUND
				    ? "that version was never installed here: install its package"
				    : px_err_name(e));
		goto out;
	}
	if (px_pl_manifest_parse(mjson.data, mjson.len, m, &err) != 0) {
		refuse(why, err.data ? err.data : "stored manifest refused");
		goto out;
	}
	if (installed_load(db, &in, why) || resolve_with(&in, m, why) ||
	    migs_load(m, dir.data, g, why))
		goto out;
	e = px_m_plugin_install(db, name, version, mjson.data, dir.data, sha.data, esha.data, "",
				g->v, g->n, why);
	if (e != PX_OK) {
		if (!why->len)
			refuse(why, px_err_name(e));
		goto out;
	}
	rc = 0;
out:
	if (g)
		migs_free(g);
	free(g);
	free(m);
	installed_free(&in);
	px_buf_free(&dir);
	px_buf_free(&mjson);
	px_buf_free(&sha);
	px_buf_free(&esha);
	px_buf_free(&err);
	return rc;
}

int px_plugin_remove(struct px_db *db, const char *name, int purge, struct px_plugin_done *d,
		     struct px_buf *left, struct px_buf *why)
{
	struct px_buf dirs = PX_BUF_INIT;
	struct installed in = { { NULL }, 0 };
	enum px_err e;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	if (installed_load(db, &in, why))
		goto out;
	if (px_pl_resolve_remove((const struct px_pl_manifest *const *)in.m, in.n, name, why)) {
		if (!why->len)
			px_buf_puts(why, "another plugin needs it");
		goto out;
	}
	if ((e = px_m_plugin_remove(db, name, purge, &d->had_data, &dirs)) != PX_OK) {
		refuse(why, e == PX_E_VALIDATION_NOT_FOUND ? "not installed" : px_err_name(e));
		goto out;
	}
	/* rows first: a folder left by a crash here is only disk */
	for (char *s = dirs.data, *nl; s && *s; s = nl + 1) {
		nl = strchr(s, '\n');
		*nl = '\0';
		if (px_pl_pkg_rmtree(s) != 0)
			px_buf_printf(left, "%s\n", s);
	}
	rc = 0;
out:
	installed_free(&in);
	px_buf_free(&dirs);
	return rc;
}

/* ---- catalogues ---- */

#define INDEX_MAX (4u << 20)

struct sink {
	struct px_buf *out;
	size_t max;
	int over;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	if (s->out->len + size * n > s->max) {
		s->over = 1;
		return 0;
	}
	px_buf_append(s->out, p, size * n);
	return s->out->failed ? 0 : size * n;
}

int px_plugin_fetch(const struct px_cfg *cfg, const char *url, size_t max, struct px_buf *out,
		    struct px_buf *err)
{
	const char *ca = px_cfg_str(cfg, "plugins_ca_file");
	struct sink s = { out, max, 0 };
	CURL *c = curl_easy_init();
	long status = 0;
	CURLcode rc;

	if (!c)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,file");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "plexichat");
	if (ca && *ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (s.over || rc == CURLE_FILESIZE_EXCEEDED) {
		px_buf_printf(err, "%s: larger than %zu bytes", url, max);
		return -1;
	}
	if (rc != CURLE_OK) {
		px_buf_printf(err, "%s: %s", url, curl_easy_strerror(rc));
		return -1;
	}
	if (!strncmp(url, "https://", 8) && status != 200) {
		px_buf_printf(err, "%s: HTTP %ld", url, status);
		return -1;
	}
	return 0;
}

/* One catalogue: its index fetched, verified and parsed into c. */
static int one_catalog(struct px_db *db, const struct px_cfg *cfg, const char *url,
		       struct px_pl_catalog *c, struct px_buf *skipped)
{
	struct px_buf idx = PX_BUF_INIT, sig = PX_BUF_INIT, err = PX_BUF_INIT, u = PX_BUF_INIT;
	unsigned char s[PX_PL_SIG_LEN];
	char signer[80];
	int rc = -1;

	px_buf_printf(&u, "%s.sig", url);
	if (u.failed || px_plugin_fetch(cfg, url, INDEX_MAX, &idx, &err) != 0 ||
	    px_plugin_fetch(cfg, u.data, 4096, &sig, &err) != 0)
		goto out;
	if (!sig.data || px_pl_sig_decode(sig.data, s, sizeof(s)) != 0 ||
	    px_plugin_verify(db, idx.data ? idx.data : "", idx.len, s, signer, sizeof(signer))) {
		px_buf_printf(&err, "%s: the index's signature does not verify with a trusted key", url);
		goto out;
	}
	if (px_pl_catalog_parse(idx.data ? idx.data : "", idx.len, url, c, &err) != 0)
		goto out;
	rc = 0;
out:
	if (rc)
		px_buf_printf(skipped, "%s (skipped)\n", err.data ? err.data : url);
	px_buf_free(&idx);
	px_buf_free(&sig);
	px_buf_free(&err);
	px_buf_free(&u);
	return rc;
}

int px_plugin_catalogs(struct px_db *db, const struct px_cfg *cfg, struct px_pl_catalog *c,
		       struct px_buf *skipped)
{
	const char *list = px_cfg_str(cfg, "plugins_catalogs");
	char url[PX_PL_URL_MAX];
	int read = 0;

	for (const char *s = list ? list : ""; *s;) {
		size_t n = strcspn(s, " ,\t");

		if (n && n < sizeof(url)) {
			snprintf(url, sizeof(url), "%.*s", (int)n, s);
			read += one_catalog(db, cfg, url, c, skipped) == 0;
		}
		s += n;
		s += strspn(s, " ,\t");
	}
	return read;
}

/* One version from a catalogue: downloaded, checked against the index's
 * hash and its own signature, installed. */
static int install_entry(struct px_db *db, const struct px_cfg *cfg, const struct px_pl_entry *e,
			 struct px_plugin_done *d, struct px_buf *why)
{
	struct px_buf b = PX_BUF_INIT;
	char sha[65], signer[80];
	int rc = -1;

	if (px_plugin_fetch(cfg, e->url, PX_PL_PKG_MAX, &b, why) != 0)
		goto out;
	px_crypto_sha256_hex(b.data ? b.data : "", b.len, sha);
	if (!px_crypto_streq(sha, e->sha256)) {
		refuse(why, "the downloaded package does not have the catalogue's SHA-256");
		goto out;
	}
	if (px_plugin_verify(db, b.data ? b.data : "", b.len, e->sig, signer, sizeof(signer)) != 0) {
		refuse(why, "the package's signature does not verify with any trusted key");
		goto out;
	}
	rc = px_plugin_install_bytes(db, cfg, b.data, b.len, signer, d, why);
out:
	px_buf_free(&b);
	return rc;
}

static const struct px_pl_entry *entry_of(const struct px_pl_catalog *c,
					  const struct px_pl_manifest *m)
{
	for (int i = 0; i < c->n; i++)
		if (&c->v[i].m == m)
			return &c->v[i];
	return NULL;
}

int px_plugin_install_catalog(struct px_db *db, const struct px_cfg *cfg, const char *spec,
			      void (*each)(void *arg, const struct px_plugin_done *d), void *arg,
			      struct px_buf *why)
{
	const struct px_pl_manifest **avail = NULL;
	struct px_pl_catalog c = { 0, NULL };
	struct px_buf skipped = PX_BUF_INIT;
	struct installed in = { { NULL }, 0 };
	struct px_pl_plan plan;
	struct px_plugin_done d;
	char name[PX_PL_NAME_MAX];
	const char *at = strchr(spec, '@');
	int done[PX_PL_PLAN_MAX] = { 0 }, left, rc = -1, na = 0;

	snprintf(name, sizeof(name), "%.*s", at ? (int)(at - spec) : (int)strlen(spec), spec);
	if (!px_pl_name_valid(name))
		return refuse(why, "neither a package file nor NAME[@RANGE]");
	if (px_plugin_catalogs(db, cfg, &c, &skipped) == 0) {
		px_buf_printf(why, "no catalogue could be read (plugins_catalogs)%s%s",
			      skipped.len ? ": " : "", skipped.len ? skipped.data : "");
		goto out;
	}
	if (installed_load(db, &in, why))
		goto out;
	if (!(avail = malloc((size_t)(in.n + c.n) * sizeof(*avail)))) {
		refuse(why, "out of memory");
		goto out;
	}
	for (int i = 0; i < in.n; i++)
		avail[na++] = in.m[i];
	for (int i = 0; i < c.n; i++)
		avail[na++] = &c.v[i].m;
	if (px_pl_resolve((const struct px_pl_manifest *const *)in.m, in.n, avail, na, name,
			  at ? at + 1 : "*", &plan, why) != 0) {
		if (!why->len)
			px_buf_puts(why, "the dependencies cannot be met");
		goto out;
	}
	/* dependencies first: a version goes once all it needs is there */
	do {
		left = 0;
		for (int i = 0; i < plan.n; i++) {
			const struct px_pl_manifest *m = plan.pick[i].m;
			int ready = 1;

			if (plan.pick[i].installed || done[i])
				continue;
			for (int k = 0; k < m->ndeps && ready; k++)
				for (int j = 0; j < plan.n; j++)
					if (!strcmp(plan.pick[j].m->name, m->deps[k].name))
						ready = plan.pick[j].installed || done[j];
			if (!ready) {
				left++;
				continue;
			}
			if (!entry_of(&c, m)) {
				refuse(why, "a planned version is not in the catalogue");
				goto out;
			}
			if (install_entry(db, cfg, entry_of(&c, m), &d, why) != 0)
				goto out;
			if (each)
				each(arg, &d);
			done[i] = 1;
		}
	} while (left);
	rc = 0;
out:
	free(avail);
	installed_free(&in);
	px_pl_catalog_free(&c);
	px_buf_free(&skipped);
	return rc;
}
