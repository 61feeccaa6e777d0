/* main.c: plexichat-ws start-up. Reads the same configuration as
 * plexichat.fcgi, checks the schema is current, listens on ws_listen
 * (default: the run folder's ws.sock) and serves until SIGTERM. */
#include "ws/wsd.h"
#include "config.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/dirs.h"
#include "core/gen.h"
#include "core/log.h"
#include "core/migrate.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: plexichat-ws [-c CONFIG]\n"
			"  CONFIG defaults to $PLEXICHAT_CONFIG; PLEXICHAT_* variables override keys.\n");
}

static int check_schema(const char *conninfo, const char *sql_dir)
{
	struct px_db *db = px_db_new(conninfo);
	struct px_buf err = PX_BUF_INIT;
	int pending = db ? px_migrate_pending(db, sql_dir, NULL, &err) : -1;

	if (pending != 0)
		fprintf(stderr, "plexichat-ws: %s\n", pending < 0 ? (err.data ? err.data : "no database")
			: "the database schema is stale; run `plexichat-admin migrate` first");
	px_buf_free(&err);
	px_db_free(db);
	return pending == 0 ? 0 : -1;
}

/* Each socket is a descriptor: allow as many as the hard limit does. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			px_log_warn("ws", NULL, "cannot raise the descriptor limit");
	}
}

/* The shared change generation (core/gen.h): the frames' requests change
 * things, and the FastCGI processes' caches must hear of it. */
static void open_generation(void)
{
	struct px_buf path = PX_BUF_INIT;

	px_buf_printf(&path, "%s/generation", px_dirs_path(PX_DIR_RUN));
	if (path.failed || px_gen_open(path.data) != 0)
		px_log_warn("ws", NULL, "%s: %s", path.failed ? "generation" : path.data,
			    strerror(errno));
	px_buf_free(&path);
}

static int serve(struct px_app *app, const struct px_cfg *cfg, const char *conninfo)
{
	struct px_buf err = PX_BUF_INIT, path = PX_BUF_INIT;
	struct px_wsd *d;
	int rc = 1;

	if (*px_cfg_str(cfg, "ws_listen"))
		px_buf_puts(&path, px_cfg_str(cfg, "ws_listen"));
	else
		px_buf_printf(&path, "%s/ws.sock", px_dirs_path(PX_DIR_RUN));
	d = path.failed ? NULL : px_wsd_new(app, path.data, conninfo, &err);
	if (!d) {
		fprintf(stderr, "plexichat-ws: %s\n", err.data ? err.data : "out of memory");
	} else {
		px_log_info("ws", NULL, "plexichat-ws %s starting", PACKAGE_VERSION);
		rc = px_wsd_run(d) == 0 ? 0 : 1;
		px_log_info("ws", NULL, "plexichat-ws stopped");
	}
	px_wsd_free(d);
	px_buf_free(&err);
	px_buf_free(&path);
	return rc;
}

int main(int argc, char **argv)
{
	const char *cfg_path = getenv("PLEXICHAT_CONFIG");
	struct px_buf err = PX_BUF_INIT, conninfo = PX_BUF_INIT;
	struct px_snap_ref *ref = NULL;
	const struct px_cfg *cfg;
	struct px_app app;
	int opt, rc = 1;

	while ((opt = getopt(argc, argv, "c:h")) != -1) {
		if (opt == 'c') {
			cfg_path = optarg;
		} else {
			usage();
			return opt == 'h' ? 0 : 2;
		}
	}
	if (px_app_init(&app, cfg_path, &err) != 0) {
		fprintf(stderr, "plexichat-ws: configuration error: %s\n",
			err.data ? err.data : "out of memory");
		px_app_free(&app);
		px_buf_free(&err);
		return 2;
	}
	cfg = px_app_cfg_acquire(&app, &ref);
	if (px_log_open(px_cfg_str(cfg, "log_file"),
			(enum px_log_level)px_log_level_parse(px_cfg_str(cfg, "log_level"))) != 0)
		fprintf(stderr, "plexichat-ws: cannot open log file, using stderr\n");
	if (px_dirs_init(px_cfg_str(cfg, "data_dir"), &err) != 0) {
		fprintf(stderr, "plexichat-ws: data folder: %s\n", err.data);
		goto out;
	}
	px_db_conninfo(px_cfg_str(cfg, "db_conninfo"), px_cfg_str(cfg, "db_password"),
		       &conninfo);
	if (conninfo.failed || check_schema(conninfo.data, px_cfg_str(cfg, "sql_dir")) != 0)
		goto out;
	raise_fd_limit();
	open_generation();
	signal(SIGPIPE, SIG_IGN);
	rc = serve(&app, cfg, conninfo.data);
out:
	px_app_cfg_release(&app, ref);
	px_app_free(&app);
	px_buf_free(&err);
	px_buf_free(&conninfo);
	px_log_close();
	return rc;
}
