/* auth_util.h: small helpers of the auth handlers: typed input from JSON
 * or form bodies, error details, the client address, audit events and the
 * public JSON shape of an account. */
#ifndef PX_H_AUTH_UTIL_H
#define PX_H_AUTH_UTIL_H

#include "core/ctx.h"

struct json_object;
struct px_m_user;

/* Reads string field `name` from the JSON object body or the urlencoded
 * form into *out (owned by the request). Length is counted in code points
 * and must be within [min, max]. Absent: *out = NULL and, when required,
 * VALIDATION_MISSING_FIELD. Other errors: VALIDATION_FIELD_TYPE (not a
 * string, or a body that is not an object), VALIDATION_FIELD_LENGTH,
 * VALIDATION_FIELD_FORMAT (NUL byte), VALIDATION_CONTENT_TYPE (body neither
 * JSON nor form). Error details name the field (and limits). */
enum px_err px_in_str(struct px_ctx *ctx, const char *name, int required,
		      size_t min, size_t max, const char **out)
	__attribute__((warn_unused_result));
/* Reads a boolean (JSON true/false, form 1/0/on/off/true/false); absent
 * gives 0. VALIDATION_FIELD_TYPE otherwise. */
enum px_err px_in_bool(struct px_ctx *ctx, const char *name, int *out)
	__attribute__((warn_unused_result));
/* px_in_bool where an absent field gives def. */
enum px_err px_in_bool_or(struct px_ctx *ctx, const char *name, int def, int *out)
	__attribute__((warn_unused_result));
/* Reads a JSON integer or decimal form field within [min, max]; absent
 * leaves *out unchanged. VALIDATION_FIELD_TYPE / VALIDATION_FIELD_LENGTH. */
enum px_err px_in_int(struct px_ctx *ctx, const char *name, long long min,
		      long long max, long long *out) __attribute__((warn_unused_result));
/* Reads query parameter name as a decimal integer within [min, max]
 * (core/http.h px_request_query_int); absent leaves *out unchanged.
 * Anything else answers bad, the VALIDATION_* code the API documents for
 * that parameter (LIMIT_RANGE for limit, INVALID_CURSOR for cursors,
 * FIELD_FORMAT otherwise), with details {"field", "min", "max"}. */
enum px_err px_in_query_int(struct px_ctx *ctx, const char *name, long long min,
			    long long max, enum px_err bad, long long *out)
	__attribute__((warn_unused_result));

/* Error details {"field": name, "min": min, "max": max}. */
void px_auth_detail_limits(struct px_ctx *ctx, const char *field, size_t min,
			   size_t max);
/* Error details {"retry_after": seconds}; the pipeline turns it into a
 * Retry-After header (px_auth_retry_after_get reads it back, 0 if none). */
void px_auth_retry_after(struct px_ctx *ctx, long seconds);
long px_auth_retry_after_get(const struct px_ctx *ctx);

/* The client address for inet columns: NULL when unknown. */
const char *px_auth_ip(const struct px_ctx *ctx);
/* A display name must not pass for another account's username: compared
 * by look-alike key (users.username_fold), so "B0b" is refused while
 * "bob" exists. self: the account it is for (0 while registering).
 * PX_OK, VALIDATION_DISPLAY_NAME_CONFUSABLE with details.field, or a
 * database error. */
enum px_err px_auth_display_name_free(struct px_ctx *ctx, const char *name, long long self);
/* The token scopes (PX_SCOPE_*) an account of system role `role` may hold:
 * read and write for any account, admin only for admins and owners. A
 * token is minted within them and, on each use, holds only the part its
 * owner's current role still allows. */
unsigned px_auth_role_scopes(enum px_role role);
/* 1 when a browser sent the request from another site: Sec-Fetch-Site
 * says "cross-site" or "same-site", or an Origin header names another
 * origin than this site's (public_url's, or the scheme and Host the
 * request came in on; "null" included). Requests without either header
 * (API clients, curl) are not cross-site. */
int px_auth_cross_site(const struct px_ctx *ctx);
/* Writes an audit event; actor 0 means none, target may be NULL and
 * fields_json is a JSON object text or NULL. Failures are logged only. */
void px_auth_audit(struct px_ctx *ctx, const char *action, long long actor,
		   const char *target, const char *fields_json);
/* Same, with the target given as a user id. */
void px_auth_audit_user(struct px_ctx *ctx, const char *action, long long actor,
			long long target, const char *fields_json);

/* The account as JSON: id, username, display_name, role, created_at, and
 * with `self` (the account itself or an admin) also e-mail, MFA, status. */
struct json_object *px_auth_user_json(const struct px_m_user *u, int self);

#endif
