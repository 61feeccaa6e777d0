/* waf_detect.c: built-in WAF detectors (structure checks that signatures
 * express badly) and the Markdown projection used for free-text fields. */
#include "waf/waf_detect.h"
#include "waf/waf_ftype.h"
#include "waf/waf_norm.h"
#include "waf/waf_ssrf.h"

#include <cmark-gfm.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- uploads ------------------------------------------------------------- */

static int allowed(const struct px_waf_settings *set, enum px_waf_ftype t)
{
	const char *nm = px_waf_ftype_name(t);

	return px_waf_list_has(set->upload_types, set->nupload_types, nm, strlen(nm));
}

/* The bytes, the extension and the declared type must agree on one
 * allowed kind. The cheap checks run first; libmagic only confirms bytes
 * that could pass. */
static int det_upload_type(const struct px_waf_item *it)
{
	const struct px_waf_value *v = it->v;
	enum px_waf_ftype magic, ext, ct, named;

	if (!v || v->loc != PX_WAF_L_FILE)
		return 0;
	if (v->len == 0 && v->filename_len == 0)
		return 0; /* an empty file input, nothing chosen */
	ext = px_waf_ftype_ext(v->filename, v->filename_len);
	ct = px_waf_ftype_ctype(v->ctype, v->ctype_len);
	if (ext == PX_WAF_F_OTHER || ct == PX_WAF_F_OTHER ||
	    (ext != PX_WAF_F_NONE && ct != PX_WAF_F_NONE && ext != ct))
		return 1;
	named = ext != PX_WAF_F_NONE ? ext : ct;
	magic = px_waf_ftype_sniff(v->val, v->len);
	if (magic == PX_WAF_F_OTHER ||
	    (named != PX_WAF_F_NONE && !px_waf_ftype_agree(named, magic, v->val, v->len)) ||
	    !allowed(it->set, named != PX_WAF_F_NONE ? named : magic))
		return 1;
	return px_waf_ftype_content(v->val, v->len) != magic;
}

/* A byte of written text, UTF-8 included: anything but control bytes. */
static int text_byte(unsigned char c)
{
	return (c >= 0x20 && c != 0x7f) || c == '\t' || c == '\r' || c == '\n';
}

/* A tag that starts code or markup, at p (case-insensitive). The long
 * ones count wherever they are. Compressed bytes hold the short ones by
 * chance (one of "<?=", "<%@", "<%=" in about one random 64 KiB in 80),
 * so those count only as code is written: text without control bytes
 * from the tag to its closer, or to the end of what is in view (random
 * bytes do that about once in 100,000 files of 64 KiB). */
static int tag_code_at(const char *p, const char *end)
{
	static const struct {
		const char *open, *close;
	} tags[] = {
		{"<?php", NULL}, {"<script", NULL}, {"<jsp:", NULL}, {"<html", NULL},
		{"<iframe", NULL}, {"<!entity", NULL}, {"<?xml-stylesheet", NULL},
		{"<?=", "?>"}, {"<%@", "%>"}, {"<%=", "%>"}, {"<svg", ">"},
	};
	size_t i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		size_t k = strlen(tags[i].open), cl;
		const char *q;

		if ((size_t)(end - p) < k || strncasecmp(p, tags[i].open, k) != 0)
			continue;
		if (!tags[i].close)
			return 1;
		cl = strlen(tags[i].close);
		for (q = p + k; q < end && q - p < 1024 && text_byte((unsigned char)*q); q++)
			if ((size_t)(end - q) >= cl && memcmp(q, tags[i].close, cl) == 0)
				return 1;
		if (q == end)
			return 1;
	}
	return 0;
}

/* A second format's header after the first byte: a ZIP local header
 * (version and method as archivers write them) or an ELF identification
 * (class, byte order, version); one cut off by the end of the view counts. */
static int embedded_format(const unsigned char *b, size_t n)
{
	const unsigned char *p, *end = b + n;

	for (p = b + 1; p < end && (p = memmem(p, (size_t)(end - p), "PK\x03\x04", 4)); p++)
		if (end - p < 10 || (p[4] <= 63 && p[5] == 0 && p[9] == 0 &&
				     (p[8] == 0 || p[8] == 8 || p[8] == 12 || p[8] == 14)))
			return 1;
	for (p = b + 1; p < end && (p = memmem(p, (size_t)(end - p), "\x7f" "ELF", 4)); p++)
		if (end - p < 7 ||
		    ((p[4] == 1 || p[4] == 2) && (p[5] == 1 || p[5] == 2) && p[6] == 1))
			return 1;
	return 0;
}

/* Code or a second file format hidden inside an image, a PDF, audio or
 * video. Text is judged by its type (libmagic names markup and scripts);
 * an archive holds files of its own, compressed, that are never served
 * from it, so it is not searched. */
static int det_upload_code(const struct px_waf_item *it)
{
	const struct px_waf_value *v = it->v;
	const char *p, *end;

	if (!v || v->loc != PX_WAF_L_FILE ||
	    px_waf_ftype_class(px_waf_ftype_sniff(v->val, v->len)) != PX_WAF_FC_BINARY)
		return 0;
	end = v->val + v->len;
	for (p = v->val; (p = memchr(p, '<', (size_t)(end - p))) != NULL; p++)
		if (tag_code_at(p, end))
			return 1;
	return memmem(v->val, v->len, "__HALT_COMPILER", 15) != NULL ||
	       embedded_format((const unsigned char *)v->val, v->len);
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
