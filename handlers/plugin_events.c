/* plugin_events.c: events and commands of process plugins (see
 * plugin_events.h). */
#include "handlers/plugin_events.h"
#include "handlers/hooks.h"
#include "handlers/hooks_send.h"
#include "handlers/hooks_slack.h"
#include "handlers/messages.h"
#include "core/crypto.h"
#include "core/log.h"
#include "model/messages.h"
#include "model/plugins.h"
#include "plugins/px_pl_manifest.h"
#include "web/markdown.h"

#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ACTIONS 8
#define LEASE_SECONDS 30     /* a claimed delivery is due again after this */
#define GIVE_UP_AFTER 5      /* attempts */
#define MAX_REACTIONS 10

/* The actions' channel (0: none; each action names one) and the plugin
 * that asked for them. */
struct acting {
	struct px_db *db;
	const struct px_cfg *cfg;
	const struct px_plugin_callee *who;
	long long channel, bot;
	const char *kind;           /* the channel's kind */
};

/* An action's "channel_id", when it names another channel than the
 * call's: one the plugin is enabled in (public or private). *one gets
 * the acting for it. */
static enum px_err channel_of(const struct acting *a, struct json_object *act,
			      struct acting *one, char kind[16])
{
	struct json_object *v;
	long long id;
	enum px_err e;

	*one = *a;
	if (!json_object_object_get_ex(act, "channel_id", &v))
		return a->channel ? PX_OK : PX_E_VALIDATION_MISSING_FIELD;
	if (!json_object_is_type(v, json_type_int) || (id = json_object_get_int64(v)) <= 0)
		return PX_E_VALIDATION_FIELD_TYPE;
	if (id == a->channel)
		return PX_OK;
	if ((e = px_m_plugin_channel_kind(a->db, a->who->name, id, kind)) != PX_OK)
		return e == PX_E_VALIDATION_NOT_FOUND ? PX_E_AUTH_FORBIDDEN : e;
	one->channel = id;
	one->kind = kind;
	return PX_OK;
}

