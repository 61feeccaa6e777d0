/* waf_feed.c: threat-intelligence feed sources, fetch and validation. A feed
 * is refused as a whole when it looks broken, so a failed download or an
 * error page never empties or poisons the deny list. */
#include "waf/waf_feed.h"
#include "waf/waf_ip.h"
#include "config.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int url_ok(const char *u, size_t n)
{
	size_t i;

	if (!((n > 7 && strncasecmp(u, "http://", 7) == 0) ||
	      (n > 8 && strncasecmp(u, "https://", 8) == 0)))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
			return 0;
	return 1;
}

static int name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= sizeof(((struct px_waf_feed_src *)0)->name))
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		      s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

int px_waf_feed_sources(const char *spec, struct px_waf_feed_src *out, size_t max,
			struct px_buf *err)
{
	const char *p = spec ? spec : "";
	size_t count = 0;

	while (*p) {
		size_t n = strcspn(p, ", \t"), nl = 0;
		const char *eq = memchr(p, '=', n), *url = p;
		size_t ul = n;

		if (n == 0) {
			p++;
			continue;
		}
		/* "name=url": a '=' before "://" separates a name */
		if (eq && (!strstr(p, "://") || eq < strstr(p, "://"))) {
			nl = (size_t)(eq - p);
			url = eq + 1;
			ul = n - nl - 1;
		}
		if ((nl && !name_ok(p, nl)) || !url_ok(url, ul) ||
		    ul >= sizeof(out->url)) {
			px_buf_printf(err, "waf_feeds: bad entry '%.*s' (want name=https://... or https://...)",
				      (int)n, p);
			return -1;
		}
		if (count == max) {
			px_buf_printf(err, "waf_feeds: more than %zu feeds", max);
			return -1;
		}
		memcpy(out[count].url, url, ul);
		out[count].url[ul] = '\0';
		if (nl) {
			memcpy(out[count].name, p, nl);
			out[count].name[nl] = '\0';
		} else {
			snprintf(out[count].name, sizeof(out[count].name), "%.*s",
				 (int)(ul < sizeof(out[count].name) - 1 ? ul : sizeof(out[count].name) - 1),
				 url);
		}
		count++;
		p += n;
	}
	return (int)count;
}

/* Ranges a feed may list but the WAF never denies from one. */
static const char *const reserved_ranges[] = {
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.168.0.0/16", "::/127", "fc00::/7", "fe80::/10",
};

static int reserved(const char *cidr, int v4, int bits)
{
	static const char mapped[] = "::ffff:0:0/96";
	size_t i;

	if (bits < (v4 ? 8 : 16))
		return 1;
	/* IPv4 is held as IPv4-mapped IPv6: an IPv6 line over that space is
	 * an IPv4 range in disguise, which no real feed lists */
	if (!v4 && px_waf_ip_cidr_overlap(cidr, strlen(cidr), mapped, sizeof(mapped) - 1) == 1)
		return 1;
	for (i = 0; i < sizeof(reserved_ranges) / sizeof(reserved_ranges[0]); i++)
		if (px_waf_ip_cidr_overlap(cidr, strlen(cidr), reserved_ranges[i],
					   strlen(reserved_ranges[i])) == 1)
			return 1;
	return 0;
}

static int push(struct px_waf_feed *f, const char *cidr)
{
	if (f->n == f->cap) {
		size_t nc = f->cap ? f->cap * 2 : 256;
		char **p = realloc(f->cidrs, nc * sizeof(*p));

		if (!p)
			return -1;
		f->cidrs = p;
		f->cap = nc;
	}
	if (!(f->cidrs[f->n] = strdup(cidr)))
		return -1;
	f->n++;
	return 0;
}

/* One line: counts it and keeps its entry when good. -1 on ENOMEM. */
static int parse_line(struct px_waf_feed *f, const char *s, size_t n)
{
	char norm[64];
	size_t k;
	int v4, bits;

	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	for (k = 0; k < n && !strchr(" \t\r;#", s[k]); k++)
		;
	if (k == 0)
		return 0;
	f->lines++;
	if (px_waf_ip_cidr_norm(s, k, norm, sizeof(norm), &v4, &bits) != 0) {
		f->bad++;
		return 0;
	}
	if (reserved(norm, v4, bits)) {
		f->reserved++;
		return 0;
	}
	return push(f, norm);
}

int px_waf_feed_parse(const char *text, size_t n, struct px_waf_feed *out,
		      struct px_buf *err)
{
	size_t i = 0, lead;

	memset(out, 0, sizeof(*out));
	for (lead = 0; lead < n && isspace((unsigned char)text[lead]); lead++)
		;
	if (lead < n && text[lead] == '<') {
		px_buf_puts(err, "refused: the answer is markup (an HTML or XML page), not a CIDR list");
		return -1;
	}
	while (i < n) {
		const char *nl = memchr(text + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - text) : n;

		if (parse_line(out, text + i, e - i) != 0) {
			px_buf_puts(err, "out of memory");
			return -1;
		}
		i = e + 1;
	}
	if (out->bad * 4 > out->lines) {
		px_buf_printf(err, "refused: %zu of %zu entry lines are malformed", out->bad,
			      out->lines);
		return -1;
	}
	if (out->n == 0) {
		px_buf_printf(err, "refused: no usable range (%zu lines, %zu reserved or too broad)",
			      out->lines, out->reserved);
		return -1;
	}
	return 0;
}

void px_waf_feed_free(struct px_waf_feed *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->n; i++)
		free(f->cidrs[i]);
	free(f->cidrs);
	memset(f, 0, sizeof(*f));
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct px_buf *b = arg;

	px_buf_append(b, p, size * nmemb);
	return b->failed ? 0 : size * nmemb;
}

int px_waf_feed_fetch(const char *url, long timeout_s, size_t max_bytes,
		      struct px_buf *body, struct px_buf *err)
{
	CURL *c = curl_easy_init();
	char ebuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode rc;
	int ret = -1;

	if (!c) {
		px_buf_puts(err, "libcurl initialisation failed");
		goto out;
	}
	body->max = max_bytes + 1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout_s < 10 ? timeout_s : 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "PlexiChat-WAF-feeds/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	rc = curl_easy_perform(c);
	if (body->failed) {
		px_buf_printf(err, "%s: larger than %zu bytes", url, max_bytes);
		goto out;
	}
	if (rc != CURLE_OK) {
		px_buf_printf(err, "%s: %s", url, ebuf[0] ? ebuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		px_buf_printf(err, "%s: HTTP status %ld", url, status);
		goto out;
	}
	ret = 0;
out:
	if (c)
		curl_easy_cleanup(c);
	return ret;
}
