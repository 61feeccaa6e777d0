/* htmlmeta.h: what a web page says about itself, for link previews: the
 * title, description, image and site name from its Open Graph and Twitter
 * card <meta> tags or its <title>, read with libxml2's HTML parser (which
 * copes with the broken markup of real pages); and the first web link of
 * a rendered message. No network, no global state of its own. */
#ifndef PX_HTMLMETA_H
#define PX_HTMLMETA_H

#include <stddef.h>

/* Longest kept values in bytes (cut at a character boundary). */
#define PX_HTMLMETA_TITLE_MAX 300
#define PX_HTMLMETA_DESC_MAX 1000
#define PX_HTMLMETA_SITE_MAX 100
#define PX_HTMLMETA_URL_MAX 2048

/* Every member is malloc'd UTF-8 with white space collapsed and control
 * characters removed, or NULL when the page does not say. image is an
 * absolute URL (resolved against the page's URL), any scheme: whoever
 * shows it decides which it accepts. */
struct px_htmlmeta {
	char *title, *description, *image, *site_name;
};

/* Prepares libxml2 for use by several threads: called once from the main
 * thread before any parse (libxml2 2.9 does not lock its own start-up). */
void px_htmlmeta_init(void);

/* Reads n bytes of HTML fetched from page_url into *out (zeroed first;
 * free with px_htmlmeta_free also on failure). charset (may be NULL or
 * "") is the Content-Type's; the page's own <meta charset> counts
 * otherwise. Preference: og:title, twitter:title, <title>;
 * og:description, twitter:description, description; og:image:secure_url,
 * og:image, og:image:url, twitter:image, twitter:image:src; og:site_name,
 * application-name. Returns 0, or -1 when the bytes are not a document at
 * all or memory ran out. */
int px_htmlmeta_parse(const char *html, size_t n, const char *page_url, const char *charset,
		      struct px_htmlmeta *out) __attribute__((nonnull(1, 3, 5)));

void px_htmlmeta_free(struct px_htmlmeta *m) __attribute__((nonnull));

/* The href of the first <a> of html (a message's safe rendering) whose
 * URL is absolute http or https without credentials, at most
 * PX_HTMLMETA_URL_MAX bytes; malloc'd, or NULL when there is none. */
char *px_htmlmeta_first_link(const char *html, size_t n) __attribute__((nonnull));

#endif
