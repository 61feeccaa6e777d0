/* word_filter.c: an in-process PlexiChat plugin (ABI 1): messages with a
 * listed word are masked ("d***") or refused. Words match whole (between
 * characters that are not ASCII letters, digits or part of a UTF-8
 * sequence), ignoring ASCII case. The list is read once in init and only
 * read afterwards, so the hook is safe on many threads at once. */
#include "plugins/plexichat_plugin.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 256
#define MAX_LEN 64

const int plexichat_plugin_abi = PLEXICHAT_PLUGIN_ABI;

static char words[MAX_WORDS][MAX_LEN];
static int nwords;
static int refuse;

static int word_char(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

static void add_words(const char *list)
{
	while (*list && nwords < MAX_WORDS) {
		size_t n = strcspn(list, ","), i, k = 0;

		for (i = 0; i < n && k < MAX_LEN - 1; i++)
			if (!isspace((unsigned char)list[i]))
				words[nwords][k++] = (char)tolower((unsigned char)list[i]);
		words[nwords][k] = '\0';
		if (k)
			nwords++;
		list += n + (list[n] == ',');
	}
}

int plexichat_plugin_init(const char *const *kv)
{
	for (; kv && kv[0] && kv[1]; kv += 2) {
		if (!strcmp(kv[0], "words"))
			add_words(kv[1]);
		else if (!strcmp(kv[0], "mode"))
			refuse = !strcmp(kv[1], "reject");
	}
	return 0;
}

/* The length of the listed word at s (a word start), or 0. */
static size_t listed_at(const char *s, size_t left)
{
	for (int w = 0; w < nwords; w++) {
		size_t n = strlen(words[w]);

		if (n <= left && !strncasecmp(s, words[w], n) &&
		    (n == left || !word_char((unsigned char)s[n])))
			return n;
	}
	return 0;
}

enum plexichat_verdict plexichat_before_store(const struct plexichat_message *m,
					      struct plexichat_result *r)
{
	char *copy = NULL;

	for (size_t i = 0; i < m->body_len; i++) {
		size_t n;

		if (i > 0 && word_char((unsigned char)m->body[i - 1]))
			continue;
		if (!(n = listed_at(m->body + i, m->body_len - i)))
			continue;
		if (refuse) {
			free(copy);
			snprintf(r->reason, sizeof(r->reason), "The message contains a blocked word.");
			return PLEXICHAT_REJECT;
		}
		if (!copy && !(copy = strndup(m->body, m->body_len)))
			return PLEXICHAT_PASS;
		memset(copy + i + 1, '*', n - 1);
		i += n - 1;
	}
	if (!copy)
		return PLEXICHAT_PASS;
	r->body = copy;
	return PLEXICHAT_MODIFY;
}
