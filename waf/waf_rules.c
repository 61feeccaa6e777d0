/* waf_rules.c: parser and compiler for the WAF rules file. The format is
 * line-based: "[settings]", "[profile NAME]" and "[rule ID]" sections of
 * "key = value" lines; '#' starts a comment line. Signatures are compiled
 * once with PCRE2 and JIT; the result is immutable and shared. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "waf/waf_rules.h"

#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum section { S_NONE, S_SETTINGS, S_PROFILE, S_RULE };

struct parser {
	const char *name;
	int line;
	struct px_buf *err;
	struct px_waf_ruleset *rs;
	const struct px_waf_vocab *vocab;
	enum section sec;
};

static int fail(struct parser *p, const char *fmt, const char *arg)
{
	px_buf_reset(p->err);
	px_buf_printf(p->err, "%s:%d: ", p->name, p->line);
	px_buf_printf(p->err, fmt, arg);
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void free_list(char **l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

/* Splits a space-separated value into a new list (replacing *l). */
static int split_list(const char *v, char ***l, size_t *n)
{
	char **out = NULL;
	size_t cnt = 0;
	const char *p = v;

	while (*p) {
		const char *e;
		char **grow;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		for (e = p; *e && *e != ' ' && *e != '\t' && *e != ','; e++)
			;
		grow = realloc(out, (cnt + 1) * sizeof(*out));
		if (!grow)
			goto nomem;
		out = grow;
		if (!(out[cnt] = strndup(p, (size_t)(e - p))))
			goto nomem;
		cnt++;
		p = e;
	}
	free_list(*l, *n);
	*l = out;
	*n = cnt;
	return 0;
nomem:
	free_list(out, cnt);
	return -1;
}

int px_waf_list_has(char *const *list, size_t n, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(list[i]) == len && strncasecmp(list[i], s, len) == 0)
			return 1;
	return 0;
}

static int parse_size(struct parser *p, const char *v, size_t *out)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || end == v || *end)
		return fail(p, "not a number: %s", v);
	*out = (size_t)x;
	return 0;
}

static int parse_mode(struct parser *p, const char *v, enum px_waf_mode *m)
{
	if (strcmp(v, "block") == 0)
		*m = PX_WAF_BLOCK;
	else if (strcmp(v, "detect") == 0)
		*m = PX_WAF_DETECT;
	else if (strcmp(v, "off") == 0)
		*m = PX_WAF_OFF;
	else
		return fail(p, "mode must be block, detect or off: %s", v);
	return 0;
}

static const struct {
	const char *name;
	unsigned kinds;
} kind_names[] = {
	{"path", PX_WAF_K_PATH}, {"arg", PX_WAF_K_ARG}, {"strict", PX_WAF_K_ARG},
	{"name", PX_WAF_K_NAME}, {"header", PX_WAF_K_HEADER},
	{"cookie", PX_WAF_K_COOKIE}, {"filename", PX_WAF_K_FILENAME},
	{"url", PX_WAF_K_URL}, {"markdown", PX_WAF_K_MARKDOWN},
	{"template", PX_WAF_K_TEMPLATE}, {"code", PX_WAF_K_CODE},
	{"xml", PX_WAF_K_XML}, {"file", PX_WAF_K_FILE},
	{"request", PX_WAF_K_REQUEST}, {"skip", PX_WAF_K_SKIP},
	{"all_strict", PX_WAF_K_STRICT},
};

static int kind_of(const char *w, size_t n, unsigned *k)
{
	size_t i;

	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (strlen(kind_names[i].name) == n && strncmp(kind_names[i].name, w, n) == 0) {
			*k = kind_names[i].kinds;
			return 0;
		}
	return -1;
}

static int parse_where(struct parser *p, const char *v, unsigned *out)
{
	const char *s = v;

	*out = 0;
	while (*s) {
		const char *e;
		unsigned k;

		while (*s == ' ' || *s == ',')
			s++;
		if (!*s)
			break;
		for (e = s; *e && *e != ' ' && *e != ','; e++)
			;
		if (kind_of(s, (size_t)(e - s), &k) != 0)
			return fail(p, "unknown place in where: %s", s);
		*out |= k;
		s = e;
	}
	return *out ? 0 : fail(p, "empty where%s", "");
}

