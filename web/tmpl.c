/* tmpl.c: the Mustache compiler, renderer and template cache. A compiled
 * template is immutable once built and reference-counted under the cache
 * mutex, so threads render it without locks while a dev-mode reload swaps
 * a newer one into the cache. */
#include "web/tmpl.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DELIM 16       /* longest custom delimiter */
#define CACHE_BUCKETS 64
#define MAX_DIR_DEPTH 16   /* px_tmpl_list_raw folder nesting */
#define STR_(x) #x
#define XSTR_(x) STR_(x)
#define PX_TMPL_MAX_DEPTH_S XSTR_(PX_TMPL_MAX_DEPTH)

enum kind { N_TEXT, N_VAR, N_RAW, N_SECTION, N_INVERTED, N_PARTIAL };

/* One op of a compiled template. Text and names point into the
 * template's own copy of its source; keys live in px_tmpl.names. */
struct node {
	enum kind kind;
	unsigned line;       /* source line, for messages */
	unsigned at_bol;     /* begins a line: a partial's indent goes first */
	unsigned standalone; /* partials: the tag stood alone on its line */
	const char *s;       /* text, or the tag's name as written */
	size_t n;
	size_t key;          /* offset in names: NUL-separated name segments */
	unsigned nkeys;      /* 0 = the implicit iterator "." */
	size_t end;          /* sections: index of the node after the body */
	const char *indent;  /* standalone partials: whitespace before the tag */
	size_t indent_n;
};

struct stamp {
	struct timespec mtim;
	off_t size;
	ino_t ino;
};

struct px_tmpl {
	char *name;
	char *src;
	struct node *nodes;
	size_t n;
	char *names;
	unsigned refs;       /* guarded by the owning cache's mutex */
	struct stamp stamp;
};

struct entry {
	char *name;
	struct px_tmpl *t;
	struct entry *next;
};

struct px_tmpl_cache {
	char *dir;
	int dev;
	pthread_mutex_t lock;
	struct entry *buckets[CACHE_BUCKETS];
};

/* ---- compiler ---- */

struct parser {
	const char *name;
	const char *src;
	size_t len, pos;
	unsigned line;       /* line number at pos */
	char otag[MAX_DELIM + 1], ctag[MAX_DELIM + 1];
	size_t olen, clen;
	struct node *nodes;
	size_t n, cap;
	struct px_buf names;
	size_t open[PX_TMPL_MAX_DEPTH];
	size_t depth;
	struct px_buf *err;
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_space(char c)
{
	return is_blank(c) || c == '\n' || c == '\r';
}

static unsigned count_nl(const char *s, size_t from, size_t to)
{
	unsigned k = 0;

	for (; from < to; from++)
		k += s[from] == '\n';
	return k;
}

static int fail(struct parser *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (!p->err)
		return -1;
	px_buf_printf(p->err, "%s line %u: ", p->name, line);
	va_start(ap, fmt);
	px_buf_vprintf(p->err, fmt, ap);
	va_end(ap);
	return -1;
}

static struct node *add_node(struct parser *p, enum kind k, unsigned line,
			     size_t at)
{
	struct node *nd;

	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 32;
		struct node *nn = realloc(p->nodes, ncap * sizeof(*nn));

		if (!nn)
			return NULL;
		p->nodes = nn;
		p->cap = ncap;
	}
	nd = &p->nodes[p->n++];
	memset(nd, 0, sizeof(*nd));
	nd->kind = k;
	nd->line = line;
	nd->at_bol = at == 0 || p->src[at - 1] == '\n';
	return nd;
}

static int add_text(struct parser *p, size_t from, size_t to)
{
	struct node *nd;

	if (to <= from)
		return 0;
	nd = add_node(p, N_TEXT, p->line, from);
	if (!nd)
		return fail(p, p->line, "out of memory");
	nd->s = p->src + from;
	nd->n = to - from;
	return 0;
}

