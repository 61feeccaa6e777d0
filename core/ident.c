/* ident.c: username, e-mail and display-name rules on ICU (NFKC, script
 * restriction and confusable skeletons per UTS #39). */
#include "ident.h"
#include "utf8.h"

#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>

#define U16_CAP 256

static const char *const reserved[] = {
	"admin", "administrator", "root", "system", "support", "help", "security",
	"moderator", "owner", "plexichat", "api", "www", "mail", "postmaster",
	"abuse", "webmaster", "hostmaster", "noreply", "no-reply", "null",
	"undefined", "anonymous", "everyone", "here", "channel", "all", "me",
	"settings", "login", "logout", "register", "signup", "staff", "official",
};

/* UTF-8 to UTF-16; length in code units or -1. */
static int to_u16(const char *s, UChar *out, int cap)
{
	UErrorCode st = U_ZERO_ERROR;
	int32_t n = 0;

	u_strFromUTF8(out, cap, &n, s, -1, &st);
	return U_FAILURE(st) || n >= cap ? -1 : (int)n;
}

/* Case-folded UTS #39 skeleton of s[0..n), folded again, as UTF-8. */
static int skeleton_of(USpoofChecker *sc, const UChar *s, int n, struct px_buf *out)
{
	UChar a[U16_CAP * 4], b[U16_CAP * 4];
	char u8[U16_CAP * 12];
	UErrorCode st = U_ZERO_ERROR;
	int32_t len;

	len = u_strFoldCase(a, U16_CAP * 4, s, n, U_FOLD_CASE_DEFAULT, &st);
	len = uspoof_getSkeleton(sc, 0, a, len, b, U16_CAP * 4, &st);
	len = u_strFoldCase(a, U16_CAP * 4, b, len, U_FOLD_CASE_DEFAULT, &st);
	u_strToUTF8(u8, sizeof(u8), &len, a, len, &st);
	if (U_FAILURE(st) || (size_t)len >= sizeof(u8))
		return -1;
	px_buf_append(out, u8, (size_t)len);
	return out->failed ? -1 : 0;
}

static USpoofChecker *open_checker(void)
{
	UErrorCode st = U_ZERO_ERROR;
	USpoofChecker *sc = uspoof_open(&st);

	uspoof_setChecks(sc, USPOOF_RESTRICTION_LEVEL | USPOOF_INVISIBLE |
				     USPOOF_MIXED_NUMBERS, &st);
	uspoof_setRestrictionLevel(sc, USPOOF_HIGHLY_RESTRICTIVE);
	if (U_FAILURE(st)) {
		uspoof_close(sc);
		return NULL;
	}
	return sc;
}

static int allowed_char(UChar32 c, int edge)
{
	if (u_isalpha(c) || u_charType(c) == U_DECIMAL_DIGIT_NUMBER)
		return 1;
	if (edge)
		return 0;
	return c == '_' || c == '-' || c == '.' ||
	       u_charType(c) == U_NON_SPACING_MARK ||
	       u_charType(c) == U_COMBINING_SPACING_MARK;
}

/* Checks characters of s[0..n): allowed set, alnum at both ends. */
static int chars_ok(const UChar *s, int n)
{
	int i = 0, first = 1;
	UChar32 c;

	while (i < n) {
		U16_NEXT(s, i, n, c);
		if (!allowed_char(c, first || i == n))
			return 0;
		first = 0;
	}
	return 1;
}

