/* channels.c: channel and membership handlers: validated input, the
 * channel gate, then one model call. */
#include "handlers/channels.h"
#include "model/channels.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "handlers/files.h"

#include <json-c/json.h>
#include <string.h>

#define MAX_TOPIC 250
#define MAX_INITIAL_MEMBERS 50

static enum px_err check_name(struct px_ctx *ctx, const char *name)
{
	if (name && !px_m_channel_name_ok(name)) {
		px_ctx_detail(ctx, "field", "name");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	return PX_OK;
}

enum px_err px_h_channels_list(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	const char *browse = px_request_query(ctx->req, "browse");
	enum px_err e;

	if (browse && strcmp(browse, "1") == 0)
		e = px_m_channels_browse(ctx->db, ctx->who.user_id, &out);
	else
		e = px_m_channels_mine(ctx->db, ctx->who.user_id, &out);
	if (e == PX_OK) {
		px_hm_seen(ctx, 0);
		e = px_hm_reply(ctx, 200, &out);
	}
	px_buf_free(&out);
	return e;
}

/* Resolves the "members" array (ids or usernames) into ids. */
static enum px_err read_members(struct px_ctx *ctx, long long *ids, size_t *n)
{
	struct json_object *arr = NULL, *it;
	size_t i, len;
	enum px_err e;

	*n = 0;
	if (!ctx->req->json || !json_object_object_get_ex(ctx->req->json, "members", &arr))
		return PX_OK;
	len = json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	if (!json_object_is_type(arr, json_type_array) || len > MAX_INITIAL_MEMBERS) {
		px_ctx_detail(ctx, "field", "members");
		return json_object_is_type(arr, json_type_array) ? PX_E_VALIDATION_FIELD_LENGTH
								 : PX_E_VALIDATION_FIELD_TYPE;
	}
	for (i = 0; i < len; i++) {
		it = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(it, json_type_int) &&
		    !json_object_is_type(it, json_type_string)) {
			px_ctx_detail(ctx, "field", "members");
			return PX_E_VALIDATION_FIELD_TYPE;
		}
		e = px_hm_user_ref(ctx, json_object_get_string(it), &ids[i]);
		if (e != PX_OK) {
			px_ctx_detail(ctx, "member", json_object_get_string(it));
			return e;
		}
	}
	*n = len;
	return PX_OK;
}

