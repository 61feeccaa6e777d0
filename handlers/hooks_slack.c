/* hooks_slack.c: Slack payloads as Markdown. What a tool meant (bold,
 * links, fields, a colour bar) is kept in CommonMark terms; nothing a
 * payload says can become HTML or a link to a script, because the result
 * is rendered by web/markdown like any message. */
#include "handlers/hooks_slack.h"
#include "core/utf8.h"

#include <json-c/json.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ITEMS 100     /* attachments, blocks, fields each */

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *arr_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

/* --- mrkdwn ---------------------------------------------------------------- */

static int url_ok(const char *u, size_t n)
{
	return (n > 7 && strncasecmp(u, "http://", 7) == 0) ||
	       (n > 8 && strncasecmp(u, "https://", 8) == 0) ||
	       (n > 7 && strncasecmp(u, "mailto:", 7) == 0);
}

/* Escapes what would end or open a link label. */
static void put_label(struct px_buf *md, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '[' || s[i] == ']' || s[i] == '\\')
			px_buf_putc(md, '\\');
		px_buf_putc(md, s[i] == '\n' ? ' ' : s[i]);
	}
}

/* One <...> reference, inner text s[0..n). */
static void put_ref(struct px_buf *md, const char *s, size_t n)
{
	const char *bar = memchr(s, '|', n);
	size_t head = bar ? (size_t)(bar - s) : n;
	const char *label = bar ? bar + 1 : NULL;
	size_t ln = bar ? n - head - 1 : 0;
	size_t i;

	if (n && (s[0] == '@' || s[0] == '#')) {           /* user, channel */
		px_buf_putc(md, s[0]);
		if (label)
			put_label(md, label[0] == '@' || label[0] == '#' ? label + 1 : label,
				  label[0] == '@' || label[0] == '#' ? ln - 1 : ln);
		else
			put_label(md, s + 1, head - 1);
		return;
	}
	if (n && s[0] == '!') {                             /* here, channel, dates */
		if (label)
			put_label(md, label, ln);
		else if (head > 1 && strchr("hce", s[1]))
			px_buf_putc(md, '@'), put_label(md, s + 1, head - 1);
		return;
	}
	if (url_ok(s, head)) {
		for (i = 0; i < head; i++)
			if (isspace((unsigned char)s[i]) || s[i] == '(' || s[i] == ')')
				goto plain;
		px_buf_putc(md, '[');
		put_label(md, label ? label : s, label ? ln : head);
		px_buf_puts(md, "](");
		px_buf_append(md, s, head);
		px_buf_putc(md, ')');
		return;
	}
plain:
	put_label(md, label ? label : s, label ? ln : head);
}

/* The closing mark of *text* at s[i]: 0 when none on the line. */
static size_t bold_end(const char *s, size_t n, size_t i)
{
	size_t j;

	if (i + 1 >= n || isspace((unsigned char)s[i + 1]) || s[i + 1] == '*')
		return 0;
	if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '*'))
		return 0;
	for (j = i + 1; j < n && s[j] != '\n'; j++)
		if (s[j] == '*')
			return !isspace((unsigned char)s[j - 1]) &&
			       (j + 1 >= n || !isalnum((unsigned char)s[j + 1])) && s[j + 1] != '*'
				       ? j : 0;
	return 0;
}

