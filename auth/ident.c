/* ident.c: username, e-mail and display-name rules on ICU (NFKC, script
 * restriction and confusable skeletons per UTS #39), and the looser
 * look-alike keys that compare names with reserved and existing ones. */
#include "auth/ident.h"
#include "core/utf8.h"

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

/* Words a display name may not consist of alone or together ("Admin",
 * "PlexiChat System", "Support Team"): names staff or the system use. */
static const char *const staff_words[] = {
	"admin", "admins", "administrator", "sysadmin", "root", "system",
	"support", "help", "helpdesk", "security", "moderator", "moderators",
	"mod", "mods", "owner", "plexichat", "staff", "official", "team",
	"service", "operator", "bot", "noreply", "postmaster", "webmaster",
	"hostmaster", "abuse",
};

/* Words that only join staff words ("The Admin Team"). */
static const char *const filler_words[] = { "the", "and", "of", "for" };

#define SK_CAP (U16_CAP * 4)

/* UTF-8 to UTF-16; length in code units or -1. */
static int to_u16(const char *s, UChar *out, int cap)
{
	UErrorCode st = U_ZERO_ERROR;
	int32_t n = 0;

	u_strFromUTF8(out, cap, &n, s, -1, &st);
	return U_FAILURE(st) || n >= cap ? -1 : (int)n;
}

/* Appends u[0..n) to out as UTF-8; 0 or -1. */
static int append_utf8(struct px_buf *out, const UChar *u, int n)
{
	char u8[SK_CAP * 3];
	UErrorCode st = U_ZERO_ERROR;
	int32_t len = 0;

	u_strToUTF8(u8, sizeof(u8), &len, u, n, &st);
	if (U_FAILURE(st) || (size_t)len >= sizeof(u8))
		return -1;
	px_buf_append(out, u8, (size_t)len);
	return out->failed ? -1 : 0;
}

/* Case-folded UTS #39 skeleton of s[0..n), folded again, into out
 * (SK_CAP units). Length, or -1 on ICU failure or overflow. */
static int skeleton16(USpoofChecker *sc, const UChar *s, int n, UChar *out)
{
	UChar a[SK_CAP], b[SK_CAP];
	UErrorCode st = U_ZERO_ERROR;
	int32_t len;

	len = u_strFoldCase(a, SK_CAP, s, n, U_FOLD_CASE_DEFAULT, &st);
	len = uspoof_getSkeleton(sc, 0, a, len, b, SK_CAP, &st);
	len = u_strFoldCase(out, SK_CAP, b, len, U_FOLD_CASE_DEFAULT, &st);
	return U_FAILURE(st) || len >= SK_CAP ? -1 : (int)len;
}

static int skeleton_of(USpoofChecker *sc, const UChar *s, int n, struct px_buf *out)
{
	UChar k[SK_CAP];
	int len = skeleton16(sc, s, n, k);

	return len < 0 ? -1 : append_utf8(out, k, len);
}

/* Accents: the generic combining diacritics blocks, which Latin, Greek and
 * Cyrillic letters take (a skeleton is in NFD, so "í" is "i" + U+0301).
 * Marks of other scripts (Indic vowel signs) change the word and stay.
 * sql/085_username_fold.sql strips the same ranges. */
static int accent(UChar32 c)
{
	return (c >= 0x0300 && c <= 0x036f) || (c >= 0x1ab0 && c <= 0x1aff) ||
	       (c >= 0x1dc0 && c <= 0x1dff) || (c >= 0x20d0 && c <= 0x20ff) ||
	       (c >= 0xfe20 && c <= 0xfe2f);
}

/* Digits read as letters in names like "5y5t3m"; the skeleton already
 * reads 0 as o and 1 as l. */
static UChar32 digit_as_letter(UChar32 c)
{
	static const char map[] = "oizeasbtbg"; /* for 0..9 */

	return c >= '0' && c <= '9' ? (UChar32)map[c - '0'] : c;
}

/* Look-alike key of s[0..n) into out (SK_CAP units): the skeleton without
 * accents, with l read as i (the skeleton already makes 1, I and | an l,
 * and a dotless i an i, but leaves "adm1n" apart from "admin"). With
 * `loose` (reserved names) digits read as letters and separators,
 * spaces and punctuation go. Length, or -1. */
