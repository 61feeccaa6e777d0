/* admin/main.c: plexichat-admin, the command-line tool for operators.
 * Sub-commands are one table of {name, function, usage}; anything unknown
 * prints the usage. */
#include "config.h"
#include "admin/admin.h"
#include "admin/completion.h"
#include "admin/cluster_cmd.h"
#include "admin/config_cmd.h"
#include "admin/doctor.h"
#include "admin/export_cmd.h"
#include "admin/files_cmd.h"
#include "admin/import_cmd.h"
#include "admin/plugin_cmd.h"
#include "admin/retention_cmd.h"
#include "admin/stats.h"
#include "admin/users_io.h"
#include "core/audit.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/db.h"
#include "auth/ident.h"
#include "core/log.h"
#include "core/migrate.h"
#include "auth/password.h"
#include "auth/perm.h"
#include "waf/waf_feed.h"
#include "model/auth_invites.h"
#include "model/auth_limits.h"
#include "model/channels.h"
#include "model/notify_run.h"
#include "model/sessions.h"
#include "model/users.h"
#include "model/waf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmd_migrate(struct admin *a, int argc, char **argv)
{
	struct px_buf err = PX_BUF_INIT;
	int applied = 0, rc;

	rc = px_migrate_apply(a->db, px_cfg_str(a->cfg, "sql_dir"), &applied, &err);
	if (rc != 0)
		fprintf(stderr, "plexichat-admin: migrate failed: %s\n", err.data);
	else
		printf("migrations applied: %d\n", applied);
	px_buf_free(&err);
	return rc == 0 ? 0 : 1;
}

/* Reads a password from stdin (first line) or generates one. */
static int get_password(int generate, char *pw, size_t cap)
{
	if (generate)
		return px_password_generate(pw, 20);
	if (!fgets(pw, (int)cap, stdin))
		return -1;
	pw[strcspn(pw, "\r\n")] = '\0';
	return 0;
}

static int create_user(struct admin *a, const char *username, const char *role,
		       const char *email, int generate)
{
	struct px_buf hash = PX_BUF_INIT, skeleton = PX_BUF_INIT;
	struct px_m_user_new n;
	const char *reason = "";
	char pw[1100];
	long long id = 0;
	enum px_err e;
	int rc = 1;

	if (px_ident_username(username, &skeleton, &reason) != PX_OK) {
		fprintf(stderr, "plexichat-admin: invalid username (%s)\n", reason);
		goto out;
	}
	if (get_password(generate, pw, sizeof(pw)) != 0 ||
	    px_password_hash(pw, strlen(pw), &hash) != 0) {
		fprintf(stderr, "plexichat-admin: cannot hash the password\n");
		goto out;
	}
	memset(&n, 0, sizeof(n));
	n.username = username;
	n.skeleton = skeleton.data;
	n.email = email;
	n.display_name = username;
	n.password_hash = hash.data;
	n.role = role;
	e = px_m_users_create(a->db, &n, &id);
	if (e != PX_OK) {
		fprintf(stderr, "plexichat-admin: cannot create %s: %s\n", username,
			px_err_name(e));
		goto out;
	}
	if (generate)
		printf("created %s account '%s' (id %lld) with password: %s\n", role,
		       username, id, pw);
	else
		printf("created %s account '%s' (id %lld)\n", role, username, id);
	rc = 0;
out:
	memset(pw, 0, sizeof(pw));
	px_buf_free(&hash);
	px_buf_free(&skeleton);
	return rc;
}

static int cmd_create_user(struct admin *a, int argc, char **argv)
{
	const char *role = admin_opt_value(argc, argv, "--role");

	if (argc < 1)
		return -1;
	return create_user(a, argv[0], role ? role : "member",
			   admin_opt_value(argc, argv, "--email"),
			   !admin_has_flag(argc, argv, "--password-stdin"));
}

static int cmd_ensure_admin(struct admin *a, int argc, char **argv)
{
	const char *name = argc > 0 ? argv[0] : "admin";
	int exists = px_m_users_exists(a->db, name);

	if (exists < 0) {
		fprintf(stderr, "plexichat-admin: database unavailable\n");
		return 1;
	}
	if (exists) {
		printf("admin account '%s' exists; set a new password with: "
		       "plexichat-admin set-password %s\n", name, name);
		return 0;
	}
	return create_user(a, name, "owner", NULL, 1);
}

