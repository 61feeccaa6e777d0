/* model/notify_run.c: the sender's pass (see notify_run.h): digests built
 * from the rows model/notify.c takes, mailed through core/mail, and pushes
 * sealed and signed by core/webpush. */
#include "model/notify_run.h"
#include "model/notify.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/mail.h"
#include "core/webpush.h"
#include "web/i18n.h"
#include "web/tmpl.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* pg_try_advisory_lock key of a pass: one sender at a time. */
#define PASS_LOCK "7243135"
#define DUE_BATCH 50
#define PUSH_BATCH 200

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v) || !v)
		return "";
	return json_object_get_string(v);
}

static long long jint(struct json_object *o, const char *k)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

enum px_err px_m_notify_unsub_token(const struct px_cfg *cfg, long long user,
				    char out[PX_M_UNSUB_TOKEN_MAX])
{
	unsigned char key[32], mac[32];
	struct px_buf b = PX_BUF_INIT;
	char msg[40];
	enum px_err e;

	out[0] = '\0';
	if ((e = px_crypto_subkey(cfg, "notify-unsubscribe", key)) != PX_OK)
		return e;
	snprintf(msg, sizeof(msg), "u:%lld", user);
	px_crypto_hmac_sha256(key, sizeof(key), msg, strlen(msg), mac);
	px_crypto_wipe(key, sizeof(key));
	px_codec_b64_encode(&b, mac, sizeof(mac), PX_CODEC_B64_URL);
	if (b.failed || b.len >= PX_M_UNSUB_TOKEN_MAX)
		e = PX_E_SYSTEM_INTERNAL;
	else
		memcpy(out, b.data, b.len + 1);
	px_buf_free(&b);
	return e;
}

int px_m_notify_unsub_valid(const struct px_cfg *cfg, long long user, const char *token)
{
	char want[PX_M_UNSUB_TOKEN_MAX];

	if (!token || user <= 0 || px_m_notify_unsub_token(cfg, user, want) != PX_OK)
		return 0;
	return px_crypto_streq(want, token);
}

/* msgid in lang (the account's UI language, "" or NULL: English). */
static const char *tr(const char *lang, const char *msgid)
{
	if (!lang || !*lang)
		return msgid;
	return px_i18n_gettext(px_i18n_get(NULL, NULL), lang, msgid);
}

/* The link to item it in the web UI: its channel, its thread, the message. */
static void item_link(const struct px_cfg *cfg, struct json_object *it, struct px_buf *out)
{
	px_buf_printf(out, "%s/c/%lld", px_cfg_str(cfg, "public_url"), jint(it, "channel_id"));
	if (jint(it, "root_id"))
		px_buf_printf(out, "/thread/%lld", jint(it, "root_id"));
	px_buf_printf(out, "#m%lld", jint(it, "message_id"));
}

/* "in #name" or "in a direct message" for item it, in lang. */
static void item_where(struct json_object *it, const char *lang, struct px_buf *out)
{
	if (*jstr(it, "channel"))
		px_buf_printf(out, tr(lang, "in #%s"), jstr(it, "channel"));
	else
		px_buf_puts(out, tr(lang, "in a direct message"));
}

/* The HTML part: Mustache escapes every value ({{x}} only). */
static const char DIGEST_HTML[] =
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{{subject}}</title></head>\n"
	"<body>\n<p>{{hello}}</p>\n<p>{{intro}}</p>\n<ul>\n"
	"{{#items}}<li><p><strong>{{author}}</strong> {{where}}, {{at}}:</p>\n"
	"<blockquote>{{text}}</blockquote>\n<p><a href=\"{{link}}\">{{open}}</a></p></li>\n"
	"{{/items}}</ul>\n<p><a href=\"{{home}}/notifications\">{{all}}</a></p>\n"
	"<p>{{why}}\n<a href=\"{{unsubscribe}}\">{{off}}</a></p>\n</body></html>\n";

/* Builds the digest of items for user u into subject, text, html and
 * headers, in u's UI language. */
