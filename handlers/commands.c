/* commands.c: bots owned by people, and slash commands: the built-ins
 * (/me, /shrug, /topic, /invite, /leave, /mute, /remind) run the channel API's own handlers
 * with the caller's rights; registered commands are POSTed to their
 * service with Slack's form fields through core/safefetch, and the answer
 * (ephemeral or in_channel) comes back or is posted by the command's bot. */
#include "handlers/commands.h"
#include "handlers/auth_util.h"
#include "handlers/channels.h"
#include "handlers/channels_util.h"
#include "handlers/hooks.h"
#include "handlers/hooks_slack.h"
#include "handlers/messages.h"
#include "handlers/people.h"
#include "handlers/plugin_events.h"
#include "handlers/web_util.h"
#include "auth/ident.h"
#include "auth/perm.h"
#include "core/cfg.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "core/http.h"
#include "core/log.h"
#include "core/safefetch.h"
#include "model/commands.h"
#include "model/hooks.h"
#include "model/sessions.h"
#include "model/users.h"
#include "web/markdown.h"

#include <json-c/json.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define COMMAND_TIMEOUT_MS 3000     /* Slack gives a command 3 s */

/* --- bots ------------------------------------------------------------------ */

struct new_bot {
	struct px_m_user_new n;
	long long owner, id;
};

static enum px_err make_bot(struct px_db *db, void *arg)
{
	struct new_bot *b = arg;
	enum px_err e = px_m_users_create(db, &b->n, &b->id);

	return e == PX_OK ? px_m_bots_mark(db, b->id, b->owner) : e;
}

static int ends_in_bot(const char *s)
{
	size_t n = strlen(s);

	return n >= 3 && strcasecmp(s + n - 3, "bot") == 0;
}

enum px_err px_h_bots_create(struct px_ctx *ctx)
{
	struct px_buf skel = PX_BUF_INIT;
	struct new_bot b = { { 0 }, 0, 0 };
	struct json_object *o;
	const char *name, *display = NULL, *why = NULL;
	enum px_err e;

	if ((e = px_in_str(ctx, "username", 1, 3, 32, &name)) != PX_OK ||
	    (e = px_in_str(ctx, "display_name", 0, 1, 64, &display)) != PX_OK)
		goto out;
	/* a bot says what it is in its name, and never looks like staff */
	if ((e = px_ident_username(name, &skel, &why)) != PX_OK || !ends_in_bot(name) ||
	    px_ident_reserved(name)) {
		if (e == PX_OK)
			e = PX_E_VALIDATION_FIELD_FORMAT;
		px_ctx_detail(ctx, "field", "username");
		goto out;
	}
	b.n.username = name;
	b.n.skeleton = skel.data;
	b.n.display_name = display ? display : name;
	b.n.role = "member";
	b.owner = ctx->who.user_id;
	if ((e = px_db_tx(ctx->db, make_bot, &b)) != PX_OK) {
		if (e == PX_E_VALIDATION_CONFLICT)
			px_ctx_detail(ctx, "field", "username");
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(b.id));
	json_object_object_add(o, "username", json_object_new_string(name));
	json_object_object_add(o, "display_name", json_object_new_string(b.n.display_name));
	json_object_object_add(o, "owner_id", json_object_new_int64(b.owner));
	e = px_ctx_json(ctx, 201, o);
out:
	px_buf_free(&skel);
	return e;
}

