/* wsd_frames.c: a socket's incoming frames (ws/wsd_frames.h). */
#include "ws/wsd_frames.h"
#include "ws/wsd_work.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The HTTP request one frame stands for, in req; *pre gets
 * PX_E_SYSTEM_INTERNAL when memory ran short. */
static void build_request(struct conn *c, const char *method, const char *path,
			  const char *body, size_t n, struct px_request *req, enum px_err *pre)
{
	size_t i;

	*pre = PX_OK;
	req->method = strdup(method);
	req->raw_path = strdup(path);
	req->raw_query = strdup("");
	req->content_type = strdup("application/json");
	req->remote_addr = strdup(c->remote);
	req->body = strndup(body, n);
	req->body_len = n;
	req->content_length = n;
	for (i = 0; i < c->hdrs.n; i++)
		if (px_kvlist_add(&req->headers, c->hdrs.items[i].name, strlen(c->hdrs.items[i].name),
				  c->hdrs.items[i].value, c->hdrs.items[i].value_len) != 0)
			*pre = PX_E_SYSTEM_INTERNAL;
	/* the socket passed the Origin check; its session's CSRF token goes
	 * with each frame, as the page's script sends it with each request */
	if (c->g.csrf[0] && px_kvlist_add(&req->headers, "x-csrf-token", 12, c->g.csrf,
					  strlen(c->g.csrf)) != 0)
		*pre = PX_E_SYSTEM_INTERNAL;
	if (!req->method || !req->raw_path || !req->raw_query || !req->content_type ||
	    !req->remote_addr || !req->body)
		*pre = PX_E_SYSTEM_INTERNAL;
}

/* The answer to a frame: {"type":"reply","ref":REF,"status":S,"body":B}. */
static void reply(struct px_wsd *d, struct conn *c, const char *ref,
		  const struct px_response *resp)
{
	struct px_buf b = PX_BUF_INIT;

	px_buf_printf(&b, "{\"type\":\"reply\",\"ref\":%s,\"status\":%d,\"body\":",
		      ref ? ref : "null", resp->status);
	if (resp->body.len && resp->body.data[0] == '{')
		px_buf_append(&b, resp->body.data, resp->body.len);
	else
		px_buf_puts(&b, "null");
	px_buf_putc(&b, '}');
	px_wsd_send_text(d, c, &b);
	px_buf_free(&b);
}

