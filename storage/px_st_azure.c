/* px_st_azure.c: Azure Blob Storage over libcurl with Shared Key or SAS
 * (see px_st_azure.h). One request at a time: put_async stores at once,
 * get_begin only remembers the name. */
#include "storage/px_st_azure.h"
#include "storage/px_st_azure_int.h"
#include "core/codec.h"
#include "core/crypto.h"

#include <curl/curl.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct body_pos {
	const struct azi_body *b;
	size_t sent;
};

static size_t read_cb(char *out, size_t size, size_t nmemb, void *arg)
{
	struct body_pos *c = arg;
	size_t n = size * nmemb < c->b->n - c->sent ? size * nmemb : c->b->n - c->sent;
	ssize_t r;

	if (n == 0)
		return 0;
	if (c->b->fd < 0) {
		memcpy(out, c->b->p + c->sent, n);
		c->sent += n;
		return n;
	}
	do
		r = pread(c->b->fd, out, n, (off_t)(c->b->off + c->sent));
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return CURL_READFUNC_ABORT;  /* a short file: retried, then failed */
	c->sent += (size_t)r;
	return (size_t)r;
}

static size_t write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct px_buf *b = arg;

	px_buf_append(b, p, size * nmemb);
	return b->failed ? 0 : size * nmemb;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void px_st_azure_string_to_sign(struct px_buf *out, const char *method,
				const char *content_length, const char *if_none_match,
				const char *const *xms, size_t nxms, const char *account,
				const char *path, const char *const *query, size_t nquery)
{
	const char **q = calloc(nquery ? nquery : 1, sizeof(*q));
	size_t i;

	/* VERB, Content-Encoding, -Language, -Length, -MD5, -Type, Date,
	 * If-Modified-Since, If-Match, If-None-Match, If-Unmodified-Since, Range */
	px_buf_printf(out, "%s\n\n\n%s\n\n\n\n\n\n%s\n\n\n", method, content_length,
		      if_none_match ? if_none_match : "");
	for (i = 0; i < nxms; i++)
		px_buf_printf(out, "%s\n", xms[i]);
	px_buf_printf(out, "/%s%s", account, path);
	if (!q) {
		out->failed = 1;
		return;
	}
	/* "name=value" pairs, decoded: as "\nname:value", sorted by name */
	if (nquery)
		memcpy(q, query, nquery * sizeof(*q));
	qsort(q, nquery, sizeof(*q), cmp_str);
	for (i = 0; i < nquery; i++) {
		const char *eq = strchr(q[i], '=');

		px_buf_printf(out, "\n%.*s:%s", eq ? (int)(eq - q[i]) : (int)strlen(q[i]), q[i],
			      eq ? eq + 1 : "");
	}
	free(q);
}

int px_st_azure_sign(struct px_buf *out, const char *account, const char *key_b64,
		     const char *string_to_sign)
{
	struct px_buf key = PX_BUF_INIT;
	unsigned char mac[PX_SHA256_LEN];

	if (px_codec_b64_decode(key_b64, strlen(key_b64), PX_CODEC_B64, &key) != 0 || !key.len) {
		px_buf_free(&key);
		return -1;
	}
	px_crypto_hmac_sha256(key.data, key.len, string_to_sign, strlen(string_to_sign), mac);
	px_crypto_wipe(key.data, key.len);
	px_buf_free(&key);
	px_buf_printf(out, "SharedKey %s:", account);
	px_codec_b64_encode(out, mac, sizeof(mac), PX_CODEC_B64_PAD);
	return out->failed ? -1 : 0;
}

static void set_err(struct az *a, const char *fmt, const char *what, long status)
{
	px_buf_reset(&a->base.errmsg);
	px_buf_printf(&a->base.errmsg, fmt, what, status);
}

/* One request, retried when transient. query: decoded "name=value"
 * pairs. blob NULL: a container request. *status gets the HTTP status,
 * *length (may be NULL) the answer's Content-Length (-1 unknown). A Put
 * Blob (PUT of a blob without a query) says it is a block blob. */
