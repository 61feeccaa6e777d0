/* waf_ip.c: CIDR allow/deny lists (sorted, merged, binary-searched), the
 * client address behind trusted proxies, and the per-process auto-block
 * table (open addressing, bounded, mutex-guarded). */
#include "waf/waf_ip.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int px_waf_ip_parse(const char *s, size_t n, struct px_waf_ip *out)
{
	char tmp[64];
	unsigned char v4[4];
	size_t i;

	while (n && (s[0] == ' ' || s[0] == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
		s++, n -= 2;
	for (i = 0; i < n; i++)
		if (s[i] == '%')
			n = i; /* zone index */
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, v4) == 1) {
		memset(out->a, 0, 10);
		out->a[10] = out->a[11] = 0xFF;
		memcpy(out->a + 12, v4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, tmp, out->a) == 1 ? 0 : -1;
}

struct range {
	unsigned char lo[16], hi[16];
};

struct px_waf_ip_list {
	struct range *r;
	size_t n, cap;
};

struct px_waf_ip_list *px_waf_ip_list_new(void)
{
	return calloc(1, sizeof(struct px_waf_ip_list));
}

void px_waf_ip_list_free(struct px_waf_ip_list *l)
{
	if (!l)
		return;
	free(l->r);
	free(l);
}

/* Parses "addr" or "addr/bits" into the range it covers; *v4 and *bits
 * (in the address's own family) are set when non-NULL. 0 or -1. */
static int parse_cidr(const char *cidr, size_t n, struct range *rg, int *v4_out,
		      int *bits_out)
{
	const char *slash = memchr(cidr, '/', n);
	struct px_waf_ip ip;
	long bits;
	int i, v4;

	if (px_waf_ip_parse(cidr, slash ? (size_t)(slash - cidr) : n, &ip) != 0)
		return -1;
	v4 = memcmp(ip.a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0 &&
	     memchr(cidr, ':', slash ? (size_t)(slash - cidr) : n) == NULL;
	bits = v4 ? 32 : 128;
	if (slash) {
		char num[8];
		size_t k = n - (size_t)(slash - cidr) - 1;
		char *end;

		if (k == 0 || k >= sizeof(num))
			return -1;
		memcpy(num, slash + 1, k);
		num[k] = '\0';
		if (num[0] < '0' || num[0] > '9')
			return -1;
		bits = strtol(num, &end, 10);
		if (*end || bits < 0 || bits > (v4 ? 32 : 128))
			return -1;
	}
	if (v4_out)
		*v4_out = v4;
	if (bits_out)
		*bits_out = (int)bits;
	if (v4)
		bits += 96;
	for (i = 0; i < 16; i++) {
		int keep = (int)bits - 8 * i;
		unsigned char mask = keep >= 8 ? 0xFF : keep <= 0 ? 0 : (unsigned char)(0xFF << (8 - keep));

		rg->lo[i] = ip.a[i] & mask;
		rg->hi[i] = (unsigned char)(ip.a[i] | (unsigned char)~mask);
	}
	return 0;
}

int px_waf_ip_list_add(struct px_waf_ip_list *l, const char *cidr, size_t n)
{
	struct range rg;

	if (parse_cidr(cidr, n, &rg, NULL, NULL) != 0)
		return -1;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		struct range *p = realloc(l->r, nc * sizeof(*p));

		if (!p)
			return -1;
		l->r = p;
		l->cap = nc;
	}
	l->r[l->n++] = rg;
	return 0;
}

int px_waf_ip_cidr_norm(const char *cidr, size_t n, char *out, size_t outsz,
			int *v4, int *bits)
{
	char addr[64];
	struct range rg;
	int is4, b, w;

	if (parse_cidr(cidr, n, &rg, &is4, &b) != 0 ||
	    !inet_ntop(is4 ? AF_INET : AF_INET6, is4 ? rg.lo + 12 : rg.lo, addr,
		       sizeof(addr)))
		return -1;
	w = snprintf(out, outsz, "%s/%d", addr, b);
	if (w < 0 || (size_t)w >= outsz)
		return -1;
	if (v4)
		*v4 = is4;
	if (bits)
		*bits = b;
	return 0;
}

int px_waf_ip_cidr_overlap(const char *a, size_t an, const char *b, size_t bn)
{
	struct range x, y;

	if (parse_cidr(a, an, &x, NULL, NULL) != 0 || parse_cidr(b, bn, &y, NULL, NULL) != 0)
		return -1;
	return memcmp(x.lo, y.hi, 16) <= 0 && memcmp(y.lo, x.hi, 16) <= 0;
}

size_t px_waf_ip_list_add_text(struct px_waf_ip_list *l, const char *text, size_t n,
			       size_t *bad)
{
	size_t i = 0, added = 0;

	*bad = 0;
	while (i < n) {
		size_t e = i, k;

		while (e < n && text[e] != '\n')
			e++;
		while (i < e && (text[i] == ' ' || text[i] == '\t'))
			i++;
		for (k = i; k < e && text[k] != ' ' && text[k] != '\t' && text[k] != ';' &&
			    text[k] != '\r' && text[k] != '#'; k++)
			;
		if (k > i) {
			if (px_waf_ip_list_add(l, text + i, k - i) == 0)
				added++;
			else
				(*bad)++;
		}
		i = e + 1;
	}
	return added;
}

static int cmp_range(const void *a, const void *b)
{
	return memcmp(((const struct range *)a)->lo, ((const struct range *)b)->lo, 16);
}

/* 128-bit a + 1 <= b, i.e. ranges touch or overlap. */
static int adjacent(const unsigned char *hi, const unsigned char *lo)
{
	unsigned char next[16];
	int i, carry = 1;

	for (i = 15; i >= 0; i--) {
		int v = hi[i] + carry;

		next[i] = (unsigned char)v;
		carry = v > 0xFF;
	}
	return carry || memcmp(next, lo, 16) >= 0;
}

void px_waf_ip_list_finish(struct px_waf_ip_list *l)
{
	size_t i, out = 0;

	if (l->n == 0)
		return;
	qsort(l->r, l->n, sizeof(*l->r), cmp_range);
	for (i = 1; i < l->n; i++) {
		if (adjacent(l->r[out].hi, l->r[i].lo)) {
			if (memcmp(l->r[i].hi, l->r[out].hi, 16) > 0)
				memcpy(l->r[out].hi, l->r[i].hi, 16);
		} else {
			l->r[++out] = l->r[i];
		}
	}
	l->n = out + 1;
}

int px_waf_ip_list_contains(const struct px_waf_ip_list *l, const char *addr)
{
	struct px_waf_ip ip;
	size_t lo = 0, hi;

	if (!l || !addr || px_waf_ip_parse(addr, strlen(addr), &ip) != 0)
		return 0;
	hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(l->r[mid].hi, ip.a, 16) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->n && memcmp(l->r[lo].lo, ip.a, 16) <= 0;
}

size_t px_waf_ip_list_count(const struct px_waf_ip_list *l)
{
	return l ? l->n : 0;
}

static void ip_text(const struct px_waf_ip *ip, char *out, size_t outsz)
{
	if (memcmp(ip->a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
		inet_ntop(AF_INET, ip->a + 12, out, (socklen_t)outsz);
	else
		inet_ntop(AF_INET6, ip->a, out, (socklen_t)outsz);
}

int px_waf_ip_client(const char *remote_addr, const char *xff,
		     const struct px_waf_ip_list *trusted, char *out, size_t outsz)
{
	struct px_waf_ip ip;
	char cur[64];
	const char *end;

	if (!remote_addr || px_waf_ip_parse(remote_addr, strlen(remote_addr), &ip) != 0)
		return -1;
	ip_text(&ip, cur, sizeof(cur));
	end = xff ? xff + strlen(xff) : NULL;
	while (xff && px_waf_ip_list_contains(trusted, cur) && end > xff) {
		const char *start = end;
		struct px_waf_ip hop;

		while (start > xff && start[-1] != ',')
			start--;
		if (px_waf_ip_parse(start, (size_t)(end - start), &hop) != 0)
			break; /* garbage: keep the last good hop */
		ip_text(&hop, cur, sizeof(cur));
		end = start > xff ? start - 1 : xff;
	}
	if (strlen(cur) >= outsz)
		return -1;
	strcpy(out, cur);
	return 0;
}

/* --- blocks loaded from the shared table ---------------------------------- */

struct blocked {
	struct px_waf_ip ip;
	time_t until;
};

struct px_waf_ip_blocks {
	struct blocked *e;
	size_t n, cap;
};

struct px_waf_ip_blocks *px_waf_ip_blocks_new(void)
{
	return calloc(1, sizeof(struct px_waf_ip_blocks));
}

void px_waf_ip_blocks_free(struct px_waf_ip_blocks *b)
{
	if (!b)
		return;
	free(b->e);
	free(b);
}

int px_waf_ip_blocks_add(struct px_waf_ip_blocks *b, const char *addr, time_t until)
{
	struct px_waf_ip ip;

	if (!addr || px_waf_ip_parse(addr, strlen(addr), &ip) != 0)
		return -1;
	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 16;
		struct blocked *p = realloc(b->e, nc * sizeof(*p));

		if (!p)
			return -1;
		b->e = p;
		b->cap = nc;
	}
	b->e[b->n].ip = ip;
	b->e[b->n++].until = until;
	return 0;
}

static int cmp_blocked(const void *a, const void *b)
{
	return memcmp(((const struct blocked *)a)->ip.a, ((const struct blocked *)b)->ip.a, 16);
}

void px_waf_ip_blocks_finish(struct px_waf_ip_blocks *b)
{
	if (b->n > 1)
		qsort(b->e, b->n, sizeof(*b->e), cmp_blocked);
}

int px_waf_ip_blocks_find(const struct px_waf_ip_blocks *b, const char *addr, time_t now,
			  time_t *until)
{
	struct blocked key = { 0 };
	const struct blocked *hit;

	if (!b || !b->n || !addr || px_waf_ip_parse(addr, strlen(addr), &key.ip) != 0)
		return 0;
	hit = bsearch(&key, b->e, b->n, sizeof(*b->e), cmp_blocked);
	if (!hit || hit->until <= now)
		return 0;
	if (until)
		*until = hit->until;
	return 1;
}

size_t px_waf_ip_blocks_count(const struct px_waf_ip_blocks *b)
{
	return b ? b->n : 0;
}

int px_waf_ip_blocks_get(const struct px_waf_ip_blocks *b, size_t i, char *addr,
			 size_t addrsz, time_t *until)
{
	if (!b || i >= b->n)
		return -1;
	ip_text(&b->e[i].ip, addr, addrsz);
	if (until)
		*until = b->e[i].until;
	return 0;
}

/* --- automatic blocks ---------------------------------------------------- */

struct slot {
	int used;
	struct px_waf_ip ip;
	time_t window_start, last, until;
	int points;
};

struct px_waf_autoblock {
	pthread_mutex_t mu;
	struct px_waf_autoblock_cfg cfg;
	struct slot *t;
	size_t size;
};

struct px_waf_autoblock *px_waf_autoblock_new(const struct px_waf_autoblock_cfg *cfg)
{
	struct px_waf_autoblock *ab = calloc(1, sizeof(*ab));

	if (!ab)
		return NULL;
	ab->cfg = *cfg;
	ab->size = (cfg->max_clients ? cfg->max_clients : 1024) * 2;
	ab->t = calloc(ab->size, sizeof(*ab->t));
	if (!ab->t || pthread_mutex_init(&ab->mu, NULL) != 0) {
		free(ab->t);
		free(ab);
		return NULL;
	}
	return ab;
}

void px_waf_autoblock_free(struct px_waf_autoblock *ab)
{
	if (!ab)
		return;
	pthread_mutex_destroy(&ab->mu);
	free(ab->t);
	free(ab);
}

void px_waf_autoblock_set_enabled(struct px_waf_autoblock *ab, int on)
{
	pthread_mutex_lock(&ab->mu);
	ab->cfg.enabled = on;
	pthread_mutex_unlock(&ab->mu);
}

static size_t hash_ip(const struct px_waf_ip *ip)
{
	size_t h = 1469598103934665603ull, i;

	for (i = 0; i < 16; i++)
		h = (h ^ ip->a[i]) * 1099511628211ull;
	return h;
}

/* Finds addr's slot, or a slot to take over (free, else the stalest in
 * a short probe run). Called with the mutex held. */
static struct slot *lookup(struct px_waf_autoblock *ab, const struct px_waf_ip *ip, int create)
{
	size_t h = hash_ip(ip) % ab->size, i;
	struct slot *victim = NULL;

	for (i = 0; i < 16; i++) {
		struct slot *s = &ab->t[(h + i) % ab->size];

		if (s->used && memcmp(s->ip.a, ip->a, 16) == 0)
			return s;
		if (!s->used) {
			if (!victim || victim->used)
				victim = s;
		} else if (!victim || (victim->used && s->last < victim->last)) {
			victim = s;
		}
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	victim->used = 1;
	victim->ip = *ip;
	return victim;
}

int px_waf_autoblock_record(struct px_waf_autoblock *ab, const char *addr, int points,
			    time_t now)
{
	struct px_waf_ip ip;
	struct slot *s;
	int started = 0;

	if (!addr || px_waf_ip_parse(addr, strlen(addr), &ip) != 0)
		return 0;
	pthread_mutex_lock(&ab->mu);
	if (!ab->cfg.enabled)
		goto out;
	s = lookup(ab, &ip, 1);
	if (now - s->window_start >= ab->cfg.window_s) {
		s->window_start = now;
		s->points = 0;
	}
	s->last = now;
	s->points += points;
	if (s->points >= ab->cfg.threshold && s->until <= now) {
		s->until = now + ab->cfg.block_s;
		started = 1;
	}
out:
	pthread_mutex_unlock(&ab->mu);
	return started;
}

int px_waf_autoblock_blocked(struct px_waf_autoblock *ab, const char *addr, time_t now,
			     time_t *until)
{
	struct px_waf_ip ip;
	struct slot *s;
	int blocked = 0;

	if (!addr || px_waf_ip_parse(addr, strlen(addr), &ip) != 0)
		return 0;
	pthread_mutex_lock(&ab->mu);
	if (ab->cfg.enabled && (s = lookup(ab, &ip, 0)) != NULL && s->until > now) {
		blocked = 1;
		if (until)
			*until = s->until;
	}
	pthread_mutex_unlock(&ab->mu);
	return blocked;
}

void px_waf_autoblock_clear(struct px_waf_autoblock *ab, const char *addr)
{
	struct px_waf_ip ip;
	struct slot *s;

	if (!addr || px_waf_ip_parse(addr, strlen(addr), &ip) != 0)
		return;
	pthread_mutex_lock(&ab->mu);
	if ((s = lookup(ab, &ip, 0)) != NULL)
		memset(s, 0, sizeof(*s));
	pthread_mutex_unlock(&ab->mu);
}
