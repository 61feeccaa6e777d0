/* px_bk_cli.c: option resolution, store and repository opening, and
 * failure reporting shared by the commands. */
#include "backup/px_bk_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "backup/px_bk_manifest.h"
#include "storage/px_st_open.h"

int px_bk_exit_for(enum px_err e)
{
	switch (e) {
	case PX_OK:
		return PX_BK_EXIT_OK;
	case PX_E_STORAGE_LOCKED:
		return PX_BK_EXIT_LOCKED;
	case PX_E_STORAGE_KEY_INVALID:
		return PX_BK_EXIT_KEY;
	case PX_E_STORAGE_SHARD_MISSING:
	case PX_E_STORAGE_SHARD_CORRUPT:
		return PX_BK_EXIT_DAMAGED;
	case PX_E_STORAGE_FAILED:
	case PX_E_STORAGE_FULL:
	case PX_E_STORAGE_CREDENTIALS:
		return PX_BK_EXIT_STORAGE;
	case PX_E_SYSTEM_DB_UNAVAILABLE:
		return PX_BK_EXIT_DATABASE;
	case PX_E_STORAGE_CLOCK_BEHIND:
		return PX_BK_EXIT_CLOCK;
	case PX_E_VALIDATION_CONFLICT:
	case PX_E_VALIDATION_FAILED:
	case PX_E_VALIDATION_NOT_FOUND:
		return PX_BK_EXIT_USAGE;
	default:
		return PX_BK_EXIT_INTERNAL;
	}
}

/* Logs a failed command with its code and detail; returns the exit code. */
int px_bk_fail(enum px_err e, const char *what, const struct px_buf *detail)
{
	struct px_buf f = PX_BUF_INIT;
	const char *d = detail && detail->data && detail->len ? detail->data :
			px_err_message(e);

	px_buf_printf(&f, "{\"code\":\"%s\",\"detail\":", px_err_name(e));
	px_buf_json_str(&f, d, strlen(d));
	px_buf_putc(&f, '}');
	px_log_fields(PX_LOG_ERROR, PX_BK_LOG_MODULE, NULL, f.data, "%s failed: %s: %s", what,
		      px_err_name(e), d);
	px_buf_free(&f);
	return px_bk_exit_for(e);
}

const char *px_bk_opt(const char *cli, const struct px_cfg *c, const char *key,
			const char *env)
{
	const char *v;

	if (cli)
		return cli;
	v = px_cfg_str(c, key);
	if (v && *v)
		return v;
	return env ? getenv(env) : NULL;
}

const char *px_bk_cache_base(struct px_bk_opts *o)
{
	struct px_buf b = PX_BUF_INIT;
	const char *v = px_bk_opt(o->cache_dir, o->cfg, "backup_cache_dir", NULL);
	const char *home = getenv("HOME");

	if (v)
		return v;
	if (o->config)
		px_buf_printf(&b, "%s/backup-staging", px_cfg_str(o->cfg, "data_dir"));
	else if (getenv("XDG_CACHE_HOME"))
		px_buf_printf(&b, "%s/plexichat-backup", getenv("XDG_CACHE_HOME"));
	else
		px_buf_printf(&b, "%s/.cache/plexichat-backup", home ? home : "/tmp");
	o->owned[0] = px_buf_steal(&b);
	return o->owned[0];
}

struct px_st_store *px_bk_open_store(struct px_bk_opts *o)
{
	return px_bk_open_store_at(o, NULL);
}

struct px_st_store *px_bk_open_store_at(struct px_bk_opts *o, const char *url)
{
	struct px_st_store_opts so = { 0 };
	struct px_buf err = PX_BUF_INIT;
	struct px_st_store *st;

	so.url = px_bk_opt(o->store, o->cfg, "backup_store", NULL);
	so.s3_endpoint = px_bk_opt(o->s3_endpoint, o->cfg, "backup_s3_endpoint", NULL);
	so.s3_region = px_bk_opt(o->s3_region, o->cfg, "backup_s3_region", "AWS_REGION");
	so.s3_access_key = px_bk_opt(o->s3_access, o->cfg, "backup_s3_access_key",
				"AWS_ACCESS_KEY_ID");
	so.s3_secret_key = px_bk_opt(o->s3_secret, o->cfg, "backup_s3_secret_key",
				"AWS_SECRET_ACCESS_KEY");
	so.s3_path_style = o->s3_path_style >= 0 ? o->s3_path_style :
			   px_cfg_bool(o->cfg, "backup_s3_path_style");
	so.concurrency = o->concurrency > 0 ? o->concurrency :
			 (int)px_cfg_int(o->cfg, "backup_concurrency");
	so.azure_account = px_bk_opt(o->az_account, o->cfg, "backup_azure_account",
				     "AZURE_STORAGE_ACCOUNT");
	so.azure_key = px_bk_opt(o->az_key, o->cfg, "backup_azure_key", "AZURE_STORAGE_KEY");
	so.azure_sas = px_bk_opt(o->az_sas, o->cfg, "backup_azure_sas", "AZURE_STORAGE_SAS_TOKEN");
	so.azure_endpoint = px_bk_opt(o->az_endpoint, o->cfg, "backup_azure_endpoint", NULL);
	if (url)
		so.url = url;
	st = px_st_store_open(&so, &err);
	if (!st)
		px_bk_fail(so.url && strstr(so.url, "://") && strstr(err.data ? err.data : "", "credentials") ?
		     PX_E_STORAGE_CREDENTIALS : PX_E_STORAGE_FAILED, "open store", &err);
	px_buf_free(&err);
	return st;
}

