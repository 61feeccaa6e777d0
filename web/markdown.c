/* markdown.c: libcmark-gfm with the GFM extensions behind depth and size
 * bounds; the pass that turns "@name" and "#channel" into links and keeps
 * only safe URL schemes; the plain-text projection; the viewer's mention
 * marking. ":shortcode:" becomes its emoji in the same pass as the links.
 * Every parse goes through parse() and is freed by its caller. */
#include "web/markdown.h"
#include "web/emoji.h"

#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Safe is libcmark-gfm's default (no CMARK_OPT_UNSAFE): raw HTML becomes
 * a comment and dangerous URLs are emptied. A single '~' stays a tilde
 * ("~5 minutes"); strikethrough needs two. */
#define OPTIONS (CMARK_OPT_VALIDATE_UTF8 | CMARK_OPT_STRIKETHROUGH_DOUBLE_TILDE)
/* Output may grow past the source (entities, tags); allow a generous factor
 * but not the blow-up of thousands of nested containers. */
#define HTML_FACTOR 12
#define HTML_SLACK 4096
/* Each reference link adds its markup on top: budgeted per link made. */
#define REF_MARKUP 96
/* References linked per message; later ones stay text. */
#define MAX_REF_LINKS 200
/* The longest channel name (the router's slug). */
#define MAX_CHANNEL_REF 80

static const char *const extensions[] = { "table", "strikethrough", "autolink", "tasklist" };

static pthread_once_t registered = PTHREAD_ONCE_INIT;

/* Registration fills a process-wide list in the library: once, before
 * any worker parses. */
static void register_extensions(void)
{
	cmark_gfm_core_extensions_ensure_registered();
}

/* Parses src[0..n) with the GFM extensions; NULL when memory runs out.
 * The parser is returned too: the renderer needs its extension list. */
static cmark_node *parse(const char *src, size_t n, cmark_parser **parser)
{
	cmark_parser *p;
	size_t i;

	pthread_once(&registered, register_extensions);
	*parser = p = cmark_parser_new(OPTIONS);
	if (!p)
		return NULL;
	for (i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++) {
		cmark_syntax_extension *ext = cmark_find_syntax_extension(extensions[i]);

		if (!ext || !cmark_parser_attach_syntax_extension(p, ext))
			return NULL;
	}
	cmark_parser_feed(p, src, n);
	return cmark_parser_finish(p);
}

static int name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

static int slug_char(unsigned char c)
{
	return name_char(c) && c != '.';
}

/* Length of the "@name" name starting after the '@' at text[i], or 0 when
 * there is none there (the '@' inside a word, as in an address, is not a
 * mention; a trailing '.' ends the sentence, not the name). */
static size_t mention_at(const char *text, size_t n, size_t i)
{
	size_t s = i + 1, e = s;

	if (text[i] != '@' || (i > 0 && name_char((unsigned char)text[i - 1])))
		return 0;
	while (e < n && name_char((unsigned char)text[e]))
		e++;
	while (e > s && text[e - 1] == '.')
		e--;
	return e - s <= PX_MARKDOWN_MAX_REF ? e - s : 0;
}

/* As mention_at for "#channel": a slug with at least one letter, so that
 * "#1" (an issue number, a rank) stays text. */
static size_t channel_at(const char *text, size_t n, size_t i)
{
	size_t s = i + 1, e = s;
	int letter = 0;

	if (text[i] != '#' || (i > 0 && name_char((unsigned char)text[i - 1])))
		return 0;
	for (; e < n && slug_char((unsigned char)text[e]); e++)
		letter |= (text[e] | 0x20) >= 'a' && (text[e] | 0x20) <= 'z';
	return letter && e - s <= MAX_CHANNEL_REF ? e - s : 0;
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
	size_t i, len;

	for (i = 0; i < n; i++)
		if ((len = mention_at(text, n, i)) > 0) {
			add_mention(mentions, text + i + 1, len);
			i += len;
		}
}

static int special_mention(const char *name, size_t len)
{
	return (len == 4 && strncasecmp(name, "here", 4) == 0) ||
	       (len == 7 && strncasecmp(name, "channel", 7) == 0);
}