static int cmd_set_password(struct admin *a, int argc, char **argv)
{
	struct px_buf hash = PX_BUF_INIT;
	char pw[1100];
	int generate = !admin_has_flag(argc, argv, "--password-stdin"), rc = 1;
	enum px_err e;

	if (argc < 1)
		return -1;
	if (get_password(generate, pw, sizeof(pw)) != 0 ||
	    px_password_hash(pw, strlen(pw), &hash) != 0)
		goto out;
	e = px_m_users_set_password(a->db, argv[0], hash.data);
	if (e != PX_OK) {
		fprintf(stderr, "plexichat-admin: %s: %s\n", argv[0], px_err_name(e));
		goto out;
	}
	if (generate)
		printf("new password for '%s': %s\n", argv[0], pw);
	rc = 0;
out:
	memset(pw, 0, sizeof(pw));
	px_buf_free(&hash);
	return rc;
}

static int cmd_check_config(struct admin *a, int argc, char **argv)
{
	struct px_buf out = PX_BUF_INIT;

	px_cfg_dump_json(a->cfg, &out);
	printf("%s\n", out.data);
	px_buf_free(&out);
	return 0;
}

static int cmd_unlock(struct admin *a, int argc, char **argv)
{
	enum px_err e = px_m_limits_reset(a->db);

	if (e != PX_OK) {
		fprintf(stderr, "plexichat-admin: unlock: %s\n", px_err_name(e));
		return 1;
	}
	printf("rate limits and login back-off cleared\n");
	return 0;
}

/* One pass of the notification sender (digests, Web Push): for cron when
 * notify_interval_seconds is 0, e.g. every minute on shared hosting. */
static int cmd_notify(struct admin *a, int argc, char **argv)
{
	struct px_m_notify_stats st;
	enum px_err e;

	(void)argc;
	(void)argv;
	if ((e = px_m_notify_run(a->db, a->cfg, &st)) != PX_OK) {
		fprintf(stderr, "plexichat-admin: notify: %s\n", px_err_name(e));
		return 1;
	}
	if (!st.ran)
		printf("another process is sending; nothing done\n");
	else
		printf("digests %d (notifications %d, failed %d), pushes %d (failed %d)\n",
		       st.digests, st.mailed, st.mail_failed, st.pushed, st.push_failed);
	return st.mail_failed ? 2 : 0;
}

/* Loads account NAME or prints why not. 0 or -1. */
static int find_user(struct admin *a, const char *name, struct px_m_user *u)
{
	enum px_err e = px_m_users_find_login(a->db, name, u);

	if (e != PX_OK)
		fprintf(stderr, "plexichat-admin: %s: %s\n", name, px_err_name(e));
	return e == PX_OK ? 0 : -1;
}

static void cli_audit(struct admin *a, const char *action, long long target,
		      const char *fields)
{
	struct px_audit_event ev;
	char t[32];

	snprintf(t, sizeof(t), "user:%lld", target);
	memset(&ev, 0, sizeof(ev));
	ev.action = action;
	ev.target = t;
	ev.correlation_id = "plexichat-admin";
	ev.fields_json = fields;
	(void)px_audit(a->db, &ev);
}

static int set_active(struct admin *a, int argc, char **argv, int active)
{
	struct px_m_user u;
	enum px_err e;

	if (argc < 1)
		return -1;
	if (find_user(a, argv[0], &u) != 0)
		return 1;
	if ((e = px_m_users_set_active(a->db, u.id, active)) != PX_OK) {
		fprintf(stderr, "plexichat-admin: %s\n", px_err_name(e));
		return 1;
	}
	cli_audit(a, active ? "auth.account_reactivated" : "auth.account_deactivated",
		  u.id, NULL);
	printf("%s %s\n", u.username, active ? "reactivated" : "deactivated; sessions revoked");
	return 0;
}

static int cmd_deactivate(struct admin *a, int argc, char **argv)
{
	return set_active(a, argc, argv, 0);
}

static int cmd_reactivate(struct admin *a, int argc, char **argv)
{
	return set_active(a, argc, argv, 1);
}

static int cmd_set_role(struct admin *a, int argc, char **argv)
{
	struct px_m_user u;
	char f[96];
	enum px_err e;

	if (argc < 2)
		return -1;
	if (px_perm_role_parse(argv[1]) < 0) {
		fprintf(stderr, "plexichat-admin: unknown role %s\n", argv[1]);
		return 1;
	}
	if (find_user(a, argv[0], &u) != 0)
		return 1;
	if ((e = px_m_users_set_role(a->db, u.id, argv[1])) != PX_OK) {
		fprintf(stderr, "plexichat-admin: %s\n", px_err_name(e));
		return 1;
	}
	snprintf(f, sizeof(f), "{\"from\":\"%s\",\"to\":\"%s\"}", u.role, argv[1]);
	cli_audit(a, "auth.role_changed", u.id, f);
	printf("%s is now %s\n", u.username, argv[1]);
	return 0;
}

