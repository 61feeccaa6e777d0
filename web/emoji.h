/* emoji.h: the emoji set's shortcodes (":thumbs_up:"), from the table that
 * web/gen_emoji.py generates at build time out of Debian's Unicode data. A
 * shortcode is the emoji's English CLDR name in lower case with every run
 * of other characters than a-z and 0-9 made one "_"; the table also holds
 * the habitual aliases of other chat tools (":+1:", ":thumbsup:"). */
#ifndef PX_EMOJI_H
#define PX_EMOJI_H

#include <stddef.h>

#include "core/buf.h"

/* Longest shortcode looked up. */
#define PX_EMOJI_MAX_CODE 80

/* The emoji (UTF-8, static) for the shortcode name[0..n) without colons,
 * compared without regard to ASCII case; NULL when there is none. */
const char *px_emoji_lookup(const char *name, size_t n) __attribute__((nonnull));

/* Copies text[0..n) into out (reset first) with each ":shortcode:" that
 * names an emoji replaced by it; other colons stay as written. Returns how
 * many were replaced (0: out holds text unchanged). */
size_t px_emoji_shortcodes(const char *text, size_t n, struct px_buf *out) __attribute__((nonnull));

/* Calls fn(code, emoji, arg) for each shortcode holding every "_"- or
 * space-separated word of query (ASCII case ignored), in shortcode order,
 * at most max times; skin-tone variants only when the query names a tone.
 * Returns how many were found. */
size_t px_emoji_search(const char *query, size_t max,
		       void (*fn)(const char *code, const char *emoji, void *arg), void *arg)
	__attribute__((nonnull(1, 3)));

/* How many shortcodes the table holds. */
size_t px_emoji_count(void);

#endif
