/* emoji.c: shortcode lookup by binary search in the generated table
 * (web/emoji_data.inc, sorted by web/gen_emoji.py). */
#include "web/emoji.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct row {
	const char *code;
	const char *emoji;
	const char *of;     /* an alias (":+1:"): the CLDR code it stands for */
};

static const struct row rows[] = {
#include "web/emoji_data.inc"
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

size_t px_emoji_count(void)
{
	return NROWS;
}

static int code_char(unsigned char c)
{
	/* "+" and "-" for the aliases ":+1:" and ":-1:" */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '+' || c == '-';
}

const char *px_emoji_lookup(const char *name, size_t n)
{
	char key[PX_EMOJI_MAX_CODE + 1];
	size_t lo = 0, hi = NROWS, i;

	if (n == 0 || n > PX_EMOJI_MAX_CODE)
		return NULL;
	for (i = 0; i < n; i++) {
		if (!code_char((unsigned char)name[i]))
			return NULL;
		key[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] | 0x20) : name[i];
	}
	key[n] = '\0';
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key, rows[mid].code);

		if (c == 0)
			return rows[mid].emoji;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

size_t px_emoji_shortcodes(const char *text, size_t n, struct px_buf *out)
{
	size_t i = 0, done = 0, count = 0;

	px_buf_reset(out);
	px_buf_puts(out, "");
	while (i < n) {
		const char *end, *emoji;
		size_t len;

		if (text[i] != ':') {
			i++;
			continue;
		}
		end = memchr(text + i + 1, ':', n - i - 1);
		len = end ? (size_t)(end - text) - i - 1 : 0;
		emoji = len ? px_emoji_lookup(text + i + 1, len) : NULL;
		if (!emoji) {
			/* the closing colon may open the next shortcode */
			i = end && len ? (size_t)(end - text) : i + 1;
			continue;
		}
		px_buf_append(out, text + done, i - done);
		px_buf_puts(out, emoji);
		count++;
		i = done = (size_t)(end - text) + 1;
	}
	px_buf_append(out, text + done, n - done);
	return count;
}

/* 1 when code holds every word of query (words end at ' ' or '_'). */
static int holds_words(const char *code, const char *query)
{
	const char *w = query;

	while (*w) {
		size_t n = strcspn(w, " _");
		const char *p = code;
		int found = 0;

		for (; n && *p && !found; p++)
			found = strncasecmp(p, w, n) == 0;
		if (n && !found)
			return 0;
		w += n;
		w += strspn(w, " _");
	}
	return 1;
}

size_t px_emoji_search(const char *query, size_t max,
		       void (*fn)(const char *code, const char *emoji, void *arg), void *arg)
{
	int tones = strcasestr(query, "tone") != NULL;
	size_t i, found = 0;

	if (!*query)
		return 0;
	for (i = 0; i < NROWS && found < max; i++) {
		if (!tones && strstr(rows[i].code, "_skin_tone"))
			continue;
		/* an alias is a result only where its emoji's own name is not
		 * ("+1" finds thumbs up once, "thumbs" does not find it twice) */
		if (rows[i].of && holds_words(rows[i].of, query))
			continue;
		if (holds_words(rows[i].code, query)) {
			fn(rows[i].code, rows[i].emoji, arg);
			found++;
		}
	}
	return found;
}
