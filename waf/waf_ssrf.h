/* waf_ssrf.h: decides whether a URL that the server is about to fetch
 * (link preview, webhook, import, avatar) points somewhere it must not:
 * a non-HTTP(S) scheme, or a loopback, private, link-local, multicast or
 * cloud-metadata address written in any notation (decimal, octal, hex,
 * short forms, IPv4-in-IPv6, percent-encoded or full-width digits,
 * wildcard-DNS names embedding an address, well-known loopback names).
 *
 * The WAF sees names, not resolutions: the fetcher must still check the
 * resolved address (px_waf_ssrf_addr_blocked) at connect time and on
 * every redirect. */
#ifndef PX_WAF_SSRF_H
#define PX_WAF_SSRF_H

#include <stddef.h>

enum px_waf_ssrf {
	PX_WAF_SSRF_OK = 0,
	PX_WAF_SSRF_SCHEME,    /* not http or https */
	PX_WAF_SSRF_ADDRESS,   /* an internal address literal */
	PX_WAF_SSRF_NAME,      /* a name that is or resolves to an internal address */
	PX_WAF_SSRF_MALFORMED, /* no usable host */
};

/* Checks url[0..n) (one transport decoding already removed). An empty
 * value is PX_WAF_SSRF_OK (nothing will be fetched). */
enum px_waf_ssrf px_waf_ssrf_check_url(const char *url, size_t n);

/* 1 when the address (4 bytes for AF_INET, 16 for AF_INET6; family is
 * 4 or 6) is one a server-side fetch must not reach. */
int px_waf_ssrf_addr_blocked(int family, const unsigned char *addr)
	__attribute__((nonnull));

/* Parses host[0..n) as an IP address in any notation a resolver or URL
 * parser accepts (inet_aton forms, bracketed IPv6 with zone). Returns 4
 * or 6 and fills out (4 or 16 bytes), or 0 when host is not an address. */
int px_waf_ssrf_parse_ip(const char *host, size_t n, unsigned char out[16])
	__attribute__((nonnull));

#endif
