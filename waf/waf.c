/* waf.c: the WAF engine: loads a ruleset, classifies every value of a
 * request by the route's profile, normalises it, runs the rules that
 * apply to its kind, and turns the anomaly score into a verdict. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "waf/waf.h"
#include "waf/waf_detect.h"
#include "waf/waf_input.h"
#include "waf/waf_norm.h"
#include "waf/waf_rules.h"

#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Backtracking budget per match: keeps the worst case bounded even if a
 * rule author writes a pattern that can blow up. */
#define MATCH_LIMIT 200000
#define DEPTH_LIMIT 5000

struct px_waf {
	struct px_waf_ruleset *rs;
	pcre2_match_context *mctx;
	time_t mtime;
};

int px_waf_load_text(const char *text, size_t n, const char *name,
		     struct px_waf **out, struct px_buf *err)
{
	static const struct px_waf_vocab vocab = { px_waf_detector_index, px_waf_flag_bit };
	struct px_waf *w = calloc(1, sizeof(*w));

	if (!w) {
		px_buf_puts(err, "out of memory");
		return -1;
	}
	if (px_waf_ruleset_parse(text, n, name, &vocab, &w->rs, err) != 0) {
		free(w);
		return -1;
	}
	w->mctx = pcre2_match_context_create(NULL);
	if (!w->mctx) {
		px_buf_puts(err, "out of memory");
		px_waf_free(w);
		return -1;
	}
	pcre2_set_match_limit(w->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(w->mctx, DEPTH_LIMIT);
	*out = w;
	return 0;
}

int px_waf_load(const char *rules_path, struct px_waf **out, struct px_buf *err)
{
	FILE *f = fopen(rules_path, "rb");
	struct px_buf text = PX_BUF_INIT;
	struct stat st;
	char chunk[8192];
	size_t got;
	int rc = -1;

	if (!f) {
		px_buf_printf(err, "%s: cannot open", rules_path);
		return -1;
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		px_buf_append(&text, chunk, got);
	if (ferror(f) || text.failed) {
		px_buf_printf(err, "%s: cannot read", rules_path);
		goto out;
	}
	rc = px_waf_load_text(text.data ? text.data : "", text.len, rules_path, out, err);
	if (rc == 0 && fstat(fileno(f), &st) == 0)
		(*out)->mtime = st.st_mtime;
out:
	fclose(f);
	px_buf_free(&text);
	return rc;
}

void px_waf_free(struct px_waf *waf)
{
	if (!waf)
		return;
	px_waf_ruleset_free(waf->rs);
	pcre2_match_context_free(waf->mctx);
	free(waf);
}

time_t px_waf_mtime(const struct px_waf *waf)
{
	return waf->mtime;
}

/* --- one inspection --------------------------------------------------------- */

struct scan {
	const struct px_waf *waf;
	const struct px_waf_ruleset *rs;
	const struct px_waf_profile *prof;
	struct px_waf_verdict *v;
	pcre2_match_data *md;
	struct px_buf text, tmp, sql, shell, proj, ptext, ptmp;
	int stop;
	int scoring_ssrf_only;
};

static int already(const struct px_waf_verdict *v, unsigned id)
{
	size_t i;

	for (i = 0; i < v->nrules; i++)
		if (v->rules[i] == id)
			return 1;
	return 0;
}

static void record(struct scan *s, const struct px_waf_rule *r, enum px_waf_mode mode)
{
	struct px_waf_verdict *v = s->v;

	if (already(v, r->id) || v->nrules >= PX_WAF_MAX_HITS)
		return;
	v->rules[v->nrules] = r->id;
	v->detect_only[v->nrules] = mode != PX_WAF_BLOCK;
	v->nrules++;
	if (mode != PX_WAF_BLOCK || r->score == 0)
		return;
	if (v->score == 0)
		snprintf(v->category, sizeof(v->category), "%s", r->category);
	if (strcmp(r->category, "ssrf") != 0)
		s->scoring_ssrf_only = 0;
	v->score += r->score;
	if (v->score >= v->threshold)
		s->stop = 1;
}

static int prefilter(const struct px_waf_rule *r, const char *s, size_t n)
{
	size_t i;

	if (r->npre == 0)
		return 1;
	for (i = 0; i < r->npre; i++)
		if (memmem(s, n, r->pre[i], strlen(r->pre[i])))
			return 1;
	return 0;
}

static int regex_hit(struct scan *s, const struct px_waf_rule *r, const char *subj,
		     size_t n)
{
	int rc = pcre2_match((const pcre2_code *)r->re, (PCRE2_SPTR)subj, n, 0, 0,
			     s->md, s->waf->mctx);

	/* A match-limit error counts as a hit: only hostile input gets there. */
	return rc >= 0 || rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT;
}

/* Whether two 256-bit byte sets share a byte; word-wise, as it runs for
 * every rule on every value. */
static int intersects(const unsigned char *a, const unsigned char *b)
{
	uint64_t x, y, any = 0;
	size_t i;

	for (i = 0; i < 32; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		any |= x & y;
	}
	return any != 0;
}

/* Views of one item beyond the text view, built when a rule first needs them. */
struct views {
	int sql_ready;
	int shell;   /* -1 not built yet, 0 same as the text view, 1 differs */
};

/* Runs signature r on the view it names; 1 on a hit. */
static int signature_hit(struct scan *s, const struct px_waf_rule *r,
			 const struct px_waf_item *it, struct views *vw)
{
	switch (r->view) {
	case PX_WAF_VIEW_RAW:
		return prefilter(r, it->v->val, it->v->len) &&
		       regex_hit(s, r, it->v->val, it->v->len);
	case PX_WAF_VIEW_SQL:
		if (!prefilter(r, it->text, it->text_len))
			return 0;
		if (!vw->sql_ready) {
			px_waf_norm_sql(it->text, it->text_len, &s->sql);
			vw->sql_ready = 1;
		}
		return prefilter(r, s->sql.data, s->sql.len) &&
		       regex_hit(s, r, s->sql.data, s->sql.len);
	case PX_WAF_VIEW_SHELL:
		if (prefilter(r, it->text, it->text_len) &&
		    regex_hit(s, r, it->text, it->text_len))
			return 1;
		/* Quoting only ever removes bytes or adds spaces, so the byte-set
		 * checks made on the text view hold for the shell view too. */
		if (vw->shell < 0)
			vw->shell = px_waf_norm_shell(it->text, it->text_len, &s->shell);
		return vw->shell && prefilter(r, s->shell.data, s->shell.len) &&
		       regex_hit(s, r, s->shell.data, s->shell.len);
	default:
		return prefilter(r, it->text, it->text_len) &&
		       regex_hit(s, r, it->text, it->text_len);
	}
}

/* Whether the bytes of the text view rule out a match of r before any
 * regex runs (pres: the byte set of the view, plus space). */
static int excluded(const struct px_waf_rule *r, const unsigned char *pres)
{
	if (r->view == PX_WAF_VIEW_RAW)
		return 0;
	return (r->npre && !intersects(r->pre_first, pres)) ||
	       (r->has_first && !intersects(r->first, pres)) ||
	       (r->req_byte >= 0 && !(pres[r->req_byte >> 3] & (1u << (r->req_byte & 7))));
}

/* Runs the rules for it->kind; records hits when rec, else only counts. */
static int run_rules(struct scan *s, const struct px_waf_item *it, int rec)
{
	const struct px_waf_ruleset *rs = s->rs;
	const struct px_waf_value *v = it->v;
	struct views vw = {0, -1};
	unsigned char pres[32];
	int hits = 0;
	size_t i;

	/* Which bytes the view holds (plus space, which the SQL view adds). */
	memset(pres, 0, sizeof(pres));
	for (i = 0; i < it->text_len; i++) {
		unsigned char c = (unsigned char)it->text[i];

		pres[c >> 3] |= (unsigned char)(1u << (c & 7));
	}
	pres[' ' >> 3] |= 1u << (' ' & 7);

	for (i = 0; i < rs->nrules && !s->stop; i++) {
		const struct px_waf_rule *r = &rs->rules[i];
		enum px_waf_mode mode;
		int hit;

		if (!(r->where & it->kind) || r->flag > 0xFFFF)
			continue;
		mode = px_waf_rule_mode(r, s->prof);
		if (mode == PX_WAF_OFF || (rec && already(s->v, r->id)))
			continue;
		if (r->nnames && !(v->name && px_waf_list_has(r->names, r->nnames,
							       v->name, v->name_len)))
			continue;
		if (r->flag)
			hit = (it->nflags & r->flag) != 0;
		else if (r->detector >= 0)
			hit = px_waf_detector_run(r->detector, it);
		else
			hit = !excluded(r, pres) && signature_hit(s, r, it, &vw);
		if (!hit)
			continue;
		hits++;
		if (rec)
			record(s, r, mode);
	}
	return hits;
}

static unsigned kind_of(const struct scan *s, const struct px_waf_value *v)
{
	switch (v->loc) {
	case PX_WAF_L_PATH: return PX_WAF_K_PATH;
	case PX_WAF_L_HEADER: return PX_WAF_K_HEADER;
	case PX_WAF_L_COOKIE: return PX_WAF_K_COOKIE;
	case PX_WAF_L_NAME: return PX_WAF_K_NAME;
	case PX_WAF_L_FILENAME: return PX_WAF_K_FILENAME;
	case PX_WAF_L_FILE: return PX_WAF_K_FILE;
	case PX_WAF_L_XML: return PX_WAF_K_XML;
	case PX_WAF_L_BODY: return s->prof->default_kind;
	default: {
		unsigned k = px_waf_profile_kind(s->prof, v->name, v->name_len);

		return k == PX_WAF_K_URL ? (PX_WAF_K_URL | PX_WAF_K_ARG) : k;
	}
	}
}

static unsigned norm_opts(const struct px_waf_value *v)
{
	switch (v->loc) {
	case PX_WAF_L_QUERY:
	case PX_WAF_L_FORM:
	case PX_WAF_L_NAME:
		return v->decoded ? PX_WAF_PRE_DECODED : 0;
	case PX_WAF_L_COOKIE:
		return 0;
	case PX_WAF_L_XML:
	case PX_WAF_L_FILE:
		return PX_WAF_NO_URL;
	default:
		return 0;
	}
}

/* Free text: rules see only what a Markdown renderer could make active. */
static void inspect_markdown(struct scan *s, struct px_waf_item *it)
{
	struct px_waf_item proj = *it;

	if (run_rules(s, it, 0) == 0)
		return;
	px_waf_md_project(it->v->val, it->v->len, &s->proj);
	proj.nflags = px_waf_norm_text(s->proj.data, s->proj.len, PX_WAF_NO_URL,
				       &s->ptext, &s->ptmp) | (it->nflags & (PX_WAF_N_NUL | PX_WAF_N_BAD_UTF8));
	proj.text = s->ptext.data;
	proj.text_len = s->ptext.len;
	run_rules(s, &proj, 1);
}

/* Headers with a small fixed grammar: a value that keeps to it cannot
 * carry an injection, so the signatures can skip it. */
static const struct {
	const char *name;
	const char *prefix; /* required start (case-insensitive) or NULL */
	const char *chars;  /* allowed characters besides letters and digits */
} header_shapes[] = {
	{"accept", NULL, "*/+.,;=_ -"},
	{"accept-encoding", NULL, "*.,;=_ -"},
	{"accept-language", NULL, "*.,;=_ -"},
	{"accept-charset", NULL, "*.,;=_ -"},
	{"cache-control", NULL, ",=_ -"},
	{"pragma", NULL, ",=_ -"},
	{"connection", NULL, ", -"},
	{"content-length", NULL, ""},
	{"dnt", NULL, ""},
	{"upgrade-insecure-requests", NULL, ""},
	{"sec-fetch-dest", NULL, "-"},
	{"sec-fetch-mode", NULL, "-"},
	{"sec-fetch-site", NULL, "-"},
	{"sec-fetch-user", NULL, "?"},
	{"x-request-id", NULL, "-_.:"},
	{"x-correlation-id", NULL, "-_.:"},
	{"if-none-match", NULL, "\"/,* _.:-"},
	{"if-match", NULL, "\"/,* _.:-"},
	{"if-modified-since", NULL, ", :"},
	{"if-unmodified-since", NULL, ", :"},
	{"host", NULL, ".:-[]"},
	{"origin", "https://", ".:-"},
	{"origin", "http://", ".:-"},
	{"authorization", "bearer ", "._~+/=-"},
	{"authorization", "basic ", "+/="},
	{"x-hub-signature", NULL, "="},
	{"x-hub-signature-256", NULL, "="},
	{"x-github-event", NULL, "_-"},
	{"x-github-delivery", NULL, "-"},
	{"range", "bytes=", ",-"},
};

static int safe_header(const struct px_waf_value *v)
{
	size_t i, j;

	for (i = 0; i < sizeof(header_shapes) / sizeof(header_shapes[0]); i++) {
		const char *s = v->val;
		size_t n = v->len, pl;

		if (strlen(header_shapes[i].name) != v->name_len ||
		    strncasecmp(header_shapes[i].name, v->name, v->name_len) != 0)
			continue;
		pl = header_shapes[i].prefix ? strlen(header_shapes[i].prefix) : 0;
		if (pl && (n < pl || strncasecmp(s, header_shapes[i].prefix, pl) != 0))
			continue;
		for (j = pl; j < n; j++) {
			unsigned char c = (unsigned char)s[j];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || (c && strchr(header_shapes[i].chars, c))))
				break;
		}
		if (j == n)
			return 1;
	}
	return 0;
}

