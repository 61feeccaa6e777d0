/* waf_detect.c: built-in WAF detectors (structure checks that signatures
 * express badly) and the Markdown projection used for free-text fields. */
#include "waf/waf_detect.h"
#include "waf/waf_magic.h"
#include "waf/waf_norm.h"
#include "waf/waf_ssrf.h"
#include "core/mediatype.h"
#include "core/utf8.h"

#include <cmark.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- file kinds ---------------------------------------------------------- */

static const char *const ftype_names[] = {
	"none", "png", "jpeg", "gif", "webp", "pdf", "text", "other"
};

const char *px_waf_ftype_name(enum px_waf_ftype t)
{
	return ftype_names[t];
}

static int text_bytes(const char *b, size_t n)
{
	size_t i, ctrl = 0;

	if (n >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0)
		b += 3, n -= 3;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)b[i];

		if (c == 0)
			return 0;
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f')
			ctrl++;
	}
	return ctrl == 0 && px_utf8_valid(b, n);
}

enum px_waf_ftype px_waf_ftype_sniff(const char *b, size_t n)
{
	if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
		return PX_WAF_F_PNG;
	if (n >= 3 && memcmp(b, "\xFF\xD8\xFF", 3) == 0)
		return PX_WAF_F_JPEG;
	if (n >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0))
		return PX_WAF_F_GIF;
	if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
		return PX_WAF_F_WEBP;
	if (n >= 5 && memcmp(b, "%PDF-", 5) == 0)
		return PX_WAF_F_PDF;
	return text_bytes(b, n) ? PX_WAF_F_TEXT : PX_WAF_F_OTHER;
}

static const struct {
	const char *ext;
	enum px_waf_ftype t;
} ext_map[] = {
	{"png", PX_WAF_F_PNG}, {"jpg", PX_WAF_F_JPEG}, {"jpeg", PX_WAF_F_JPEG},
	{"jpe", PX_WAF_F_JPEG}, {"jfif", PX_WAF_F_JPEG}, {"gif", PX_WAF_F_GIF},
	{"webp", PX_WAF_F_WEBP}, {"pdf", PX_WAF_F_PDF}, {"txt", PX_WAF_F_TEXT},
	{"text", PX_WAF_F_TEXT}, {"log", PX_WAF_F_TEXT}, {"md", PX_WAF_F_TEXT},
	{"markdown", PX_WAF_F_TEXT}, {"csv", PX_WAF_F_TEXT}, {"tsv", PX_WAF_F_TEXT},
	{"json", PX_WAF_F_TEXT}, {"yaml", PX_WAF_F_TEXT}, {"yml", PX_WAF_F_TEXT},
	{"diff", PX_WAF_F_TEXT}, {"patch", PX_WAF_F_TEXT},
};

enum px_waf_ftype px_waf_ftype_ext(const char *name, size_t n)
{
	const char *dot = NULL;
	size_t i, el;

	for (i = 0; i < n; i++)
		if (name[i] == '.')
			dot = name + i;
		else if (name[i] == '/' || name[i] == '\\')
			dot = NULL;
	if (!dot)
		return PX_WAF_F_NONE;
	el = (size_t)(name + n - dot - 1);
	for (i = 0; i < sizeof(ext_map) / sizeof(ext_map[0]); i++)
		if (strlen(ext_map[i].ext) == el && strncasecmp(dot + 1, ext_map[i].ext, el) == 0)
			return ext_map[i].t;
	return PX_WAF_F_OTHER;
}

/* Declared part type: NONE when it says nothing (empty, octet-stream),
 * OTHER when it is none of ours or malformed (px_mediatype_parse reads it,
 * as it reads the request's). */
