/* check_msg.c: the channel gate's decisions, the emoji validator, the
 * search query language and the subscriber channel sets. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/events.h"
#include "handlers/messages.h"
#include "handlers/search.h"
#include "model/channels.h"
#include "tests/unit/run_suite.h"

#define N PX_CHAN_NONE
#define MB PX_CHAN_MEMBER
#define MO PX_CHAN_MODERATOR
#define OW PX_CHAN_OWNER
#define OK PX_OK
#define NF PX_E_VALIDATION_NOT_FOUND
#define NM PX_E_AUTH_NOT_CHANNEL_MEMBER
#define FB PX_E_AUTH_FORBIDDEN
#define AR PX_E_VALIDATION_CHANNEL_ARCHIVED
#define CF PX_E_VALIDATION_CONFLICT

static const struct {
	int line;
	const char *kind;
	int archived;
	enum px_chan_role role;
	enum px_role sys;
	enum px_chan_action act;
	enum px_err want;
} gate[] = {
	/* outsiders: public channels are readable and joinable, others hidden */
	{ __LINE__, "public", 0, N, PX_ROLE_MEMBER, PX_CHAN_READ, OK },
	{ __LINE__, "public", 0, N, PX_ROLE_MEMBER, PX_CHAN_JOIN, OK },
	{ __LINE__, "public", 0, N, PX_ROLE_MEMBER, PX_CHAN_POST, NM },
	{ __LINE__, "public", 1, N, PX_ROLE_MEMBER, PX_CHAN_JOIN, AR },
	{ __LINE__, "private", 0, N, PX_ROLE_MEMBER, PX_CHAN_READ, NF },
	{ __LINE__, "private", 0, N, PX_ROLE_OWNER, PX_CHAN_READ, NF },
	{ __LINE__, "private", 0, N, PX_ROLE_MEMBER, PX_CHAN_JOIN, NF },
	{ __LINE__, "dm", 0, N, PX_ROLE_ADMIN, PX_CHAN_READ, NF },
	{ __LINE__, "group", 0, N, PX_ROLE_MEMBER, PX_CHAN_POST, NF },
	/* members */
	{ __LINE__, "private", 0, MB, PX_ROLE_MEMBER, PX_CHAN_POST, OK },
	{ __LINE__, "private", 0, MB, PX_ROLE_MEMBER, PX_CHAN_JOIN, CF },
	{ __LINE__, "private", 0, MB, PX_ROLE_MEMBER, PX_CHAN_INVITE, FB },
	{ __LINE__, "public", 0, MB, PX_ROLE_MEMBER, PX_CHAN_INVITE, OK },
	{ __LINE__, "private", 0, MO, PX_ROLE_MEMBER, PX_CHAN_INVITE, OK },
	{ __LINE__, "public", 0, MB, PX_ROLE_MEMBER, PX_CHAN_DELETE_ANY, FB },
	{ __LINE__, "public", 0, MO, PX_ROLE_MEMBER, PX_CHAN_DELETE_ANY, OK },
	{ __LINE__, "public", 0, MB, PX_ROLE_MODERATOR, PX_CHAN_DELETE_ANY, OK },
	{ __LINE__, "public", 0, MO, PX_ROLE_MEMBER, PX_CHAN_MANAGE, FB },
	{ __LINE__, "public", 0, OW, PX_ROLE_MEMBER, PX_CHAN_MANAGE, OK },
	{ __LINE__, "public", 0, OW, PX_ROLE_MEMBER, PX_CHAN_SET_ROLE, OK },
	{ __LINE__, "public", 0, MO, PX_ROLE_MEMBER, PX_CHAN_SET_ROLE, FB },
	/* archived: read and leave only, and the owner may unarchive */
	{ __LINE__, "public", 1, MB, PX_ROLE_MEMBER, PX_CHAN_READ, OK },
	{ __LINE__, "public", 1, MB, PX_ROLE_MEMBER, PX_CHAN_POST, AR },
	{ __LINE__, "public", 1, OW, PX_ROLE_MEMBER, PX_CHAN_ARCHIVE, OK },
	{ __LINE__, "public", 1, MB, PX_ROLE_MEMBER, PX_CHAN_LEAVE, OK },
	/* DMs keep their members; group DMs take invites */
	{ __LINE__, "dm", 0, MB, PX_ROLE_MEMBER, PX_CHAN_INVITE, FB },
	{ __LINE__, "dm", 0, MB, PX_ROLE_MEMBER, PX_CHAN_LEAVE, FB },
	{ __LINE__, "dm", 0, MB, PX_ROLE_MEMBER, PX_CHAN_ARCHIVE, FB },
	{ __LINE__, "group", 0, MB, PX_ROLE_MEMBER, PX_CHAN_INVITE, OK },
	{ __LINE__, "group", 0, MB, PX_ROLE_MEMBER, PX_CHAN_POST, OK },
};

