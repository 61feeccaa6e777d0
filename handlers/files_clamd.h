/* files_clamd.h: the virus-scan hook: a complete upload is streamed to
 * clamd over its UNIX socket (INSTREAM, Debian's clamav-daemon) before it
 * becomes a file, and clamd's one-line verdict is read back. */
#ifndef PX_H_FILES_CLAMD_H
#define PX_H_FILES_CLAMD_H

#include <stddef.h>

enum px_hf_scan {
	PX_HF_SCAN_CLEAN,   /* "stream: OK" */
	PX_HF_SCAN_FOUND,   /* "stream: <signature> FOUND": detail is the signature */
	PX_HF_SCAN_ERROR    /* unreachable, timed out, size limit, anything else: detail says */
};

/* Sends the bytes of fd from offset 0 to its end to the clamd listening on
 * the UNIX socket path as "zINSTREAM" chunks (4-byte big-endian length,
 * then the bytes; a zero length ends it) and reads the NUL-terminated
 * answer, all within timeout_ms. detail (cap bytes) gets the signature
 * name or why the scan failed. fd's offset is not used. Allocates nothing
 * that outlives the call. */
enum px_hf_scan px_hf_clamd_scan(const char *path, int fd, int timeout_ms, char *detail,
				 size_t cap);

/* Judges one clamd answer line (without its NUL), as above; exposed for
 * the unit tests. */
enum px_hf_scan px_hf_clamd_verdict(const char *answer, char *detail, size_t cap);

#endif