static enum px_waf_ftype ftype_ctype(const char *ct, size_t n)
{
	static const struct {
		const char *ct;
		enum px_waf_ftype t;
	} map[] = {
		{"image/png", PX_WAF_F_PNG}, {"image/jpeg", PX_WAF_F_JPEG},
		{"image/jpg", PX_WAF_F_JPEG}, {"image/pjpeg", PX_WAF_F_JPEG},
		{"image/gif", PX_WAF_F_GIF}, {"image/webp", PX_WAF_F_WEBP},
		{"application/pdf", PX_WAF_F_PDF}, {"text/*", PX_WAF_F_TEXT},
		{"application/json", PX_WAF_F_TEXT},
		{"application/octet-stream", PX_WAF_F_NONE},
	};
	struct px_mediatype mt;
	size_t i;

	(void)px_mediatype_parse(ct, n, &mt);
	if (mt.essence.len == 0) {
		while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
			n--;
		return n == 0 ? PX_WAF_F_NONE : PX_WAF_F_OTHER;
	}
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (px_mediatype_is(&mt, map[i].ct))
			return map[i].t;
	return PX_WAF_F_OTHER;
}

static int allowed(const struct px_waf_settings *set, enum px_waf_ftype t)
{
	const char *nm = px_waf_ftype_name(t);

	return px_waf_list_has(set->upload_types, set->nupload_types, nm, strlen(nm));
}

/* Kind named by libmagic's MIME type. Markup that browsers run and
 * server-side scripts are OTHER even though they are text. */
static enum px_waf_ftype ftype_mime(const char *mime)
{
	static const char *const active[] = {
		"text/html", "application/xhtml+xml", "image/svg+xml", "text/x-php",
		"application/x-php", "application/x-httpd-php",
	};
	size_t i;

	for (i = 0; i < sizeof(active) / sizeof(active[0]); i++)
		if (strcmp(mime, active[i]) == 0)
			return PX_WAF_F_OTHER;
	if (strncmp(mime, "text/", 5) == 0)
		return PX_WAF_F_TEXT;
	return ftype_ctype(mime, strlen(mime));
}

enum px_waf_ftype px_waf_ftype_content(const char *b, size_t n)
{
	enum px_waf_ftype own = px_waf_ftype_sniff(b, n), lm;
	char mime[128];

	/* an empty file has no content to name (libmagic: "application/x-empty") */
	if (own == PX_WAF_F_OTHER || n == 0 || px_waf_magic_mime(b, n, mime, sizeof(mime)) != 0)
		return own;
	lm = ftype_mime(mime);
	return lm == own ? own : PX_WAF_F_OTHER;
}

/* The bytes, the extension and the declared type must agree on one
 * allowed kind. The cheap checks run first; libmagic only confirms bytes
 * that could pass. */
static int det_upload_type(const struct px_waf_item *it)
{
	const struct px_waf_value *v = it->v;
	enum px_waf_ftype magic, ext, ct;

	if (!v || v->loc != PX_WAF_L_FILE)
		return 0;
	if (v->len == 0 && v->filename_len == 0)
		return 0; /* an empty file input, nothing chosen */
	ext = px_waf_ftype_ext(v->filename, v->filename_len);
	ct = ftype_ctype(v->ctype, v->ctype_len);
	if (ext == PX_WAF_F_OTHER || ct == PX_WAF_F_OTHER)
		return 1;
	magic = px_waf_ftype_sniff(v->val, v->len);
	if (magic == PX_WAF_F_OTHER || !allowed(it->set, magic) ||
	    (ext != PX_WAF_F_NONE && ext != magic) || (ct != PX_WAF_F_NONE && ct != magic))
		return 1;
	return px_waf_ftype_content(v->val, v->len) != magic;
}

/* Case-insensitive search for any needle starting at a '<'. */
static int has_tag_code(const char *b, size_t n)
{
	static const char *const needles[] = {
		"<?php", "<?=", "<%@", "<%=", "<script", "<jsp:", "<html",
		"<svg", "<iframe", "<!entity", "<?xml-stylesheet",
	};
	const char *p = b, *end = b + n;

	while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
		size_t i;

		for (i = 0; i < sizeof(needles) / sizeof(needles[0]); i++) {
			size_t k = strlen(needles[i]);

			if ((size_t)(end - p) >= k && strncasecmp(p, needles[i], k) == 0)
				return 1;
		}
		p++;
	}
	return 0;
}

