/* fuzz_slack.c: libFuzzer target for the Slack payload renderer
 * (handlers/hooks_slack.c): the input is a JSON document (rendered as a
 * payload) or, when it is not one, Slack mrkdwn; the rendering then goes
 * through web/markdown as a hook's post would, and the name and icon
 * filters get the input too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/utf8.h"
#include "handlers/hooks_slack.h"
#include "web/markdown.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct px_buf md = PX_BUF_INIT, html = PX_BUF_INIT;
	struct json_object *j;
	char *s = malloc(size + 1), name[300];

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	j = json_tokener_parse(s);
	if (j)
		(void)px_slack_render(j, &md);
	else
		px_slack_mrkdwn(s, strlen(s), &md);
	if (md.data && px_utf8_valid(md.data, md.len))
		(void)px_markdown_render(md.data, md.len, &html, NULL);
	px_slack_name(s, name, sizeof(name));
	(void)px_slack_icon_ok(s);
	json_object_put(j);
	px_buf_free(&md);
	px_buf_free(&html);
	free(s);
	return 0;
}
