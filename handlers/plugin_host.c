/* plugin_host.c: the process's plugins (see plugin_host.h). The set is
 * replaced whole under a write lock when the database's stamp changes;
 * hooks run under the read lock, so a reload waits for calls in flight. */
#include "handlers/plugin_host.h"

#include "core/log.h"
#include "model/plugins.h"
#include "plugins/px_pl_inproc.h"
#include "plugins/px_pl_manifest.h"
#include "plugins/px_pl_proc.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK_EVERY_MS 2000
#define DISABLE_AFTER 5

struct hosted {
	struct px_pl_manifest m;
	unsigned granted;
	int all_channels;
	long long *chans;
	int nchans;
	struct px_pl_proc *proc;    /* process plugins */
	struct px_pl_inproc *mod;   /* in-process plugins */
	char *same;                 /* what makes a loaded plugin the same one:
				     * version, package, grants, settings */
	atomic_int failures;        /* in a row, for in-process and process alike */
};

struct px_plugin_host {
	pthread_rwlock_t lock;
	pthread_mutex_t check;      /* one thread checks the stamp at a time */
	char *user;
	char *db_where;             /* host, port, dbname of PlexiChat's conninfo */
	struct px_buf stamp;
	_Atomic long long checked_ms;
	struct hosted *v;
	int n;
};

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Appends ' key=\'value\'' in conninfo quoting. */
static void conn_kv(struct px_buf *b, const char *k, const char *v)
{
	px_buf_printf(b, "%s%s='", b->len ? " " : "", k);
	for (; *v; v++) {
		if (*v == '\'' || *v == '\\')
			px_buf_putc(b, '\\');
		px_buf_putc(b, *v);
	}
	px_buf_putc(b, '\'');
}

/* Where PlexiChat's database is, without who logs in: what a plugin's
 * conninfo starts from. NULL when conninfo does not parse. */
static char *db_where(const char *conninfo)
{
	static const char *const keep[] = { "host", "hostaddr", "port", "dbname", "sslmode" };
	PQconninfoOption *o = conninfo ? PQconninfoParse(conninfo, NULL) : NULL;
	struct px_buf b = PX_BUF_INIT;

	for (PQconninfoOption *i = o; i && i->keyword; i++)
		for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
			if (i->val && *i->val && !strcmp(i->keyword, keep[k]))
				conn_kv(&b, i->keyword, i->val);
	PQconninfoFree(o);
	if (b.failed || !b.data) {
		px_buf_free(&b);
		return NULL;
	}
	return b.data;
}

struct px_plugin_host *px_plugin_host_new(const char *user, const char *db_conninfo)
{
	struct px_plugin_host *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->db_where = db_where(db_conninfo);
	pthread_rwlock_init(&h->lock, NULL);
	pthread_mutex_init(&h->check, NULL);
	h->user = strdup(user ? user : "nobody");
	h->checked_ms = -CHECK_EVERY_MS;
	if (!h->user) {
		px_plugin_host_free(h);
		return NULL;
	}
	return h;
}

static void drop_all(struct hosted *v, int n)
{
	for (int i = 0; i < n; i++) {
		px_pl_proc_free(v[i].proc);
		px_pl_inproc_free(v[i].mod);
		free(v[i].chans);
		free(v[i].same);
	}
	free(v);
}

void px_plugin_host_free(struct px_plugin_host *h)
{
	if (!h)
		return;
	drop_all(h->v, h->n);
	pthread_rwlock_destroy(&h->lock);
	pthread_mutex_destroy(&h->check);
	px_buf_free(&h->stamp);
	free(h->user);
	free(h->db_where);
	free(h);
}

/* "{a,b}" (a PostgreSQL text array) into permission bits. */
static unsigned perms_of(const char *arr)
{
	char one[40];
	unsigned bits = 0;

	for (const char *s = arr + (*arr == '{'); *s && *s != '}';) {
		size_t n = strcspn(s, ",}");

		snprintf(one, sizeof(one), "%.*s", (int)n, s);
		bits |= px_pl_perm_bit(one);
		s += n + (s[n] == ',');
	}
	return bits;
}

/* Records what the runtime saw of a plugin; a failure to record it is
 * only logged (the hook's outcome does not depend on it). */
static void set_status(struct px_db *db, const char *name, const char *status, const char *detail)
{
	if (px_m_plugin_status(db, name, status, detail) != PX_OK)
		px_log_warn("plugins", NULL, "plugin %s: status %s not recorded", name, status);
}