/* Code or a second file format hidden inside an image or a PDF. */
static int det_upload_code(const struct px_waf_item *it)
{
	const struct px_waf_value *v = it->v;
	enum px_waf_ftype magic;

	if (!v || v->loc != PX_WAF_L_FILE)
		return 0;
	magic = px_waf_ftype_sniff(v->val, v->len);
	if (magic == PX_WAF_F_TEXT || magic == PX_WAF_F_OTHER)
		return 0;
	if (has_tag_code(v->val, v->len))
		return 1;
	if (memmem(v->val, v->len, "__HALT_COMPILER", 15) ||
	    memmem(v->val + 1, v->len ? v->len - 1 : 0, "PK\x03\x04", 4) ||
	    memmem(v->val + 1, v->len ? v->len - 1 : 0, "\x7F" "ELF", 4))
		return 1;
	return 0;
}

/* PDF names that run code or carry files: /JavaScript, /JS, /Launch... */
static int det_pdf_active(const struct px_waf_item *it)
{
	static const char *const bad[] = {
		"javascript", "js", "launch", "embeddedfile", "embeddedfiles",
		"richmedia", "xfa", "importdata", "submitform",
	};
	const struct px_waf_value *v = it->v;
	const char *p, *end;

	if (!v || v->loc != PX_WAF_L_FILE || px_waf_ftype_sniff(v->val, v->len) != PX_WAF_F_PDF)
		return 0;
	p = v->val;
	end = v->val + v->len;
	while ((p = memchr(p, '/', (size_t)(end - p))) != NULL) {
		char name[32];
		size_t k = 0, i;

		p++;
		while (p < end && k < sizeof(name) - 1) {
			int c = (unsigned char)*p;

			if (c == '#' && end - p >= 3 && isxdigit((unsigned char)p[1]) &&
			    isxdigit((unsigned char)p[2])) {
				char hx[3] = {p[1], p[2], 0};

				c = (int)strtol(hx, NULL, 16);
				p += 2;
			}
			if (!isalnum(c))
				break;
			name[k++] = (char)tolower(c);
			p++;
		}
		name[k] = '\0';
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (strcmp(name, bad[i]) == 0)
				return 1;
	}
	return 0;
}

/* Executable, script and server-side extensions anywhere in a file name
 * (double extensions, "x.php;.jpg", "x.php .png", trailing dots). */
static int det_upload_ext(const struct px_waf_item *it)
{
	static const char *const bad[] = {
		"php", "php3", "php4", "php5", "php7", "php8", "phtml", "pht", "phar",
		"phps", "pgif", "shtml", "shtm", "stm", "inc", "jsp", "jspx", "jsw",
		"jsv", "jspf", "asp", "aspx", "asa", "asax", "ascx", "ashx", "asmx",
		"cer", "cshtml", "vbhtml", "cgi", "pl", "pm", "py", "pyc", "rb", "sh",
		"bash", "zsh", "ksh", "csh", "bat", "cmd", "com", "exe", "dll", "scr",
		"msi", "msp", "hta", "vbs", "vbe", "js", "jse", "mjs", "wsf", "wsh",
		"ps1", "psm1", "psd1", "lnk", "reg", "jar", "war", "ear", "class",
		"swf", "htaccess", "htpasswd", "config", "so", "dylib", "apk", "elf",
		"svg", "svgz", "html", "htm", "xhtml", "xht", "mht", "mhtml", "xml",
		"xsl", "xslt", "cpl", "gadget", "application", "appref-ms", "url",
		"desktop", "iso", "img", "vhd", "dmg", "deb", "rpm", "run", "bin",
	};
	const char *s = it->text;
	size_t n = it->text_len, i;

	if (!(it->kind & PX_WAF_K_FILENAME))
		return 0;
	for (i = 0; i < n; i++) {
		size_t j, k;

		if (s[i] != '.')
			continue;
		for (j = i + 1; j < n && (isalnum((unsigned char)s[j]) || s[j] == '-'); j++)
			;
		/* A segment ends at the end, a dot, ';', space, ':' or NUL-ish junk. */
		if (j < n && s[j] != '.' && s[j] != ';' && s[j] != ' ' && s[j] != ':' &&
		    s[j] != '%' && s[j] != '/' && s[j] != '\\')
			continue;
		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
			if (strlen(bad[k]) == j - i - 1 && strncmp(s + i + 1, bad[k], j - i - 1) == 0)
				return 1;
	}
	/* Trailing dots or spaces: Windows strips them to reveal the extension. */
	return n && (s[n - 1] == '.' || s[n - 1] == ' ');
}