void px_slack_mrkdwn(const char *s, size_t n, struct px_buf *md)
{
	int fence = 0, span = 0;
	size_t i, e;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '`' && i + 2 < n && s[i + 1] == '`' && s[i + 2] == '`') {
			/* Slack writes ```code``` inside a line; CommonMark wants
			 * each fence alone at the start of its line */
			if (md->len && md->data[md->len - 1] != '\n')
				px_buf_putc(md, '\n');
			px_buf_puts(md, "```");
			fence = !fence;
			i += 2;
			if (i + 1 < n && s[i + 1] != '\n')
				px_buf_putc(md, '\n');
			continue;
		}
		if (fence) {
			if (c != '\r')
				px_buf_putc(md, c);
			continue;
		}
		if (c == '`') {
			span = !span;
			px_buf_putc(md, c);
			continue;
		}
		if (span) {
			px_buf_putc(md, c);
			continue;
		}
		if (c == '<') {
			const char *close = memchr(s + i + 1, '>', n - i - 1);

			if (close && !memchr(s + i + 1, '\n', (size_t)(close - s - i - 1))) {
				put_ref(md, s + i + 1, (size_t)(close - s - i - 1));
				i = (size_t)(close - s);
				continue;
			}
			px_buf_puts(md, "&lt;");
			continue;
		}
		if (c == '>' && i > 0 && s[i - 1] != '\n') {
			px_buf_puts(md, "&gt;");
			continue;
		}
		if (c == '*' && (e = bold_end(s, n, i)) != 0) {
			px_buf_puts(md, "**");
			px_buf_append(md, s + i + 1, e - i - 1);
			px_buf_puts(md, "**");
			i = e;
			continue;
		}
		if (c == '\n' && i > 0 && s[i - 1] != '\n' && i + 1 < n && s[i + 1] != '\n') {
			px_buf_puts(md, "\\\n");
			continue;
		}
		if (c == '\r')
			continue;
		px_buf_putc(md, c);
	}
	if (fence)
		px_buf_puts(md, "\n```");
}

/* Plain text (plain_text objects, field titles) with every ASCII
 * punctuation character that Markdown could read escaped. */
static void put_plain(struct px_buf *md, const char *s)
{
	for (; *s; s++) {
		if (*s == '\r')
			continue;
		if (*s == '\n') {
			px_buf_puts(md, "\\\n");
			continue;
		}
		if (strchr("\\`*_{}[]<>()#+-.!|~&", *s))
			px_buf_putc(md, '\\');
		px_buf_putc(md, *s);
	}
}

/* A Slack text object: {"type":"mrkdwn"|"plain_text","text":...}. */
static void put_text_obj(struct px_buf *md, struct json_object *t)
{
	const char *type = str_of(t, "type"), *text = str_of(t, "text");

	if (!text)
		return;
	if (type && strcmp(type, "plain_text") == 0)
		put_plain(md, text);
	else
		px_slack_mrkdwn(text, strlen(text), md);
}

/* --- blocks ---------------------------------------------------------------- */

static void para(struct px_buf *md)
{
	if (md->len && !(md->len >= 2 && md->data[md->len - 1] == '\n' &&
			 md->data[md->len - 2] == '\n'))
		px_buf_puts(md, md->data[md->len - 1] == '\n' ? "\n" : "\n\n");
}

static void put_block(struct px_buf *md, struct json_object *b)
{
	const char *type = str_of(b, "type");
	struct json_object *t, *a;
	size_t i, n;

	if (!type)
		return;
	if (strcmp(type, "divider") == 0) {
		para(md);
		px_buf_puts(md, "---");
	} else if (strcmp(type, "header") == 0 && json_object_object_get_ex(b, "text", &t)) {
		para(md);
		px_buf_puts(md, "### ");
		put_plain(md, str_of(t, "text") ? str_of(t, "text") : "");
	} else if (strcmp(type, "section") == 0) {
		para(md);
		if (json_object_object_get_ex(b, "text", &t))
			put_text_obj(md, t);
		if ((a = arr_of(b, "fields"))) {
			n = json_object_array_length(a);
			for (i = 0; i < n && i < MAX_ITEMS; i++) {
				if (i || (json_object_object_get_ex(b, "text", &t)))
					px_buf_puts(md, i ? "\\\n" : "\n\n");
				put_text_obj(md, json_object_array_get_idx(a, i));
			}
		}
	} else if (strcmp(type, "context") == 0 && (a = arr_of(b, "elements"))) {
		para(md);
		n = json_object_array_length(a);
		for (i = 0; i < n && i < MAX_ITEMS; i++) {
			struct json_object *el = json_object_array_get_idx(a, i);
			const char *et = str_of(el, "type");

			if (i)
				px_buf_puts(md, " · ");
			if (et && strcmp(et, "image") == 0)
				put_plain(md, str_of(el, "alt_text") ? str_of(el, "alt_text") : "");
			else
				put_text_obj(md, el);
		}
	} else if (strcmp(type, "image") == 0) {
		const char *u = str_of(b, "image_url"), *alt = str_of(b, "alt_text");

		if (u && url_ok(u, strlen(u)) && !strpbrk(u, " ()<>")) {
			para(md);
			px_buf_putc(md, '[');
			put_label(md, alt && *alt ? alt : "image", strlen(alt && *alt ? alt : "image"));
			px_buf_puts(md, "](");
			px_buf_puts(md, u);
			px_buf_putc(md, ')');
		}
	}
}

