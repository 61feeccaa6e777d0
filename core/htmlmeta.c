/* htmlmeta.c: Open Graph / Twitter card / <title> reading and the first
 * link of a message, over libxml2's HTML parser. The tree walk is bounded
 * (depth and node count), so a hostile page costs at most its parse. */
#include "core/htmlmeta.h"
#include "core/utf8.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/uri.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 64
#define MAX_NODES 200000

/* The tags each field is taken from, best first. */
static const char *const title_keys[] = { "og:title", "twitter:title", NULL };
static const char *const desc_keys[] = { "og:description", "twitter:description", "description",
					 NULL };
static const char *const image_keys[] = { "og:image:secure_url", "og:image", "og:image:url",
					  "twitter:image", "twitter:image:src", NULL };
static const char *const site_keys[] = { "og:site_name", "application-name", NULL };

enum field { TITLE, DESC, IMAGE, SITE, NFIELDS };

struct walk {
	xmlChar *value[NFIELDS];
	int rank[NFIELDS];      /* index in its key list of value; large: none */
	xmlChar *title_tag;     /* <title>, the last resort for TITLE */
	long nodes;
};

void px_htmlmeta_init(void)
{
	xmlInitParser();
}

/* A copy of s, white space runs made one space, trimmed, control
 * characters dropped, cut to max bytes at a character boundary; NULL
 * when nothing is left or s is not UTF-8. */
static char *clean(const char *s, size_t max)
{
	size_t n = strlen(s), i, o = 0;
	char *out;
	int space = 0;

	if (!px_utf8_valid(s, n) || !(out = malloc(n + 1)))
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			space = o > 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			continue;
		if (space)
			out[o++] = ' ';
		space = 0;
		out[o++] = (char)c;
	}
	if (o > max) {
		o = max;
		/* back to the start of the character that crosses the limit */
		while (o > 0 && ((unsigned char)out[o] & 0xC0) == 0x80)
			o--;
	}
	out[o] = '\0';
	if (o == 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int key_rank(const char *const *keys, const xmlChar *k)
{
	int i;

	for (i = 0; keys[i]; i++)
		if (strcasecmp(keys[i], (const char *)k) == 0)
			return i;
	return -1;
}

/* A <meta property|name=K content=V>: kept when K ranks better than what
 * the field has so far (the first of equal rank wins). */
static void meta(struct walk *w, xmlNode *n)
{
	static const char *const *const keys[NFIELDS] = { title_keys, desc_keys, image_keys,
							  site_keys };
	xmlChar *k = xmlGetProp(n, (const xmlChar *)"property"), *v;
	int f, r;

	if (!k)
		k = xmlGetProp(n, (const xmlChar *)"name");
	if (!k)
		return;
	for (f = 0; f < NFIELDS; f++) {
		r = key_rank(keys[f], k);
		if (r < 0 || r >= w->rank[f])
			continue;
		if (!(v = xmlGetProp(n, (const xmlChar *)"content")))
			continue;
		xmlFree(w->value[f]);
		w->value[f] = v;
		w->rank[f] = r;
	}
	xmlFree(k);
}

static void walk(struct walk *w, xmlNode *n, int depth)
{
	for (; n && w->nodes < MAX_NODES; n = n->next) {
		w->nodes++;
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (strcasecmp((const char *)n->name, "meta") == 0)
			meta(w, n);
		else if (strcasecmp((const char *)n->name, "title") == 0 && !w->title_tag)
			w->title_tag = xmlNodeGetContent(n);
		if (depth < MAX_DEPTH)
			walk(w, n->children, depth + 1);
	}
}

static htmlDocPtr parse(const char *html, size_t n, const char *url, const char *charset)
{
	if (n > 0x7fffffff)
		n = 0x7fffffff;
	return htmlReadMemory(html, (int)n, url, charset && *charset ? charset : NULL,
			      HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
			      HTML_PARSE_NONET | HTML_PARSE_NOBLANKS);
}

/* The absolute form of ref against base, malloc'd, or NULL. */
static char *absolute(const xmlChar *ref, const char *base)
{
	xmlChar *u = xmlBuildURI(ref, (const xmlChar *)base);
	char *out = NULL;

	if (u && strlen((const char *)u) <= PX_HTMLMETA_URL_MAX)
		out = clean((const char *)u, PX_HTMLMETA_URL_MAX);
	xmlFree(u);
	return out;
}

int px_htmlmeta_parse(const char *html, size_t n, const char *page_url, const char *charset,
		      struct px_htmlmeta *out)
{
	struct walk w = { { NULL }, { 99, 99, 99, 99 }, NULL, 0 };
	htmlDocPtr doc;
	xmlChar *title;
	int f;

	memset(out, 0, sizeof(*out));
	if (!(doc = parse(html, n, page_url, charset)))
		return -1;
	walk(&w, xmlDocGetRootElement(doc), 0);
	title = w.value[TITLE] ? w.value[TITLE] : w.title_tag;
	if (title)
		out->title = clean((const char *)title, PX_HTMLMETA_TITLE_MAX);
	if (w.value[DESC])
		out->description = clean((const char *)w.value[DESC], PX_HTMLMETA_DESC_MAX);
	if (w.value[IMAGE])
		out->image = absolute(w.value[IMAGE], page_url);
	if (w.value[SITE])
		out->site_name = clean((const char *)w.value[SITE], PX_HTMLMETA_SITE_MAX);
	for (f = 0; f < NFIELDS; f++)
		xmlFree(w.value[f]);
	xmlFree(w.title_tag);
	xmlFreeDoc(doc);
	return 0;
}

void px_htmlmeta_free(struct px_htmlmeta *m)
{
	free(m->title);
	free(m->description);
	free(m->image);
	free(m->site_name);
	memset(m, 0, sizeof(*m));
}

/* Whether href is an absolute http(s) URL with a host and no user part. */
static int web_link(const char *href)
{
	xmlURIPtr u;
	int ok;

	if (strncasecmp(href, "http://", 7) != 0 && strncasecmp(href, "https://", 8) != 0)
		return 0;
	if (strlen(href) > PX_HTMLMETA_URL_MAX || !(u = xmlParseURI(href)))
		return 0;
	ok = u->server && *u->server && !u->user;
	xmlFreeURI(u);
	return ok;
}

static char *find_link(xmlNode *n, int depth, long *nodes)
{
	char *found = NULL;

	for (; n && !found && *nodes < MAX_NODES; n = n->next) {
		++*nodes;
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (strcasecmp((const char *)n->name, "a") == 0) {
			xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");

			if (href && web_link((const char *)href))
				found = strdup((const char *)href);
			xmlFree(href);
		}
		if (!found && depth < MAX_DEPTH)
			found = find_link(n->children, depth + 1, nodes);
	}
	return found;
}

char *px_htmlmeta_first_link(const char *html, size_t n)
{
	htmlDocPtr doc;
	char *found;
	long nodes = 0;

	if (n == 0 || !(doc = parse(html, n, NULL, "UTF-8")))
		return NULL;
	found = find_link(xmlDocGetRootElement(doc), 0, &nodes);
	xmlFreeDoc(doc);
	return found;
}