static const char *str_field(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

static enum px_err bot_of(struct acting *a)
{
	return a->bot ? PX_OK : px_m_plugin_bot(a->db, a->who->name, &a->bot);
}

/* The bot's own reactions on its new message msg (JSON): the buttons
 * people vote or answer with. */
static enum px_err react_all(struct acting *a, struct json_object *list, const char *msg)
{
	struct json_object *m = json_tokener_parse(msg), *v;
	struct px_buf out = PX_BUF_INIT;
	long long id = m && json_object_object_get_ex(m, "id", &v) ? json_object_get_int64(v) : 0;
	size_t n = json_object_array_length(list);
	enum px_err e = id ? PX_OK : PX_E_SYSTEM_INTERNAL;
	int changed;

	for (size_t i = 0; e == PX_OK && i < n && i < MAX_REACTIONS; i++) {
		const char *emoji = json_object_get_string(json_object_array_get_idx(list, i));

		if (!emoji || !px_emoji_valid(emoji, strlen(emoji)))
			e = PX_E_VALIDATION_FIELD_FORMAT;
		else
			e = px_m_messages_react(a->db, a->channel, id, a->bot, emoji, 1, &changed,
						&out);
		px_buf_reset(&out);
	}
	px_buf_free(&out);
	json_object_put(m);
	return e;
}

/* "post": {"type":"post","text":..., "reactions":["1️⃣",...]} in the
 * Slack format of incoming webhooks, as the plugin's bot. */
static enum px_err act_post(struct acting *a, struct json_object *act)
{
	struct px_buf msg = PX_BUF_INIT;
	struct json_object *list;
	char via[80];
	enum px_err e;

	if (!(a->who->granted & PX_PL_PERM_MESSAGES_POST))
		return PX_E_AUTH_FORBIDDEN;
	if ((e = bot_of(a)) != PX_OK)
		return e;
	snprintf(via, sizeof(via), "plugin %s", a->who->name);
	e = px_hooks_post_payload(a->db, a->cfg, a->channel, a->kind, a->bot, act, via, &msg);
	if (e == PX_OK && json_object_object_get_ex(act, "reactions", &list) &&
	    json_object_is_type(list, json_type_array))
		e = react_all(a, list, msg.data ? msg.data : "");
	px_buf_free(&msg);
	return e;
}

/* "edit": {"type":"edit","message_id":N,"text":...}; only a message the
 * plugin's bot wrote (the model checks the author). */
static enum px_err act_edit(struct acting *a, struct json_object *act)
{
	struct px_buf md = PX_BUF_INIT, html = PX_BUF_INIT, names = PX_BUF_INIT;
	struct px_buf out = PX_BUF_INIT;
	struct json_object *v;
	struct px_m_edit m;
	long long id;
	enum px_err e;

	if (!(a->who->granted & PX_PL_PERM_MESSAGES_MODIFY))
		return PX_E_AUTH_FORBIDDEN;
	if (!json_object_object_get_ex(act, "message_id", &v) ||
	    !json_object_is_type(v, json_type_int) || (id = json_object_get_int64(v)) <= 0)
		return PX_E_VALIDATION_FIELD_TYPE;
	if ((e = bot_of(a)) != PX_OK || (e = px_slack_render(act, &md)) != PX_OK)
		goto out;
	e = md.failed ? PX_E_SYSTEM_INTERNAL
		      : px_markdown_render(md.data ? md.data : "", md.len, &html, &names);
	if (e != PX_OK)
		goto out;
	m.body = md.data ? md.data : "";
	m.html = html.data ? html.data : "";
	m.lang = px_cfg_str(a->cfg, "search_language");
	m.names = names.data ? names.data : "";
	e = px_m_messages_edit(a->db, a->channel, id, a->bot, &m, &out);
out:
	px_buf_free(&out);
	px_buf_free(&md);
	px_buf_free(&html);
	px_buf_free(&names);
	return e;
}

/* Runs the "actions" of a plugin's answer; one that is refused is logged
 * and the others still run. */
static void act(struct acting *a, struct json_object *answer)
{
	struct json_object *list;
	size_t n;

	if (!json_object_object_get_ex(answer, "actions", &list) ||
	    !json_object_is_type(list, json_type_array))
		return;
	n = json_object_array_length(list);
	for (size_t i = 0; i < n && i < MAX_ACTIONS; i++) {
		struct json_object *one = json_object_array_get_idx(list, i);
		const char *type;
		enum px_err e = PX_E_VALIDATION_FIELD_FORMAT;
		struct acting here;
		char kind[16];

		type = json_object_is_type(one, json_type_object) ? str_field(one, "type") : NULL;
		if (type && (!strcmp(type, "post") || !strcmp(type, "edit")) &&
		    (e = channel_of(a, one, &here, kind)) == PX_OK)
			e = type[0] == 'p' ? act_post(&here, one) : act_edit(&here, one);
		if (e != PX_OK)
			px_log_warn("plugins", NULL, "plugin %s: action %zu (%s) refused: %s",
				    a->who->name, i, type ? type : "?", px_err_name(e));
	}
	if (n > MAX_ACTIONS)
		px_log_warn("plugins", NULL, "plugin %s: %zu actions, only %d run", a->who->name, n,
			    MAX_ACTIONS);
}

/* Hands one claimed row over; the delay before it is due again, or -1
 * when it is done with (answered, or nobody here to take it). */
static long deliver(struct px_plugin_host *h, struct px_db *db, const struct px_cfg *cfg,
		    PGresult *r, int i)
{
	const char *plugin = PQgetvalue(r, i, 1), *body = PQgetvalue(r, i, 2);
	int attempts = atoi(PQgetvalue(r, i, 3));
	struct json_object *ev = json_tokener_parse(body), *answer = NULL;
	const char *event = ev ? str_field(ev, "event") : NULL;
	char hook[24];
	struct px_plugin_target t = { plugin, PX_PL_HOOK_EVENT, hook, atoll(PQgetvalue(r, i, 4)) };
	struct px_plugin_callee who = { "", 0 };
	struct px_buf reply = PX_BUF_INIT;
	long retry = -1;
	unsigned rnd = 0;

	snprintf(hook, sizeof(hook), "%.*s", event ? (int)strcspn(event, ".") : 0,
		 event ? event : "");
	switch (px_plugin_host_call(h, db, &t, body, &reply, &who)) {
	case PX_PLUGIN_NONE:
		break;
	case PX_PLUGIN_FAILED:
		if (attempts < GIVE_UP_AFTER && px_crypto_random(&rnd, sizeof(rnd)) == 0)
			retry = px_hooks_backoff_ms(attempts, rnd);
		else
			px_log_warn("plugins", NULL, "plugin %s: event %s given up", plugin,
				    PQgetvalue(r, i, 0));
		break;
	case PX_PLUGIN_ANSWERED:
		if ((answer = json_tokener_parse(reply.data ? reply.data : ""))) {
			struct acting a = { db, cfg, &who, t.channel, 0, PQgetvalue(r, i, 5) };

			act(&a, answer);
		}
		break;
	}
	json_object_put(answer);
	json_object_put(ev);
	px_buf_free(&reply);
	return retry;
}

int px_plugin_events_batch(struct px_plugin_host *h, struct px_db *db,
			   const struct px_cfg *cfg, int max)
{
	PGresult *r = NULL;
	int n;

	if (px_m_plugin_events_claim(db, max, LEASE_SECONDS, &r) != PX_OK)
		return -1;
	n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		long retry = deliver(h, db, cfg, r, i);

		if (px_m_plugin_events_done(db, atoll(PQgetvalue(r, i, 0)), retry) != PX_OK)
			px_log_warn("plugins", NULL, "event delivery %s not settled; due again later",
				    PQgetvalue(r, i, 0));
	}
	PQclear(r);
	return n;
}