static int parse_ids(struct parser *p, const char *v, unsigned **ids, size_t *n)
{
	char **words = NULL;
	size_t nw = 0, i;

	if (split_list(v, &words, &nw) != 0)
		return fail(p, "out of memory%s", "");
	free(*ids);
	*ids = calloc(nw ? nw : 1, sizeof(**ids));
	*n = 0;
	if (!*ids) {
		free_list(words, nw);
		return fail(p, "out of memory%s", "");
	}
	for (i = 0; i < nw; i++) {
		char *end;
		unsigned long id = strtoul(words[i], &end, 10);

		if (*end || id == 0) {
			int rc = fail(p, "bad rule id: %s", words[i]);

			free_list(words, nw);
			return rc;
		}
		(*ids)[(*n)++] = (unsigned)id;
	}
	free_list(words, nw);
	return 0;
}

static int settings_key(struct parser *p, const char *k, const char *v)
{
	struct px_waf_settings *s = &p->rs->set;
	static const struct {
		const char *key;
		size_t off;
	} sizes[] = {
		{"max_headers", offsetof(struct px_waf_settings, max_headers)},
		{"max_header_bytes", offsetof(struct px_waf_settings, max_header_bytes)},
		{"max_headers_total", offsetof(struct px_waf_settings, max_headers_total)},
		{"max_params", offsetof(struct px_waf_settings, max_params)},
		{"max_param_bytes", offsetof(struct px_waf_settings, max_param_bytes)},
		{"max_json_depth", offsetof(struct px_waf_settings, max_json_depth)},
		{"max_parts", offsetof(struct px_waf_settings, max_parts)},
		{"max_ranges", offsetof(struct px_waf_settings, max_ranges)},
	};
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (strcmp(k, sizes[i].key) == 0)
			return parse_size(p, v, (size_t *)((char *)s + sizes[i].off));
	if (strcmp(k, "methods") == 0)
		return split_list(v, &s->methods, &s->nmethods);
	if (strcmp(k, "body_types") == 0)
		return split_list(v, &s->body_types, &s->nbody_types);
	if (strcmp(k, "charsets") == 0)
		return split_list(v, &s->charsets, &s->ncharsets);
	if (strcmp(k, "upload_types") == 0)
		return split_list(v, &s->upload_types, &s->nupload_types);
	if (strcmp(k, "forbidden_headers") == 0)
		return split_list(v, &s->forbidden_headers, &s->nforbidden_headers);
	return fail(p, "unknown setting: %s", k);
}

/* "field = KIND: name name ..." */
static int profile_field(struct parser *p, struct px_waf_profile *pr, const char *v)
{
	const char *colon = strchr(v, ':');
	char **names = NULL;
	size_t nn = 0, i;
	unsigned kind;
	struct px_waf_field *grow;

	if (!colon || kind_of(v, (size_t)(colon - v), &kind) != 0)
		return fail(p, "field wants KIND: names, got %s", v);
	if (split_list(colon + 1, &names, &nn) != 0)
		return fail(p, "out of memory%s", "");
	grow = realloc(pr->fields, (pr->nfields + nn + 1) * sizeof(*grow));
	if (!grow) {
		free_list(names, nn);
		return fail(p, "out of memory%s", "");
	}
	pr->fields = grow;
	for (i = 0; i < nn; i++) {
		pr->fields[pr->nfields].name = names[i];
		pr->fields[pr->nfields].kind = kind;
		pr->nfields++;
	}
	free(names);
	return 0;
}

static int profile_key(struct parser *p, const char *k, const char *v)
{
	struct px_waf_profile *pr = &p->rs->profiles[p->rs->nprofiles - 1];
	size_t n;

	if (strcmp(k, "mode") == 0)
		return parse_mode(p, v, &pr->mode);
	if (strcmp(k, "threshold") == 0) {
		if (parse_size(p, v, &n) != 0)
			return -1;
		pr->threshold = (int)n;
		return 0;
	}
	if (strcmp(k, "max_body") == 0)
		return parse_size(p, v, &pr->max_body);
	if (strcmp(k, "body") == 0) {
		if (strcmp(v, "file") != 0 && strcmp(v, "fields") != 0)
			return fail(p, "body must be file or fields: %s", v);
		pr->body_is_file = strcmp(v, "file") == 0;
		return 0;
	}
	if (strcmp(k, "default") == 0)
		return kind_of(v, strlen(v), &pr->default_kind) == 0 ? 0
			: fail(p, "unknown kind: %s", v);
	if (strcmp(k, "field") == 0)
		return profile_field(p, pr, v);
	if (strcmp(k, "rules_off") == 0)
		return parse_ids(p, v, &pr->off, &pr->noff);
	if (strcmp(k, "rules_detect") == 0)
		return parse_ids(p, v, &pr->detect, &pr->ndetect);
	return fail(p, "unknown profile key: %s", k);
}