/* Checks that kind, name and the member count agree. */
static enum px_err check_shape(struct px_ctx *ctx, const char *kind, const char *name,
			       const long long *ids, size_t n)
{
	int named = strcmp(kind, "public") == 0 || strcmp(kind, "private") == 0;
	size_t others = 0, i;

	for (i = 0; i < n; i++)
		others += ids[i] != ctx->who.user_id;
	if (!named && strcmp(kind, "dm") != 0 && strcmp(kind, "group") != 0) {
		px_ctx_detail(ctx, "field", "kind");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	if (named && !name) {
		px_ctx_detail(ctx, "field", "name");
		return PX_E_VALIDATION_MISSING_FIELD;
	}
	if (!named && name) {
		px_ctx_detail(ctx, "field", "name");
		return PX_E_VALIDATION_FAILED;
	}
	if ((strcmp(kind, "dm") == 0 && others != 1) ||
	    (strcmp(kind, "group") == 0 && others < 2)) {
		px_ctx_detail(ctx, "field", "members");
		return PX_E_VALIDATION_FIELD_LENGTH;
	}
	return check_name(ctx, name);
}

enum px_err px_h_channels_create(struct px_ctx *ctx)
{
	struct px_m_channel_new c = { 0 };
	long long ids[MAX_INITIAL_MEMBERS];
	struct px_buf out = PX_BUF_INIT;
	const char *kind = NULL;
	int created = 0;
	enum px_err e;

	if ((e = px_in_str(ctx, "kind", 0, 1, 16, &kind)) != PX_OK ||
	    (e = px_in_str(ctx, "name", 0, 1, 80, &c.name)) != PX_OK ||
	    (e = px_in_str(ctx, "topic", 0, 0, MAX_TOPIC, &c.topic)) != PX_OK ||
	    (e = read_members(ctx, ids, &c.nmembers)) != PX_OK)
		return e;
	c.kind = kind ? kind : "public";
	if ((e = check_shape(ctx, c.kind, c.name, ids, c.nmembers)) != PX_OK)
		return e;
	c.creator = ctx->who.user_id;
	c.members = ids;
	e = px_m_channels_create(ctx->db, &c, &created, &out);
	if (e == PX_E_VALIDATION_CONFLICT)
		px_ctx_detail(ctx, "field", "name");
	if (e == PX_OK)
		e = px_hm_reply(ctx, created ? 201 : 200, &out);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_channels_get(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_READ, &a)) == PX_OK &&
	    (e = px_m_channels_get(ctx->db, a.channel_id, ctx->who.user_id, &out)) == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

/* Applies name/topic/archived, each behind its own permission. */
static enum px_err update(struct px_ctx *ctx, const char *name, const char *topic,
			  int archived)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, archived >= 0 ? PX_CHAN_ARCHIVE : PX_CHAN_MANAGE, &a)) != PX_OK)
		return e;
	if (archived >= 0 && (name || topic) &&
	    (e = px_chan_check(&a, PX_CHAN_MANAGE)) != PX_OK)
		return e;
	if (archived >= 0 && a.archived && (name || topic))
		return PX_E_VALIDATION_CHANNEL_ARCHIVED;
	if (name && strcmp(a.kind, "public") != 0 && strcmp(a.kind, "private") != 0) {
		px_ctx_detail(ctx, "field", "name");
		return PX_E_VALIDATION_FAILED;
	}
	e = px_m_channels_update(ctx->db, a.channel_id, ctx->who.user_id, name, topic,
				 archived, &out);
	if (e == PX_E_VALIDATION_CONFLICT)
		px_ctx_detail(ctx, "field", "name");
	if (e == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_channels_patch(struct px_ctx *ctx)
{
	const char *name = NULL, *topic = NULL;
	struct json_object *j = NULL;
	int archived = -1, has_retention = 0, retention = 0;
	enum px_err e;

	if ((e = px_in_str(ctx, "name", 0, 1, 80, &name)) != PX_OK ||
	    (e = px_in_str(ctx, "topic", 0, 0, MAX_TOPIC, &topic)) != PX_OK ||
	    (e = check_name(ctx, name)) != PX_OK ||
	    (e = px_hf_retention_value(ctx, &has_retention, &retention)) != PX_OK)
		return e;
	if (ctx->req->json && json_object_object_get_ex(ctx->req->json, "archived", &j)) {
		if (!json_object_is_type(j, json_type_boolean)) {
			px_ctx_detail(ctx, "field", "archived");
			return PX_E_VALIDATION_FIELD_TYPE;
		}
		archived = json_object_get_boolean(j);
	}
	if (!name && !topic && archived < 0 && !has_retention)
		return PX_E_VALIDATION_MISSING_FIELD;
	/* files_retention_days: the files area's setting (handlers/files.c) */
	if (has_retention && (e = px_hf_retention_set(ctx, retention)) != PX_OK)
		return e;
	if (!name && !topic && archived < 0) {
		struct px_buf out = PX_BUF_INIT;

		if ((e = px_m_channels_get(ctx->db, px_path_int(&ctx->path, "id"), ctx->who.user_id,
					   &out)) == PX_OK)
			e = px_hm_reply(ctx, 200, &out);
		px_buf_free(&out);
		return e;
	}
	return update(ctx, name, topic, archived);
}

enum px_err px_h_channels_topic(struct px_ctx *ctx)
{
	const char *topic = NULL;
	enum px_err e;

	if ((e = px_in_str(ctx, "topic", 1, 0, MAX_TOPIC, &topic)) != PX_OK)
		return e;
	return update(ctx, NULL, topic, -1);
}

enum px_err px_h_channels_members(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_READ, &a)) == PX_OK &&
	    (e = px_m_members_list(ctx->db, a.channel_id, &out)) == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

