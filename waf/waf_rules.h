/* waf_rules.h: the WAF rules file, parsed and compiled into an immutable
 * rule set: settings, per-route profiles with per-field policy, and rules
 * (PCRE2 signatures compiled with JIT, built-in detectors, or flags that
 * request parsing raises). Internal to the waf*.c modules. */
#ifndef PX_WAF_RULES_H
#define PX_WAF_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct pcre2_real_code_8;

/* Where a value was found and how the profile classifies it. A rule's
 * `where` is a mask of these. */
enum {
	PX_WAF_K_PATH = 1 << 0,
	PX_WAF_K_ARG = 1 << 1,      /* a structured field: strict */
	PX_WAF_K_NAME = 1 << 2,     /* a parameter name or JSON key */
	PX_WAF_K_HEADER = 1 << 3,
	PX_WAF_K_COOKIE = 1 << 4,
	PX_WAF_K_FILENAME = 1 << 5, /* an uploaded file's name */
	PX_WAF_K_URL = 1 << 6,      /* a URL the server will fetch */
	PX_WAF_K_MARKDOWN = 1 << 7, /* free text rendered as Markdown */
	PX_WAF_K_TEMPLATE = 1 << 8, /* a template field (e-mail templates) */
	PX_WAF_K_CODE = 1 << 9,     /* code shown verbatim (snippets) */
	PX_WAF_K_XML = 1 << 10,     /* an XML document (body, SVG, SAML) */
	PX_WAF_K_FILE = 1 << 11,    /* an uploaded file's bytes */
	PX_WAF_K_REQUEST = 1 << 12, /* the request as a whole (flags) */
	PX_WAF_K_SKIP = 1 << 13,    /* a field the profile does not inspect */
};
#define PX_WAF_K_STRICT (PX_WAF_K_PATH | PX_WAF_K_ARG | PX_WAF_K_HEADER | \
			 PX_WAF_K_COOKIE | PX_WAF_K_FILENAME | PX_WAF_K_URL)

enum px_waf_mode { PX_WAF_OFF = 0, PX_WAF_DETECT = 1, PX_WAF_BLOCK = 2 };
/* shell: the text view, and when shell quoting changes it, the shell view
 * too (px_waf_norm_shell); a hit on either counts. */
enum px_waf_view { PX_WAF_VIEW_TEXT, PX_WAF_VIEW_SQL, PX_WAF_VIEW_RAW, PX_WAF_VIEW_SHELL };

struct px_waf_rule {
	unsigned id;
	char category[24];
	int score;
	enum px_waf_mode mode;
	unsigned where;
	enum px_waf_view view;
	char **names;    /* only items with one of these names; NULL = any */
	size_t nnames;
	char **pre;      /* run only when one of these literals is present */
	size_t npre;
	struct pcre2_real_code_8 *re;
	/* Cheap exclusion before the regex runs: a match needs one of the
	 * bytes in `first` (when has_first) and the byte req_byte (when >= 0);
	 * a `pre` literal needs its first byte. */
	unsigned char first[32];
	int has_first;
	int req_byte;
	unsigned char pre_first[32];
	int detector;    /* index into the detector table, or -1 */
	uint64_t flag;   /* flag bit, or 0 */
	char *msg;
};

struct px_waf_field {
	char *name;
	unsigned kind;
};

struct px_waf_profile {
	char *name;
	enum px_waf_mode mode;
	int threshold;
	size_t max_body;
	int body_is_file;       /* "body = file": a body that is no form,
				 * multipart or JSON is an uploaded file */
	unsigned default_kind;
	struct px_waf_field *fields;
	size_t nfields;
	unsigned *off, *detect; /* rule ids switched off / to detect-only */
	size_t noff, ndetect;
};

struct px_waf_settings {
	size_t max_headers;
	size_t max_header_bytes;  /* one header value */
	size_t max_headers_total; /* all header values */
	size_t max_params;
	size_t max_param_bytes;
	size_t max_json_depth;
	size_t max_parts;
	size_t max_ranges;
	char **methods;           /* allowed methods */
	size_t nmethods;
	char **body_types;        /* allowed request content types */
	size_t nbody_types;
	char **charsets;          /* allowed charset= values */
	size_t ncharsets;
	char **upload_types;      /* allowed upload kinds (px_waf_ftype_name) */
	size_t nupload_types;
	char **forbidden_headers; /* hop-by-hop, proxy and rewrite headers */
	size_t nforbidden_headers;
};

struct px_waf_ruleset {
	struct px_waf_settings set;
	struct px_waf_rule *rules;
	size_t nrules;
	struct px_waf_profile *profiles;
	size_t nprofiles;
	unsigned need_sql;  /* kinds that some SQL-view rule inspects */
};

/* The names a rules file may use for detectors and flags, looked up by
 * the modules that own them (waf_detect, waf_input): passed in, so that
 * this parser sits below them. detector returns an index or -1, flag a
 * bit or 0 for an unknown name. */
struct px_waf_vocab {
	int (*detector)(const char *name);
	uint64_t (*flag)(const char *name);
};

/* Parses and compiles the rules text (name is used in messages), naming
 * detectors and flags through vocab. On error returns -1 and writes
 * "name:line: reason" into err. On success *out is a new ruleset; free
 * it with px_waf_ruleset_free(). */
int px_waf_ruleset_parse(const char *text, size_t n, const char *name,
			 const struct px_waf_vocab *vocab,
			 struct px_waf_ruleset **out, struct px_buf *err)
	__attribute__((warn_unused_result));
void px_waf_ruleset_free(struct px_waf_ruleset *rs);

/* The profile called name, else "default", else NULL. */
const struct px_waf_profile *px_waf_ruleset_profile(const struct px_waf_ruleset *rs,
						    const char *name);
/* Effective mode of rule r under profile p. */
enum px_waf_mode px_waf_rule_mode(const struct px_waf_rule *r,
				  const struct px_waf_profile *p);
/* Kind for a field called name under profile p. */
unsigned px_waf_profile_kind(const struct px_waf_profile *p, const char *name,
			     size_t len);
/* 1 when list (of n strings) holds s (case-insensitive). */
int px_waf_list_has(char *const *list, size_t n, const char *s, size_t len);

#endif
