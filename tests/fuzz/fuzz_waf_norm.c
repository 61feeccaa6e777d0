/* fuzz_waf_norm.c: libFuzzer target for the WAF normaliser, the SQL and
 * shell views, the SSRF URL checks and the Markdown projection. */
#include "waf/waf_detect.h"
#include "waf/waf_norm.h"
#include "waf/waf_ssrf.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct px_buf out = PX_BUF_INIT, tmp = PX_BUF_INIT, sql = PX_BUF_INIT;
	const char *s = (const char *)data;
	unsigned opts = size ? data[0] & 7 : 0;

	px_waf_norm_text(s, size, opts, &out, &tmp);
	/* The text view is NUL-free and never longer than a bounded factor. */
	if (out.len && memchr(out.data, '\0', out.len))
		__builtin_trap();
	px_waf_norm_sql(out.data, out.len, &sql);
	/* Resolving shell quoting only ever shortens the view. */
	if (px_waf_norm_shell(out.data, out.len, &sql) == 0 ? sql.len != out.len : sql.len > out.len)
		__builtin_trap();
	(void)px_waf_ssrf_check_url(s, size);
	px_waf_md_project(s, size, &tmp);
	px_buf_free(&out);
	px_buf_free(&tmp);
	px_buf_free(&sql);
	return 0;
}
