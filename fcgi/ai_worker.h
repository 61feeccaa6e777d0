/* ai_worker.h: the background thread of a plexichat.fcgi process that
 * keeps message embeddings up to date (handlers/ai_embed.h), with its own
 * database connection; it stops when the process does. */
#ifndef PX_AI_WORKER_H
#define PX_AI_WORKER_H

#include "fcgi/app.h"

struct px_ai_worker;

/* Starts the thread; NULL when it could not (logged; the process runs
 * on without it). */
struct px_ai_worker *px_ai_worker_start(struct px_app *app, const char *conninfo);
/* Waits for the thread to end (app->stopping must be set) and frees it. */
void px_ai_worker_stop(struct px_ai_worker *w);

#endif