enum px_err px_ident_username(const char *s, struct px_buf *skeleton,
			      const char **reason)
{
	UErrorCode st = U_ZERO_ERROR;
	USpoofChecker *sc = NULL;
	UChar u[U16_CAP];
	size_t cps = px_utf8_count(s, strlen(s));
	enum px_err e = PX_E_VALIDATION_FIELD_FORMAT;
	int n;

	*reason = "length";
	if (cps < PX_USERNAME_MIN || cps > PX_USERNAME_MAX || strlen(s) > 63)
		return PX_E_VALIDATION_FIELD_LENGTH;
	*reason = "characters";
	if (!px_utf8_valid(s, strlen(s)) || (n = to_u16(s, u, U16_CAP)) < 0 ||
	    !chars_ok(u, n))
		goto out;
	*reason = "not_nfkc";
	if (!unorm2_isNormalized(unorm2_getNFKCInstance(&st), u, n, &st) ||
	    U_FAILURE(st))
		goto out;
	e = PX_E_SYSTEM_INTERNAL;
	*reason = "icu";
	if (!(sc = open_checker()))
		goto out;
	if (uspoof_check(sc, u, n, NULL, &st) != 0 || U_FAILURE(st)) {
		e = U_FAILURE(st) ? PX_E_SYSTEM_INTERNAL : PX_E_VALIDATION_USERNAME_CONFUSABLE;
		*reason = "mixed_script";
		goto out;
	}
	if (skeleton_of(sc, u, n, skeleton) != 0)
		goto out;
	*reason = "";
	e = PX_OK;
out:
	uspoof_close(sc);
	return e;
}

int px_ident_reserved(const char *skeleton)
{
	struct px_buf sk = PX_BUF_INIT;
	USpoofChecker *sc = open_checker();
	UChar u[U16_CAP];
	size_t i;
	int n, hit = 0;

	for (i = 0; sc && !hit && i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		px_buf_reset(&sk);
		if ((n = to_u16(reserved[i], u, U16_CAP)) >= 0 &&
		    skeleton_of(sc, u, n, &sk) == 0 && strcmp(sk.data, skeleton) == 0)
			hit = 1;
	}
	uspoof_close(sc);
	px_buf_free(&sk);
	return hit;
}

static int email_local_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr(".!#$%&'*+/=?^_`{|}~-", c));
}

/* One domain label: 1..63 of [A-Za-z0-9-], not starting or ending in '-'. */
static int label_ok(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

enum px_err px_ident_email(const char *s)
{
	const char *at = strrchr(s, '@'), *d, *dot;
	size_t i, n = strlen(s);

	if (n < 3 || n > PX_EMAIL_MAX)
		return PX_E_VALIDATION_FIELD_LENGTH;
	if (!at || at == s || at - s > 64 || s[0] == '.' || at[-1] == '.')
		return PX_E_VALIDATION_FIELD_FORMAT;
	for (i = 0; s + i < at; i++)
		if (!email_local_char(s[i]) || (s[i] == '.' && s[i + 1] == '.'))
			return PX_E_VALIDATION_FIELD_FORMAT;
	if (!strchr(at + 1, '.'))
		return PX_E_VALIDATION_FIELD_FORMAT;
	for (d = at + 1; d; d = dot ? dot + 1 : NULL) {
		dot = strchr(d, '.');
		if (!label_ok(d, dot ? (size_t)(dot - d) : strlen(d)))
			return PX_E_VALIDATION_FIELD_FORMAT;
	}
	return PX_OK;
}

enum px_err px_ident_display_name(const char *s)
{
	UChar u[U16_CAP * 4];
	size_t cps = px_utf8_count(s, strlen(s));
	int n, i = 0;
	UChar32 c;
	int8_t t;

	if (cps < 1 || cps > PX_DISPLAY_NAME_MAX)
		return PX_E_VALIDATION_FIELD_LENGTH;
	if ((n = to_u16(s, u, U16_CAP * 4)) < 0)
		return PX_E_VALIDATION_FIELD_FORMAT;
	while (i < n) {
		U16_NEXT(u, i, n, c);
		t = u_charType(c);
		if (t == U_CONTROL_CHAR || t == U_FORMAT_CHAR || t == U_LINE_SEPARATOR ||
		    t == U_PARAGRAPH_SEPARATOR || t == U_PRIVATE_USE_CHAR ||
		    t == U_UNASSIGNED)
			return PX_E_VALIDATION_FIELD_FORMAT;
		if ((i == 1 || i == n) && u_isUWhiteSpace(c))
			return PX_E_VALIDATION_FIELD_FORMAT;
	}
	return PX_OK;
}
