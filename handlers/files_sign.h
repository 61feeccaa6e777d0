/* files_sign.h: signed download URLs for the local file store. PlexiChat
 * issues one after it checked that the caller may read the file; the web
 * server (lighttpd's mod_magnet script apache/plexichat-signed.lua.in)
 * checks the signature and expiry and sends the object itself, without a
 * round trip to plexichat.fcgi or the database. Where no script stands in
 * front (Apache), the route GET /api/v1/files/{fid}/signed makes the same
 * check in PlexiChat (docs/FILES.md, "Signed download URLs").
 *
 * The URL is /api/v1/files/{fid}/signed?o=OBJ&m=MTIME&e=EXPIRES&t=TYPE&d=DISP&s=MAC
 * with OBJ the stored object (64 lower-case hex digits), MTIME the
 * Last-Modified time and EXPIRES the end of validity (Unix seconds), TYPE
 * and DISP the Content-Type and Content-Disposition to answer with
 * (base64url, no padding) and MAC the lower-case hex HMAC-SHA256 under
 * files_url_key of "px-file-url:v1\nFID\nOBJ\nMTIME\nEXPIRES\nTYPE\nDISP"
 * (TYPE and DISP as in the URL: base64url has no line break). */
#ifndef PX_H_FILES_SIGN_H
#define PX_H_FILES_SIGN_H

#include "core/buf.h"
#include "core/err.h"

struct px_cfg;

#define PX_HF_SIGN_KEY_MIN 32 /* characters of files_url_key */

/* What a signed URL names, decoded. */
struct px_hf_signed {
	long long fid, mtime, expires;
	char object[65];
	struct px_buf type, disposition; /* freed by px_hf_signed_free */
};

/* Whether files_url_key is set and usable: at least PX_HF_SIGN_KEY_MIN
 * characters, each a letter, digit, '-' or '_' (it is also written into
 * the Lua script of the web server). */
int px_hf_sign_enabled(const struct px_cfg *cfg);

/* Appends to out the signed URL (path and query) of object hex of file
 * fid, answered with type, disposition and Last-Modified mtime, valid
 * until expires. -1 when signing is off or an argument is malformed
 * (nothing usable appended). */
int px_hf_sign_url(const struct px_cfg *cfg, long long fid, const char *hex, long long mtime,
		   const char *type, const char *disposition, long long expires,
		   struct px_buf *out) __attribute__((warn_unused_result));

/* Checks the query values of a signed URL for file fid at time now (any
 * may be NULL): FILES_URL_INVALID when signing is off, a value is
 * malformed or the MAC does not match (compared in constant time), then
 * FILES_URL_EXPIRED when now is past expires. On PX_OK *out holds the
 * decoded values; the caller frees it with px_hf_signed_free either way. */
enum px_err px_hf_sign_check(const struct px_cfg *cfg, long long fid, const char *o,
			     const char *m, const char *e, const char *t, const char *d,
			     const char *s, long long now, struct px_hf_signed *out)
	__attribute__((warn_unused_result));
void px_hf_signed_free(struct px_hf_signed *v);

#endif
