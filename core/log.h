/* log.h: unified JSON-lines logging.
 *
 * One line per event: {"time","level","module","message","correlation_id",
 * "fields",...,"src"}. Control characters are escaped so lines cannot be
 * forged. The sink (stderr or a file) is owned by this module and set once
 * at start-up with px_log_open(); writes are serialised by a mutex. */
#ifndef PX_LOG_H
#define PX_LOG_H

enum px_log_level { PX_LOG_DEBUG, PX_LOG_INFO, PX_LOG_WARN, PX_LOG_ERROR };

/* Opens path for appending (NULL or "" = stderr) and sets the minimum
 * level. Returns 0, or -1 when the file cannot be opened (stderr stays). */
int px_log_open(const char *path, enum px_log_level min);
void px_log_close(void);
/* With buffering on, debug and info lines are written when the buffer
 * fills or at px_log_flush(); warnings, errors and audit lines always at
 * once. The server flushes every second. Off by default. */
void px_log_set_buffered(int on);
void px_log_flush(void);
/* Parses "debug", "info", "warn", "error"; -1 when unknown. */
int px_log_level_parse(const char *s) __attribute__((nonnull));

/* fields_json: NULL or a JSON object text merged under "fields"; module
 * and correlation_id may be NULL too. */
void px_log_write(enum px_log_level lvl, const char *module,
		  const char *correlation_id, const char *fields_json,
		  const char *file, int line, const char *fmt, ...)
	__attribute__((nonnull(5, 7), format(printf, 7, 8)));

#define px_log_debug(mod, cid, ...) \
	px_log_write(PX_LOG_DEBUG, mod, cid, NULL, __FILE__, __LINE__, __VA_ARGS__)
#define px_log_info(mod, cid, ...) \
	px_log_write(PX_LOG_INFO, mod, cid, NULL, __FILE__, __LINE__, __VA_ARGS__)
#define px_log_warn(mod, cid, ...) \
	px_log_write(PX_LOG_WARN, mod, cid, NULL, __FILE__, __LINE__, __VA_ARGS__)
#define px_log_error(mod, cid, ...) \
	px_log_write(PX_LOG_ERROR, mod, cid, NULL, __FILE__, __LINE__, __VA_ARGS__)
/* With structured fields: px_log_fields(PX_LOG_INFO, "waf", cid, "{\"rule\":1}", "blocked") */
#define px_log_fields(lvl, mod, cid, fields, ...) \
	px_log_write(lvl, mod, cid, fields, __FILE__, __LINE__, __VA_ARGS__)

#endif
