/* admin/import_mm.c: a Mattermost bulk export (JSON lines: version, team,
 * channel, user, post with its replies and reactions) read line by line,
 * never the whole file in memory; or the zip mmctl makes with
 * --attachments (the .jsonl and the attached files: import_files.h).
 * Direct channels and posts become conversations of the same people. A
 * line that is not valid JSON, or of a type not imported (emoji,
 * schemes), is skipped with its reason and line number. Mattermost posts are Markdown
 * already. The export has no post ids: a post's source id is its channel,
 * author and create_at (milliseconds), a reply's its root's plus its own. */
#include "admin/import_cmd.h"
#include "admin/import_files.h"
#include "model/channels.h"

#include "model/imports.h"

#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SRC "mattermost"
#define MAX_LINE (16L * 1024 * 1024)
#define BATCH 2000
/* most members of a group conversation read (Mattermost allows 8) */
#define MAX_DIRECT 16

struct who {
	char name[64];
	long long id;
};

struct room {
	char sid[1200]; /* team/name, or dm:USER,USER... for direct channels */
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
	int zip; /* reading a zip (attachments can be had) */
	struct import_files files;
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

static struct room *room_by_sid(struct mm *m, const char *sid)
{
	size_t i;

	for (i = 0; i < m->nrooms; i++)
		if (strcmp(m->rooms[i].sid, sid) == 0)
			return &m->rooms[i];
	return NULL;
}

static struct room *room_find(struct mm *m, const char *team, const char *name)
{
	char sid[sizeof(((struct room *)0)->sid)];

	if (!team || !name)
		return NULL;
	snprintf(sid, sizeof(sid), "%s/%s", team, name);
	return room_by_sid(m, sid);
}

static struct room *room_add(struct mm *m, const char *sid)
{
	struct room *r;

	if (m->nrooms == m->caprooms) {
		if (!(r = grow(m->rooms, &m->caprooms, sizeof(*r))))
			return NULL;
		m->rooms = r;
	}
	r = &m->rooms[m->nrooms++];
	snprintf(r->sid, sizeof(r->sid), "%s", sid);
	r->id = 0;
	return r;
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
	char here[96], sidb[sizeof(((struct room *)0)->sid)];
	struct room *r;
	enum px_err e = PX_E_VALIDATION_CONFLICT;
	int i;

