/* wsproto.h: the RFC 6455 wire format for plexichat-ws: the handshake's
 * accept value, and a frame parser and encoder that know nothing about
 * sockets (bytes in, frames out), so that unit tests and the fuzzer can
 * drive them with any input.
 *
 * Only what a server needs: client frames must be masked, server frames
 * are not; fragmented messages are reassembled (control frames may come
 * between their fragments); text messages must be UTF-8; no extensions
 * (no RSV bit may be set). */
#ifndef PX_WSPROTO_H
#define PX_WSPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum px_ws_op {
	PX_WS_CONT = 0x0,
	PX_WS_TEXT = 0x1,
	PX_WS_BINARY = 0x2,
	PX_WS_CLOSE = 0x8,
	PX_WS_PING = 0x9,
	PX_WS_PONG = 0xA,
};

/* Close codes (RFC 6455 section 7.4.1, and PlexiChat's own 4000-4999;
 * docs/API.md lists them). */
#define PX_WS_CLOSE_NORMAL 1000
#define PX_WS_CLOSE_GOING_AWAY 1001
#define PX_WS_CLOSE_PROTOCOL 1002
#define PX_WS_CLOSE_BAD_DATA 1003
#define PX_WS_CLOSE_BAD_UTF8 1007
#define PX_WS_CLOSE_POLICY 1008
#define PX_WS_CLOSE_TOO_BIG 1009
#define PX_WS_CLOSE_INTERNAL 1011
#define PX_WS_CLOSE_SLOW 4001      /* the send queue overflowed */
#define PX_WS_CLOSE_IDLE 4002      /* nothing came within the idle time */
#define PX_WS_CLOSE_REVOKED 4003   /* session/token/account/membership changed */

/* The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key:
 * base64(SHA-1(key + the RFC's GUID)); out gets 28 characters and a NUL.
 * -1 when key is not 16 bytes in base64 (24 characters). */
int px_ws_accept_key(const char *key, char out[29]) __attribute__((nonnull));

/* One complete message or control frame, as px_ws_parse returns it. */
struct px_ws_msg {
	enum px_ws_op op;     /* TEXT, BINARY, CLOSE, PING or PONG */
	const char *data;     /* unmasked payload; valid until the next parse */
	size_t len;
};

enum px_ws_result {
	PX_WS_NEED_MORE = 0,  /* no whole message yet: read more */
	PX_WS_MESSAGE = 1,    /* *msg is set */
	PX_WS_ERROR = -1,     /* *close_code says why; close the connection */
};

/* Reassembly state of one connection's incoming frames. */
struct px_ws_parser {
	size_t max_message;   /* longest payload, and reassembled message */
	struct px_buf frag;   /* fragments of the message under way */
	int frag_op;          /* its opcode; 0: none under way */
};

void px_ws_parser_init(struct px_ws_parser *p, size_t max_message) __attribute__((nonnull));
void px_ws_parser_free(struct px_ws_parser *p) __attribute__((nonnull));

/* Reads at most one message from in[0..n): *used gets the bytes consumed
 * (0 while a frame is incomplete; the caller keeps them and calls again
 * with more). Client frames are unmasked in place. Errors: unmasked frame,
 * RSV bits, unknown opcode, fragmented or long control frame, a
 * continuation without a start, a new message inside a fragmented one,
 * a 64-bit length with the top bit set (1002), payload over max_message
 * (1009), text that is not UTF-8 (1007), a close payload of one byte or
 * with a bad code or bad UTF-8 reason (1002/1007). */
enum px_ws_result px_ws_parse(struct px_ws_parser *p, char *in, size_t n, size_t *used,
			      struct px_ws_msg *msg, int *close_code)
	__attribute__((nonnull, warn_unused_result));

/* Appends one unmasked, unfragmented server frame. */
void px_ws_frame(struct px_buf *out, enum px_ws_op op, const void *p, size_t n)
	__attribute__((nonnull(1)));
/* Appends a close frame with code and a short reason (cut to 123 bytes). */
void px_ws_close_frame(struct px_buf *out, int code, const char *reason)
	__attribute__((nonnull));
/* Appends a masked client frame (unit tests and clients written in C). */
void px_ws_client_frame(struct px_buf *out, enum px_ws_op op, int fin, const void *p,
			size_t n, const unsigned char mask[4]) __attribute__((nonnull(1, 6)));

#endif