/* Stores a tag name as NUL-separated segments ("a.b" -> "a\0b\0"). */
static int set_key(struct parser *p, struct node *nd, unsigned line)
{
	size_t i, seg = 0;

	nd->key = p->names.len;
	if (nd->n == 1 && nd->s[0] == '.')
		return 0;
	for (i = 0; i <= nd->n; i++) {
		if (i < nd->n && nd->s[i] != '.')
			continue;
		if (i == seg)
			return fail(p, line, "bad name '%.*s'", (int)nd->n, nd->s);
		px_buf_append(&p->names, nd->s + seg, i - seg);
		px_buf_putc(&p->names, '\0');
		nd->nkeys++;
		seg = i + 1;
	}
	return 0;
}

static int set_delims(struct parser *p, const char *s, size_t n,
		      unsigned line)
{
	size_t a = 0, b, c, d;

	while (a < n && is_space(s[a]))
		a++;
	for (b = a; b < n && !is_space(s[b]); b++)
		;
	for (c = b; c < n && is_space(s[c]); c++)
		;
	for (d = c; d < n && !is_space(s[d]); d++)
		;
	while (d < n && is_space(s[n - 1]))
		n--;
	if (b == a || d == c || d != n || b - a > MAX_DELIM ||
	    d - c > MAX_DELIM || memchr(s + a, '=', b - a) ||
	    memchr(s + c, '=', d - c))
		return fail(p, line, "bad delimiters '%.*s'", (int)n, s);
	memcpy(p->otag, s + a, b - a);
	p->otag[b - a] = '\0';
	p->olen = b - a;
	memcpy(p->ctag, s + c, d - c);
	p->ctag[d - c] = '\0';
	p->clen = d - c;
	return 0;
}

/* Whether the tag [ts, te) is alone on its line; sets the line's bounds:
 * *ls its first byte and *eol the byte after its line ending. */
static int standalone(const struct parser *p, size_t ts, size_t te,
		      size_t *ls, size_t *eol)
{
	size_t i = ts;

	while (i > p->pos && p->src[i - 1] != '\n')
		i--;
	if (i == p->pos && i > 0 && p->src[i - 1] != '\n')
		return 0;
	*ls = i;
	for (; i < ts; i++)
		if (!is_blank(p->src[i]))
			return 0;
	for (i = te; i < p->len && is_blank(p->src[i]); i++)
		;
	if (i == p->len)
		*eol = i;
	else if (p->src[i] == '\n')
		*eol = i + 1;
	else if (p->src[i] == '\r' && i + 1 < p->len && p->src[i + 1] == '\n')
		*eol = i + 2;
	else
		return 0;
	return 1;
}

static int open_section(struct parser *p, struct node *nd)
{
	/* the template itself is the first level */
	if (p->depth + 1 == PX_TMPL_MAX_DEPTH)
		return fail(p, nd->line, "sections nested deeper than %d",
			    PX_TMPL_MAX_DEPTH - 1);
	p->open[p->depth++] = (size_t)(nd - p->nodes);
	return set_key(p, nd, nd->line);
}

static int close_section(struct parser *p, const char *s, size_t n,
			 unsigned line)
{
	struct node *open;

	if (p->depth == 0)
		return fail(p, line, "'%.*s' closed but never opened",
			    (int)n, s);
	open = &p->nodes[p->open[--p->depth]];
	if (open->n != n || memcmp(open->s, s, n) != 0)
		return fail(p, line, "section '%.*s' (line %u) closed by '%.*s'",
			    (int)open->n, open->s, open->line, (int)n, s);
	open->end = p->n;
	return 0;
}

