/* admin/import_slack.c: a Slack export (zip of users.json, channels.json,
 * groups.json and CHANNEL/YYYY-MM-DD.json files of messages) read with
 * libarchive entry by entry, never the whole archive in memory. The first
 * pass reads the workspace files (users, channels), the second the day
 * files; an entry with an unsafe name (absolute, "..", a link or device)
 * or over the size bound is skipped with its reason, as is a file that is
 * not valid JSON: the rest is imported. Messages go in batches per channel
 * (model/imports.c), Slack's mrkdwn converted by the incoming webhooks'
 * converter, Slack's ts kept as the creation time and as the source id. */
#include "admin/import_cmd.h"
#include "admin/import_files.h"
#include "model/channels.h"

#include "core/utf8.h"
#include "handlers/hooks_slack.h"
#include "core/cfg.h"
#include "core/db.h"
#include "model/imports.h"

#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SRC "slack"
/* largest entry read (one day of one channel, or users.json) */
#define MAX_ENTRY (64L * 1024 * 1024)
/* messages sent to PostgreSQL in one statement */
#define BATCH 2000
/* most members of a group conversation read (Slack allows 9) */
#define MAX_DIRECT 64
/* day files are read by this many threads, each with its connection and
 * its share of the channels (docs/INTEGRATIONS.md#import-speed) */
#define LANES 2

struct user {
	char sid[32];
	char name[64];
	long long id;
};

struct chan {
	char sid[32];
	char name[256]; /* the folder name: Slack's channel name, a DM's id */
	char here[96];  /* the name here (differs when taken; "" for DMs) */
	long long id;  /* 0: not imported */
};

struct slack {
	struct admin *a;
	struct px_db *db; /* a->db, or a lane's own */
	int lane;         /* which channels' day files pass 1 reads: index % LANES */
	struct import_report *r;
	struct user *users;
	size_t nusers, capusers;
	int users_sorted;
	struct chan *chans;
	size_t nchans, capchans;
	struct px_buf users_json, chans_json, groups_json, dms_json, mpims_json;
	struct import_files files;
	struct px_m_import_batch batch;
	const struct chan *batch_chan;
	struct px_buf text, md, html, why;
};

static int user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct user *)a)->sid, ((const struct user *)b)->sid);
}

/* Users are looked up per message and reaction: by binary search, sorted
 * on the first look-up after an addition. */
static struct user *user_find(struct slack *s, const char *sid)
{
	struct user key;

	if (!sid || strlen(sid) >= sizeof(key.sid) || !s->nusers)
		return NULL;
	if (!s->users_sorted) {
		qsort(s->users, s->nusers, sizeof(*s->users), user_cmp);
		s->users_sorted = 1;
	}
	memset(&key, 0, sizeof(key));
	snprintf(key.sid, sizeof(key.sid), "%s", sid);
	return bsearch(&key, s->users, s->nusers, sizeof(*s->users), user_cmp);
}

static struct chan *chan_by(struct slack *s, const char *name, int by_sid)
{
	size_t i;

	for (i = 0; name && i < s->nchans; i++)
		if (strcmp(by_sid ? s->chans[i].sid : s->chans[i].name, name) == 0)
			return &s->chans[i];
	return NULL;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *jget(struct json_object *o, const char *key, json_type t)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

/* --- the archive ---------------------------------------------------- */

/* Reads the current entry into b (reset first), at most MAX_ENTRY bytes.
 * 0, or -1 with *why. */
static int entry_read(struct archive *ar, struct px_buf *b, const char **why)
{
	char chunk[65536];
	la_ssize_t got;

	px_buf_reset(b);
	while ((got = archive_read_data(ar, chunk, sizeof(chunk))) > 0) {
		if (b->len + (size_t)got > (size_t)MAX_ENTRY) {
			*why = "entry larger than 64 MiB";
			return -1;
		}
		px_buf_append(b, chunk, (size_t)got);
	}
	if (got < 0 || b->failed) {
		*why = got < 0 ? "damaged entry" : "out of memory";
		return -1;
	}
	return 0;
}

static struct json_object *parse(struct slack *s, const char *name, const struct px_buf *b,
				 json_type want)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	struct json_object *o = NULL;

