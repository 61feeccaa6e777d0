/* wsproto.c: RFC 6455 frames and the handshake's accept value
 * (core/wsproto.h). */
#include "core/wsproto.h"
#include "core/codec.h"
#include "core/utf8.h"

#include <openssl/sha.h>
#include <string.h>

/* RFC 6455 section 1.3: appended to the key before hashing. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int px_ws_accept_key(const char *key, char out[29])
{
	unsigned char sha[SHA_DIGEST_LENGTH];
	char joined[24 + sizeof(ws_guid)];
	struct px_buf b = PX_BUF_INIT;
	int rc = -1, bad;

	if (strlen(key) != 24)
		return -1;
	bad = px_codec_b64_decode(key, 24, PX_CODEC_B64_PAD, &b) != 0 || b.len != 16;
	px_buf_reset(&b);
	if (bad)
		goto out;
	memcpy(joined, key, 24);
	memcpy(joined + 24, ws_guid, sizeof(ws_guid) - 1);
	SHA1((const unsigned char *)joined, 24 + sizeof(ws_guid) - 1, sha);
	px_codec_b64_encode(&b, sha, sizeof(sha), PX_CODEC_B64_PAD);
	if (!b.failed && b.len == 28) {
		memcpy(out, b.data, 29);
		rc = 0;
	}
out:
	px_buf_free(&b);
	return rc;
}

void px_ws_parser_init(struct px_ws_parser *p, size_t max_message)
{
	memset(p, 0, sizeof(*p));
	p->max_message = max_message;
	px_buf_init(&p->frag);
	
}

void px_ws_parser_free(struct px_ws_parser *p)
{
	px_buf_free(&p->frag);
	p->frag_op = 0;
}

/* Text in WebSocket is UTF-8, where U+0000 is allowed (core/utf8 refuses
 * NUL for the HTTP layer, so NUL bytes are stepped over here). */