struct loading {
	struct px_plugin_host *h;
	struct px_db *db;
	struct hosted *v;
	int n, cap;
};

static int has_hook(const struct px_pl_manifest *m, enum px_pl_hook hook)
{
	for (int i = 0; i < m->nhooks; i++)
		if (m->hooks[i].hook == hook)
			return 1;
	return 0;
}

static void load_channels(struct loading *l, struct hosted *x)
{
	struct px_buf ids = PX_BUF_INIT;
	int n = 0;

	if (px_m_plugin_channels(l->db, x->m.name, &ids) != PX_OK || !ids.data) {
		px_buf_free(&ids);
		return;
	}
	for (const char *s = ids.data; *s; s = strchr(s, '\n') + 1)
		n++;
	x->chans = calloc((size_t)n + 1, sizeof(*x->chans));
	for (const char *s = ids.data; x->chans && *s; s = strchr(s, '\n') + 1)
		x->chans[x->nchans++] = atoll(s);
	px_buf_free(&ids);
}

/* The settings object in text as a NULL-terminated key, value, ...
 * array: one malloc'ed block, the strings copied after the pointers, so
 * one free() releases it. NULL when text is not an object or on no
 * memory. */
static const char **settings_array(const char *text)
{
	struct json_object *o = json_tokener_parse(text);
	size_t n = 0, bytes = 0;
	const char **kv = NULL;
	char *at;

	if (!o || !json_object_is_type(o, json_type_object))
		goto out;
	json_object_object_foreach(o, k1, v1) {
		n++;
		bytes += strlen(k1) + 1 + strlen(json_object_get_string(v1)) + 1;
	}
	kv = malloc((2 * n + 1) * sizeof(*kv) + bytes);
	if (!kv)
		goto out;
	at = (char *)(kv + 2 * n + 1);
	n = 0;
	json_object_object_foreach(o, k2, v2) {
		kv[n++] = strcpy(at, k2);
		at += strlen(k2) + 1;
		kv[n++] = strcpy(at, json_object_get_string(v2));
		at += strlen(at) + 1;
	}
	kv[n] = NULL;
out:
	json_object_put(o);
	return kv;
}

/* The conninfo of name's own data: PlexiChat's host, port and database,
 * the plugin's role and password (docs/PLUGIN_DEVELOPMENT.md "Data").
 * 0, or -1 when it has none or the host has no conninfo. */
static int data_conninfo(struct loading *l, const char *name, struct px_buf *out)
{
	struct px_buf role = PX_BUF_INIT, pw = PX_BUF_INIT, schema = PX_BUF_INIT;
	int rc = -1;

	if (l->h->db_where && px_m_plugin_data_login(l->db, name, &role, &pw, &schema) == PX_OK &&
	    role.data && pw.data) {
		px_buf_puts(out, l->h->db_where);
		conn_kv(out, "user", role.data);
		conn_kv(out, "password", pw.data);
		rc = out->failed ? -1 : 0;
	}
	if (pw.data)
		explicit_bzero(pw.data, pw.len);
	px_buf_free(&role);
	px_buf_free(&pw);
	px_buf_free(&schema);
	return rc;
}

/* Loads one enabled plugin into l->v. A plugin that cannot be loaded is
 * left out and its status says why. */