static int on_value(void *ctx, const struct px_waf_value *v)
{
	struct scan *s = ctx;
	struct px_waf_item it;

	memset(&it, 0, sizeof(it));
	it.kind = kind_of(s, v);
	if (it.kind & PX_WAF_K_SKIP)
		return s->stop;
	if (v->loc == PX_WAF_L_HEADER && safe_header(v))
		return s->stop;
	it.v = v;
	it.set = &s->rs->set;
	if (v->loc == PX_WAF_L_FILE) {
		it.text = v->val;
		it.text_len = v->len;
	} else {
		it.nflags = px_waf_norm_text(v->val, v->len, norm_opts(v), &s->text, &s->tmp);
		it.text = s->text.data;
		it.text_len = s->text.len;
	}
	if (it.kind & PX_WAF_K_MARKDOWN)
		inspect_markdown(s, &it);
	else
		run_rules(s, &it, 1);
	return s->stop;
}

static void request_rules(struct scan *s, uint64_t flags)
{
	size_t i;

	for (i = 0; i < s->rs->nrules && !s->stop; i++) {
		const struct px_waf_rule *r = &s->rs->rules[i];
		enum px_waf_mode mode;

		if (!(r->where & PX_WAF_K_REQUEST) || r->flag <= 0xFFFF || !(flags & r->flag))
			continue;
		mode = px_waf_rule_mode(r, s->prof);
		if (mode != PX_WAF_OFF)
			record(s, r, mode);
	}
}

