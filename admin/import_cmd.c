/* admin/import_cmd.c: the import command, its report and what the Slack
 * and Mattermost readers share (time stamps, Markdown, reaction names). */
#include "admin/import_cmd.h"

#include "auth/ident.h"
#include "core/utf8.h"
#include "model/imports.h"
#include "model/users.h"
#include "web/emoji.h"
#include "web/markdown.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const kind_names[IK_NKINDS] = {
	"users", "channels", "messages", "reactions", "files"
};

void import_skip(struct import_report *r, enum import_kind kind, const char *id,
		 const char *reason)
{
	r->skipped[kind]++;
	if (r->listed >= IMPORT_MAX_SKIPS)
		return;
	if (r->skips.len)
		px_buf_putc(&r->skips, ',');
	px_buf_puts(&r->skips, "{\"kind\":");
	px_buf_json_str(&r->skips, kind_names[kind], strlen(kind_names[kind]));
	px_buf_puts(&r->skips, ",\"id\":");
	if (id)
		px_buf_json_str(&r->skips, id, strlen(id));
	else
		px_buf_puts(&r->skips, "null");
	px_buf_puts(&r->skips, ",\"reason\":");
	px_buf_json_str(&r->skips, reason, strlen(reason));
	px_buf_putc(&r->skips, '}');
	r->listed++;
}

/* The end of the first n listed objects of skips: objects are joined by
 * ',' and each starts with {"kind": (a '"' inside a string is escaped,
 * so that text only ever starts an object). */
static size_t skips_prefix(const struct px_buf *skips, long n)
{
	const char *p = skips->data, *end = skips->data + skips->len, *next;

	while (n-- > 0 && p < end) {
		next = memmem(p + 1, (size_t)(end - p - 1), ",{\"kind\":", 9);
		p = next ? next : end;
	}
	return (size_t)(p - skips->data);
}

void import_report_merge(struct import_report *into, const struct import_report *from)
{
	long take = from->listed;
	int i;

	for (i = 0; i < IK_NKINDS; i++) {
		into->imported[i] += from->imported[i];
		into->existing[i] += from->existing[i];
		into->skipped[i] += from->skipped[i];
	}
	into->orphans += from->orphans;
	if (take > IMPORT_MAX_SKIPS - into->listed)
		take = IMPORT_MAX_SKIPS - into->listed;
	if (take <= 0 || !from->skips.len)
		return;
	if (into->skips.len)
		px_buf_putc(&into->skips, ',');
	px_buf_append(&into->skips, from->skips.data, skips_prefix(&from->skips, take));
	into->listed += take;
}

static void counts(struct px_buf *b, const char *name, const long *v)
{
	int i;

	px_buf_printf(b, ",\"%s\":{", name);
	for (i = 0; i < IK_NKINDS; i++)
		px_buf_printf(b, "%s\"%s\":%ld", i ? "," : "", kind_names[i], v[i]);
	px_buf_putc(b, '}');
}

void import_report_print(const struct import_report *r)
{
	struct px_buf b = PX_BUF_INIT;
	long total = 0;
	int i;

	for (i = 0; i < IK_NKINDS; i++)
		total += r->skipped[i];
	px_buf_puts(&b, "{\"source\":");
	px_buf_json_str(&b, r->source, strlen(r->source));
	counts(&b, "imported", r->imported);
	counts(&b, "existing", r->existing);
	counts(&b, "skipped", r->skipped);
	px_buf_printf(&b, ",\"thread_orphans\":%ld,\"skips\":[", r->orphans);
	if (r->skips.len)
		px_buf_append(&b, r->skips.data, r->skips.len);
	px_buf_printf(&b, "],\"skips_not_listed\":%ld}", total - r->listed);
	admin_put_line(&b);
	px_buf_free(&b);
}