/* The opening markup of a reference: a mention links to the profile, a
 * whole-channel mention is a highlighted span, a channel reference links
 * to the channel. Names hold only [A-Za-z0-9_.-], lowered here, so they
 * need no escaping in the attribute. */
static void ref_open(struct px_buf *b, char sigil, const char *name, size_t len)
{
	size_t i;

	if (sigil == '@' && special_mention(name, len)) {
		px_buf_puts(b, "<span class=\"mention mention-all\">");
		return;
	}
	px_buf_puts(b, sigil == '@' ? "<a class=\"mention\" href=\"/u/" : "<a class=\"channel-ref\" href=\"/c/");
	for (i = 0; i < len; i++)
		px_buf_putc(b, (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] | 0x20) : name[i]);
	px_buf_puts(b, "\">");
}

/* Inserts before anchor a text node holding s[0..n); 0 when out of memory. */
static int insert_text(cmark_node *anchor, const char *s, size_t n)
{
	cmark_node *t = cmark_node_new(CMARK_NODE_TEXT);
	char *copy = strndup(s, n);
	int ok = t && copy && cmark_node_set_literal(t, copy) && cmark_node_insert_before(anchor, t);

	free(copy);
	if (!ok && t)
		cmark_node_free(t);
	return ok;
}

/* Inserts before anchor the reference text[0..n) (sigil included) as a
 * custom inline wrapping its text; 0 when out of memory. */
static int insert_ref(cmark_node *anchor, const char *text, size_t n)
{
	cmark_node *c = cmark_node_new(CMARK_NODE_CUSTOM_INLINE);
	cmark_node *t = cmark_node_new(CMARK_NODE_TEXT);
	struct px_buf open = PX_BUF_INIT;
	char *copy = strndup(text, n);
	int ok;

	ref_open(&open, text[0], text + 1, n - 1);
	ok = c && t && copy && !open.failed && cmark_node_set_literal(t, copy) &&
	     cmark_node_set_on_enter(c, open.data) &&
	     cmark_node_set_on_exit(c, text[0] == '@' && special_mention(text + 1, n - 1) ? "</span>" : "</a>") &&
	     cmark_node_append_child(c, t);
	if (ok)
		t = NULL;
	ok = ok && cmark_node_insert_before(anchor, c);
	if (ok)
		c = NULL;
	if (t)
		cmark_node_free(t);
	if (c)
		cmark_node_free(c);
	free(copy);
	px_buf_free(&open);
	return ok;
}

/* Splits one text node around its references; *budget counts the links
 * still allowed. Returns 0 when memory runs out. */
static int link_refs(cmark_node *node, int *budget, struct px_buf *mentions)
{
	const char *t = cmark_node_get_literal(node);
	size_t n, i, done = 0, len;
	int split = 0;
	const char *parent = cmark_node_get_type_string(cmark_node_parent(node));
	struct px_buf emoji = PX_BUF_INIT;

	/* ":shortcode:" becomes its emoji first (never inside code) */
	if (t && strchr(t, ':') && px_emoji_shortcodes(t, strlen(t), &emoji) > 0) {
		if (emoji.failed || !cmark_node_set_literal(node, emoji.data)) {
			px_buf_free(&emoji);
			return 0;
		}
		t = cmark_node_get_literal(node);
	}
	px_buf_free(&emoji);
	n = t ? strlen(t) : 0;

	/* the table extension's cells accept only its own list of inline
	 * types, not the custom inline of a reference: there they stay text */
	if (parent && strcmp(parent, "table_cell") == 0)
		i = 0;
	else
		for (i = 0; i < n && *budget > 0; i++) {
			len = mention_at(t, n, i);
			if (len && mentions)
				add_mention(mentions, t + i + 1, len);
			if (!len)
				len = channel_at(t, n, i);
			if (!len)
				continue;
			if (!insert_text(node, t + done, i - done) || !insert_ref(node, t + i, len + 1))
				return 0;
			(*budget)--;
			i += len;
			done = i + 1;
			split = 1;
		}
	/* mentions past the link budget still count as mentions */
	for (; mentions && i < n; i++)
		if ((len = mention_at(t, n, i)) > 0) {
			add_mention(mentions, t + i + 1, len);
			i += len;
		}
	if (split) {
		if (done < n && !insert_text(node, t + done, n - done))
			return 0;
		cmark_node_free(node); /* unlinks it too */
	}
	return 1;
}

