/* main.c: plexichat.fcgi start-up, worker threads and shutdown.
 *
 * Runs when spawned by a web server (listening socket on fd 0), on its own
 * socket (config key listen), or as plain CGI for one request. SIGTERM and
 * SIGINT stop accepting, let in-flight requests finish and exit; SIGHUP
 * reloads the configuration. */
#include "fcgi/ai_worker.h"
#include "fcgi/adapter.h"
#include "fcgi/app.h"
#include "fcgi/heartbeat.h"
#include "fcgi/hooks_worker.h"
#include "fcgi/notifier.h"
#include "fcgi/openapi.h"
#include "fcgi/pipeline.h"
#include "fcgi/waker.h"
#include "config.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/dirs.h"
#include "core/gen.h"
#include "core/log.h"
#include "core/memtrim.h"
#include "core/migrate.h"
#include "core/node.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

struct worker {
	struct px_app *app;
	pthread_t thread;
	pthread_mutex_t *accept_lock;
	char *conninfo;
};

static void serve(struct px_app *app, struct px_db *db, char **envp,
		  const struct px_stream_ops *ops, void *io)
{
	struct px_request req;
	struct px_response resp;
	enum px_err pre;

	px_request_init(&req);
	px_response_init(&resp);
	resp.ops = ops;
	resp.io = io;
	pre = px_adapter_build(envp, &req);
	if (pre == PX_OK && px_app_cfg_exposed(app, FCGX_GetParam("DOCUMENT_ROOT", envp)))
		pre = PX_E_SYSTEM_INTERNAL;
	px_pipeline_run(app, db, &req, &resp, pre);
	if (px_adapter_finish(&resp, strcmp(req.method, "HEAD") == 0) != 0)
		px_log_debug("fcgi", req.correlation_id, "client went away");
	px_request_clear(&req);
	px_response_clear(&resp);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct px_db *db = px_db_new(w->conninfo);
	FCGX_Request r;

	/* No JIT: at millions of messages the planner's estimates for search
	 * and the channel list pass jit_above_cost, and compiling (50-200 ms
	 * measured, bench/scale-bench.sh) costs more than these short
	 * statements ever run. */
	if (db && px_db_add_options(db, "-c jit=off") != 0)
		px_log_warn("fcgi", NULL, "JIT stays on for request workers");
	/* the waker sends the event notices of this session's commits */
	if (db && px_waker_running() &&
	    px_db_add_options(db, "-c px.wake=after_commit") != 0)
		px_log_warn("fcgi", NULL, "event notices stay in each transaction");
	if (!db || FCGX_InitRequest(&r, w->app->listen_fd, 0) != 0) {
		px_log_error("fcgi", NULL, "worker start failed");
		px_db_free(db);
		return NULL;
	}
	while (!w->app->stopping) {
		int rc;

		pthread_mutex_lock(w->accept_lock);
		rc = w->app->stopping ? -1 : FCGX_Accept_r(&r);
		pthread_mutex_unlock(w->accept_lock);
		if (rc < 0)
			break;
		/* before serving, so that a process that sat idle in accept (as
		 * under mod_fcgid) never answers with a stale config or IP list */
		px_app_maybe_reload(w->app);
		serve(w->app, db, r.envp, &px_adapter_fcgx_ops, &r);
		px_adapter_end(&r);
		/* a count only: nothing else is published with it */
		atomic_fetch_add_explicit(&w->app->served, 1, memory_order_relaxed);
	}
	FCGX_Free(&r, 1);
	px_db_free(db);
	return NULL;
}

static int check_schema(const char *conninfo, const char *sql_dir)
{
	struct px_db *db = px_db_new(conninfo);
	struct px_buf err = PX_BUF_INIT;
	int pending = db ? px_migrate_pending(db, sql_dir, NULL, &err) : -1;
	int rc = 0;

	if (pending < 0) {
		fprintf(stderr, "plexichat.fcgi: cannot check the database schema: %s\n",
			err.data ? err.data : "out of memory");
		rc = -1;
	} else if (pending > 0) {
		fprintf(stderr, "plexichat.fcgi: the database schema is stale: %d "
			"migration(s) in %s are not applied; run `plexichat-admin "
			"migrate` first\n", pending, sql_dir);
		rc = -1;
	}
	px_buf_free(&err);
	px_db_free(db);
	return rc;
}

static int open_listener(struct px_app *app, const char *listen)
{
	if (!*listen) {
		app->listen_fd = 0; /* FCGI_LISTENSOCK_FILENO, set up by the web server */
	} else {
		app->listen_fd = FCGX_OpenSocket(listen, 4096); /* capped by somaxconn */
		if (app->listen_fd < 0) {
			fprintf(stderr, "plexichat.fcgi: cannot listen on %s\n", listen);
			return -1;
		}
		/* The web server runs as another user; the socket's folder guards it. */
		if (listen[0] == '/' && chmod(listen, 0666) != 0)
			fprintf(stderr, "plexichat.fcgi: chmod %s: %s\n", listen,
				strerror(errno));
	}
	return 0;
}