int import_ts(const char *ts, char *out, size_t cap)
{
	char *end;
	long long sec;
	long usec = 0;
	struct tm tm;
	time_t t;
	size_t i;

	sec = strtoll(ts, &end, 10);
	if (end == ts || sec < 0 || sec > 253402300799LL)
		return -1;
	if (*end == '.') {
		for (i = 1; i <= 6 && end[i] >= '0' && end[i] <= '9'; i++)
			usec = usec * 10 + (end[i] - '0');
		for (; i <= 6; i++)
			usec *= 10;
		end += 1 + strspn(end + 1, "0123456789");
	}
	if (*end)
		return -1;
	t = (time_t)sec;
	if (!gmtime_r(&t, &tm))
		return -1;
	i = strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
	if (!i || (size_t)snprintf(out + i, cap - i, ".%06ld+00", usec) >= cap - i)
		return -1;
	return 0;
}

int import_render(const char *md, size_t n, struct px_buf *html, const char **why)
{
	if (!px_utf8_valid(md, n)) {
		*why = "text is not valid UTF-8";
		return -1;
	}
	if (px_markdown_render(md, n, html, NULL) != PX_OK || html->failed) {
		*why = "text too complex to render";
		return -1;
	}
	return 0;
}

/* Slack's names for common emoji where they differ from the CLDR names
 * the emoji table is keyed by (web/emoji.h). */
static const char *const aliases[][2] = {
	{ "+1", "thumbs_up" }, { "thumbsup", "thumbs_up" },
	{ "-1", "thumbs_down" }, { "thumbsdown", "thumbs_down" },
	{ "smile", "grinning_face_with_smiling_eyes" }, { "smiley", "grinning_face_with_big_eyes" },
	{ "grinning", "grinning_face" }, { "laughing", "grinning_squinting_face" },
	{ "joy", "face_with_tears_of_joy" }, { "heart", "red_heart" },
	{ "tada", "party_popper" }, { "white_check_mark", "check_mark_button" },
	{ "heavy_check_mark", "check_mark" }, { "x", "cross_mark" },
	{ "pray", "folded_hands" }, { "clap", "clapping_hands" }, { "wave", "waving_hand" },
	{ "wink", "winking_face" }, { "sob", "loudly_crying_face" },
	{ "100", "hundred_points" }, { "raised_hands", "raising_hands" },
	{ "muscle", "flexed_biceps" }, { "sweat_smile", "grinning_face_with_sweat" },
	{ "heart_eyes", "smiling_face_with_heart_eyes" }, { "blush", "smiling_face_with_smiling_eyes" },
	{ "bulb", "light_bulb" }, { "point_up", "index_pointing_up" },
	{ "slightly_smiling_face", "slightly_smiling_face" }, { "thinking_face", "thinking_face" },
	{ "ok_hand", "ok_hand" }, { "eyes", "eyes" }, { "rocket", "rocket" }, { "fire", "fire" },
};
static const char *const tones[] = { "light", "medium_light", "medium", "medium_dark", "dark" };

const char *import_emoji(const char *name)
{
	char base[PX_EMOJI_MAX_CODE + 1], code[PX_EMOJI_MAX_CODE + 32];
	const char *tone = strstr(name, "::skin-tone-"), *e;
	size_t n = tone ? (size_t)(tone - name) : strlen(name), i;
	int t = tone ? atoi(tone + 12) : 0;

	if (n == 0 || n > PX_EMOJI_MAX_CODE)
		return NULL;
	memcpy(base, name, n);
	base[n] = '\0';
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(base, aliases[i][0]) == 0) {
			snprintf(base, sizeof(base), "%s", aliases[i][1]);
			break;
		}
	if (t >= 2 && t <= 6) {
		snprintf(code, sizeof(code), "%s_%s_skin_tone", base, tones[t - 2]);
		if ((e = px_emoji_lookup(code, strlen(code))))
			return e;
	}
	return px_emoji_lookup(base, strlen(base));
}

/* Creates the account as name, or name_SOURCE when name is taken; here
 * (64 bytes) gets the name used. */
