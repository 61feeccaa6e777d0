/* markdown.h: Markdown to safe HTML through libcmark, with bounds.
 *
 * Raw HTML never passes through (CMARK_OPT_SAFE: raw HTML is replaced by a
 * comment and javascript:/vbscript:/file:/data: links are dropped). Work is
 * bounded: libcmark parses in linear time, the tree depth is capped before
 * rendering and the rendered size is capped, so a "Markdown bomb" either
 * renders small or is refused. */
#ifndef PX_MARKDOWN_H
#define PX_MARKDOWN_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* Deepest container nesting (block quotes, lists, emphasis) accepted. */
#define PX_MARKDOWN_MAX_DEPTH 32
/* Most distinct mentions collected from one text. */
#define PX_MARKDOWN_MAX_MENTIONS 50

/* Renders src[0..n) (valid UTF-8, checked by the caller) as HTML into
 * html (reset first). When mentions is non-NULL it receives each distinct
 * "@name" found outside code, without the '@', one per line ("channel" and
 * "here" included as given). Returns PX_OK,
 * VALIDATION_MARKDOWN_TOO_COMPLEX when nesting or output size is over the
 * bounds, or SYSTEM_INTERNAL when memory runs out. */
enum px_err px_markdown_render(const char *src, size_t n, struct px_buf *html,
			       struct px_buf *mentions)
	__attribute__((nonnull(1, 3), warn_unused_result));

/* Collects mentions from plain text (no Markdown), as above. */
void px_markdown_scan_mentions(const char *text, size_t n, struct px_buf *mentions)
	__attribute__((nonnull));

#endif