enum px_err px_st_azi_request(struct az *a, const char *method, const char *blob,
				const char *const *query, size_t nq, const struct azi_body *src,
				int create_only, const char *range, struct px_buf *resp,
				long *status, long long *length)
{
	struct px_buf path = PX_BUF_INIT, url = PX_BUF_INIT, sts = PX_BUF_INIT, auth = PX_BUF_INIT;
	struct px_buf hv = PX_BUF_INIT;
	char date[64], len[32], xdate[96], xrange[96];
	const char *xms[4];
	struct curl_slist *h = NULL;
	enum px_err rc = PX_E_STORAGE_FAILED;
	int attempt;
	size_t i, nx = 0;
	CURLcode cc = CURLE_OK;

	px_buf_printf(&path, "%s/%s", a->path_base, a->container);
	if (blob) {
		px_buf_putc(&path, '/');
		px_codec_pct_encode(&path, blob, strlen(blob), PX_CODEC_PCT_SLASH);
	}
	px_buf_printf(&url, "%s%s", a->origin, path.data);
	for (i = 0; i < nq; i++) {
		const char *eq = strchr(query[i], '=');

		px_buf_printf(&url, "%c%.*s=", i ? '&' : '?', (int)(eq - query[i]), query[i]);
		px_codec_pct_encode(&url, eq + 1, strlen(eq + 1), 0);
	}
	if (a->sas)
		px_buf_printf(&url, "%c%s", nq ? '&' : '?', a->sas);
	for (attempt = 1; attempt <= PX_ST_AZURE_ATTEMPTS; attempt++) {
		struct body_pos b = { src, 0 };
		size_t n = src->n;
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		snprintf(len, sizeof(len), "%zu", n);
		nx = 0;
		if (!strcmp(method, "PUT") && blob && nq == 0)
			xms[nx++] = "x-ms-blob-type:BlockBlob";
		snprintf(xdate, sizeof(xdate), "x-ms-date:%s", date);
		xms[nx++] = xdate;
		if (range) {   /* sorted: x-ms-range before x-ms-version */
			snprintf(xrange, sizeof(xrange), "x-ms-range:%s", range);
			xms[nx++] = xrange;
		}
		xms[nx++] = "x-ms-version:" PX_ST_AZURE_VERSION;
		curl_slist_free_all(h);
		h = NULL;
		for (i = 0; i < nx; i++) {
			px_buf_reset(&hv);
			px_buf_printf(&hv, "%.*s: %s", (int)(strchr(xms[i], ':') - xms[i]), xms[i],
				      strchr(xms[i], ':') + 1);
			h = curl_slist_append(h, hv.data);
		}
		h = curl_slist_append(h, "Expect:");
		h = curl_slist_append(h, "Content-Type:");
		if (create_only)
			h = curl_slist_append(h, "If-None-Match: *");
		if (!a->sas) {
			px_buf_reset(&sts);
			px_buf_reset(&auth);
			px_st_azure_string_to_sign(&sts, method, n ? len : "",
						   create_only ? "*" : NULL, xms, nx, a->account,
						   path.data, query, nq);
			if (sts.failed || px_st_azure_sign(&auth, a->account, a->key, sts.data) != 0) {
				set_err(a, "%s: cannot sign (is the account key base64?)", method, 0);
				rc = PX_E_STORAGE_CREDENTIALS;
				break;
			}
			px_buf_reset(&hv);
			px_buf_printf(&hv, "Authorization: %s", auth.data);
			h = curl_slist_append(h, hv.data);
		}
		px_buf_reset(resp);
		curl_easy_reset(a->curl);
		curl_easy_setopt(a->curl, CURLOPT_URL, url.data);
		curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(a->curl, CURLOPT_WRITEFUNCTION, write_cb);
		curl_easy_setopt(a->curl, CURLOPT_WRITEDATA, resp);
		curl_easy_setopt(a->curl, CURLOPT_CONNECTTIMEOUT, 10L);
		curl_easy_setopt(a->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(a->curl, CURLOPT_LOW_SPEED_TIME, 60L);
		curl_easy_setopt(a->curl, CURLOPT_NOSIGNAL, 1L);
		if (!strcmp(method, "PUT")) {
			curl_easy_setopt(a->curl, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(a->curl, CURLOPT_READFUNCTION, read_cb);
			curl_easy_setopt(a->curl, CURLOPT_READDATA, &b);
			curl_easy_setopt(a->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)n);
		} else if (!strcmp(method, "DELETE")) {
			curl_easy_setopt(a->curl, CURLOPT_CUSTOMREQUEST, "DELETE");
		} else if (!strcmp(method, "HEAD")) {
			curl_easy_setopt(a->curl, CURLOPT_NOBODY, 1L);
		}
		cc = curl_easy_perform(a->curl);
		*status = 0;
		if (cc == CURLE_OK)
			curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, status);
		if (cc == CURLE_OK && length) {
			curl_off_t cl = -1;

			curl_easy_getinfo(a->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
			*length = cl;
		}
		if (cc == CURLE_OK && *status != 408 && *status != 429 && *status < 500) {
			rc = PX_OK;
			break;
		}
		if (attempt < PX_ST_AZURE_ATTEMPTS)   /* full jitter up to 0.1 s * 2^attempt */
			usleep((useconds_t)((double)rand() / RAND_MAX * 100000.0 * (1u << attempt)));
	}
	if (rc == PX_E_STORAGE_FAILED) {
		px_buf_reset(&a->base.errmsg);
		px_buf_printf(&a->base.errmsg, "%s %s: %s (HTTP %ld, %d attempts)", method,
			      blob ? blob : a->container,
			      cc != CURLE_OK ? curl_easy_strerror(cc) : "server error", *status,
			      PX_ST_AZURE_ATTEMPTS);
	}
	curl_slist_free_all(h);
	px_buf_free(&path);
	px_buf_free(&url);
	px_buf_free(&sts);
	px_buf_free(&auth);
	px_buf_free(&hv);
	return rc;
}

static enum px_err request(struct az *a, const char *method, const char *blob,
			   const char *const *query, size_t nq, const void *p, size_t n,
			   int create_only, struct px_buf *resp, long *status)
{
	struct azi_body src = { p, -1, 0, n };

	return px_st_azi_request(a, method, blob, query, nq, &src, create_only, NULL, resp, status,
				 NULL);
}

/* Maps a completed request's status to a store error. */
enum px_err px_st_azi_status(struct az *a, const char *what, const char *name, long st,
			      const struct px_buf *resp)
{
	if (st >= 200 && st < 300)
		return PX_OK;
	px_buf_reset(&a->base.errmsg);
	px_buf_printf(&a->base.errmsg, "%s %s: HTTP %ld %.200s", what, name, st,
		      resp->data ? resp->data : "");
	if (st == 404)
		return PX_E_STORAGE_SHARD_MISSING;
	if (st == 401 || st == 403)
		return PX_E_STORAGE_CREDENTIALS;
	return PX_E_STORAGE_FAILED;
}

char *px_st_azi_name(struct az *a, const char *name)
{
	struct px_buf b = PX_BUF_INIT;

	px_buf_printf(&b, "%s%s", a->prefix, name);
	return px_buf_steal(&b);
}

static enum px_err put_blob(struct az *a, const char *name, const void *p, size_t n,
			    int create_only)
{
	struct px_buf resp = PX_BUF_INIT;
	char *blob = px_st_azi_name(a, name);
	enum px_err rc = PX_E_STORAGE_FAILED;
	long st = 0;

	if (blob)
		rc = request(a, "PUT", blob, NULL, 0, p, n, create_only, &resp, &st);
	if (rc == PX_OK && create_only && (st == 409 || st == 412))
		rc = PX_E_VALIDATION_CONFLICT;
	else if (rc == PX_OK)
		rc = px_st_azi_status(a, "PUT", name, st, &resp);
	free(blob);
	px_buf_free(&resp);
	return rc;
}

static enum px_err az_put(struct px_st_store *s, const char *name, const void *p, size_t n)
{
	return put_blob((struct az *)s, name, p, n, 0);
}

static enum px_err az_put_new(struct px_st_store *s, const char *name, const void *p,
			      size_t n)
{
	return put_blob((struct az *)s, name, p, n, 1);
}

static enum px_err az_put_async(struct px_st_store *s, const char *name, struct px_buf *d)
{
	struct az *a = (struct az *)s;
	enum px_err rc = put_blob(a, name, d->data, d->len, 0);

	px_buf_free(d);
	if (rc != PX_OK && a->pending == PX_OK)
		a->pending = rc;
	return rc;
}

static enum px_err az_flush(struct px_st_store *s)
{
	struct az *a = (struct az *)s;
	enum px_err rc = a->pending;

	a->pending = PX_OK;
	return rc;
}

static enum px_err az_get(struct px_st_store *s, const char *name, struct px_buf *out)
{
	struct az *a = (struct az *)s;
	char *blob = px_st_azi_name(a, name);
	enum px_err rc = PX_E_STORAGE_FAILED;
	long st = 0;

	if (blob)
		rc = request(a, "GET", blob, NULL, 0, NULL, 0, 0, out, &st);
	if (rc == PX_OK)
		rc = px_st_azi_status(a, "GET", name, st, out);
	if (rc != PX_OK)
		px_buf_reset(out);
	free(blob);
	return rc;
}

static enum px_err az_get_begin(struct px_st_store *s, const char *name, void **h)
{
	(void)s;
	*h = strdup(name);
	return *h ? PX_OK : PX_E_STORAGE_FAILED;
}

static enum px_err az_get_end(struct px_st_store *s, void *h, struct px_buf *out)
{
	enum px_err rc = az_get(s, h, out);

	free(h);
	return rc;
}

static enum px_err az_del(struct px_st_store *s, const char *name)
{
	struct az *a = (struct az *)s;
	struct px_buf resp = PX_BUF_INIT;
	char *blob = px_st_azi_name(a, name);
	enum px_err rc = PX_E_STORAGE_FAILED;
	long st = 0;

	if (blob)
		rc = request(a, "DELETE", blob, NULL, 0, NULL, 0, 0, &resp, &st);
	if (rc == PX_OK && st != 404)
		rc = px_st_azi_status(a, "DELETE", name, st, &resp);
	free(blob);
	px_buf_free(&resp);
	return rc;
}

static const char *text_of(xmlNode *n, const char *name)
{
	for (n = n ? n->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name))
			return n->children && n->children->content ?
			       (const char *)n->children->content : "";
	return NULL;
}

