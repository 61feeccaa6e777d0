/* people.c: the API handlers of people.h and the registration hook. Input
 * is checked here; the model keeps the rules the database must hold (a
 * time zone it knows, a public channel). */
#include "handlers/people.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "core/log.h"
#include "model/channels.h"
#include "model/people.h"

#include <json-c/json.h>
#include <string.h>

static const char *const levels[] = { "all", "mentions", "none" };

/* Refuses control characters in a one-line text field. */
static enum px_err one_line(struct px_ctx *ctx, const char *field, const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			px_ctx_detail(ctx, "field", field);
			return PX_E_VALIDATION_FIELD_FORMAT;
		}
	return PX_OK;
}

enum px_err px_h_people_status(struct px_ctx *ctx)
{
	const char *status = NULL, *zone = NULL;
	struct json_object *o;
	enum px_err e;

	if ((e = px_in_str(ctx, "status_text", 0, 0, PX_M_STATUS_MAX, &status)) != PX_OK ||
	    (e = px_in_str(ctx, "time_zone", 0, 0, PX_M_TZ_MAX, &zone)) != PX_OK ||
	    (e = one_line(ctx, "status_text", status)) != PX_OK ||
	    (e = one_line(ctx, "time_zone", zone)) != PX_OK)
		return e;
	e = px_m_people_set_status(ctx->db, ctx->who.user_id, status ? status : "", zone ? zone : "");
	if (e == PX_E_VALIDATION_FIELD_FORMAT)
		px_ctx_detail(ctx, "field", "time_zone");
	if (e != PX_OK)
		return e;
	o = json_object_new_object();
	json_object_object_add(o, "status_text", json_object_new_string(status ? status : ""));
	json_object_object_add(o, "time_zone", json_object_new_string(zone ? zone : ""));
	return px_ctx_json(ctx, 200, o);
}

enum px_err px_h_people_notify(struct px_ctx *ctx)
{
	const char *level = NULL;
	struct px_chan_access a;
	struct json_object *o;
	enum px_err e;
	size_t i;

	if ((e = px_in_str(ctx, "level", 1, 1, 16, &level)) != PX_OK)
		return e;
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(level, levels[i]) == 0)
			break;
	if (i == sizeof(levels) / sizeof(levels[0])) {
		px_ctx_detail(ctx, "field", "level");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	if ((e = px_hm_gate(ctx, PX_CHAN_READ, &a)) != PX_OK ||
	    (e = px_m_people_set_notify(ctx->db, a.channel_id, ctx->who.user_id, levels[i])) != PX_OK)
		return e;
	o = json_object_new_object();
	json_object_object_add(o, "channel_id", json_object_new_int64(a.channel_id));
	json_object_object_add(o, "notify", json_object_new_string(levels[i]));
	return px_ctx_json(ctx, 200, o);
}

enum px_err px_h_people_settings_get(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	enum px_err e = px_m_people_settings(ctx->db, &out);

	if (e == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_people_settings_put(struct px_ctx *ctx)
{
	const char *name = NULL;
	struct px_buf fields = PX_BUF_INIT;
	enum px_err e;

	if ((e = px_in_str(ctx, "default_channel", 1, 0, 80, &name)) != PX_OK ||
	    (e = one_line(ctx, "default_channel", name)) != PX_OK)
		return e;
	e = px_m_people_set_default_channel(ctx->db, name, ctx->who.user_id);
	if (e == PX_E_VALIDATION_NOT_FOUND)
		px_ctx_detail(ctx, "field", "default_channel");
	if (e != PX_OK)
		return e;
	px_buf_puts(&fields, "{\"default_channel\":");
	px_buf_json_str(&fields, name, strlen(name));
	px_buf_putc(&fields, '}');
	px_auth_audit(ctx, "admin.settings", ctx->who.user_id, "default_channel",
		      fields.failed ? NULL : fields.data);
	px_buf_free(&fields);
	return px_h_people_settings_get(ctx);
}

void px_people_join_default(struct px_ctx *ctx, long long user)
{
	struct px_buf out = PX_BUF_INIT;
	long long channel = 0;
	enum px_err e = px_m_people_default_channel(ctx->db, &channel);

	if (e == PX_OK && channel)
		e = px_m_members_add(ctx->db, channel, user, user, &out);
	if (e != PX_OK)
		px_log_warn("people", ctx->req->correlation_id, "joining the default channel failed: %s",
			    px_err_name(e));
	px_buf_free(&out);
}
