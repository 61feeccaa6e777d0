/* mail.c: builds an RFC 5322 message and hands it to libcurl's SMTP. */
#include "core/mail.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "core/codec.h"
#include "core/crypto.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct reader {
	const char *p;
	size_t left;
};

static size_t read_cb(char *dst, size_t size, size_t n, void *arg)
{
	struct reader *r = arg;
	size_t k = size * n < r->left ? size * n : r->left;

	memcpy(dst, r->p, k);
	r->p += k;
	r->left -= k;
	return k;
}

int px_mail_enabled(const struct px_cfg *cfg)
{
	return *px_cfg_str(cfg, "smtp_url") != '\0';
}

static int header_safe(const char *s)
{
	return s && !strpbrk(s, "\r\n");
}

/* Appends text with bare LF turned into CRLF. */
static void crlf(struct px_buf *m, const char *text)
{
	const char *p;

	for (p = text; *p; p++) {
		if (*p == '\n' && (p == text || p[-1] != '\r'))
			px_buf_putc(m, '\r');
		px_buf_putc(m, *p);
	}
}

/* Appends s as base64 in lines of 76 characters (RFC 2045). */
static void b64_lines(struct px_buf *m, const char *s)
{
	struct px_buf b = PX_BUF_INIT;
	size_t i;

	px_codec_b64_encode(&b, s, strlen(s), PX_CODEC_B64_PAD);
	for (i = 0; i < b.len; i += 76) {
		px_buf_append(m, b.data + i, b.len - i < 76 ? b.len - i : 76);
		px_buf_puts(m, "\r\n");
	}
	if (b.failed)
		m->failed = 1;
	px_buf_free(&b);
}

/* The message: headers, blank line, then the text body (bare LF turned
 * into CRLF) or, with HTML, a multipart/alternative of both parts. */
void px_mail_build(const struct px_cfg *cfg, const struct px_mail_msg *msg, struct px_buf *out)
{
	unsigned char rnd[12];
	char date[64], boundary[48];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	px_buf_printf(out, "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n",
		        date, px_cfg_str(cfg, "smtp_from"), msg->to, msg->subject);
	if (px_crypto_random(rnd, sizeof(rnd)) != 0)
		memset(rnd, 0, sizeof(rnd));
	px_buf_puts(out, "Message-ID: <");
	px_codec_hex_encode(out, rnd, sizeof(rnd));
	px_buf_puts(out, "@plexichat>\r\n");
	if (msg->headers)
		px_buf_puts(out, msg->headers);
	if (!msg->html) {
		px_buf_puts(out, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
			         "Content-Transfer-Encoding: 8bit\r\n\r\n");
		crlf(out, msg->text);
		px_buf_puts(out, "\r\n");
		return;
	}
	snprintf(boundary, sizeof(boundary), "=_px_%02x%02x%02x%02x%02x%02x%02x%02x",
		 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	px_buf_printf(out, "MIME-Version: 1.0\r\nContent-Type: multipart/alternative;"
			   " boundary=\"%s\"\r\n\r\n", boundary);
	px_buf_printf(out, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
			   "Content-Transfer-Encoding: base64\r\n\r\n", boundary);
	b64_lines(out, msg->text);
	px_buf_printf(out, "--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
			   "Content-Transfer-Encoding: base64\r\n\r\n", boundary);
	b64_lines(out, msg->html);
	px_buf_printf(out, "--%s--\r\n", boundary);
}

static enum px_err map_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return PX_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return PX_E_NETWORK_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return PX_E_NETWORK_UNREACHABLE;
	default:
		return PX_E_NETWORK_BAD_RESPONSE;
	}
}

/* 1 when every CR in h starts a CRLF, every LF ends one, and h ends in one. */
static int headers_safe(const char *h)
{
	size_t n = strlen(h), i;

	for (i = 0; i < n; i++)
		if ((h[i] == '\r' && h[i + 1] != '\n') || (h[i] == '\n' && (!i || h[i - 1] != '\r')))
			return 0;
	return n == 0 || (n >= 2 && h[n - 2] == '\r' && h[n - 1] == '\n');
}

enum px_err px_mail_send(const struct px_cfg *cfg, const char *to,
			 const char *subject, const char *body)
{
	struct px_mail_msg m = { to, subject, body, NULL, NULL };

	return px_mail_send_msg(cfg, &m);
}

enum px_err px_mail_send_msg(const struct px_cfg *cfg, const struct px_mail_msg *msg)
{
	struct px_buf m = PX_BUF_INIT, from = PX_BUF_INIT, rcpt = PX_BUF_INIT;
	struct curl_slist *list = NULL;
	struct reader r;
	CURL *c = NULL;
	enum px_err e = PX_E_SYSTEM_UNAVAILABLE;

	if (!px_mail_enabled(cfg))
		return e;
	if (!header_safe(msg->to) || !header_safe(msg->subject) ||
	    (msg->headers && !headers_safe(msg->headers)))
		return PX_E_VALIDATION_FIELD_FORMAT;
	px_mail_build(cfg, msg, &m);
	px_buf_printf(&from, "<%s>", px_cfg_str(cfg, "smtp_from"));
	px_buf_printf(&rcpt, "<%s>", msg->to);
	e = PX_E_SYSTEM_INTERNAL;
	if (m.failed || from.failed || rcpt.failed || !(c = curl_easy_init()) ||
	    !(list = curl_slist_append(NULL, rcpt.data)))
		goto out;
	r.p = m.data;
	r.left = m.len;
	curl_easy_setopt(c, CURLOPT_URL, px_cfg_str(cfg, "smtp_url"));
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.data);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, list);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &r);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	if (*px_cfg_str(cfg, "smtp_user")) {
		curl_easy_setopt(c, CURLOPT_USERNAME, px_cfg_str(cfg, "smtp_user"));
		curl_easy_setopt(c, CURLOPT_PASSWORD, px_cfg_str(cfg, "smtp_password"));
	}
	e = map_curl(curl_easy_perform(c));
out:
	curl_slist_free_all(list);
	if (c)
		curl_easy_cleanup(c);
	px_buf_free(&m);
	px_buf_free(&from);
	px_buf_free(&rcpt);
	return e;
}
