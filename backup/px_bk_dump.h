/* px_bk_dump.h: reads a PostgreSQL database through libpq inside one
 * exported snapshot and streams it into a writer: the schema before the
 * data (pg_dump --schema-only --section=pre-data --snapshot=...), every
 * user table with COPY (SELECT ...) TO STDOUT in physical order (no
 * synchronized scans) so unchanged pages give unchanged bytes, or by
 * primary key (key_order), sequence values, and the schema
 * after the data (indexes, constraints, triggers). With jobs > 1 the
 * tables are read in parallel on connections that import the snapshot
 * (SET TRANSACTION SNAPSHOT), the output unchanged. */
#ifndef PX_BK_DUMP_H
#define PX_BK_DUMP_H

#include <json-c/json.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "backup/px_bk_writer.h"

struct px_bk_dump_opts {
	const char *conninfo;
	const char *pg_dump;     /* program; NULL = the server's version, else PATH */
	int binary;              /* COPY in binary format: about 30% cheaper for
				  * the server but 6% larger and 11% worse
				  * compressed; restores only into the same
				  * PostgreSQL major version. Default text. */
	/* > 1: tables are read on this many more connections at once, all in
	 * the one exported snapshot, and written in the serial order (the
	 * output is the serial dump's, byte for byte); 0 or 1: serial */
	int jobs;
	/* tables read in primary key order (one connection each, never in
	 * ranges) instead of physical order */
	int key_order;
	/* told the estimated total bytes before streaming starts */
	void (*on_total)(void *arg, uint64_t bytes);
	void *arg;
};

struct px_bk_dump;

/* Connects, opens the snapshot's transaction, exports the snapshot and
 * starts pg_dump for the schema in the background (so it overlaps with
 * unlocking the store and copying the tables). *out is freed with
 * px_bk_dump_free. Errors: SYSTEM_DB_UNAVAILABLE, SYSTEM_INTERNAL. */
enum px_err px_bk_dump_begin(const struct px_bk_dump_opts *o,
			     struct px_bk_dump **out, struct px_buf *err)
	__attribute__((warn_unused_result));
/* Streams the database into w and fills db (an object) with "database",
 * "server_version", "copy_format", "pre", "post", "tables" [{schema,
 * name, columns, ordered_by, rows, bytes, shards}], "sequences" [{schema,
 * name, value}]. Errors: SYSTEM_DB_UNAVAILABLE, SYSTEM_INTERNAL (a query
 * or pg_dump failed; details in err), and the writer's STORAGE_* errors. */
enum px_err px_bk_dump_run(struct px_bk_dump *d, struct px_bk_writer *w,
			   json_object *db, struct px_buf *err)
	__attribute__((warn_unused_result));
void px_bk_dump_free(struct px_bk_dump *d);

#endif
