/* plexichat_plugin.h: the C interface of in-process plugins, ABI 1
 * (docs/PLUGIN_DEVELOPMENT.md). A module is a shared object that exports
 * plexichat_plugin_abi and the hook functions its manifest declares.
 * It runs inside plexichat.fcgi with the server's rights: only modules
 * signed by a key the admin trusts are loaded, and hooks are called from
 * several worker threads at once, so they must be thread-safe. */
#ifndef PLEXICHAT_PLUGIN_H
#define PLEXICHAT_PLUGIN_H

#include <stddef.h>

#define PLEXICHAT_PLUGIN_ABI 1

/* A message about to be stored. body is UTF-8, not NUL-terminated
 * inside: body_len bytes (a NUL follows them). */
struct plexichat_message {
	long long channel_id;
	long long user_id;
	const char *body;
	size_t body_len;
};

enum plexichat_verdict {
	PLEXICHAT_PASS = 0,    /* store it as it is */
	PLEXICHAT_MODIFY = 1,  /* store result->body instead */
	PLEXICHAT_REJECT = 2,  /* refuse it, result->reason says why */
};

struct plexichat_result {
	/* MODIFY: the new body, allocated with malloc(); PlexiChat frees it
	 * with free() */
	char *body;
	/* REJECT: shown to the author (UTF-8, NUL-terminated) */
	char reason[200];
};

/* Exported by every module: the ABI it was built for. */
extern const int plexichat_plugin_abi;

/* Optional: called once after loading with the plugin's settings as
 * key, value pairs (NULL-terminated array). Non-zero refuses to load. */
int plexichat_plugin_init(const char *const *settings);

/* Hook "message.before_store". */
enum plexichat_verdict plexichat_before_store(const struct plexichat_message *m,
					      struct plexichat_result *result);

#endif
