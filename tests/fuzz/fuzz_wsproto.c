/* fuzz_wsproto.c: libFuzzer target for core/wsproto: any bytes, fed to the
 * frame parser in pieces whose sizes come from the input, as a socket
 * delivers them; each message's payload is echoed through the encoder.
 * The parser must never read or write out of bounds, leak or accept a
 * text message that is not UTF-8. First byte: the message size limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/wsproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct px_ws_parser p;
	struct px_buf in = PX_BUF_INIT, out = PX_BUF_INIT;
	size_t off = 1, step;

	if (size < 2)
		return 0;
	px_ws_parser_init(&p, 16 + (size_t)data[0] * 64);
	step = 1 + data[1] % 32;
	while (off < size) {
		size_t take = size - off < step ? size - off : step;
		int stop = 0;

		px_buf_append(&in, data + off, take);
		off += take;
		while (in.len && !stop) {
			struct px_ws_msg m;
			size_t used = 0;
			int code = 0;
			enum px_ws_result r = px_ws_parse(&p, in.data, in.len, &used, &m, &code);

			if (r == PX_WS_ERROR)
				goto out;
			if (r == PX_WS_NEED_MORE) {
				stop = 1;
				break;
			}
			px_buf_reset(&out);
			px_ws_frame(&out, m.op == PX_WS_CLOSE ? PX_WS_TEXT : m.op, m.data, m.len);
			px_buf_drop(&in, used);
		}
	}
out:
	px_buf_free(&in);
	px_buf_free(&out);
	px_ws_parser_free(&p);
	return 0;
}
