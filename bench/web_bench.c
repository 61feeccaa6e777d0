/* web_bench.c: server render time of the channel view with 50 messages,
 * without the database: starts from the JSON text the model returns for a
 * history page and for the sidebar (as px_m_messages_page and
 * px_m_channels_mine write it), then does what the channel handler does
 * after its queries: parses it, turns it into template data
 * (px_web_messages_view, px_web_sidebar_add, local times, reactions) and
 * renders page/channel with the common page context and the form token
 * (px_web_render). Prints p50/p90/p99 and the page size.
 * Usage: web_bench SRCDIR [iterations] [lang] */
#include "core/cfg.h"
#include "core/ctx.h"
#include "core/http.h"
#include "web/tmpl.h"
#include "web/webpage.h"
#include "handlers/web_util.h"
#include "handlers/web_view.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const bodies[] = {
	"<p>Deploy is done, <strong>all green</strong>. See <a href=\\\"https://ci.example/123\\\">build 123</a>.</p>",
	"<p>Can someone review <code>web/tmpl.c</code>? It is about the partial cache.</p>",
	"<ul>\\n<li>first point</li>\\n<li>second point with <em>emphasis</em></li>\\n</ul>",
	"<blockquote>\\n<p>quoted text from earlier</p>\\n</blockquote>\\n<p>Agreed.</p>",
	"<pre><code>make -j2 &amp;&amp; make check\\n</code></pre>",
};

/* The model's JSON text of a 50-message history page. */
static void page_json(struct px_buf *b)
{
	int i;

	px_buf_puts(b, "{\"messages\":[");
	for (i = 0; i < 50; i++)
		px_buf_printf(b, "%s{\"id\":%d,\"channel_id\":1,\"thread_root_id\":null,"
			      "\"body\":\"text %d\",\"html\":\"%s\","
			      "\"created_at\":\"2026-11-25T10:%02d:00.123456+00:00\","
			      "\"edited_at\":%s,\"deleted\":false,\"pinned\":false,"
			      "\"reply_count\":%d,\"last_reply_at\":null,"
			      "\"author\":{\"id\":%d,\"username\":\"user%d\",\"display_name\":\"User %d\"},"
			      "\"reactions\":[{\"emoji\":\"\\ud83d\\udc4d\",\"count\":2,"
			      "\"users\":[\"alice\",\"user3\"]}]}",
			      i ? "," : "", 1000 + i, i, bodies[i % 5], i, i % 4 ? "null" : "\"2026-11-25T11:00:00+00:00\"",
			      i % 6, i % 7 + 1, i % 7, i % 7);
	px_buf_puts(b, "],\"has_more_before\":true,\"has_more_after\":false}");
}

/* The model's JSON text of the user's 20 channels and 5 DMs. */
static void mine_json(struct px_buf *b)
{
	int i;

	px_buf_putc(b, '[');
	for (i = 0; i < 25; i++)
		if (i < 20)
			px_buf_printf(b, "%s{\"id\":%d,\"kind\":\"public\",\"name\":\"channel-%d\","
				      "\"topic\":\"Topic\",\"unread_count\":%d,\"mention_count\":%d,"
				      "\"last_read_id\":0,\"archived\":false}",
				      i ? "," : "", i + 1, i, i % 3, i % 5 == 0);
		else
			px_buf_printf(b, ",{\"id\":%d,\"kind\":\"dm\",\"name\":null,\"unread_count\":1,"
				      "\"members\":[{\"id\":1,\"username\":\"alice\",\"display_name\":\"Alice\"},"
				      "{\"id\":%d,\"username\":\"u%d\",\"display_name\":\"Friend %d\"}]}",
				      i + 1, i + 10, i, i);
	px_buf_putc(b, ']');
}

/* What px_web_chat_page does after its queries. */
static enum px_err handle(struct px_ctx *ctx, const struct px_buf *page, const struct px_buf *mine)
{
	struct json_object *d = json_object_new_object(), *p = px_web_json(page);
	struct json_object *m = px_web_json(mine), *msgs = NULL, *chan;
	enum px_err e;

