/* web.h: the page handlers of the browser UI that need no account yet:
 * sign-in, registration, invite links and the service worker script. */
#ifndef PX_H_WEB_H
#define PX_H_WEB_H

#include "core/ctx.h"

/* GET /login: the sign-in form (?next= path to return to, ?expired=1). */
enum px_err px_h_web_login_page(struct px_ctx *ctx);
/* GET /register and GET /invite/{code}: the registration form. */
enum px_err px_h_web_register_page(struct px_ctx *ctx);
/* GET /sw.js: the service worker, served from the site root so that its
 * scope is the whole site; revalidated on every load. */
enum px_err px_h_web_sw(struct px_ctx *ctx);

#endif