/* Adds user: oneself joins, anyone else is invited. */
static enum px_err add(struct px_ctx *ctx, long long user)
{
	int self = user == ctx->who.user_id;
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, self ? PX_CHAN_JOIN : PX_CHAN_INVITE, &a)) != PX_OK)
		return e;
	e = px_m_members_add(ctx->db, a.channel_id, user, ctx->who.user_id, &out);
	if (e == PX_OK)
		e = px_hm_reply(ctx, 201, &out);
	px_buf_free(&out);
	return e;
}

/* Body {"user": id or username}; without it the caller joins. */
enum px_err px_h_channels_member_add(struct px_ctx *ctx)
{
	struct json_object *j = NULL;
	long long user = ctx->who.user_id;
	enum px_err e;

	if (ctx->req->json && json_object_object_get_ex(ctx->req->json, "user", &j)) {
		if (!json_object_is_type(j, json_type_int) &&
		    !json_object_is_type(j, json_type_string)) {
			px_ctx_detail(ctx, "field", "user");
			return PX_E_VALIDATION_FIELD_TYPE;
		}
		if ((e = px_hm_user_ref(ctx, json_object_get_string(j), &user)) != PX_OK)
			return e;
	}
	return add(ctx, user);
}

enum px_err px_h_channels_member_put(struct px_ctx *ctx)
{
	long long user;
	enum px_err e = px_hm_user_param(ctx, &user);

	return e != PX_OK ? e : add(ctx, user);
}

enum px_err px_h_channels_member_patch(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	const char *role = NULL;
	long long user;
	enum px_err e;

	if ((e = px_in_str(ctx, "role", 1, 1, 16, &role)) != PX_OK)
		return e;
	if (strcmp(role, "owner") && strcmp(role, "moderator") && strcmp(role, "member")) {
		px_ctx_detail(ctx, "field", "role");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	if ((e = px_hm_gate(ctx, PX_CHAN_SET_ROLE, &a)) != PX_OK ||
	    (e = px_hm_user_param(ctx, &user)) != PX_OK)
		return e;
	e = px_m_members_set_role(ctx->db, a.channel_id, user, role, &out);
	if (e == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_channels_member_delete(struct px_ctx *ctx)
{
	struct px_chan_access a, target;
	long long user;
	enum px_err e;

	if ((e = px_hm_user_param(ctx, &user)) != PX_OK)
		return e;
	if (user == ctx->who.user_id) {
		e = px_hm_gate(ctx, PX_CHAN_LEAVE, &a);
	} else if ((e = px_hm_gate(ctx, PX_CHAN_REMOVE, &a)) == PX_OK) {
		/* removing an owner takes the power to change roles */
		target = a;
		e = px_m_members_role(ctx->db, a.channel_id, user, &target.role);
		if (e == PX_OK && target.role == PX_CHAN_OWNER)
			e = px_chan_check(&a, PX_CHAN_SET_ROLE);
	}
	if (e == PX_OK)
		e = px_m_members_remove(ctx->db, a.channel_id, user, ctx->who.user_id);
	if (e == PX_OK)
		ctx->resp->status = 204;
	return e;
}

enum px_err px_h_channels_read_marker(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	long long message = 0;
	enum px_err e;

	if ((e = px_in_int(ctx, "message_id", 0, 9223372036854775807LL, &message)) != PX_OK)
		return e;
	if ((e = px_hm_gate(ctx, PX_CHAN_READ, &a)) != PX_OK)
		return e;
	if (a.role == PX_CHAN_NONE)
		return PX_E_AUTH_NOT_CHANNEL_MEMBER;
	e = px_m_read_marker_set(ctx->db, a.channel_id, ctx->who.user_id, message, &out);
	if (e == PX_OK) {
		px_hm_seen(ctx, 1);
		e = px_hm_reply(ctx, 200, &out);
	}
	px_buf_free(&out);
	return e;
}

enum px_err px_h_channels_typing(struct px_ctx *ctx)
{
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_POST, &a)) != PX_OK ||
	    (e = px_m_typing(ctx->db, a.channel_id, ctx->who.user_id)) != PX_OK)
		return e;
	px_hm_seen(ctx, 1);
	ctx->resp->status = 204;
	return PX_OK;
}
