/* safefetch.h: the one HTTP client for URLs that users give PlexiChat
 * (outgoing webhooks, slash commands, link previews). It never reaches a
 * private address: it resolves names itself, checks every address, pins
 * libcurl to the checked ones, checks again the address of every socket
 * libcurl opens, and follows redirects by hand, each hop checked anew.
 * Responses are bounded in size and time. */
#ifndef PX_SAFEFETCH_H
#define PX_SAFEFETCH_H

#include <stddef.h>
#include <sys/socket.h>

#include "core/buf.h"

/* Why an address may not be reached, or NULL when it is public. The
 * categories: "unspecified", "loopback", "private" (RFC 1918, ULA,
 * site-local), "link-local", "cgnat", "multicast", "broadcast",
 * "metadata" (169.254.169.254, fd00:ec2::254), "reserved" (documentation,
 * benchmarking, 240/4, IETF protocol assignments, discard), "nat64-local"
 * (64:ff9b:1::/48), "teredo". IPv4 inside IPv6 (mapped ::ffff:a.b.c.d,
 * compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) is judged by
 * its IPv4 address. Only AF_INET and AF_INET6 are known; anything else
 * is "unspecified". */
const char *px_sf_classify(const struct sockaddr *sa) __attribute__((nonnull));

/* 1 when sa may be connected to: public, or inside one of the ranges of
 * allow (comma-separated CIDRs or addresses, the outbound_allow_private
 * key; NULL or "" allows nothing more). Metadata addresses are never
 * allowed. why, when not NULL, gets the classification. */
int px_sf_allowed(const struct sockaddr *sa, const char *allow, const char **why)
	__attribute__((nonnull(1)));

/* 0 when allow is a valid list for px_sf_allowed, else -1. */
int px_sf_allow_valid(const char *allow);

/* A name resolver: writes at most max addresses of host to out and
 * returns how many (0: none), or -1. The default uses getaddrinfo; tests
 * give their own to play DNS rebinding. */
typedef int (*px_sf_resolve_fn)(void *arg, const char *host,
				struct sockaddr_storage *out, int max);

enum px_sf_result {
	PX_SF_DONE = 0,       /* an answer came (status holds its code) */
	PX_SF_BAD_URL,        /* not http(s), credentials in it, no host */
	PX_SF_REFUSED,        /* an address (of any hop) is not allowed */
	PX_SF_DNS,            /* the name does not resolve */
	PX_SF_CONNECT,        /* no connection, or it broke */
	PX_SF_TIMEOUT,        /* the time budget ran out */
	PX_SF_TOO_LARGE,      /* the answer is over max_bytes */
	PX_SF_REDIRECTS,      /* more redirects than max_redirects */
	PX_SF_NOMEM,
};

/* A short English name of r for logs and delivery records. */
const char *px_sf_result_name(enum px_sf_result r);

struct px_sf_req {
	const char *method;            /* "GET" or "POST" */
	const char *url;
	const char *body;              /* POST body, may be NULL */
	size_t body_len;
	const char *const *headers;    /* "Name: value" lines, NULL-ended; or NULL */
	const char *allow;             /* outbound_allow_private */
	size_t max_bytes;              /* of the answer's body; 0: 1 MiB */
	long timeout_ms;               /* all hops together; 0: 10 s */
	int max_redirects;             /* hops followed after the first */
	px_sf_resolve_fn resolve;      /* NULL: getaddrinfo */
	void *resolve_arg;
};

struct px_sf_resp {
	long status;                   /* HTTP status of the last hop */
	struct px_buf body;            /* its body; caller frees */
	char content_type[128];        /* its Content-Type, "" when none */
	char detail[256];              /* why it failed, for the log */
};

/* Runs the request; the response's body is the caller's to free (also on
 * failure). 301, 302 and 303 after a POST continue as GET without body;
 * 307 and 308 repeat the method and body. Never follows a redirect to a
 * scheme other than http(s). Thread-safe (one easy handle per hop; the
 * caller has run curl_global_init). */
enum px_sf_result px_sf_fetch(const struct px_sf_req *req, struct px_sf_resp *resp)
	__attribute__((nonnull, warn_unused_result));

/* The save-time check of a URL a user gives: http(s), no credentials,
 * and every address its host resolves to now is allowed. The same checks
 * are made again at each connection, so a name that changes its answer
 * later gains nothing. detail (may be NULL) gets why not. */
enum px_sf_result px_sf_check_url(const char *url, const char *allow,
				  px_sf_resolve_fn resolve, void *arg,
				  char *detail, size_t dlen)
	__attribute__((nonnull(1), warn_unused_result));

#endif
