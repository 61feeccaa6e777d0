/* mail.c: builds an RFC 5322 message and hands it to libcurl's SMTP. */
#include "core/mail.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "core/codec.h"
#include "core/crypto.h"

#include <curl/curl.h>
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

/* The message: headers, blank line, body with bare LF turned into CRLF. */
static void build(const struct px_cfg *cfg, const char *to, const char *subject,
		  const char *body, struct px_buf *m)
{
	unsigned char rnd[12];
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	const char *p;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	px_buf_printf(m, "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n",
		      date, px_cfg_str(cfg, "smtp_from"), to, subject);
	if (px_crypto_random(rnd, sizeof(rnd)) == 0) {
		px_buf_puts(m, "Message-ID: <");
		px_codec_hex_encode(m, rnd, sizeof(rnd));
		px_buf_puts(m, "@plexichat>\r\n");
	}
	px_buf_puts(m, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
		       "Content-Transfer-Encoding: 8bit\r\n\r\n");
	for (p = body; *p; p++) {
		if (*p == '\n' && (p == body || p[-1] != '\r'))
			px_buf_putc(m, '\r');
		px_buf_putc(m, *p);
	}
	px_buf_puts(m, "\r\n");
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

enum px_err px_mail_send(const struct px_cfg *cfg, const char *to,
			 const char *subject, const char *body)
{
	struct px_buf m = PX_BUF_INIT, from = PX_BUF_INIT, rcpt = PX_BUF_INIT;
	struct curl_slist *list = NULL;
	struct reader r;
	CURL *c = NULL;
	enum px_err e = PX_E_SYSTEM_UNAVAILABLE;

	if (!px_mail_enabled(cfg))
		return e;
	if (!header_safe(to) || !header_safe(subject))
		return PX_E_VALIDATION_FIELD_FORMAT;
	build(cfg, to, subject, body, &m);
	px_buf_printf(&from, "<%s>", px_cfg_str(cfg, "smtp_from"));
	px_buf_printf(&rcpt, "<%s>", to);
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