/* A character whose low byte is CR or LF (U+560A, U+010D...) followed by
 * what looks like a header: some stacks truncate to bytes. */
static int det_lowbyte_crlf(const struct px_waf_item *it)
{
	const unsigned char *s = (const unsigned char *)it->text;
	size_t n = it->text_len, i = 0;
	int seen = 0;

	if (!(it->nflags & PX_WAF_N_LOWBYTE_CRLF))
		return 0;
	while (i < n) {
		long cp;
		int ol;
		size_t k = px_waf_utf8_decode(s + i, n - i, &cp, &ol);

		if (cp > 0xFF && ((cp & 0xFF) == 0x0A || (cp & 0xFF) == 0x0D)) {
			seen = 1;
		} else if (seen) {
			size_t j = i;

			while (j < n && (isalnum(s[j]) || s[j] == '-'))
				j++;
			if (j > i + 1 && j < n && s[j] == ':')
				return 1;
			seen = 0;
		}
		i += k;
	}
	return 0;
}

static int det_ssrf_url(const struct px_waf_item *it)
{
	if (!it->v || !(it->kind & PX_WAF_K_URL))
		return 0;
	return px_waf_ssrf_check_url(it->v->val, it->v->len) != PX_WAF_SSRF_OK;
}

/* Values that are URLs anywhere get the scheme and address check too
 * when they name a scheme other than http(s) a fetcher would follow. */
static int det_url_value(const struct px_waf_item *it)
{
	const char *s = it->text;
	size_t n = it->text_len;

	if (n < 8 || !(it->kind & (PX_WAF_K_ARG | PX_WAF_K_URL)))
		return 0;
	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0 &&
	    strncmp(s, "//", 2) != 0)
		return 0;
	return px_waf_ssrf_check_url(s, n) == PX_WAF_SSRF_ADDRESS;
}

/* --- shell evasions ------------------------------------------------------- */

/* Words a command injection runs or reads: commands, and the file names
 * it goes for. Only ever compared with a word that quoting had split. */
static const char *const shell_words[] = {
	"cat", "tac", "nl", "head", "tail", "more", "less", "id", "whoami", "uname",
	"hostname", "ls", "dir", "pwd", "env", "printenv", "echo", "printf", "sleep",
	"ping", "nslookup", "dig", "host", "curl", "wget", "nc", "ncat", "netcat",
	"socat", "telnet", "ssh", "scp", "tftp", "ftp", "sh", "bash", "dash", "zsh",
	"ksh", "csh", "tcsh", "busybox", "python", "python2", "python3", "perl",
	"ruby", "php", "node", "lua", "awk", "gawk", "sed", "xargs", "find", "dd",
	"rm", "cp", "mv", "chmod", "chown", "touch", "mkfifo", "mknod", "base64",
	"xxd", "od", "openssl", "sudo", "su", "kill", "pkill", "crontab", "useradd",
	"passwd", "shadow", "reboot", "shutdown", "ifconfig", "ipconfig", "netstat",
	"ps", "systeminfo", "tasklist", "powershell", "pwsh", "cmd", "certutil",
	"bitsadmin", "mshta", "rundll32", "regsvr32", "wscript", "cscript", "nohup",
	"exec", "eval", "timeout", "getent", "uptime", "groups", "last",
};

