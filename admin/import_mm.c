/* admin/import_mm.c: a Mattermost bulk export (JSON lines: version, team,
 * channel, user, post with its replies and reactions) read line by line,
 * never the whole file in memory. A line that is not valid JSON, or of a
 * type not imported (direct channels and posts, emoji, schemes), is
 * skipped with its reason and line number. Mattermost posts are Markdown
 * already. The export has no post ids: a post's source id is its channel,
 * author and create_at (milliseconds), a reply's its root's plus its own. */
#include "admin/import_cmd.h"
#include "model/channels.h"

#include "model/imports.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SRC "mattermost"
#define MAX_LINE (16L * 1024 * 1024)
#define BATCH 2000

struct who {
	char name[64];
	long long id;
};

struct room {
	char sid[200]; /* team/name */
	long long id;  /* 0: not imported */
};

struct mm {
	struct admin *a;
	struct import_report *r;
	struct who *users;
	size_t nusers, capusers;
	int users_sorted;
	struct room *rooms;
	size_t nrooms, caprooms;
	struct px_m_import_batch batch;
	long long batch_channel;
	struct px_buf html, why;
	unsigned line;
};

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *jget(struct json_object *o, const char *key, json_type t)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

static void *grow(void *p, size_t *cap, size_t size)
{
	size_t n = *cap ? *cap * 2 : 64;
	void *t = realloc(p, n * size);

	if (t)
		*cap = n;
	return t;
}

static int who_cmp(const void *a, const void *b)
{
	return strcmp(((const struct who *)a)->name, ((const struct who *)b)->name);
}

/* By binary search, sorted on the first look-up after an addition. */
static long long user_id(struct mm *m, const char *name)
{
	struct who key, *w;

	if (!name || strlen(name) >= sizeof(key.name) || !m->nusers)
		return 0;
	if (!m->users_sorted) {
		qsort(m->users, m->nusers, sizeof(*m->users), who_cmp);
		m->users_sorted = 1;
	}
	memset(&key, 0, sizeof(key));
	snprintf(key.name, sizeof(key.name), "%s", name);
	w = bsearch(&key, m->users, m->nusers, sizeof(*m->users), who_cmp);
	return w ? w->id : 0;
}

static struct room *room_find(struct mm *m, const char *team, const char *name)
{
	char sid[200];
	size_t i;

	if (!team || !name)
		return NULL;
	snprintf(sid, sizeof(sid), "%s/%s", team, name);
	for (i = 0; i < m->nrooms; i++)
		if (strcmp(m->rooms[i].sid, sid) == 0)
			return &m->rooms[i];
	return NULL;
}

/* A skip reason with the line number. */
static void skip(struct mm *m, enum import_kind kind, const char *what)
{
	char id[32];

	snprintf(id, sizeof(id), "line %u", m->line);
	import_skip(m->r, kind, id, what);
}

static void do_channel(struct mm *m, struct json_object *c)
{
	const char *team = jstr(c, "team"), *name = jstr(c, "name"), *type = jstr(c, "type");
	const char *topic = jstr(c, "header");
	struct px_m_import_channel n;
	char here[96];
	struct room *r, *t;
	enum px_err e = PX_E_VALIDATION_CONFLICT;
	int i;

	if (!team || !name || strlen(team) + strlen(name) >= sizeof(r->sid) - 1) {
		skip(m, IK_CHANNEL, "channel without a team or a name");
		return;
	}
	if (m->nrooms == m->caprooms) {
		if (!(t = grow(m->rooms, &m->caprooms, sizeof(*t))))
			return;
		m->rooms = t;
	}
	r = &m->rooms[m->nrooms++];
	snprintf(r->sid, sizeof(r->sid), "%s/%s", team, name);
	r->id = 0;
	if (px_m_import_lookup(m->a->db, SRC, "channel", r->sid, &r->id) == 1) {
		m->r->existing[IK_CHANNEL]++;
		return;
	}
	if (!px_m_channel_name_ok(name)) {
		skip(m, IK_CHANNEL, "channel name is not a-z, 0-9, - and _");
		return;
	}
	if ((!topic || !*topic) && !(topic = jstr(c, "purpose")))
		topic = "";
	memset(&n, 0, sizeof(n));
	n.source = SRC;
	n.sid = r->sid;
	n.kind = type && strcmp(type, "P") == 0 ? "private" : "public";
	n.topic = strlen(topic) <= 250 ? topic : "";
	n.created_at = "now";
	n.members = "";
	for (i = 0; i < 2 && e == PX_E_VALIDATION_CONFLICT; i++) {
		snprintf(here, sizeof(here), i ? "%.68s-mattermost" : "%s", name);
		n.name = here;
		e = px_m_import_channel(m->a->db, &n, &r->id);
	}
	if (e == PX_OK)
		m->r->imported[IK_CHANNEL]++;
	else
		skip(m, IK_CHANNEL, e == PX_E_VALIDATION_CONFLICT
		     ? "channel name taken (also with -mattermost)" : "database error");
}

