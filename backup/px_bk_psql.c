/* px_bk_psql.c: drops psql meta-command lines from pg_dump script text.
 * A small lexer follows the quoting of the SQL across lines, so that a
 * line is judged by where it starts: only at the top level can it be a
 * meta-command. */
#include "backup/px_bk_psql.h"

#include <string.h>

enum where {
	TOP,            /* SQL text between tokens */
	SQUOTE,         /* '...', '' escapes a quote */
	ESTRING,        /* E'...', also backslash escapes */
	DQUOTE,         /* "identifier", "" escapes a quote */
	DOLLAR,         /* $tag$ ... $tag$ */
	LINE_COMMENT,   /* -- to the end of the line */
	BLOCK_COMMENT,  /* nested slash-star comments */
};

struct lexer {
	enum where at;
	const char *tag;    /* the opening $tag$ while in DOLLAR */
	size_t taglen;
	int depth;          /* comment nesting while in BLOCK_COMMENT */
	unsigned char prev, prev2;   /* the two bytes before, at the top level */
};

/* Bytes that continue an identifier or keyword (PostgreSQL's scan.l:
 * ident_cont, with every non-ASCII byte counted as a letter). */
static int ident_cont(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

/* Length of a dollar-quote delimiter ($$ or $tag$) at p, else 0. A tag
 * does not start with a digit, so $1 stays a parameter. */
static size_t dollar_tag(const char *p, const char *end)
{
	const unsigned char *q = (const unsigned char *)p + 1;

	if (q < (const unsigned char *)end && *q >= '0' && *q <= '9')
		return 0;
	while (q < (const unsigned char *)end && *q != '$' && ident_cont(*q))
		q++;
	if (q >= (const unsigned char *)end || *q != '$')
		return 0;
	return (size_t)(q - (const unsigned char *)p) + 1;
}

/* One step at the top level from p; returns how many bytes it took. */
static size_t step_top(struct lexer *lx, const char *p, const char *end)
{
	unsigned char c = (unsigned char)*p;
	size_t n;

	if (c == '\'') {
		/* E'...' only when the E is a token of its own */
		lx->at = (lx->prev == 'E' || lx->prev == 'e') && !ident_cont(lx->prev2) ?
			 ESTRING : SQUOTE;
	} else if (c == '"') {
		lx->at = DQUOTE;
	} else if (c == '-' && p + 1 < end && p[1] == '-') {
		lx->at = LINE_COMMENT;
		return 2;
	} else if (c == '/' && p + 1 < end && p[1] == '*') {
		lx->at = BLOCK_COMMENT;
		lx->depth = 1;
		return 2;
	} else if (c == '$' && !ident_cont(lx->prev) &&
		   (n = dollar_tag(p, end)) > 0) {
		lx->at = DOLLAR;
		lx->tag = p;
		lx->taglen = n;
		return n;
	}
	lx->prev2 = lx->prev;
	lx->prev = c;
	return 1;
}

/* One step from p in any state; returns how many bytes it took. */
static size_t step(struct lexer *lx, const char *p, const char *end)
{
	size_t left = (size_t)(end - p);

	switch (lx->at) {
	case TOP:
		return step_top(lx, p, end);
	case ESTRING:   /* '' and the closing quote are as in SQUOTE */
		if (*p == '\\')
			return left > 1 ? 2 : 1;
		/* fall through */
	case SQUOTE:
	case DQUOTE: {
		char q = lx->at == DQUOTE ? '"' : '\'';

		if (*p != q)
			return 1;
		if (left > 1 && p[1] == q)
			return 2;
		break;
	}
	case DOLLAR:
		if (*p != '$' || left < lx->taglen || memcmp(p, lx->tag, lx->taglen))
			return 1;
		lx->at = TOP;
		lx->prev = lx->prev2 = '$';
		return lx->taglen;
	case LINE_COMMENT:
		if (*p != '\n')
			return 1;
		break;
	case BLOCK_COMMENT:
		if (left > 1 && p[0] == '/' && p[1] == '*') {
			lx->depth++;
			return 2;
		}
		if (left > 1 && p[0] == '*' && p[1] == '/') {
			if (--lx->depth == 0) {
				lx->at = TOP;
				lx->prev = lx->prev2 = ' ';
			}
			return 2;
		}
		return 1;
	}
	/* a quoted token or a line comment ended at p */
	lx->at = TOP;
	lx->prev = lx->prev2 = (unsigned char)*p;
	return 1;
}

int px_bk_psql_strip_meta(const char *text, size_t len, struct px_buf *out)
{
	struct lexer lx = { TOP, NULL, 0, 0, '\n', '\n' };
	const char *line, *next, *end = text + len, *p;

	for (line = text; line < end; line = next) {
		next = memchr(line, '\n', (size_t)(end - line));
		next = next ? next + 1 : end;
		if (lx.at == TOP && *line == '\\')
			continue;   /* a meta-command ends at its newline */
		for (p = line; p < next; )
			p += step(&lx, p, next);
		px_buf_append(out, line, (size_t)(next - line));
	}
	return out->failed ? -1 : 0;
}