enum px_err px_waf_inspect(const struct px_waf *waf, const struct px_request *req,
			   const char *profile, struct px_waf_verdict *v)
{
	struct scan s;
	struct px_buf scratch[3] = {PX_BUF_INIT, PX_BUF_INIT, PX_BUF_INIT};
	uint64_t flags = 0;
	enum px_err e = PX_OK;
	int i;

	memset(v, 0, sizeof(*v));
	memset(&s, 0, sizeof(s));
	s.waf = waf;
	s.rs = waf->rs;
	s.prof = px_waf_ruleset_profile(waf->rs, profile);
	s.v = v;
	s.scoring_ssrf_only = 1;
	v->profile = s.prof->name;
	v->threshold = s.prof->threshold > 0 ? s.prof->threshold : 1;
	if (s.prof->mode == PX_WAF_OFF)
		return PX_OK;
	s.md = pcre2_match_data_create(1, NULL);
	if (!s.md) {
		/* Out of memory: refuse rather than let an uninspected request by. */
		v->action = PX_WAF_DENY;
		return PX_E_SECURITY_REQUEST_BLOCKED;
	}
	px_waf_input_walk(waf->rs, s.prof, req, on_value, &s, &flags, scratch);
	request_rules(&s, flags);
	if (v->score >= v->threshold && s.prof->mode == PX_WAF_BLOCK) {
		v->action = PX_WAF_DENY;
		e = s.scoring_ssrf_only ? PX_E_SECURITY_SSRF_BLOCKED
					: PX_E_SECURITY_REQUEST_BLOCKED;
	} else if (v->nrules > 0) {
		v->action = PX_WAF_LOG;
	}
	pcre2_match_data_free(s.md);
	px_buf_free(&s.text);
	px_buf_free(&s.tmp);
	px_buf_free(&s.sql);
	px_buf_free(&s.shell);
	px_buf_free(&s.proj);
	px_buf_free(&s.ptext);
	px_buf_free(&s.ptmp);
	for (i = 0; i < 3; i++)
		px_buf_free(&scratch[i]);
	return e;
}