/* --- attachments ------------------------------------------------------------ */

/* A marker for the attachment's colour bar: named colours as Slack
 * defines them, hex by its dominant channel. */
static const char *color_mark(const char *c)
{
	unsigned r, g, b;
	char x[3] = { 0 };

	if (!c || !*c)
		return NULL;
	if (strcasecmp(c, "good") == 0)
		return "🟢";
	if (strcasecmp(c, "warning") == 0)
		return "🟠";
	if (strcasecmp(c, "danger") == 0)
		return "🔴";
	if (c[0] == '#')
		c++;
	if (strlen(c) != 6 || strspn(c, "0123456789abcdefABCDEF") != 6)
		return NULL;
	memcpy(x, c, 2), r = (unsigned)strtoul(x, NULL, 16);
	memcpy(x, c + 2, 2), g = (unsigned)strtoul(x, NULL, 16);
	memcpy(x, c + 4, 2), b = (unsigned)strtoul(x, NULL, 16);
	if (r > g + 48 && r > b + 48)
		return g > 120 ? "🟠" : "🔴";
	if (g > r + 32 && g > b)
		return "🟢";
	if (b > r + 32 && b > g)
		return "🔵";
	if (r > 160 && g > 120 && b < 100)
		return "🟡";
	return "⚪";
}

/* Appends the text of src as a block quote (every line "> "). */
static void quote(struct px_buf *md, const struct px_buf *src)
{
	size_t i;

	para(md);
	px_buf_puts(md, "> ");
	for (i = 0; i < src->len; i++) {
		px_buf_putc(md, src->data[i]);
		if (src->data[i] == '\n')
			px_buf_puts(md, i + 1 < src->len && src->data[i + 1] == '\n' ? ">" : "> ");
	}
}

static void line(struct px_buf *b)
{
	if (b->len)
		px_buf_puts(b, b->data[b->len - 1] == '\n' ? "" : "\\\n");
}

static void put_attachment(struct px_buf *md, struct json_object *at)
{
	const char *pretext = str_of(at, "pretext"), *title = str_of(at, "title");
	const char *link = str_of(at, "title_link"), *text = str_of(at, "text");
	const char *author = str_of(at, "author_name"), *footer = str_of(at, "footer");
	const char *fallback = str_of(at, "fallback"), *mark = color_mark(str_of(at, "color"));
	const char *image = str_of(at, "image_url");
	struct json_object *fields = arr_of(at, "fields");
	struct px_buf in = PX_BUF_INIT;
	size_t i, n;

	if (pretext && *pretext) {
		para(md);
		px_slack_mrkdwn(pretext, strlen(pretext), md);
	}
	if (author && *author) {
		px_buf_puts(&in, "*");
		put_plain(&in, author);
		px_buf_puts(&in, "*");
	}
	if (title && *title) {
		line(&in);
		if (mark)
			px_buf_puts(&in, mark), px_buf_putc(&in, ' ');
		px_buf_puts(&in, "**");
		if (link && url_ok(link, strlen(link)) && !strpbrk(link, " ()<>")) {
			px_buf_putc(&in, '[');
			put_label(&in, title, strlen(title));
			px_buf_puts(&in, "](");
			px_buf_puts(&in, link);
			px_buf_putc(&in, ')');
		} else
			put_plain(&in, title);
		px_buf_puts(&in, "**");
		mark = NULL;
	}
	if (text && *text) {
		line(&in);
		if (mark)
			px_buf_puts(&in, mark), px_buf_putc(&in, ' ');
		px_slack_mrkdwn(text, strlen(text), &in);
		mark = NULL;
	}
	n = fields ? json_object_array_length(fields) : 0;
	for (i = 0; i < n && i < MAX_ITEMS; i++) {
		struct json_object *f = json_object_array_get_idx(fields, i);
		const char *ft = str_of(f, "title"), *fv = str_of(f, "value");

		if (!(ft && *ft) && !(fv && *fv))
			continue;
		line(&in);
		if (ft && *ft) {
			px_buf_puts(&in, "**");
			put_plain(&in, ft);
			px_buf_puts(&in, "**: ");
		}
		if (fv)
			px_slack_mrkdwn(fv, strlen(fv), &in);
	}
	if (image && url_ok(image, strlen(image)) && !strpbrk(image, " ()<>")) {
		line(&in);
		px_buf_puts(&in, "[image](");
		px_buf_puts(&in, image);
		px_buf_putc(&in, ')');
	}
	if (footer && *footer) {
		line(&in);
		px_buf_putc(&in, '_');
		put_plain(&in, footer);
		px_buf_putc(&in, '_');
	}
	if (!in.len && fallback && *fallback) {
		if (mark)
			px_buf_puts(&in, mark), px_buf_putc(&in, ' ');
		px_slack_mrkdwn(fallback, strlen(fallback), &in);
	}
	if (in.len)
		quote(md, &in);
	if (in.failed)
		md->failed = 1;
	px_buf_free(&in);
}

