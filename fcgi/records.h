/* records.h: FastCGI records PlexiChat writes itself, past libfcgi's 8 KB
 * stream buffer: for event streams the hub owns, and for answers sent to
 * the web server in a single write. */
#ifndef PX_RECORDS_H
#define PX_RECORDS_H

#include <fcgiapp.h>
#include <stddef.h>

/* Writes n bytes as FCGI_STDOUT records of request id; 0 or -1. */
int px_records_stdout(int fd, int id, const void *p, size_t n);
/* Ends request id: an empty FCGI_STDOUT and FCGI_END_REQUEST; 0 or -1. */
int px_records_end(int fd, int id);
/* A whole answer in one write: head and body as FCGI_STDOUT records, then
 * the end records. 0 or -1. */
int px_records_answer(int fd, int id, const void *head, size_t hn,
		      const void *body, size_t bn);
/* Takes r's connection out of libfcgi's hands after its buffered output
 * went out: its streams are marked closed, so FCGX_Finish_r neither writes
 * FCGI_END_REQUEST nor keeps the connection, and the request detached, so
 * libfcgi closes its descriptor without shutdown() or waiting. */
void px_records_take_over(FCGX_Request *r) __attribute__((nonnull));

#endif