/* Handles one tag of the given type whose trimmed content is [s, s+n). */
static int tag(struct parser *p, char type, const char *s, size_t n,
	       unsigned line, size_t ts, int alone, size_t ls)
{
	static const struct { char type; enum kind kind; } kinds[] = {
		{ '#', N_SECTION }, { '^', N_INVERTED }, { '>', N_PARTIAL },
		{ '{', N_RAW }, { '&', N_RAW }, { 0, N_VAR },
	};
	struct node *nd;
	size_t i;

	if (type == '!')
		return 0;
	if (type == '=')
		return set_delims(p, s, n, line);
	if (n == 0)
		return fail(p, line, "empty tag");
	if (type == '/')
		return close_section(p, s, n, line);
	for (i = 0; kinds[i].type && kinds[i].type != type; i++)
		;
	nd = add_node(p, kinds[i].kind, line, ts);
	if (!nd)
		return fail(p, line, "out of memory");
	nd->s = s;
	nd->n = n;
	if (alone)
		nd->at_bol = 0;
	switch (nd->kind) {
	case N_SECTION:
	case N_INVERTED:
		return open_section(p, nd);
	case N_PARTIAL:
		nd->standalone = (unsigned)alone;
		nd->indent = p->src + ls;
		nd->indent_n = alone ? ts - ls : 0;
		nd->key = p->names.len;
		px_buf_append(&p->names, s, n);
		px_buf_putc(&p->names, '\0');
		return 0;
	default:
		return set_key(p, nd, line);
	}
}

/* Parses the tag whose opening delimiter starts at ts, then moves pos
 * past it (and past its whole line when it stands alone). */
static int parse_tag(struct parser *p, size_t ts)
{
	char close[MAX_DELIM + 2];
	size_t cs = ts + p->olen, ce, te, clen, ls = ts, eol = 0;
	unsigned line = p->line + count_nl(p->src, p->pos, ts);
	const char *found;
	char type = cs < p->len ? p->src[cs] : 0;
	int alone = 0;

	if (type && strchr("#^/!>=&{", type))
		cs++;
	else
		type = 0;
	clen = 0;
	if (type == '{' || type == '=')
		close[clen++] = type == '{' ? '}' : '=';
	memcpy(close + clen, p->ctag, p->clen);
	clen += p->clen;
	found = memmem(p->src + cs, p->len - cs, close, clen);
	if (!found)
		return fail(p, line, "unclosed tag '%.*s'", (int)p->olen,
			    p->otag);
	ce = (size_t)(found - p->src);
	te = ce + clen;
	if (type && strchr("#^/!>=", type))
		alone = standalone(p, ts, te, &ls, &eol);
	if (add_text(p, p->pos, alone ? ls : ts) != 0)
		return -1;
	while (cs < ce && is_space(p->src[cs]))
		cs++;
	while (ce > cs && is_space(p->src[ce - 1]))
		ce--;
	/* A tag at the start of a line that leaves no node still owns the
	 * indentation a partial would put there (inside the section, for a
	 * closing tag), so an empty text node keeps its place. */
	if (!alone && type && strchr("/!=", type) &&
	    (ts == 0 || p->src[ts - 1] == '\n') &&
	    !add_node(p, N_TEXT, line, ts))
		return fail(p, line, "out of memory");
	if (tag(p, type, p->src + cs, ce - cs, line, ts, alone, ls) != 0)
		return -1;
	if (!alone)
		eol = te;
	p->line = line + count_nl(p->src, ts, eol);
	p->pos = eol;
	return 0;
}

static void tmpl_free(struct px_tmpl *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->src);
	free(t->nodes);
	free(t->names);
	free(t);
}

/* Compiles len bytes of src; name labels messages. On success *out owns
 * a copy of src and must be released with tmpl_free(). */
static int compile(const char *src, size_t len, const char *name,
		   struct px_tmpl **out, struct px_buf *err)
{
	struct parser p;
	struct px_tmpl *t = NULL;
	const char *ts;
	int rc = -1;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.err = err;
	p.line = 1;
	strcpy(p.otag, "{{");
	strcpy(p.ctag, "}}");
	p.olen = p.clen = 2;
	px_buf_init(&p.names);
	t = calloc(1, sizeof(*t));
	if (!t || !(t->name = strdup(name)) || !(t->src = malloc(len + 1))) {
		fail(&p, 1, "out of memory");
		goto out;
	}
	memcpy(t->src, src, len);
	t->src[len] = '\0';
	p.src = t->src;
	p.len = len;
	while (p.pos < p.len) {
		ts = memmem(p.src + p.pos, p.len - p.pos, p.otag, p.olen);
		if (!ts) {
			if (add_text(&p, p.pos, p.len) != 0)
				goto out;
			break;
		}
		if (parse_tag(&p, (size_t)(ts - p.src)) != 0)
			goto out;
	}
	if (p.depth > 0) {
		const struct node *o = &p.nodes[p.open[p.depth - 1]];

		fail(&p, o->line, "section '%.*s' is never closed",
		     (int)o->n, o->s);
		goto out;
	}
	px_buf_putc(&p.names, '\0');
	if (p.names.failed) {
		fail(&p, p.line, "out of memory");
		goto out;
	}
	t->names = px_buf_steal(&p.names);
	t->nodes = p.nodes;
	t->n = p.n;
	p.nodes = NULL;
	*out = t;
	t = NULL;
	rc = 0;
out:
	free(p.nodes);
	px_buf_free(&p.names);
	tmpl_free(t);
	return rc;
}