static enum px_err digest(const struct px_cfg *cfg, struct json_object *u,
			  struct json_object *items, struct px_buf *subject, struct px_buf *text,
			  struct px_buf *html, struct px_buf *headers)
{
	struct json_object *ctx = json_object_new_object(), *list = json_object_new_array();
	const char *lang = jstr(u, "lang"), *home = px_cfg_str(cfg, "public_url");
	char tok[PX_M_UNSUB_TOKEN_MAX];
	struct px_buf unsub = PX_BUF_INIT, hello = PX_BUF_INIT, err = PX_BUF_INIT;
	size_t i, n = json_object_array_length(items);
	enum px_err e = PX_E_SYSTEM_INTERNAL;

	if (!ctx || !list || px_m_notify_unsub_token(cfg, jint(u, "id"), tok) != PX_OK)
		goto out;
	px_buf_printf(&unsub, "%s/unsubscribe?u=%lld&t=%s", home, jint(u, "id"), tok);
	px_buf_printf(subject, "[PlexiChat] %s: %zu", tr(lang, "Unread messages"), n);
	px_buf_printf(&hello, "%s %s,", tr(lang, "Hello"), jstr(u, "username"));
	px_buf_printf(text, "%s\n\n%s\n\n", hello.data,
		      tr(lang, "These mentions and direct messages are waiting for you:"));
	for (i = 0; i < n; i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		struct json_object *o = json_object_new_object();
		struct px_buf where = PX_BUF_INIT, link = PX_BUF_INIT;

		item_where(it, lang, &where);
		item_link(cfg, it, &link);
		px_buf_printf(text, "* %s %s, %s:\n  %s\n  %s\n\n", jstr(it, "author"),
			      where.data ? where.data : "", jstr(it, "created_at"),
			      jstr(it, "text"), link.data ? link.data : "");
		json_object_object_add(o, "author", json_object_new_string(jstr(it, "author")));
		json_object_object_add(o, "where", json_object_new_string(where.data ? where.data : ""));
		json_object_object_add(o, "at", json_object_new_string(jstr(it, "created_at")));
		json_object_object_add(o, "text", json_object_new_string(jstr(it, "text")));
		json_object_object_add(o, "link", json_object_new_string(link.data ? link.data : ""));
		json_object_array_add(list, o);
		px_buf_free(&where);
		px_buf_free(&link);
	}
	px_buf_printf(text, "%s: %s/notifications\n\n%s\n%s: %s\n", tr(lang, "All notifications"),
		      home, tr(lang, "You get this because e-mail notifications are on in your settings."),
		      tr(lang, "Turn them off"), unsub.data);
	json_object_object_add(ctx, "subject", json_object_new_string(subject->data));
	json_object_object_add(ctx, "hello", json_object_new_string(hello.data ? hello.data : ""));
	json_object_object_add(ctx, "intro", json_object_new_string(
		tr(lang, "These mentions and direct messages are waiting for you:")));
	json_object_object_add(ctx, "items", list);
	list = NULL;
	json_object_object_add(ctx, "open", json_object_new_string(tr(lang, "Open the message")));
	json_object_object_add(ctx, "all", json_object_new_string(tr(lang, "All notifications")));
	json_object_object_add(ctx, "why", json_object_new_string(
		tr(lang, "You get this because e-mail notifications are on in your settings.")));
	json_object_object_add(ctx, "off", json_object_new_string(tr(lang, "Turn them off")));
	json_object_object_add(ctx, "home", json_object_new_string(home));
	json_object_object_add(ctx, "unsubscribe", json_object_new_string(unsub.data));
	if (px_tmpl_render_string(DIGEST_HTML, ctx, NULL, html, &err) != 0)
		goto out;
	px_buf_printf(headers, "List-Unsubscribe: <%s>\r\n"
			       "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
			       "Auto-Submitted: auto-generated\r\n", unsub.data);
	e = subject->failed || text->failed || html->failed || headers->failed || unsub.failed ||
		    hello.failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
out:
	json_object_put(list);
	json_object_put(ctx);
	px_buf_free(&unsub);
	px_buf_free(&hello);
	px_buf_free(&err);
	return e;
}

struct mail_job {
	const struct px_cfg *cfg;
	struct json_object *user;
	int items;
};

/* In the transaction: takes user's due items, mails them; an error rolls
 * the marks back. */
