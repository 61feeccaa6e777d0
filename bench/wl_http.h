/* wl_http.h: parsing and framing helpers of bench/workload.c. */
#ifndef WL_HTTP_H
#define WL_HTTP_H

#include <stddef.h>

/* The integer after "key": in p[0..n), -1 when absent. Tolerates the
 * spaces PostgreSQL's JSON puts after colons. */
long long wl_json_int(const char *p, size_t n, const char *key);
/* Length of the complete HTTP response at the start of buf (Content-Length,
 * chunked, no body for 204/304, or to the close when closed), 0 when more
 * is needed. */
size_t wl_http_complete(char *buf, size_t len, int closed);
/* A masked client text frame of json into f; its length, 0 if too big. */
size_t wl_ws_frame(unsigned char *f, size_t cap, const char *json);

#endif