/* ---- renderer ---- */

struct frame {
	struct json_object *v;
	const struct frame *up;
};

/* Indentation of nested standalone partials, outermost first. */
struct indent {
	const char *s;
	size_t n;
	const struct indent *up;
};

struct held {
	struct px_tmpl *t;
	int owned;           /* compiled for this render, not from a cache */
};

struct render {
	struct px_buf *out, *err;
	struct px_tmpl_cache *cache;
	struct json_object *partials;
	struct held *held;
	size_t nheld, capheld;
	unsigned depth;
};

static int cache_get(struct px_tmpl_cache *c, const char *name,
		     struct px_tmpl **out, struct px_buf *err);
static void cache_put(struct px_tmpl_cache *c, struct px_tmpl *t);

static int rfail(struct render *r, const struct px_tmpl *t, unsigned line,
		 const char *what)
{
	px_buf_printf(r->err, "%s line %u: %s", t->name, line, what);
	return -1;
}

static void emit_indent(struct px_buf *out, const struct indent *in)
{
	if (!in)
		return;
	emit_indent(out, in->up);
	px_buf_append(out, in->s, in->n);
}

static void emit_text(struct px_buf *out, const struct node *nd,
		      const struct indent *in)
{
	const char *s = nd->s, *nl;
	size_t n = nd->n;

	while (in && n > 0 && (nl = memchr(s, '\n', n - 1)) != NULL) {
		px_buf_append(out, s, (size_t)(nl - s) + 1);
		emit_indent(out, in);
		n -= (size_t)(nl - s) + 1;
		s = nl + 1;
	}
	px_buf_append(out, s, n);
}

static void emit_str(struct px_buf *out, const char *s, size_t n, int esc)
{
	if (esc)
		px_buf_html(out, s, n);
	else
		px_buf_append(out, s, n);
}

/* Shortest text that reads back as the same double (1.21, not 1.2099...). */
static void emit_double(struct px_buf *out, double d)
{
	char b[40];
	int prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(b, sizeof(b), "%.*g", prec, d);
		if (strtod(b, NULL) == d)
			break;
	}
	snprintf(b, sizeof(b), "%.*g", prec, d);
	px_buf_puts(out, b);
}

static void emit_value(struct px_buf *out, struct json_object *v, int esc)
{
	int64_t i;

	switch (json_object_get_type(v)) {
	case json_type_string:
		emit_str(out, json_object_get_string(v),
			 (size_t)json_object_get_string_len(v), esc);
		break;
	case json_type_int:
		i = json_object_get_int64(v);
		if (i == INT64_MAX)
			px_buf_printf(out, "%llu", (unsigned long long)
				      json_object_get_uint64(v));
		else
			px_buf_printf(out, "%lld", (long long)i);
		break;
	case json_type_double:
		emit_double(out, json_object_get_double(v));
		break;
	case json_type_boolean:
		px_buf_puts(out, json_object_get_boolean(v) ? "true" : "false");
		break;
	default:
		/* null prints nothing; so do objects and arrays, whose
		 * serialiser would write into the shared json object */
		break;
	}
}

/* Resolves a name: its first segment in the nearest frame holding it,
 * the rest strictly inside that value. NULL for a miss or null. */
