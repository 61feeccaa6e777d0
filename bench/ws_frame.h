/* bench/ws_frame.h: the server's side of RFC 6455 as the benchmark clients
 * (bench/ws_fanout.c, bench/peer_fanout.c) read it: unmasked frames, and a
 * pong for each ping. Header-only: each client is one .c file. */
#ifndef PX_BENCH_WS_FRAME_H
#define PX_BENCH_WS_FRAME_H

#include <stddef.h>
#include <string.h>

/* The frame at b, of which len bytes are there: 1 with the header's length,
 * the payload's and the opcode; 0 while it is not all there. */
static inline int ws_frame_next(const unsigned char *b, size_t len, size_t *head, size_t *n,
				int *op)
{
	size_t h = 2, m;

	if (len < 2)
		return 0;
	m = b[1] & 0x7f;
	if (m == 126) {
		if (len < 4)
			return 0;
		m = (size_t)b[2] << 8 | b[3];
		h = 4;
	} else if (m == 127) {
		int i;

		if (len < 10)
			return 0;
		for (m = 0, i = 0; i < 8; i++)
			m = m << 8 | b[2 + i];
		h = 10;
	}
	if (len - h < m)
		return 0;
	*head = h;
	*n = m;
	*op = b[0] & 0x0f;
	return 1;
}

/* The pong answering a ping's payload (n <= 125), masked with a zero mask
 * as a client must; out holds 6 + 125 bytes. Returns its length. */
static inline size_t ws_frame_pong(const unsigned char *payload, size_t n, unsigned char *out)
{
	out[0] = 0x8a;
	out[1] = (unsigned char)(0x80 | n);
	memset(out + 2, 0, 4);
	memcpy(out + 6, payload, n);
	return 6 + n;
}

#endif
