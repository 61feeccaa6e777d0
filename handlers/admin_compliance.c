/* admin_compliance.c: the compliance export over HTTP (model/compliance.c
 * does the paging; plexichat-admin export compliance is the same from the
 * command line). */
#include "handlers/admin_compliance.h"
#include "handlers/auth_util.h"
#include "model/compliance.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHANNELS 100

/* "1,2,3" into ids one per line; 0, or -1 when it is not 1..100 positive
 * integers. */
static int channel_list(const char *s, struct px_buf *out)
{
	char *end;
	long long id;
	int n = 0;

	if (!s || !*s)
		return -1;
	for (;;) {
		if (*s < '0' || *s > '9')
			return -1;
		id = strtoll(s, &end, 10);
		if (id <= 0 || id == LLONG_MAX || ++n > MAX_CHANNELS)
			return -1;
		px_buf_printf(out, "%s%lld", out->len ? "\n" : "", id);
		if (*end == '\0')
			return out->failed ? -1 : 0;
		if (*end != ',')
			return -1;
		s = end + 1;
	}
}

static enum px_err time_param(struct px_ctx *ctx, const char *name, const char **out)
{
	*out = px_request_query(ctx->req, name);
	if (*out && (!**out || strlen(*out) > 64)) {
		px_ctx_detail(ctx, "field", name);
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	return PX_OK;
}

enum px_err px_h_admin_compliance_export(struct px_ctx *ctx)
{
	struct px_response *resp = ctx->resp;
	struct px_buf chans = PX_BUF_INIT, fields = PX_BUF_INIT;
	struct px_m_compliance_q q;
	long long limit = 1000, after = 0, next = 0;
	char hdr[24];
	enum px_err e;
	int more = 0;

	memset(&q, 0, sizeof(q));
	if (channel_list(px_request_query(ctx->req, "channels"), &chans) != 0) {
		px_ctx_detail(ctx, "field", "channels");
		e = PX_E_VALIDATION_FIELD_FORMAT;
		goto out;
	}
	if ((e = time_param(ctx, "since", &q.since)) != PX_OK ||
	    (e = time_param(ctx, "until", &q.until)) != PX_OK ||
	    (e = px_in_query_int(ctx, "limit", 1, 10000, PX_E_VALIDATION_FIELD_FORMAT, &limit)) != PX_OK ||
	    (e = px_in_query_int(ctx, "after", 0, LLONG_MAX - 1, PX_E_VALIDATION_FIELD_FORMAT,
				 &after)) != PX_OK)
		goto out;
	q.channels = chans.data;
	q.limit = (int)limit;
	q.after = after;
	px_buf_reset(&resp->body);
	if ((e = px_m_compliance_export(ctx->db, &q, &resp->body, &next, &more)) != PX_OK) {
		if (e == PX_E_VALIDATION_FIELD_FORMAT)
			px_ctx_detail(ctx, "field", "since/until");
		px_buf_reset(&resp->body);
		goto out;
	}
	/* who read which channels' messages is itself on the record */
	px_buf_puts(&fields, "{\"channels\":[");
	for (size_t i = 0; i < chans.len; i++)
		px_buf_putc(&fields, chans.data[i] == '\n' ? ',' : chans.data[i]);
	px_buf_printf(&fields, "],\"after\":%lld}", after);
	px_auth_audit(ctx, "compliance.export", ctx->who.user_id, NULL, fields.data);
	resp->status = 200;
	px_response_header(resp, "Content-Type", "application/x-ndjson; charset=utf-8");
	snprintf(hdr, sizeof(hdr), "%lld", next);
	px_response_header(resp, "X-Next-After", hdr);
	px_response_header(resp, "X-More", more ? "1" : "0");
out:
	px_buf_free(&chans);
	px_buf_free(&fields);
	return e;
}
