/* fuzz_htmlmeta.c: libFuzzer target of core/htmlmeta: any bytes as a page
 * (with and without a charset) and as a message rendering. Every value it
 * returns must be valid UTF-8 within its limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/htmlmeta.h"
#include "core/utf8.h"

static void check(const char *s, size_t max)
{
	if (s && (strlen(s) > max || !px_utf8_valid(s, strlen(s))))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct px_htmlmeta m;
	char *link;
	static int ready;

	if (!ready) {
		px_htmlmeta_init();
		ready = 1;
	}
	if (size == 0)
		return 0;
	if (px_htmlmeta_parse((const char *)data + 1, size - 1, "https://example.org/a/b",
			      data[0] & 1 ? "ISO-8859-1" : NULL, &m) == 0) {
		check(m.title, PX_HTMLMETA_TITLE_MAX);
		check(m.description, PX_HTMLMETA_DESC_MAX);
		check(m.site_name, PX_HTMLMETA_SITE_MAX);
		check(m.image, PX_HTMLMETA_URL_MAX);
	}
	px_htmlmeta_free(&m);
	link = px_htmlmeta_first_link((const char *)data, size);
	if (link && strncasecmp(link, "http://", 7) != 0 && strncasecmp(link, "https://", 8) != 0)
		abort();
	free(link);
	return 0;
}