static enum px_err create(struct admin *a, const char *source, struct px_m_user_new *n,
			  const char *name, char *here, long long *id, const char **why)
{
	struct px_buf skel = PX_BUF_INIT;
	enum px_err e = PX_E_VALIDATION_CONFLICT;
	int i;

	for (i = 0; i < 2 && e == PX_E_VALIDATION_CONFLICT; i++) {
		snprintf(here, 64, i ? "%.24s_%s" : "%.63s", name, source);
		px_buf_reset(&skel);
		if (px_ident_username(here, &skel, why) != PX_OK) {
			e = PX_E_VALIDATION_FIELD_FORMAT;
			break;
		}
		if (px_ident_reserved(here)) {
			*why = "reserved username";
			e = PX_E_VALIDATION_FIELD_FORMAT;
			break;
		}
		n->username = here;
		n->skeleton = skel.data;
		e = px_m_users_create(a->db, n, id);
		if (e == PX_E_VALIDATION_CONFLICT)
			*why = "username taken by an existing account";
	}
	px_buf_free(&skel);
	return e;
}

int import_account(struct admin *a, struct import_report *r, const struct import_account *u,
		   long long *id, char *here)
{
	const char *email = u->email, *disp = u->display_name, *why = "";
	struct px_m_user_new n;
	long long found;

	snprintf(here, 64, "%.63s", u->username);
	if (px_m_import_lookup(a->db, r->source, "user", u->sid, id) == 1) {
		r->existing[IK_USER]++;
		return 0;
	}
	if (email && px_ident_email(email) != PX_OK)
		email = NULL;
	if (!disp || !*disp || px_ident_display_name(disp) != PX_OK)
		disp = u->username;
	if (email && (found = px_m_import_user_by_email(a->db, email)) > 0) {
		if (px_m_import_map(a->db, r->source, "user", u->sid, found) != PX_OK) {
			import_skip(r, IK_USER, u->sid, "database error");
			return -1;
		}
		*id = found;
		r->existing[IK_USER]++;
		return 0;
	}
	memset(&n, 0, sizeof(n));
	n.email = email;
	n.display_name = disp;
	n.role = "member";
	if (create(a, r->source, &n, u->username, here, id, &why) != PX_OK) {
		import_skip(r, IK_USER, u->sid, why && *why ? why : "cannot create the account");
		return -1;
	}
	if (px_m_import_map(a->db, r->source, "user", u->sid, *id) != PX_OK) {
		import_skip(r, IK_USER, u->sid, "database error");
		return -1;
	}
	if (u->deleted && px_m_users_set_active(a->db, *id, 0) != PX_OK)
		fprintf(stderr, "plexichat-admin: cannot deactivate %s\n", here);
	r->imported[IK_USER]++;
	return 1;
}

/* The search indexes before the import: dropped when deferring them,
 * else made again if a deferred run died before it rebuilt them. */
static int indexes_before(struct admin *a, int defer)
{
	int made = 0;

	if (px_m_import_search_indexes(a->db, !defer, &made) != PX_OK) {
		fprintf(stderr, "plexichat-admin: cannot %s the search indexes of messages\n",
			defer ? "drop" : "check");
		return -1;
	}
	if (made)
		fprintf(stderr, "plexichat-admin: %d search index(es) missing (an earlier import"
			" with --defer-indexes died?) were made again\n", made);
	return 0;
}

static int indexes_after(struct admin *a)
{
	struct timespec t0, t1;
	int made = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (px_m_import_search_indexes(a->db, 1, &made) != PX_OK) {
		fprintf(stderr, "plexichat-admin: the search indexes of messages could not be made"
			" again: run the import again (it makes them first)\n");
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "plexichat-admin: %d search index(es) made again in %.1f s\n", made,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}

int admin_cmd_import(struct admin *a, int argc, char **argv)
{
	int defer = admin_has_flag(argc, argv, "--defer-indexes");
	const char *file = admin_positional(argc, argv, 1, NULL);
	struct import_report r;
	int rc;

	if (argc < 2 || !file || (strcmp(argv[0], "slack") && strcmp(argv[0], "mattermost")))
		return -1;
	memset(&r, 0, sizeof(r));
	px_buf_init(&r.skips);
	if (indexes_before(a, defer) != 0)
		return 1;
	if (strcmp(argv[0], "slack") == 0) {
		r.source = "slack";
		rc = import_slack(a, file, &r);
	} else {
		r.source = "mattermost";
		rc = import_mattermost(a, file, &r);
	}
	if (defer && indexes_after(a) != 0)
		rc = 1;
	if (rc == 0)
		import_report_print(&r);
	px_buf_free(&r.skips);
	return rc;
}