/* The machine's change generation lives in the run folder, which every
 * process of this installation shares; without it nothing is cached. */
static void open_generation(void)
{
	struct px_buf path = PX_BUF_INIT;

	px_buf_printf(&path, "%s/generation", px_dirs_path(PX_DIR_RUN));
	if (path.failed || px_gen_open(path.data) != 0)
		px_log_warn("fcgi", NULL, "%s: %s; token lookups are not cached",
			    path.failed ? "generation" : path.data, strerror(errno));
	px_buf_free(&path);
}

/* What the main thread knows of the workers' activity. */
struct idle {
	unsigned long served;   /* the count at the last look */
	time_t since;           /* when it last changed */
	int pending;            /* requests were served since the last release */
};

/* Once the process has been quiet for idle_release_seconds (and once just
 * after start-up, when nothing came in yet), gives back what start-up and
 * the last burst of requests left mapped but unused (core/memtrim.h). */
static void release_when_idle(struct px_app *app, struct idle *idle)
{
	unsigned long served = atomic_load_explicit(&app->served, memory_order_relaxed);
	time_t now = time(NULL);
	struct px_snap_ref *ref;
	long long wait = px_cfg_int(px_app_cfg_acquire(app, &ref), "idle_release_seconds");

	px_app_cfg_release(app, ref);
	if (served != idle->served) {
		idle->served = served;
		idle->since = now;
		idle->pending = 1;
		return;
	}
	if (!idle->pending || wait == 0 || now - idle->since < wait)
		return;
	idle->pending = 0;
	px_log_debug("fcgi", NULL, "idle: %zu KiB of clean file pages released",
		     px_memtrim() / 1024);
}

/* Waits for signals in the main thread until asked to stop. */
static void signal_loop(struct px_app *app, const sigset_t *set)
{
	struct timespec tick = { 1, 0 };
	struct idle idle = { 0, 0, 1 };

	px_log_set_buffered(1);
	for (;;) {
		int sig = sigtimedwait(set, NULL, &tick);

		/* once a second (or on a signal) buffered log lines go out */
		px_log_flush();
		release_when_idle(app, &idle);
		if (sig < 0)
			continue;
		if (sig == SIGHUP) {
			app->reload_requested = 1;
			px_log_info("fcgi", NULL, "SIGHUP: configuration reload requested");
			continue;
		}
		if (sig == SIGTERM || sig == SIGINT) {
			px_log_info("fcgi", NULL, "stopping: finishing in-flight requests");
			app->stopping = 1;
			/* wakes the thread blocked in accept() */
			shutdown(app->listen_fd, SHUT_RDWR);
			return;
		}
	}
}

static int run_threads(struct px_app *app, const struct px_cfg *cfg,
		       const char *conninfo)
{
	int n = (int)px_cfg_int(cfg, "workers"), i, started = 0;
	pthread_mutex_t accept_lock = PTHREAD_MUTEX_INITIALIZER;
	struct px_hooks_workers *senders = NULL;
	struct worker *w = calloc((size_t)n, sizeof(*w));
	struct px_notifier notifier = { 0 };
	struct px_heartbeat *hb;
	struct px_ai_worker *embedder = NULL;
	sigset_t set;

	if (!w)
		return -1;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* the node registry: this process's row, heartbeats and drain flag */
	hb = px_heartbeat_start(app, conninfo);
	/* without it every post notifies in its own transaction, as before */
	if (px_waker_start(conninfo) != 0)
		px_log_warn("fcgi", NULL, "event waker did not start");
	for (i = 0; i < n; i++) {
		w[i].app = app;
		w[i].accept_lock = &accept_lock;
		w[i].conninfo = (char *)conninfo;
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0)
			break;
		started++;
	}
	if (started && px_cfg_bool(cfg, "ai_embed_worker"))
		embedder = px_ai_worker_start(app, conninfo);
	px_log_info("fcgi", NULL, "plexichat.fcgi %s ready with %d workers",
		    PACKAGE_VERSION, started);
	/* without it the site still serves; mail and push wait for cron */
	if (started && px_notifier_start(&notifier, app, (char *)conninfo) != 0)
		px_log_warn("fcgi", NULL, "run `plexichat-admin notify` from cron instead");
	if (started) {
		senders = px_hooks_workers_start(app, conninfo,
						 (int)px_cfg_int(cfg, "hooks_senders"));
		signal_loop(app, &set);
	}
	app->stopping = 1;
	for (i = 0; i < started; i++)
		pthread_join(w[i].thread, NULL);
	px_waker_stop();
	px_hooks_workers_join(senders);
	px_notifier_join(&notifier);
	px_heartbeat_stop(hb);
	px_ai_worker_stop(embedder);
	px_log_set_buffered(0);
	free(w);
	return started ? 0 : -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: plexichat.fcgi [-c CONFIG]\n"
			"       plexichat.fcgi --openapi\n"
			"  CONFIG defaults to $PLEXICHAT_CONFIG, else plexichat.conf beside the program;\n"
			"  PLEXICHAT_* variables override keys.\n"
			"  --openapi prints the OpenAPI description and exits.\n");
}