static int shell_word_known(const char *w, size_t n)
{
	const char *base = w;
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i] == '/')
			base = w + i + 1;
	n -= (size_t)(base - w);
	if (n > 4 && strncmp(base + n - 4, ".exe", 4) == 0)
		n -= 4;
	for (i = 0; i < sizeof(shell_words) / sizeof(shell_words[0]); i++)
		if (strlen(shell_words[i]) == n && memcmp(shell_words[i], base, n) == 0)
			return 1;
	return 0;
}

static int shell_delim(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';' || c == '|' ||
	       c == '&' || c == '<' || c == '>' || c == '(' || c == ')' || c == '`' ||
	       c == ',';
}

/* One word s[0..n) of a text view: 1 when shell quoting split it inside
 * (a balanced pair of quotes, a backslash or an empty expansion between
 * two of its characters, or ANSI-C $'...' quoting) and what the shell
 * reads is a command or a file a command injection goes for. */
static int split_word_hits(const char *s, size_t n, struct px_buf *tmp)
{
	size_t i, sq = 0, dq = 0, inner = 0;
	int other = 0, ansi;

	if (n < 3 || n > 128)
		return 0;
	ansi = s[0] == '$' && (s[1] == '\'' || s[1] == '"');
	for (i = 0; i < n; i++) {
		sq += s[i] == '\'';
		dq += s[i] == '"';
		other |= s[i] == '\\' || s[i] == '$';
	}
	/* "I'd", "don't": a lone apostrophe is English, not shell quoting. */
	if (!ansi && !other && (sq + dq < 2 || sq % 2 || dq % 2))
		return 0;
	if (!px_waf_norm_shell(s, n, tmp) || tmp->len == 0)
		return 0;
	/* The split must fall inside the word: the first and last bytes the
	 * shell reads are letters of the word, not the quotes around it. */
	for (i = 0; i < n && (s[i] == '\'' || s[i] == '"' || s[i] == '$'); i++)
		;
	if (i < n && s[i] == tmp->data[0]) {
		size_t j = n;

		while (j > i && (s[j - 1] == '\'' || s[j - 1] == '"'))
			j--;
		inner = j > i && (j - i) != tmp->len;
	}
	if (!inner && !ansi)
		return 0;
	return shell_word_known(tmp->data, tmp->len) ||
	       memmem(tmp->data, tmp->len, "etc/passwd", 10) ||
	       memmem(tmp->data, tmp->len, "etc/shadow", 10) ||
	       memmem(tmp->data, tmp->len, "dev/tcp/", 8);
}

/* A command word or target that shell quoting hides: c'a't, w\ho\am\i,
 * w$@hoami, /e"t"c/pa''sswd, $'\x69\x64'. */
static int det_shell_split(const struct px_waf_item *it)
{
	const char *s = it->text;
	size_t n = it->text_len, i = 0;
	struct px_buf tmp = PX_BUF_INIT;
	int hit = 0;

	if (!memchr(s, '\'', n) && !memchr(s, '"', n) && !memchr(s, '\\', n) &&
	    !memchr(s, '$', n))
		return 0;
	while (i < n && !hit) {
		size_t start;

		while (i < n && shell_delim(s[i]))
			i++;
		start = i;
		while (i < n && !shell_delim(s[i]))
			i++;
		hit = split_word_hits(s + start, i - start, &tmp);
	}
	px_buf_free(&tmp);
	return hit;
}

/* Whether a path segment s[0..n) is a shell glob that stands for a name:
 * it has '?' or a bracket class, or '*' next to letters ("u*r"). */
