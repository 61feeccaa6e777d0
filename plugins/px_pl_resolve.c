/* px_pl_resolve.c: a small backtracking solver. Requirements are
 * (name, range, who asked); the installed plugins are pinned by an exact
 * requirement, the one asked for by the caller's range. Each requirement
 * either holds for the version already picked, or picks the newest
 * available version in range and adds its dependencies; a dead end undoes
 * the last pick. A step budget bounds the search. */
#include "plugins/px_pl_resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQ_MAX 256
#define STEP_BUDGET 20000

struct req {
	const char *name;
	const struct px_pl_range *range;
	const char *range_text;
	const struct px_pl_manifest *by; /* NULL: the installed set or the caller */
};

struct solver {
	const struct px_pl_manifest *const *installed, *const *avail;
	int ninstalled, navail;
	const char *want;
	struct px_pl_range want_range;
	struct px_pl_plan *plan;
	struct req reqs[REQ_MAX];
	int nreqs;
	struct px_pl_range pins[PX_PL_PLAN_MAX];
	char pin_text[PX_PL_PLAN_MAX][80];
	int steps;
	struct px_buf *why;
	int explained;
};

static const struct px_pl_pick *picked(const struct solver *s, const char *name)
{
	for (int i = 0; i < s->plan->n; i++)
		if (!strcmp(s->plan->pick[i].m->name, name))
			return &s->plan->pick[i];
	return NULL;
}

static const struct px_pl_manifest *installed_as(const struct solver *s, const char *name)
{
	for (int i = 0; i < s->ninstalled; i++)
		if (!strcmp(s->installed[i]->name, name))
			return s->installed[i];
	return NULL;
}

static void describe(const struct solver *s, const struct req *r, char *out, size_t n)
{
	char v[80];

	if (!r->by) {
		snprintf(out, n, "%s %s %s", r->name, r->range_text,
			 strcmp(r->name, s->want) ? "is installed" : "was asked for");
		return;
	}
	px_pl_ver_format(&r->by->version, v, sizeof(v));
	snprintf(out, n, "%s %s needs %s %s", r->by->name, v, r->name, r->range_text);
}

/* The first requirement on name other than r whose range v misses. */
static const struct req *clash(const struct solver *s, const struct req *r,
			       const struct px_pl_ver *v)
{
	for (int i = 0; i < s->nreqs; i++)
		if (&s->reqs[i] != r && !strcmp(s->reqs[i].name, r->name) &&
		    !px_pl_range_match(s->reqs[i].range, v))
			return &s->reqs[i];
	return NULL;
}

static void explain_conflict(struct solver *s, const struct req *r, const struct px_pl_pick *p)
{
	char a[200], b[200], v[80];
	const struct req *other = NULL;

	if (s->explained)
		return;
	s->explained = 1;
	px_pl_ver_format(&p->m->version, v, sizeof(v));
	describe(s, r, a, sizeof(a));
	for (int i = 0; i < s->nreqs && !other; i++)
		if (&s->reqs[i] != r && !strcmp(s->reqs[i].name, r->name) &&
		    px_pl_range_match(s->reqs[i].range, &p->m->version))
			other = &s->reqs[i];
	if (other) {
		describe(s, other, b, sizeof(b));
		px_buf_printf(s->why, "%s, but %s %s is chosen because %s", a, r->name, v, b);
	} else {
		px_buf_printf(s->why, "%s, but %s %s is chosen", a, r->name, v);
	}
}

/* Nothing to pick for r: no such plugin, no version in range, or every
 * version in range ruled out by the requirement other. */
static void explain_missing(struct solver *s, const struct req *r, int any,
			    const struct req *other)
{
	char a[200], b[200];

	if (s->explained)
		return;
	s->explained = 1;
	describe(s, r, a, sizeof(a));
	if (other) {
		describe(s, other, b, sizeof(b));
		px_buf_printf(s->why, "%s, but %s", a, b);
	} else if (any) {
		px_buf_printf(s->why, "%s, and no available version of %s is in that range", a,
			      r->name);
	} else {
		px_buf_printf(s->why, "%s, and %s is neither installed nor available", a, r->name);
	}
}

static int solve(struct solver *s, int next);

/* Picks version m for requirement r, adds its dependencies, goes on. */
static int try_pick(struct solver *s, int next, const struct px_pl_manifest *m)
{
	const struct px_pl_manifest *inst = installed_as(s, m->name);
	int nreqs = s->nreqs, nplan = s->plan->n;

	if (s->plan->n >= PX_PL_PLAN_MAX || s->nreqs + m->ndeps > REQ_MAX)
		return -1;
	s->plan->pick[s->plan->n].m = m;
	s->plan->pick[s->plan->n].installed =
		inst && px_pl_ver_cmp(&inst->version, &m->version) == 0;
	s->plan->n++;
	for (int i = 0; i < m->ndeps; i++) {
		struct req *d = &s->reqs[s->nreqs++];

		d->name = m->deps[i].name;
		d->range = &m->deps[i].range;
		d->range_text = m->deps[i].text;
		d->by = m;
	}
	if (solve(s, next + 1) == 0)
		return 0;
	s->nreqs = nreqs;
	s->plan->n = nplan;
	return -1;
}

#define CAND_MAX 64