static int fold16(USpoofChecker *sc, const UChar *s, int n, int loose, UChar *out)
{
	UChar k[SK_CAP];
	int len = skeleton16(sc, s, n, k), i = 0, o = 0;
	UChar32 c;

	if (len < 0)
		return -1;
	while (i < len) {
		U16_NEXT(k, i, len, c);
		if (accent(c) || (loose && (u_isUWhiteSpace(c) || u_ispunct(c) ||
					    u_charType(c) == U_MATH_SYMBOL)))
			continue;
		if (loose)
			c = digit_as_letter(c);
		if (c == 'l')
			c = 'i';
		U16_APPEND_UNSAFE(out, o, c); /* never longer than k */
	}
	return o;
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

int px_ident_fold(const char *s, struct px_buf *out)
{
	USpoofChecker *sc = NULL;
	UChar u[SK_CAP], k[SK_CAP];
	int n, len, rc = -1;

	if ((n = to_u16(s, u, SK_CAP)) < 0 || !(sc = open_checker()))
		goto out;
	if ((len = fold16(sc, u, n, 0, k)) < 0)
		goto out;
	rc = append_utf8(out, k, len);
out:
	uspoof_close(sc);
	return rc;
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

/* A word of the lists above as a loose key. */
struct word_key {
	UChar k[48];
	int n;
	int staff; /* 0 for a filler word */
};

#define NSTAFF (sizeof(staff_words) / sizeof(staff_words[0]))
#define NFILLER (sizeof(filler_words) / sizeof(filler_words[0]))
#define NRESERVED (sizeof(reserved) / sizeof(reserved[0]))

/* The loose key of the ASCII word w into *wk; 0 or -1. */
static int word_key(USpoofChecker *sc, const char *w, int staff, struct word_key *wk)
{
	UChar u[U16_CAP], k[SK_CAP];
	int n = to_u16(w, u, U16_CAP);

	if (n < 0 || (n = fold16(sc, u, n, 1, k)) < 0 ||
	    n > (int)(sizeof(wk->k) / sizeof(UChar)))
		return -1;
	u_memcpy(wk->k, k, n);
	wk->n = n;
	wk->staff = staff;
	return 0;
}

/* 1 when the loose key k[0..n) is one of the reserved names. */
static int is_reserved_name(USpoofChecker *sc, const UChar *k, int n)
{
	struct word_key w;
	size_t i;

	for (i = 0; i < NRESERVED; i++)
		if (word_key(sc, reserved[i], 1, &w) == 0 && w.n == n &&
		    u_memcmp(w.k, k, n) == 0)
			return 1;
	return 0;
}

/* 1 when the loose key k[0..n) splits wholly into staff and filler words
 * with at least one staff word ("theadminteam", "plexichatsystem"), -1 on
 * ICU failure. ok[i] is 1 when k[0..i) splits so, 2 when it does with a
 * staff word among them. */
static int staff_only(USpoofChecker *sc, const UChar *k, int n)
{
	struct word_key w[NSTAFF + NFILLER];
	unsigned char ok[SK_CAP + 1], v;
	size_t j;
	int i;

	for (j = 0; j < NSTAFF + NFILLER; j++)
		if (word_key(sc, j < NSTAFF ? staff_words[j] : filler_words[j - NSTAFF],
			     j < NSTAFF, &w[j]) != 0)
			return -1;
	if (n < 0 || (size_t)n >= sizeof(ok))
		return -1;
	memset(ok, 0, sizeof(ok));
	ok[0] = 1;
	for (i = 0; i < n; i++) {
		if (!ok[i])
			continue;
		for (j = 0; j < NSTAFF + NFILLER; j++) {
			v = w[j].staff ? 2 : ok[i];
			if (w[j].n > 0 && i + w[j].n <= n &&
			    u_memcmp(w[j].k, k + i, w[j].n) == 0 && ok[i + w[j].n] < v)
				ok[i + w[j].n] = v;
		}
	}
	return ok[n] == 2;
}

/* 1 when s reads as a staff or system name; for usernames (!display) also
 * when it looks like any reserved name. Fails closed: 1 when ICU fails. */
static int reserved_by(const char *s, int display)
{
	USpoofChecker *sc = open_checker();
	UChar u[SK_CAP], k[SK_CAP];
	int n, len, hit = 1;

	if (!sc || (n = to_u16(s, u, SK_CAP)) < 0 || (len = fold16(sc, u, n, 1, k)) < 0)
		goto out;
	hit = staff_only(sc, k, len) != 0 || (!display && is_reserved_name(sc, k, len));
out:
	uspoof_close(sc);
	return hit;
}

int px_ident_reserved(const char *name)
{
	return reserved_by(name, 0);
}

int px_ident_display_reserved(const char *s)
{
	return reserved_by(s, 1);
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

	if (cps < 1 || cps > PX_DISPLAY_NAME_MAX)
		return PX_E_VALIDATION_FIELD_LENGTH;
	if ((n = to_u16(s, u, U16_CAP * 4)) < 0)
		return PX_E_VALIDATION_FIELD_FORMAT;
	while (i < n) {
		int8_t t;

		U16_NEXT(u, i, n, c);
		t = u_charType(c);
		if (t == U_CONTROL_CHAR || t == U_FORMAT_CHAR || t == U_LINE_SEPARATOR ||
		    t == U_PARAGRAPH_SEPARATOR || t == U_PRIVATE_USE_CHAR ||
		    t == U_UNASSIGNED)
			return PX_E_VALIDATION_FIELD_FORMAT;
		if ((i == 1 || i == n) && u_isUWhiteSpace(c))
			return PX_E_VALIDATION_FIELD_FORMAT;
	}
	return px_ident_display_reserved(s) ? PX_E_VALIDATION_DISPLAY_NAME_RESERVED
					    : PX_OK;
}
