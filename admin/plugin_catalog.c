/* admin/plugin_catalog.c: catalogues and signatures for plexichat-admin
 * plugin. Nothing from a catalogue is believed before its index's
 * signature verifies with a trusted key; a package downloaded from one is
 * then checked against the index's hash and its own signature by the
 * install path (plugin_cmd.c). */
#include "admin/plugin_catalog.h"

#include "core/cfg.h"
#include "handlers/plugin_manage.h"
#include "model/plugins.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#define INDEX_MAX (4u << 20)

struct sink {
	struct px_buf *out;
	size_t max;
	int over;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	if (s->out->len + size * n > s->max) {
		s->over = 1;
		return 0;
	}
	px_buf_append(s->out, p, size * n);
	return s->out->failed ? 0 : size * n;
}

int admin_plugin_fetch(struct admin *a, const char *url, size_t max, struct px_buf *out,
		       struct px_buf *err)
{
	const char *ca = px_cfg_str(a->cfg, "plugins_ca_file");
	struct sink s = { out, max, 0 };
	CURL *c = curl_easy_init();
	long status = 0;
	CURLcode rc;

	if (!c)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,file");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "plexichat-admin");
	if (ca && *ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (s.over || rc == CURLE_FILESIZE_EXCEEDED) {
		px_buf_printf(err, "%s: larger than %zu bytes", url, max);
		return -1;
	}
	if (rc != CURLE_OK) {
		px_buf_printf(err, "%s: %s", url, curl_easy_strerror(rc));
		return -1;
	}
	if (!strncmp(url, "https://", 8) && status != 200) {
		px_buf_printf(err, "%s: HTTP %ld", url, status);
		return -1;
	}
	return 0;
}

int admin_plugin_verify(struct admin *a, const void *p, size_t n, const unsigned char *sig,
			char *signer, size_t cap)
{
	return px_plugin_verify(a->db, p, n, sig, signer, cap);
}

/* One catalogue: its index fetched, verified and parsed into c. */
static int one_catalog(struct admin *a, const char *url, struct px_pl_catalog *c)
{
	struct px_buf idx = PX_BUF_INIT, sig = PX_BUF_INIT, err = PX_BUF_INIT, u = PX_BUF_INIT;
	unsigned char s[PX_PL_SIG_LEN];
	char signer[80];
	int rc = -1;

	px_buf_printf(&u, "%s.sig", url);
	if (u.failed || admin_plugin_fetch(a, url, INDEX_MAX, &idx, &err) != 0 ||
	    admin_plugin_fetch(a, u.data, 4096, &sig, &err) != 0)
		goto out;
	if (!sig.data || px_pl_sig_decode(sig.data, s, sizeof(s)) != 0 ||
	    admin_plugin_verify(a, idx.data ? idx.data : "", idx.len, s, signer, sizeof(signer))) {
		px_buf_printf(&err, "%s: the index's signature does not verify with a trusted key", url);
		goto out;
	}
	if (px_pl_catalog_parse(idx.data ? idx.data : "", idx.len, url, c, &err) != 0)
		goto out;
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "plexichat-admin: plugin catalog: %s (skipped)\n",
			err.data ? err.data : url);
	px_buf_free(&idx);
	px_buf_free(&sig);
	px_buf_free(&err);
	px_buf_free(&u);
	return rc;
}

int admin_plugin_catalogs(struct admin *a, struct px_pl_catalog *c)
{
	const char *list = px_cfg_str(a->cfg, "plugins_catalogs");
	char url[PX_PL_URL_MAX];
	int read = 0;

	for (const char *s = list ? list : ""; *s;) {
		size_t n = strcspn(s, " ,\t");

		if (n && n < sizeof(url)) {
			snprintf(url, sizeof(url), "%.*s", (int)n, s);
			read += one_catalog(a, url, c) == 0;
		}
		s += n;
		s += strspn(s, " ,\t");
	}
	return read;
}

int admin_plugin_catalog_list(struct admin *a, int argc, char **argv)
{
	struct px_pl_catalog c = { 0, NULL };
	int json = admin_has_flag(argc, argv, "--json");
	struct px_buf out = PX_BUF_INIT;

	admin_plugin_catalogs(a, &c);
	if (json)
		px_buf_puts(&out, "{\"plugins\":[");
	for (int i = 0; i < c.n; i++) {
		char v[80];

		px_pl_ver_format(&c.v[i].m.version, v, sizeof(v));
		if (!json) {
			printf("%-24s %-14s %s\n", c.v[i].m.name, v, c.v[i].m.description);
			continue;
		}
		px_buf_printf(&out, "%s{\"name\":\"%s\",\"version\":\"%s\",\"url\":", i ? "," : "",
			      c.v[i].m.name, v);
		px_buf_json_str(&out, c.v[i].url, strlen(c.v[i].url));
		px_buf_puts(&out, ",\"description\":");
		px_buf_json_str(&out, c.v[i].m.description, strlen(c.v[i].m.description));
		px_buf_putc(&out, '}');
	}
	if (json) {
		px_buf_puts(&out, "]}");
		(void)admin_put_line(&out);
	}
	px_buf_free(&out);
	px_pl_catalog_free(&c);
	return 0;
}
