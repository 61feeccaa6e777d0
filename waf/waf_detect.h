/* waf_detect.h: the WAF's built-in detectors — checks that are structure
 * rather than signature: server-side-fetch URLs, upload type, extension
 * and content agreement, code hidden in image or PDF bytes, Unicode
 * characters that truncate to CR/LF, command words hidden by shell
 * quoting or wildcards — and the Markdown projection that
 * separates active HTML from code in free text. Rules bind detectors by
 * name; all are pure functions of their input. */
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

/* Upload kinds the policy can allow. */
enum px_waf_ftype {
	PX_WAF_F_NONE, PX_WAF_F_PNG, PX_WAF_F_JPEG, PX_WAF_F_GIF, PX_WAF_F_WEBP,
	PX_WAF_F_PDF, PX_WAF_F_TEXT, PX_WAF_F_OTHER
};
/* Kind of the bytes by their magic (PX_WAF_F_TEXT for clean text,
 * PX_WAF_F_OTHER for anything else). */
enum px_waf_ftype px_waf_ftype_sniff(const char *b, size_t n);
/* Kind of the bytes by content: libmagic's MIME type (markup and
 * server-side scripts count as OTHER), which must agree with
 * px_waf_ftype_sniff(), else OTHER. Without libmagic, the sniffer alone. */
enum px_waf_ftype px_waf_ftype_content(const char *b, size_t n);
/* Kind named by a file name's last extension (NONE without one, OTHER
 * for an extension outside the allowed kinds). */
enum px_waf_ftype px_waf_ftype_ext(const char *name, size_t n);
/* Name of a kind as used in the rules file ("png", "text", ...). */
const char *px_waf_ftype_name(enum px_waf_ftype t);

#endif