enum px_err px_h_bots_list(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	enum px_err e = px_m_bots_list(ctx->db, ctx->who.user_id, &out);

	if (e == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_bots_delete(struct px_ctx *ctx)
{
	enum px_err e = px_m_bots_deactivate(ctx->db, px_path_int(&ctx->path, "bid"),
					     ctx->who.user_id);

	if (e == PX_OK)
		ctx->resp->status = 204;
	return e;
}

enum px_err px_h_bots_token_create(struct px_ctx *ctx)
{
	long long bot = px_path_int(&ctx->path, "bid"), days = 0, id = 0;
	const char *name = NULL, *scopes = NULL;
	char tok[PX_TOKEN_MAX], hash[65];
	struct json_object *o;
	long bits;
	enum px_err e;

	if ((e = px_m_bots_owned(ctx->db, bot, ctx->who.user_id)) != PX_OK ||
	    (e = px_in_str(ctx, "name", 1, 1, 100, &name)) != PX_OK ||
	    (e = px_in_str(ctx, "scopes", 1, 1, 100, &scopes)) != PX_OK ||
	    (e = px_in_int(ctx, "expires_days", 0, 3650, &days)) != PX_OK)
		return e;
	/* a bot holds at most what its owner may, and never admin */
	bits = px_perm_scopes_parse(scopes);
	if (bits <= 0 || ((unsigned)bits & ~px_auth_role_scopes(ctx->who.role)) ||
	    ((unsigned)bits & PX_SCOPE_ADMIN)) {
		px_ctx_detail(ctx, "field", "scopes");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	if (px_crypto_token("pxp_", tok, sizeof(tok)) != 0)
		return PX_E_SYSTEM_INTERNAL;
	px_crypto_sha256_hex(tok, strlen(tok), hash);
	if ((e = px_m_tokens_create(ctx->db, bot, name, hash, (unsigned)bits, (int)days,
				    &id)) != PX_OK)
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "bot_id", json_object_new_int64(bot));
	json_object_object_add(o, "token", json_object_new_string(tok));
	json_object_object_add(o, "name", json_object_new_string(name));
	e = px_ctx_json(ctx, 201, o);
out:
	px_crypto_wipe(tok, sizeof(tok));
	return e;
}

/* --- registered commands (administrators) ------------------------------------ */

static const char *const builtins[] = { "me", "shrug", "topic", "invite", "leave", "remind",
					 "mute" };

static int is_builtin(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcmp(builtins[i], name) == 0)
			return 1;
	return 0;
}

static int command_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 32 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

enum px_err px_h_commands_create(struct px_ctx *ctx)
{
	struct px_buf sealed = PX_BUF_INIT, out = PX_BUF_INIT;
	const char *cmd, *url, *desc = NULL;
	char token[PX_TOKEN_MAX], context[48], why[256];
	struct json_object *j;
	enum px_err e;

	if ((e = px_in_str(ctx, "command", 1, 1, 33, &cmd)) != PX_OK ||
	    (e = px_in_str(ctx, "url", 1, 1, 2048, &url)) != PX_OK ||
	    (e = px_in_str(ctx, "description", 0, 0, 200, &desc)) != PX_OK)
		goto out;
	if (cmd[0] == '/')
		cmd++;
	if (!command_name_ok(cmd) || is_builtin(cmd)) {
		px_ctx_detail(ctx, "field", "command");
		e = is_builtin(cmd) ? PX_E_VALIDATION_CONFLICT : PX_E_VALIDATION_FIELD_FORMAT;
		goto out;
	}
	if (px_sf_check_url(url, px_cfg_str(ctx->cfg, "outbound_allow_private"), NULL, NULL, why,
			    sizeof(why)) != PX_SF_DONE) {
		px_ctx_detail(ctx, "reason", why);
		e = PX_E_HOOK_URL_REFUSED;
		goto out;
	}
	if (px_crypto_token("pxc_", token, sizeof(token)) != 0) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	snprintf(context, sizeof(context), "command:%s", cmd);
	if ((e = px_crypto_seal(ctx->cfg, context, token, strlen(token), &sealed)) != PX_OK ||
	    (e = px_m_commands_create(ctx->db, cmd, url, desc ? desc : "", sealed.data,
				      ctx->who.user_id, &out)) != PX_OK)
		goto out;
	if (!(j = json_tokener_parse(out.data))) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	/* the verification token leaves the server this once */
	json_object_object_add(j, "token", json_object_new_string(token));
	e = px_ctx_json(ctx, 201, j);
	px_response_header(ctx->resp, "Cache-Control", "no-store");
out:
	px_crypto_wipe(token, sizeof(token));
	px_buf_free(&sealed);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_commands_list(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	enum px_err e = px_m_commands_list(ctx->db, &out);

	if (e == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_commands_delete(struct px_ctx *ctx)
{
	enum px_err e = px_m_commands_delete(ctx->db, px_path_int(&ctx->path, "cid"));

	if (e == PX_E_VALIDATION_NOT_FOUND)
		return PX_E_COMMAND_NOT_FOUND;
	if (e == PX_OK)
		ctx->resp->status = 204;
	return e;
}

/* --- running a command --------------------------------------------------------- */

/* Runs handler fn with body as the request's JSON (restored after); the
 * answer's JSON goes to *out. */
static enum px_err call_with(struct px_ctx *ctx, px_handler_fn fn, struct json_object *body,
			     struct json_object **out)
{
	struct json_object *saved = ctx->req->json;
	enum px_err e;

	ctx->req->json = body;
	e = px_web_call(ctx, fn, out);
	ctx->req->json = saved;
	json_object_put(body);
	return e;
}

static enum px_err reply(struct px_ctx *ctx, const char *type, struct json_object *msg,
			 const char *text, const char *html)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "response_type", json_object_new_string(type));
	if (msg)
		json_object_object_add(o, "message", msg);
	if (text)
		json_object_object_add(o, "text", json_object_new_string(text));
	if (html)
		json_object_object_add(o, "html", json_object_new_string(html));
	return px_ctx_json(ctx, 200, o);
}

static struct json_object *one(const char *key, const char *value)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, key, json_object_new_string(value));
	return o;
}

