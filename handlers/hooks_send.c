/* hooks_send.c: sends queued outgoing webhook deliveries. A batch is
 * claimed in one statement (FOR UPDATE SKIP LOCKED, a lease on each row),
 * each delivery is signed and sent through core/safefetch, and its outcome
 * written; a sender that dies mid-batch leaves its rows to be claimed again
 * when their lease ends, so every delivery is sent at least once. */
#include "handlers/hooks_send.h"
#include "handlers/hooks.h"
#include "handlers/unfurl.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/codec.h"
#include "core/log.h"
#include "core/safefetch.h"
#include "model/hooks.h"

#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum outcome { DELIVERED, RETRY, GIVE_UP };

/* Adds one attempt's outcome to the batch's list (px_m_hooks_finish). */
static void note(struct json_object *list, long long id, enum outcome o, long status,
		 const char *why, long delay_ms)
{
	static const char *const state[] = { "delivered", "pending", "failed" };
	struct json_object *x = json_object_new_object();

	json_object_object_add(x, "id", json_object_new_int64(id));
	json_object_object_add(x, "state", json_object_new_string(state[o]));
	json_object_object_add(x, "status", status ? json_object_new_int64(status) : NULL);
	json_object_object_add(x, "error", why ? json_object_new_string(why) : NULL);
	json_object_object_add(x, "delay_ms", json_object_new_int64(delay_ms));
	json_object_array_add(list, x);
}

void px_hooks_sign(const char *secret, const char *ts, const char *body, size_t n,
		   char out[PX_HOOKS_SIG_LEN])
{
	unsigned char mac[PX_SHA256_LEN];
	struct px_buf msg = PX_BUF_INIT;
	static const char hex[] = "0123456789abcdef";
	size_t i;

	px_buf_puts(&msg, ts);
	px_buf_putc(&msg, '.');
	px_buf_append(&msg, body, n);
	px_crypto_hmac_sha256(secret, strlen(secret), msg.data ? msg.data : "", msg.len, mac);
	memcpy(out, "v1=", 3);
	for (i = 0; i < PX_SHA256_LEN; i++) {
		out[3 + 2 * i] = hex[mac[i] >> 4];
		out[4 + 2 * i] = hex[mac[i] & 15];
	}
	out[3 + 2 * PX_SHA256_LEN] = '\0';
	px_buf_free(&msg);
}

long px_hooks_backoff_ms(int attempts, unsigned rnd)
{
	long base = 1000;
	int i;

	for (i = 1; i < attempts && base < 3600L * 1000; i++)
		base *= 2;
	if (base > 3600L * 1000)
		base = 3600L * 1000;
	/* "equal jitter": half fixed, half random, so a crowd of deliveries
	 * that failed together does not come back together */
	return base / 2 + (long)(rnd % (unsigned long)(base / 2 + 1));
}

/* A reply in Slack's format posts into the channel as the hook's bot. */
static void post_reply(struct px_db *db, const struct px_cfg *cfg, long long channel,
		       const char *kind, long long bot, const struct px_sf_resp *resp,
		       const char *delivery)
{
	struct json_object *j;
	enum px_err e;

	if (resp->body.len == 0 || strncmp(resp->content_type, "application/json", 16) != 0)
		return;
	j = json_tokener_parse(resp->body.data);
	if (!j || !json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		return;
	}
	e = px_hooks_post_payload(db, cfg, channel, kind, bot, j, "outgoing webhook reply", NULL);
	if (e != PX_OK && e != PX_E_HOOK_EMPTY)
		px_log_warn("hooks", delivery, "reply not posted: %s", px_err_name(e));
	json_object_put(j);
}

/* A due reminder: posted into its channel by the reminder bot, mentioning
 * whoever set it (so they are notified). A reminder whose channel or
 * author is gone is given up. */
