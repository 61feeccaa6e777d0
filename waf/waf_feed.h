/* waf_feed.h: threat-intelligence feeds for the WAF's deny list: the
 * feed list from the config, fetching one feed over HTTP(S) with libcurl,
 * and validating its text (plain CIDR lists: Spamhaus DROP, FireHOL and
 * the like) before anything is stored. Pure functions plus one blocking
 * fetch; no state between calls. */
#ifndef PX_WAF_FEED_H
#define PX_WAF_FEED_H

#include <stddef.h>

#include "core/buf.h"

/* One entry of the waf_feeds config value ("name=url" or a bare url). */
struct px_waf_feed_src {
	char name[64];   /* [a-z0-9._-]; the url itself when none was given */
	char url[1024];
};

/* Splits the waf_feeds value (entries separated by commas or spaces) into
 * at most max sources. Returns the number found, or -1 with the reason in
 * err for an entry that is not "name=http(s)://..." or "http(s)://...". */
int px_waf_feed_sources(const char *spec, struct px_waf_feed_src *out, size_t max,
			struct px_buf *err) __attribute__((nonnull(2, 4)));

/* A validated feed: canonical CIDR entries (px_waf_ip_cidr_norm) and what
 * was skipped. Free with px_waf_feed_free(). */
struct px_waf_feed {
	char **cidrs;
	size_t n, cap;
	size_t lines;     /* lines holding an entry (comments and blanks excluded) */
	size_t bad;       /* malformed entries, skipped */
	size_t reserved;  /* loopback, private, link-local or too-broad ranges, skipped */
};

/* Parses feed text: one entry per line, '#' and ';' start comments and
 * anything after the first blank on a line is ignored. Ranges that touch
 * loopback, private, link-local, CGNAT or unspecified space, or are wider
 * than /8 (IPv4) or /16 (IPv6), are skipped: feeds list them as bogons for
 * border routers, and denying them here would lock out proxies and
 * monitors. Returns 0 when the feed is usable, or -1 with the reason in
 * err when it is refused: no usable entry, an HTML page, or more than a
 * quarter of its entry lines malformed (then nothing of it should be
 * stored). out is filled in both cases. */
int px_waf_feed_parse(const char *text, size_t n, struct px_waf_feed *out,
		      struct px_buf *err) __attribute__((nonnull));
/* Frees the entries f holds (f itself stays the caller's); NULL is allowed. */
void px_waf_feed_free(struct px_waf_feed *f);

/* Fetches url (http or https, at most 3 redirects, within timeout_s
 * seconds and max_bytes) into body. Returns 0 on a 200 answer, or -1 with
 * the reason in err. Blocks; for the admin CLI, not the request path. */
int px_waf_feed_fetch(const char *url, long timeout_s, size_t max_bytes,
		      struct px_buf *body, struct px_buf *err) __attribute__((nonnull));

#endif
