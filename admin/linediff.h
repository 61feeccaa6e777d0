/* admin/linediff.h: a unified line diff of two texts, for config diff. */
#ifndef PX_ADMIN_LINEDIFF_H
#define PX_ADMIN_LINEDIFF_H

#include "core/buf.h"

/* Appends to out a unified diff (diff -u format, context lines of context)
 * turning text a into text b, headed by "--- la" and "+++ lb". Each line
 * written goes through mask (may be NULL) first, which may rewrite it in
 * place of the original: mask(line, len, out, mask_arg) appends its version to out.
 * Longest common subsequence by dynamic programming after the common head
 * and tail are trimmed; when the middle is too large for that
 * (over 4M cells) it is shown as all removed then all added. Returns the
 * number of added plus removed lines (0: identical, nothing written), or
 * -1 when out of memory. */
int admin_linediff(const char *a, const char *b, const char *la, const char *lb,
		   int context, void (*mask)(const char *line, size_t len, struct px_buf *out, void *arg),
		   void *mask_arg, struct px_buf *out) __attribute__((warn_unused_result));

#endif
