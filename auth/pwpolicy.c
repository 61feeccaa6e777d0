/* pwpolicy.c: password policy checks against the compiled-in list. */
#include "auth/pwpolicy.h"
#include "core/utf8.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Sorted (C locale), lower-case, generated from etc/common-passwords.txt. */
static const char *const common[] = {
#include "auth/common_passwords.inc"
};

static int cmp(const void *k, const void *e)
{
	return strcmp(k, *(const char *const *)e);
}

int px_pwpolicy_is_common(const char *pw)
{
	char low[128];
	size_t i, n = strlen(pw);

	if (n >= sizeof(low))
		return 0; /* the list holds nothing this long */
	for (i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)pw[i]);
	return bsearch(low, common, sizeof(common) / sizeof(common[0]),
		       sizeof(common[0]), cmp) != NULL;
}

enum px_err px_pwpolicy_check(const char *pw, const char *username,
			      const char **reason)
{
	size_t n = strlen(pw), cps;

	*reason = "encoding";
	if (!px_utf8_valid(pw, n))
		return PX_E_VALIDATION_WEAK_PASSWORD;
	cps = px_utf8_count(pw, n);
	*reason = cps < PX_PASSWORD_MIN ? "too_short" : "too_long";
	if (cps < PX_PASSWORD_MIN || cps > PX_PASSWORD_MAX)
		return PX_E_VALIDATION_WEAK_PASSWORD;
	*reason = "common";
	if (px_pwpolicy_is_common(pw))
		return PX_E_VALIDATION_WEAK_PASSWORD;
	*reason = "username";
	if (username && strcasecmp(pw, username) == 0)
		return PX_E_VALIDATION_WEAK_PASSWORD;
	*reason = "";
	return PX_OK;
}