static int cmd_reset_password(struct admin *a, int argc, char **argv)
{
	char tok[PX_TOKEN_MAX], hash[65];
	struct px_m_user u;
	long long ttl = px_cfg_int(a->cfg, "password_reset_ttl");

	if (argc < 1)
		return -1;
	if (find_user(a, argv[0], &u) != 0 || px_crypto_token("pxr_", tok, sizeof(tok)) != 0)
		return 1;
	px_crypto_sha256_hex(tok, strlen(tok), hash);
	if (px_m_resets_create(a->db, u.id, hash, ttl) != PX_OK)
		return 1;
	cli_audit(a, "auth.password_reset_issued", u.id, NULL);
	printf("reset token for %s (valid %lld min): %s\n%s/reset-password?token=%s\n",
	       u.username, ttl / 60, tok, px_cfg_str(a->cfg, "public_url"), tok);
	return 0;
}

static int cmd_invite(struct admin *a, int argc, char **argv)
{
	const char *role = admin_opt_value(argc, argv, "--role"), *email = admin_opt_value(argc, argv, "--email");
	long long ttl = px_cfg_int(a->cfg, "invite_ttl"), id = 0;
	char code[PX_TOKEN_MAX], hash[65];

	role = role ? role : "member";
	if (px_perm_role_parse(role) < 0 || strcmp(role, "owner") == 0) {
		fprintf(stderr, "plexichat-admin: invites may grant guest, member, moderator or admin\n");
		return 1;
	}
	if (px_crypto_token("pxi_", code, sizeof(code)) != 0)
		return 1;
	px_crypto_sha256_hex(code, strlen(code), hash);
	if (px_m_invites_create(a->db, hash, 0, email, role, ttl, &id) != PX_OK)
		return 1;
	printf("invite %lld (%s, valid %lld h): %s\n%s/invite/%s\n", id, role, ttl / 3600,
	       code, px_cfg_str(a->cfg, "public_url"), code);
	return 0;
}

/* arg: a px_buf for JSON lines, or NULL for tab-separated text */
static void print_session(const struct px_m_session *s, void *arg)
{
	struct px_buf *j = arg;

	if (!j) {
		printf("%lld\t%s\t%s\t%s\t%s\n", s->id, s->last_used_at, s->ip, s->expires_at,
		       s->user_agent);
		return;
	}
	px_buf_reset(j);
	px_buf_putc(j, '{');
	admin_json_kv_int(j, "id", s->id);
	admin_json_kv(j, "last_used_at", s->last_used_at);
	admin_json_kv(j, "ip", s->ip);
	admin_json_kv(j, "expires_at", s->expires_at);
	admin_json_kv(j, "user_agent", s->user_agent);
	px_buf_putc(j, '}');
	(void)admin_put_line(j);
}

static int cmd_list_sessions(struct admin *a, int argc, char **argv)
{
	struct px_buf j = PX_BUF_INIT;
	struct px_m_user u;
	int json = admin_has_flag(argc, argv, "--json"), rc;

	if (argc < 1)
		return -1;
	if (find_user(a, argv[0], &u) != 0)
		return 1;
	if (!json)
		printf("id\tlast_used\tip\texpires\tuser_agent\n");
	rc = px_m_sessions_list(a->db, u.id, px_cfg_int(a->cfg, "session_idle_timeout"),
				print_session, json ? &j : NULL) == PX_OK ? 0 : 1;
	px_buf_free(&j);
	return rc;
}

/* Fetches, validates and stores one feed; a refused or unreachable feed
 * keeps the ranges it had. 0 or 1. */
