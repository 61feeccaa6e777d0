/* px_pl_resolve.h: which plugin versions to install so that every
 * dependency holds. The installed plugins stay as they are, except the
 * one asked for; missing dependencies are taken from the available
 * versions (catalogues, the package at hand), newest first. The answer is
 * the whole set after the change, or why there is none; never half. */
#ifndef PX_PL_RESOLVE_H
#define PX_PL_RESOLVE_H

#include "core/buf.h"
#include "plugins/px_pl_manifest.h"

/* One plugin version in a plan: its manifest (not owned), and whether it
 * is installed already at that version. */
struct px_pl_pick {
	const struct px_pl_manifest *m;
	int installed;
};

#define PX_PL_PLAN_MAX 64

struct px_pl_plan {
	int n;
	struct px_pl_pick pick[PX_PL_PLAN_MAX];
};

/* Resolves installing (or upgrading, downgrading to) a version of name
 * within range (text, px_pl_range_parse), given the installed manifests
 * (NULL when ninstalled is 0) and the available ones
 * (installed versions may be listed in both). On success 0 and *plan
 * holds every plugin that will be installed afterwards. On failure -1 and
 * why gets the first conflict found, naming who needs what ("poll 1.4.0
 * needs base ^2.0.0, but base 1.3.0 is chosen because base 1.3.0 is
 * installed"), a missing plugin or version, or a cycle ("a -> b -> a").
 * Allocates its working state and frees it before returning. */
int px_pl_resolve(const struct px_pl_manifest *const *installed, int ninstalled,
		  const struct px_pl_manifest *const *avail, int navail, const char *name,
		  const char *range, struct px_pl_plan *plan, struct px_buf *why)
	__attribute__((nonnull(3, 5, 6, 7, 8), warn_unused_result));

/* Whether removing name leaves every other installed plugin's
 * dependencies satisfied: 0, or -1 with why naming who needs it. */
int px_pl_resolve_remove(const struct px_pl_manifest *const *installed, int ninstalled,
			 const char *name, struct px_buf *why)
	__attribute__((nonnull, warn_unused_result));

#endif
