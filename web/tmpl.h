/* tmpl.h: Mustache templates compiled once, cached, and rendered from
 * json-c data into a px_buf.
 *
 * Supported: {{x}} (HTML-escaped), {{{x}}} and {{& x}} (raw), dotted
 * names, {{.}}, sections, inverted sections, comments, partials with
 * standalone indentation, set delimiters and the standalone-line rules of
 * the Mustache spec. Lambdas are not supported. Falsy section values are:
 * a missing name, null, false, "" and []. docs/TEMPLATES.md has the rest. */
#ifndef PX_TMPL_H
#define PX_TMPL_H

#include "core/buf.h"

struct json_object;
struct px_tmpl_cache;

/* Deepest nesting of sections and partials counted together, the
 * template itself being the first level; checked when parsing (sections)
 * and rendering (both), so a partial including itself forever fails. */
#define PX_TMPL_MAX_DEPTH 64
/* Largest template file the cache will read. */
#define PX_TMPL_MAX_FILE (1024 * 1024)
/* Longest template or partial name. */
#define PX_TMPL_MAX_NAME 200

/* Creates a cache of templates read from dir: the name "page/login" is
 * the file <dir>/page/login.mustache, and partials resolve by the same
 * rule. A template is read and compiled on first use and kept until
 * px_tmpl_cache_free(). With dev_mode set, every use stat()s the file and
 * recompiles it when its mtime, size or inode changed. The cache may be
 * shared by any number of threads. Returns NULL when out of memory; the
 * caller frees it with px_tmpl_cache_free. */
struct px_tmpl_cache *px_tmpl_cache_new(const char *dir, int dev_mode)
	__attribute__((nonnull, warn_unused_result));
/* Frees the cache. No render may be running on it. NULL is allowed. */
void px_tmpl_cache_free(struct px_tmpl_cache *c);

/* Renders template `name` with ctx (any json-c value, NULL = null) as the
 * root context, appending to out. Returns 0, or -1 with out restored to
 * its length on entry and, when err is not NULL, a one-line reason
 * appended to err ("page/x line 4: partial 'y' not found"). Fails on an
 * invalid or missing template or partial, a syntax error, nesting deeper
 * than PX_TMPL_MAX_DEPTH, or when out fails (memory or out->max). */
int px_tmpl_render(struct px_tmpl_cache *c, const char *name,
		   struct json_object *ctx, struct px_buf *out,
		   struct px_buf *err) __attribute__((warn_unused_result));

/* As px_tmpl_render() for the template text src, compiled for this call
 * only. partials is NULL or a json object mapping partial names to
 * template strings; as the spec requires, a partial that is not there
 * renders as nothing. */
int px_tmpl_render_string(const char *src, struct json_object *ctx,
			  struct json_object *partials, struct px_buf *out,
			  struct px_buf *err)
	__attribute__((warn_unused_result));

/* Compiles every *.mustache file under dir (hidden entries skipped) and
 * appends one line "<template>\t<line>\t<tag name>\n" to out for each raw
 * tag ({{{x}}} or {{& x}}), templates in byte order of their names.
 * This is the raw-use policy hook: a test compares the list with an
 * allow-list of fields that are already sanitised HTML. Returns 0, or -1
 * with a reason in err (unreadable folder, syntax error, out failed). */
int px_tmpl_list_raw(const char *dir, struct px_buf *out, struct px_buf *err)
	__attribute__((nonnull(1, 2), warn_unused_result));

/* 1 when name is a valid template name: 1..PX_TMPL_MAX_NAME bytes of
 * [A-Za-z0-9_.-/], '/'-separated segments that are non-empty and do not
 * start with '.', so no absolute paths, "..", or hidden files. */
int px_tmpl_name_valid(const char *name) __attribute__((nonnull));

#endif