static enum px_err mail_tx(struct px_db *db, void *arg)
{
	struct mail_job *j = arg;
	struct px_buf rows = PX_BUF_INIT, subject = PX_BUF_INIT, text = PX_BUF_INIT,
		      html = PX_BUF_INIT, headers = PX_BUF_INIT;
	struct json_object *items = NULL;
	struct px_mail_msg m;
	enum px_err e;

	e = px_m_notify_mail_take(db, jint(j->user, "id"), (int)jint(j->user, "minutes"), &rows);
	if (e != PX_OK)
		goto out;
	e = PX_E_SYSTEM_INTERNAL;
	if (!(items = json_tokener_parse(rows.data)) || !json_object_is_type(items, json_type_array))
		goto out;
	if ((e = digest(j->cfg, j->user, items, &subject, &text, &html, &headers)) != PX_OK)
		goto out;
	m.to = jstr(j->user, "email");
	m.subject = subject.data;
	m.text = text.data;
	m.html = html.data;
	m.headers = headers.data;
	if ((e = px_mail_send_msg(j->cfg, &m)) == PX_OK)
		j->items = (int)json_object_array_length(items);
out:
	json_object_put(items);
	px_buf_free(&rows);
	px_buf_free(&subject);
	px_buf_free(&text);
	px_buf_free(&html);
	px_buf_free(&headers);
	return e;
}

static enum px_err mail_pass(struct px_db *db, const struct px_cfg *cfg,
			     struct px_m_notify_stats *st)
{
	struct px_buf due = PX_BUF_INIT;
	struct json_object *list = NULL;
	enum px_err e;
	size_t i;

	if (!px_mail_enabled(cfg))
		return PX_OK;
	e = px_m_notify_mail_due(db, (int)px_cfg_int(cfg, "notify_mail_max_per_hour"),
				 DUE_BATCH, &due);
	if (e != PX_OK)
		goto out;
	if (!(list = json_tokener_parse(due.data))) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	for (i = 0; i < json_object_array_length(list); i++) {
		struct mail_job j = { cfg, json_object_array_get_idx(list, i), 0 };
		enum px_err r = px_db_tx(db, mail_tx, &j);

		if (r == PX_OK) {
			st->digests++;
			st->mailed += j.items;
		} else if (r != PX_E_VALIDATION_NOT_FOUND) {
			st->mail_failed++;
			px_log_warn("notify", NULL, "digest for user %lld not sent: %s",
				    jint(j.user, "id"), px_err_name(r));
			if (r == PX_E_SYSTEM_DB_UNAVAILABLE) {
				e = r;
				break;
			}
		}
	}
out:
	json_object_put(list);
	px_buf_free(&due);
	return e;
}

/* The VAPID key pair, made and stored on first use. */
static enum px_err vapid_keys(struct px_db *db, const struct px_cfg *cfg,
			      unsigned char priv[PX_WEBPUSH_PRIV], unsigned char pub[PX_WEBPUSH_PUB])
{
	struct px_buf b64 = PX_BUF_INIT, sealed = PX_BUF_INIT, raw = PX_BUF_INIT;
	enum px_err e = px_m_push_vapid_get(db, &b64, &sealed);

	if (e == PX_E_VALIDATION_NOT_FOUND) {
		if ((e = px_webpush_keygen(priv, pub)) != PX_OK ||
		    (e = px_crypto_seal(cfg, "push-vapid", priv, PX_WEBPUSH_PRIV, &sealed)) != PX_OK)
			goto out;
		px_codec_b64_encode(&b64, pub, PX_WEBPUSH_PUB, PX_CODEC_B64_URL);
		if (b64.failed || (e = px_m_push_vapid_put(db, b64.data, sealed.data)) != PX_OK)
			goto out;
		px_buf_reset(&b64);
		px_buf_reset(&sealed);
		e = px_m_push_vapid_get(db, &b64, &sealed); /* another process may have won */
	}
	if (e != PX_OK || (e = px_crypto_open(cfg, "push-vapid", sealed.data, &raw)) != PX_OK)
		goto out;
	e = PX_E_SYSTEM_INTERNAL;
	if (raw.len != PX_WEBPUSH_PRIV)
		goto out;
	memcpy(priv, raw.data, PX_WEBPUSH_PRIV);
	px_buf_reset(&sealed);
	if (px_codec_b64_decode(b64.data, b64.len, PX_CODEC_B64_URL, &sealed) != 0 ||
	    sealed.len != PX_WEBPUSH_PUB)
		goto out;
	memcpy(pub, sealed.data, PX_WEBPUSH_PUB);
	e = PX_OK;
out:
	if (raw.data)
		px_crypto_wipe(raw.data, raw.len);
	px_buf_free(&raw);
	px_buf_free(&b64);
	px_buf_free(&sealed);
	return e;
}

