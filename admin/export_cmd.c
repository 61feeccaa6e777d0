/* admin/export_cmd.c: plexichat-admin export compliance (export_cmd.h). The
 * last cursor goes to stderr, so a later run can go on with --after. */
#include "admin/export_cmd.h"

#include "model/compliance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "1,2" into ids one per line; 0, or -1 when not positive integers. */
static int ids(const char *s, struct px_buf *out)
{
	char *end;
	long long id;

	if (!s || !*s)
		return -1;
	for (;;) {
		id = strtoll(s, &end, 10);
		if (id <= 0 || end == s || (*end && *end != ','))
			return -1;
		px_buf_printf(out, "%s%lld", out->len ? "\n" : "", id);
		if (!*end)
			return out->failed ? -1 : 0;
		s = end + 1;
	}
}

int admin_cmd_export(struct admin *a, int argc, char **argv)
{
	struct px_buf chans = PX_BUF_INIT, page = PX_BUF_INIT;
	struct px_m_compliance_q q;
	const char *after = admin_opt_value(argc, argv, "--after");
	long long next = 0;
	int more = 1, rc = 1;

	if (argc < 1 || strcmp(argv[0], "compliance") != 0)
		return -1;
	if (ids(admin_opt_value(argc, argv, "--channels"), &chans) != 0) {
		fprintf(stderr, "plexichat-admin: --channels takes channel ids: 1,2,3\n");
		goto out;
	}
	memset(&q, 0, sizeof(q));
	q.channels = chans.data;
	q.since = admin_opt_value(argc, argv, "--since");
	q.until = admin_opt_value(argc, argv, "--until");
	q.after = after ? atoll(after) : 0;
	q.limit = 5000;
	while (more) {
		px_buf_reset(&page);
		if (px_m_compliance_export(a->db, &q, &page, &next, &more) != PX_OK) {
			fprintf(stderr, "plexichat-admin: export failed (are --since and --until"
				" timestamps?)\n");
			goto out;
		}
		if (page.len && fwrite(page.data, 1, page.len, stdout) != page.len)
			goto out;
		q.after = next;
	}
	fprintf(stderr, "next after: %lld\n", next);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	px_buf_free(&chans);
	px_buf_free(&page);
	return rc;
}