int px_plugin_schedules_run(struct px_plugin_host *h, struct px_db *db, const struct px_cfg *cfg)
{
	struct px_buf req = PX_BUF_INIT, reply = PX_BUF_INIT;
	PGresult *r = NULL;
	int n;

	if (!px_plugin_host_wants(h, db, PX_PL_HOOK_SCHEDULE))
		return 0;
	if (px_m_plugin_schedules_claim(db, &r) != PX_OK)
		return -1;
	n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		const char *name = PQgetvalue(r, i, 0);
		struct px_plugin_target t = { name, PX_PL_HOOK_SCHEDULE, "", 0 };
		struct px_plugin_callee who = { "", 0 };
		struct json_object *answer;

		px_buf_reset(&req);
		px_buf_reset(&reply);
		px_buf_printf(&req, "{\"type\":\"schedule\",\"all_channels\":%s,\"channel_ids\":%s}",
			      *PQgetvalue(r, i, 1) == 't' ? "true" : "false", PQgetvalue(r, i, 2));
		/* a missed period is not made up for: the next one comes */
		if (req.failed || px_plugin_host_call(h, db, &t, req.data, &reply, &who) !=
				  PX_PLUGIN_ANSWERED)
			continue;
		if ((answer = json_tokener_parse(reply.data ? reply.data : ""))) {
			struct acting a = { db, cfg, &who, 0, 0, "" };

			act(&a, answer);
			json_object_put(answer);
		}
	}
	PQclear(r);
	px_buf_free(&req);
	px_buf_free(&reply);
	return n;
}

enum px_err px_plugin_command(struct px_ctx *ctx, const char *kind, const char *name,
			      const char *args)
{
	struct px_plugin_target t = { NULL, PX_PL_HOOK_COMMAND, name,
				      px_path_int(&ctx->path, "id") };
	struct px_buf req = PX_BUF_INIT, reply = PX_BUF_INIT, html = PX_BUF_INIT;
	struct json_object *answer = NULL, *o;
	struct px_plugin_callee who = { "", 0 };
	const char *text;
	enum px_err e = PX_OK;

	if (!ctx->plugins)
		return PX_E_COMMAND_NOT_FOUND;
	px_buf_printf(&req, "{\"type\":\"command\",\"command\":");
	px_buf_json_str(&req, name, strlen(name));
	px_buf_puts(&req, ",\"args\":");
	px_buf_json_str(&req, args, strlen(args));
	px_buf_printf(&req, ",\"channel_id\":%lld,\"user_id\":%lld,\"username\":", t.channel,
		      ctx->who.user_id);
	px_buf_json_str(&req, ctx->who.username, strlen(ctx->who.username));
	px_buf_putc(&req, '}');
	if (req.failed) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	switch (px_plugin_host_call(ctx->plugins, ctx->db, &t, req.data, &reply, &who)) {
	case PX_PLUGIN_NONE:
		e = PX_E_COMMAND_NOT_FOUND;
		goto out;
	case PX_PLUGIN_FAILED:
		px_ctx_detail(ctx, "reason", "plugin");
		e = PX_E_COMMAND_FAILED;
		goto out;
	case PX_PLUGIN_ANSWERED:
		break;
	}
	if (!(answer = json_tokener_parse(reply.data ? reply.data : ""))) {
		e = PX_E_COMMAND_FAILED;
		goto out;
	}
	{
		struct acting a = { ctx->db, ctx->cfg, &who, t.channel, 0, kind };

		act(&a, answer);
	}
	text = str_field(answer, "text");
	if (text && (e = px_markdown_render(text, strlen(text), &html, NULL)) != PX_OK)
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "response_type", json_object_new_string("ephemeral"));
	json_object_object_add(o, "text", json_object_new_string(text ? text : ""));
	json_object_object_add(o, "html", json_object_new_string(html.data ? html.data : ""));
	e = px_ctx_json(ctx, 200, o);