enum px_err px_m_notify_vapid_public(struct px_db *db, const struct px_cfg *cfg,
				     struct px_buf *out)
{
	unsigned char priv[PX_WEBPUSH_PRIV], pub[PX_WEBPUSH_PUB];
	enum px_err e = vapid_keys(db, cfg, priv, pub);

	px_crypto_wipe(priv, sizeof(priv));
	if (e == PX_OK)
		px_codec_b64_encode(out, pub, PX_WEBPUSH_PUB, PX_CODEC_B64_URL);
	return e != PX_OK ? e : out->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}

/* The notification's payload for the service worker: title, body, url
 * (path of the message), tag, kind. JSON text in out. */
static void push_payload(struct json_object *it, const char *lang, struct px_buf *out)
{
	struct px_buf title = PX_BUF_INIT, url = PX_BUF_INIT;
	const char *text = jstr(it, "text");
	size_t n = strlen(text);

	px_buf_printf(&title, "%s ", jstr(it, "author"));
	item_where(it, lang, &title);
	px_buf_printf(&url, "/c/%lld", jint(it, "channel_id"));
	if (jint(it, "root_id"))
		px_buf_printf(&url, "/thread/%lld", jint(it, "root_id"));
	px_buf_printf(&url, "#m%lld", jint(it, "message_id"));
	if (n > 200) {
		n = 200;
		while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--; /* cut at a character boundary */
	}
	px_buf_puts(out, "{\"title\":");
	px_buf_json_str(out, title.data ? title.data : "", title.len);
	px_buf_puts(out, ",\"body\":");
	px_buf_json_str(out, text, n);
	px_buf_puts(out, ",\"url\":");
	px_buf_json_str(out, url.data ? url.data : "", url.len);
	px_buf_printf(out, ",\"tag\":\"px-n%lld\",\"kind\":", jint(it, "id"));
	px_buf_json_str(out, jstr(it, "kind"), strlen(jstr(it, "kind")));
	px_buf_putc(out, '}');
	if (title.failed || url.failed)
		out->failed = 1;
	px_buf_free(&title);
	px_buf_free(&url);
}

struct push_keys {
	unsigned char priv[PX_WEBPUSH_PRIV], pub[PX_WEBPUSH_PUB];
	char contact[300];
};

/* Encrypts payload for subscription sub and posts it; returns the outcome
 * name for px_m_push_sub_result. */
static const char *push_one(const struct px_cfg *cfg, const struct push_keys *k,
			    struct json_object *sub, const struct px_buf *payload)
{
	struct px_buf ua = PX_BUF_INIT, auth = PX_BUF_INIT, body = PX_BUF_INIT, hdr = PX_BUF_INIT;
	const char *endpoint = jstr(sub, "endpoint"), *p256 = jstr(sub, "p256dh"),
		   *secret = jstr(sub, "auth"), *outcome = "failed";
	char origin[512], why[300];
	struct px_webpush_target to = { px_cfg_str(cfg, "outbound_allow_private"), NULL, NULL };
	int status = 0;
	enum px_err e;