/* A URL is kept when relative or when its scheme is http, https or
 * mailto: an allow-list, stricter than the library's deny-list. */
static int safe_url(const char *url)
{
	size_t k = strcspn(url, ":/?#");

	if (url[k] != ':')
		return 1;
	return (k == 4 && strncasecmp(url, "http", 4) == 0) ||
	       (k == 5 && strncasecmp(url, "https", 5) == 0) ||
	       (k == 6 && strncasecmp(url, "mailto", 6) == 0);
}

/* Leaf nodes get only an ENTER event from the iterator, containers both. */
static int is_leaf(cmark_node_type t)
{
	switch (t) {
	case CMARK_NODE_HTML_BLOCK: case CMARK_NODE_THEMATIC_BREAK:
	case CMARK_NODE_CODE_BLOCK: case CMARK_NODE_TEXT: case CMARK_NODE_SOFTBREAK:
	case CMARK_NODE_LINEBREAK: case CMARK_NODE_CODE: case CMARK_NODE_HTML_INLINE:
	case CMARK_NODE_FOOTNOTE_REFERENCE:
		return 1;
	default:
		return 0;
	}
}

/* Walks the tree once: returns the deepest nesting seen (-1 when memory
 * runs out), empties unsafe URLs and, when texts is non-NULL, lists the
 * text nodes outside links (code spans and blocks are other node types:
 * "@name" quoted there is not addressed) for link_refs. */
static int walk(cmark_node *root, cmark_node ***texts, size_t *ntexts)
{
	cmark_iter *it = cmark_iter_new(root);
	cmark_event_type ev;
	int depth = 0, deepest = 0, in_link = 0;
	size_t cap = 0;

	if (!it)
		return -1;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);
		cmark_node_type type = cmark_node_get_type(node);
		int link = type == CMARK_NODE_LINK || type == CMARK_NODE_IMAGE;

		if (ev == CMARK_EVENT_EXIT) {
			depth--;
			in_link -= link;
			continue;
		}
		if (!is_leaf(type) && ++depth > deepest)
			deepest = depth;
		if (link) {
			in_link += !is_leaf(type);
			if (cmark_node_get_url(node) && !safe_url(cmark_node_get_url(node)))
				cmark_node_set_url(node, "");
		}
		if (texts && type == CMARK_NODE_TEXT && !in_link) {
			if (*ntexts == cap) {
				cmark_node **more = realloc(*texts, (cap = cap ? cap * 2 : 16) * sizeof(*more));

				if (!more) {
					deepest = -1;
					break;
				}
				*texts = more;
			}
			(*texts)[(*ntexts)++] = node;
		}
	}
	cmark_iter_free(it);
	return deepest;
}

/* The task list extension writes a bare checkbox; it gets a name so that
 * assistive technology says what it is (the box is disabled: a rendering,
 * not a control). Source text cannot hold "<input": it is escaped. */
static void put_html(struct px_buf *html, const char *out)
{
	static const char box[] = "<input type=\"checkbox\"";
	const char *p = out, *hit;

	while ((hit = strstr(p, box)) != NULL) {
		px_buf_append(html, p, (size_t)(hit - p) + sizeof(box) - 1);
		px_buf_puts(html, " aria-label=\"task\"");
		p = hit + sizeof(box) - 1;
	}
	px_buf_puts(html, p);
}

enum px_err px_markdown_render(const char *src, size_t n, struct px_buf *html,
			       struct px_buf *mentions)
{
	cmark_parser *parser = NULL;
	cmark_node *doc = NULL, **texts = NULL;
	size_t ntexts = 0, i;
	char *out = NULL;
	enum px_err e = PX_E_SYSTEM_INTERNAL;
	int depth, budget = MAX_REF_LINKS;