static int waf_update_feed(struct admin *a, const struct px_waf_feed_src *src)
{
	struct px_buf body = PX_BUF_INIT, err = PX_BUF_INIT;
	struct px_audit_event ev = { 0 };
	struct px_waf_feed f = { 0 };
	long long removed = 0, added = 0;
	char tag[80], fields[160];
	enum px_err e;
	int rc = 1;

	if (px_waf_feed_fetch(src->url, 60, 64u << 20, &body, &err) != 0 ||
	    px_waf_feed_parse(body.data ? body.data : "", body.len, &f, &err) != 0) {
		fprintf(stderr, "plexichat-admin: feed %s: %s; its ranges stay as they were\n",
			src->name, err.data ? err.data : "out of memory");
		goto out;
	}
	snprintf(tag, sizeof(tag), "feed:%.63s", src->name);
	if ((e = px_m_waf_ip_replace_source(a->db, tag, f.cidrs, f.n, &removed, &added)) != PX_OK) {
		fprintf(stderr, "plexichat-admin: feed %s not stored: %s\n", src->name, px_err_name(e));
		goto out;
	}
	printf("feed %s: %lld ranges stored (%lld before); skipped %zu malformed and %zu reserved or too broad\n",
	       src->name, added, removed, f.bad, f.reserved);
	snprintf(fields, sizeof(fields), "{\"ranges\":%lld,\"before\":%lld,\"malformed\":%zu}",
		 added, removed, f.bad);
	ev.action = "admin.waf.feed_updated";
	ev.target = tag;
	ev.fields_json = fields;
	(void)px_audit(a->db, &ev);
	rc = 0;
out:
	px_waf_feed_free(&f);
	px_buf_free(&body);
	px_buf_free(&err);
	return rc;
}

/* arg: a px_buf for JSON lines, or NULL for tab-separated text */
static void print_orphan(long long id, const char *kind, const char *name, long members,
			 void *arg)
{
	struct px_buf *j = arg;

	if (!j) {
		printf("%lld\t%s\t%s\t%ld\n", id, kind, name, members);
		return;
	}
	px_buf_reset(j);
	px_buf_putc(j, '{');
	admin_json_kv_int(j, "id", id);
	admin_json_kv(j, "kind", kind);
	admin_json_kv(j, "name", name);
	admin_json_kv_int(j, "members", members);
	px_buf_putc(j, '}');
	(void)admin_put_line(j);
}

/* channel-owner --orphaned | channel-owner CHANNEL_ID NAME: the audited
 * break-glass path for a channel nobody can manage any more. */
static int cmd_channel_owner(struct admin *a, int argc, char **argv)
{
	struct px_m_user u;
	char f[64], *end;
	long long ch;
	enum px_err e;

	if (argc >= 1 && strcmp(argv[0], "--orphaned") == 0) {
		struct px_buf j = PX_BUF_INIT;
		int json = admin_has_flag(argc, argv, "--json"), rc;

		if (!json)
			printf("id\tkind\tname\tmembers\n");
		rc = px_m_channels_orphaned(a->db, print_orphan, json ? &j : NULL) == PX_OK ? 0 : 1;
		px_buf_free(&j);
		return rc;
	}
	if (argc < 2)
		return -1;
	ch = strtoll(argv[0], &end, 10);
	if (*end || ch <= 0) {
		fprintf(stderr, "plexichat-admin: %s is not a channel id\n", argv[0]);
		return 1;
	}
	if (find_user(a, argv[1], &u) != 0)
		return 1;
	if ((e = px_m_members_restore_owner(a->db, ch, u.id)) != PX_OK) {
		fprintf(stderr, "plexichat-admin: channel %lld: %s\n", ch, px_err_name(e));
		return 1;
	}
	snprintf(f, sizeof(f), "{\"channel_id\":%lld}", ch);
	cli_audit(a, "channel.owner_restored", u.id, f);
	printf("%s is now an owner of channel %lld\n", u.username, ch);
	return 0;
}

struct export {
	struct px_buf line;
	long long last_id;
};

static void print_event(const struct px_m_waf_event *ev, void *arg)
{
	struct export *x = arg;

	px_buf_reset(&x->line);
	px_m_waf_event_jsonl(ev, &x->line);
	fwrite(x->line.data, 1, x->line.len, stdout);
	x->last_id = ev->id;
}

