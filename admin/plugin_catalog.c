/* admin/plugin_catalog.c: catalogues and signatures for plexichat-admin
 * plugin. Nothing from a catalogue is believed before its index's
 * signature verifies with a trusted key; a package downloaded from one is
 * then checked against the index's hash and its own signature by the
 * install path (plugin_cmd.c). */
#include "admin/plugin_catalog.h"

#include "core/cfg.h"
#include "handlers/plugin_manage.h"
#include "model/plugins.h"

#include <stdio.h>
#include <string.h>

int admin_plugin_fetch(struct admin *a, const char *url, size_t max, struct px_buf *out,
		       struct px_buf *err)
{
	return px_plugin_fetch(a->cfg, url, max, out, err);
}

int admin_plugin_verify(struct admin *a, const void *p, size_t n, const unsigned char *sig,
			char *signer, size_t cap)
{
	return px_plugin_verify(a->db, p, n, sig, signer, cap);
}

int admin_plugin_catalogs(struct admin *a, struct px_pl_catalog *c)
{
	struct px_buf skipped = PX_BUF_INIT;
	int read = px_plugin_catalogs(a->db, a->cfg, c, &skipped);

	for (char *s = skipped.data, *nl; s && *s; s = nl + 1) {
		nl = strchr(s, '\n');
		*nl = '\0';
		fprintf(stderr, "plexichat-admin: plugin catalog: %s\n", s);
	}
	px_buf_free(&skipped);
	return read;
}

int admin_plugin_catalog_list(struct admin *a, int argc, char **argv)
{
	struct px_pl_catalog c = { 0, NULL };
	int json = admin_has_flag(argc, argv, "--json");
	struct px_buf out = PX_BUF_INIT;

	admin_plugin_catalogs(a, &c);
	if (json)
		px_buf_puts(&out, "{\"plugins\":[");
	for (int i = 0; i < c.n; i++) {
		char v[80];

		px_pl_ver_format(&c.v[i].m.version, v, sizeof(v));
		if (!json) {
			printf("%-24s %-14s %s\n", c.v[i].m.name, v, c.v[i].m.description);
			continue;
		}
		px_buf_printf(&out, "%s{\"name\":\"%s\",\"version\":\"%s\",\"url\":", i ? "," : "",
			      c.v[i].m.name, v);
		px_buf_json_str(&out, c.v[i].url, strlen(c.v[i].url));
		px_buf_puts(&out, ",\"description\":");
		px_buf_json_str(&out, c.v[i].m.description, strlen(c.v[i].m.description));
		px_buf_putc(&out, '}');
	}
	if (json) {
		px_buf_puts(&out, "]}");
		(void)admin_put_line(&out);
	}
	px_buf_free(&out);
	px_pl_catalog_free(&c);
	return 0;
}
