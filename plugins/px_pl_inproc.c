/* px_pl_inproc.c: dlopen for in-process plugins. The file is hashed and
 * compared with the install record right before dlopen, so a module
 * replaced on disk after install is refused. */
#include "plugins/px_pl_inproc.h"
#include "plugins/px_pl_manifest.h"

#include "core/codec.h"
#include "core/crypto.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>

struct px_pl_inproc {
	void *handle;
	enum plexichat_verdict (*before_store)(const struct plexichat_message *,
					       struct plexichat_result *);
};

int px_pl_file_sha256(const char *path, char out[65])
{
	unsigned char buf[65536], md[32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
	unsigned len = 0;
	ssize_t n;

	if (fd < 0 || !c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (EVP_DigestUpdate(c, buf, (size_t)n) != 1)
			goto out;
	if (n < 0 || EVP_DigestFinal_ex(c, md, &len) != 1 || len != sizeof(md))
		goto out;
	px_codec_hex_str(out, md, len);
	rc = 0;
out:
	EVP_MD_CTX_free(c);
	if (fd >= 0)
		close(fd);
	return rc;
}

struct px_pl_inproc *px_pl_inproc_load(const char *path, const char *sha256,
				       const char *const *settings, struct px_buf *err)
{
	struct px_pl_inproc *p = calloc(1, sizeof(*p));
	int (*init)(const char *const *);
	const int *abi;
	char have[65];

	if (!p)
		return NULL;
	if (px_pl_file_sha256(path, have) != 0 || !px_crypto_streq(have, sha256)) {
		px_buf_printf(err, "%s: changed since it was installed (or unreadable)", path);
		goto fail;
	}
	/* RTLD_LOCAL: its symbols never resolve another module's */
	if (!(p->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL))) {
		px_buf_printf(err, "%s", dlerror());
		goto fail;
	}
	abi = dlsym(p->handle, "plexichat_plugin_abi");
	if (!abi || *abi != PX_PL_ABI) {
		px_buf_printf(err, "%s: built for ABI %d, this PlexiChat loads %d", path, abi ? *abi : 0,
			      PX_PL_ABI);
		goto fail;
	}
	*(void **)&p->before_store = dlsym(p->handle, "plexichat_before_store");
	*(void **)&init = dlsym(p->handle, "plexichat_plugin_init");
	if (init && init(settings) != 0) {
		px_buf_printf(err, "%s: its init refused to start", path);
		goto fail;
	}
	return p;
fail:
	px_pl_inproc_free(p);
	return NULL;
}

enum plexichat_verdict (*px_pl_inproc_before_store(const struct px_pl_inproc *p))(
	const struct plexichat_message *, struct plexichat_result *)
{
	return p->before_store;
}

void px_pl_inproc_free(struct px_pl_inproc *p)
{
	if (!p)
		return;
	if (p->handle)
		dlclose(p->handle);
	free(p);
}