	px_buf_reset(html);
	if (mentions)
		px_buf_reset(mentions);
	doc = parse(src, n, &parser);
	if (!doc)
		goto out;
	depth = walk(doc, &texts, &ntexts);
	if (depth < 0)
		goto out;
	/* the document node itself is one level */
	if (depth > PX_MARKDOWN_MAX_DEPTH + 1) {
		e = PX_E_VALIDATION_MARKDOWN_TOO_COMPLEX;
		goto out;
	}
	for (i = 0; i < ntexts; i++)
		if (!link_refs(texts[i], &budget, mentions))
			goto out;
	out = cmark_render_html(doc, OPTIONS, cmark_parser_get_syntax_extensions(parser));
	if (!out)
		goto out;
	if (strlen(out) > n * HTML_FACTOR + HTML_SLACK +
				  (size_t)(MAX_REF_LINKS - budget) * REF_MARKUP) {
		e = PX_E_VALIDATION_MARKDOWN_TOO_COMPLEX;
		goto out;
	}
	put_html(html, out);
	e = html->failed || (mentions && mentions->failed) ? PX_E_SYSTEM_INTERNAL : PX_OK;
out:
	free(out);
	free(texts);
	if (doc)
		cmark_node_free(doc);
	if (parser)
		cmark_parser_free(parser);
	return e;
}

/* Appends s, with runs of white space made one space and none leading. */
static void put_words(struct px_buf *out, const char *s)
{
	for (; s && *s; s++) {
		int space = *s == ' ' || *s == '\n' || *s == '\t' || *s == '\r';

		if (space && (!out->len || out->data[out->len - 1] == ' '))
			continue;
		px_buf_putc(out, space ? ' ' : *s);
	}
}

enum px_err px_markdown_plain(const char *src, size_t n, struct px_buf *out)
{
	cmark_parser *parser = NULL;
	cmark_node *doc;
	cmark_iter *it = NULL;
	cmark_event_type ev;
	enum px_err e = PX_E_SYSTEM_INTERNAL;
	int depth;

	px_buf_reset(out);
	px_buf_puts(out, "");
	doc = parse(src, n, &parser);
	if (!doc)
		goto out;
	if ((depth = walk(doc, NULL, NULL)) < 0)
		goto out;
	if (depth > PX_MARKDOWN_MAX_DEPTH + 1) {
		e = PX_E_VALIDATION_MARKDOWN_TOO_COMPLEX;
		goto out;
	}
	if (!(it = cmark_iter_new(doc)))
		goto out;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);
		cmark_node_type type = cmark_node_get_type(node);
		int block = (type & CMARK_NODE_TYPE_MASK) == CMARK_NODE_TYPE_BLOCK;

		if (type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE || type == CMARK_NODE_CODE_BLOCK)
			put_words(out, cmark_node_get_literal(node));
		if (type == CMARK_NODE_SOFTBREAK || type == CMARK_NODE_LINEBREAK ||
		    (block && (ev == CMARK_EVENT_EXIT || is_leaf(type))))
			put_words(out, " ");
	}
	if (out->len && out->data[out->len - 1] == ' ')
		px_buf_truncate(out, out->len - 1);
	e = out->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
out:
	if (it)
		cmark_iter_free(it);
	if (doc)
		cmark_node_free(doc);
	if (parser)
		cmark_parser_free(parser);
	return e;
}

void px_markdown_mark_self(const char *html, const char *username, struct px_buf *out)
{
	static const char open[] = "<a class=\"mention\" href=\"/u/";
	size_t ul = username ? strlen(username) : 0;
	const char *p = html, *hit;

	px_buf_reset(out);
	px_buf_puts(out, "");
	while (ul && (hit = strstr(p, open)) != NULL) {
		const char *name = hit + sizeof(open) - 1;
		size_t len = strcspn(name, "\"");

		px_buf_append(out, p, (size_t)(hit - p));
		if (len == ul && strncasecmp(name, username, ul) == 0)
			px_buf_puts(out, "<a class=\"mention mention-self\" href=\"/u/");
		else
			px_buf_puts(out, open);
		p = name;
	}
	px_buf_puts(out, p);
}
