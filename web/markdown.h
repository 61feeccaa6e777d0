/* markdown.h: Markdown as chat users write it (GitHub's dialect through
 * libcmark-gfm: tables, ~~strikethrough~~, task lists, bare URLs linked)
 * to safe HTML, with bounds; the same text as plain words for places that
 * show no markup (search snippets, notifications, topics).
 *
 * Raw HTML never passes through (libcmark-gfm's safe default: raw HTML is
 * replaced by a comment) and a link or image keeps its URL only when it is
 * relative or its scheme is http, https or mailto. "@name" becomes a
 * mention link to /u/name and "#channel" a link to /c/channel, both made
 * here from characters that need no escaping; ":shortcode:" becomes its
 * emoji (web/emoji.h), outside code and links. Work is bounded: parsing is
 * linear, the tree depth is capped before rendering and the rendered size
 * is capped, so a "Markdown bomb" either renders small or is refused. */
#ifndef PX_MARKDOWN_H
#define PX_MARKDOWN_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* Deepest container nesting (block quotes, lists, emphasis) accepted. */
#define PX_MARKDOWN_MAX_DEPTH 32
/* Most distinct mentions collected from one text. */
#define PX_MARKDOWN_MAX_MENTIONS 50
/* Longest "@name" or "#channel" made into a link. */
#define PX_MARKDOWN_MAX_REF 64

/* Renders src[0..n) (valid UTF-8, checked by the caller) as HTML into
 * html (reset first). When mentions is non-NULL it receives each distinct
 * "@name" found outside code and links, without the '@', one per line
 * ("channel" and "here" included as given). Returns PX_OK,
 * VALIDATION_MARKDOWN_TOO_COMPLEX when nesting or output size is over the
 * bounds, or SYSTEM_INTERNAL when memory runs out. */
enum px_err px_markdown_render(const char *src, size_t n, struct px_buf *html,
			       struct px_buf *mentions)
	__attribute__((nonnull(1, 3), warn_unused_result));

/* Writes the words of src[0..n) without markup into out (reset first):
 * emphasis, code marks, headings, list and quote markers and link targets
 * go, link and image texts stay, blocks and line breaks become one space.
 * Raw HTML is dropped. The result is plain text (not escaped) of at most
 * n bytes. Returns PX_OK, VALIDATION_MARKDOWN_TOO_COMPLEX past the depth
 * bound, or SYSTEM_INTERNAL when memory runs out. */
enum px_err px_markdown_plain(const char *src, size_t n, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));

/* Copies html (as px_markdown_render made it) into out (reset first),
 * with the class "mention-self" added to each mention of username
 * (compared without regard to ASCII case), so that the viewer's own
 * mentions stand out. A NULL or empty username copies unchanged. */
void px_markdown_mark_self(const char *html, const char *username, struct px_buf *out)
	__attribute__((nonnull(1, 3)));

/* Collects mentions from plain text (no Markdown), as above. */
void px_markdown_scan_mentions(const char *text, size_t n, struct px_buf *mentions)
	__attribute__((nonnull));

#endif