	if (!team || !name || strlen(team) + strlen(name) >= 200) {
		skip(m, IK_CHANNEL, "channel without a team or a name");
		return;
	}
	snprintf(sidb, sizeof(sidb), "%s/%s", team, name);
	if (!(r = room_add(m, sidb)))
		return;
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

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The direct channel of the usernames in members (a direct_channel's
 * "members", a direct_post's "channel_members"): found, or made as a dm
 * (two people) or a group conversation (three or more) of the same
 * people here. Its source id is "dm:" and the sorted usernames joined by
 * ','. NULL when it cannot be had (skipped with the reason). */
static struct room *direct_room(struct mm *m, struct json_object *members, const char *header)
{
	const char *names[MAX_DIRECT] = { NULL };
	struct px_buf sid = PX_BUF_INIT, ids = PX_BUF_INIT;
	struct px_m_import_direct d;
	long long uid[MAX_DIRECT];
	struct room *r = NULL;
	size_t i, n = 0, k = 0, distinct;
	int made = 0;

	for (i = 0; members && i < json_object_array_length(members); i++) {
		const char *u = json_object_get_string(json_object_array_get_idx(members, i));

		if (!u || !*u || strchr(u, ',') || n == MAX_DIRECT)
			continue;
		names[n++] = u;
	}
	qsort(names, n, sizeof(*names), name_cmp);
	px_buf_puts(&sid, "dm:");
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
			px_buf_printf(&sid, "%s%s", k++ ? "," : "", names[i]);
	if (k < 2 || sid.failed || sid.len >= sizeof(r->sid)) {
		skip(m, IK_CHANNEL, "direct channel without two or more members");
		goto out;
	}
	if ((r = room_by_sid(m, sid.data)))
		goto out;
	if (!(r = room_add(m, sid.data)))
		goto out;
	if (px_m_import_lookup(m->a->db, SRC, "channel", r->sid, &r->id) == 1) {
		m->r->existing[IK_CHANNEL]++;
		goto out;
	}
	distinct = k;
	k = 0;
	for (i = 0; i < json_object_array_length(members) && k < MAX_DIRECT; i++) {
		long long id = user_id(m, json_object_get_string(json_object_array_get_idx(members, i)));
		size_t j;

		for (j = 0; id && j < k && uid[j] != id; j++)
			;
		if (!id || j < k)
			continue;
		uid[k++] = id;
		px_buf_printf(&ids, "%s%lld", ids.len ? "\n" : "", id);
	}
	if (k != distinct || k < 2) {
		/* a member not imported: not the same conversation */
		skip(m, IK_CHANNEL, distinct == 2 ? "a direct message needs two imported members"
					   : "a group conversation needs all its members imported");
		goto out;
	}
	memset(&d, 0, sizeof(d));
	d.source = SRC;
	d.sid = r->sid;
	d.kind = k == 2 ? "dm" : "group";
	d.topic = header && strlen(header) <= 250 ? header : "";
	d.created_at = "now";
	d.low = uid[0] < uid[1] ? uid[0] : uid[1];
	d.high = uid[0] < uid[1] ? uid[1] : uid[0];
	d.members = ids.data;
	if (px_m_import_direct(m->a->db, &d, &r->id, &made) != PX_OK)
		skip(m, IK_CHANNEL, "database error");
	else if (made)
		m->r->imported[IK_CHANNEL]++;
	else
		m->r->existing[IK_CHANNEL]++;
out:
	px_buf_free(&sid);
	px_buf_free(&ids);
	return r;
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

/* A post's attachments ({"path": ...} inside the zip, also looked for
 * under data/, where mmctl's export puts them): wanted for the last pass
 * (import_files.h), else skipped with the reason. Returns how many. */
static int attachments(struct mm *m, struct json_object *p, const char *sid)
{
	struct json_object *as = jget(p, "attachments", json_type_array);
	char path[1100], fsid[1300];
	const char *given, *base;
	size_t i;
	int n = 0;

	for (i = 0; as && i < json_object_array_length(as); i++) {
		given = jstr(json_object_array_get_idx(as, i), "path");
		snprintf(fsid, sizeof(fsid), "%s#%zu", sid, i);
		if (!given || !*given || strlen(given) >= 1000) {
			import_skip(m->r, IK_FILE, fsid, "attachment without a path");
			continue;
		}
		if (!m->zip) {
			import_skip(m->r, IK_FILE, fsid, "attachments are read only from a zip export"
				    " (mmctl export create --attachments)");
			continue;
		}
		snprintf(path, sizeof(path), "%s", given + (strncmp(given, "./", 2) == 0 ? 2 : 0));
		if (!import_files_has(&m->files, path)) {
			snprintf(path, sizeof(path), "data/%s", given);
			if (!import_files_has(&m->files, path)) {
				import_skip(m->r, IK_FILE, fsid, "not in the archive");
				continue;
			}
		}
		base = strrchr(path, '/');
		if (import_files_want(&m->files, path, sid, fsid, base ? base + 1 : path, n) == 0)
			n++;
	}
	return n;
}

/* One post or reply: 0 when added to the batch (sid filled in), else -1. */
static int post_one(struct mm *m, const struct room *r, struct json_object *p,
		    const char *root, char *sid, size_t cap)
{
	const char *user = jstr(p, "user"), *text = jstr(p, "message"), *why = NULL;
	struct json_object *at = jget(p, "create_at", json_type_int);
	char secs[40], created[48];
	long long ms;
	int files;

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
	files = attachments(m, p, sid);
	if (!*text && !files) {
		import_skip(m->r, IK_MESSAGE, sid, "empty message");
		return -1;
	}
	if (import_render(text, strlen(text), &m->html, &why) != 0) {
		import_skip(m->r, IK_MESSAGE, sid, why);
		return -1;
	}
	px_m_import_batch_add(&m->batch, sid, user_id(m, user), text,
			      m->html.data ? m->html.data : "", created, root);
	reactions(m, p, sid);
	return 0;
}

/* A post with its replies into room r. */
static void post_in(struct mm *m, struct room *r, struct json_object *p)
{
	struct json_object *replies = jget(p, "replies", json_type_array);
	char root[1300], sid[1400];
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

static void do_post(struct mm *m, struct json_object *p)
{
	post_in(m, room_find(m, jstr(p, "team"), jstr(p, "channel")), p);
}

static void do_direct_post(struct mm *m, struct json_object *p)
{
	struct room *r = direct_room(m, jget(p, "channel_members", json_type_array), NULL);

	if (r)
		post_in(m, r, p);
	else
		skip(m, IK_MESSAGE, "its direct channel was not imported");
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
	} else if (strcmp(type, "direct_channel") == 0) {
		direct_room(m, jget(body, "members", json_type_array), jstr(body, "header"));
	} else if (strcmp(type, "direct_post") == 0) {
		do_direct_post(m, body);
	} else if (strcmp(type, "team") != 0) {
		px_buf_reset(&m->why);
		px_buf_printf(&m->why, "%.40s lines are not imported", type);
		skip(m, strstr(type, "post") ? IK_MESSAGE : IK_FILE, m->why.data);
	}
out:
	json_object_put(o);
	json_tokener_free(tok);
}

/* One line (its newline removed) of the export. */
static void one_line(struct mm *m, char *line, size_t n)
{
	m->line++;
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n == 0)
		return;
	if (n > MAX_LINE)
		skip(m, IK_FILE, "line longer than 16 MiB");
	else
		do_line(m, line, n);
}

static int read_plain(struct mm *m, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		fprintf(stderr, "plexichat-admin: %s: cannot open\n", path);
		return -1;
	}
	while ((n = getline(&line, &cap, f)) >= 0)
		one_line(m, line, (size_t)n);
	fclose(f);
	free(line);
	return 0;
}

/* The JSON lines entry of the current zip entry, split into lines as it
 * streams (a line longer than MAX_LINE is skipped, not held). */
static int read_entry_lines(struct mm *m, struct archive *ar)
{
	char chunk[65536];
	struct px_buf line = PX_BUF_INIT;
	la_ssize_t got;
	int too_long = 0;
	char *p, *nl;

	while ((got = archive_read_data(ar, chunk, sizeof(chunk))) > 0) {
		for (p = chunk; p < chunk + got; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(chunk + got - p));
			if (!too_long)
				px_buf_append(&line, p, nl ? (size_t)(nl - p) : (size_t)(chunk + got - p));
			if (line.len > MAX_LINE) {
				too_long = 1;
				px_buf_reset(&line);
			}
			if (!nl)
				break;
			if (too_long) {
				m->line++;
				skip(m, IK_FILE, "line longer than 16 MiB");
			} else {
				one_line(m, line.data ? line.data : (char *)"", line.len);
			}
			too_long = 0;
			px_buf_reset(&line);
		}
	}
	if (line.len)
		one_line(m, line.data, line.len);
	px_buf_free(&line);
	return got < 0 ? -1 : 0;
}

/* A zip (mmctl export create --attachments): the first pass lists its
 * entries and finds the .jsonl, the second reads that. */
static int read_zip(struct mm *m, const char *path)
{
	struct archive *ar = import_archive_open(path);
	struct archive_entry *e;
	char *jsonl = NULL;
	const char *name;
	size_t n;
	int rc = -1, h;

	if (!ar)
		return -1;
	while ((h = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
		name = archive_entry_pathname(e);
		if (import_entry_unsafe(e)) {
			import_skip(m->r, IK_FILE, name, import_entry_unsafe(e));
			continue;
		}
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		n = strlen(name);
		if (!jsonl && n > 6 && strcmp(name + n - 6, ".jsonl") == 0)
			jsonl = strdup(name);
		else
			import_files_index(&m->files, name);
	}
	archive_read_free(ar);
	if (!jsonl) {
		fprintf(stderr, "plexichat-admin: %s: no .jsonl file in the archive\n", path);
		return -1;
	}
	if (!(ar = import_archive_open(path)))
		goto out;
	while ((h = archive_read_next_header(ar, &e)) == ARCHIVE_OK)
		if (strcmp(archive_entry_pathname(e), jsonl) == 0 && !import_entry_unsafe(e)) {
			if (read_entry_lines(m, ar) != 0)
				import_skip(m->r, IK_FILE, jsonl, "damaged entry: the rest was not read");
			break;
		}
	rc = 0;
out:
	if (ar)
		archive_read_free(ar);
	free(jsonl);
	return rc;
}

static int is_zip(const char *path)
{
	unsigned char sig[4] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(sig, 1, sizeof(sig), f) : 0;

	if (f)
		fclose(f);
	return n == 4 && sig[0] == 'P' && sig[1] == 'K' && sig[2] == 3 && sig[3] == 4;
}

int import_mattermost(struct admin *a, const char *path, struct import_report *r)
{
	struct mm m;
	int rc = 1;

	memset(&m, 0, sizeof(m));
	m.a = a;
	m.r = r;
	m.zip = is_zip(path);
	if ((m.zip ? read_zip(&m, path) : read_plain(&m, path)) != 0)
		goto out;
	flush(&m);
	if (px_m_import_threads(a->db, SRC, &r->orphans) != PX_OK) {
		fprintf(stderr, "plexichat-admin: threads could not be linked; run the import again\n");
		goto out;
	}
	if (import_files_store(a, r, &m.files, m.zip ? path : NULL) != 0)
		goto out;
	rc = 0;
out:
	px_buf_free(&m.html);
	px_buf_free(&m.why);
	px_m_import_batch_free(&m.batch);
	import_files_free(&m.files);
	free(m.users);
	free(m.rooms);
	return rc;
}
