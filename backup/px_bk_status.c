/* px_bk_status.c: writes backup_status rows with one parameterised INSERT. */
#include "backup/px_bk_status.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char SQL_INSERT[] =
	"INSERT INTO backup_status (started_at, finished_at, ok, command, snapshot, "
	"store, host, bytes_total, bytes_uploaded, shards_total, shards_new, "
	"duration_ms, error_code, error_message) VALUES "
	"(to_timestamp($1::double precision), to_timestamp($2::double precision), "
	"$3::boolean, $4, $5, $6, $7, $8::bigint, $9::bigint, $10::bigint, "
	"$11::bigint, $12::bigint, $13, $14)";

static double secs(const struct timespec *t)
{
	return (double)t->tv_sec + t->tv_nsec / 1e9;
}

enum px_err px_bk_status_record(const char *conninfo, const struct px_bk_status *s,
				struct px_buf *err)
{
	char v[10][32], host[128];
	const char *p[14];
	PGconn *c = PQconnectdb(conninfo);
	PGresult *res = NULL;
	enum px_err rc = PX_E_SYSTEM_DB_UNAVAILABLE;
	long long ms;

	if (PQstatus(c) != CONNECTION_OK) {
		px_buf_printf(err, "%s", PQerrorMessage(c));
		goto out;
	}
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	ms = (long long)((secs(&s->finished) - secs(&s->started)) * 1000);
	snprintf(v[0], 32, "%.6f", secs(&s->started));
	snprintf(v[1], 32, "%.6f", secs(&s->finished));
	snprintf(v[2], 32, "%s", s->ok ? "true" : "false");
	snprintf(v[3], 32, "%llu", (unsigned long long)s->bytes_total);
	snprintf(v[4], 32, "%llu", (unsigned long long)s->bytes_uploaded);
	snprintf(v[5], 32, "%llu", (unsigned long long)s->shards_total);
	snprintf(v[6], 32, "%llu", (unsigned long long)s->shards_new);
	snprintf(v[7], 32, "%lld", ms);
	p[0] = v[0];
	p[1] = v[1];
	p[2] = v[2];
	p[3] = s->command;
	p[4] = s->snapshot;
	p[5] = s->store;
	p[6] = host;
	p[7] = v[3];
	p[8] = v[4];
	p[9] = v[5];
	p[10] = v[6];
	p[11] = v[7];
	p[12] = s->ok ? NULL : px_err_name(s->error);
	p[13] = s->ok ? NULL : s->error_message;
	res = PQexecParams(c, SQL_INSERT, 14, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		px_buf_printf(err, "%s", PQerrorMessage(c));
		rc = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	rc = PX_OK;
out:
	while (err->len && err->data[err->len - 1] == '\n')
		err->data[--err->len] = '\0';
	PQclear(res);
	PQfinish(c);
	return rc;
}
