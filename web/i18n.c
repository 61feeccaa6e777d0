/* i18n.c: reads GNU .mo catalogs and looks messages up by binary search
 * over the sorted original-string table; owns the list of loaded catalog
 * sets (one per folder), which only grows until px_i18n_free_all(). */
#include "web/i18n.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MO_MAGIC 0x950412deu
#define MO_SWAPPED 0xde120495u
#define MO_MAX_SIZE (16u * 1024 * 1024)

static const char *const langs[PX_I18N_NLANGS] = PX_I18N_LANGS;

struct mo {
	unsigned char *data; /* whole file; NULL when not loaded */
	size_t size;
	uint32_t n, orig, trans;
	int swapped;
};

struct px_i18n {
	struct px_i18n *next;
	char *dir;
	struct mo cat[PX_I18N_NLANGS];
};

static pthread_mutex_t sets_lock = PTHREAD_MUTEX_INITIALIZER;
static struct px_i18n *sets; /* guarded by sets_lock; entries immutable */
/* The set of the default folder, found once: resolving it costs a
 * readlink and an access per call, and pages ask for it per date shown. */
static struct px_i18n *default_set; /* guarded by sets_lock */

static uint32_t rd32(const struct mo *m, size_t off)
{
	uint32_t v;

	memcpy(&v, m->data + off, 4);
	return m->swapped ? __builtin_bswap32(v) : v;
}

/* Checks that every string table entry lies inside the file and is
 * NUL-terminated, so lookups need no bounds checks. */
static int mo_valid(const struct mo *m)
{
	uint32_t i, len, off;

	if ((uint64_t)m->orig + 8ull * m->n > m->size ||
	    (uint64_t)m->trans + 8ull * m->n > m->size)
		return 0;
	for (i = 0; i < 2 * m->n; i++) {
		size_t t = i < m->n ? m->orig + 8u * i : m->trans + 8u * (i - m->n);

		len = rd32(m, t);
		off = rd32(m, t + 4);
		if ((uint64_t)off + len >= m->size || m->data[off + len] != '\0')
			return 0;
	}
	return 1;
}

static int read_file(const char *path, unsigned char **data, size_t *size)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;
	int rc = -1;

	if (!fp)
		return -1;
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 28 ||
	    (unsigned long)n > MO_MAX_SIZE || fseek(fp, 0, SEEK_SET) != 0)
		goto out;
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, fp) != (size_t)n)
		goto out;
	buf[n] = '\0';
	*data = buf;
	*size = (size_t)n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	fclose(fp);
	return rc;
}

static void mo_load(struct mo *m, const char *dir, const char *lang,
		    struct px_buf *err)
{
	struct px_buf path = PX_BUF_INIT;
	uint32_t magic;

	px_buf_printf(&path, "%s/%s.mo", dir, lang);
	if (path.failed || read_file(path.data, &m->data, &m->size) != 0) {
		if (err)
			px_buf_printf(err, "%s: cannot read; ", path.data ? path.data : lang);
		goto out;
	}
	memcpy(&magic, m->data, 4);
	m->swapped = magic == MO_SWAPPED;
	if (magic == MO_MAGIC || magic == MO_SWAPPED) {
		m->n = rd32(m, 8);
		m->orig = rd32(m, 12);
		m->trans = rd32(m, 16);
		if (mo_valid(m))
			goto out;
	}
	if (err)
		px_buf_printf(err, "%s: not a valid .mo file; ", path.data);
	free(m->data);
	memset(m, 0, sizeof(*m));
out:
	px_buf_free(&path);
}

/* The folder used when none is configured: po/ beside the program when it
 * holds catalogs (a build tree), else the installed data folder. */
static void default_dir(struct px_buf *out)
{
	char exe[4096], *slash;
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (len > 0) {
		exe[len] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			px_buf_printf(out, "%s/po/%s.mo", exe, langs[0]);
			if (!out->failed && access(out->data, R_OK) == 0) {
				px_buf_reset(out);
				px_buf_printf(out, "%s/po", exe);
				return;
			}
			px_buf_reset(out);
		}
	}
	px_buf_printf(out, "%s/locale", PX_DATADIR);
}