static int solve(struct solver *s, int next)
{
	const struct px_pl_manifest *cand[CAND_MAX];
	const struct px_pl_pick *p;
	const struct req *r, *c, *ruled = NULL;
	int n = 0, any = 0;

	if (next == s->nreqs)
		return 0;
	if (++s->steps > STEP_BUDGET) {
		if (!s->explained)
			px_buf_puts(s->why, "the dependencies are too tangled to resolve");
		s->explained = 1;
		return -1;
	}
	r = &s->reqs[next];
	if ((p = picked(s, r->name))) {
		if (px_pl_range_match(r->range, &p->m->version))
			return solve(s, next + 1);
		explain_conflict(s, r, p);
		return -1;
	}
	/* the versions in range that no other requirement rules out, newest
	 * first */
	for (int i = 0; i < s->navail; i++) {
		const struct px_pl_manifest *m = s->avail[i];
		int j;

		if (strcmp(m->name, r->name))
			continue;
		any = 1;
		if (!px_pl_range_match(r->range, &m->version) || n == CAND_MAX)
			continue;
		if ((c = clash(s, r, &m->version))) {
			ruled = ruled ? ruled : c;
			continue;
		}
		for (j = n; j > 0 && px_pl_ver_cmp(&cand[j - 1]->version, &m->version) < 0; j--)
			cand[j] = cand[j - 1];
		if (j > 0 && px_pl_ver_cmp(&cand[j - 1]->version, &m->version) == 0) {
			memmove(&cand[j], &cand[j + 1], (size_t)(n - j) * sizeof(*cand));
			continue; /* listed twice (installed and available) */
		}
		cand[j] = m;
		n++;
	}
	for (int i = 0; i < n; i++)
		if (try_pick(s, next, cand[i]) == 0)
			return 0;
	if (n == 0)
		explain_missing(s, r, any, ruled);
	return -1;
}

/* A dependency cycle among the plan's picks, written into why. */
static int cycle_from(const struct px_pl_plan *plan, int at, int *stack, int depth, int *state,
		      struct px_buf *why)
{
	const struct px_pl_manifest *m = plan->pick[at].m;

	state[at] = 1;
	stack[depth] = at;
	for (int d = 0; d < m->ndeps; d++)
		for (int j = 0; j < plan->n; j++) {
			if (strcmp(plan->pick[j].m->name, m->deps[d].name))
				continue;
			if (state[j] == 1) {
				int k = 0;

				while (stack[k] != j)
					k++;
				for (; k <= depth; k++)
					px_buf_printf(why, "%s -> ", plan->pick[stack[k]].m->name);
				px_buf_printf(why, "%s: a dependency cycle", plan->pick[j].m->name);
				return -1;
			}
			if (state[j] == 0 && cycle_from(plan, j, stack, depth + 1, state, why))
				return -1;
		}
	state[at] = 2;
	return 0;
}

static int acyclic(const struct px_pl_plan *plan, struct px_buf *why)
{
	int state[PX_PL_PLAN_MAX] = { 0 }, stack[PX_PL_PLAN_MAX];

	for (int i = 0; i < plan->n; i++)
		if (state[i] == 0 && cycle_from(plan, i, stack, 0, state, why))
			return -1;
	return 0;
}

int px_pl_resolve(const struct px_pl_manifest *const *installed, int ninstalled,
		  const struct px_pl_manifest *const *avail, int navail, const char *name,
		  const char *range_text, struct px_pl_plan *plan, struct px_buf *why)
{
	struct solver *s = calloc(1, sizeof(*s));
	int rc = -1;

	if (!s)
		return -1;
	if (px_pl_range_parse(range_text, &s->want_range) != 0) {
		px_buf_printf(why, "%s: not a version range", range_text);
		goto out;
	}
	memset(plan, 0, sizeof(*plan));
	s->installed = installed;
	s->ninstalled = ninstalled;
	s->avail = avail;
	s->navail = navail;
	s->want = name;
	s->plan = plan;
	s->why = why;
	s->reqs[s->nreqs++] = (struct req){ name, &s->want_range, range_text, NULL };
	/* the others stay at their installed version; their dependencies
	 * still have to hold after the change */
	for (int i = 0; i < ninstalled && s->nreqs < REQ_MAX && i < PX_PL_PLAN_MAX; i++) {
		const struct px_pl_manifest *m = installed[i];

		if (!strcmp(m->name, name))
			continue;
		px_pl_ver_format(&m->version, s->pin_text[i], sizeof(s->pin_text[i]));
		if (px_pl_range_parse(s->pin_text[i], &s->pins[i]) != 0)
			goto out;
		s->reqs[s->nreqs++] = (struct req){ m->name, &s->pins[i], s->pin_text[i], NULL };
	}
	if (solve(s, 0) == 0 && acyclic(plan, why) == 0)
		rc = 0;
out:
	free(s);
	return rc;
}

int px_pl_resolve_remove(const struct px_pl_manifest *const *installed, int ninstalled,
			 const char *name, struct px_buf *why)
{
	for (int i = 0; i < ninstalled; i++)
		for (int d = 0; d < installed[i]->ndeps; d++)
			if (strcmp(installed[i]->name, name) && !strcmp(installed[i]->deps[d].name, name)) {
				char v[80];

				px_pl_ver_format(&installed[i]->version, v, sizeof(v));
				px_buf_printf(why, "%s %s needs %s %s", installed[i]->name, v, name,
					      installed[i]->deps[d].text);
				return -1;
			}
	return 0;
}