static struct json_object *lookup(const struct px_tmpl *t,
				  const struct node *nd, const struct frame *f)
{
	const char *key = t->names + nd->key;
	struct json_object *v = NULL;
	unsigned i;

	if (nd->nkeys == 0)
		return f->v;
	for (; f; f = f->up)
		if (json_object_is_type(f->v, json_type_object) &&
		    json_object_object_get_ex(f->v, key, &v))
			break;
	if (!f)
		return NULL;
	for (i = 1; i < nd->nkeys && v; i++) {
		key += strlen(key) + 1;
		if (!json_object_is_type(v, json_type_object) ||
		    !json_object_object_get_ex(v, key, &v))
			return NULL;
	}
	return v;
}

static int falsy(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return 1;
	case json_type_boolean:
		return !json_object_get_boolean(v);
	case json_type_array:
		return json_object_array_length(v) == 0;
	case json_type_string:
		return json_object_get_string_len(v) == 0;
	default:
		return 0;
	}
}

static int hold(struct render *r, struct px_tmpl *t, int owned)
{
	if (r->nheld == r->capheld) {
		size_t ncap = r->capheld ? r->capheld * 2 : 8;
		struct held *nh = realloc(r->held, ncap * sizeof(*nh));

		if (!nh)
			return -1;
		r->held = nh;
		r->capheld = ncap;
	}
	r->held[r->nheld].t = t;
	r->held[r->nheld++].owned = owned;
	return 0;
}

static void release_held(struct render *r)
{
	size_t i;

	for (i = 0; i < r->nheld; i++) {
		if (r->held[i].owned)
			tmpl_free(r->held[i].t);
		else
			cache_put(r->cache, r->held[i].t);
	}
	free(r->held);
	r->held = NULL;
	r->nheld = r->capheld = 0;
}

/* Finds partial `name`, once per render. Sets *out to NULL when a string
 * render has no such partial; returns -1 with err set on failure. */
static int get_partial(struct render *r, const char *name,
		       struct px_tmpl **out, struct px_buf *why)
{
	struct json_object *src;
	size_t i;

	*out = NULL;
	for (i = 0; i < r->nheld; i++)
		if (strcmp(r->held[i].t->name, name) == 0) {
			*out = r->held[i].t;
			return 0;
		}
	if (r->cache) {
		if (cache_get(r->cache, name, out, why) != 0)
			return -1;
	} else {
		if (!r->partials ||
		    !json_object_object_get_ex(r->partials, name, &src) ||
		    !json_object_is_type(src, json_type_string))
			return 0;
		if (compile(json_object_get_string(src),
			    (size_t)json_object_get_string_len(src), name, out,
			    why) != 0)
			return -1;
	}
	if (hold(r, *out, r->cache == NULL) != 0) {
		if (r->cache)
			cache_put(r->cache, *out);
		else
			tmpl_free(*out);
		*out = NULL;
		px_buf_puts(why, "out of memory");
		return -1;
	}
	return 0;
}

static int render_nodes(struct render *r, const struct px_tmpl *t,
			size_t from, size_t to, const struct frame *f,
			const struct indent *in);

static int render_partial(struct render *r, const struct px_tmpl *t,
			  const struct node *nd, const struct frame *f,
			  const struct indent *in)
{
	struct px_buf why = PX_BUF_INIT;
	struct indent mine = { nd->indent, nd->indent_n, in };
	struct px_tmpl *p;
	int rc = -1;

	if (get_partial(r, t->names + nd->key, &p, &why) != 0) {
		px_buf_printf(r->err, "%s line %u: partial '%s': %s", t->name,
			      nd->line, t->names + nd->key,
			      why.data ? why.data : "failed");
		goto out;
	}
	rc = p ? render_nodes(r, p, 0, p->n, f, nd->standalone ? &mine : NULL)
	       : 0;
out:
	px_buf_free(&why);
	return rc;
}

static int render_section(struct render *r, const struct px_tmpl *t,
			  const struct node *nd, const struct frame *f,
			  const struct indent *in)
{
	size_t body = (size_t)(nd - t->nodes) + 1, i, n;
	struct json_object *v = lookup(t, nd, f);
	struct frame inner = { v, f };

	if (nd->kind == N_INVERTED)
		return falsy(v) ? render_nodes(r, t, body, nd->end, f, in) : 0;
	if (falsy(v))
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return render_nodes(r, t, body, nd->end, &inner, in);
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		inner.v = json_object_array_get_idx(v, i);
		if (render_nodes(r, t, body, nd->end, &inner, in) != 0)
			return -1;
	}
	return 0;
}

