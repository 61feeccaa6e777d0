/* admin/probe.c: libcurl requests the admin CLI makes to its own server.
 * Each call uses its own easy handle and frees it before returning. */
#include "admin/probe.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct px_buf *b = arg;

	px_buf_append(b, p, size * n);
	return b->failed ? 0 : size * n;
}

static void url_join(struct px_buf *u, const char *base, const char *path)
{
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	px_buf_append(u, base, n);
	px_buf_puts(u, path);
}

long admin_probe_get(const char *base, const char *path, long timeout_s,
		     struct px_buf *body, struct px_buf *err)
{
	struct px_buf url = PX_BUF_INIT;
	char ebuf[CURL_ERROR_SIZE] = "";
	CURL *c = NULL;
	CURLcode rc;
	long status = -1;

	url_join(&url, base, path);
	body->max = 4u << 20;
	if (url.failed || !(c = curl_easy_init())) {
		px_buf_puts(err, "out of memory");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url.data);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "plexichat-admin");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		px_buf_printf(err, "%s: %s", url.data, ebuf[0] ? ebuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
out:
	curl_easy_cleanup(c);
	px_buf_free(&url);
	return status;
}

/* The "Expire date" field of the first (leaf) certificate, or -1. */
static time_t leaf_expiry(CURL *c)
{
	struct curl_certinfo *ci = NULL;
	const struct curl_slist *s;

	if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci ||
	    ci->num_of_certs < 1)
		return -1;
	for (s = ci->certinfo[0]; s; s = s->next)
		if (strncasecmp(s->data, "Expire date:", 12) == 0)
			return curl_getdate(s->data + 12, NULL);
	return -1;
}

static CURLcode cert_request(const char *url, long timeout_s, int verify, time_t *exp,
			     char *ebuf)
{
	CURL *c = curl_easy_init();
	CURLcode rc;

	*exp = -1;
	if (!c)
		return CURLE_OUT_OF_MEMORY;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	/* an unverified handshake is only used to read the expiry date */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		*exp = leaf_expiry(c);
	curl_easy_cleanup(c);
	return rc;
}

int admin_probe_cert_days(const char *url, long timeout_s, double *days,
			  int *verified, struct px_buf *err)
{
	char ebuf[CURL_ERROR_SIZE] = "", ebuf2[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	time_t exp;

	*verified = 1;
	rc = cert_request(url, timeout_s, 1, &exp, ebuf);
	if (rc != CURLE_OK) {
		*verified = 0;
		rc = cert_request(url, timeout_s, 0, &exp, ebuf2);
	}
	if (rc != CURLE_OK) {
		px_buf_printf(err, "%s", ebuf2[0] ? ebuf2 : curl_easy_strerror(rc));
		return -1;
	}
	if (exp == (time_t)-1) {
		px_buf_puts(err, "the server sent no certificate expiry");
		return -1;
	}
	if (!*verified)
		px_buf_printf(err, "%s", ebuf);
	*days = difftime(exp, time(NULL)) / 86400.0;
	return 0;
}