/* "[me] in N unit[s] [to] text": *secs and *text (into args). 0, or -1
 * when it does not read so. Units: s, m, h, d and their words. */
static int parse_remind(const char *args, long long *secs, const char **text)
{
	static const struct { const char *u; long long s; } units[] = {
		{ "seconds", 1 }, { "second", 1 }, { "secs", 1 }, { "sec", 1 }, { "s", 1 },
		{ "minutes", 60 }, { "minute", 60 }, { "mins", 60 }, { "min", 60 }, { "m", 60 },
		{ "hours", 3600 }, { "hour", 3600 }, { "h", 3600 },
		{ "days", 86400 }, { "day", 86400 }, { "d", 86400 },
	};
	const char *p = args;
	long long n = 0;
	size_t i;

	if (strncmp(p, "me ", 3) == 0)
		p += 3;
	if (strncmp(p, "in ", 3) != 0)
		return -1;
	for (p += 3; *p == ' '; p++)
		;
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p) && n < 100000000; p++)
		n = n * 10 + (*p - '0');
	while (*p == ' ')
		p++;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t k = strlen(units[i].u);

		if (strncmp(p, units[i].u, k) == 0 && (p[k] == ' ' || p[k] == '\0')) {
			n *= units[i].s;
			p += k;
			break;
		}
	}
	if (i == sizeof(units) / sizeof(units[0]) || n < 1 || n > 366LL * 86400)
		return -1;
	while (*p == ' ')
		p++;
	if (strncmp(p, "to ", 3) == 0)
		p += 3;
	*secs = n;
	*text = p;
	return *p ? 0 : -1;
}

/* /mute: the caller's notification level of this channel (sql/122) set to
 * 'none', as PUT .../notify would, and its muted flag (sql/135) set; "/mute
 * off" sets them back to 'all' and unmuted. */
static enum px_err mute(struct px_ctx *ctx, const char *args)
{
	struct json_object *out = NULL;
	int off = strcmp(args, "off") == 0;
	enum px_err e;

	if (*args && !off) {
		px_ctx_detail(ctx, "field", "text");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	e = call_with(ctx, px_h_people_notify, one("level", off ? "all" : "none"), &out);
	json_object_put(out);
	/* and the mail and push senders' own flag (sql/135), so that notices
	 * from before the mute are not mailed either */
	if (e == PX_OK)
		e = px_m_commands_mute(ctx->db, px_path_int(&ctx->path, "id"), ctx->who.user_id,
				       !off);
	if (e != PX_OK)
		return e;
	return off ? reply(ctx, "ephemeral", NULL, "This channel is no longer muted.",
			   "<p>This channel is no longer muted.</p>\n")
		   : reply(ctx, "ephemeral", NULL, "You muted this channel: no unread counts "
			   "and no notifications from it. /mute off undoes it.",
			   "<p>You muted this channel: no unread counts and no notifications "
			   "from it. <code>/mute off</code> undoes it.</p>\n");
}

/* The built-ins, as the caller would do them through the API. */
static enum px_err builtin(struct px_ctx *ctx, const char *name, const char *args)
{
	struct px_buf body = PX_BUF_INIT;
	struct json_object *out = NULL;
	enum px_err e;