static int render_nodes(struct render *r, const struct px_tmpl *t,
			size_t from, size_t to, const struct frame *f,
			const struct indent *in)
{
	const struct node *nd;
	size_t i;
	int rc = 0;

	if (++r->depth > PX_TMPL_MAX_DEPTH) {
		rc = rfail(r, t, from < t->n ? t->nodes[from].line : 1,
			   "nested deeper than " PX_TMPL_MAX_DEPTH_S
			   " levels (a partial including itself?)");
		goto out;
	}
	for (i = from; i < to && rc == 0; i++) {
		nd = &t->nodes[i];
		if (nd->at_bol)
			emit_indent(r->out, in);
		switch (nd->kind) {
		case N_TEXT:
			emit_text(r->out, nd, in);
			break;
		case N_VAR:
		case N_RAW:
			emit_value(r->out, lookup(t, nd, f), nd->kind == N_VAR);
			break;
		case N_SECTION:
		case N_INVERTED:
			rc = render_section(r, t, nd, f, in);
			i = nd->end - 1;
			break;
		case N_PARTIAL:
			rc = render_partial(r, t, nd, f, in);
			break;
		}
		if (rc == 0 && r->out->failed)
			rc = rfail(r, t, nd->line,
				   "output buffer full or out of memory");
	}
out:
	r->depth--;
	return rc;
}

static int render_root(struct render *r, struct px_tmpl *t,
		       struct json_object *ctx)
{
	struct frame root = { ctx, NULL };
	size_t start = r->out->len;
	int rc;

	rc = r->out->failed ? rfail(r, t, 1, "output buffer failed")
			    : render_nodes(r, t, 0, t->n, &root, NULL);
	if (rc != 0 && r->out->data) {
		r->out->len = start;
		r->out->data[start] = '\0';
	}
	release_held(r);
	return rc;
}

int px_tmpl_render_string(const char *src, struct json_object *ctx,
			  struct json_object *partials, struct px_buf *out,
			  struct px_buf *err)
{
	struct px_buf dummy = PX_BUF_INIT;
	struct render r = { out, err ? err : &dummy, NULL, partials,
			    NULL, 0, 0, 0 };
	struct px_tmpl *t = NULL;
	int rc = -1;

	assert(src && out);
	if (compile(src, strlen(src), "template", &t, r.err) != 0)
		goto out;
	rc = render_root(&r, t, ctx);
out:
	tmpl_free(t);
	px_buf_free(&dummy);
	return rc;
}

int px_tmpl_render(struct px_tmpl_cache *c, const char *name,
		   struct json_object *ctx, struct px_buf *out,
		   struct px_buf *err)
{
	struct px_buf dummy = PX_BUF_INIT;
	struct render r = { out, err ? err : &dummy, c, NULL, NULL, 0, 0, 0 };
	struct px_tmpl *t = NULL;
	int rc = -1;

	assert(c && name && out);
	if (cache_get(c, name, &t, r.err) != 0)
		goto out;
	rc = render_root(&r, t, ctx);
	cache_put(c, t);
out:
	px_buf_free(&dummy);
	return rc;
}

/* ---- names, files and the cache ---- */

int px_tmpl_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > PX_TMPL_MAX_NAME)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = name[i];

		if ((i == 0 || name[i - 1] == '/') && (ch == '/' || ch == '.'))
			return 0;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr("_.-/", ch)))
			return 0;
	}
	return name[n - 1] != '/';
}

static void path_of(struct px_buf *b, const char *dir, const char *name)
{
	px_buf_printf(b, "%s/%s.mustache", dir, name);
}