static xmlNode *child(xmlNode *n, const char *name)
{
	for (n = n ? n->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name))
			return n;
	return NULL;
}

/* One List Blobs page: fn per blob, the next marker into next ("" at
 * the end). -1 when the page cannot be trusted, 1 when fn stopped. */
static int parse_page(struct az *a, const struct px_buf *xml, px_st_list_fn fn, void *arg,
		      struct px_buf *next)
{
	xmlDoc *doc = xmlReadMemory(xml->data ? xml->data : "", (int)xml->len, "list.xml", NULL,
				    XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
				    XML_PARSE_NOWARNING);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL, *blobs, *b;
	const char *nm, *len, *nx;
	size_t plen = strlen(a->prefix);
	int rc = 0;

	px_buf_reset(next);
	if (!root || strcmp((const char *)root->name, "EnumerationResults") ||
	    !(blobs = child(root, "Blobs"))) {
		rc = -1;
		goto out;
	}
	nx = text_of(root, "NextMarker");
	px_buf_puts(next, nx ? nx : "");
	for (b = blobs->children; b && rc == 0; b = b->next) {
		if (b->type != XML_ELEMENT_NODE || strcmp((const char *)b->name, "Blob"))
			continue;
		nm = text_of(b, "Name");
		len = text_of(child(b, "Properties"), "Content-Length");
		if (!nm || !len || strncmp(nm, a->prefix, plen)) {
			rc = -1;
			break;
		}
		if (fn(arg, nm + plen, (size_t)strtoull(len, NULL, 10)))
			rc = 1;
	}
out:
	xmlFreeDoc(doc);
	return rc;
}