static int text_ok(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if (s[i] == '\0') {
			i++;
			continue;
		}
		if ((k = px_utf8_seq_len(s + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* A close frame's payload: empty, or a valid code and a UTF-8 reason. */
static int close_ok(const char *s, size_t n, int *code)
{
	unsigned c;

	if (n == 0)
		return 1;
	if (n == 1) {
		*code = PX_WS_CLOSE_PROTOCOL;
		return 0;
	}
	c = (unsigned)(unsigned char)s[0] << 8 | (unsigned char)s[1];
	if (c < 1000 || c >= 5000 || c == 1004 || c == 1005 || c == 1006 ||
	    (c >= 1016 && c < 3000)) {
		*code = PX_WS_CLOSE_PROTOCOL;
		return 0;
	}
	if (!text_ok(s + 2, n - 2)) {
		*code = PX_WS_CLOSE_BAD_UTF8;
		return 0;
	}
	return 1;
}

struct head {
	int fin, op;
	uint64_t len;
	size_t size;          /* header bytes, mask included */
	const unsigned char *mask;
};

/* Reads a frame header: 1 when whole, 0 when more bytes are needed, -1
 * with *code on a protocol error. */
static int read_head(const unsigned char *b, size_t n, struct head *h, int *code)
{
	size_t need = 2;

	*code = PX_WS_CLOSE_PROTOCOL;
	if (n < 2)
		return 0;
	h->fin = b[0] >> 7;
	h->op = b[0] & 0x0f;
	if (b[0] & 0x70)
		return -1;                      /* no extension was agreed */
	if (!(b[1] & 0x80))
		return -1;                      /* clients must mask */
	h->len = b[1] & 0x7f;
	if (h->len == 126)
		need += 2;
	else if (h->len == 127)
		need += 8;
	if (n < need + 4)
		return 0;
	if (h->len == 126) {
		h->len = (uint64_t)b[2] << 8 | b[3];
	} else if (h->len == 127) {
		int i;

		if (b[2] & 0x80)
			return -1;              /* the top bit must be 0 */
		h->len = 0;
		for (i = 0; i < 8; i++)
			h->len = h->len << 8 | b[2 + i];
	}
	h->mask = b + need;
	h->size = need + 4;
	return 1;
}

/* Whether the opcode is known, and control frames are short and whole. */
static int op_ok(const struct head *h, const struct px_ws_parser *p, int *code)
{
	*code = PX_WS_CLOSE_PROTOCOL;
	switch (h->op) {
	case PX_WS_CLOSE:
	case PX_WS_PING:
	case PX_WS_PONG:
		return h->fin && h->len <= 125;
	case PX_WS_TEXT:
	case PX_WS_BINARY:
		return p->frag_op == 0;
	case PX_WS_CONT:
		return p->frag_op != 0;
	default:
		return 0;
	}
}

static void unmask(char *d, size_t n, const unsigned char m[4])
{
	size_t i;

	for (i = 0; i < n; i++)
		d[i] ^= (char)m[i & 3];
}

/* A whole data message: checked and returned. */
static enum px_ws_result data_msg(int op, const char *d, size_t n, struct px_ws_msg *msg,
				  int *code)
{
	if (op == PX_WS_TEXT && !text_ok(d, n)) {
		*code = PX_WS_CLOSE_BAD_UTF8;
		return PX_WS_ERROR;
	}
	msg->op = (enum px_ws_op)op;
	msg->data = d;
	msg->len = n;
	return PX_WS_MESSAGE;
}

enum px_ws_result px_ws_parse(struct px_ws_parser *p, char *in, size_t n, size_t *used,
			      struct px_ws_msg *msg, int *close_code)
{
	struct head h;
	char *payload;
	int r;

	*used = 0;
	/* the last reassembled message was handled: give its memory back */
	if (!p->frag_op && p->frag.cap)
		px_buf_free(&p->frag);
	while ((r = read_head((const unsigned char *)in, n, &h, close_code)) == 1) {
		if (!op_ok(&h, p, close_code))
			return PX_WS_ERROR;
		if (h.len > p->max_message ||
		    (h.op == PX_WS_CONT && p->frag.len + h.len > p->max_message)) {
			*close_code = PX_WS_CLOSE_TOO_BIG;
			return PX_WS_ERROR;
		}
		if (n - h.size < h.len)
			return PX_WS_NEED_MORE;
		payload = in + h.size;
		unmask(payload, (size_t)h.len, h.mask);
		*used += h.size + (size_t)h.len;
		in += h.size + (size_t)h.len;
		n -= h.size + (size_t)h.len;
		if (h.op >= PX_WS_CLOSE) {
			if (h.op == PX_WS_CLOSE && !close_ok(payload, (size_t)h.len, close_code))
				return PX_WS_ERROR;
			msg->op = (enum px_ws_op)h.op;
			msg->data = payload;
			msg->len = (size_t)h.len;
			return PX_WS_MESSAGE;
		}
		if (h.fin && h.op != PX_WS_CONT)
			return data_msg(h.op, payload, (size_t)h.len, msg, close_code);
		if (h.op != PX_WS_CONT) {
			p->frag_op = h.op;
			px_buf_reset(&p->frag);
		}
		px_buf_append(&p->frag, payload, (size_t)h.len);
		if (p->frag.failed) {
			*close_code = PX_WS_CLOSE_TOO_BIG;
			return PX_WS_ERROR;
		}
		if (h.fin) {
			int op = p->frag_op;

			p->frag_op = 0;
			/* frag keeps the bytes until the next call resets it */
			return data_msg(op, p->frag.data ? p->frag.data : "", p->frag.len, msg,
					close_code);
		}
	}
	return r < 0 ? PX_WS_ERROR : PX_WS_NEED_MORE;
}

static void put_head(struct px_buf *out, unsigned b0, size_t n, int masked)
{
	unsigned char h[10];
	size_t k = 0;
	unsigned m = masked ? 0x80 : 0;

	h[k++] = (unsigned char)b0;
	if (n < 126) {
		h[k++] = (unsigned char)(m | n);
	} else if (n <= 0xffff) {
		h[k++] = (unsigned char)(m | 126);
		h[k++] = (unsigned char)(n >> 8);
		h[k++] = (unsigned char)n;
	} else {
		int i;

		h[k++] = (unsigned char)(m | 127);
		for (i = 7; i >= 0; i--)
			h[k++] = (unsigned char)((uint64_t)n >> (8 * i));
	}
	px_buf_append(out, h, k);
}

void px_ws_frame(struct px_buf *out, enum px_ws_op op, const void *p, size_t n)
{
	put_head(out, 0x80u | (unsigned)op, n, 0);
	if (n)
		px_buf_append(out, p, n);
}

void px_ws_close_frame(struct px_buf *out, int code, const char *reason)
{
	char b[125];
	size_t n = strlen(reason);

	if (n > sizeof(b) - 2)
		n = sizeof(b) - 2;
	b[0] = (char)(code >> 8);
	b[1] = (char)code;
	memcpy(b + 2, reason, n);
	px_ws_frame(out, PX_WS_CLOSE, b, n + 2);
}

void px_ws_client_frame(struct px_buf *out, enum px_ws_op op, int fin, const void *p,
			size_t n, const unsigned char mask[4])
{
	size_t start, i;

	put_head(out, (fin ? 0x80u : 0) | (unsigned)op, n, 1);
	px_buf_append(out, mask, 4);
	start = out->len;
	if (n)
		px_buf_append(out, p, n);
	if (out->failed)
		return;
	for (i = 0; i < n; i++)
		out->data[start + i] ^= (char)mask[i & 3];
}
