/* waf_input.h: takes a request apart for the WAF. It walks every part
 * that can carry an attack (path, query, headers, cookies, urlencoded,
 * JSON, multipart and XML bodies, base64-wrapped XML) straight from the
 * raw bytes, so hostile input that the normal parsers refused is still
 * inspected, and raises protocol flags on the way. Bounded in time and
 * memory by the ruleset's settings; nothing it emits outlives the call. */
#ifndef PX_WAF_INPUT_H
#define PX_WAF_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "core/http.h"
#include "waf/waf_rules.h"

/* Request-level flags (bits 16 and up; bits 0-15 are the normaliser's
 * per-value PX_WAF_N_* flags). Rules refer to them by name. */
#define PX_WAF_R(n) ((uint64_t)1 << (16 + (n)))
enum {
	PX_WAF_R_METHOD_I, PX_WAF_R_PATH_FORM_I, PX_WAF_R_PATH_CHARS_I,
	PX_WAF_R_BODY_ON_GET_I, PX_WAF_R_CONTENT_ENCODING_I, PX_WAF_R_TE_I,
	PX_WAF_R_TE_CL_I, PX_WAF_R_HEADER_COUNT_I, PX_WAF_R_HEADER_SIZE_I,
	PX_WAF_R_HEADERS_TOTAL_I, PX_WAF_R_FORBIDDEN_HEADER_I, PX_WAF_R_CT_MISSING_I,
	PX_WAF_R_CT_FORBIDDEN_I, PX_WAF_R_CHARSET_I, PX_WAF_R_BODY_TOO_LARGE_I,
	PX_WAF_R_JSON_INVALID_I, PX_WAF_R_JSON_DEEP_I, PX_WAF_R_PARAMS_MANY_I,
	PX_WAF_R_PARAM_LONG_I, PX_WAF_R_FORM_INVALID_I, PX_WAF_R_MP_NO_BOUNDARY_I,
	PX_WAF_R_MP_DUP_BOUNDARY_I, PX_WAF_R_MP_UNTERMINATED_I, PX_WAF_R_MP_PARTS_I,
	PX_WAF_R_MP_BAD_PART_I, PX_WAF_R_MP_DUP_FILENAME_I, PX_WAF_R_RANGE_I,
	PX_WAF_R_BAD_ESCAPE_I, PX_WAF_R_BAD_UTF8_I, PX_WAF_R_HOST_BAD_I,
	PX_WAF_R_XML_ENCODING_I, PX_WAF_R_QUERY_CHARS_I, PX_WAF_R_CL_MISMATCH_I,
	PX_WAF_R_MP_EPILOGUE_I, PX_WAF_R__COUNT
};

/* Looks up a flag by its rules-file name ("nul", "json_deep", ...);
 * returns 0 when unknown. */
uint64_t px_waf_flag_bit(const char *name);
/* Name of a single flag bit, or "?". */
const char *px_waf_flag_name(uint64_t bit);

/* Where a value came from. */
enum px_waf_loc {
	PX_WAF_L_PATH, PX_WAF_L_QUERY, PX_WAF_L_FORM, PX_WAF_L_JSON,
	PX_WAF_L_MULTIPART, PX_WAF_L_HEADER, PX_WAF_L_COOKIE, PX_WAF_L_NAME,
	PX_WAF_L_FILENAME, PX_WAF_L_FILE, PX_WAF_L_XML, PX_WAF_L_BODY,
};

/* One value handed to the engine. Pointers are valid during the call. */
struct px_waf_value {
	enum px_waf_loc loc;
	const char *name;       /* field, header or cookie name; may be NULL */
	size_t name_len;
	const char *val;        /* one transport decoding removed */
	size_t len;
	int decoded;            /* val was percent-decoded once already */
	const char *filename;   /* PX_WAF_L_FILE: the part's file name */
	size_t filename_len;
	const char *ctype;      /* PX_WAF_L_FILE: declared part type or "" */
	size_t ctype_len;
};

/* Called for every value; a non-zero return stops the walk. */
typedef int (*px_waf_emit_fn)(void *ctx, const struct px_waf_value *v);

/* Walks req under settings and profile limits, calling emit for each
 * value and OR-ing request flags into *flags. Returns non-zero when emit
 * stopped the walk. Uses only stack and the caller's scratch buffers. */
int px_waf_input_walk(const struct px_waf_ruleset *rs,
		      const struct px_waf_profile *prof,
		      const struct px_request *req, px_waf_emit_fn emit,
		      void *ctx, uint64_t *flags, struct px_buf scratch[3]);

/* Case-insensitive header lookup over req->headers (names lower-case). */
const char *px_waf_header(const struct px_request *req, const char *name);

#endif