const struct px_i18n *px_i18n_get(const char *dir, struct px_buf *err)
{
	struct px_buf fallback = PX_BUF_INIT;
	struct px_i18n *s;
	int i;

	if (!dir || !*dir) {
		pthread_mutex_lock(&sets_lock);
		s = default_set;
		pthread_mutex_unlock(&sets_lock);
		if (s)
			return s;
		default_dir(&fallback);
		if (fallback.failed)
			return NULL;
		dir = fallback.data;
	}
	pthread_mutex_lock(&sets_lock);
	for (s = sets; s; s = s->next)
		if (strcmp(s->dir, dir) == 0)
			goto out;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		s = NULL;
		goto out;
	}
	for (i = 0; i < PX_I18N_NLANGS; i++)
		mo_load(&s->cat[i], dir, langs[i], err);
	s->next = sets;
	sets = s;
out:
	if (s && fallback.data && !default_set)
		default_set = s;
	pthread_mutex_unlock(&sets_lock);
	px_buf_free(&fallback);
	return s;
}

void px_i18n_free_all(void)
{
	struct px_i18n *s, *next;
	int i;

	pthread_mutex_lock(&sets_lock);
	for (s = sets; s; s = next) {
		next = s->next;
		for (i = 0; i < PX_I18N_NLANGS; i++)
			free(s->cat[i].data);
		free(s->dir);
		free(s);
	}
	sets = NULL;
	default_set = NULL;
	pthread_mutex_unlock(&sets_lock);
}

static int lang_index(const char *lang)
{
	int i;

	for (i = 0; lang && i < PX_I18N_NLANGS; i++)
		if (strcmp(lang, langs[i]) == 0)
			return i;
	return -1;
}

int px_i18n_supported(const char *lang)
{
	return lang_index(lang) >= 0;
}

/* Compares the key (ctx EOT msgid, as msgfmt stores it) with s. */
static int key_cmp(const char *ctx, const char *msgid, const char *s)
{
	int c;

	if (ctx) {
		size_t cl = strlen(ctx);

		if ((c = strncmp(ctx, s, cl)) != 0)
			return c;
		if (s[cl] != '\004')
			return (unsigned char)'\004' - (unsigned char)s[cl];
		s += cl + 1;
	}
	return strcmp(msgid, s);
}

