/* bk_fixture.h: a scratch folder per test for the backup unit tests. */
#ifndef PX_BK_FIXTURE_H
#define PX_BK_FIXTURE_H

/* The folder of the running test, made by bk_fixture_setup. */
extern char bk_root[64];

/* Check fixtures: make bk_root, and remove it with all it holds. */
void bk_fixture_setup(void);
void bk_fixture_teardown(void);

#endif
