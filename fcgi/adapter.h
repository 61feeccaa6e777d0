/* adapter.h: the only code that knows libfcgi. Turns an FCGX request (or a
 * plain CGI environment) into a px_request and writes px_response back. */
#ifndef PX_ADAPTER_H
#define PX_ADAPTER_H

#include <fcgiapp.h>

#include "core/http.h"

/* Fills req from a CGI-style environment (NULL-terminated "K=V" array).
 * Returns PX_OK or VALIDATION_HEADERS_TOO_LARGE / VALIDATION_FAILED, or
 * VALIDATION_PAYLOAD_TOO_LARGE for a web server's error redirect with
 * REDIRECT_STATUS 413; the request is filled as far as it could be either way. */
enum px_err px_adapter_build(char **envp, struct px_request *req) __attribute__((nonnull));

/* I/O over an FCGX request's streams, for px_response.ops. */
extern const struct px_stream_ops px_adapter_fcgx_ops;
/* I/O over stdin/stdout, for running as plain CGI. */
extern const struct px_stream_ops px_adapter_stdio_ops;

/* Writes status, headers and body unless the response was streamed.
 * head_only omits the body (HEAD requests). Returns 0 or -1. */
int px_adapter_finish(struct px_response *resp, int head_only) __attribute__((nonnull));

/* Ends the request (FCGX_Finish_r), closing at once when its input has
 * been read to its end. */
void px_adapter_end(FCGX_Request *r) __attribute__((nonnull));

#endif