/* Index of the entry for (ctx, msgid), or -1. */
static long mo_find(const struct mo *m, const char *ctx, const char *msgid)
{
	uint32_t lo = 0, hi = m->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const char *s = (const char *)m->data + rd32(m, m->orig + 8u * mid + 4);
		int c = key_cmp(ctx, msgid, s);

		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* Translation number form (0 or 1) of entry i; NULL when empty. */
static const char *mo_form(const struct mo *m, long i, int form)
{
	uint32_t len = rd32(m, m->trans + 8u * (uint32_t)i);
	const char *s = (const char *)m->data + rd32(m, m->trans + 8u * (uint32_t)i + 4);
	const char *end = s + len;

	while (form-- > 0) {
		s += strlen(s) + 1;
		if (s > end)
			return NULL;
	}
	return *s ? s : NULL;
}

static const char *lookup(const struct px_i18n *t, const char *lang,
			  const char *ctx, const char *msgid, int form)
{
	int li = lang_index(lang);
	const struct mo *m;
	long i;

	if (!t || li < 0 || !*msgid)
		return NULL;
	m = &t->cat[li];
	if (!m->data || (i = mo_find(m, ctx, msgid)) < 0)
		return NULL;
	return mo_form(m, i, form);
}

const char *px_i18n_pgettext(const struct px_i18n *t, const char *lang,
			     const char *ctx, const char *msgid)
{
	const char *s = lookup(t, lang, ctx, msgid, 0);

	return s ? s : msgid;
}

const char *px_i18n_ngettext(const struct px_i18n *t, const char *lang,
			     const char *msgid, const char *plural,
			     long long n)
{
	int form = n != 1;
	const char *s = lookup(t, lang, NULL, msgid, form);

	return s ? s : form ? plural : msgid;
}

/* One Accept-Language item: its primary subtag (lower-cased) and q. */
static const char *parse_item(const char *p, char *tag, double *q)
{
	size_t n = 0;

	while (*p == ' ' || *p == ',')
		p++;
	while (*p && *p != ',' && *p != ';' && *p != '-' && *p != ' ') {
		if (n < PX_I18N_TAG_MAX - 1)
			tag[n++] = (char)tolower((unsigned char)*p);
		p++;
	}
	tag[n] = '\0';
	*q = 1.0;
	while (*p && *p != ',') {
		if (strncmp(p, ";q=", 3) == 0)
			*q = strtod(p + 3, NULL);
		p++;
	}
	return p;
}

const char *px_i18n_negotiate(const char *accept_language)
{
	const char *p = accept_language, *best = langs[0];
	char tag[PX_I18N_TAG_MAX];
	double q, best_q = 0.0;
	int guard = 0, li;

	while (p && *p && guard++ < 50) {
		p = parse_item(p, tag, &q);
		li = lang_index(tag);
		if (li >= 0 && q > best_q) {
			best_q = q;
			best = langs[li];
		}
	}
	return best;
}

static const char *const month_abbr[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* Appends when in the pattern of the "format" entry msgid translated. */
static void format_time(const struct px_i18n *t, const char *lang, const char *msgid,
			time_t when, struct px_buf *out)
{
	const char *pat = px_i18n_pgettext(t, lang, "format", msgid);
	char part[64], fmt[3] = "%?";
	struct tm tm;
	const char *p;

	if (!gmtime_r(&when, &tm))
		return;
	for (p = pat; *p; p++) {
		if (p[0] != '%' || !p[1]) {
			px_buf_putc(out, *p);
			continue;
		}
		p++;
		if (*p == 'b') {
			px_buf_puts(out, px_i18n_pgettext(t, lang, "month",
							  month_abbr[tm.tm_mon]));
			continue;
		}
		if (*p == 'e') {
			px_buf_printf(out, "%d", tm.tm_mday);
			continue;
		}
		fmt[1] = *p;
		if (strchr("YmdHM", *p) && strftime(part, sizeof(part), fmt, &tm) > 0)
			px_buf_puts(out, part);
	}
}

void px_i18n_datetime(const struct px_i18n *t, const char *lang, time_t when,
		      struct px_buf *out)
{
	format_time(t, lang, "%Y-%m-%d %H:%M", when, out);
}

void px_i18n_date(const struct px_i18n *t, const char *lang, time_t when, struct px_buf *out)
{
	format_time(t, lang, "%e %b %Y", when, out);
}

void px_i18n_int(const struct px_i18n *t, const char *lang, long long n,
		 struct px_buf *out)
{
	const char *sep = px_i18n_pgettext(t, lang, "format", ",");
	char digits[32];
	int len, i;

	len = snprintf(digits, sizeof(digits), "%lld", n);
	for (i = 0; i < len; i++) {
		px_buf_putc(out, digits[i]);
		if (digits[i] != '-' && (len - i - 1) % 3 == 0 && i < len - 1)
			px_buf_puts(out, sep);
	}
}

void px_i18n_size(const struct px_i18n *t, const char *lang, long long bytes,
		  struct px_buf *out)
{
	static const char *const unit[] = { "KB", "MB", "GB", "TB" };
	const char *dot = px_i18n_pgettext(t, lang, "format", ".");
	double v = (double)bytes;
	long long tenths;
	int u = -1;

	if (bytes < 1024) {
		px_buf_printf(out, "%lld B", bytes < 0 ? 0 : bytes);
		return;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	tenths = (long long)(v * 10 + 0.5);
	if (tenths < 100 && tenths % 10)
		px_buf_printf(out, "%lld%s%lld %s", tenths / 10, dot, tenths % 10, unit[u]);
	else
		px_buf_printf(out, "%lld %s", (tenths + 5) / 10, unit[u]);
}