/* Reads and compiles one template file; sets (*out)->stamp from fstat. */
static int load_file(const char *path, const char *name,
		     struct px_tmpl **out, struct px_buf *err)
{
	struct px_buf text = PX_BUF_INIT;
	struct stat st;
	char chunk[8192];
	ssize_t got;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		px_buf_printf(err, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > PX_TMPL_MAX_FILE) {
		px_buf_printf(err, "%s: not a regular file of at most %d bytes",
			      path, PX_TMPL_MAX_FILE);
		goto out;
	}
	while ((got = read(fd, chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || text.len + (size_t)got > PX_TMPL_MAX_FILE) {
			px_buf_printf(err, "cannot read %s", path);
			goto out;
		}
		px_buf_append(&text, chunk, (size_t)got);
	}
	if (text.failed) {
		px_buf_printf(err, "%s: out of memory", path);
		goto out;
	}
	if (compile(text.data ? text.data : "", text.len, name, out, err) != 0)
		goto out;
	(*out)->stamp.mtim = st.st_mtim;
	(*out)->stamp.size = st.st_size;
	(*out)->stamp.ino = st.st_ino;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	px_buf_free(&text);
	return rc;
}

static int stamp_same(const struct stamp *a, const struct stat *st)
{
	return a->mtim.tv_sec == st->st_mtim.tv_sec &&
	       a->mtim.tv_nsec == st->st_mtim.tv_nsec &&
	       a->size == st->st_size && a->ino == st->st_ino;
}

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % CACHE_BUCKETS;
}

struct px_tmpl_cache *px_tmpl_cache_new(const char *dir, int dev_mode)
{
	struct px_tmpl_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->dir = strdup(dir);
	if (!c->dir || pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->dir);
		free(c);
		return NULL;
	}
	c->dev = dev_mode != 0;
	return c;
}

void px_tmpl_cache_free(struct px_tmpl_cache *c)
{
	struct entry *e, *next;
	size_t i;

	if (!c)
		return;
	for (i = 0; i < CACHE_BUCKETS; i++)
		for (e = c->buckets[i]; e; e = next) {
			next = e->next;
			tmpl_free(e->t);
			free(e->name);
			free(e);
		}
	pthread_mutex_destroy(&c->lock);
	free(c->dir);
	free(c);
}

static void unref_locked(struct px_tmpl *t)
{
	if (--t->refs == 0)
		tmpl_free(t);
}

static void cache_put(struct px_tmpl_cache *c, struct px_tmpl *t)
{
	pthread_mutex_lock(&c->lock);
	unref_locked(t);
	pthread_mutex_unlock(&c->lock);
}

/* Stores nt under name, replacing (and unreferencing) an older version. */
static int cache_store(struct px_tmpl_cache *c, const char *name,
		       struct entry *e, struct px_tmpl *nt)
{
	if (e) {
		unref_locked(e->t);
		e->t = nt;
		return 0;
	}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->name = strdup(name))) {
		free(e);
		return -1;
	}
	e->t = nt;
	e->next = c->buckets[hash(name)];
	c->buckets[hash(name)] = e;
	return 0;
}

/* Returns template `name` with a reference the caller drops with
 * cache_put(). Loads under the lock: a first use (or a dev-mode reload)
 * briefly makes other renders wait, which keeps the code simple. */
static int cache_get(struct px_tmpl_cache *c, const char *name,
		     struct px_tmpl **out, struct px_buf *err)
{
	struct px_buf path = PX_BUF_INIT;
	struct px_tmpl *nt = NULL;
	struct entry *e;
	struct stat st;
	int rc = -1, locked = 0;

	if (!px_tmpl_name_valid(name)) {
		px_buf_printf(err, "invalid template name '%.*s'",
			      PX_TMPL_MAX_NAME, name);
		goto out;
	}
	path_of(&path, c->dir, name);
	if (path.failed) {
		px_buf_puts(err, "out of memory");
		goto out;
	}
	if (c->dev && stat(path.data, &st) != 0) {
		px_buf_printf(err, "cannot open %s: %s", path.data,
			      strerror(errno));
		goto out;
	}
	pthread_mutex_lock(&c->lock);
	locked = 1;
	for (e = c->buckets[hash(name)]; e; e = e->next)
		if (strcmp(e->name, name) == 0)
			break;
	if (!e || (c->dev && !stamp_same(&e->t->stamp, &st))) {
		if (load_file(path.data, name, &nt, err) != 0)
			goto out;
		nt->refs = 1;
		if (cache_store(c, name, e, nt) != 0) {
			px_buf_puts(err, "out of memory");
			tmpl_free(nt);
			goto out;
		}
		if (!e)
			e = c->buckets[hash(name)];
	}
	e->t->refs++;
	*out = e->t;
	rc = 0;
out:
	if (locked)
		pthread_mutex_unlock(&c->lock);
	px_buf_free(&path);
	return rc;
}