size_t px_waf_max_body(const struct px_waf *waf, const char *profile)
{
	return px_waf_ruleset_profile(waf->rs, profile)->max_body;
}

int px_waf_has_profile(const struct px_waf *waf, const char *profile)
{
	return profile && strcmp(px_waf_ruleset_profile(waf->rs, profile)->name, profile) == 0;
}

static const struct px_waf_rule *find_rule(const struct px_waf *waf, unsigned id)
{
	size_t i;

	for (i = 0; i < waf->rs->nrules; i++)
		if (waf->rs->rules[i].id == id)
			return &waf->rs->rules[i];
	return NULL;
}

const char *px_waf_rule_msg(const struct px_waf *waf, unsigned id)
{
	const struct px_waf_rule *r = find_rule(waf, id);

	return r ? r->msg : NULL;
}

const char *px_waf_rule_category(const struct px_waf *waf, unsigned id)
{
	const struct px_waf_rule *r = find_rule(waf, id);

	return r ? r->category : NULL;
}

void px_waf_verdict_json(const struct px_waf_verdict *v, struct px_buf *out)
{
	static const char *const act[] = {"allow", "log", "block"};
	size_t i;
	int first;

	px_buf_printf(out, "{\"action\":\"%s\",\"score\":%d,\"threshold\":%d,\"profile\":",
		      act[v->action], v->score, v->threshold);
	px_buf_json_str(out, v->profile ? v->profile : "", v->profile ? strlen(v->profile) : 0);
	px_buf_puts(out, ",\"rules\":[");
	for (i = 0, first = 1; i < v->nrules; i++)
		if (!v->detect_only[i]) {
			px_buf_printf(out, "%s%u", first ? "" : ",", v->rules[i]);
			first = 0;
		}
	px_buf_puts(out, "],\"detect\":[");
	for (i = 0, first = 1; i < v->nrules; i++)
		if (v->detect_only[i]) {
			px_buf_printf(out, "%s%u", first ? "" : ",", v->rules[i]);
			first = 0;
		}
	px_buf_puts(out, "],\"category\":");
	px_buf_json_str(out, v->category, strlen(v->category));
	px_buf_putc(out, '}');
}

