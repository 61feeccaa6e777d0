/* safefetch.c: the SSRF-safe HTTP client. The invariant: libcurl only
 * ever opens a socket to an address px_sf_allowed accepted, whatever the
 * name resolves to later (the open-socket callback checks the address it
 * is handed, after the pinned resolution). */
#include "core/safefetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#define MAX_ADDRS 16

/* --- classification ------------------------------------------------------ */

struct v4range {
	uint32_t net;
	int bits;
	const char *why;
};

/* Most specific first: the metadata address inside link-local. */
static const struct v4range v4_blocked[] = {
	{ 0xA9FEA9FEu, 32, "metadata" },     /* 169.254.169.254 */
	{ 0x00000000u, 8, "unspecified" },   /* 0.0.0.0/8 "this network" */
	{ 0x7F000000u, 8, "loopback" },
	{ 0x0A000000u, 8, "private" },
	{ 0xAC100000u, 12, "private" },
	{ 0xC0A80000u, 16, "private" },
	{ 0xA9FE0000u, 16, "link-local" },
	{ 0x64400000u, 10, "cgnat" },        /* 100.64.0.0/10 */
	{ 0xC0000000u, 24, "reserved" },     /* IETF protocol assignments */
	{ 0xC0000200u, 24, "reserved" },     /* TEST-NET-1 */
	{ 0xC6336400u, 24, "reserved" },     /* TEST-NET-2 */
	{ 0xCB007100u, 24, "reserved" },     /* TEST-NET-3 */
	{ 0xC6120000u, 15, "reserved" },     /* benchmarking */
	{ 0xC0586300u, 24, "reserved" },     /* 6to4 relay anycast */
	{ 0xE0000000u, 4, "multicast" },
	{ 0xFFFFFFFFu, 32, "broadcast" },
	{ 0xF0000000u, 4, "reserved" },
};

static int v4_in(uint32_t a, uint32_t net, int bits)
{
	uint32_t mask = bits == 0 ? 0 : 0xFFFFFFFFu << (32 - bits);

	return (a & mask) == (net & mask);
}

static const char *classify_v4(uint32_t a)
{
	size_t i;

	for (i = 0; i < sizeof(v4_blocked) / sizeof(v4_blocked[0]); i++)
		if (v4_in(a, v4_blocked[i].net, v4_blocked[i].bits))
			return v4_blocked[i].why;
	return NULL;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

static const char *classify_v6(const unsigned char *a)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const unsigned char ec2[16] = { 0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0,
					       0, 0, 0, 0, 0, 0, 0x02, 0x54 };

	if (all_zero(a, 15))
		return a[15] == 0 ? "unspecified" : a[15] == 1 ? "loopback" : "reserved";
	/* IPv4 written inside IPv6 is whatever that IPv4 address is */
	if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0 || all_zero(a, 12))
		return classify_v4(be32(a + 12));
	if (a[0] == 0x20 && a[1] == 0x02)               /* 6to4 2002:V4ADDR::/48 */
		return classify_v4(be32(a + 2));
	if (memcmp(a, ec2, 16) == 0)
		return "metadata";
	if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b &&
	    a[4] == 0x00 && a[5] == 0x01)                /* 64:ff9b:1::/48 */
		return "nat64-local";
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0)  /* 2001::/32 */
		return "teredo";
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
		return "reserved";                       /* documentation */
	if (a[0] == 0x01 && all_zero(a + 1, 7))         /* discard 100::/64 */
		return "reserved";
	if ((a[0] & 0xfe) == 0xfc)                      /* ULA fc00::/7 */
		return "private";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)      /* fe80::/10 */
		return "link-local";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)      /* site-local fec0::/10 */
		return "private";
	if (a[0] == 0xff)
		return "multicast";
	return NULL;
}

