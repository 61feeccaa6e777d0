/* fuzz_ai.c: libFuzzer target for the AI layer's parsers of untrusted
 * provider bytes and message text. The first byte picks the parser:
 * 0-2 a whole chat answer (OpenAI, Anthropic, Gemini), 3-5 a stream fed
 * through the SSE parser in pieces of the second byte's size, 6 an
 * embeddings answer, 7 redaction then restore (must give the input back),
 * 8 the built-in moderation, summary and embedding of the text. */
#include "ai/ai_builtin.h"
#include "ai/ai_redact.h"
#include "ai/ai_sse.h"
#include "ai/ai_wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct px_ai_lexicon *lexicon(void)
{
	static struct px_ai_lexicon *lx;
	const char *why;

	if (!lx)
		lx = px_ai_lexicon_new(NULL, &why);
	return lx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum px_ai_kind kinds[] = { PX_AI_OPENAI, PX_AI_ANTHROPIC, PX_AI_GEMINI };
	struct px_ai_answer a;
	char *s;
	size_t n;
	int sel;

	if (size < 2)
		return 0;
	sel = data[0] % 9;
	n = size - 2;
	if (!(s = malloc(n + 1)))
		return 0;
	memcpy(s, data + 2, n);
	s[n] = '\0';
	memset(&a, 0, sizeof(a));
	px_buf_init(&a.text);
	px_buf_init(&a.sent);
	if (sel < 3) {
		(void)px_ai_wire_chat_answer(kinds[sel], s, n, &a);
	} else if (sel < 6) {
		struct px_ai_wire_stream ws = { kinds[sel - 3], &a, NULL, NULL, 0, 0 };
		struct px_ai_sse sse;
		size_t step = 1 + data[1] % 64, i;

		px_ai_sse_init(&sse, 4096);
		for (i = 0; i < n; i += step)
			if (px_ai_sse_feed(&sse, s + i, n - i < step ? n - i : step,
					   px_ai_wire_stream_event, &ws))
				break;
		px_ai_sse_free(&sse);
	} else if (sel == 6) {
		float v[64];
		int dim;

		(void)px_ai_wire_embed_answer(data[1] & 1 ? PX_AI_GEMINI : PX_AI_OPENAI, s, n, v, 64,
					      &dim, &a);
	} else if (sel == 7) {
		struct px_ai_redactor r;
		struct px_buf red = PX_BUF_INIT, back = PX_BUF_INIT;

		px_ai_redactor_init(&r);
		px_ai_redact(&r, s, n, &red);
		/* restoring gives the input back unless the input itself held a
		 * placeholder's text */
		px_ai_restore(&r, red.data ? red.data : "", red.len, &back);
		if (!memchr(s, '[', n) && (back.len != n || memcmp(back.data ? back.data : "", s, n) != 0))
			abort();
		px_buf_free(&red);
		px_buf_free(&back);
		px_ai_redactor_free(&r);
	} else {
		struct px_ai_item it = { 1, "a", s };
		struct px_ai_verdict v;
		struct px_buf out = PX_BUF_INIT;
		float e[PX_AI_BUILTIN_DIM];

		if (lexicon())
			px_ai_moderate(lexicon(), s, n, &v);
		px_ai_builtin_summary(&it, 1, 3, &out);
		px_ai_builtin_embed(s, n, e, PX_AI_BUILTIN_DIM);
		px_buf_free(&out);
	}
	px_buf_free(&a.text);
	px_buf_free(&a.sent);
	free(s);
	return 0;
}