	if (strcmp(name, "leave") == 0) {
		if (px_path_set_int(&ctx->path, "user", ctx->who.user_id) != 0)
			return PX_E_SYSTEM_INTERNAL;
		e = px_web_call(ctx, px_h_channels_member_delete, NULL);
		return e == PX_OK ? reply(ctx, "ephemeral", NULL, "You left the channel.", NULL) : e;
	}
	if (strcmp(name, "mute") == 0)
		return mute(ctx, args);
	if (!*args) {
		px_ctx_detail(ctx, "field", "text");
		return PX_E_VALIDATION_MISSING_FIELD;
	}
	if (strcmp(name, "remind") == 0) {
		long long secs;
		const char *what;
		struct px_buf r = PX_BUF_INIT;

		if (parse_remind(args, &secs, &what) != 0) {
			px_ctx_detail(ctx, "field", "text");
			return PX_E_VALIDATION_FIELD_FORMAT;
		}
		e = px_m_hooks_remind(ctx->db, ctx->who.user_id, px_path_int(&ctx->path, "id"), what,
				      secs, &r);
		if (e == PX_OK)
			e = reply(ctx, "ephemeral", json_tokener_parse(r.data),
				  "I will remind you.", "<p>I will remind you.</p>\n");
		px_buf_free(&r);
		return e;
	}
	if (strcmp(name, "topic") == 0) {
		e = call_with(ctx, px_h_channels_topic, one("topic", args), &out);
		return e == PX_OK ? reply(ctx, "in_channel", out, NULL, NULL) : e;
	}
	if (strcmp(name, "invite") == 0) {
		e = call_with(ctx, px_h_channels_member_add, one("user", args[0] == '@' ? args + 1
										      : args), &out);
		return e == PX_OK ? reply(ctx, "ephemeral", out, NULL, NULL) : e;
	}
	if (strcmp(name, "me") == 0) {
		px_buf_putc(&body, '_');
		px_buf_puts(&body, args);
		px_buf_putc(&body, '_');
	} else {              /* shrug */
		px_buf_puts(&body, args);
		px_buf_puts(&body, " ¯\\\\\\_(ツ)\\_/¯");
	}
	e = body.failed ? PX_E_SYSTEM_INTERNAL
			: call_with(ctx, px_h_messages_post, one("body", body.data), &out);
	px_buf_free(&body);
	return e == PX_OK ? reply(ctx, "in_channel", out, NULL, NULL) : e;
}

static void field(struct px_buf *f, const char *k, const char *v)
{
	if (f->len)
		px_buf_putc(f, '&');
	px_buf_puts(f, k);
	px_buf_putc(f, '=');
	px_codec_pct_encode(f, v, strlen(v), 0);
}

/* Slack's slash command form for this invocation. */
static enum px_err command_form(struct px_ctx *ctx, const struct px_m_command *c,
				const char *name, const char *args, const char *token,
				const char *response_url, struct px_buf *f)
{
	struct json_object *ch = NULL, *v;
	char id[32], trig[PX_TOKEN_MAX];
	enum px_err e = px_web_call(ctx, px_h_channels_get, &ch);
	const char *chname = "";

	(void)c;
	if (e != PX_OK)
		return e;
	if (ch && json_object_object_get_ex(ch, "name", &v) && json_object_is_type(v, json_type_string))
		chname = json_object_get_string(v);
	if (px_crypto_token("", trig, sizeof(trig)) != 0) {
		json_object_put(ch);
		return PX_E_SYSTEM_INTERNAL;
	}
	field(f, "token", token);
	field(f, "team_id", "plexichat");
	field(f, "team_domain", px_cfg_str(ctx->cfg, "public_url"));
	snprintf(id, sizeof(id), "%lld", (long long)px_path_int(&ctx->path, "id"));
	field(f, "channel_id", id);
	field(f, "channel_name", chname);
	snprintf(id, sizeof(id), "%lld", ctx->who.user_id);
	field(f, "user_id", id);
	field(f, "user_name", ctx->who.username);
	px_buf_puts(f, "&command=%2F");
	px_codec_pct_encode(f, name, strlen(name), 0);
	field(f, "text", args);
	field(f, "response_url", response_url);
	field(f, "trigger_id", trig);
	json_object_put(ch);
	return f->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}

/* The service's answer: empty (acknowledged), plain text (ephemeral), or
 * a Slack payload with response_type. */
static enum px_err answer(struct px_ctx *ctx, const struct px_m_command *c, const char *name,
			  const char *kind, const struct px_sf_resp *resp)
{
	struct px_buf md = PX_BUF_INIT, html = PX_BUF_INIT, msg = PX_BUF_INIT;
	struct json_object *j = NULL, *t;
	char via[64];
	enum px_err e;

	if (!resp->body.len)
		return reply(ctx, "ephemeral", NULL, "", "");
	if (strncmp(resp->content_type, "application/json", 16) != 0) {
		px_slack_mrkdwn(resp->body.data, resp->body.len, &md);
		goto ephemeral;
	}
	if (!(j = json_tokener_parse(resp->body.data)) || !json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		return PX_E_COMMAND_FAILED;
	}
	if (json_object_object_get_ex(j, "response_type", &t) &&
	    strcmp(json_object_get_string(t), "in_channel") == 0) {
		snprintf(via, sizeof(via), "slash command /%s", name);
		e = px_hooks_post_payload(ctx->db, ctx->cfg, px_path_int(&ctx->path, "id"), kind,
					  c->bot, j, via, &msg);
		json_object_put(j);
		if (e == PX_OK)
			e = reply(ctx, "in_channel", json_tokener_parse(msg.data), NULL, NULL);
		px_buf_free(&msg);
		return e;
	}
	e = px_slack_render(j, &md);
	json_object_put(j);
	if (e == PX_E_HOOK_EMPTY)
		return reply(ctx, "ephemeral", NULL, "", "");
	if (e != PX_OK)
		return e;
ephemeral:
	e = md.failed ? PX_E_SYSTEM_INTERNAL : px_markdown_render(md.data ? md.data : "", md.len,
								  &html, NULL);
	if (e == PX_OK)
		e = reply(ctx, "ephemeral", NULL, md.data ? md.data : "", html.data ? html.data : "");
	px_buf_free(&md);
	px_buf_free(&html);
	return e;
}

static enum px_err registered(struct px_ctx *ctx, const char *name, const char *args,
			      const char *kind)
{
	struct px_buf form = PX_BUF_INIT, token = PX_BUF_INIT, rurl = PX_BUF_INIT;
	const char *headers[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
	struct px_sf_req req = { 0 };
	struct px_sf_resp resp = { 0 };
	struct px_m_command c;
	char context[48], rtok[PX_TOKEN_MAX], rhash[65];
	const char *base = px_cfg_str(ctx->cfg, "public_url");
	size_t bl = strlen(base);
	long ms = (long)px_cfg_int(ctx->cfg, "hooks_timeout_ms");
	enum px_sf_result r;
	enum px_err e;

	if ((e = px_m_commands_find(ctx->db, name, &c)) != PX_OK)
		return e == PX_E_VALIDATION_NOT_FOUND ? PX_E_COMMAND_NOT_FOUND : e;
	snprintf(context, sizeof(context), "command:%s", name);
	if ((e = px_crypto_open(ctx->cfg, context, c.token_sealed, &token)) != PX_OK ||
	    px_crypto_token("pxr_", rtok, sizeof(rtok)) != 0) {
		e = e != PX_OK ? e : PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	px_crypto_sha256_hex(rtok, strlen(rtok), rhash);
	if ((e = px_m_commands_response_new(ctx->db, rhash, c.id, px_path_int(&ctx->path, "id"),
					    ctx->who.user_id)) != PX_OK)
		goto out;
	while (bl && base[bl - 1] == '/')
		bl--;
	px_buf_append(&rurl, base, bl);
	px_buf_puts(&rurl, "/api/v1/commands/responses/");
	px_buf_puts(&rurl, rtok);
	if ((e = command_form(ctx, &c, name, args, token.data ? token.data : "",
			      rurl.data ? rurl.data : "", &form)) != PX_OK)
		goto out;
	req.method = "POST";
	req.url = c.url;
	req.body = form.data;
	req.body_len = form.len;
	req.headers = headers;
	req.allow = px_cfg_str(ctx->cfg, "outbound_allow_private");
	req.max_bytes = (size_t)px_cfg_int(ctx->cfg, "hooks_max_response_bytes");
	req.timeout_ms = ms < COMMAND_TIMEOUT_MS ? ms : COMMAND_TIMEOUT_MS;
	req.max_redirects = (int)px_cfg_int(ctx->cfg, "hooks_max_redirects");
	r = px_sf_fetch(&req, &resp);
	if (r != PX_SF_DONE || resp.status < 200 || resp.status >= 300) {
		px_log_warn("commands", ctx->req->correlation_id, "/%s: %s %ld %s", name,
			    px_sf_result_name(r), resp.status, resp.detail);
		px_ctx_detail(ctx, "reason", r != PX_SF_DONE ? px_sf_result_name(r) : "status");
		e = PX_E_COMMAND_FAILED;
		goto out;
	}
	e = answer(ctx, &c, name, kind, &resp);
out:
	if (token.data)
		px_crypto_wipe(token.data, token.len);
	px_crypto_wipe(rtok, sizeof(rtok));
	px_buf_free(&token);
	px_buf_free(&form);
	px_buf_free(&rurl);
	px_buf_free(&resp.body);
	return e;
}

enum px_err px_h_commands_run(struct px_ctx *ctx)
{
	char name[40];
	const char *text, *args;
	struct px_chan_access a;
	size_t n;
	enum px_err e;

	if ((e = px_in_str(ctx, "text", 1, 2, 4000, &text)) != PX_OK ||
	    (e = px_hm_gate(ctx, PX_CHAN_POST, &a)) != PX_OK)
		return e;
	n = strcspn(text + 1, " \t\n");
	if (text[0] != '/' || n == 0 || n >= sizeof(name)) {
		px_ctx_detail(ctx, "field", "text");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	memcpy(name, text + 1, n);
	name[n] = '\0';
	for (args = text + 1 + n; *args && isspace((unsigned char)*args); args++)
		;
	if (!command_name_ok(name))
		return PX_E_COMMAND_NOT_FOUND;
	if (is_builtin(name))
		return builtin(ctx, name, args);
	/* a plugin's command before a registered one of the same name: only
	 * an admin installs plugins */
	e = px_plugin_command(ctx, a.kind, name, args);
	return e == PX_E_COMMAND_NOT_FOUND ? registered(ctx, name, args, a.kind) : e;
}

/* POST /api/v1/commands/responses/{token}: a delayed in_channel answer. */
enum px_err px_h_commands_response(struct px_ctx *ctx)
{
	const char *token = px_path_str(&ctx->path, "token");
	struct json_object *j = ctx->req->json, *t;
	long long channel = 0, bot = 0;
	char hash[65], kind[8], cmd[33], via[64];
	enum px_err e;

	if (!token || strlen(token) > 128)
		return PX_E_HOOK_NOT_FOUND;
	if (!j || !json_object_is_type(j, json_type_object)) {
		px_ctx_detail(ctx, "field", "body");
		return ctx->req->body_len ? PX_E_VALIDATION_FIELD_TYPE : PX_E_VALIDATION_MISSING_FIELD;
	}
	/* nobody else may see an ephemeral answer, and there is no one to
	 * show it to here: only in_channel ones are taken */
	if (!json_object_object_get_ex(j, "response_type", &t) ||
	    strcmp(json_object_get_string(t), "in_channel") != 0) {
		px_ctx_detail(ctx, "field", "response_type");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	px_crypto_sha256_hex(token, strlen(token), hash);
	e = px_m_commands_response_use(ctx->db, hash, &channel, &bot, kind, cmd);
	if (e == PX_E_VALIDATION_NOT_FOUND)
		return PX_E_HOOK_NOT_FOUND;
	if (e != PX_OK)
		return e;
	snprintf(via, sizeof(via), "slash command /%s", cmd);
	e = px_hooks_post_payload(ctx->db, ctx->cfg, channel, kind, bot, j, via, NULL);
	if (e == PX_E_HOOK_EMPTY)
		px_ctx_detail(ctx, "field", "text");
	if (e != PX_OK)
		return e;
	ctx->resp->status = 200;
	px_buf_reset(&ctx->resp->body);
	px_buf_puts(&ctx->resp->body, "ok");
	px_response_header(ctx->resp, "Content-Type", "text/plain; charset=utf-8");
	return ctx->resp->body.failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}