const char *px_sf_classify(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

		return classify_v4(ntohl(s4->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		return classify_v6(s6->sin6_addr.s6_addr);
	}
	return "unspecified";
}

/* --- the allow-list ------------------------------------------------------ */

/* Parses one "addr" or "addr/bits" of [s, s+n) into a 16-byte form (IPv4
 * as mapped IPv6, bits shifted by 96) and its prefix length. */
static int parse_cidr(const char *s, size_t n, unsigned char net[16], int *bits)
{
	char tmp[64], *slash;
	struct in_addr a4;
	long b = -1;
	int v4;

	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if ((slash = strchr(tmp, '/'))) {
		char *end;

		*slash = '\0';
		b = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1)
			return -1;
	}
	v4 = inet_pton(AF_INET, tmp, &a4) == 1;
	if (v4) {
		memset(net, 0, 10);
		net[10] = net[11] = 0xff;
		memcpy(net + 12, &a4, 4);
		if (b > 32)
			return -1;
		*bits = b < 0 ? 128 : (int)b + 96;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, net) != 1 || b > 128)
		return -1;
	*bits = b < 0 ? 128 : (int)b;
	return 0;
}

static int prefix_eq(const unsigned char *a, const unsigned char *b, int bits)
{
	int full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ b[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/* Reads every entry of allow: -1 at the first bad one, else 1 when some
 * entry contains addr (addr may be NULL: only validate), else 0. */
static int walk_allow(const char *allow, const unsigned char *addr)
{
	const char *p = allow, *comma;
	unsigned char net[16];
	int bits, hit = 0;

	while (p && *p) {
		size_t n;

		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (parse_cidr(p, n, net, &bits) != 0)
			return -1;
		if (addr && prefix_eq(addr, net, bits))
			hit = 1;
		p = comma ? comma + 1 : NULL;
	}
	return hit;
}

int px_sf_allow_valid(const char *allow)
{
	return allow && walk_allow(allow, NULL) < 0 ? -1 : 0;
}

int px_sf_allowed(const struct sockaddr *sa, const char *allow, const char **why)
{
	const char *w = px_sf_classify(sa);
	unsigned char a[16];

	if (why)
		*why = w;
	if (!w)
		return 1;
	if (strcmp(w, "metadata") == 0 || !allow || !*allow)
		return 0;
	if (sa->sa_family == AF_INET) {
		memset(a, 0, 10);
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6)
		memcpy(a, ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr, 16);
	else
		return 0;
	return walk_allow(allow, a) == 1;
}

/* --- resolution and URL checks -------------------------------------------- */

static int default_resolve(void *arg, const char *host, struct sockaddr_storage *out,
			   int max)
{
	struct addrinfo hints, *res = NULL, *ai;
	int n = 0;

	(void)arg;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return -1;
	for (ai = res; ai && n < max; ai = ai->ai_next)
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
		    ai->ai_addrlen <= sizeof(*out))
			memcpy(&out[n++], ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
	return n;
}

/* One hop's target: the URL's parts and the checked addresses. */
struct target {
	char host[256];
	long port;
	struct sockaddr_storage addrs[MAX_ADDRS];
	int naddrs;
	int literal;       /* the host is an address itself */
};

/* Writes why a URL was refused into d (may be NULL): what, then arg. */
static void say(char *d, size_t n, const char *what, const char *arg)
{
	if (d && n)
		snprintf(d, n, "%s%s", what, arg ? arg : "");
}

/* Parses url, resolves its host (unless literal) and checks every
 * address. The host keeps its brackets off ("::1"). */
static enum px_sf_result resolve_target(const char *url, const char *allow,
					px_sf_resolve_fn resolve, void *arg,
					struct target *t, char *d, size_t dn)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL, *port = NULL;
	enum px_sf_result r = PX_SF_BAD_URL;
	struct in6_addr a6;
	struct in_addr a4;
	size_t hl;
	int i;

	memset(t, 0, sizeof(*t));
	if (!u)
		return PX_SF_NOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		say(d, dn, "not a URL", NULL);
		goto out;
	}
	if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) {
		say(d, dn, "scheme is not http or https: ", scheme);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		say(d, dn, "credentials in the URL", NULL);
		goto out;
	}
	hl = strlen(host);
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	if (hl == 0 || strlen(host) >= sizeof(t->host))
		goto out;
	snprintf(t->host, sizeof(t->host), "%s", host);
	t->port = strtol(port, NULL, 10);
	if (inet_pton(AF_INET, t->host, &a4) == 1) {
		struct sockaddr_in *s = (struct sockaddr_in *)(void *)&t->addrs[0];

		s->sin_family = AF_INET;
		s->sin_addr = a4;
		t->naddrs = t->literal = 1;
	} else if (inet_pton(AF_INET6, t->host, &a6) == 1) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)(void *)&t->addrs[0];

		s->sin6_family = AF_INET6;
		s->sin6_addr = a6;
		t->naddrs = t->literal = 1;
	} else {
		t->naddrs = (resolve ? resolve : default_resolve)(arg, t->host, t->addrs,
								    MAX_ADDRS);
		if (t->naddrs <= 0) {
			say(d, dn, "the name does not resolve: ", t->host);
			r = PX_SF_DNS;
			goto out;
		}
	}
	/* every address must pass: a name that also points inside is refused
	 * as a whole, whichever address libcurl would have tried first */
	for (i = 0; i < t->naddrs; i++) {
		const char *why;

		if (!px_sf_allowed((struct sockaddr *)&t->addrs[i], allow, &why)) {
			if (d && dn)
				snprintf(d, dn, "%s resolves to a %s address", t->host, why);
			r = PX_SF_REFUSED;
			goto out;
		}
	}
	r = PX_SF_DONE;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(port);
	curl_url_cleanup(u);
	return r;
}

