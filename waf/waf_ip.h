/* waf_ip.h: IP reputation for the WAF: allow/deny lists of IPv4 and IPv6
 * CIDR ranges (from config, the admin API or threat-intelligence feeds),
 * the client address behind trusted proxies, and in-memory temporary
 * automatic blocks for clients that trip many rules.
 *
 * A list is built (add, add_text), then finished; a finished list is
 * immutable and may be shared by threads. The auto-block table is the
 * module's own mutable state behind its API, guarded by a mutex; it is
 * per process (the DB-shared part is layered on top by the caller). */
#ifndef PX_WAF_IP_H
#define PX_WAF_IP_H

#include <stddef.h>
#include <time.h>

/* An address; IPv4 is held as IPv4-mapped IPv6 (::ffff:a.b.c.d). */
struct px_waf_ip {
	unsigned char a[16];
};

/* Parses a textual IPv4 or IPv6 address (brackets and a zone allowed).
 * Returns 0, or -1 when s is not an address. */
int px_waf_ip_parse(const char *s, size_t n, struct px_waf_ip *out)
	__attribute__((nonnull));

struct px_waf_ip_list;

/* An empty list, or NULL when out of memory; the caller frees it with
 * px_waf_ip_list_free (NULL is allowed there). */
struct px_waf_ip_list *px_waf_ip_list_new(void) __attribute__((warn_unused_result));
void px_waf_ip_list_free(struct px_waf_ip_list *l);
/* Adds "a.b.c.d", "a.b.c.d/nn", "v6" or "v6/nn" (host bits ignored).
 * Returns 0, or -1 for a malformed entry or out of memory. */
int px_waf_ip_list_add(struct px_waf_ip_list *l, const char *cidr, size_t n)
	__attribute__((nonnull));
/* Adds every range of a feed: one entry per line, blank lines and lines
 * starting with '#' or ';' skipped, anything after the first space, tab
 * or ';' ignored (Spamhaus DROP and FireHOL formats). Returns the number
 * added; *bad counts malformed lines. */
size_t px_waf_ip_list_add_text(struct px_waf_ip_list *l, const char *text, size_t n,
			       size_t *bad) __attribute__((nonnull));
/* Sorts and merges the ranges; the list must be finished before lookups
 * and is read-only afterwards. */
void px_waf_ip_list_finish(struct px_waf_ip_list *l) __attribute__((nonnull));
/* 1 when the textual address addr lies in a range of the finished list. */
int px_waf_ip_list_contains(const struct px_waf_ip_list *l, const char *addr);
/* Number of merged ranges. */
size_t px_waf_ip_list_count(const struct px_waf_ip_list *l);

/* Canonical text of one entry: "a.b.c.d/nn" or "v6/nn" with the host bits
 * cleared (a plain address gets /32 or /128), written into out (64 bytes
 * are enough). *v4 (1 for IPv4) and *bits (prefix length in the entry's
 * own family) are set when non-NULL. Returns 0, or -1 when malformed. */
int px_waf_ip_cidr_norm(const char *cidr, size_t n, char *out, size_t outsz,
			int *v4, int *bits) __attribute__((nonnull(1, 3)));
/* 1 when the ranges of entries a and b overlap, 0 when not, -1 when either
 * is malformed. */
int px_waf_ip_cidr_overlap(const char *a, size_t an, const char *b, size_t bn)
	__attribute__((nonnull(1, 3)));

/* An immutable set of blocked addresses, each with its expiry, as loaded
 * from the shared block table. Built with add, then finished; a finished
 * set may be shared by threads. */
struct px_waf_ip_blocks;

/* An empty set, or NULL when out of memory; the caller frees it with
 * px_waf_ip_blocks_free (NULL is allowed there). */
struct px_waf_ip_blocks *px_waf_ip_blocks_new(void) __attribute__((warn_unused_result));
void px_waf_ip_blocks_free(struct px_waf_ip_blocks *b);
/* Adds addr blocked until `until`; 0, or -1 (malformed, out of memory). */
int px_waf_ip_blocks_add(struct px_waf_ip_blocks *b, const char *addr, time_t until)
	__attribute__((nonnull(1)));
void px_waf_ip_blocks_finish(struct px_waf_ip_blocks *b) __attribute__((nonnull));
/* 1 when addr is blocked at now (*until receives the end when non-NULL). */
int px_waf_ip_blocks_find(const struct px_waf_ip_blocks *b, const char *addr, time_t now,
			  time_t *until);
/* Number of entries, and entry i as text (64 bytes are enough) with its
 * expiry; -1 past the end. */
size_t px_waf_ip_blocks_count(const struct px_waf_ip_blocks *b);
int px_waf_ip_blocks_get(const struct px_waf_ip_blocks *b, size_t i, char *addr,
			 size_t addrsz, time_t *until);

/* The client address: remote_addr, unless it is a trusted proxy, in which
 * case X-Forwarded-For is walked from the right, skipping trusted proxies,
 * and the first other valid address is taken (a malformed entry stops the
 * walk at the last good hop). Writes it into out (INET6_ADDRSTRLEN is
 * enough); returns 0, or -1 when remote_addr is not an address. */
int px_waf_ip_client(const char *remote_addr, const char *xff,
		     const struct px_waf_ip_list *trusted, char *out, size_t outsz)
	__attribute__((nonnull(4)));

struct px_waf_autoblock_cfg {
	int enabled;        /* 0 disables automatic blocks (waf_auto_block = off) */
	int threshold;      /* points within the window that trigger a block */
	int window_s;       /* sliding window for points */
	int block_s;        /* how long a block lasts */
	size_t max_clients; /* table size; the oldest entries are recycled */
};

struct px_waf_autoblock;

/* Returns a new table, or NULL when out of memory; the caller frees it
 * with px_waf_autoblock_free (NULL is allowed there). */
struct px_waf_autoblock *px_waf_autoblock_new(const struct px_waf_autoblock_cfg *cfg)
	__attribute__((nonnull, warn_unused_result));
void px_waf_autoblock_free(struct px_waf_autoblock *ab);
/* Switches automatic blocking on or off (config reload). Off also lifts
 * current blocks from the answer of px_waf_autoblock_blocked(). */
void px_waf_autoblock_set_enabled(struct px_waf_autoblock *ab, int on)
	__attribute__((nonnull));
/* Adds points (a blocked request's WAF score, say) for addr (NULL or not
 * an address: nothing) at now. Returns 1 when this pushes the client over
 * the threshold (a block starts), else 0. Thread-safe. */
int px_waf_autoblock_record(struct px_waf_autoblock *ab, const char *addr, int points,
			    time_t now) __attribute__((nonnull(1)));
/* 1 when addr is blocked at now (*until receives the end when not NULL).
 * Thread-safe. */
int px_waf_autoblock_blocked(struct px_waf_autoblock *ab, const char *addr, time_t now,
			     time_t *until) __attribute__((nonnull(1)));
/* Lifts a block and forgets the client's points (admin action). */
void px_waf_autoblock_clear(struct px_waf_autoblock *ab, const char *addr)
	__attribute__((nonnull(1)));

#endif