static int glob_segment(const char *s, size_t n)
{
	size_t i;
	int star = 0, alpha = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '?' || s[i] == '[')
			return 1;
		star |= s[i] == '*';
		alpha |= (s[i] >= 'a' && s[i] <= 'z');
	}
	return star && alpha;
}

/* An absolute path spelled with shell wildcards so that no file name
 * appears: /???/c?t, /e??/p?ss*, /u*r/b*n/wh?ami. Needs two segments or
 * more, and a glob in the first one or in two of them: a path a person
 * writes names its top directory. */
static int det_shell_glob(const struct px_waf_item *it)
{
	const char *s = it->text;
	size_t n = it->text_len, i;

	if (!memchr(s, '?', n) && !memchr(s, '*', n) && !memchr(s, '[', n))
		return 0;
	for (i = 0; i < n; i++) {
		size_t segs = 0, globs = 0, j = i;
		int first = 0;

		if (s[i] != '/' || (i > 0 && !shell_delim(s[i - 1]) && !strchr("$={\"'", s[i - 1])))
			continue;
		while (j < n && s[j] == '/') {
			size_t k = ++j;

			while (j < n && (isalnum((unsigned char)s[j]) || strchr("?*[]._-", s[j])))
				j++;
			if (j == k)
				break;
			if (glob_segment(s + k, j - k)) {
				globs++;
				first |= segs == 0;
			}
			segs++;
		}
		if (segs >= 2 && (first || globs >= 2))
			return 1;
		if (j > i)
			i = j - 1;
	}
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(const struct px_waf_item *it);
} detectors[] = {
	{"ssrf_url", det_ssrf_url},
	{"internal_url", det_url_value},
	{"upload_type", det_upload_type},
	{"upload_code", det_upload_code},
	{"upload_ext", det_upload_ext},
	{"pdf_active", det_pdf_active},
	{"lowbyte_crlf", det_lowbyte_crlf},
	{"shell_split", det_shell_split},
	{"shell_glob", det_shell_glob},
};

int px_waf_detector_index(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(detectors) / sizeof(detectors[0]); i++)
		if (strcmp(name, detectors[i].name) == 0)
			return (int)i;
	return -1;
}

int px_waf_detector_run(int idx, const struct px_waf_item *it)
{
	if (idx < 0 || (size_t)idx >= sizeof(detectors) / sizeof(detectors[0]))
		return 0;
	return detectors[idx].fn(it);
}

/* --- Markdown projection ------------------------------------------------- */

static void put_text(struct px_buf *out, const char *s)
{
	for (; s && *s; s++)
		px_buf_putc(out, (*s == '<' || *s == '>') ? ' ' : *s);
}

int px_waf_md_project(const char *s, size_t n, struct px_buf *out)
{
	cmark_node *doc = cmark_parse_document(s, n, CMARK_OPT_DEFAULT);
	cmark_iter *iter;
	cmark_event_type ev;

	px_buf_reset(out);
	if (!doc) {
		px_buf_append(out, s, n);
		return -1;
	}
	iter = cmark_iter_new(doc);
	while ((ev = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(iter);

		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(node)) {
		case CMARK_NODE_HTML_BLOCK:
		case CMARK_NODE_HTML_INLINE:
			px_buf_puts(out, cmark_node_get_literal(node));
			px_buf_putc(out, '\n');
			break;
		case CMARK_NODE_LINK:
		case CMARK_NODE_IMAGE:
			px_buf_puts(out, "<a href=\"");
			px_buf_puts(out, cmark_node_get_url(node));
			px_buf_puts(out, "\" title=\"");
			put_text(out, cmark_node_get_title(node));
			px_buf_puts(out, "\">\n");
			break;
		case CMARK_NODE_TEXT:
			put_text(out, cmark_node_get_literal(node));
			px_buf_putc(out, '\n');
			break;
		default:
			break; /* code spans and blocks are content */
		}
	}
	cmark_iter_free(iter);
	cmark_node_free(doc);
	if (!out->data)
		px_buf_append(out, "", 0);
	return 0;
}
