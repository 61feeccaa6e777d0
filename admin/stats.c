/* admin/stats.c: plexichat-admin stats. Counts come from PostgreSQL
 * (model/ops), data_dir's size from walking it, and requests per route
 * from the plexichat_http_requests_total lines of the server's metrics
 * (GET public_url/api/v1/system/metrics, open to loopback when
 * metrics_loopback is on). Each source may be unavailable; the others are
 * still printed, and the JSON says which were not. */
#include "admin/stats.h"

#include "admin/probe.h"
#include "core/cfg.h"
#include "model/ops.h"

#include <fts.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct route {
	char route[160];
	long long total, by_class[6]; /* by_class[k]: status kxx, [0] others */
};

struct routes {
	struct route *r;
	size_t n, cap;
};

/* Adds one "plexichat_http_requests_total{route="R",status="S"} N" line. */
static void add_metric_line(struct routes *rs, const char *line)
{
	const char *p = line + strlen("plexichat_http_requests_total{"), *q;
	char route[160] = "";
	int status = 0;
	long long n;
	size_t i;

	while (*p && *p != '}') {
		if (strncmp(p, "route=\"", 7) == 0) {
			q = strchr(p + 7, '"');
			if (!q)
				return;
			snprintf(route, sizeof(route), "%.*s", (int)(q - p - 7), p + 7);
			p = q + 1;
		} else if (strncmp(p, "status=\"", 8) == 0) {
			status = atoi(p + 8);
			q = strchr(p + 8, '"');
			if (!q)
				return;
			p = q + 1;
		} else {
			p++;
		}
	}
	if (*p != '}' || !route[0])
		return;
	n = atoll(p + 1);
	for (i = 0; i < rs->n && strcmp(rs->r[i].route, route) != 0; i++)
		;
	if (i == rs->n) {
		if (rs->n == rs->cap) {
			struct route *t;

			rs->cap = rs->cap ? rs->cap * 2 : 32;
			t = realloc(rs->r, rs->cap * sizeof(*t));
			if (!t)
				return;
			rs->r = t;
		}
		memset(&rs->r[i], 0, sizeof(rs->r[i]));
		snprintf(rs->r[i].route, sizeof(rs->r[i].route), "%s", route);
		rs->n++;
	}
	rs->r[i].total += n;
	rs->r[i].by_class[status >= 100 && status < 600 ? status / 100 : 0] += n;
}

static int by_total(const void *x, const void *y)
{
	const struct route *a = x, *b = y;

	return a->total < b->total ? 1 : a->total > b->total ? -1 : strcmp(a->route, b->route);
}

static void parse_metrics(const char *text, struct routes *rs)
{
	const char *line = text, *end;
	char buf[512];

	for (; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (strncmp(line, "plexichat_http_requests_total{", 30) != 0)
			continue;
		snprintf(buf, sizeof(buf), "%.*s", (int)(end ? end - line : (long)strlen(line)), line);
		add_metric_line(rs, buf);
	}
	if (rs->n)
		qsort(rs->r, rs->n, sizeof(*rs->r), by_total);
}

/* Bytes of the regular files under dir (not following links), or -1 when
 * dir cannot be read. */
static long long dir_bytes(const char *dir)
{
	char *paths[2] = { (char *)dir, NULL };
	FTS *f = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	const FTSENT *e;
	long long sum = 0;

	if (!f)
		return -1;
	while ((e = fts_read(f)) != NULL) {
		if (e->fts_level == 0 && (e->fts_info == FTS_NS || e->fts_info == FTS_ERR)) {
			sum = -1;
			break;
		}
		if (e->fts_info == FTS_F)
			sum += (long long)e->fts_statp->st_size;
	}
	fts_close(f);
	return sum;
}