static enum px_err az_list(struct px_st_store *s, const char *prefix, px_st_list_fn fn,
			   void *arg)
{
	struct az *a = (struct az *)s;
	struct px_buf pre = PX_BUF_INIT, mk = PX_BUF_INIT, next = PX_BUF_INIT, resp = PX_BUF_INIT;
	enum px_err rc = PX_OK;
	long st = 0;
	int r = 0;

	px_buf_printf(&pre, "prefix=%s%s", a->prefix, prefix);
	do {
		const char *q[4] = { "comp=list", pre.data, "restype=container", NULL };
		size_t nq = 3;

		px_buf_reset(&mk);
		if (next.len) {
			px_buf_printf(&mk, "marker=%s", next.data);
			q[nq++] = mk.data;
		}
		rc = pre.failed || mk.failed ? PX_E_STORAGE_FAILED :
		     request(a, "GET", NULL, q, nq, NULL, 0, 0, &resp, &st);
		if (rc == PX_OK && st == 404 && !next.len)
			break;   /* no container yet: no objects */
		if (rc == PX_OK)
			rc = px_st_azi_status(a, "LIST", prefix, st, &resp);
		if (rc == PX_OK && (r = parse_page(a, &resp, fn, arg, &next)) < 0) {
			px_buf_reset(&a->base.errmsg);
			px_buf_puts(&a->base.errmsg, "unparsable or incomplete List Blobs answer");
			rc = PX_E_STORAGE_FAILED;
		}
	} while (rc == PX_OK && r == 0 && next.len);
	px_buf_free(&pre);
	px_buf_free(&mk);
	px_buf_free(&next);
	px_buf_free(&resp);
	return rc;
}