static int load_one(void *arg, const struct px_m_plugin *p)
{
	struct loading *l = arg;
	struct px_buf err = PX_BUF_INIT, path = PX_BUF_INIT, settings = PX_BUF_INIT,
		      dbconn = PX_BUF_INIT;
	struct hosted *x;

	if (!p->enabled)
		return 0;
	if (l->n == l->cap) {
		struct hosted *nv = realloc(l->v, (size_t)(l->cap ? l->cap * 2 : 4) * sizeof(*nv));

		if (!nv)
			return 1;
		l->v = nv;
		l->cap = l->cap ? l->cap * 2 : 4;
	}
	x = &l->v[l->n];
	memset(x, 0, sizeof(*x));
	if (px_pl_manifest_parse(p->manifest, strlen(p->manifest), &x->m, &err) != 0)
		goto refused;
	x->granted = perms_of(p->granted) & x->m.perms;
	x->all_channels = p->all_channels;
	if (!x->all_channels)
		load_channels(l, x);
	px_buf_printf(&path, "%s/%s", p->dir, x->m.entry);
	if (px_m_plugin_settings_json(l->db, p->name, &settings) != PX_OK || settings.failed) {
		px_buf_puts(&err, "its settings cannot be read");
		goto refused;
	}
	if (x->m.kind == PX_PL_INPROC) {
		const char **kv = settings_array(settings.data);

		x->mod = kv ? px_pl_inproc_load(path.data ? path.data : "", p->entry_sha256,
						(const char *const *)kv, &err)
			    : NULL;
		free(kv);
		if (!x->mod)
			goto refused;
	} else {
		struct px_pl_proc_opts o = { x->m.name, p->dir, x->m.entry, l->h->user,
					     (x->granted & PX_PL_PERM_NETWORK) != 0, x->m.memory_mb,
					     x->m.cpu_seconds, x->m.open_files, x->m.call_timeout_ms,
					     settings.data, NULL };

		if ((x->granted & PX_PL_PERM_STORAGE) && x->m.nmigrations &&
		    data_conninfo(l, p->name, &dbconn) != 0) {
			px_buf_puts(&err, "its data cannot be reached (plugin_data)");
			goto refused;
		}
		o.database = dbconn.data;
		x->proc = px_pl_proc_new(&o);
		if (dbconn.data)
			explicit_bzero(dbconn.data, dbconn.len);
		if (!x->proc) {
			px_buf_puts(&err, "cannot prepare its sandbox");
			goto refused;
		}
	}
	px_buf_reset(&path);
	px_buf_printf(&path, "%s|%s|%s|%s", p->version, p->sha256, p->granted, settings.data);
	x->same = path.failed ? NULL : strdup(path.data);
	l->n++;
	goto out;
refused:
	px_log_warn("plugins", NULL, "plugin %s not loaded: %s", p->name, err.data ? err.data : "");
	free(x->chans);
	set_status(l->db, p->name, "disabled: not loaded", err.data ? err.data : "");
out:
	px_buf_free(&err);
	px_buf_free(&path);
	px_buf_free(&settings);
	px_buf_free(&dbconn);
	return 0;
}

/* A process plugin that is the same in the new set as in the old keeps its
 * running process (its state, and no restart): the two entries swap their
 * handles, and the old set is then dropped. In-process modules are loaded
 * anew, so that their file's hash is checked at every change of the set.
 * Under the write lock: nobody calls the old set meanwhile. */
static void keep_running(struct hosted *old, int nold, struct hosted *v, int n)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < nold && v[i].same && v[i].proc; j++) {
			struct px_pl_proc *p = v[i].proc;

			if (!old[j].proc || !old[j].same || strcmp(old[j].same, v[i].same) != 0 ||
			    strcmp(old[j].m.name, v[i].m.name) != 0)
				continue;
			v[i].proc = old[j].proc;
			old[j].proc = p;
			atomic_store(&v[i].failures, atomic_load(&old[j].failures));
			break;
		}
}

/* Reloads the set when the database says it changed: asked at most every
 * CHECK_EVERY_MS, or now with force (then waiting for a check under way). */
static void refresh_now(struct px_plugin_host *h, struct px_db *db, int force)
{
	struct px_buf stamp = PX_BUF_INIT;
	struct loading l = { h, db, NULL, 0, 0 };
	long long t = now_ms();

	if (force)
		pthread_mutex_lock(&h->check);
	else if (t - h->checked_ms < CHECK_EVERY_MS || pthread_mutex_trylock(&h->check) != 0)
		return;
	h->checked_ms = t;
	if (px_m_plugins_stamp(db, &stamp) != PX_OK || stamp.failed ||
	    (h->stamp.data && !strcmp(stamp.data, h->stamp.data)))
		goto out;
	if (px_m_plugins_each(db, load_one, &l) != PX_OK) {
		drop_all(l.v, l.n);
		goto out;
	}
	pthread_rwlock_wrlock(&h->lock);
	keep_running(h->v, h->n, l.v, l.n);
	drop_all(h->v, h->n);
	h->v = l.v;
	h->n = l.n;
	px_buf_reset(&h->stamp);
	px_buf_puts(&h->stamp, stamp.data);
	pthread_rwlock_unlock(&h->lock);
	px_log_info("plugins", NULL, "%d plugin(s) enabled", l.n);
out:
	px_buf_free(&stamp);
	pthread_mutex_unlock(&h->check);
}

