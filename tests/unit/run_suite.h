/* run_suite.h: the one way the unit test programs run their suite. */
#ifndef PX_RUN_SUITE_H
#define PX_RUN_SUITE_H

#include <check.h>
#include <stdlib.h>

/* Runs s (forking per test as fork says: CK_FORK_GETENV for Check's
 * default) and returns the program's exit status. */
static inline int px_check_run(Suite *s, enum fork_status fork)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_fork_status(sr, fork);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