static void remind(struct px_db *db, const struct px_cfg *cfg, PGresult *r, int i,
		   struct json_object *done)
{
	long long id = atoll(PQgetvalue(r, i, 0)), channel = atoll(PQgetvalue(r, i, 3));
	long long bot = atoll(PQgetvalue(r, i, 4));
	const char *kind = PQgetvalue(r, i, 10), *delivery = PQgetvalue(r, i, 1);
	struct json_object *b = json_tokener_parse(PQgetvalue(r, i, 8)), *u, *t;
	struct json_object *payload = NULL;
	struct px_buf text = PX_BUF_INIT;
	enum outcome o = GIVE_UP;
	const char *why = "channel or author gone";
	enum px_err e;

	if (b && *kind && json_object_object_get_ex(b, "username", &u) &&
	    json_object_object_get_ex(b, "text", &t)) {
		px_buf_printf(&text, "@%s ⏰ Reminder: %s", json_object_get_string(u),
			      json_object_get_string(t));
		payload = json_object_new_object();
		json_object_object_add(payload, "text", json_object_new_string(
			text.data ? text.data : ""));
		e = px_hooks_post_payload(db, cfg, channel, kind, bot, payload, "reminder", NULL);
		o = e == PX_OK ? DELIVERED : e == PX_E_SYSTEM_DB_UNAVAILABLE ? RETRY : GIVE_UP;
		why = e == PX_OK ? NULL : px_err_name(e);
	}
	note(done, id, o, 0, why, 1000);
	if (o == GIVE_UP)
		px_log_warn("hooks", delivery, "reminder %lld given up: %s", id, why ? why : "");
	json_object_put(payload);
	json_object_put(b);
	px_buf_free(&text);
}

/* An unfurl job (handlers/unfurl.c): the message's link preview. Only a
 * database failure is tried again; a page that gives nothing is done. */
static void unfurl(struct px_db *db, const struct px_cfg *cfg, PGresult *r, int i,
		   struct json_object *done)
{
	long long id = atoll(PQgetvalue(r, i, 0));
	int attempts = atoi(PQgetvalue(r, i, 9));
	struct json_object *b = json_tokener_parse(PQgetvalue(r, i, 8)), *m;
	enum outcome o = GIVE_UP;
	char why[300] = "no message_id";
	unsigned rnd = 0;

	if (b && json_object_object_get_ex(b, "message_id", &m))
		o = px_unfurl_run(db, cfg, json_object_get_int64(m), why, sizeof(why)) ==
				    PX_UNFURL_DONE ? DELIVERED : RETRY;
	if (o == RETRY && attempts >= px_cfg_int(cfg, "hooks_max_attempts"))
		o = GIVE_UP;
	if (px_crypto_random(&rnd, sizeof(rnd)) != 0)
		rnd = (unsigned)id;
	note(done, id, o, 0, why, px_hooks_backoff_ms(attempts, rnd));
	json_object_put(b);
}

/* Sends one claimed row (columns as px_m_hooks_claim gives them). */
static void send_one(struct px_db *db, const struct px_cfg *cfg, PGresult *r, int i,
		     struct json_object *done)
{
	long long id = atoll(PQgetvalue(r, i, 0)), channel = atoll(PQgetvalue(r, i, 3));
	long long bot = atoll(PQgetvalue(r, i, 4));
	const char *delivery = PQgetvalue(r, i, 1), *url = PQgetvalue(r, i, 5);
	const char *sealed = PQgetvalue(r, i, 6), *kind = PQgetvalue(r, i, 7);
	const char *body = PQgetvalue(r, i, 8), *chan_kind = PQgetvalue(r, i, 10);
	int attempts = atoi(PQgetvalue(r, i, 9));
	char ctx[48], ts[24], sig[PX_HOOKS_SIG_LEN], h_ev[96], h_id[80], h_ts[64], h_sig[120];
	const char *headers[] = { "Content-Type: application/json", h_ev, h_id, h_ts, h_sig,
				  NULL };
	struct px_buf secret = PX_BUF_INIT;
	struct px_sf_req req = { 0 };
	struct px_sf_resp resp = { 0 };
	enum px_sf_result res;
	enum outcome o = RETRY;
	const char *why = NULL;
	unsigned rnd = 0;