static void refresh(struct px_plugin_host *h, struct px_db *db)
{
	refresh_now(h, db, 0);
}

static int sees(const struct hosted *x, long long channel)
{
	if (x->all_channels)
		return 1;
	for (int i = 0; i < x->nchans; i++)
		if (x->chans[i] == channel)
			return 1;
	return 0;
}

enum verdict { PASS, MODIFY, REJECT, FAIL, SKIP };

static enum verdict run_inproc(struct hosted *x, long long channel, long long author,
			       const char *body, struct px_buf *out, struct px_buf *reason)
{
	enum plexichat_verdict (*fn)(const struct plexichat_message *, struct plexichat_result *) =
		px_pl_inproc_before_store(x->mod);
	struct plexichat_message m = { channel, author, body, strlen(body) };
	struct plexichat_result r;
	enum plexichat_verdict v;

	if (!fn)
		return PASS;
	memset(&r, 0, sizeof(r));
	v = fn(&m, &r);
	r.reason[sizeof(r.reason) - 1] = '\0';
	if (v == PLEXICHAT_MODIFY && r.body) {
		px_buf_puts(out, r.body);
		free(r.body);
		return MODIFY;
	}
	free(r.body);
	if (v == PLEXICHAT_REJECT) {
		px_buf_puts(reason, r.reason);
		return REJECT;
	}
	return v == PLEXICHAT_PASS ? PASS : FAIL;
}

static enum verdict run_proc(struct hosted *x, long long channel, long long author,
			     const char *body, struct px_buf *out, struct px_buf *reason,
			     struct px_buf *detail)
{
	struct px_buf req = PX_BUF_INIT, rep = PX_BUF_INIT;
	struct json_object *o = NULL, *v;
	enum verdict res = FAIL;
	const char *action;

	px_buf_printf(&req, "{\"type\":\"before_store\",\"channel_id\":%lld,\"user_id\":%lld,"
		      "\"body\":", channel, author);
	px_buf_json_str(&req, body, strlen(body));
	px_buf_putc(&req, '}');
	if (req.failed)
		goto out;
	switch (px_pl_proc_call(x->proc, req.data, &rep, detail)) {
	case PX_PL_OK: break;
	case PX_PL_BACKOFF: res = SKIP; goto out; /* failed lately: not started again yet */
	case PX_PL_FAILED: goto out;
	}
	o = json_tokener_parse(rep.data ? rep.data : "");
	action = o && json_object_object_get_ex(o, "action", &v) ? json_object_get_string(v) : "";
	if (!strcmp(action, "pass")) {
		res = PASS;
	} else if (!strcmp(action, "modify") && json_object_object_get_ex(o, "body", &v) &&
		   json_object_is_type(v, json_type_string)) {
		px_buf_append(out, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		res = MODIFY;
	} else if (!strcmp(action, "reject")) {
		if (json_object_object_get_ex(o, "reason", &v) && json_object_is_type(v, json_type_string))
			px_buf_printf(reason, "%.200s", json_object_get_string(v));
		res = REJECT;
	} else {
		px_buf_puts(detail, "answered without a valid action");
	}
out:
	json_object_put(o);
	px_buf_free(&req);
	px_buf_free(&rep);
	return res;
}

/* Counts a failure; the fifth in a row disables the plugin for good. */
static void failed(struct hosted *x, struct px_db *db, const char *detail)
{
	int n = atomic_fetch_add(&x->failures, 1) + 1;

	px_log_warn("plugins", NULL, "plugin %s failed (%d in a row): %s", x->m.name, n, detail);
	if (n == DISABLE_AFTER)
		set_status(db, x->m.name, "disabled: failing", detail);
	else
		set_status(db, x->m.name, "failing", detail);
}

enum px_err px_plugin_host_before_store(struct px_plugin_host *h, struct px_db *db,
					long long channel, long long author, const char *body,
					struct px_buf *out, struct px_buf *reason)
{
	struct px_buf cur = PX_BUF_INIT, next = PX_BUF_INIT, detail = PX_BUF_INIT;
	enum px_err e = PX_OK;
	int changed = 0;

