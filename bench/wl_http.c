/* wl_http.c: the bits of HTTP/1.1, JSON and WebSocket framing that
 * bench/workload.c reads and writes (wl_http.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <string.h>

#include "bench/wl_http.h"

long long wl_json_int(const char *p, size_t n, const char *key)
{
	const char *k = memmem(p, n, key, strlen(key));

	if (!k)
		return -1;
	k += strlen(key);
	while (k < p + n && (*k == ' ' || *k == ':'))
		k++;
	return k < p + n ? atoll(k) : -1;
}

size_t wl_http_complete(char *buf, size_t len, int closed)
{
	char *end = memmem(buf, len, "\r\n\r\n", 4), *h;
	size_t head;

	if (!end)
		return 0;
	head = (size_t)(end + 4 - buf);
	if (len >= 12 && (memcmp(buf + 9, "204", 3) == 0 || memcmp(buf + 9, "304", 3) == 0))
		return head;  /* no body, whatever the headers say */
	*end = '\0';
	h = strcasestr(buf, "\r\ncontent-length:");
	if (h) {
		size_t want = head + (size_t)atoll(h + 17);

		*end = '\r';
		return len >= want ? want : 0;
	}
	if (strcasestr(buf, "\r\ntransfer-encoding: chunked")) {
		size_t off = head;

		*end = '\r';
		for (;;) {
			char *nl = memmem(buf + off, len - off, "\r\n", 2);
			size_t sz;

			if (!nl)
				return 0;
			sz = strtoul(buf + off, NULL, 16);
			off = (size_t)(nl + 2 - buf) + sz + 2;
			if (off > len)
				return 0;
			if (sz == 0)
				return off;
		}
	}
	*end = '\r';
	return closed ? len : 0;
}

size_t wl_ws_frame(unsigned char *f, size_t cap, const char *json)
{
	size_t n = strlen(json), h = n < 126 ? 2 : 4;

	if (n > 65535 || h + 4 + n > cap)
		return 0;
	f[0] = 0x81;
	if (n < 126) {
		f[1] = (unsigned char)(0x80 | n);
	} else {
		f[1] = 0x80 | 126;
		f[2] = (unsigned char)(n >> 8);
		f[3] = (unsigned char)n;
	}
	memset(f + h, 0, 4);  /* a zero mask: the payload goes as it is */
	memcpy(f + h + 4, json, n);
	return h + 4 + n;
}