int admin_cmd_stats(struct admin *a, int argc, char **argv)
{
	struct px_buf body = PX_BUF_INIT, err = PX_BUF_INIT, j = PX_BUF_INIT;
	struct px_m_ops_stats s;
	struct routes rs = { NULL, 0, 0 };
	const char *t = admin_opt_value(argc, argv, "--timeout");
	const char *url = px_cfg_str(a->cfg, "public_url");
	const char *dd = px_cfg_str(a->cfg, "data_dir");
	int json = admin_has_flag(argc, argv, "--json"), db_ok, web_ok;
	long long ddb = dir_bytes(dd);
	long status;
	size_t i;

	db_ok = px_m_ops_stats(a->db, &s) == PX_OK;
	status = admin_probe_get(url, "/api/v1/system/metrics", t ? atol(t) : 3, &body, &err);
	web_ok = status == 200;
	if (web_ok)
		parse_metrics(body.data ? body.data : "", &rs);
	else if (status > 0)
		px_buf_printf(&err, "%s/api/v1/system/metrics answered %ld (is metrics_loopback on?)", url, status);
	if (json) {
		px_buf_putc(&j, '{');
		if (db_ok) {
			px_buf_printf(&j, "\"users\":{\"active\":%lld,\"deactivated\":%lld},"
				      "\"channels\":{\"public\":%lld,\"private\":%lld,\"dm\":%lld,\"group\":%lld,"
				      "\"archived\":%lld},\"messages\":{\"total\":%lld,\"last_24h\":%lld},",
				      s.users_active, s.users_deactivated, s.ch_public, s.ch_private, s.ch_dm,
				      s.ch_group, s.ch_archived, s.messages_total, s.messages_24h);
		} else {
			px_buf_puts(&j, "\"users\":null,\"channels\":null,\"messages\":null,");
		}
		px_buf_puts(&j, "\"storage\":{");
		if (db_ok)
			admin_json_kv_int(&j, "database_bytes", s.db_bytes);
		else
			px_buf_puts(&j, "\"database_bytes\":null");
		if (ddb >= 0)
			admin_json_kv_int(&j, "data_dir_bytes", ddb);
		else
			px_buf_puts(&j, ",\"data_dir_bytes\":null");
		px_buf_puts(&j, "},\"requests\":");
		if (web_ok) {
			px_buf_putc(&j, '{');
			for (i = 0; i < rs.n; i++) {
				px_buf_puts(&j, i ? "," : "");
				px_buf_json_str(&j, rs.r[i].route, strlen(rs.r[i].route));
				px_buf_printf(&j, ":{\"total\":%lld,\"2xx\":%lld,\"3xx\":%lld,\"4xx\":%lld,\"5xx\":%lld}",
					      rs.r[i].total, rs.r[i].by_class[2], rs.r[i].by_class[3],
					      rs.r[i].by_class[4], rs.r[i].by_class[5]);
			}
			px_buf_putc(&j, '}');
		} else {
			px_buf_puts(&j, "null");
		}
		px_buf_puts(&j, ",\"unavailable\":{");
		if (!db_ok)
			admin_json_kv(&j, "database", "cannot read the database");
		if (!web_ok)
			admin_json_kv(&j, "metrics", err.data ? err.data : "no answer");
		px_buf_puts(&j, "}}");
		(void)admin_put_line(&j);
	} else {
		char h1[32], h2[32];

		if (db_ok) {
			printf("users       %lld active, %lld deactivated\n", s.users_active, s.users_deactivated);
			printf("channels    %lld public, %lld private, %lld direct, %lld group (%lld archived)\n",
			       s.ch_public, s.ch_private, s.ch_dm, s.ch_group, s.ch_archived);
			printf("messages    %lld, %lld in the last 24 h\n", s.messages_total, s.messages_24h);
			admin_human_bytes(h1, sizeof(h1), s.db_bytes);
		} else {
			printf("users, channels, messages: database unavailable\n");
			snprintf(h1, sizeof(h1), "unavailable");
		}
		if (ddb >= 0)
			admin_human_bytes(h2, sizeof(h2), ddb);
		else
			snprintf(h2, sizeof(h2), "unreadable");
		printf("storage     database %s, data_dir %s (%s)\n", h1, h2, dd);
		if (!web_ok) {
			printf("requests    server not reachable: %s\n", err.data ? err.data : "");
		} else {
			printf("requests    since each process started, per route:\n");
			printf("  %10s %8s %8s %8s  %s\n", "total", "2xx", "4xx", "5xx", "route");
			for (i = 0; i < rs.n; i++)
				printf("  %10lld %8lld %8lld %8lld  %s\n", rs.r[i].total, rs.r[i].by_class[2],
				       rs.r[i].by_class[4], rs.r[i].by_class[5], rs.r[i].route);
		}
	}
	free(rs.r);
	px_buf_free(&body);
	px_buf_free(&err);
	px_buf_free(&j);
	return db_ok ? 0 : 1;
}