	snprintf(ctx, sizeof(ctx), "hook:%lld", channel);
	if (px_crypto_open(cfg, ctx, sealed, &secret) != PX_OK || !secret.data) {
		why = "secret cannot be opened (secret_key changed?)";
		o = GIVE_UP;
		goto record;
	}
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	px_hooks_sign(secret.data, ts, body, strlen(body), sig);
	snprintf(h_ev, sizeof(h_ev), "X-PlexiChat-Event: %s", kind);
	snprintf(h_id, sizeof(h_id), "X-PlexiChat-Delivery: %s", delivery);
	snprintf(h_ts, sizeof(h_ts), "X-PlexiChat-Timestamp: %s", ts);
	snprintf(h_sig, sizeof(h_sig), "X-PlexiChat-Signature: %s", sig);
	req.method = "POST";
	req.url = url;
	req.body = body;
	req.body_len = strlen(body);
	req.headers = headers;
	req.allow = px_cfg_str(cfg, "outbound_allow_private");
	req.max_bytes = (size_t)px_cfg_int(cfg, "hooks_max_response_bytes");
	req.timeout_ms = (long)px_cfg_int(cfg, "hooks_timeout_ms");
	req.max_redirects = (int)px_cfg_int(cfg, "hooks_max_redirects");
	res = px_sf_fetch(&req, &resp);
	if (res == PX_SF_DONE && resp.status >= 200 && resp.status < 300) {
		o = DELIVERED;
		post_reply(db, cfg, channel, chan_kind, bot, &resp, delivery);
	} else if (res == PX_SF_REFUSED || res == PX_SF_BAD_URL) {
		/* policy, not an outage: trying again cannot help */
		o = GIVE_UP;
		why = resp.detail;
	} else if (res == PX_SF_DONE) {
		why = "answer not 2xx";
		/* a refusal that will not change (410 Gone, 400) ends it */
		if (resp.status >= 400 && resp.status < 500 && resp.status != 408 &&
		    resp.status != 425 && resp.status != 429)
			o = GIVE_UP;
	} else
		why = resp.detail[0] ? resp.detail : px_sf_result_name(res);
	if (o == RETRY && attempts >= px_cfg_int(cfg, "hooks_max_attempts"))
		o = GIVE_UP;
record:
	if (px_crypto_random(&rnd, sizeof(rnd)) != 0)
		rnd = (unsigned)id;
	note(done, id, o, resp.status, why, px_hooks_backoff_ms(attempts, rnd));
	if (o == GIVE_UP)
		px_log_warn("hooks", delivery, "delivery %lld given up after %d attempt(s): %s",
			    id, attempts, why ? why : "");
	if (secret.data)
		px_crypto_wipe(secret.data, secret.len);
	px_buf_free(&secret);
	px_buf_free(&resp.body);
}

int px_hooks_send_batch(struct px_db *db, const struct px_cfg *cfg, int max)
{
	struct json_object *done = json_object_new_array();
	/* the lease outlasts a whole batch of requests that all time out, so
	 * no other sender takes a row this one is still working through */
	int lease = 60 + max * (int)(px_cfg_int(cfg, "hooks_timeout_ms") / 1000 + 1);
	PGresult *r = NULL;
	int n, i;

	if (!done || px_m_hooks_claim(db, max, lease, &r) != PX_OK) {
		json_object_put(done);
		return -1;
	}
	n = PQntuples(r);
	for (i = 0; i < n; i++) {
		if (strcmp(PQgetvalue(r, i, 7), "reminder") == 0)
			remind(db, cfg, r, i, done);
		else if (strcmp(PQgetvalue(r, i, 7), "unfurl") == 0)
			unfurl(db, cfg, r, i, done);
		else
			send_one(db, cfg, r, i, done);
	}
	PQclear(r);
	if (n && px_m_hooks_finish(db, json_object_to_json_string_ext(done, JSON_C_TO_STRING_PLAIN))
		     != PX_OK)
		px_log_warn("hooks", NULL, "outcomes of %d deliveries not recorded; they are sent "
			    "again when their lease ends", n);
	json_object_put(done);
	return n;
}
