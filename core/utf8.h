/* utf8.h: strict UTF-8 validation (no overlongs, surrogates or > U+10FFFF). */
#ifndef PX_UTF8_H
#define PX_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid. */
size_t px_utf8_seq_len(const char *s, size_t n) __attribute__((nonnull));
/* 1 when all n bytes are valid UTF-8 without NUL bytes, else 0. */
int px_utf8_valid(const char *s, size_t n) __attribute__((nonnull));
/* Number of code points in valid UTF-8 text. */
size_t px_utf8_count(const char *s, size_t n) __attribute__((nonnull));

#endif