START_TEST(test_gate)
{
	size_t i;

	for (i = 0; i < sizeof(gate) / sizeof(gate[0]); i++) {
		struct px_chan_access a = { .channel_id = 1, .archived = gate[i].archived,
						  .role = gate[i].role, .sys = gate[i].sys };
		enum px_err got;

		snprintf(a.kind, sizeof(a.kind), "%s", gate[i].kind);
		got = px_chan_check(&a, gate[i].act);
		ck_assert_msg(got == gate[i].want, "line %d: expected %s, got %s", gate[i].line,
			      px_err_name(gate[i].want), px_err_name(got));
	}
}
END_TEST

static const struct {
	int line;
	const char *s;
	int want;
} emoji[] = {
	{ __LINE__, "\xf0\x9f\x91\x8d", 1 },                         /* thumbs up */
	{ __LINE__, "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", 1 },         /* + skin tone */
	{ __LINE__, "\xe2\x9d\xa4\xef\xb8\x8f", 1 },                 /* red heart + VS16 */
	{ __LINE__, "\xf0\x9f\x87\xab\xf0\x9f\x87\xb7", 1 },         /* flag FR */
	{ __LINE__, "1\xef\xb8\x8f\xe2\x83\xa3", 1 },                /* keycap 1 */
	{ __LINE__, "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb", 1 }, /* woman technologist */
	{ __LINE__, "a", 0 },
	{ __LINE__, ":+1:", 0 },
	{ __LINE__, "\xf0\x9f\x91\x8d\xf0\x9f\x91\x8d", 0 },         /* two emoji */
	{ __LINE__, "\xf0\x9f\x87\xab", 0 },                         /* half a flag */
	{ __LINE__, "\xe2\x80\x8d", 0 },                             /* bare ZWJ */
	{ __LINE__, "\xf0\x9f\x91\x8d\xe2\x80\x8d", 0 },             /* trailing ZWJ */
	{ __LINE__, "\xff", 0 },
	{ __LINE__, "", 0 },
	{ __LINE__, "<script>", 0 },
};

START_TEST(test_emoji)
{
	size_t i;

	for (i = 0; i < sizeof(emoji) / sizeof(emoji[0]); i++) {
		int got = px_emoji_valid(emoji[i].s, strlen(emoji[i].s));

		ck_assert_msg(got == emoji[i].want, "line %d: expected %d, got %d",
			      emoji[i].line, emoji[i].want, got);
	}
}
END_TEST