enum px_err px_slack_render(struct json_object *payload, struct px_buf *md)
{
	struct json_object *blocks = arr_of(payload, "blocks");
	struct json_object *atts = arr_of(payload, "attachments");
	const char *text = str_of(payload, "text");
	size_t i, n, before;

	if (!json_object_is_type(payload, json_type_object))
		return PX_E_HOOK_EMPTY;
	n = blocks ? json_object_array_length(blocks) : 0;
	before = md->len;
	for (i = 0; i < n && i < MAX_ITEMS; i++)
		put_block(md, json_object_array_get_idx(blocks, i));
	/* with blocks, Slack shows text only in notifications */
	if (md->len == before && text && *text)
		px_slack_mrkdwn(text, strlen(text), md);
	n = atts ? json_object_array_length(atts) : 0;
	for (i = 0; i < n && i < MAX_ITEMS; i++)
		put_attachment(md, json_object_array_get_idx(atts, i));
	if (md->failed)
		return PX_E_SYSTEM_INTERNAL;
	return md->len == before ? PX_E_HOOK_EMPTY : PX_OK;
}

void px_slack_name(const char *in, char *out, size_t cap)
{
	size_t o = 0, chars = 0;
	int space = 0;

	while (*in && chars < 64 && cap > 5) {
		size_t k = px_utf8_seq_len(in, strlen(in));

		if (k == 0)
			break;
		if (k == 1 && (iscntrl((unsigned char)*in) || isspace((unsigned char)*in))) {
			space = o > 0;
			in++;
			continue;
		}
		if (k == 1 && strchr("\\`*_{}[]<>()#|~!@&\"'", *in)) {
			in++;
			continue;
		}
		if (o + k + 1 + space >= cap)
			break;
		if (space)
			out[o++] = ' ', chars++;
		space = 0;
		memcpy(out + o, in, k);
		o += k;
		in += k;
		chars++;
	}
	if (cap)
		out[o < cap ? o : cap - 1] = '\0';
}

int px_slack_icon_ok(const char *url)
{
	size_t n = strlen(url);

	return n <= 512 && (n > 8 && (strncasecmp(url, "https://", 8) == 0 ||
				      strncasecmp(url, "http://", 7) == 0)) &&
	       !strpbrk(url, " \t\r\n\"'<>()\\`");
}

/* false only when the member is there and is JSON false */
static int said_false(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_boolean) &&
	       !json_object_get_boolean(v);
}

const char *px_slack_unfurl(struct json_object *payload)
{
	if (said_false(payload, "unfurl_links"))
		return "off";
	return said_false(payload, "unfurl_media") ? "no_media" : NULL;
}
