/* bk_fixture.c: scratch folders for the backup unit tests. */
#include "tests/unit/bk_fixture.h"

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

char bk_root[64];

static int rm_one(const char *p, const struct stat *s, int f, struct FTW *w)
{
	return remove(p);
}

void bk_fixture_setup(void)
{
	snprintf(bk_root, sizeof(bk_root), "/tmp/check_backup_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(bk_root));
}

void bk_fixture_teardown(void)
{
	nftw(bk_root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}
