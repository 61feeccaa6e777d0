/* waf_ssrf.c: URL and address checks for server-side fetches, written
 * against the WHATWG URL rules (what browsers and most fetchers do) and
 * the RFC 3986 reading, so that a parser differential cannot hide a host. */
#include "waf/waf_ssrf.h"
#include "waf/waf_norm.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct v4range {
	uint32_t net;
	int bits;
};

static const struct v4range v4_blocked[] = {
	{0x00000000u, 8},  /* "this" network, 0.0.0.0 */
	{0x0A000000u, 8},  /* private */
	{0x64400000u, 10}, /* carrier-grade NAT (and Alibaba metadata) */
	{0x7F000000u, 8},  /* loopback */
	{0xA9FE0000u, 16}, /* link-local, cloud metadata */
	{0xAC100000u, 12}, /* private */
	{0xC0000000u, 24}, /* IETF protocol assignments */
	{0xC0A80000u, 16}, /* private */
	{0xC6120000u, 15}, /* benchmarking */
	{0xE0000000u, 4},  /* multicast */
	{0xF0000000u, 4},  /* reserved, broadcast */
};

static int v4_blocked_u32(uint32_t a)
{
	size_t i;

	for (i = 0; i < sizeof(v4_blocked) / sizeof(v4_blocked[0]); i++) {
		uint32_t mask = v4_blocked[i].bits ? 0xFFFFFFFFu << (32 - v4_blocked[i].bits) : 0;

		if ((a & mask) == v4_blocked[i].net)
			return 1;
	}
	return 0;
}

int px_waf_ssrf_addr_blocked(int family, const unsigned char *a)
{
	static const unsigned char zero[16];

	if (family == 4)
		return v4_blocked_u32(((uint32_t)a[0] << 24) | ((uint32_t)a[1] << 16) |
				      ((uint32_t)a[2] << 8) | a[3]);
	if (family != 6)
		return 1;
	if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1))
		return 1; /* :: and ::1 */
	if (a[0] == 0xFE && (a[1] & 0xC0) == 0x80)
		return 1; /* fe80::/10 link-local */
	if (a[0] == 0xFE && (a[1] & 0xC0) == 0xC0)
		return 1; /* fec0::/10 old site-local */
	if ((a[0] & 0xFE) == 0xFC)
		return 1; /* fc00::/7 unique local (incl. fd00:ec2::254) */
	if (a[0] == 0xFF)
		return 1; /* multicast */
	/* Addresses that embed IPv4: mapped, compatible, NAT64, 6to4. */
	if (memcmp(a, zero, 10) == 0 &&
	    ((a[10] == 0xFF && a[11] == 0xFF) || (a[10] == 0 && a[11] == 0)))
		return px_waf_ssrf_addr_blocked(4, a + 12);
	if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xFF && a[3] == 0x9B)
		return px_waf_ssrf_addr_blocked(4, a + 12);
	if (a[0] == 0x20 && a[1] == 0x02)
		return px_waf_ssrf_addr_blocked(4, a + 2);
	return 0;
}

/* One inet_aton part: decimal, 0x hex or 0-prefixed octal. */
static int v4_part(const char *s, size_t n, uint64_t *v)
{
	int base = 10;
	size_t i = 0;

	if (n == 0)
		return 0;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, i = 2;
	else if (n >= 2 && s[0] == '0')
		base = 8, i = 1;
	*v = 0;
	for (; i < n; i++) {
		int d;
		char c = (char)tolower((unsigned char)s[i]);

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return 0;
		if (d >= base)
			return 0;
		*v = *v * (uint64_t)base + (uint64_t)d;
		if (*v > 0xFFFFFFFFull)
			return 0;
	}
	return 1;
}

static int parse_v4(const char *s, size_t n, unsigned char out[4])
{
	uint64_t part[4];
	size_t np = 0, i = 0, start = 0;
	uint32_t a;

	if (n && s[n - 1] == '.')
		n--; /* a trailing dot is allowed */
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (np == 4 || !v4_part(s + start, i - start, &part[np]))
				return 0;
			np++;
			start = i + 1;
		}
	}
	if (np == 0)
		return 0;
	for (i = 0; i + 1 < np; i++)
		if (part[i] > 255)
			return 0;
	if (part[np - 1] >= (1ull << (8 * (5 - np))))
		return 0;
	a = (uint32_t)part[np - 1];
	for (i = 0; i + 1 < np; i++)
		a |= (uint32_t)part[i] << (24 - 8 * i);
	out[0] = (unsigned char)(a >> 24);
	out[1] = (unsigned char)(a >> 16);
	out[2] = (unsigned char)(a >> 8);
	out[3] = (unsigned char)a;
	return 1;
}

