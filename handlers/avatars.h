/* avatars.h: users' avatars (fcgi/routes_files.inc): upload (cropped to a
 * square, kept as 256 and 64 pixel WebP objects of the file store; the
 * upload itself is not kept), removal, and reading, sent by the web
 * server. */
#ifndef PX_H_AVATARS_H
#define PX_H_AVATARS_H

#include "core/ctx.h"

enum px_err px_h_avatar_put(struct px_ctx *ctx);
enum px_err px_h_avatar_delete(struct px_ctx *ctx);
enum px_err px_h_avatar_get(struct px_ctx *ctx);

#endif