/* Records what PCRE2 knows about the bytes any match must contain. */
static void start_bytes(struct px_waf_rule *r, const pcre2_code *code)
{
	uint32_t type = 0, unit = 0, reqflags = 0, req = 0;
	const uint8_t *bitmap = NULL;

	r->has_first = 0;
	r->req_byte = -1;
	if (pcre2_pattern_info(code, PCRE2_INFO_FIRSTCODETYPE, &type) == 0 && type == 1 &&
	    pcre2_pattern_info(code, PCRE2_INFO_FIRSTCODEUNIT, &unit) == 0 && unit < 256) {
		memset(r->first, 0, sizeof(r->first));
		r->first[unit >> 3] |= (unsigned char)(1u << (unit & 7));
		r->has_first = 1;
	} else if (type == 0 &&
		   pcre2_pattern_info(code, PCRE2_INFO_FIRSTBITMAP, &bitmap) == 0 && bitmap) {
		memcpy(r->first, bitmap, sizeof(r->first));
		r->has_first = 1;
	}
	if (pcre2_pattern_info(code, PCRE2_INFO_LASTCODETYPE, &reqflags) == 0 &&
	    reqflags == 1 &&
	    pcre2_pattern_info(code, PCRE2_INFO_LASTCODEUNIT, &req) == 0 && req < 256)
		r->req_byte = (int)req;
}

static int compile_rule(struct parser *p, struct px_waf_rule *r, const char *re)
{
	int ec;
	PCRE2_SIZE off;
	pcre2_code *code;

	code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
			     PCRE2_DOTALL | PCRE2_NO_AUTO_CAPTURE, &ec, &off, NULL);
	if (!code) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(ec, msg, sizeof(msg));
		return fail(p, "bad regular expression: %s", (const char *)msg);
	}
	/* Without JIT PCRE2 still matches correctly, only slower. */
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	r->re = (struct pcre2_real_code_8 *)code;
	start_bytes(r, code);
	return 0;
}

static int rule_key(struct parser *p, const char *k, const char *v)
{
	struct px_waf_rule *r = &p->rs->rules[p->rs->nrules - 1];
	size_t n;

	if (strcmp(k, "category") == 0) {
		if (strlen(v) >= sizeof(r->category))
			return fail(p, "category too long: %s", v);
		strcpy(r->category, v);
		return 0;
	}
	if (strcmp(k, "score") == 0) {
		if (parse_size(p, v, &n) != 0)
			return -1;
		r->score = (int)n;
		return 0;
	}
	if (strcmp(k, "mode") == 0)
		return parse_mode(p, v, &r->mode);
	if (strcmp(k, "where") == 0)
		return parse_where(p, v, &r->where);
	if (strcmp(k, "view") == 0) {
		if (strcmp(v, "text") == 0)
			r->view = PX_WAF_VIEW_TEXT;
		else if (strcmp(v, "sql") == 0)
			r->view = PX_WAF_VIEW_SQL;
		else if (strcmp(v, "raw") == 0)
			r->view = PX_WAF_VIEW_RAW;
		else if (strcmp(v, "shell") == 0)
			r->view = PX_WAF_VIEW_SHELL;
		else
			return fail(p, "view must be text, sql, shell or raw: %s", v);
		return 0;
	}
	if (strcmp(k, "names") == 0)
		return split_list(v, &r->names, &r->nnames);
	if (strcmp(k, "pre") == 0) {
		size_t i;

		if (split_list(v, &r->pre, &r->npre) != 0)
			return fail(p, "out of memory%s", "");
		memset(r->pre_first, 0, sizeof(r->pre_first));
		for (i = 0; i < r->npre; i++) {
			unsigned char c = (unsigned char)r->pre[i][0];

			r->pre_first[c >> 3] |= (unsigned char)(1u << (c & 7));
		}
		return 0;
	}
	if (strcmp(k, "msg") == 0) {
		free(r->msg);
		return (r->msg = strdup(v)) ? 0 : fail(p, "out of memory%s", "");
	}
	if (r->re || r->detector >= 0 || r->flag)
		return fail(p, "a rule has one of match, detector or flag: %s", k);
	if (strcmp(k, "match") == 0)
		return compile_rule(p, r, v);
	if (strcmp(k, "detector") == 0) {
		r->detector = p->vocab->detector(v);
		return r->detector >= 0 ? 0 : fail(p, "unknown detector: %s", v);
	}
	if (strcmp(k, "flag") == 0) {
		r->flag = p->vocab->flag(v);
		return r->flag ? 0 : fail(p, "unknown flag: %s", v);
	}
	return fail(p, "unknown rule key: %s", k);
}

