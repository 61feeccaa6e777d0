/* messages_react.c: reactions (toggle, add, remove, list) and the emoji
 * validator that keeps reactions to real emoji. */
#include "handlers/messages.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "core/utf8.h"
#include "model/messages.h"

#include <json-c/json.h>
#include <string.h>

#define MAX_EMOJI_BYTES 64
#define MAX_ZWJ_PARTS 8

/* Code points drawn as pictographs (Unicode Extended_Pictographic, in
 * ranges; regional indicators and skin tones are handled apart). */
static const unsigned pict[][2] = {
	{ 0xA9, 0xA9 }, { 0xAE, 0xAE }, { 0x203C, 0x203C }, { 0x2049, 0x2049 },
	{ 0x2122, 0x2122 }, { 0x2139, 0x2139 }, { 0x2194, 0x2199 }, { 0x21A9, 0x21AA },
	{ 0x231A, 0x231B }, { 0x2328, 0x2328 }, { 0x23CF, 0x23CF }, { 0x23E9, 0x23F3 },
	{ 0x23F8, 0x23FA }, { 0x24C2, 0x24C2 }, { 0x25AA, 0x25AB }, { 0x25B6, 0x25B6 },
	{ 0x25C0, 0x25C0 }, { 0x25FB, 0x25FE }, { 0x2600, 0x27BF }, { 0x2934, 0x2935 },
	{ 0x2B05, 0x2B07 }, { 0x2B1B, 0x2B1C }, { 0x2B50, 0x2B50 }, { 0x2B55, 0x2B55 },
	{ 0x3030, 0x3030 }, { 0x303D, 0x303D }, { 0x3297, 0x3297 }, { 0x3299, 0x3299 },
	{ 0x1F000, 0x1F1E5 }, { 0x1F200, 0x1F3FA }, { 0x1F400, 0x1FAFF },
};

static int is_pict(unsigned c)
{
	size_t i;

	for (i = 0; i < sizeof(pict) / sizeof(pict[0]); i++)
		if (c >= pict[i][0] && c <= pict[i][1])
			return 1;
	return 0;
}

#define IS_RI(c) ((c) >= 0x1F1E6 && (c) <= 0x1F1FF)
#define IS_TONE(c) ((c) >= 0x1F3FB && (c) <= 0x1F3FF)
#define IS_TAG(c) ((c) >= 0xE0020 && (c) <= 0xE007E)

/* Decodes s into code points; returns their number or -1. */
static int decode(const char *s, size_t n, unsigned *cp, int max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, l;
	int k = 0;

	while (i < n) {
		l = px_utf8_seq_len(s + i, n - i);
		if (l == 0 || k == max)
			return -1;
		cp[k] = l == 1 ? u[i] : l == 2 ? (u[i] & 0x1Fu) : l == 3 ? (u[i] & 0x0Fu)
									: (u[i] & 0x07u);
		for (size_t j = 1; j < l; j++)
			cp[k] = (cp[k] << 6) | (u[i + j] & 0x3Fu);
		k++;
		i += l;
	}
	return k;
}

/* One element of a ZWJ sequence at cp[*i]: pictograph, then an optional
 * VS16, skin tone or tag run. Returns 1 and advances *i, or 0. */
static int element(const unsigned *cp, int n, int *i)
{
	if (*i >= n || !is_pict(cp[*i]))
		return 0;
	(*i)++;
	if (*i < n && cp[*i] == 0xFE0F)
		(*i)++;
	if (*i < n && IS_TONE(cp[*i]))
		(*i)++;
	if (*i < n && IS_TAG(cp[*i])) {
		while (*i < n && IS_TAG(cp[*i]))
			(*i)++;
		if (*i >= n || cp[*i] != 0xE007F)
			return 0;
		(*i)++;
	}
	return 1;
}

int px_emoji_valid(const char *s, size_t n)
{
	unsigned cp[MAX_EMOJI_BYTES];
	int k, i = 0, parts = 0;

	if (n == 0 || n > MAX_EMOJI_BYTES || (k = decode(s, n, cp, MAX_EMOJI_BYTES)) <= 0)
		return 0;
	if (k == 2 && IS_RI(cp[0]) && IS_RI(cp[1]))
		return 1;
	if ((cp[0] == '#' || cp[0] == '*' || (cp[0] >= '0' && cp[0] <= '9')) &&
	    ((k == 2 && cp[1] == 0x20E3) || (k == 3 && cp[1] == 0xFE0F && cp[2] == 0x20E3)))
		return 1;
	for (;;) {
		if (!element(cp, k, &i) || ++parts > MAX_ZWJ_PARTS)
			return 0;
		if (i == k)
			return 1;
		if (cp[i] != 0x200D)
			return 0;
		i++;
	}
}

enum px_err px_h_reactions_list(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_READ, &a)) == PX_OK &&
	    (e = px_m_messages_reactions(ctx->db, a.channel_id, px_path_int(&ctx->path, "mid"),
					 &out)) == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

/* on: 1 add, 0 remove, -1 toggle. */
static enum px_err react(struct px_ctx *ctx, const char *emoji, int on)
{
	struct px_buf out = PX_BUF_INIT, body = PX_BUF_INIT;
	long long id = px_path_int(&ctx->path, "mid");
	struct px_chan_access a;
	int changed = 0;
	enum px_err e;

	if (!emoji || !px_emoji_valid(emoji, strlen(emoji))) {
		px_ctx_detail(ctx, "field", "emoji");
		return PX_E_VALIDATION_INVALID_EMOJI;
	}
	if ((e = px_hm_gate(ctx, PX_CHAN_POST, &a)) != PX_OK)
		return e;
	e = px_m_messages_react(ctx->db, a.channel_id, id, ctx->who.user_id, emoji,
				on != 0, &changed, &out);
	if (e == PX_OK && on < 0 && !changed) {
		px_buf_reset(&out);
		on = 0;
		e = px_m_messages_react(ctx->db, a.channel_id, id, ctx->who.user_id, emoji,
					0, &changed, &out);
	}
	if (e == PX_OK) {
		px_buf_printf(&body, "{\"emoji\":");
		px_buf_json_str(&body, emoji, strlen(emoji));
		px_buf_printf(&body, ",\"reacted\":%s,\"changed\":%s,\"reactions\":",
			      on ? "true" : "false", changed ? "true" : "false");
		px_buf_append(&body, out.data ? out.data : "[]", out.data ? out.len : 2);
		px_buf_putc(&body, '}');
		e = px_hm_reply(ctx, 200, &body);
	}
	px_buf_free(&out);
	px_buf_free(&body);
	return e;
}

enum px_err px_h_reactions_toggle(struct px_ctx *ctx)
{
	const char *emoji = NULL;
	enum px_err e = px_in_str(ctx, "emoji", 1, 1, MAX_EMOJI_BYTES, &emoji);

	if (e == PX_E_VALIDATION_FIELD_LENGTH)
		e = PX_E_VALIDATION_INVALID_EMOJI;
	return e != PX_OK ? e : react(ctx, emoji, -1);
}

enum px_err px_h_reactions_put(struct px_ctx *ctx)
{
	return react(ctx, px_path_str(&ctx->path, "emoji"), 1);
}

enum px_err px_h_reactions_delete(struct px_ctx *ctx)
{
	return react(ctx, px_path_str(&ctx->path, "emoji"), 0);
}