/* waf update-feeds | waf export-events [--since T] [--after ID] */
static int cmd_waf(struct admin *a, int argc, char **argv)
{
	struct px_waf_feed_src src[16];
	struct px_buf err = PX_BUF_INIT;
	struct export x = { PX_BUF_INIT, 0 };
	struct px_m_waf_event_q q = { 0 };
	const char *after = admin_opt_value(argc, argv, "--after");
	int n, i, rc = 0, more = 1;

	if (argc >= 1 && strcmp(argv[0], "update-feeds") == 0) {
		n = px_waf_feed_sources(px_cfg_str(a->cfg, "waf_feeds"), src, 16, &err);
		if (n <= 0)
			fprintf(stderr, "plexichat-admin: %s\n",
				n < 0 ? err.data : "no feeds configured (waf_feeds)");
		for (i = 0; i < n; i++)
			rc |= waf_update_feed(a, &src[i]);
		px_buf_free(&err);
		return n < 0 ? 1 : rc;
	}
	if (argc < 1 || strcmp(argv[0], "export-events") != 0)
		return -1;
	q.since = admin_opt_value(argc, argv, "--since");
	q.limit = 1000;
	q.oldest_first = 1;
	x.last_id = q.after_id = after ? atoll(after) : 0;
	/* pages of oldest-first events, each starting after the last id printed */
	while (more) {
		if (px_m_waf_events(a->db, &q, print_event, &x, &more) != PX_OK) {
			fprintf(stderr, "plexichat-admin: export-events failed (is --since a timestamp?)\n");
			rc = 1;
			break;
		}
		q.after_id = x.last_id;
	}
	px_buf_free(&x.line);
	return rc;
}

const struct command admin_commands[] = {
	{ "migrate", cmd_migrate, "migrate  apply pending sql/ migrations", 0 },
	{ "create-user", cmd_create_user, "create-user NAME [--role R] [--email E] [--password-stdin]  create an account (prints a generated password)", 0 },
	{ "ensure-admin", cmd_ensure_admin, "ensure-admin [NAME]  create the owner account once, printing its password", 0 },
	{ "set-password", cmd_set_password, "set-password NAME [--password-stdin]  reset a password (prints a generated one)", 0 },
	{ "reset-password", cmd_reset_password, "reset-password NAME  issue a single-use password-reset token", 0 },
	{ "invite", cmd_invite, "invite [--role R] [--email E]  issue a single-use invite code", 0 },
	{ "deactivate", cmd_deactivate, "deactivate NAME  deactivate an account and end its sessions", 0 },
	{ "reactivate", cmd_reactivate, "reactivate NAME  reactivate an account", 0 },
	{ "set-role", cmd_set_role, "set-role NAME ROLE  owner, admin, moderator, member or guest", 0 },
	{ "list-sessions", cmd_list_sessions, "list-sessions NAME [--json]  the account's live sessions", 0 },
	{ "channel-owner", cmd_channel_owner, "channel-owner --orphaned [--json] | channel-owner CHANNEL_ID NAME  list channels without an owner; make NAME owner (audited)", 0 },
	{ "notify", cmd_notify, "notify  send due e-mail digests and Web Push notifications once (cron)", 0 },
	{ "unlock", cmd_unlock, "unlock  clear all rate-limit buckets and login back-off", 0 },
	{ "check-config", cmd_check_config, "check-config  validate the configuration and print it (secrets hidden)", 0 },
	{ "config", admin_cmd_config, "config show [--json] | config check [--who W] | config diff [N] | config history [--json] | config rollback N [--who W]  the configuration and its versions kept in PostgreSQL", 0 },
	{ "users", admin_cmd_users, "users import FILE [--dry-run] | users export [--json]  accounts in bulk from CSV or JSON lines (idempotent, with a report)", 0 },
	{ "import", admin_cmd_import, "import slack FILE.zip [--defer-indexes] | import mattermost (FILE.jsonl | FILE.zip) [--defer-indexes]  history from a Slack export or a Mattermost bulk export: users (no password), channels, direct and group conversations, messages, threads, reactions, files the archive holds; idempotent, a JSON report on stdout; --defer-indexes builds the search indexes once at the end (faster for large imports; search is slower meanwhile)", 0 },
	{ "export", admin_cmd_export, "export compliance --channels ID,... [--since T] [--until T] [--after ID]  the chosen channels' messages as JSON lines, oldest first (the last cursor on stderr)", 0 },
	{ "files", admin_cmd_files, "files usage [--by user|channel] [--limit N] [--json] | files cleanup [--dry-run] [--json] | files quota USER [BYTES|default] | files rethumb (--all | SHA256...) [--dry-run] [--json]  the file store: usage per user or channel, clean-up of expired uploads, stale temporary files, retention and orphan objects (run it from cron), per-user quotas, image derivatives made again", 0 },
	{ "plugin", admin_cmd_plugin, "plugin keygen | plugin sign PACKAGE --key FILE | plugin key add NAME PUBKEY | plugin key remove NAME | plugin key list | plugin install (PACKAGE [--sig FILE] | NAME[@RANGE]) | plugin list [--json] | plugin catalog [--json] | plugin use NAME VERSION | plugin enable NAME [--grant PERM,...] [--all-channels | --channels ID,...] | plugin set NAME KEY (VALUE|--clear) | plugin disable NAME | plugin remove NAME [--purge | --keep-data]  plugins: trusted signing keys, signed install with dependency checks, version switch, enable with granted permissions, settings, removal", ADMIN_CONFIG_OPTIONAL },
	{ "retention", admin_cmd_retention, "retention status [--json] | retention run [--dry-run] [--json] | retention channel CHANNEL (DAYS|forever|default) | retention hold add (--channel CHANNEL | --user NAME) --reason TEXT | retention hold release ID  message retention: delete what is older than its channel's policy (retention_days by default; run it daily from cron), per-channel policies, legal holds that keep everything they cover", 0 },
	{ "stats", admin_cmd_stats, "stats [--json] [--timeout S]  users, channels, messages, storage and requests per route", 0 },
	{ "doctor", admin_cmd_doctor, "doctor [--json] [--timeout S] [--service-user U]  check configuration, database, schema, web server, certificate, permissions, clock, disk and backups", ADMIN_CONFIG_OPTIONAL },
	{ "cluster", admin_cmd_cluster, "cluster status [--json] | cluster drain NODE | cluster undrain NODE  the node registry; drain takes a node (id or address) out of service: readiness answers 503, event streams end so clients reconnect elsewhere", 0 },
	{ "waf", cmd_waf, "waf update-feeds | waf export-events [--since T] [--after ID]  WAF feeds; security events as JSON lines", 0 },
	{ "completion", admin_cmd_completion, "completion bash  print the bash completion script", ADMIN_NO_CONFIG },
	{ "man", admin_cmd_man, "man  print the plexichat-admin(8) man page (roff)", ADMIN_NO_CONFIG },
};
const size_t admin_ncommands = sizeof(admin_commands) / sizeof(admin_commands[0]);