/* init: the container is created when absent. */
static enum px_err az_prepare(struct px_st_store *s)
{
	struct az *a = (struct az *)s;
	struct px_buf resp = PX_BUF_INIT;
	const char *q[1] = { "restype=container" };
	enum px_err rc;
	long st = 0;

	rc = request(a, "PUT", NULL, q, 1, NULL, 0, 0, &resp, &st);
	if (rc == PX_OK && st != 409)   /* 409: it exists */
		rc = px_st_azi_status(a, "create container", a->container, st, &resp);
	px_buf_free(&resp);
	return rc;
}

static void az_free(struct px_st_store *s)
{
	struct az *a = (struct az *)s;

	if (a->curl)
		curl_easy_cleanup(a->curl);
	free(a->origin);
	free(a->path_base);
	free(a->account);
	if (a->key)
		px_crypto_wipe(a->key, strlen(a->key));
	free(a->key);
	free(a->sas);
	free(a->container);
	free(a->prefix);
	free(a);
}

static const struct px_st_store_ops az_ops;

int px_st_azure_is(const struct px_st_store *s)
{
	return s && s->ops == &az_ops;
}

static const struct px_st_store_ops az_ops = {
	"azure", az_put, az_put_async, az_flush, az_get, az_get_begin, az_get_end,
	az_list, az_del, az_free,
	NULL,   /* a Put Blob is atomic: nothing to sweep */
	az_prepare, az_put_new,
};

struct px_st_store *px_st_azure_open(const struct px_st_store_opts *o, struct px_buf *err)
{
	struct az *a = calloc(1, sizeof(*a));
	struct px_buf b = PX_BUF_INIT;
	const char *rest, *slash, *ep, *p3;

	if (!a)
		return NULL;
	a->base.ops = &az_ops;
	if (strncmp(o->url, "azure://", 8) != 0 || !o->azure_account || !*o->azure_account ||
	    ((!o->azure_key || !*o->azure_key) && (!o->azure_sas || !*o->azure_sas))) {
		px_buf_puts(err, "Azure store: azure://container[/prefix] with an account and "
			    "an account key or a SAS token (credentials)");
		goto fail;
	}
	rest = o->url + 8;
	slash = strchr(rest, '/');
	a->container = slash ? strndup(rest, (size_t)(slash - rest)) : strdup(rest);
	px_buf_printf(&b, "%s", slash && slash[1] ? slash + 1 : "");
	if (b.len && b.data[b.len - 1] != '/')
		px_buf_putc(&b, '/');
	px_buf_puts(&b, "");
	a->prefix = px_buf_steal(&b);
	if (o->azure_endpoint && *o->azure_endpoint) {
		ep = o->azure_endpoint;
	} else {
		px_buf_printf(&b, "https://%s.blob.core.windows.net", o->azure_account);
		ep = b.data ? b.data : "";
	}
	/* split "scheme://host[:port][/path]" */
	p3 = strstr(ep, "://");
	p3 = p3 ? strchr(p3 + 3, '/') : NULL;
	a->origin = p3 ? strndup(ep, (size_t)(p3 - ep)) : strdup(ep);
	a->path_base = strdup(p3 ? p3 : "");
	px_buf_free(&b);
	while (a->path_base && *a->path_base && a->path_base[strlen(a->path_base) - 1] == '/')
		a->path_base[strlen(a->path_base) - 1] = '\0';
	a->account = strdup(o->azure_account);
	if (o->azure_sas && *o->azure_sas)
		a->sas = strdup(o->azure_sas[0] == '?' ? o->azure_sas + 1 : o->azure_sas);
	else
		a->key = strdup(o->azure_key);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	a->curl = curl_easy_init();
	if (!a->container || !*a->container || !a->prefix || !a->origin ||
	    !strstr(a->origin, "://") || !a->path_base || !a->account || !(a->sas || a->key) ||
	    !a->curl) {
		px_buf_puts(err, "bad Azure URL or endpoint");
		goto fail;
	}
	return &a->base;
fail:
	px_buf_free(&b);
	az_free(&a->base);
	return NULL;
}
