/* admin/util.c: argument and JSON output helpers shared by the
 * plexichat-admin sub-commands (declared in admin.h). */
#include "admin/admin.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *admin_opt_value(int argc, char **argv, const char *name)
{
	int i;

	for (i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

int admin_has_flag(int argc, char **argv, const char *name)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

static int takes_value(const char *arg, const char *const *with_value)
{
	size_t i;

	for (i = 0; with_value && with_value[i]; i++)
		if (strcmp(arg, with_value[i]) == 0)
			return 1;
	return 0;
}

const char *admin_positional(int argc, char **argv, unsigned nth,
			     const char *const *with_value)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) == 0) {
			if (takes_value(argv[i], with_value))
				i++;
			continue;
		}
		if (nth-- == 0)
			return argv[i];
	}
	return NULL;
}

const char *admin_who(int argc, char **argv)
{
	static char who[64];
	const char *w = admin_opt_value(argc, argv, "--who");
	const struct passwd *pw;

	if (w && *w)
		return w;
	pw = getpwuid(getuid());
	if (pw && pw->pw_name)
		snprintf(who, sizeof(who), "%s", pw->pw_name);
	else
		snprintf(who, sizeof(who), "uid:%u", (unsigned)getuid());
	return who;
}

static void sep(struct px_buf *b, const char *name)
{
	if (b->len > 0 && b->data[b->len - 1] != '{')
		px_buf_putc(b, ',');
	px_buf_json_str(b, name, strlen(name));
	px_buf_putc(b, ':');
}

void admin_json_kv(struct px_buf *b, const char *name, const char *s)
{
	sep(b, name);
	if (s)
		px_buf_json_str(b, s, strlen(s));
	else
		px_buf_puts(b, "null");
}

void admin_json_kv_int(struct px_buf *b, const char *name, long long n)
{
	sep(b, name);
	px_buf_printf(b, "%lld", n);
}

int admin_put_line(const struct px_buf *b)
{
	if (b->failed)
		return -1;
	if (b->data)
		fwrite(b->data, 1, b->len, stdout);
	putchar('\n');
	return 0;
}

int admin_read_file(const char *path, struct px_buf *b)
{
	char chunk[8192];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		px_buf_append(b, chunk, n);
	n = (size_t)ferror(f);
	fclose(f);
	if (!b->data)
		px_buf_puts(b, "");
	return n || b->failed ? -1 : 0;
}

int admin_conf_value(const char *text, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);
	const char *line = text, *end;
	char buf[2048];
	int found = 0;

	if (cap)
		out[0] = '\0';
	for (; line && *line; line = *end ? end + 1 : end) {
		char *p = buf, *q;
		size_t n;

		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		n = (size_t)(end - line);
		snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) ? n : sizeof(buf) - 1), line);
		p += strspn(p, " \t");
		if (strncmp(p, key, klen) != 0)
			continue;
		p += klen;
		p += strspn(p, " \t");
		if (*p != '=')
			continue;
		p++;
		p += strspn(p, " \t");
		q = p + strlen(p);
		while (q > p && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r'))
			*--q = '\0';
		snprintf(out, cap, "%s", p);
		found = 1;
	}
	return found;
}

void admin_human_bytes(char *out, size_t cap, long long n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4)
		v /= 1024, u++;
	snprintf(out, cap, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}