int px_waf_ssrf_parse_ip(const char *host, size_t n, unsigned char out[16])
{
	char tmp[64];

	if (n >= 2 && host[0] == '[') {
		const char *end = memchr(host, ']', n);
		const char *zone;
		size_t len;

		if (!end)
			return 0;
		len = (size_t)(end - host - 1);
		zone = memchr(host + 1, '%', len);
		if (zone)
			len = (size_t)(zone - host - 1);
		if (len == 0 || len >= sizeof(tmp))
			return 0;
		memcpy(tmp, host + 1, len);
		tmp[len] = '\0';
		return inet_pton(AF_INET6, tmp, out) == 1 ? 6 : 0;
	}
	if (n && n < sizeof(tmp) && memchr(host, ':', n)) {
		memcpy(tmp, host, n);
		tmp[n] = '\0';
		if (inet_pton(AF_INET6, tmp, out) == 1)
			return 6;
	}
	return parse_v4(host, n, out) ? 4 : 0;
}

static int ends_with(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);

	return n >= k && memcmp(s + n - k, suf, k) == 0;
}

static int name_is(const char *s, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n == k && memcmp(s, name, k) == 0;
}

/* Names that are, or resolve to, internal addresses by convention. */
static const char *const bad_names[] = {
	"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback",
	"metadata", "metadata.google.internal", "instance-data",
	"kubernetes", "kubernetes.default", "localtest.me", "lvh.me",
	"vcap.me", "lacolhost.com", "localh.st", "spoofed.burpcollaborator.net",
};
static const char *const bad_suffixes[] = {
	".localhost", ".local", ".localdomain", ".internal", ".home.arpa",
	".intranet", ".corp", ".lan", ".localtest.me", ".lvh.me", ".vcap.me",
	".lacolhost.com", ".localh.st", ".svc", ".cluster.local",
};

/* Wildcard-DNS names embed an address in their labels: 10.0.0.1.nip.io,
 * 127-0-0-1.sslip.io, app-169-254-169-254.nip.io, 7f000001.nip.io. */
static int embedded_blocked(const char *h, size_t n)
{
	unsigned char a[16];
	size_t i, j;

	/* Dotted: any run of four numeric labels. */
	for (i = 0; i < n; i = j + 1) {
		size_t k = i, labels = 0;

		for (j = i; j < n && h[j] != '.'; j++)
			;
		while (k < n && labels < 4) {
			size_t e = k;

			while (e < n && isdigit((unsigned char)h[e]))
				e++;
			if (e == k || (e < n && h[e] != '.'))
				break;
			labels++;
			if (labels == 4 && e < n && parse_v4(h + i, e - i, a) &&
			    px_waf_ssrf_addr_blocked(4, a))
				return 1;
			k = e + 1;
		}
		if (j >= n)
			break;
	}
	/* Dashed or hex: inspect the first label. */
	for (j = 0; j < n && h[j] != '.'; j++)
		;
	if (j < n) {
		char lab[64];
		size_t k, digits = 0;

		if (j >= sizeof(lab))
			return 0;
		memcpy(lab, h, j);
		lab[j] = '\0';
		for (k = 0; k < j; k++)
			if (isxdigit((unsigned char)lab[k]))
				digits++;
		if (j == 8 && digits == 8) {
			unsigned long v = strtoul(lab, NULL, 16);

			a[0] = (unsigned char)(v >> 24), a[1] = (unsigned char)(v >> 16);
			a[2] = (unsigned char)(v >> 8), a[3] = (unsigned char)v;
			if (px_waf_ssrf_addr_blocked(4, a))
				return 1;
		}
		for (k = 0; k < j; k++) {
			/* Try every suffix starting at a digit after '-' or at 0. */
			if ((k == 0 || lab[k - 1] == '-') && isdigit((unsigned char)lab[k])) {
				char d[64];
				size_t m, dashes = 0;

				for (m = 0; k + m < j; m++) {
					d[m] = lab[k + m] == '-' ? '.' : lab[k + m];
					if (lab[k + m] == '-')
						dashes++;
				}
				d[m] = '\0';
				if (dashes == 3 && parse_v4(d, m, a) &&
				    px_waf_ssrf_addr_blocked(4, a))
					return 1;
			}
		}
	}
	return 0;
}

static enum px_waf_ssrf check_host(const char *h, size_t n)
{
	unsigned char a[16];
	size_t i;
	int fam;

