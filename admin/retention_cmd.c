/* admin/retention_cmd.c: plexichat-admin retention (retention_cmd.h). A run
 * deletes in batches of BATCH, each its own transaction, so that a large
 * first run neither holds locks for long nor loses what it did when
 * interrupted; cron runs it daily (docs/ADMIN_CLI.md). */
#include "admin/retention_cmd.h"
#include "core/audit.h"
#include "core/cfg.h"
#include "model/retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 5000

static int fail(const char *what, enum px_err e)
{
	fprintf(stderr, "plexichat-admin: retention %s: %s\n", what,
		e == PX_E_VALIDATION_NOT_FOUND ? "no such channel, user or hold" : px_err_name(e));
	return 1;
}

static void audit(struct admin *a, const char *action, const char *target, const char *fields)
{
	struct px_audit_event ev = { 0 };

	ev.action = action;
	ev.target = target;
	ev.correlation_id = "plexichat-admin";
	ev.fields_json = fields;
	(void)px_audit(a->db, &ev);
}

static int status(struct admin *a, int json)
{
	struct px_buf b = PX_BUF_INIT;
	enum px_err e = px_m_retention_status(a->db, &b);
	int rc;

	if (e != PX_OK)
		return fail("status", e);
	if (json)
		rc = admin_put_line(&b) == 0 ? 0 : 1;
	else
		rc = printf("retention_days = %lld (0: forever)\n%s\n",
			    px_cfg_int(a->cfg, "retention_days"), b.data) < 0;
	px_buf_free(&b);
	return rc;
}

static int run(struct admin *a, int dry, int json)
{
	int days = (int)px_cfg_int(a->cfg, "retention_days");
	struct px_buf due = PX_BUF_INIT, f = PX_BUF_INIT;
	long n = 0, total = 0;
	enum px_err e = px_m_retention_due(a->db, days, &due);

	if (e != PX_OK)
		return fail("run", e);
	while (!dry && (e = px_m_retention_delete(a->db, days, BATCH, &n)) == PX_OK && n > 0)
		total += n;
	if (e != PX_OK) {
		px_buf_free(&due);
		return fail("run", e);
	}
	if (!dry) {
		px_buf_printf(&f, "{\"deleted\":%ld}", total);
		audit(a, "admin.retention.run", NULL, f.data);
	}
	if (json)
		printf("{\"dry_run\":%s,\"deleted\":%ld,\"before\":%s}\n", dry ? "true" : "false", total,
		       due.data);
	else if (dry)
		printf("would delete, by channel: %s\n", due.data);
	else
		printf("deleted %ld message(s)\n", total);
	px_buf_free(&due);
	px_buf_free(&f);
	return 0;
}

static int channel(struct admin *a, const char *ch, const char *value)
{
	char *end = NULL;
	long days = !strcmp(value, "default") ? -1 : !strcmp(value, "forever") ? 0
		  : strtol(value, &end, 10);
	enum px_err e;
	char target[96];

	if ((end && (*end || end == value)) || days < -1 || days > 36500) {
		fprintf(stderr, "plexichat-admin: retention channel: DAYS is 1 to 36500, forever or default\n");
		return 1;
	}
	if ((e = px_m_retention_channel(a->db, ch, (int)days)) != PX_OK)
		return fail("channel", e);
	snprintf(target, sizeof(target), "channel:%s", ch);
	audit(a, "admin.retention.channel_set", target, NULL);
	printf("channel %s: %s\n", ch, days < 0 ? "the instance's policy" : days == 0 ? "kept forever"
		: "kept for the days given");
	return 0;
}

static int hold(struct admin *a, int argc, char **argv)
{
	const char *ch = admin_opt_value(argc, argv, "--channel");
	const char *user = admin_opt_value(argc, argv, "--user");
	const char *reason = admin_opt_value(argc, argv, "--reason");
	long long id = 0;
	enum px_err e;
	char target[64];

	if (argc == 2 && !strcmp(argv[0], "release")) {
		id = atoll(argv[1]);
		if (id <= 0 || (e = px_m_legal_hold_release(a->db, id)) != PX_OK)
			return fail("hold release", id <= 0 ? PX_E_VALIDATION_NOT_FOUND : e);
		snprintf(target, sizeof(target), "legal_hold:%lld", id);
		audit(a, "admin.retention.hold_released", target, NULL);
		printf("released hold %lld\n", id);
		return 0;
	}
	if (argc < 1 || strcmp(argv[0], "add") || !reason || !*reason || !ch == !user)
		return -1;
	if ((e = px_m_legal_hold_add(a->db, ch, user, reason, &id)) != PX_OK)
		return fail("hold add", e);
	snprintf(target, sizeof(target), "legal_hold:%lld", id);
	audit(a, "admin.retention.hold_added", target, NULL);
	printf("hold %lld on %s %s\n", id, ch ? "channel" : "user", ch ? ch : user);
	return 0;
}

int admin_cmd_retention(struct admin *a, int argc, char **argv)
{
	if (argc >= 1 && !strcmp(argv[0], "status"))
		return status(a, admin_has_flag(argc, argv, "--json"));
	if (argc >= 1 && !strcmp(argv[0], "run"))
		return run(a, admin_has_flag(argc, argv, "--dry-run"), admin_has_flag(argc, argv, "--json"));
	if (argc == 3 && !strcmp(argv[0], "channel"))
		return channel(a, argv[1], argv[2]);
	if (argc >= 2 && !strcmp(argv[0], "hold"))
		return hold(a, argc - 1, argv + 1);
	return -1;
}
