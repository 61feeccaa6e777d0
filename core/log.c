/* log.c: the unified JSON-lines log sink. Owns the output stream and its
 * lock; everything else logs through px_log_write(). */
#include "core/log.h"
#include "core/buf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_fp;            /* NULL = stderr */
/* read without the lock on every call, written under it on (re)open */
static atomic_int log_min = PX_LOG_INFO;
static int log_buffered;        /* info/debug lines wait for px_log_flush();
				 * guarded by log_lock */

/* Lines kept before a write when buffering: enough for a burst, small
 * enough that a crash loses at most a second of access-log lines. */
#define BUFFER_FLUSH_BYTES (32 * 1024)

static const char *const level_names[] = { "debug", "info", "warn", "error" };

int px_log_level_parse(const char *s)
{
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

int px_log_open(const char *path, enum px_log_level min)
{
	FILE *fp = NULL;
	int rc = 0;

	if (path && *path) {
		fp = fopen(path, "ae");
		if (!fp)
			rc = -1;
		else
			setvbuf(fp, NULL, _IOFBF, BUFFER_FLUSH_BYTES);
	}
	pthread_mutex_lock(&log_lock);
	if (log_fp)
		fclose(log_fp);
	log_fp = fp;
	atomic_store(&log_min, (int)min);
	pthread_mutex_unlock(&log_lock);
	return rc;
}

void px_log_set_buffered(int on)
{
	pthread_mutex_lock(&log_lock);
	log_buffered = on;
	pthread_mutex_unlock(&log_lock);
	if (!on)
		px_log_flush();
}

void px_log_flush(void)
{
	pthread_mutex_lock(&log_lock);
	fflush(log_fp ? log_fp : stderr);
	pthread_mutex_unlock(&log_lock);
}

void px_log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_fp)
		fclose(log_fp);
	log_fp = NULL;
	pthread_mutex_unlock(&log_lock);
}

static void put_kv(struct px_buf *b, const char *key, const char *val)
{
	px_buf_printf(b, ",\"%s\":", key);
	px_buf_json_str(b, val, strlen(val));
}

void px_log_write(enum px_log_level lvl, const char *module,
		  const char *correlation_id, const char *fields_json,
		  const char *file, int line, const char *fmt, ...)
{
	struct px_buf msg = PX_BUF_INIT, out = PX_BUF_INIT;
	struct timeval tv;
	struct tm tm;
	char ts[40];
	va_list ap;

	if ((int)lvl < atomic_load_explicit(&log_min, memory_order_relaxed))
		return;
	va_start(ap, fmt);
	px_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	px_buf_printf(&out, "{\"time\":\"%s.%06ldZ\"", ts, (long)tv.tv_usec);
	put_kv(&out, "level", level_names[lvl]);
	put_kv(&out, "module", module ? module : "-");
	put_kv(&out, "message", msg.data ? msg.data : "");
	if (correlation_id && *correlation_id)
		put_kv(&out, "correlation_id", correlation_id);
	if (fields_json && *fields_json)
		px_buf_printf(&out, ",\"fields\":%s", fields_json);
	px_buf_printf(&out, ",\"src\":\"%s:%d\"}\n", file, line);
	if (!out.failed) {
		FILE *fp;

		pthread_mutex_lock(&log_lock);
		fp = log_fp ? log_fp : stderr;
		fwrite(out.data, 1, out.len, fp);
		/* warnings, errors and audit events are written at once */
		if (!log_buffered || lvl >= PX_LOG_WARN || strcmp(module, "audit") == 0)
			fflush(fp);
		pthread_mutex_unlock(&log_lock);
	}
	px_buf_free(&msg);
	px_buf_free(&out);
}
