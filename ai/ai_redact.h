/* ai_redact.h: redaction of what is sent to a remote provider. E-mail
 * addresses, phone numbers, IBANs (mod-97 checked), card numbers (Luhn
 * checked), API keys of common formats and other high-entropy strings
 * are replaced by placeholders such as [CARD_1]; the same value always
 * gets the same placeholder within one redactor, and px_ai_restore puts
 * the values back into an answer. The map lives only in memory. */
#ifndef PX_AI_REDACT_H
#define PX_AI_REDACT_H

#include "core/buf.h"

#include <stddef.h>

enum px_ai_red_kind { PX_RED_EMAIL, PX_RED_PHONE, PX_RED_IBAN, PX_RED_CARD, PX_RED_SECRET,
		      PX_RED_KINDS };

struct px_ai_redactor {
	struct px_buf values;     /* the originals, each NUL-terminated */
	size_t *off;              /* offsets of the originals in values */
	enum px_ai_red_kind *kind;
	int *num;                 /* the placeholder's number within its kind */
	size_t n, cap;
	int count[PX_RED_KINDS];  /* placeholders made per kind */
	int failed;
};

void px_ai_redactor_init(struct px_ai_redactor *r) __attribute__((nonnull));
void px_ai_redactor_free(struct px_ai_redactor *r) __attribute__((nonnull));
/* Appends text with every sensitive span replaced by its placeholder. */
void px_ai_redact(struct px_ai_redactor *r, const char *text, size_t n, struct px_buf *out)
	__attribute__((nonnull));
/* Appends text with the redactor's placeholders replaced by the values. */
void px_ai_restore(const struct px_ai_redactor *r, const char *text, size_t n,
		   struct px_buf *out) __attribute__((nonnull));
/* Checks: digits only (separators already removed). */
int px_ai_luhn_ok(const char *digits, size_t n) __attribute__((nonnull));
/* An IBAN without spaces: country letters, check digits, mod 97 == 1. */
int px_ai_iban_ok(const char *s, size_t n) __attribute__((nonnull));
/* Shannon entropy of s in bits per byte. */
double px_ai_entropy(const char *s, size_t n) __attribute__((nonnull));

#endif