enum px_sf_result px_sf_check_url(const char *url, const char *allow,
				  px_sf_resolve_fn resolve, void *arg,
				  char *detail, size_t dlen)
{
	struct target t;

	if (detail && dlen)
		detail[0] = '\0';
	return resolve_target(url, allow, resolve, arg, &t, detail, dlen);
}

/* --- one hop -------------------------------------------------------------- */

struct hop {
	const char *allow;
	struct px_sf_resp *resp;
	size_t max;
	int too_large;
	int refused;
};

static curl_socket_t open_checked(void *arg, curlsocktype purpose,
				  struct curl_sockaddr *a)
{
	struct hop *h = arg;
	const char *why;

	(void)purpose;
	if (!px_sf_allowed(&a->addr, h->allow, &why)) {
		h->refused = 1;
		snprintf(h->resp->detail, sizeof(h->resp->detail),
			 "connection to a %s address refused", why ? why : "?");
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct hop *h = arg;

	if (h->resp->body.len + size * n > h->max) {
		h->too_large = 1;
		return 0;
	}
	px_buf_append(&h->resp->body, p, size * n);
	return h->resp->body.failed ? 0 : size * n;
}

static long now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec * 1000L + tv.tv_usec / 1000;
}

/* Pins host:port to the checked addresses, as curl's resolve list wants
 * it ("host:port:a,[b]"). */
static struct curl_slist *pin(const struct target *t)
{
	char line[MAX_ADDRS * 48 + 300], ip[INET6_ADDRSTRLEN];
	size_t n;
	int i;

	n = (size_t)snprintf(line, sizeof(line), "%s:%ld:", t->host, t->port);
	for (i = 0; i < t->naddrs && n < sizeof(line) - 60; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&t->addrs[i];

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
				  ip, sizeof(ip));
		else
			inet_ntop(AF_INET6,
				  &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
				  ip, sizeof(ip));
		n += (size_t)snprintf(line + n, sizeof(line) - n,
				      sa->sa_family == AF_INET ? "%s%s" : "%s[%s]",
				      i ? "," : "", ip);
	}
	return curl_slist_append(NULL, line);
}

/* One request to url; *next gets the redirect target (malloc'd) when the
 * answer is a redirect with a Location. */
static enum px_sf_result hop(const struct px_sf_req *req, const char *url,
			     const char *method, int with_body, long budget_ms,
			     struct px_sf_resp *resp, char **next)
{
	struct hop h = { req->allow, resp, req->max_bytes ? req->max_bytes : 1u << 20, 0, 0 };
	struct curl_slist *resolve = NULL, *hdrs = NULL;
	enum px_sf_result r;
	struct target t;
	char *ct = NULL, *loc = NULL;
	CURL *c = NULL;
	CURLcode rc;
	size_t i;

