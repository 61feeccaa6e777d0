/* web_bench.c: server render time of the channel view with 50 messages,
 * without the database: builds the page data the channel handler builds
 * (from model-shaped JSON), then times px_webpage_render() of page/channel
 * through the shared template cache, including the common page context
 * (translated strings, asset URLs). Prints p50/p90/p99 and the page size.
 * Usage: web_bench SRCDIR [iterations] [lang] */
#include "core/cfg.h"
#include "core/ctx.h"
#include "core/http.h"
#include "core/tmpl.h"
#include "core/webpage.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const bodies[] = {
	"<p>Deploy is done, <strong>all green</strong>. See <a href=\"https://ci.example/123\">build 123</a>.</p>",
	"<p>Can someone review <code>core/tmpl.c</code>? It is about the partial cache.</p>",
	"<ul>\n<li>first point</li>\n<li>second point with <em>emphasis</em></li>\n</ul>",
	"<blockquote>\n<p>quoted text from earlier</p>\n</blockquote>\n<p>Agreed.</p>",
	"<pre><code>make -j2 &amp;&amp; make check\n</code></pre>",
};

static struct json_object *message(long long id)
{
	struct json_object *m = json_object_new_object(), *a = json_object_new_object();
	struct json_object *rs = json_object_new_array(), *r = json_object_new_object();
	char name[32];

	snprintf(name, sizeof(name), "User %lld", id % 7);
	json_object_object_add(a, "display_name", json_object_new_string(name));
	json_object_object_add(a, "initial", json_object_new_string("U"));
	json_object_object_add(m, "id", json_object_new_int64(id));
	json_object_object_add(m, "author", a);
	json_object_object_add(m, "time_iso", json_object_new_string("2026-11-25T10:00:00Z"));
	json_object_object_add(m, "time_text", json_object_new_string("Nov 25, 2026, 10:00"));
	json_object_object_add(m, "body_html", json_object_new_string(bodies[id % 5]));
	json_object_object_add(m, "can_edit", json_object_new_boolean(id % 3 == 0));
	json_object_object_add(r, "emoji", json_object_new_string("\xf0\x9f\x91\x8d"));
	json_object_object_add(r, "count", json_object_new_int(2));
	json_object_array_add(rs, r);
	json_object_object_add(m, "reactions", rs);
	return m;
}

static struct json_object *page_data(void)
{
	struct json_object *d = json_object_new_object(), *c = json_object_new_object();
	struct json_object *msgs = json_object_new_array(), *side = json_object_new_object();
	struct json_object *chans = json_object_new_array();
	long long i;

	json_object_object_add(c, "id", json_object_new_int64(1));
	json_object_object_add(c, "name", json_object_new_string("general"));
	json_object_object_add(c, "topic", json_object_new_string("Everything"));
	for (i = 0; i < 50; i++)
		json_object_array_add(msgs, message(1000 + i));
	for (i = 0; i < 20; i++) {
		struct json_object *s = json_object_new_object();

		json_object_object_add(s, "id", json_object_new_int64(i));
		json_object_object_add(s, "slug", json_object_new_int64(i));
		json_object_object_add(s, "name", json_object_new_string("channel-name"));
		json_object_array_add(chans, s);
	}
	json_object_object_add(side, "channels", chans);
	json_object_object_add(d, "sidebar", side);
	json_object_object_add(d, "channel", c);
	json_object_object_add(d, "messages", msgs);
	json_object_object_add(d, "csrf", json_object_new_string("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"));
	json_object_object_add(d, "live", json_object_new_boolean(1));
	json_object_object_add(d, "older_url", json_object_new_string("/c/1?before=1000"));
	return d;
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

	if (argc < 2 || n < 1 || !t) {
		fprintf(stderr, "usage: web_bench SRCDIR [iterations] [lang]\n");
		return 2;
	}
	snprintf(tdir, sizeof(tdir), "%s/templates", argv[1]);
	snprintf(sdir, sizeof(sdir), "%s/static", argv[1]);
	setenv("PLEXICHAT_STATIC_DIR", sdir, 1);
	if (px_cfg_load(NULL, &cfg, &err) != 0) {
		fprintf(stderr, "config: %s\n", err.data);
		return 1;
	}
	struct px_tmpl_cache *cache = px_tmpl_cache_new(tdir, 0);
	for (i = 0; i < n; i++) {
		struct px_request req;
		struct px_response resp;
		struct px_ctx ctx;
		struct json_object *d = page_data();
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
		if (px_webpage_render(&ctx, 200, "page/channel", d) != PX_OK) {
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
	px_cfg_free(cfg);
	free(t);
	return rc;
}