out:
	json_object_put(answer);
	px_buf_free(&req);
	px_buf_free(&reply);
	px_buf_free(&html);
	return e;
}

/* The request as a route call: method, path, query, body, caller. */
static void route_request(struct px_ctx *ctx, const char *path, struct px_buf *req)
{
	const struct px_kvlist *q = &ctx->req->query;
	const char *body = ctx->req->json
		? json_object_to_json_string_ext(ctx->req->json, JSON_C_TO_STRING_PLAIN) : "null";

	px_buf_puts(req, "{\"type\":\"route\",\"method\":");
	px_buf_json_str(req, ctx->req->method, strlen(ctx->req->method));
	px_buf_puts(req, ",\"path\":");
	px_buf_json_str(req, path, strlen(path));
	px_buf_puts(req, ",\"query\":{");
	for (size_t i = 0; i < q->n; i++) {
		px_buf_puts(req, i ? "," : "");
		px_buf_json_str(req, q->items[i].name, strlen(q->items[i].name));
		px_buf_putc(req, ':');
		px_buf_json_str(req, q->items[i].value, q->items[i].value_len);
	}
	px_buf_printf(req, "},\"body\":%s,\"user_id\":%lld,\"username\":", body,
		      ctx->who.user_id);
	px_buf_json_str(req, ctx->who.username, strlen(ctx->who.username));
	px_buf_putc(req, '}');
}

enum px_err px_plugin_route(struct px_ctx *ctx)
{
	const char *name = px_path_str(&ctx->path, "name"), *path = px_path_str(&ctx->path, "path");
	struct px_plugin_target t = { name, PX_PL_HOOK_ROUTE, "", 0 };
	struct px_plugin_callee who = { "", 0 };
	struct px_buf req = PX_BUF_INIT, reply = PX_BUF_INIT;
	struct json_object *answer = NULL, *st, *body;
	int status;
	enum px_err e = PX_E_PLUGIN_BAD_ANSWER;

	if (!ctx->plugins || !name || !path)
		return PX_E_PLUGIN_NOT_FOUND;
	route_request(ctx, path, &req);
	if (req.failed) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	switch (px_plugin_host_call(ctx->plugins, ctx->db, &t, req.data, &reply, &who)) {
	case PX_PLUGIN_NONE:
		e = PX_E_PLUGIN_NOT_FOUND;
		goto out;
	case PX_PLUGIN_FAILED:
		goto out;
	case PX_PLUGIN_ANSWERED:
		break;
	}
	/* only JSON from a plugin, with a success status: no plugin HTML in
	 * our pages, and errors in our own format */
	answer = json_tokener_parse(reply.data ? reply.data : "");
	status = answer && json_object_object_get_ex(answer, "status", &st) ? json_object_get_int(st)
									  : 200;
	if (!answer || (status != 200 && status != 201) ||
	    !json_object_object_get_ex(answer, "body", &body) ||
	    !(json_object_is_type(body, json_type_object) || json_object_is_type(body, json_type_array)))
		goto out;
	px_response_header(ctx->resp, "Cache-Control", "no-store");
	e = px_ctx_json(ctx, status, json_object_get(body));
out:
	if (e == PX_E_PLUGIN_BAD_ANSWER)
		px_log_warn("plugins", ctx->req->correlation_id, "plugin %s: route %s answered badly",
			    name ? name : "?", path ? path : "?");
	json_object_put(answer);
	px_buf_free(&req);
	px_buf_free(&reply);
	return e;
}
