/* px_bk_lock.c: local flock plus store lock objects. Acquisition writes
 * our object first and then lists: two racing runs both see each other
 * and both back off, which is safe (the next cron run tries again). */
#include "backup/px_bk_lock.h"
#include "core/codec.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/log.h"

struct px_bk_lock {
	struct px_bk_repo *r;
	int fd;
	char name[160];
	char op[32];
	int exclusive, ttl;
	time_t refreshed;
};

static void hostname(char *out, size_t n)
{
	if (gethostname(out, n) != 0)
		snprintf(out, n, "unknown");
	out[n - 1] = '\0';
}

static enum px_err write_obj(struct px_bk_lock *l)
{
	struct px_buf b = PX_BUF_INIT;
	char host[128];
	time_t now = time(NULL);
	enum px_err rc;

	hostname(host, sizeof(host));
	px_buf_puts(&b, "{\"host\":");
	px_buf_json_str(&b, host, strlen(host));
	px_buf_printf(&b, ",\"pid\":%ld,\"op\":\"%s\",\"exclusive\":%s,"
		      "\"created\":%lld,\"expires\":%lld}\n", (long)getpid(),
		      l->op, l->exclusive ? "true" : "false", (long long)now,
		      (long long)(now + l->ttl));
	rc = b.failed ? PX_E_SYSTEM_INTERNAL :
	     px_st_put(l->r->store, l->name, b.data, b.len);
	if (rc == PX_OK)
		l->refreshed = now;
	px_buf_free(&b);
	return rc;
}

struct names {
	char **v;
	size_t n;
};

static int add_name(void *arg, const char *name, size_t size)
{
	struct names *ns = arg;
	char **nv = realloc(ns->v, (ns->n + 1) * sizeof(*nv));

	if (!nv)
		return 1;
	ns->v = nv;
	if ((nv[ns->n] = strdup(name)) != NULL)
		ns->n++;
	return 0;
}

static void names_free(struct names *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

/* Reads a lock object; 1 stale, 0 live, -1 unreadable (treated live). */
static int inspect(struct px_bk_repo *r, const char *name, json_object **out)
{
	struct px_buf b = PX_BUF_INIT;
	json_object *o = NULL, *v;
	char host[128];
	int stale = -1;

	*out = NULL;
	if (px_st_get(r->store, name, &b) != PX_OK)
		goto out;
	o = json_tokener_parse(b.data);
	if (!o)
		goto out;
	stale = 0;
	if (json_object_object_get_ex(o, "expires", &v) &&
	    json_object_get_int64(v) < time(NULL))
		stale = 1;
	hostname(host, sizeof(host));
	if (json_object_object_get_ex(o, "host", &v) &&
	    !strcmp(json_object_get_string(v), host) &&
	    json_object_object_get_ex(o, "pid", &v) &&
	    kill((pid_t)json_object_get_int64(v), 0) != 0 && errno == ESRCH)
		stale = 1;
	*out = o;
	o = NULL;
out:
	json_object_put(o);
	px_buf_free(&b);
	return stale;
}

static int is_exclusive(json_object *o)
{
	json_object *v;

	return !o || !json_object_object_get_ex(o, "exclusive", &v) ||
	       json_object_get_boolean(v);
}

enum px_err px_bk_lock_take(struct px_bk_repo *r, const char *op, int exclusive,
			    int ttl, struct px_bk_lock **out, struct px_buf *err)
{
	struct px_bk_lock *l = calloc(1, sizeof(*l));
	struct names ns = { 0 };
	char *path = px_bk_repo_cache_path(r, "lock");
	unsigned char rnd[4];
	char host[128], hex[9];
	enum px_err rc = PX_E_SYSTEM_INTERNAL;
	size_t i;
	int have_obj = 0;

	*out = NULL;
	if (!l || !path || px_bk_random(rnd, sizeof(rnd)) != 0)
		goto fail;
	l->r = r;
	l->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (l->fd < 0)
		goto fail;
	if (flock(l->fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
		px_buf_printf(err, "another plexichat-backup on this host holds %s", path);
		rc = PX_E_STORAGE_LOCKED;
		goto fail;
	}
	hostname(host, sizeof(host));
	for (i = 0; host[i]; i++)
		if (host[i] == '/')
			host[i] = '_';
	px_codec_hex_str(hex, rnd, 4);
	snprintf(l->name, sizeof(l->name), "locks/%s-%ld-%s", host,
		 (long)getpid(), hex);
	snprintf(l->op, sizeof(l->op), "%s", op);
	l->exclusive = exclusive;
	l->ttl = ttl > 60 ? ttl : 60;
	rc = write_obj(l);
	if (rc != PX_OK)
		goto fail;
	have_obj = 1;
	rc = px_st_list(r->store, "locks/", add_name, &ns);
	if (rc != PX_OK)
		goto fail;
	for (i = 0; i < ns.n; i++) {
		json_object *o;
		int stale;

		if (!strcmp(ns.v[i], l->name))
			continue;
		stale = inspect(r, ns.v[i], &o);
		if (stale == 1) {
			px_log_warn("backup", NULL, "removing stale lock %s", ns.v[i]);
			if (px_st_del(r->store, ns.v[i]) != PX_OK)
				stale = 0;
		}
		if (stale != 1 && (exclusive || is_exclusive(o))) {
			px_buf_printf(err, "store locked by %s: %s", ns.v[i],
				      o ? json_object_to_json_string(o) : "(unreadable)");
			json_object_put(o);
			rc = PX_E_STORAGE_LOCKED;
			goto fail;
		}
		json_object_put(o);
	}
	names_free(&ns);
	free(path);
	*out = l;
	if (exclusive && r->store->ops->sweep) {
		long swept = r->store->ops->sweep(r->store);

		if (swept > 0)
			px_log_warn("backup", NULL, "removed %ld temporary files left by an "
				    "interrupted run", swept);
	}
	return PX_OK;
fail:
	if (have_obj)
		(void)px_st_del(r->store, l->name);
	if (l && l->fd > 0)
		close(l->fd);
	names_free(&ns);
	free(path);
	free(l);
	return rc;
}

enum px_err px_bk_lock_refresh(struct px_bk_lock *l)
{
	if (!l || time(NULL) - l->refreshed < l->ttl / 3)
		return PX_OK;
	return write_obj(l);
}

void px_bk_lock_release(struct px_bk_lock *l)
{
	if (!l)
		return;
	if (px_st_del(l->r->store, l->name) != PX_OK)
		px_log_warn("backup", NULL, "could not remove lock %s", l->name);
	close(l->fd);
	free(l);
}

enum px_err px_bk_lock_list(struct px_bk_repo *r, int remove_stale,
			    struct px_buf *out, int *stale)
{
	struct names ns = { 0 };
	enum px_err rc;
	size_t i;

	*stale = 0;
	rc = px_st_list(r->store, "locks/", add_name, &ns);
	for (i = 0; rc == PX_OK && i < ns.n; i++) {
		json_object *o;
		int s = inspect(r, ns.v[i], &o);

		px_buf_puts(out, "{\"name\":");
		px_buf_json_str(out, ns.v[i], strlen(ns.v[i]));
		px_buf_printf(out, ",\"stale\":%s,\"lock\":%s}\n",
			      s == 1 ? "true" : "false",
			      o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) :
				  "null");
		json_object_put(o);
		if (s == 1) {
			(*stale)++;
			if (remove_stale)
				rc = px_st_del(r->store, ns.v[i]);
		}
	}
	names_free(&ns);
	return rc;
}
