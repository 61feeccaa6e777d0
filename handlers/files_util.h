/* files_util.h: the pure parts of the files area, kept apart from I/O so
 * unit tests cover them: file-name normalisation, the table of type
 * families that detected type, extension and declared type must agree
 * on, Content-Range parsing and the Content-Disposition a download gets. */
#ifndef PX_H_FILES_UTIL_H
#define PX_H_FILES_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

#define PX_HF_NAME_MAX 255 /* bytes of a normalised name */

/* Normalises a client-given file name into out (replaced): keeps what
 * follows the last '/' or '\', drops control characters (C0, DEL, C1),
 * bidirectional overrides and marks and zero-width characters, trims
 * spaces and dots at both ends, folds to NFC, prefixes Windows device
 * names (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with any extension) with
 * '_', and cuts it to PX_HF_NAME_MAX bytes at a character boundary,
 * keeping a short extension. Returns PX_OK or FILES_NAME_INVALID (not
 * UTF-8, a NUL, or nothing left). */
enum px_err px_hf_name_normalise(const char *in, size_t n, struct px_buf *out)
	__attribute__((warn_unused_result));

/* Family flags. */
#define PX_HF_ACTIVE 1u   /* a browser could run it or render it with script:
			   * always an attachment, under a neutral type */
#define PX_HF_DOWNLOAD 2u /* no browser shows it (archives, office documents):
			   * always an attachment, under its own type */
#define PX_HF_ZIP 4u      /* a ZIP archive: its directory must be readable, pass
			   * the bomb check and begin at the file's first byte */

/* One type family: what may be stored, under which served type. */
struct px_hf_family {
	const char *name;        /* "png" */
	const char *served;      /* Content-Type of downloads */
	unsigned flags;          /* PX_HF_* */
	const char *kin;         /* families of one container whose label the
				  * file may not carry (MP4 brands): the name
				  * chooses among them; NULL for none */
	const char *const *mimes;/* libmagic and declared types, NULL-ended */
	const char *const *exts; /* lower-case extensions without '.', NULL-ended */
};

/* The family of a MIME type (parameters ignored) or NULL. */
const struct px_hf_family *px_hf_family_of_type(const char *mime);
/* The family of a file name's extension; NULL when unknown, and *has_ext
 * tells whether the name has an extension at all. */
const struct px_hf_family *px_hf_family_of_name(const char *name, int *has_ext);

/* Decides whether an upload may be stored: detected is libmagic's type of
 * the content, name the normalised name, declared the client's type (NULL,
 * "" or application/octet-stream: none). The detected family must exist
 * (else FILES_TYPE_NOT_ALLOWED); an extension, when present, and a
 * declared type, when given, must be of the same family (else
 * FILES_TYPE_MISMATCH), or of a kin family: then the extension's family
 * is the file's. *fam gets the family on PX_OK. */
enum px_err px_hf_type_check(const char *detected, const char *name,
			     const char *declared, const struct px_hf_family **fam)
	__attribute__((warn_unused_result));

/* The family a stored file was accepted as (px_hf_type_check on its
 * detected type and name; the declared type never chooses), or NULL. */
const struct px_hf_family *px_hf_family_of_file(const char *detected, const char *name);

/* Parses "bytes FIRST-LAST/TOTAL" (RFC 9110 14.4, no '*' forms) into
 * *first, *last, *total. 0, or -1 when malformed or last < first or
 * last >= total. */
int px_hf_content_range(const char *h, uint64_t *first, uint64_t *last,
			uint64_t *total) __attribute__((warn_unused_result));

/* Appends a Content-Disposition value for name (UTF-8) to out:
 * `attachment` or `inline`, an ASCII fallback filename="..." (non-ASCII,
 * quotes, backslashes and controls as '_') and, when the name is not
 * plain ASCII, filename*=UTF-8''<percent-encoded> (RFC 6266, 8187). */
void px_hf_disposition(struct px_buf *out, int attachment, const char *name);

#endif