int px_bk_read_secret(const char *kf, const char *pf, struct px_bk_secret *s)
{
	struct px_buf err = PX_BUF_INIT;
	int rc;

	if (!kf && !pf) {
		px_log_error(PX_BK_LOG_MODULE, NULL, "no key: give --key-file or --passphrase-file "
			     "(backup_key_file / backup_passphrase_file)");
		return -1;
	}
	rc = px_bk_secret_read(kf ? kf : pf, kf ? PX_BK_KEYFILE : PX_BK_PASSPHRASE,
			       s, &err);
	if (rc != 0)
		px_log_error(PX_BK_LOG_MODULE, NULL, "%s", err.data ? err.data : "cannot read key");
	px_buf_free(&err);
	return rc;
}

int px_bk_write_private(const char *path, const void *p, size_t n)
{
	const char *c = p;
	int fd, rc = -2, e;
	ssize_t w;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto out;
		c += w;
		n -= (size_t)w;
	}
	if (fsync(fd) == 0)
		rc = 0;
out:
	e = errno;
	if (close(fd) != 0 && rc == 0) {
		rc = -2;
		e = errno;
	}
	if (rc != 0)
		unlink(path);
	errno = e;
	return rc;
}

/* Opens the store and the repository; returns an exit code. */
int px_bk_open_repo(struct px_bk_opts *o, struct px_bk_repo **r)
{
	struct px_bk_secret s;
	struct px_st_store *st;
	struct px_buf why = PX_BUF_INIT;
	enum px_err rc;
	int code = PX_BK_EXIT_OK;
	char *url;

	*r = NULL;
	if (px_bk_read_secret(px_bk_opt(o->key_file, o->cfg, "backup_key_file", NULL),
			px_bk_opt(o->pass_file, o->cfg, "backup_passphrase_file", NULL), &s))
		return PX_BK_EXIT_USAGE;
	st = px_bk_open_store(o);
	if (!st) {
		px_bk_secret_wipe(&s);
		return PX_BK_EXIT_STORAGE;
	}
	url = strdup(st->url);
	rc = px_bk_repo_open(st, &s, px_bk_cache_base(o),
			     o->zstd_level != 0 ? o->zstd_level :
			     (int)px_cfg_int(o->cfg, "backup_zstd_level"), r, &why);
	px_bk_secret_wipe(&s);
	if (rc != PX_OK) {
		struct px_buf d = PX_BUF_INIT;

		px_buf_printf(&d, "%s: %s", url ? url : "store",
			      rc == PX_E_STORAGE_KEY_INVALID ?
			      "no key entry accepts this key file or passphrase" :
			      why.len ? why.data : px_err_message(rc));
		code = px_bk_fail(rc, "open", &d);
		px_buf_free(&d);
	}
	free(url);
	px_buf_free(&why);
	return code;
}

const char *px_bk_detail_of(struct px_bk_repo *r, struct px_buf *err)
{
	if (err->len)
		return err->data;
	return r && r->store->errmsg.len ? r->store->errmsg.data : "";
}

int px_bk_opt_lock_ttl(struct px_bk_opts *o)
{
	return o->lock_ttl > 0 ? o->lock_ttl : (int)px_cfg_int(o->cfg, "backup_lock_ttl");
}

/* Opens the repository and loads the snapshot named by argv (or latest). */
int px_bk_load_snapshot(struct px_bk_opts *o, int argc, char **argv,
			 struct px_bk_repo **r, json_object **m, char **name)
{
	struct px_bk_snaplist l = { 0 };
	struct px_buf d = PX_BUF_INIT;
	const char *want = argc > 0 ? argv[0] : "latest", *hit;
	enum px_err rc;
	int code = px_bk_open_repo(o, r);

	*m = NULL;
	*name = NULL;
	if (code != PX_BK_EXIT_OK)
		return code;
	rc = px_bk_snapshots((*r)->store, &l);
	if (rc != PX_OK) {
		code = px_bk_fail(rc, "list snapshots", &(*r)->store->errmsg);
		goto out;
	}
	hit = px_bk_snapshot_find(&l, want);
	if (!hit) {
		px_buf_printf(&d, "no snapshot matches \"%s\"", want);
		code = px_bk_fail(PX_E_VALIDATION_NOT_FOUND, "find snapshot", &d);
		goto out;
	}
	*name = strdup(hit);
	rc = px_bk_manifest_load(*r, hit, m);
	if (rc != PX_OK) {
		px_buf_printf(&d, "manifest %s: %s", hit, px_err_message(rc));
		code = px_bk_fail(rc, "load snapshot", &d);
	}
out:
	px_bk_snaplist_free(&l);
	px_buf_free(&d);
	return code;
}