	while (n && h[n - 1] == '.')
		n--;
	if (n == 0)
		return PX_WAF_SSRF_MALFORMED;
	fam = px_waf_ssrf_parse_ip(h, n, a);
	if (fam)
		return px_waf_ssrf_addr_blocked(fam, a) ? PX_WAF_SSRF_ADDRESS : PX_WAF_SSRF_OK;
	if (h[0] == '[')
		return PX_WAF_SSRF_MALFORMED;
	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
		if (name_is(h, n, bad_names[i]))
			return PX_WAF_SSRF_NAME;
	for (i = 0; i < sizeof(bad_suffixes) / sizeof(bad_suffixes[0]); i++)
		if (ends_with(h, n, bad_suffixes[i]))
			return PX_WAF_SSRF_NAME;
	if (!memchr(h, '.', n))
		return PX_WAF_SSRF_NAME; /* a bare name resolves on the local network */
	return embedded_blocked(h, n) ? PX_WAF_SSRF_NAME : PX_WAF_SSRF_OK;
}

/* Normalises an authority's host part into out: percent-decoded, folded
 * (full-width digits, ideographic dots), lower-cased, port removed. */
static void host_of(const char *auth, size_t n, struct px_buf *out, struct px_buf *tmp)
{
	const char *at = NULL, *h;
	size_t i, hl;

	for (i = 0; i < n; i++)
		if (auth[i] == '@')
			at = auth + i;
	h = at ? at + 1 : auth;
	hl = (size_t)(auth + n - h);
	px_waf_norm_text(h, hl, PX_WAF_NO_PLUS, out, tmp);
	/* Strip the port: after ']' for IPv6, else a single trailing ":digits". */
	if (out->len && out->data[0] == '[') {
		char *rb = memchr(out->data, ']', out->len);

		if (rb)
			out->len = (size_t)(rb - out->data) + 1;
	} else {
		char *colon = memchr(out->data, ':', out->len);

		if (colon && !memchr(colon + 1, ':', out->len - (size_t)(colon - out->data) - 1))
			out->len = (size_t)(colon - out->data);
	}
	if (out->data)
		out->data[out->len] = '\0';
}

enum px_waf_ssrf px_waf_ssrf_check_url(const char *url, size_t n)
{
	struct px_buf host = PX_BUF_INIT, tmp = PX_BUF_INIT, clean = PX_BUF_INIT;
	enum px_waf_ssrf res = PX_WAF_SSRF_OK, r2;
	const char *s, *p, *auth, *end;
	size_t i, len;

	/* WHATWG: strip leading/trailing C0 and spaces, drop tabs and newlines. */
	while (n && (unsigned char)url[0] <= 0x20)
		url++, n--;
	while (n && (unsigned char)url[n - 1] <= 0x20)
		n--;
	if (n == 0)
		goto out;
	for (i = 0; i < n; i++)
		if (url[i] != '\t' && url[i] != '\n' && url[i] != '\r')
			px_buf_putc(&clean, url[i]);
	if (clean.failed) {
		res = PX_WAF_SSRF_MALFORMED;
		goto out;
	}
	s = clean.data;
	len = clean.len;
	end = s + len;
	p = s;
	if (isalpha((unsigned char)*p)) {
		const char *q = p;

		while (q < end && (isalnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.'))
			q++;
		if (q < end && *q == ':') {
			size_t sl = (size_t)(q - p);

			if (!((sl == 4 && strncasecmp(p, "http", 4) == 0) ||
			      (sl == 5 && strncasecmp(p, "https", 5) == 0))) {
				res = PX_WAF_SSRF_SCHEME;
				goto out;
			}
			p = q + 1;
		}
	}
	while (p < end && (*p == '/' || *p == '\\'))
		p++;
	auth = p;
	/* WHATWG reading: the authority ends at / \ ? # */
	while (p < end && *p != '/' && *p != '\\' && *p != '?' && *p != '#')
		p++;
	host_of(auth, (size_t)(p - auth), &host, &tmp);
	res = check_host(host.data ? host.data : "", host.len);
	if (res != PX_WAF_SSRF_OK)
		goto out;
	/* RFC 3986 reading (a backslash is just a character). */
	p = auth;
	while (p < end && *p != '/' && *p != '?' && *p != '#')
		p++;
	host_of(auth, (size_t)(p - auth), &host, &tmp);
	r2 = check_host(host.data ? host.data : "", host.len);
	if (r2 == PX_WAF_SSRF_ADDRESS || r2 == PX_WAF_SSRF_NAME)
		res = r2;
out:
	px_buf_free(&host);
	px_buf_free(&tmp);
	px_buf_free(&clean);
	return res;
}