/* The user's channel memberships: teams[].channels[].name */
static void memberships(struct mm *m, struct json_object *u, long long id)
{
	struct json_object *teams = jget(u, "teams", json_type_array), *t, *chs;
	struct room *r;
	size_t i, j;

	for (i = 0; teams && i < json_object_array_length(teams); i++) {
		t = json_object_array_get_idx(teams, i);
		chs = jget(t, "channels", json_type_array);
		for (j = 0; chs && j < json_object_array_length(chs); j++) {
			r = room_find(m, jstr(t, "name"), jstr(json_object_array_get_idx(chs, j), "name"));
			if (r && r->id && px_m_import_member(m->a->db, r->id, id) != PX_OK)
				skip(m, IK_USER, "database error adding a membership");
		}
	}
}

static void do_user(struct mm *m, struct json_object *u)
{
	const char *name = jstr(u, "username"), *nick = jstr(u, "nickname");
	struct json_object *del = jget(u, "delete_at", json_type_int);
	struct import_account n;
	char here[64], full[130];
	struct who *w;
	long long id = 0;

	if (!name || strlen(name) >= sizeof(w->name)) {
		skip(m, IK_USER, "user without a username");
		return;
	}
	if ((!nick || !*nick) && jstr(u, "first_name")) {
		snprintf(full, sizeof(full), "%.64s %.64s", jstr(u, "first_name"),
			 jstr(u, "last_name") ? jstr(u, "last_name") : "");
		while (*full && full[strlen(full) - 1] == ' ')
			full[strlen(full) - 1] = '\0';
		nick = full;
	}
	memset(&n, 0, sizeof(n));
	n.sid = name;
	n.username = name;
	n.email = jstr(u, "email");
	n.display_name = nick;
	n.deleted = del && json_object_get_int64(del) > 0;
	if (import_account(m->a, m->r, &n, &id, here) < 0)
		return;
	if (m->nusers == m->capusers) {
		if (!(w = grow(m->users, &m->capusers, sizeof(*w))))
			return;
		m->users = w;
	}
	w = &m->users[m->nusers++];
	m->users_sorted = 0;
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->id = id;
	memberships(m, u, id);
}

static void flush(struct mm *m)
{
	long n = 0, re = 0;
	size_t msgs = m->batch.n, reacts = m->batch.nreactions;

	if (!m->batch_channel || (!msgs && !reacts))
		return;
	if (px_m_import_flush(m->a->db, SRC, m->batch_channel, &m->batch, &n, &re) != PX_OK) {
		skip(m, IK_MESSAGE, "database error: a batch of messages was not imported");
		m->r->skipped[IK_MESSAGE] += (long)msgs - 1;
		return;
	}
	m->r->imported[IK_MESSAGE] += n;
	m->r->existing[IK_MESSAGE] += (long)msgs - n;
	m->r->imported[IK_REACTION] += re;
	m->r->existing[IK_REACTION] += (long)reacts - re;
}

static void reactions(struct mm *m, struct json_object *p, const char *sid)
{
	struct json_object *rs = jget(p, "reactions", json_type_array), *r;
	const char *emoji, *name;
	long long uid;
	size_t i;

	for (i = 0; rs && i < json_object_array_length(rs); i++) {
		r = json_object_array_get_idx(rs, i);
		name = jstr(r, "emoji_name");
		uid = user_id(m, jstr(r, "user"));
		if (!name || !(emoji = import_emoji(name))) {
			px_buf_reset(&m->why);
			px_buf_printf(&m->why, "no Unicode emoji for :%.80s:", name ? name : "");
			import_skip(m->r, IK_REACTION, sid, m->why.data);
		} else if (!uid) {
			import_skip(m->r, IK_REACTION, sid, "reacting user not imported");
		} else {
			px_m_import_batch_react(&m->batch, sid, uid, emoji);
		}
	}
}

