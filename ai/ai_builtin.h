/* ai_builtin.h: the built-in provider, which needs no network: extractive
 * summaries (sentences ranked by the weight of their words across the
 * conversation), answers that quote the messages closest to a question,
 * hashing-trick embeddings, and rule-and-lexicon moderation (word lists
 * and PCRE2 patterns per category, English and German built in, more
 * from a file). It is basic on purpose; docs/AI.md says what it cannot
 * do (it does not translate, and it understands no meaning). */
#ifndef PX_AI_BUILTIN_H
#define PX_AI_BUILTIN_H

#include "ai/ai_types.h"
#include "core/err.h"

#define PX_AI_BUILTIN_DIM 256

/* Writes up to k bullet lines "- sentence [#id]" of the highest-ranked
 * sentences, in conversation order. */
void px_ai_builtin_summary(const struct px_ai_item *items, size_t n, int k, struct px_buf *out)
	__attribute__((nonnull(4)));
/* Writes the (up to 3) items most similar to question as quoted lines
 * "- author: text [#id]"; when none shares words with it, the first item
 * (the items come ranked by the caller's search), or a line saying none
 * matched when there are no items. */
void px_ai_builtin_answer(const struct px_ai_item *items, size_t n, const char *question,
			  struct px_buf *out) __attribute__((nonnull(3, 4)));
/* The embedding of text: words and word pairs (lower-cased) hashed into
 * dim signed buckets, L2-normalised (all zero for text without words). */
void px_ai_builtin_embed(const char *text, size_t n, float *out, int dim)
	__attribute__((nonnull(1, 3)));

/* 1 when the lower-case word w is an English or German stop word (no
 * topic; the text-search configurations drop them too). */
int px_ai_builtin_stopword(const char *w) __attribute__((nonnull));

/* Quantises a unit vector to int8 components (x127, rounded), the form
 * embeddings are stored in. */
void px_ai_quantise(const float *f, signed char *q, int dim) __attribute__((nonnull));
/* Quantises any vector to int8 components scaled so that its largest
 * component is +-127 (all zero stays zero): the stored form of a
 * provider's embeddings, whose components are too small for x127 when
 * there are many of them. Only the direction survives, so compare such
 * vectors with px_ai_cosine_i8. */
void px_ai_quantise_scaled(const float *f, signed char *q, int dim) __attribute__((nonnull));
/* The cosine of two int8 vectors; 0 when either is all zero. */
float px_ai_cosine_i8(const signed char *a, const signed char *b, int dim)
	__attribute__((nonnull));

/* Moderation rules: an immutable list, shared by threads once built. */
struct px_ai_lexicon;

struct px_ai_verdict {
	int hit;                  /* 0: nothing matched */
	char category[32];        /* of the first match: insult, threat, spam, ... */
	char match[64];           /* the word or pattern name that matched */
	int score;                /* number of matches */
};

/* Builds the built-in English and German lists, plus the rules of path
 * when not NULL/"" (lines "category word" or "category re:PCRE2", '#'
 * comments). NULL with *why set on a bad file or pattern. */
struct px_ai_lexicon *px_ai_lexicon_new(const char *path, const char **why)
	__attribute__((nonnull(2), warn_unused_result));
void px_ai_lexicon_free(struct px_ai_lexicon *lx);
/* Checks text against the rules; fills *v. Never allocates per word. */
void px_ai_moderate(const struct px_ai_lexicon *lx, const char *text, size_t n,
		    struct px_ai_verdict *v) __attribute__((nonnull));

#endif
