/* px_pl_semver.h: plugin versions (Semantic Versioning 2.0.0) and the
 * version ranges dependencies are written in. Values only: nothing here
 * allocates. */
#ifndef PX_PL_SEMVER_H
#define PX_PL_SEMVER_H

#include <stddef.h>
#include <stdint.h>

#define PX_PL_PRE_MAX 64 /* pre-release part, NUL included */

/* MAJOR.MINOR.PATCH[-PRE]; build metadata (+...) is checked and dropped,
 * as it takes no part in precedence. */
struct px_pl_ver {
	uint64_t major, minor, patch;
	char pre[PX_PL_PRE_MAX]; /* "" for a release */
};

/* Parses s strictly as SemVer 2.0.0 (no leading "v", no leading zeros in
 * numeric parts, identifiers of [0-9A-Za-z-], nothing after). 0, or -1
 * when s is not a version (or its pre-release part is too long). */
int px_pl_ver_parse(const char *s, struct px_pl_ver *v) __attribute__((nonnull, warn_unused_result));

/* Precedence as SemVer 2.0.0 section 11: <0, 0 or >0. */
int px_pl_ver_cmp(const struct px_pl_ver *a, const struct px_pl_ver *b) __attribute__((nonnull));

/* Writes v as text into out (n bytes, truncated and NUL-terminated). */
void px_pl_ver_format(const struct px_pl_ver *v, char *out, size_t n) __attribute__((nonnull));

#define PX_PL_RANGE_ALTS 8  /* alternatives joined by "||" */
#define PX_PL_RANGE_CMPS 8  /* comparators in one alternative */

enum px_pl_op { PX_PL_EQ, PX_PL_LT, PX_PL_LE, PX_PL_GT, PX_PL_GE };

struct px_pl_cmp {
	enum px_pl_op op;
	struct px_pl_ver v;
};

/* A range: any alternative whose comparators all hold. */
struct px_pl_range {
	int nalts;
	struct {
		int n;
		struct px_pl_cmp c[PX_PL_RANGE_CMPS];
	} alt[PX_PL_RANGE_ALTS];
};

/* Parses a range as npm writes them (docs/PLUGIN_DEVELOPMENT.md):
 * alternatives separated by "||", each a space-separated list of
 * comparators: "1.2.3" or "=1.2.3" exactly, "<", "<=", ">", ">=" a
 * version, "^1.2.3" (same left-most non-zero part), "~1.2.3" (same
 * minor), "1.2" / "1.2.x" / "1" / "1.x" / "*" / "" (any in that part),
 * and "A - B" (inclusive). 0, or -1 when s is not a range or has more
 * alternatives or comparators than the limits above. */
int px_pl_range_parse(const char *s, struct px_pl_range *r) __attribute__((nonnull, warn_unused_result));

/* Whether v is in r. A pre-release version matches only an alternative
 * with a comparator naming a pre-release of the same MAJOR.MINOR.PATCH
 * (so "^1.2.0" never picks 2.0.0-beta), as npm does. */
int px_pl_range_match(const struct px_pl_range *r, const struct px_pl_ver *v) __attribute__((nonnull));

#endif