static const struct {
	int line;
	const char *q;
	enum px_err want;
	const char *words, *in, *from, *before, *after;
	int pinned;
} queries[] = {
	{ __LINE__, "db.json", PX_OK, "db.json", "", "", "", "", 0 },
	{ __LINE__, "deploy in:#ops from:@bob is:pinned", PX_OK, "deploy", "ops", "bob", "", "", 1 },
	{ __LINE__, "x before:2026-02-28 after:2024-02-29", PX_OK, "x", "", "", "2026-02-28", "2024-02-29", 0 },
	{ __LINE__, "x before:2026-02-30", PX_E_VALIDATION_FIELD_FORMAT, NULL, NULL, NULL, NULL, NULL, 0 },
	{ __LINE__, "x after:2025-02-29", PX_E_VALIDATION_FIELD_FORMAT, NULL, NULL, NULL, NULL, NULL, 0 },
	{ __LINE__, "is:starred", PX_E_VALIDATION_FIELD_FORMAT, NULL, NULL, NULL, NULL, NULL, 0 },
	{ __LINE__, "in:", PX_E_VALIDATION_FIELD_FORMAT, NULL, NULL, NULL, NULL, NULL, 0 },
	{ __LINE__, "a b c d e f g h i j k", PX_E_VALIDATION_FIELD_LENGTH, NULL, NULL, NULL, NULL, NULL, 0 },
	{ __LINE__, "  two   words ", PX_OK, "two\nwords", "", "", "", "", 0 },
	{ __LINE__, "http://x.org/a:b", PX_OK, "http://x.org/a:b", "", "", "", "", 0 },
};

START_TEST(test_search_parse)
{
	size_t i;

	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		struct px_search_query q;
		const char *bad = NULL;
		enum px_err got = px_search_parse(queries[i].q, &q, &bad);

		ck_assert_msg(got == queries[i].want, "line %d: expected %s, got %s",
			      queries[i].line, px_err_name(queries[i].want), px_err_name(got));
		if (got != PX_OK)
			continue;
		ck_assert_msg(strcmp(q.words, queries[i].words) == 0 &&
				      strcmp(q.in_name, queries[i].in) == 0 &&
				      strcmp(q.from, queries[i].from) == 0 &&
				      strcmp(q.before, queries[i].before) == 0 &&
				      strcmp(q.after, queries[i].after) == 0 &&
				      q.pinned == queries[i].pinned,
			      "line %d: got words=[%s] in=[%s] from=[%s] before=[%s] after=[%s] "
			      "pinned=%d", queries[i].line, q.words, q.in_name, q.from, q.before,
			      q.after, q.pinned);
	}
}
END_TEST

START_TEST(test_visibility)
{
	struct px_chanset s = { 0 };
	struct px_m_event msg = { 10, 5, 0, "message.created", "{}", 2 };
	struct px_m_event joined = { 11, 5, 7, "member.joined", "{}", 2 };
	struct px_m_event left = { 13, 5, 7, "member.left", "{}", 2 };
	struct px_m_event other = { 12, 6, 0, "message.created", "{}", 2 };
	struct px_m_event note = { 14, 0, 7, "notification.created", "{}", 2 };
	struct px_m_event note2 = { 15, 0, 8, "notification.created", "{}", 2 };

	ck_assert_int_eq(px_h_events_visible(&s, 7, &msg), 0);
	ck_assert_int_eq(px_h_events_visible(&s, 7, &joined), 1);
	ck_assert_int_eq(px_h_events_visible(&s, 7, &msg), 1);
	ck_assert_int_eq(px_h_events_visible(&s, 7, &other), 0);
	ck_assert_int_eq(px_h_events_visible(&s, 7, &left), 1);
	ck_assert_int_eq(px_h_events_visible(&s, 7, &msg), 0);
	ck_assert_int_eq(px_h_events_visible(&s, 7, &note), 1);
	ck_assert_int_eq(px_h_events_visible(&s, 7, &note2), 0);
	ck_assert_int_eq(px_chanset_add(&s, 9), 0);
	ck_assert_int_eq(px_chanset_add(&s, 3), 0);
	ck_assert_int_eq(px_chanset_add(&s, 9), 0);
	ck_assert_int_eq((int)s.n, 2);
	ck_assert(px_chanset_has(&s, 3) && px_chanset_has(&s, 9) && !px_chanset_has(&s, 4));
	px_chanset_free(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("msg");

	tcase_add_test(tc, test_gate);
	tcase_add_test(tc, test_emoji);
	tcase_add_test(tc, test_search_parse);
	tcase_add_test(tc, test_visibility);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