/* One post or reply: 0 when added to the batch (sid filled in), else -1. */
static int post_one(struct mm *m, const struct room *r, struct json_object *p,
		    const char *root, char *sid, size_t cap)
{
	const char *user = jstr(p, "user"), *text = jstr(p, "message"), *why = NULL;
	struct json_object *at = jget(p, "create_at", json_type_int);
	char secs[40], created[48];
	long long ms;

	if (!user || !at || !text) {
		skip(m, IK_MESSAGE, "post without user, message or create_at");
		return -1;
	}
	ms = json_object_get_int64(at);
	snprintf(sid, cap, "%s%s/%s/%lld", root ? root : r->sid, root ? "/r" : "", user, ms);
	snprintf(secs, sizeof(secs), "%lld.%03lld", ms / 1000, ms % 1000);
	if (ms < 0 || import_ts(secs, created, sizeof(created)) != 0) {
		import_skip(m->r, IK_MESSAGE, sid, "create_at is not a time");
		return -1;
	}
	if (!*text) {
		import_skip(m->r, IK_MESSAGE, sid, "empty message");
		return -1;
	}
	if (import_render(text, strlen(text), &m->html, &why) != 0) {
		import_skip(m->r, IK_MESSAGE, sid, why);
		return -1;
	}
	px_m_import_batch_add(&m->batch, sid, user_id(m, user), text, m->html.data, created, root);
	reactions(m, p, sid);
	return 0;
}

static void do_post(struct mm *m, struct json_object *p)
{
	struct room *r = room_find(m, jstr(p, "team"), jstr(p, "channel"));
	struct json_object *replies = jget(p, "replies", json_type_array);
	char root[400], sid[400];
	size_t i;

	if (!r || !r->id) {
		skip(m, IK_MESSAGE, r ? "its channel was not imported" : "no such channel");
		return;
	}
	if (m->batch_channel != r->id)
		flush(m);
	m->batch_channel = r->id;
	if (post_one(m, r, p, NULL, root, sizeof(root)) != 0)
		return;
	for (i = 0; replies && i < json_object_array_length(replies); i++)
		post_one(m, r, json_object_array_get_idx(replies, i), root, sid, sizeof(sid));
	if (m->batch.n >= BATCH)
		flush(m);
}

static void do_line(struct mm *m, const char *line, size_t n)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	struct json_object *o = NULL, *body;
	const char *type;

	if (!tok)
		return;
	o = json_tokener_parse_ex(tok, line, (int)n);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		skip(m, IK_FILE, "not a JSON object");
		goto out;
	}
	type = jstr(o, "type");
	body = type ? jget(o, type, json_type_object) : NULL;
	if (type && strcmp(type, "version") == 0)
		goto out;
	if (!body) {
		skip(m, IK_FILE, "line without a type and its object");
	} else if (strcmp(type, "channel") == 0) {
		do_channel(m, body);
	} else if (strcmp(type, "user") == 0) {
		do_user(m, body);
	} else if (strcmp(type, "post") == 0) {
		do_post(m, body);
	} else if (strcmp(type, "team") != 0) {
		px_buf_reset(&m->why);
		px_buf_printf(&m->why, "%.40s lines are not imported", type);
		skip(m, strstr(type, "post") ? IK_MESSAGE : IK_FILE, m->why.data);
	}
out:
	json_object_put(o);
	json_tokener_free(tok);
}

int import_mattermost(struct admin *a, const char *path, struct import_report *r)
{
	FILE *f = fopen(path, "r");
	struct mm m;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 1;

	if (!f) {
		fprintf(stderr, "plexichat-admin: %s: cannot open\n", path);
		return 1;
	}
	memset(&m, 0, sizeof(m));
	m.a = a;
	m.r = r;
	while ((n = getline(&line, &cap, f)) >= 0) {
		m.line++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (n > MAX_LINE)
			skip(&m, IK_FILE, "line longer than 16 MiB");
		else
			do_line(&m, line, (size_t)n);
	}
	flush(&m);
	if (px_m_import_threads(a->db, SRC, &r->orphans) != PX_OK)
		fprintf(stderr, "plexichat-admin: threads could not be linked; run the import again\n");
	else
		rc = 0;
	fclose(f);
	free(line);
	px_buf_free(&m.html);
	px_buf_free(&m.why);
	px_m_import_batch_free(&m.batch);
	free(m.users);
	free(m.rooms);
	return rc;
}