	if (!tok)
		return NULL;
	o = json_tokener_parse_ex(tok, b->data ? b->data : "", (int)b->len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) != b->len) {
		px_buf_reset(&s->why);
		px_buf_printf(&s->why, "not valid JSON: %s",
			      json_tokener_error_desc(json_tokener_get_error(tok)));
		if (o && json_tokener_get_error(tok) == json_tokener_success)
			px_buf_reset(&s->why), px_buf_puts(&s->why, "not valid JSON: text after the value");
		import_skip(s->r, IK_FILE, name, s->why.data);
		json_object_put(o);
		o = NULL;
	} else if (!json_object_is_type(o, want)) {
		import_skip(s->r, IK_FILE, name, "not a JSON array");
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* --- users ---------------------------------------------------------- */

static struct user *user_add(struct slack *s, const char *sid, const char *name, long long id)
{
	struct user *t;

	if (s->nusers == s->capusers) {
		s->capusers = s->capusers ? s->capusers * 2 : 256;
		t = realloc(s->users, s->capusers * sizeof(*t));
		if (!t)
			return NULL;
		s->users = t;
	}
	t = &s->users[s->nusers++];
	s->users_sorted = 0;
	snprintf(t->sid, sizeof(t->sid), "%s", sid);
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->id = id;
	return t;
}

static void import_user(struct slack *s, struct json_object *u)
{
	struct json_object *prof = jget(u, "profile", json_type_object);
	const char *sid = jstr(u, "id"), *name = jstr(u, "name"), *disp;
	struct json_object *del = jget(u, "deleted", json_type_boolean);
	struct import_account n;
	long long id = 0;
	char here[64];

	if (!sid || !name || strlen(sid) >= sizeof(((struct user *)0)->sid)) {
		import_skip(s->r, IK_USER, sid, "user without an id or a name");
		return;
	}
	disp = prof ? jstr(prof, "display_name") : NULL;
	if (!disp || !*disp)
		disp = prof ? jstr(prof, "real_name") : NULL;
	memset(&n, 0, sizeof(n));
	n.sid = sid;
	n.username = name;
	n.email = prof ? jstr(prof, "email") : NULL;
	n.display_name = disp;
	n.deleted = del && json_object_get_boolean(del);
	if (import_account(s->a, s->r, &n, &id, here) >= 0)
		user_add(s, sid, here, id);
}

/* --- channels ------------------------------------------------------- */

static struct chan *chan_add(struct slack *s)
{
	struct chan *t;

	if (s->nchans == s->capchans) {
		s->capchans = s->capchans ? s->capchans * 2 : 64;
		t = realloc(s->chans, s->capchans * sizeof(*t));
		if (!t)
			return NULL;
		s->chans = t;
	}
	t = &s->chans[s->nchans++];
	memset(t, 0, sizeof(*t));
	return t;
}

static void chan_members(struct slack *s, struct json_object *c, struct px_buf *out)
{
	struct json_object *m = jget(c, "members", json_type_array);
	const struct user *u;
	size_t i, n = m ? json_object_array_length(m) : 0;

	for (i = 0; i < n; i++) {
		u = user_find(s, json_object_get_string(json_object_array_get_idx(m, i)));
		if (u)
			px_buf_printf(out, "%s%lld", out->len ? "\n" : "", u->id);
	}
}

/* The channel sid, noted for its messages' folder; NULL when nothing more
 * is to be done for it: skipped (no id or name: why), imported by an
 * earlier run (counted), or out of memory. */
static struct chan *chan_begin(struct slack *s, const char *sid, const char *name, const char *why)
{
	struct chan *ch;

	if (!sid || !name || strlen(sid) >= sizeof(ch->sid) || strlen(name) >= sizeof(ch->name)) {
		import_skip(s->r, IK_CHANNEL, sid, why);
		return NULL;
	}
	if (!(ch = chan_add(s)))
		return NULL;
	snprintf(ch->sid, sizeof(ch->sid), "%s", sid);
	snprintf(ch->name, sizeof(ch->name), "%s", name);
	if (px_m_import_lookup(s->db, SRC, "channel", sid, &ch->id) == 1) {
		s->r->existing[IK_CHANNEL]++;
		return NULL;
	}
	return ch;
}

/* A conversation's "created" (Unix seconds) as a timestamp, or "now". */
static void created_of(struct json_object *c, char *out, size_t size)
{
	struct json_object *o = jget(c, "created", json_type_int);
	char cts[32];

	snprintf(out, size, "now");
	if (!o)
		return;
	snprintf(cts, sizeof(cts), "%lld", (long long)json_object_get_int64(o));
	if (import_ts(cts, out, size) != 0)
		snprintf(out, size, "now");
}

static void import_channel(struct slack *s, struct json_object *c, const char *kind)
{
	struct json_object *o, *topic = jget(c, "topic", json_type_object);
	struct json_object *purpose = jget(c, "purpose", json_type_object);
	const char *sid = jstr(c, "id"), *name = jstr(c, "name"), *t = NULL;
	struct px_buf members = PX_BUF_INIT;
	struct px_m_import_channel n;
	const struct user *creator;
	char created[48];
	struct chan *ch;
	enum px_err e;
	int i;

	if (!(ch = chan_begin(s, sid, name, "channel without an id or a name")))
		return;
	if (!px_m_channel_name_ok(name)) {
		import_skip(s->r, IK_CHANNEL, sid, "channel name is not a-z, 0-9, - and _");
		return;
	}
	if (topic)
		t = jstr(topic, "value");
	if ((!t || !*t) && purpose)
		t = jstr(purpose, "value");
	if (t && (strlen(t) > 250 || !px_utf8_valid(t, strlen(t))))
		t = NULL;
	created_of(c, created, sizeof(created));
	creator = user_find(s, jstr(c, "creator"));
	chan_members(s, c, &members);
	memset(&n, 0, sizeof(n));
	n.source = SRC;
	n.sid = sid;
	n.kind = kind;
	n.topic = t;
	n.created_at = created;
	o = jget(c, "is_archived", json_type_boolean);
	n.archived_at = o && json_object_get_boolean(o) ? "now" : NULL;
	n.creator = creator ? creator->id : 0;
	n.members = members.data ? members.data : "";
	/* a channel of that name here already: the Slack one as NAME-slack */
	e = PX_E_VALIDATION_CONFLICT;
	for (i = 0; i < 2 && e == PX_E_VALIDATION_CONFLICT; i++) {
		snprintf(ch->here, sizeof(ch->here), i ? "%.74s-slack" : "%s", name);
		n.name = ch->here;
		e = px_m_import_channel(s->db, &n, &ch->id);
	}
	if (e == PX_OK)
		s->r->imported[IK_CHANNEL]++;
	else
		import_skip(s->r, IK_CHANNEL, sid, e == PX_E_VALIDATION_CONFLICT
			    ? "channel name taken (also with -slack)" : "database error");
	px_buf_free(&members);
}

/* A DM (dms.json: its folder is its id) or a group DM (mpims.json: its
 * folder is its name) as a conversation of the same members here. */
static void import_direct(struct slack *s, struct json_object *c, const char *kind)
{
	struct json_object *m = jget(c, "members", json_type_array);
	struct json_object *purpose = jget(c, "purpose", json_type_object);
	const char *sid = jstr(c, "id"), *name = jstr(c, "name"), *topic = NULL;
	struct px_buf members = PX_BUF_INIT;
	struct px_m_import_direct d;
	const struct user *u, *creator;
	long long ids[MAX_DIRECT] = { 0 };
	char created[48];
	size_t i, j, n = 0;
	struct chan *ch;
	int made = 0;
	enum px_err e;

	if (strcmp(kind, "dm") == 0)
		name = sid;
	if (!(ch = chan_begin(s, sid, name, "conversation without an id or a name")))
		return;
	/* the distinct imported members, in the source's order */
	for (i = 0; m && i < json_object_array_length(m) && n < MAX_DIRECT; i++) {
		u = user_find(s, json_object_get_string(json_object_array_get_idx(m, i)));
		for (j = 0; u && j < n && ids[j] != u->id; j++)
			;
		if (!u || j < n)
			continue;
		ids[n++] = u->id;
		px_buf_printf(&members, "%s%lld", members.len ? "\n" : "", u->id);
	}
	if (n < 2 || (strcmp(kind, "dm") == 0 && n != 2)) {
		import_skip(s->r, IK_CHANNEL, sid, strcmp(kind, "dm") == 0
			    ? "a direct message needs two imported members"
			    : "a group conversation needs two or more imported members");
		goto out;
	}
	if (purpose)
		topic = jstr(purpose, "value");
	if (topic && (strlen(topic) > 250 || !px_utf8_valid(topic, strlen(topic))))
		topic = NULL;
	created_of(c, created, sizeof(created));
	creator = user_find(s, jstr(c, "creator"));
	memset(&d, 0, sizeof(d));
	d.source = SRC;
	d.sid = sid;
	d.kind = kind;
	d.topic = topic;
	d.created_at = created;
	d.creator = creator ? creator->id : 0;
	d.low = ids[0] < ids[1] ? ids[0] : ids[1];
	d.high = ids[0] < ids[1] ? ids[1] : ids[0];
	d.members = members.data;
	e = px_m_import_direct(s->db, &d, &ch->id, &made);
	if (e != PX_OK)
		import_skip(s->r, IK_CHANNEL, sid, "database error");
	else if (made)
		s->r->imported[IK_CHANNEL]++;
	else
		s->r->existing[IK_CHANNEL]++;
out:
	px_buf_free(&members);
}

static void import_array(struct slack *s, const char *file, struct px_buf *b,
			 void (*fn)(struct slack *, struct json_object *, const char *),
			 const char *kind)
{
	struct json_object *all;
	size_t i;

	if (!b->len)
		return;
	if (!(all = parse(s, file, b, json_type_array)))
		return;
	for (i = 0; i < json_object_array_length(all); i++) {
		struct json_object *o = json_object_array_get_idx(all, i);

		if (json_object_is_type(o, json_type_object))
			fn(s, o, kind);
		else
			import_skip(s->r, strcmp(file, "users.json") == 0 ? IK_USER : IK_CHANNEL,
				    file, "not a JSON object");
	}
	json_object_put(all);
}

static void user_cb(struct slack *s, struct json_object *o, const char *kind)
{
	(void)kind;
	import_user(s, o);
}

/* --- messages ------------------------------------------------------- */

static int flush(struct slack *s)
{
	long m = 0, re = 0;
	size_t n = s->batch.n, nr = s->batch.nreactions;

	if (!s->batch_chan || (!n && !nr))
		return 0;
	if (px_m_import_flush(s->db, SRC, s->batch_chan->id, &s->batch, &m, &re) != PX_OK) {
		import_skip(s->r, IK_MESSAGE, s->batch_chan->name,
			    "database error: a batch of messages was not imported");
		s->r->skipped[IK_MESSAGE] += (long)n - 1;
		return -1;
	}
	s->r->imported[IK_MESSAGE] += m;
	s->r->existing[IK_MESSAGE] += (long)n - m;
	s->r->imported[IK_REACTION] += re;
	s->r->existing[IK_REACTION] += (long)nr - re;
	return 0;
}

/* Slack's text with <@U1> and <#C1> given the names they refer to, for
 * px_slack_mrkdwn, which shows a reference's label. */
static void name_refs(struct slack *s, const char *t, struct px_buf *out)
{
	const char *p, *close;
	const struct user *u;
	const struct chan *c;
	char id[32];
	size_t n;

	px_buf_reset(out);
	while ((p = strstr(t, "<"))) {
		px_buf_append(out, t, (size_t)(p - t));
		close = strchr(p, '>');
		n = close ? strcspn(p + 2, "|>") : 0;
		if (close && (p[1] == '@' || p[1] == '#') && p[2 + n] == '>' && n < sizeof(id)) {
			memcpy(id, p + 2, n);
			id[n] = '\0';
			u = p[1] == '@' ? user_find(s, id) : NULL;
			c = p[1] == '#' ? chan_by(s, id, 1) : NULL;
			if (u || c) {
				px_buf_printf(out, "<%c%s|%s>", p[1], id,
					      u ? u->name : (c->here[0] ? c->here : c->name));
				t = close + 1;
				continue;
			}
		}
		px_buf_putc(out, '<');
		t = p + 1;
	}
	px_buf_puts(out, t);
}

/* A message's files. Slack's own export holds only their links: those
 * are kept as links and listed as skipped (never fetched). A file whose
 * bytes the archive holds as __uploads/FILE_ID/NAME (as export tools that
 * include files lay them out) is stored and attached after the messages
 * are in (import_files.h). Returns how many will be attached. */
static int add_files(struct slack *s, struct json_object *m, const char *sid,
		     struct px_buf *md)
{
	struct json_object *f = jget(m, "files", json_type_array), *o;
	const char *name, *url, *fid;
	char path[600], fsid[300];
	int n = 0;
	size_t i;

	for (i = 0; f && i < json_object_array_length(f); i++) {
		o = json_object_array_get_idx(f, i);
		name = jstr(o, "name");
		fid = jstr(o, "id");
		url = jstr(o, "url_private");
		if (fid && name && *name && !strchr(fid, '/') && !strchr(name, '/') &&
		    (size_t)snprintf(path, sizeof(path), "__uploads/%s/%s", fid, name) < sizeof(path) &&
		    import_files_has(&s->files, path)) {
			snprintf(fsid, sizeof(fsid), "%s/%s", sid, fid);
			if (import_files_want(&s->files, path, sid, fsid, name, n) == 0)
				n++;
			continue;
		}
		snprintf(fsid, sizeof(fsid), "%s/%s", sid, fid ? fid : "?");
		if (!url || strncmp(url, "https://", 8) != 0 || strpbrk(url, " ()<>")) {
			import_skip(s->r, IK_FILE, fsid, "not in the archive and no https link");
			continue;
		}
		import_skip(s->r, IK_FILE, fsid,
			    "not in the archive, only its link: kept as a link, never fetched");
		px_buf_printf(md, "%s[", md->len ? "\n\n" : "");
		px_slack_mrkdwn(name ? name : "file", strlen(name ? name : "file"), md);
		px_buf_printf(md, "](%s)", url);
	}
	return n;
}

static void add_reactions(struct slack *s, struct json_object *m, const char *sid)
{
	struct json_object *rs = jget(m, "reactions", json_type_array), *r, *us;
	const struct user *u;
	const char *name, *emoji;
	size_t i, j;

	for (i = 0; rs && i < json_object_array_length(rs); i++) {
		r = json_object_array_get_idx(rs, i);
		name = jstr(r, "name");
		us = jget(r, "users", json_type_array);
		if (!name || !us)
			continue;
		if (!(emoji = import_emoji(name))) {
			px_buf_reset(&s->why);
			px_buf_printf(&s->why, "no Unicode emoji for :%.80s:", name);
			import_skip(s->r, IK_REACTION, sid, s->why.data);
			continue;
		}
		for (j = 0; j < json_object_array_length(us); j++) {
			u = user_find(s, json_object_get_string(json_object_array_get_idx(us, j)));
			if (u)
				px_m_import_batch_react(&s->batch, sid, u->id, emoji);
			else
				import_skip(s->r, IK_REACTION, sid, "reacting user not imported");
		}
	}
}

static void import_message(struct slack *s, const struct chan *c, struct json_object *m)
{
	const char *ts = jstr(m, "ts"), *text = jstr(m, "text"), *sub = jstr(m, "subtype");
	const char *thread = jstr(m, "thread_ts"), *why = NULL;
	const struct user *u = user_find(s, jstr(m, "user"));
	char sid[160], root[160], created[48];
	int nfiles;

	if (!ts || strlen(ts) > 40) {
		import_skip(s->r, IK_MESSAGE, c->name, "message without ts");
		return;
	}
	snprintf(sid, sizeof(sid), "%s/%s", c->sid, ts);
	if (sub && strcmp(sub, "bot_message") && strcmp(sub, "me_message") &&
	    strcmp(sub, "thread_broadcast") && strcmp(sub, "file_share")) {
		px_buf_reset(&s->why);
		px_buf_printf(&s->why, "subtype %.40s is not a message", sub);
		import_skip(s->r, IK_MESSAGE, sid, s->why.data);
		return;
	}
	if (import_ts(ts, created, sizeof(created)) != 0) {
		import_skip(s->r, IK_MESSAGE, sid, "ts is not a time");
		return;
	}
	name_refs(s, text ? text : "", &s->text);
	px_buf_reset(&s->md);
	px_slack_mrkdwn(s->text.data ? s->text.data : "", s->text.len, &s->md);
	nfiles = add_files(s, m, sid, &s->md);
	if (!s->md.len && !nfiles) {
		import_skip(s->r, IK_MESSAGE, sid, "empty message");
		return;
	}
	if (import_render(s->md.data, s->md.len, &s->html, &why) != 0) {
		import_skip(s->r, IK_MESSAGE, sid, why);
		return;
	}
	if (thread && strcmp(thread, ts) != 0 && strlen(thread) <= 40)
		snprintf(root, sizeof(root), "%s/%s", c->sid, thread);
	else
		root[0] = '\0';
	px_m_import_batch_add(&s->batch, sid, u ? u->id : 0, s->md.data, s->html.data, created,
			      root[0] ? root : NULL);
	add_reactions(s, m, sid);
}

/* "NAME/YYYY-MM-DD.json": the channel's messages of one day. */
static void import_day(struct slack *s, const char *file, struct px_buf *b)
{
	const char *slash = strchr(file, '/');
	char folder[256];
	const struct chan *c;
	struct json_object *all, *m;
	size_t i;

	snprintf(folder, sizeof(folder), "%.*s", (int)(slash - file), file);
	c = chan_by(s, folder, 0);
	if (!c) {
		import_skip(s->r, IK_FILE, file, "no such channel in channels.json or groups.json");
		return;
	}
	if (!c->id) {
		import_skip(s->r, IK_FILE, file, "its channel was not imported");
		return;
	}
	if (!(all = parse(s, file, b, json_type_array)))
		return;
	if (s->batch_chan != c)
		flush(s);
	s->batch_chan = c;
	for (i = 0; i < json_object_array_length(all); i++) {
		m = json_object_array_get_idx(all, i);
		if (json_object_is_type(m, json_type_object))
			import_message(s, c, m);
		else
			import_skip(s->r, IK_MESSAGE, file, "not a JSON object");
		if (s->batch.n >= BATCH)
			flush(s);
	}
	json_object_put(all);
}

static int is_day_file(const char *name)
{
	const char *slash = strchr(name, '/');
	size_t n = strlen(name);

	return slash && slash != name && !strchr(slash + 1, '/') && n > 5 &&
	       strcmp(name + n - 5, ".json") == 0;
}

/* Whether day file name is s's to read in pass 1: its channel's lane; a
 * folder of no channel is lane 0's (which says why it is skipped). */
static int lane_reads(struct slack *s, const char *name)
{
	const char *slash = strchr(name, '/');
	const struct chan *c;
	char folder[256];

	snprintf(folder, sizeof(folder), "%.*s", (int)(slash - name), name);
	c = chan_by(s, folder, 0);
	return (c ? (int)((size_t)(c - s->chans) % LANES) : 0) == s->lane;
}

/* pass 0: users.json, channels.json, groups.json, dms.json, mpims.json
 * and the names of the files under __uploads/; pass 1: day files (those
 * of s's lane) */
static int read_pass(struct slack *s, const char *path, int pass)
{
	struct archive *ar = import_archive_open(path);
	struct archive_entry *e;
	struct px_buf b = PX_BUF_INIT;
	const char *name, *why;
	struct px_buf *keep;
	int r;

	if (!ar)
		return -1;
	while ((r = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
		name = archive_entry_pathname(e);
		if ((why = import_entry_unsafe(e))) {
			if (pass == 0)
				import_skip(s->r, IK_FILE, name, why);
			continue;
		}
		if (archive_entry_filetype(e) == AE_IFDIR)
			continue;
		keep = NULL;
		if (pass == 0 && strcmp(name, "users.json") == 0)
			keep = &s->users_json;
		else if (pass == 0 && strcmp(name, "channels.json") == 0)
			keep = &s->chans_json;
		else if (pass == 0 && strcmp(name, "groups.json") == 0)
			keep = &s->groups_json;
		else if (pass == 0 && strcmp(name, "dms.json") == 0)
			keep = &s->dms_json;
		else if (pass == 0 && strcmp(name, "mpims.json") == 0)
			keep = &s->mpims_json;
		else if (pass == 0 && strncmp(name, "__uploads/", 10) == 0)
			import_files_index(&s->files, name);
		if (!keep && (pass == 0 || !is_day_file(name) || !lane_reads(s, name)))
			continue;
		if (entry_read(ar, keep ? keep : &b, &why) != 0) {
			import_skip(s->r, IK_FILE, name, why);
			if (keep)
				px_buf_reset(keep);
			continue;
		}
		if (!keep)
			import_day(s, name, &b);
	}
	if (r != ARCHIVE_EOF && s->lane == 0)
		import_skip(s->r, IK_FILE, path, "archive damaged: the rest was not read");
	archive_read_free(ar);
	px_buf_free(&b);
	return 0;
}

/* --- the lanes of pass 1 -------------------------------------------- */

/* The import session's own settings, for each connection it opens: a
 * batch's commit does not wait for its WAL to reach the disk. A crash
 * may lose the last batches committed (never part of one), and running
 * the import again (idempotent: import_map) puts them in. */
#define SESSION_OPTIONS "-c synchronous_commit=off"

/* A thread reading one lane's day files: a copy of the state pass 0 left
 * (users and channels shared, only read now), its own connection,
 * report, batch, buffers and wanted files, merged after it ends. */
struct lane {
	struct slack s;
	struct import_report r;
	const char *path;
	pthread_t thread;
	int rc;
};

static void *lane_run(void *arg)
{
	struct lane *l = arg;

	l->rc = read_pass(&l->s, l->path, 1);
	flush(&l->s);
	return NULL;
}

/* Frees what lane_start made and moves the lane's findings into s. */
static void lane_end(struct lane *l, struct slack *s)
{
	if (import_files_merge(&s->files, &l->s.files) != 0)
		import_skip(s->r, IK_FILE, l->path, "out of memory: some files were not stored");
	import_report_merge(s->r, &l->r);
	px_buf_free(&l->r.skips);
	px_db_free(l->s.db);
	px_buf_free(&l->s.text);
	px_buf_free(&l->s.md);
	px_buf_free(&l->s.html);
	px_buf_free(&l->s.why);
	px_m_import_batch_free(&l->s.batch);
}

/* 0 with the lane's thread running, or -1 (nothing left to free). */
static int lane_start(struct lane *l, struct slack *s, const char *conninfo, const char *path,
		      int lane)
{
	memset(l, 0, sizeof(*l));
	l->s.a = s->a;
	l->s.users = s->users;
	l->s.nusers = s->nusers;
	l->s.users_sorted = 1;
	l->s.chans = s->chans;
	l->s.nchans = s->nchans;
	l->s.lane = lane;
	l->s.r = &l->r;
	l->r.source = s->r->source;
	l->path = path;
	import_files_view(&l->s.files, &s->files);
	l->s.db = px_db_new(conninfo);
	if (l->s.db && px_db_add_options(l->s.db, SESSION_OPTIONS) == 0 &&
	    pthread_create(&l->thread, NULL, lane_run, l) == 0)
		return 0;
	lane_end(l, s);
	return -1;
}

/* Pass 1 by LANES threads at once, so that PostgreSQL works on as many
 * batches (of different channels: a channel's batches stay in order on
 * one connection, as its ids and thread roots need). Their reports and
 * wanted files are merged into s's. 0, or -1 when a lane did not start or
 * could not open the archive (what the others imported stays). */
static int read_lanes(struct slack *s, const char *path)
{
	struct px_buf conninfo = PX_BUF_INIT;
	struct lane l[LANES];
	int i, started[LANES], rc = 0;

	(void)user_find(s, ""); /* sorted now: the lanes only read */
	px_db_conninfo(px_cfg_str(s->a->cfg, "db_conninfo"), px_cfg_str(s->a->cfg, "db_password"),
		       &conninfo);
	for (i = 0; i < LANES; i++) {
		started[i] = lane_start(&l[i], s, conninfo.data ? conninfo.data : "", path, i) == 0;
		if (!started[i])
			rc = -1;
	}
	for (i = 0; i < LANES; i++) {
		if (!started[i])
			continue;
		pthread_join(l[i].thread, NULL);
		if (l[i].rc != 0)
			rc = -1;
		lane_end(&l[i], s);
	}
	px_buf_free(&conninfo);
	return rc;
}

static double seconds(const struct timespec *from, const struct timespec *to)
{
	return (double)(to->tv_sec - from->tv_sec) + (double)(to->tv_nsec - from->tv_nsec) / 1e9;
}

int import_slack(struct admin *a, const char *path, struct import_report *r)
{
	struct timespec t0, t1, t2;
	struct slack s;
	int rc = 1;

	memset(&s, 0, sizeof(s));
	s.a = a;
	s.db = a->db;
	s.r = r;
	if (read_pass(&s, path, 0) != 0)
		goto out;
	if (!s.users_json.len && !s.chans_json.len && !s.groups_json.len) {
		fprintf(stderr, "plexichat-admin: %s: no users.json, channels.json or groups.json:"
			" not a Slack export\n", path);
		goto out;
	}
	import_array(&s, "users.json", &s.users_json, user_cb, NULL);
	import_array(&s, "channels.json", &s.chans_json, import_channel, "public");
	import_array(&s, "groups.json", &s.groups_json, import_channel, "private");
	import_array(&s, "dms.json", &s.dms_json, import_direct, "dm");
	import_array(&s, "mpims.json", &s.mpims_json, import_direct, "group");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (read_lanes(&s, path) != 0)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (px_m_import_threads(a->db, SRC, &r->orphans) != PX_OK) {
		fprintf(stderr, "plexichat-admin: threads could not be linked; run the import again\n");
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t2);
	/* where an import's time goes (bench/import-bench.sh prints it) */
	fprintf(stderr, "plexichat-admin: day files read by %d lanes in %.1f s, threads linked in"
		" %.1f s\n", LANES, seconds(&t0, &t1), seconds(&t1, &t2));
	if (import_files_store(a, r, &s.files, path) != 0)
		goto out;
	rc = 0;
out:
	px_buf_free(&s.users_json);
	px_buf_free(&s.chans_json);
	px_buf_free(&s.groups_json);
	px_buf_free(&s.dms_json);
	px_buf_free(&s.mpims_json);
	import_files_free(&s.files);
	px_buf_free(&s.text);
	px_buf_free(&s.md);
	px_buf_free(&s.html);
	px_buf_free(&s.why);
	px_m_import_batch_free(&s.batch);
	free(s.users);
	free(s.chans);
	return rc;
}