	refresh(h, db);
	pthread_rwlock_rdlock(&h->lock);
	px_buf_puts(&cur, body);
	for (int i = 0; i < h->n && e == PX_OK && !cur.failed; i++) {
		struct hosted *x = &h->v[i];
		enum verdict v;

		if (!has_hook(&x->m, PX_PL_HOOK_BEFORE_STORE) ||
		    !(x->granted & PX_PL_PERM_MESSAGES_READ) || !sees(x, channel))
			continue;
		px_buf_reset(&next);
		px_buf_reset(&detail);
		v = x->mod ? run_inproc(x, channel, author, cur.data, &next, reason)
			   : run_proc(x, channel, author, cur.data, &next, reason, &detail);
		if (v == FAIL || v == SKIP) {
			if (v == FAIL)
				failed(x, db, detail.data ? detail.data : "answered with an unknown verdict");
			if (x->m.fail_closed)
				e = PX_E_PLUGIN_UNAVAILABLE;
			continue;
		}
		if (atomic_exchange(&x->failures, 0) > 0)
			set_status(db, x->m.name, "ok", "");
		if (v == REJECT) {
			e = PX_E_PLUGIN_REJECTED;
		} else if (v == MODIFY && (x->granted & PX_PL_PERM_MESSAGES_MODIFY) && !next.failed) {
			px_buf_reset(&cur);
			px_buf_append(&cur, next.data ? next.data : "", next.len);
			changed = 1;
		}
	}
	pthread_rwlock_unlock(&h->lock);
	if (e == PX_OK && changed)
		px_buf_append(out, cur.data ? cur.data : "", cur.len);
	if (cur.failed || next.failed)
		e = PX_E_SYSTEM_INTERNAL;
	px_buf_free(&cur);
	px_buf_free(&next);
	px_buf_free(&detail);
	return e;
}

/* Whether x is the plugin t asks for. */
static int targeted(const struct hosted *x, const struct px_plugin_target *t)
{
	if (t->name && strcmp(t->name, x->m.name) != 0)
		return 0;
	for (int i = 0; i < x->m.nhooks; i++) {
		const struct px_pl_hookdecl *d = &x->m.hooks[i];
		unsigned need = px_pl_hook_needs(d);

		if ((int)d->hook == t->hook && !strcmp(d->arg, t->arg ? t->arg : "") &&
		    (x->granted & need) == need)
			return !t->channel || sees(x, t->channel);
	}
	return 0;
}

static struct hosted *find_target(struct px_plugin_host *h, const struct px_plugin_target *t)
{
	for (int i = 0; i < h->n; i++)
		if (h->v[i].proc && targeted(&h->v[i], t))
			return &h->v[i];
	return NULL;
}

enum px_plugin_call px_plugin_host_call(struct px_plugin_host *h, struct px_db *db,
					const struct px_plugin_target *t, const char *request,
					struct px_buf *reply, struct px_plugin_callee *who)
{
	struct px_buf detail = PX_BUF_INIT;
	enum px_plugin_call res = PX_PLUGIN_NONE;
	struct hosted *x = NULL;

	refresh(h, db);
	pthread_rwlock_rdlock(&h->lock);
	x = find_target(h, t);
	if (!x && t->name) {
		/* the database queued it for this plugin: this process may not
		 * have seen it enabled yet */
		pthread_rwlock_unlock(&h->lock);
		refresh_now(h, db, 1);
		pthread_rwlock_rdlock(&h->lock);
		x = find_target(h, t);
	}
	if (!x)
		goto out;
	snprintf(who->name, sizeof(who->name), "%s", x->m.name);
	who->granted = x->granted;
	switch (px_pl_proc_call(x->proc, request, reply, &detail)) {
	case PX_PL_OK:
		res = PX_PLUGIN_ANSWERED;
		if (atomic_exchange(&x->failures, 0) > 0)
			set_status(db, x->m.name, "ok", "");
		break;
	case PX_PL_BACKOFF:
		res = PX_PLUGIN_FAILED;
		break;
	case PX_PL_FAILED:
		res = PX_PLUGIN_FAILED;
		failed(x, db, detail.data ? detail.data : "");
		break;
	}
out:
	pthread_rwlock_unlock(&h->lock);
	px_buf_free(&detail);
	return res;
}

int px_plugin_host_wants(struct px_plugin_host *h, struct px_db *db, int hook)
{
	int yes = 0;

	refresh(h, db);
	pthread_rwlock_rdlock(&h->lock);
	for (int i = 0; i < h->n && !yes; i++)
		yes = has_hook(&h->v[i].m, (enum px_pl_hook)hook);
	pthread_rwlock_unlock(&h->lock);
	return yes;
}
