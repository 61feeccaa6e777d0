/* err.c: lookups over the errors.def table. */
#include "core/err.h"

#include <string.h>

struct err_row {
	const char *name;
	int status;
	const char *message;
};

static const struct err_row rows[] = {
	{ "OK", 200, "OK" },
#define X(code, status, msg) { #code, status, msg },
#include "core/errors.def"
#undef X
};

static const struct err_row *row(enum px_err e)
{
	if ((int)e < 0 || e >= PX_E__COUNT)
		e = PX_E_SYSTEM_INTERNAL;
	return &rows[e];
}

const char *px_err_name(enum px_err e)
{
	return row(e)->name;
}

int px_err_status(enum px_err e)
{
	return row(e)->status;
}

const char *px_err_message(enum px_err e)
{
	return row(e)->message;
}

int px_err_from_name(const char *name)
{
	int i;

	for (i = 0; i < PX_E__COUNT; i++)
		if (strcmp(rows[i].name, name) == 0)
			return i;
	return -1;
}
