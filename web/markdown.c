/* markdown.c: libcmark in safe mode behind depth and size bounds, and the
 * mention scanner that reads the same parse tree. */
#include "web/markdown.h"

#include <cmark.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OPTIONS (CMARK_OPT_SAFE | CMARK_OPT_VALIDATE_UTF8)
/* Output may grow past the source (entities, tags); allow a generous factor
 * but not the blow-up of thousands of nested containers. */
#define HTML_FACTOR 12
#define HTML_SLACK 4096

static int name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* Appends name unless it is already listed; counts toward the cap. */
static void add_mention(struct px_buf *out, const char *name, size_t len)
{
	const char *p = out->data;
	size_t count = 0;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t l = (size_t)(nl - p);

		if (l == len && strncasecmp(p, name, len) == 0)
			return;
		count++;
		p = nl + 1;
	}
	if (count >= PX_MARKDOWN_MAX_MENTIONS)
		return;
	px_buf_append(out, name, len);
	px_buf_putc(out, '\n');
}

void px_markdown_scan_mentions(const char *text, size_t n, struct px_buf *mentions)
{
	size_t i = 0, start;

	while (i < n) {
		if (text[i] != '@' || (i > 0 && name_char((unsigned char)text[i - 1]))) {
			i++;
			continue;
		}
		start = ++i;
		while (i < n && name_char((unsigned char)text[i]))
			i++;
		/* a trailing '.' ends the sentence, not the name */
		while (i > start && text[i - 1] == '.')
			i--;
		if (i > start && i - start <= 64)
			add_mention(mentions, text + start, i - start);
		if (i == start)
			i++;
	}
}

/* Leaf nodes get only an ENTER event from the iterator, containers both. */
static int is_leaf(cmark_node_type t)
{
	switch (t) {
	case CMARK_NODE_HTML_BLOCK: case CMARK_NODE_THEMATIC_BREAK:
	case CMARK_NODE_CODE_BLOCK: case CMARK_NODE_TEXT: case CMARK_NODE_SOFTBREAK:
	case CMARK_NODE_LINEBREAK: case CMARK_NODE_CODE: case CMARK_NODE_HTML_INLINE:
		return 1;
	default:
		return 0;
	}
}

/* Walks the tree once: returns the deepest nesting seen, and gathers
 * mentions from text nodes (code spans and blocks are skipped, since
 * "@name" there is quoted, not addressed). */
static int walk(cmark_node *root, struct px_buf *mentions)
{
	cmark_iter *it = cmark_iter_new(root);
	cmark_event_type ev;
	int depth = 0, deepest = 0;

	if (!it)
		return -1;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);

		if (ev == CMARK_EVENT_ENTER) {
			if (!is_leaf(cmark_node_get_type(node))) {
				depth++;
				if (depth > deepest)
					deepest = depth;
			}
			if (mentions && cmark_node_get_type(node) == CMARK_NODE_TEXT) {
				const char *t = cmark_node_get_literal(node);

				if (t)
					px_markdown_scan_mentions(t, strlen(t), mentions);
			}
		} else if (ev == CMARK_EVENT_EXIT) {
			depth--;
		}
	}
	cmark_iter_free(it);
	return deepest;
}

enum px_err px_markdown_render(const char *src, size_t n, struct px_buf *html,
			       struct px_buf *mentions)
{
	cmark_node *doc = NULL;
	char *out = NULL;
	enum px_err e = PX_E_SYSTEM_INTERNAL;
	int depth;
	size_t len;

	px_buf_reset(html);
	if (mentions)
		px_buf_reset(mentions);
	doc = cmark_parse_document(src, n, OPTIONS);
	if (!doc)
		goto out;
	depth = walk(doc, mentions);
	if (depth < 0)
		goto out;
	/* the document node itself is one level */
	if (depth > PX_MARKDOWN_MAX_DEPTH + 1) {
		e = PX_E_VALIDATION_MARKDOWN_TOO_COMPLEX;
		goto out;
	}
	out = cmark_render_html(doc, OPTIONS);
	if (!out)
		goto out;
	len = strlen(out);
	if (len > n * HTML_FACTOR + HTML_SLACK) {
		e = PX_E_VALIDATION_MARKDOWN_TOO_COMPLEX;
		goto out;
	}
	px_buf_append(html, out, len);
	e = html->failed || (mentions && mentions->failed) ? PX_E_SYSTEM_INTERNAL : PX_OK;
out:
	free(out);
	if (doc)
		cmark_node_free(doc);
	return e;
}