static long long field_id(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

/* {"type":"typing","channel_id":N} and {"type":"read","channel_id":N,
 * "message_id":M} become POST .../typing and PUT .../read-marker with the
 * frame as their body; anything else is judged by the WAF as a request to
 * this socket's own path and refused. The request goes to the worker
 * (ws/wsd_work.h); px_wsd_frames_done answers it. */
static void on_text(struct px_wsd *d, struct conn *c, const char *p, size_t n)
{
	/* the payload is not NUL-terminated: parse a copy of exactly its bytes */
	char *text = strndup(p, n);
	struct json_object *o = text ? json_tokener_parse(text) : NULL, *ref = NULL, *t;
	struct px_wsd_job *j = calloc(1, sizeof(*j));
	const char *type = NULL, *method = "POST";
	char path[96] = "/api/v1/events/ws";
	long long ch = -1;

	if (!j) {
		c->dead = 1;    /* out of memory: the client resumes elsewhere */
		goto out;
	}
	px_request_init(&j->req);
	px_response_init(&j->resp);
	if (o && json_object_is_type(o, json_type_object)) {
		json_object_object_get_ex(o, "ref", &ref);
		if (json_object_object_get_ex(o, "type", &t) && json_object_is_type(t, json_type_string))
			type = json_object_get_string(t);
		ch = field_id(o, "channel_id");
	}
	if (type && ch > 0 && strcmp(type, "typing") == 0) {
		snprintf(path, sizeof(path), "/api/v1/channels/%lld/typing", ch);
	} else if (type && ch > 0 && strcmp(type, "read") == 0) {
		snprintf(path, sizeof(path), "/api/v1/channels/%lld/read-marker", ch);
		method = "PUT";
	}
	j->unknown = strcmp(path, "/api/v1/events/ws") == 0;
	build_request(c, method, path, p, n, &j->req, &j->pre);
	if (ref && !(j->ref = strdup(json_object_to_json_string_ext(ref, JSON_C_TO_STRING_PLAIN))))
		j->pre = PX_E_SYSTEM_INTERNAL;
	j->c = c;
	c->jobs++;
	d->work++;
	px_wsd_work_submit(d->worker, j);
out:
	json_object_put(o);
	free(text);
}

/* Answers one finished frame; a frame the WAF blocked closes the socket
 * (1008), revoked credentials close it (4003), and its frames still
 * queued are not run. */
static void finish(struct px_wsd *d, struct conn *c, struct px_wsd_job *j)
{
	struct px_response *resp = &j->resp;

	if (j->unknown && (resp->status < 400 || resp->status == 405 || resp->status == 404)) {
		/* the WAF let it pass; what remains is that it means nothing */
		px_response_clear(resp);
		px_response_init(resp);
		px_response_error(resp, PX_E_VALIDATION_FAILED,
				  "{\"reason\":\"unknown frame: want type typing or read\"}", NULL);
	}
	reply(d, c, j->ref, resp);
	if (resp->status == 403 && resp->body.data && strstr(resp->body.data, "\"SECURITY_")) {
		px_wsd_close(d, c, PX_WS_CLOSE_POLICY, "blocked by the WAF");
		px_wsd_work_skip(d->worker, c);
	} else if (resp->status == 401) {
		px_wsd_close(d, c, PX_WS_CLOSE_REVOKED, "credentials revoked");
		px_wsd_work_skip(d->worker, c);
	}
}

void px_wsd_frames_done(struct px_wsd *d)
{
	struct px_wsd_job *j = px_wsd_work_done(d->worker), *next;

	for (; j; j = next) {
		struct conn *c = j->c;

		next = j->next;
		c->jobs--;
		/* a socket that closes meanwhile gets no more answers, as when
		 * the loop stopped reading its frames */
		if (!j->skip && !c->dead && c->state == ST_OPEN)
			finish(d, c, j);
		px_wsd_job_free(j);
	}
}

static void on_message(struct px_wsd *d, struct conn *c, const struct px_ws_msg *m)
{
	switch (m->op) {
	case PX_WS_PING:
		px_wsd_send(d, c, PX_WS_PONG, m->data, m->len);
		break;
	case PX_WS_PONG:
		break;
	case PX_WS_CLOSE:
		if (c->state == ST_OPEN) {
			int code = m->len >= 2 ? ((unsigned char)m->data[0] << 8 |
						  (unsigned char)m->data[1]) : PX_WS_CLOSE_NORMAL;

			px_wsd_close(d, c, code, "");
		}
		break;
	case PX_WS_TEXT:
		on_text(d, c, m->data, m->len);
		break;
	default:
		px_wsd_close(d, c, PX_WS_CLOSE_BAD_DATA, "binary frames are not used");
	}
}

/* Frames from the bytes read; what is left of an incomplete one waits in
 * c->in. */
void px_wsd_frames(struct px_wsd *d, struct conn *c, char *p, size_t n)
{
	while (n && !c->dead && c->state == ST_OPEN) {
		struct px_ws_msg m;
		size_t used = 0;
		int code = 0;
		enum px_ws_result r = px_ws_parse(&c->parser, p, n, &used, &m, &code);

		if (r == PX_WS_ERROR) {
			px_wsd_close(d, c, code, "protocol error");
			return;
		}
		if (r == PX_WS_NEED_MORE)
			break;
		on_message(d, c, &m);
		p += used;
		n -= used;
	}
	if (c->state != ST_OPEN)
		n = 0;
	if (n && (char *)p != c->in.data) {
		struct px_buf rest = PX_BUF_INIT;

		px_buf_append(&rest, p, n);
		px_buf_free(&c->in);
		c->in = rest;
		if (c->in.failed)
			c->dead = 1;
	} else if (!n) {
		px_buf_free(&c->in);
	}
}