/* ---- raw-use listing ---- */

struct names {
	char **v;
	size_t n, cap;
};

static int names_add(struct names *l, const char *s, size_t n)
{
	char *copy;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 32;
		char **nv = realloc(l->v, ncap * sizeof(*nv));

		if (!nv)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	copy = strndup(s, n);
	if (!copy)
		return -1;
	l->v[l->n++] = copy;
	return 0;
}

/* Collects the template names of *.mustache files under dir/rel. */
static int walk(const char *dir, const char *rel, unsigned depth,
		struct names *l, struct px_buf *err)
{
	static const char ext[] = ".mustache";
	struct px_buf path = PX_BUF_INIT, sub = PX_BUF_INIT;
	struct dirent *de;
	struct stat st;
	DIR *d = NULL;
	size_t n;
	int rc = -1;

	px_buf_printf(&path, "%s%s%s", dir, *rel ? "/" : "", rel);
	if (depth > MAX_DIR_DEPTH || path.failed ||
	    !(d = opendir(path.data))) {
		px_buf_printf(err, "cannot read folder %s", path.data ? path.data : dir);
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		px_buf_reset(&sub);
		px_buf_printf(&sub, "%s/%s", path.data, de->d_name);
		if (sub.failed || lstat(sub.data, &st) != 0) {
			px_buf_printf(err, "cannot stat %s", sub.data ? sub.data : de->d_name);
			goto out;
		}
		px_buf_reset(&sub);
		px_buf_printf(&sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		n = strlen(de->d_name);
		if (S_ISDIR(st.st_mode)) {
			if (walk(dir, sub.data, depth + 1, l, err) != 0)
				goto out;
		} else if (S_ISREG(st.st_mode) && n > sizeof(ext) - 1 &&
			   strcmp(de->d_name + n - (sizeof(ext) - 1), ext) == 0) {
			if (names_add(l, sub.data, sub.len - (sizeof(ext) - 1)) != 0) {
				px_buf_puts(err, "out of memory");
				goto out;
			}
		}
	}
	rc = 0;
out:
	if (d)
		closedir(d);
	px_buf_free(&path);
	px_buf_free(&sub);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int px_tmpl_list_raw(const char *dir, struct px_buf *out, struct px_buf *err)
{
	struct px_buf path = PX_BUF_INIT, dummy = PX_BUF_INIT;
	struct names l = { NULL, 0, 0 };
	struct px_tmpl *t = NULL;
	size_t i, k;
	int rc = -1;

	if (!err)
		err = &dummy;
	if (walk(dir, "", 0, &l, err) != 0)
		goto out;
	if (l.n > 0)
		qsort(l.v, l.n, sizeof(*l.v), cmp_names);
	for (i = 0; i < l.n; i++) {
		if (!px_tmpl_name_valid(l.v[i])) {
			px_buf_printf(err, "invalid template file name '%s'", l.v[i]);
			goto out;
		}
		px_buf_reset(&path);
		path_of(&path, dir, l.v[i]);
		if (path.failed || load_file(path.data, l.v[i], &t, err) != 0)
			goto out;
		for (k = 0; k < t->n; k++)
			if (t->nodes[k].kind == N_RAW)
				px_buf_printf(out, "%s\t%u\t%.*s\n", t->name,
					      t->nodes[k].line,
					      (int)t->nodes[k].n, t->nodes[k].s);
		tmpl_free(t);
		t = NULL;
	}
	if (out->failed) {
		px_buf_puts(err, "output buffer failed");
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	px_buf_free(&path);
	px_buf_free(&dummy);
	return rc;
}