	json_object_object_get_ex(p, "messages", &msgs);
	json_object_object_add(d, "messages", px_web_messages_view(ctx, msgs));
	px_web_str(d, "older_url", "/c/channel-0?before=1000");
	json_object_object_add(d, "at_latest", json_object_new_boolean(1));
	px_web_sidebar_add(ctx, d, m, 1);
	chan = px_web_channel_view(json_object_array_get_idx(m, 0), ctx->who.user_id);
	json_object_object_add(d, "channel", chan);
	json_object_object_add(d, "member", json_object_new_boolean(1));
	json_object_object_add(d, "can_post", json_object_new_boolean(1));
	json_object_object_add(d, "can_pin", json_object_new_boolean(1));
	json_object_object_add(d, "live", json_object_new_boolean(1));
	json_object_object_add(d, "message_max", json_object_new_int64(16000));
	json_object_object_add(d, "last_event", json_object_new_int64(123456));
	e = px_web_render(ctx, 200, "page/channel", "general", d);
	json_object_put(p);
	json_object_put(m);
	return e;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 2000, i, rc = 1;
	const char *lang = argc > 3 ? argv[3] : "en";
	char tdir[4096], sdir[4096];
	struct px_cfg *cfg = NULL;
	struct px_buf err = PX_BUF_INIT;
	double *t = calloc((size_t)n, sizeof(double));
	size_t bytes = 0;
	struct px_buf page = PX_BUF_INIT, mine = PX_BUF_INIT;

	if (argc < 2 || n < 1 || !t) {
		fprintf(stderr, "usage: web_bench SRCDIR [iterations] [lang]\n");
		free(t);
		return 2;
	}
	snprintf(tdir, sizeof(tdir), "%s/templates", argv[1]);
	snprintf(sdir, sizeof(sdir), "%s/static", argv[1]);
	setenv("PLEXICHAT_STATIC_DIR", sdir, 1);
	setenv("PLEXICHAT_SECRET_KEY",
	       "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 1);
	page_json(&page);
	mine_json(&mine);
	if (px_cfg_load(NULL, &cfg, &err) != 0) {
		fprintf(stderr, "config: %s\n", err.data);
		free(t);
		return 1;
	}
	struct px_tmpl_cache *cache = px_tmpl_cache_new(tdir, 0);
	for (i = 0; i < n; i++) {
		struct px_request req;
		struct px_response resp;
		struct px_ctx ctx;
		double t0;

		px_request_init(&req);
		px_response_init(&resp);
		req.method = strdup("GET");
		req.path = strdup("/c/1");
		req.raw_path = strdup("/c/1");
		px_kvlist_add(&req.headers, "accept-language", 15, lang, strlen(lang));
		memset(&ctx, 0, sizeof(ctx));
		ctx.req = &req;
		ctx.resp = &resp;
		ctx.cfg = cfg;
		ctx.tmpl = cache;
		ctx.who.user_id = 1;
		ctx.who.session_id = 1;
		snprintf(ctx.who.username, sizeof(ctx.who.username), "alice");
		t0 = now_us();
		if (handle(&ctx, &page, &mine) != PX_OK) {
			fprintf(stderr, "render failed\n");
			goto out;
		}
		t[i] = now_us() - t0;
		bytes = resp.body.len;
		if (i == 0 && getenv("WEB_BENCH_HTML")) {
			FILE *fp = fopen(getenv("WEB_BENCH_HTML"), "w");

			if (fp) {
				fwrite(resp.body.data, 1, resp.body.len, fp);
				fclose(fp);
			}
		}
		px_request_clear(&req);
		px_response_clear(&resp);
	}
	qsort(t, (size_t)n, sizeof(double), cmp);
	printf("channel view, 50 messages, %d renders (lang %s): p50 %.0f us, p90 %.0f us, "
	       "p99 %.0f us; page %zu bytes\n", n, lang, t[n / 2], t[n * 9 / 10],
	       t[n * 99 / 100], bytes);
	rc = 0;
out:
	px_tmpl_cache_free(cache);
	px_buf_free(&page);
	px_buf_free(&mine);
	px_cfg_free(cfg);
	free(t);
	return rc;
}
