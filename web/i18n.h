/* i18n.h: GNU gettext message catalogs (.mo files compiled by msgfmt from
 * po/<lang>.po), language negotiation, and locale-aware dates and numbers.
 *
 * A catalog set is read once per folder and kept, immutable, for the life
 * of the process, so lookups need no lock and the returned strings stay
 * valid. Locale conventions (date pattern, month names, separators) live
 * in the catalogs themselves as entries with the context "format" or
 * "month", so adding a language needs only a new .po file. */
#ifndef PX_I18N_H
#define PX_I18N_H

#include <stddef.h>
#include <time.h>

#include "core/buf.h"

struct px_i18n;

/* Languages PlexiChat ships, the first being the default. */
#define PX_I18N_LANGS { "en", "de" }
#define PX_I18N_NLANGS 2

/* Longest language tag kept ("en", "de"); tags are lower-case ASCII. */
#define PX_I18N_TAG_MAX 8

/* The catalog set of folder dir (files <dir>/<lang>.mo), loaded on first
 * use and kept. A missing or malformed file leaves that language
 * untranslated (its msgids are shown), and the reason is appended to err
 * when err is not NULL. dir NULL or "" means the default folder: po/ next
 * to the running program (a build tree), else PX_DATADIR/locale. Returns
 * NULL only when out of memory. The set is owned by this module (never
 * freed by the caller; px_i18n_free_all at exit). Thread-safe. */
const struct px_i18n *px_i18n_get(const char *dir, struct px_buf *err);

/* 1 when lang is one of PX_I18N_LANGS. */
int px_i18n_supported(const char *lang);

/* Picks the best supported language for an Accept-Language header value
 * (q-values honoured, region subtags ignored: "de-AT" means "de").
 * Returns a static string; the default language when nothing matches. */
const char *px_i18n_negotiate(const char *accept_language);

/* The translation of msgid in lang, or msgid itself when there is none.
 * ctx is a msgctxt or NULL; t NULL or an unsupported lang translate
 * nothing. The result lives as long as the catalog set (or msgid). */
const char *px_i18n_pgettext(const struct px_i18n *t, const char *lang,
			     const char *ctx, const char *msgid)
	__attribute__((nonnull(4)));
#define px_i18n_gettext(t, lang, msgid) px_i18n_pgettext(t, lang, NULL, msgid)
/* Plural lookup for languages whose rule is n != 1 (en, de). */
const char *px_i18n_ngettext(const struct px_i18n *t, const char *lang,
			     const char *msgid, const char *plural,
			     long long n) __attribute__((nonnull(3, 4)));

/* Appends the time t (UTC) in lang's date-and-time pattern; the pattern is
 * the "format" entry "%Y-%m-%d %H:%M" translated, where %b is replaced by
 * the translated month abbreviation. */
void px_i18n_datetime(const struct px_i18n *t, const char *lang, time_t when,
		      struct px_buf *out) __attribute__((nonnull(4)));
/* Appends the day of t (UTC) in lang's date pattern, the "format" entry
 * "%e %b %Y" translated ("6 Dec 2026", "6. Dez. 2026"). */
void px_i18n_date(const struct px_i18n *t, const char *lang, time_t when,
		  struct px_buf *out) __attribute__((nonnull(4)));
/* Appends n with lang's thousands separator ("12,345" / "12.345"). */
void px_i18n_int(const struct px_i18n *t, const char *lang, long long n,
		 struct px_buf *out) __attribute__((nonnull(4)));

/* Appends a byte count for people: "512 B", "1.5 KB", "23 MB" (units of
 * 1024, one decimal below 10 with lang's decimal mark, the "format" entry
 * "." translated). */
void px_i18n_size(const struct px_i18n *t, const char *lang, long long bytes,
		  struct px_buf *out);

/* Frees every loaded catalog set; only at process exit, when no thread
 * uses them any more. */
void px_i18n_free_all(void);

#endif
