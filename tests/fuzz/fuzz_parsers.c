/* fuzz_parsers.c: libFuzzer target for the request parsers: query strings,
 * cookies, urlencoded and JSON bodies, the text fields of a multipart
 * body's first bytes, percent-decoding, media types and the base64 and hex
 * decoders. The first input byte picks the parser (and its flags); the
 * rest is its input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/http.h"
#include "core/mediatype.h"
#include "core/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct px_request r;
	struct px_kvlist l = { 0 };
	struct px_buf b = PX_BUF_INIT;
	struct px_mediatype mt;
	char *s;

	if (size < 1)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 8) {
	case 0:
		(void)px_parse_urlencoded(s, size - 1, &l);
		break;
	case 1:
		(void)px_parse_cookies(s, &l);
		break;
	case 2:
		(void)px_url_decode(s, size - 1, data[0] & 8, &b);
		break;
	case 4:
		(void)px_mediatype_parse(s, size - 1, &mt);
		(void)px_mediatype_is(&mt, "multipart/*");
		break;
	case 5: /* bits 3-5: URL alphabet, padding, lenient */
		(void)px_codec_b64_decode(s, size - 1, (data[0] >> 3) & 7, &b);
		break;
	case 6:
		if (px_codec_hex_decode(s, size - 1, &b) != 0)
			(void)px_codec_pct_decode(s, size - 1,
						  data[0] & 8 ? PX_CODEC_PCT_PLUS : 0, &b);
		break;
	default: /* 3 and 7 */
		px_request_init(&r);
		r.body = s;
		r.body_len = size - 1;
		if (data[0] & 8) {
			r.content_type = strdup("multipart/form-data; boundary=b");
			r.body_partial = (data[0] & 4) != 0;
			(void)px_multipart_prefix_form(&r);
		} else {
			r.content_type = strdup(data[0] & 4 ? "application/json"
							    : "application/x-www-form-urlencoded");
			(void)px_parse_body(&r);
		}
		px_request_clear(&r); /* frees s */
		s = NULL;
		break;
	}
	px_kvlist_free(&l);
	px_buf_free(&b);
	free(s);
	return 0;
}