static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: plexichat-admin [-c CONFIG] COMMAND [ARGS]\ncommands:\n");
	for (i = 0; i < admin_ncommands; i++)
		fprintf(stderr, "  %s\n", admin_commands[i].usage);
}

int main(int argc, char **argv)
{
	const char *cfg_path = NULL;
	struct px_buf err = PX_BUF_INIT, conninfo = PX_BUF_INIT, found = PX_BUF_INIT;
	struct admin a = { 0 };
	const struct command *cmd = NULL;
	size_t i;
	int opt, rc = 2;

	while ((opt = getopt(argc, argv, "+c:h")) != -1) {
		if (opt != 'c') {
			usage();
			return 2;
		}
		cfg_path = optarg;
	}
	for (i = 0; optind < argc && i < admin_ncommands; i++)
		if (strcmp(admin_commands[i].name, argv[optind]) == 0)
			cmd = &admin_commands[i];
	if (!cmd) {
		usage();
		return 2;
	}
	/* -c, PLEXICHAT_CONFIG, or plexichat.conf beside this program */
	cfg_path = px_cfg_locate(cfg_path, &found);
	a.cfg_path = cfg_path;
	if (cmd->flags == ADMIN_NO_CONFIG) {
		rc = cmd->fn(&a, argc - optind - 1, argv + optind + 1);
		goto done;
	}
	if (px_cfg_load(cfg_path, &a.cfg, &err) != 0) {
		if (cmd->flags != ADMIN_CONFIG_OPTIONAL) {
			fprintf(stderr, "plexichat-admin: configuration error: %s\n", err.data);
			goto out;
		}
		a.cfg_error = err.data;
	}
	px_log_open(NULL, PX_LOG_WARN);
	if (a.cfg)
		px_db_conninfo(px_cfg_str(a.cfg, "db_conninfo"), px_cfg_str(a.cfg, "db_password"),
			       &conninfo);
	if (a.cfg && !(a.db = px_db_new(conninfo.data ? conninfo.data : "")))
		goto out;
	rc = cmd->fn(&a, argc - optind - 1, argv + optind + 1);
done:
	if (rc < 0) {
		usage();
		rc = 2;
	}
out:
	px_db_free(a.db);
	px_cfg_free(a.cfg);
	px_buf_free(&err);
	px_buf_free(&conninfo);
	px_buf_free(&found);
	return rc;
}