/* --openapi: the description on stdout, or the routes it cannot
 * describe on stderr (the build and the tests rely on the exit code). */
static int print_openapi(void)
{
	struct px_buf doc = PX_BUF_INIT, problems = PX_BUF_INIT;
	int rc = 1;

	if (px_openapi_build(&doc, &problems) == 0)
		rc = fwrite(doc.data, 1, doc.len, stdout) == doc.len && fflush(stdout) == 0 ? 0 : 1;
	else
		fprintf(stderr, "plexichat.fcgi: cannot describe the API:\n%s",
			problems.data ? problems.data : "out of memory\n");
	px_buf_free(&doc);
	px_buf_free(&problems);
	return rc;
}

int main(int argc, char **argv)
{
	const char *cfg_path = NULL;
	struct px_buf err = PX_BUF_INIT, conninfo = PX_BUF_INIT, found = PX_BUF_INIT;
	struct px_app app;
	const struct px_cfg *cfg;
	struct px_snap_ref *ref;
	int opt, rc = 1;

	if (argc == 2 && strcmp(argv[1], "--openapi") == 0)
		return print_openapi();
	while ((opt = getopt(argc, argv, "c:h")) != -1) {
		if (opt == 'c') {
			cfg_path = optarg;
		} else {
			usage();
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	/* Large blocks (Argon2's 19 MiB, big bodies) always come from mmap and
	 * go back to the system when freed, instead of staying in each worker
	 * thread's malloc arena after glibc raises its dynamic threshold. */
	mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	/* Free memory at the top of a worker's arena is kept up to the same
	 * size instead of glibc's 128 KiB: at 128 KiB every answer of 100 KiB
	 * or more (the channel list of a user in 200 channels) gave its pages
	 * back with madvise() and faulted them in again on the next request,
	 * a fifth of the process's CPU in TLB shoot-downs (perf, GET
	 * /api/v1/channels at 10 M messages). The idle release (px_memtrim)
	 * still returns it when the process rests. */
	mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
	/* -c, PLEXICHAT_CONFIG, or plexichat.conf beside the program: under
	 * .htaccess mod_fcgid starts us with no environment of our choosing */
	cfg_path = px_cfg_locate(cfg_path, &found);
	if (px_app_init(&app, cfg_path, &err) != 0) {
		fprintf(stderr, "plexichat.fcgi: configuration error: %s\n",
			err.data ? err.data : "out of memory");
		px_buf_free(&err);
		px_buf_free(&found);
		return 2;
	}
	cfg = px_app_cfg_acquire(&app, &ref);
	if (px_log_open(px_cfg_str(cfg, "log_file"),
			(enum px_log_level)px_log_level_parse(px_cfg_str(cfg, "log_level"))) != 0)
		fprintf(stderr, "plexichat.fcgi: cannot open log file, using stderr\n");
	if (px_dirs_init(px_cfg_str(cfg, "data_dir"), &err) != 0) {
		fprintf(stderr, "plexichat.fcgi: data folder: %s\n", err.data);
		goto out;
	}
	px_db_conninfo(px_cfg_str(cfg, "db_conninfo"), px_cfg_str(cfg, "db_password"),
		       &conninfo);
	if (conninfo.failed || check_schema(conninfo.data, px_cfg_str(cfg, "sql_dir")) != 0)
		goto out;
	/* libvips starts with the first image (handlers/files_image.c, once
	 * under pthread_once, which its VIPS_INIT allows from any thread): a
	 * process that never sees one does not carry its ~4 MiB */
	if (FCGX_Init() != 0 || open_listener(&app, px_cfg_str(cfg, "listen")) != 0)
		goto out;
	open_generation();
	px_node_init(px_cfg_str(cfg, "node_address"));
	/* libfcgi installs its own SIGPIPE handler; a write to a web server
	 * that hung up should fail with EPIPE, not cost a signal */
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_IsCGI() && !*px_cfg_str(cfg, "listen")) {
		struct px_db *db = px_db_new(conninfo.data);

		if (db)
			serve(&app, db, environ, &px_adapter_stdio_ops, NULL);
		px_db_free(db);
		rc = db ? 0 : 1;
		goto out;
	}
	rc = run_threads(&app, cfg, conninfo.data) == 0 ? 0 : 1;
	px_log_info("fcgi", NULL, "stopped");
out:
	px_app_cfg_release(&app, ref);
	px_app_free(&app);
	px_buf_free(&err);
	px_buf_free(&conninfo);
	px_buf_free(&found);
	px_log_close();
	return rc;
}
