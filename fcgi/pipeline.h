/* pipeline.h: the middleware pipeline, in one function and one order:
 * WAF -> correlation id and access log -> authentication -> authorisation
 * -> rate limit -> handler -> error normalisation. */
#ifndef PX_PIPELINE_H
#define PX_PIPELINE_H

#include "fcgi/app.h"
#include "core/db.h"
#include "core/http.h"

/* Serves one request. req holds what the adapter read (method, raw path and
 * query, headers, remote address; body not yet read); pre_err is an error
 * the adapter already found (oversized headers) or PX_OK. The response is
 * complete on return unless it was streamed. */
void px_pipeline_run(struct px_app *app, struct px_db *db,
		     struct px_request *req, struct px_response *resp,
		     enum px_err pre_err) __attribute__((nonnull));

#endif
