/* web_ai.c: the AI administration page (/admin/ai): the moderation review
 * queue, filled and acted on by static/js/ai.js through the admin AI API,
 * whose route carries the same action. */
#include "handlers/web.h"
#include "handlers/web_util.h"

#include <json-c/json.h>

enum px_err px_h_web_admin_ai(struct px_ctx *ctx)
{
	return px_web_render(ctx, 200, "page/admin_ai", "AI", json_object_new_object());
}
