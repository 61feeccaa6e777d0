/* px_bk_dump.h: reads a PostgreSQL database through libpq inside one
 * exported snapshot and streams it into a writer: the schema before the
 * data (pg_dump --schema-only --section=pre-data --snapshot=...), every
 * user table with COPY (SELECT ... ORDER BY its primary key) TO STDOUT so
 * unchanged rows give unchanged bytes, sequence values, and the schema
 * after the data (indexes, constraints, triggers). */
#ifndef PX_BK_DUMP_H
#define PX_BK_DUMP_H

#include <json-c/json.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "px_bk_writer.h"

struct px_bk_dump_opts {
	const char *conninfo;
	const char *pg_dump;     /* program; NULL = the server's version, else PATH */
	int text;                /* COPY in text format (default binary: cheaper
				  * for the server, same major version to restore) */
	/* told the estimated total bytes before streaming starts */
	void (*on_total)(void *arg, uint64_t bytes);
	void *arg;
};

/* Streams the database into w and fills db (an object) with "database",
 * "server_version", "copy_format", "pre", "post", "tables" [{schema,
 * name, columns, ordered_by, rows, bytes, shards}], "sequences" [{schema,
 * name, value}]. Errors: SYSTEM_DB_UNAVAILABLE (cannot connect),
 * SYSTEM_INTERNAL (a query or pg_dump failed; details in err), and the
 * writer's STORAGE_* errors. */
enum px_err px_bk_dump_db(const struct px_bk_dump_opts *o, struct px_bk_writer *w,
			  json_object *db, struct px_buf *err)
	__attribute__((warn_unused_result));

#endif