static int new_section(struct parser *p, char *h)
{
	struct px_waf_ruleset *rs = p->rs;
	char *arg = strchr(h, ' ');

	if (arg)
		*arg++ = '\0', arg = trim(arg);
	if (strcmp(h, "settings") == 0) {
		p->sec = S_SETTINGS;
		return 0;
	}
	if (strcmp(h, "profile") == 0 && arg && *arg) {
		struct px_waf_profile *grow = realloc(rs->profiles,
						      (rs->nprofiles + 1) * sizeof(*grow));

		if (!grow)
			return fail(p, "out of memory%s", "");
		rs->profiles = grow;
		memset(&grow[rs->nprofiles], 0, sizeof(*grow));
		grow[rs->nprofiles].mode = PX_WAF_BLOCK;
		grow[rs->nprofiles].threshold = 5;
		grow[rs->nprofiles].max_body = 1024 * 1024;
		grow[rs->nprofiles].default_kind = PX_WAF_K_ARG;
		if (!(grow[rs->nprofiles].name = strdup(arg)))
			return fail(p, "out of memory%s", "");
		rs->nprofiles++;
		p->sec = S_PROFILE;
		return 0;
	}
	if (strcmp(h, "rule") == 0 && arg && *arg) {
		struct px_waf_rule *grow;
		char *end;
		unsigned long id = strtoul(arg, &end, 10);
		size_t i;

		if (*end || id == 0 || id > 999999)
			return fail(p, "bad rule id: %s", arg);
		for (i = 0; i < rs->nrules; i++)
			if (rs->rules[i].id == id)
				return fail(p, "duplicate rule id: %s", arg);
		grow = realloc(rs->rules, (rs->nrules + 1) * sizeof(*grow));
		if (!grow)
			return fail(p, "out of memory%s", "");
		rs->rules = grow;
		memset(&grow[rs->nrules], 0, sizeof(*grow));
		grow[rs->nrules].id = (unsigned)id;
		grow[rs->nrules].mode = PX_WAF_BLOCK;
		grow[rs->nrules].score = 5;
		grow[rs->nrules].detector = -1;
		grow[rs->nrules].req_byte = -1;
		rs->nrules++;
		p->sec = S_RULE;
		return 0;
	}
	return fail(p, "unknown section: %s", h);
}

static int check_rule(struct parser *p, const struct px_waf_rule *r)
{
	char id[16];

	snprintf(id, sizeof(id), "%u", r->id);
	if (!r->re && r->detector < 0 && !r->flag)
		return fail(p, "rule %s has no match, detector or flag", id);
	if (!r->where)
		return fail(p, "rule %s has no where", id);
	if (!r->category[0] || !r->msg)
		return fail(p, "rule %s needs category and msg", id);
	return 0;
}

static void defaults(struct px_waf_settings *s)
{
	s->max_headers = 50;
	s->max_header_bytes = 8192;
	s->max_headers_total = 32768;
	s->max_params = 256;
	s->max_param_bytes = 8192;
	s->max_json_depth = 32;
	s->max_parts = 32;
	s->max_ranges = 8;
}

