/* waf_detect.h: the WAF's built-in detectors — checks that are structure
 * rather than signature: server-side-fetch URLs, upload type, extension
 * and content agreement (the kinds are in waf_ftype.h), code hidden in
 * image, PDF or media bytes, Unicode characters that truncate to CR/LF,
 * command words hidden by shell quoting or wildcards — and the Markdown
 * projection that separates active HTML from code in free text. Rules
 * bind detectors by name; all are pure functions of their input. */
#ifndef PX_WAF_DETECT_H
#define PX_WAF_DETECT_H

#include <stddef.h>

#include "core/buf.h"
#include "waf/waf_input.h"
#include "waf/waf_rules.h"

/* One normalised value under inspection. */
struct px_waf_item {
	unsigned kind;                   /* PX_WAF_K_* */
	const struct px_waf_value *v;    /* as extracted */
	const char *text;                /* text view */
	size_t text_len;
	unsigned nflags;                 /* PX_WAF_N_* */
	const struct px_waf_settings *set;
};

/* Index of the detector called name, or -1. */
int px_waf_detector_index(const char *name);
/* 1 when detector idx fires on it. */
int px_waf_detector_run(int idx, const struct px_waf_item *it);

/* Writes the parts of Markdown text s[0..n) that a renderer could turn
 * into active content — raw HTML, link and image destinations (as
 * href="..."), and plain text with angle brackets neutralised — into out,
 * leaving out code spans and code blocks. Returns 0, or -1 when the
 * parser failed (out then holds s unchanged, the safe choice). */
int px_waf_md_project(const char *s, size_t n, struct px_buf *out);

#endif