/* --- fallback route classification ------------------------------------------ */

struct route {
	const char *methods; /* "*" any, "W" POST/PUT/PATCH, or one method */
	const char *pattern; /* '*' one segment, trailing "**" any rest */
	const char *profile;
};

/* Only routes that exist (tests/unit/check_waf_routes.c keeps it so): a
 * profile for a path nobody serves would only score 404s. The upload,
 * download, snippet, fetch_url and integration profiles of etc/waf.rules
 * wait for the routes of their features. */
static const struct route routes[] = {
	{"*", "/static/**", "static"},
	{"*", "/favicon.ico", "static"},
	{"*", "/robots.txt", "static"},
	{"*", "/manifest.webmanifest", "static"},
	{"*", "/sw.js", "static"},
	{"W", "/api/v1/channels/*/messages", "message"},
	{"W", "/api/v1/channels/*/messages/*", "message"},
	{"W", "/c/*/post", "message"},
	{"W", "/c/*/m/*/edit", "message"},
	{"*", "/api/v1/auth/**", "auth"},
	{"*", "/login", "auth"},
	{"*", "/login/**", "auth"},
	{"W", "/settings/password", "auth"},
	{"W", "/settings/mfa/**", "auth"},
	{"W", "/api/v1/users/me/deactivate", "auth"},
	{"*", "/logout", "auth"},
	{"*", "/register", "auth"},
	{"*", "/invite/*", "auth"},
	{"*", "/search", "search"},
	{"*", "/api/v1/search", "search"},
	{"*", "/api/v1/users", "search"},
	{"*", "/api/v1/channels/*/messages/search", "search"},
	{"W", "/api/v1/users/me", "profile"},
	{"W", "/settings/profile", "profile"},
	{"*", "/api/v1/admin/**", "admin"},
	{"*", "/admin", "admin"},
	{"*", "/admin/**", "admin"},
};

static int method_ok(const char *want, const char *m)
{
	if (strcmp(want, "*") == 0)
		return 1;
	if (strcmp(want, "W") == 0)
		return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0;
	return strcmp(want, m) == 0;
}

static int path_match(const char *pat, const char *p, size_t n)
{
	size_t i = 0;

	while (*pat) {
		if (pat[0] == '*' && pat[1] == '*')
			return 1;
		if (*pat == '*') {
			size_t start = i;

			while (i < n && p[i] != '/')
				i++;
			if (i == start)
				return 0;
			pat++;
			continue;
		}
		if (i >= n || *pat != p[i])
			return 0;
		pat++, i++;
	}
	return i == n;
}

int px_waf_path_row(size_t i, const char **methods, const char **pattern,
		    const char **profile)
{
	if (i >= sizeof(routes) / sizeof(routes[0]))
		return -1;
	*methods = routes[i].methods;
	*pattern = routes[i].pattern;
	*profile = routes[i].profile;
	return 0;
}

const char *px_waf_profile_for_path(const char *method, const char *path)
{
	size_t i, n;

	if (!method || !path)
		return "default";
	n = strcspn(path, "?#");
	while (n > 1 && path[n - 1] == '/')
		n--;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (method_ok(routes[i].methods, method) && path_match(routes[i].pattern, path, n))
			return routes[i].profile;
	return "default";
}