	if (!px_webpush_allowed(endpoint, px_cfg_str(cfg, "push_services")) ||
	    px_webpush_origin(endpoint, origin, sizeof(origin)) != 0) {
		outcome = "gone"; /* no longer an allowed service: drop it */
		goto out;
	}
	if (px_codec_b64_decode(p256, strlen(p256), PX_CODEC_B64_URL, &ua) != 0 ||
	    px_codec_b64_decode(secret, strlen(secret), PX_CODEC_B64_URL, &auth) != 0 ||
	    ua.len != PX_WEBPUSH_PUB || auth.len != PX_WEBPUSH_AUTH ||
	    px_webpush_encrypt((unsigned char *)ua.data, (unsigned char *)auth.data,
			       payload->data, payload->len, &body) != PX_OK ||
	    px_webpush_vapid(k->priv, k->pub, origin, (long long)time(NULL) + 12 * 3600,
			     k->contact, &hdr) != PX_OK)
		goto out;
	e = px_webpush_post(endpoint, hdr.data, &body, 3600, "normal", &to, &status, why,
			    sizeof(why));
	if (e == PX_OK && status >= 200 && status < 300)
		outcome = "ok";
	else if (e == PX_OK && (status == 404 || status == 410))
		outcome = "gone";
	else
		px_log_warn("notify", NULL, "push to %s failed: %s %d (%s)", origin,
			    px_err_name(e), status, why);
out:
	px_buf_free(&ua);
	if (auth.data)
		px_crypto_wipe(auth.data, auth.len);
	px_buf_free(&auth);
	px_buf_free(&body);
	px_buf_free(&hdr);
	return outcome;
}

static enum px_err push_pass(struct px_db *db, const struct px_cfg *cfg,
			     struct px_m_notify_stats *st)
{
	struct px_buf rows = PX_BUF_INIT;
	struct json_object *list = NULL;
	struct push_keys k;
	enum px_err e;
	size_t i, j;

	memset(&k, 0, sizeof(k));
	if (*px_cfg_str(cfg, "push_contact"))
		snprintf(k.contact, sizeof(k.contact), "%s", px_cfg_str(cfg, "push_contact"));
	else
		snprintf(k.contact, sizeof(k.contact), "mailto:%s", px_cfg_str(cfg, "smtp_from"));
	if ((e = px_m_push_take(db, PUSH_BATCH, &rows)) != PX_OK)
		goto out;
	e = PX_E_SYSTEM_INTERNAL;
	if (!(list = json_tokener_parse(rows.data)))
		goto out;
	e = PX_OK;
	if (json_object_array_length(list) == 0 || (e = vapid_keys(db, cfg, k.priv, k.pub)) != PX_OK)
		goto out;
	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *x = json_object_array_get_idx(list, i), *it, *subs;
		struct px_buf payload = PX_BUF_INIT;

		if (!json_object_object_get_ex(x, "n", &it) ||
		    !json_object_object_get_ex(x, "subs", &subs) ||
		    !json_object_is_type(subs, json_type_array))
			continue;
		push_payload(it, jstr(x, "lang"), &payload);
		for (j = 0; !payload.failed && j < json_object_array_length(subs); j++) {
			struct json_object *sub = json_object_array_get_idx(subs, j);
			const char *outcome = push_one(cfg, &k, sub, &payload);

			if (strcmp(outcome, "ok") == 0)
				st->pushed++;
			else
				st->push_failed++;
			if ((e = px_m_push_sub_result(db, jint(sub, "id"), outcome)) != PX_OK)
				break;
		}
		px_buf_free(&payload);
		if (e != PX_OK)
			break;
	}
out:
	px_crypto_wipe(k.priv, sizeof(k.priv));
	json_object_put(list);
	px_buf_free(&rows);
	return e;
}

/* Takes the pass lock; *got 1 when this connection holds it. */
static enum px_err pass_lock(struct px_db *db, int take, int *got)
{
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec(db, take ? "SELECT pg_try_advisory_lock(" PASS_LOCK ")"
				: "SELECT pg_advisory_unlock(" PASS_LOCK ")", 0, NULL, &r);
	if (e != PX_OK)
		return e;
	*got = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_notify_run(struct px_db *db, const struct px_cfg *cfg,
			    struct px_m_notify_stats *st)
{
	enum px_err e;
	int got = 0, released = 0;

	memset(st, 0, sizeof(*st));
	if ((e = pass_lock(db, 1, &got)) != PX_OK || !got)
		return e;
	st->ran = 1;
	e = mail_pass(db, cfg, st);
	if (e == PX_OK)
		e = push_pass(db, cfg, st);
	if (pass_lock(db, 0, &released) != PX_OK && e == PX_OK)
		e = PX_E_SYSTEM_DB_UNAVAILABLE;
	return e;
}