int px_waf_ruleset_parse(const char *text, size_t n, const char *name,
			 const struct px_waf_vocab *vocab,
			 struct px_waf_ruleset **out, struct px_buf *err)
{
	struct px_waf_ruleset *rs = calloc(1, sizeof(*rs));
	struct parser p;
	size_t i = 0, r;
	int rc = -1;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.err = err;
	p.rs = rs;
	p.vocab = vocab;
	if (!rs)
		return fail(&p, "out of memory%s", "");
	defaults(&rs->set);
	while (i < n) {
		size_t e = i;
		char *line, *l, *eq;

		while (e < n && text[e] != '\n')
			e++;
		p.line++;
		if (!(line = strndup(text + i, e - i))) {
			fail(&p, "out of memory%s", "");
			goto out;
		}
		i = e + 1;
		l = trim(line);
		if (*l == '\0' || *l == '#') {
			free(line);
			continue;
		}
		if (*l == '[') {
			char *close = strchr(l, ']');
			int bad;

			if (p.sec == S_RULE && check_rule(&p, &rs->rules[rs->nrules - 1]) != 0) {
				free(line);
				goto out;
			}
			if (!close) {
				fail(&p, "unterminated section: %s", l);
				free(line);
				goto out;
			}
			*close = '\0';
			bad = new_section(&p, trim(l + 1));
			free(line);
			if (bad)
				goto out;
			continue;
		}
		eq = strchr(l, '=');
		if (!eq || p.sec == S_NONE) {
			fail(&p, "expected key = value in a section: %s", l);
			free(line);
			goto out;
		}
		*eq = '\0';
		{
			char *k = trim(l), *v = trim(eq + 1);
			int bad = p.sec == S_SETTINGS ? settings_key(&p, k, v)
				: p.sec == S_PROFILE ? profile_key(&p, k, v)
				: rule_key(&p, k, v);

			free(line);
			if (bad)
				goto out;
		}
	}
	if (p.sec == S_RULE && check_rule(&p, &rs->rules[rs->nrules - 1]) != 0)
		goto out;
	if (!px_waf_ruleset_profile(rs, "default")) {
		fail(&p, "no [profile default]%s", "");
		goto out;
	}
	for (r = 0; r < rs->nrules; r++)
		if (rs->rules[r].view == PX_WAF_VIEW_SQL)
			rs->need_sql |= rs->rules[r].where;
	*out = rs;
	rs = NULL;
	rc = 0;
out:
	px_waf_ruleset_free(rs);
	return rc;
}

void px_waf_ruleset_free(struct px_waf_ruleset *rs)
{
	size_t i, j;

	if (!rs)
		return;
	for (i = 0; i < rs->nrules; i++) {
		struct px_waf_rule *r = &rs->rules[i];

		free_list(r->names, r->nnames);
		free_list(r->pre, r->npre);
		pcre2_code_free((pcre2_code *)r->re);
		free(r->msg);
	}
	free(rs->rules);
	for (i = 0; i < rs->nprofiles; i++) {
		struct px_waf_profile *pr = &rs->profiles[i];

		for (j = 0; j < pr->nfields; j++)
			free(pr->fields[j].name);
		free(pr->fields);
		free(pr->off);
		free(pr->detect);
		free(pr->name);
	}
	free(rs->profiles);
	free_list(rs->set.methods, rs->set.nmethods);
	free_list(rs->set.body_types, rs->set.nbody_types);
	free_list(rs->set.charsets, rs->set.ncharsets);
	free_list(rs->set.upload_types, rs->set.nupload_types);
	free_list(rs->set.forbidden_headers, rs->set.nforbidden_headers);
	free(rs);
}

const struct px_waf_profile *px_waf_ruleset_profile(const struct px_waf_ruleset *rs,
						    const char *name)
{
	const struct px_waf_profile *def = NULL;
	size_t i;

	for (i = 0; i < rs->nprofiles; i++) {
		if (name && strcmp(rs->profiles[i].name, name) == 0)
			return &rs->profiles[i];
		if (strcmp(rs->profiles[i].name, "default") == 0)
			def = &rs->profiles[i];
	}
	return def;
}

enum px_waf_mode px_waf_rule_mode(const struct px_waf_rule *r,
				  const struct px_waf_profile *p)
{
	size_t i;

	for (i = 0; i < p->noff; i++)
		if (p->off[i] == r->id)
			return PX_WAF_OFF;
	for (i = 0; i < p->ndetect; i++)
		if (p->detect[i] == r->id && r->mode == PX_WAF_BLOCK)
			return PX_WAF_DETECT;
	return r->mode;
}

unsigned px_waf_profile_kind(const struct px_waf_profile *p, const char *name,
			     size_t len)
{
	if (name) {
		size_t i;

		for (i = 0; i < p->nfields; i++)
			if (strlen(p->fields[i].name) == len &&
			    strncasecmp(p->fields[i].name, name, len) == 0)
				return p->fields[i].kind;
	}
	return p->default_kind;
}