	*next = NULL;
	px_buf_reset(&resp->body);
	resp->content_type[0] = '\0';
	resp->status = 0;
	r = resolve_target(url, req->allow, req->resolve, req->resolve_arg, &t,
			   resp->detail, sizeof(resp->detail));
	if (r != PX_SF_DONE)
		return r;
	r = PX_SF_NOMEM;
	if (!(c = curl_easy_init()) || (!t.literal && !(resolve = pin(&t))))
		goto out;
	for (i = 0; req->headers && req->headers[i]; i++)
		if (!(hdrs = curl_slist_append(hdrs, req->headers[i])))
			goto out;
	if (with_body && !(hdrs = curl_slist_append(hdrs, "Expect:")))
		goto out;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, budget_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, budget_ms);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h.max);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "PlexiChat-Hookshot/1");
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_checked);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &h);
	if (resolve)
		curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
	if (hdrs)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (with_body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	else if (!with_body)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	rc = curl_easy_perform(c);
	if (h.refused)
		r = PX_SF_REFUSED;
	else if (h.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(resp->detail, sizeof(resp->detail), "answer over %zu bytes", h.max);
		r = PX_SF_TOO_LARGE;
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(resp->detail, sizeof(resp->detail), "no answer within %ld ms", budget_ms);
		r = PX_SF_TIMEOUT;
	} else if (rc == CURLE_OUT_OF_MEMORY || resp->body.failed)
		r = PX_SF_NOMEM;
	else if (rc != CURLE_OK) {
		snprintf(resp->detail, sizeof(resp->detail), "%s", curl_easy_strerror(rc));
		r = PX_SF_CONNECT;
	} else {
		r = PX_SF_DONE;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
		if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
			snprintf(resp->content_type, sizeof(resp->content_type), "%s", ct);
		if (resp->status >= 300 && resp->status < 400 &&
		    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc &&
		    !(*next = strdup(loc)))
			r = PX_SF_NOMEM;
	}
out:
	curl_slist_free_all(resolve);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return r;
}

enum px_sf_result px_sf_fetch(const struct px_sf_req *req, struct px_sf_resp *resp)
{
	long budget = req->timeout_ms > 0 ? req->timeout_ms : 10000;
	long deadline = now_ms() + budget;
	const char *method = req->method ? req->method : "GET";
	int with_body = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
	char *url = strdup(req->url), *next = NULL;
	enum px_sf_result r = PX_SF_NOMEM;
	int hops;

	resp->detail[0] = '\0';
	for (hops = 0; url; hops++) {
		long left = deadline - now_ms();

		if (left <= 0) {
			snprintf(resp->detail, sizeof(resp->detail), "no answer within %ld ms", budget);
			r = PX_SF_TIMEOUT;
			break;
		}
		r = hop(req, url, method, with_body, left, resp, &next);
		free(url);
		url = NULL;
		if (r != PX_SF_DONE || !next)
			break;
		if (hops >= req->max_redirects) {
			snprintf(resp->detail, sizeof(resp->detail), "more than %d redirects",
				 req->max_redirects);
			r = PX_SF_REDIRECTS;
			break;
		}
		/* a POST redirected by 301/302/303 continues as a GET */
		if (with_body && resp->status != 307 && resp->status != 308) {
			method = "GET";
			with_body = 0;
		}
		url = next;
		next = NULL;
	}
	free(url);
	free(next);
	return r;
}

const char *px_sf_result_name(enum px_sf_result r)
{
	switch (r) {
	case PX_SF_DONE: return "done";
	case PX_SF_BAD_URL: return "bad_url";
	case PX_SF_REFUSED: return "refused_address";
	case PX_SF_DNS: return "dns";
	case PX_SF_CONNECT: return "connect";
	case PX_SF_TIMEOUT: return "timeout";
	case PX_SF_TOO_LARGE: return "too_large";
	case PX_SF_REDIRECTS: return "too_many_redirects";
	case PX_SF_NOMEM: return "out_of_memory";
	}
	return "unknown";
}
