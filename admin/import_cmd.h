/* admin/import_cmd.h: plexichat-admin import slack|mattermost: history
 * from another chat, idempotent through import_map (sql/131), with a JSON
 * report on stdout of what was imported, found already imported, and
 * skipped with each reason. The per-source readers (import_slack.c,
 * import_mm.c) share the report and the message conversion here. */
#ifndef PX_ADMIN_IMPORT_CMD_H
#define PX_ADMIN_IMPORT_CMD_H

#include "admin/admin.h"
#include "core/buf.h"

enum import_kind { IK_USER, IK_CHANNEL, IK_MESSAGE, IK_REACTION, IK_FILE, IK_NKINDS };

/* Most skip reasons listed one by one; the rest are only counted. */
#define IMPORT_MAX_SKIPS 1000

struct import_report {
	const char *source;
	long imported[IK_NKINDS], existing[IK_NKINDS], skipped[IK_NKINDS];
	struct px_buf skips; /* JSON objects joined by ',' */
	long listed, orphans;
};

/* Counts a skip of kind and lists {"kind","id","reason"} (bounded). */
void import_skip(struct import_report *r, enum import_kind kind, const char *id,
		 const char *reason) __attribute__((nonnull(1, 4)));
/* Adds from's counts to into and lists from's skips after into's, as
 * far as the bound allows (the rest only counted). */
void import_report_merge(struct import_report *into, const struct import_report *from)
	__attribute__((nonnull));
/* Prints the report as one JSON object on stdout. */
void import_report_print(const struct import_report *r) __attribute__((nonnull));

/* Converts "1700000000.000100" (Unix seconds with a fraction) into a
 * timestamp PostgreSQL reads, UTC. 0, or -1 when ts is not one. */
int import_ts(const char *ts, char *out, size_t cap) __attribute__((nonnull));

/* Renders Markdown md for storage: html gets the safe rendering. 0, or
 * -1 with *why set when it is not valid UTF-8 or too complex. */
int import_render(const char *md, size_t n, struct px_buf *html, const char **why)
	__attribute__((nonnull));

/* The Unicode emoji for a Slack/Mattermost reaction name ("+1",
 * "thumbsup::skin-tone-2", "party_popper"), or NULL when none. Static. */
const char *import_emoji(const char *name) __attribute__((nonnull));

/* An account as the source describes it. */
struct import_account {
	const char *sid, *username, *email, *display_name; /* email, display_name may be NULL */
	int deleted;
};

/* Finds or makes the account of a source's user: mapped already; an
 * account here with the same e-mail (linked, so that person keeps one
 * account); else a new one without password (reset or OIDC to sign in)
 * named username, or username_SOURCE when that is taken, deactivated when
 * the source says deleted. *id and here (64 bytes: the name here) are
 * set; counted in r. 1: created, 0: found, -1: skipped with the reason. */
int import_account(struct admin *a, struct import_report *r, const struct import_account *u,
		   long long *id, char *here) __attribute__((nonnull));

int import_slack(struct admin *a, const char *path, struct import_report *r);
int import_mattermost(struct admin *a, const char *path, struct import_report *r);

/* import slack FILE.zip | import mattermost FILE.jsonl|FILE.zip, each
 * with --defer-indexes: the search indexes of messages dropped for the
 * import and built again once at its end (model/imports.h). */
int admin_cmd_import(struct admin *a, int argc, char **argv);

#endif
