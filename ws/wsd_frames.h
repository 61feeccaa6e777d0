/* wsd_frames.h: a socket's incoming frames (ws/wsd.h): control frames
 * answered, text frames run as the HTTP request they stand for through
 * the pipeline (typing, read markers) on the frame worker (ws/wsd_work.h)
 * and answered with a reply frame once it finished.
 * Internal to ws/. */
#ifndef PX_WSD_FRAMES_H
#define PX_WSD_FRAMES_H

#include "ws/wsd_conn.h"

/* Handles the whole frames in p[0..n) (bytes read from c, which p may
 * point into); what is left of an incomplete one stays in c->in. */
void px_wsd_frames(struct px_wsd *d, struct conn *c, char *p, size_t n)
	__attribute__((nonnull));
/* Answers the frames whose requests the worker finished (ws/wsd_work.h). */
void px_wsd_frames_done(struct px_wsd *d) __attribute__((nonnull));

#endif
