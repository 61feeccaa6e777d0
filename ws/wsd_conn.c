/* wsd_conn.c: sending and closing on one socket, and its end
 * (ws/wsd_conn.h). */
#include "ws/wsd_conn.h"
#include "core/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOW_CLOSE_MS 60000     /* a slow reader's close frame waits behind
				 * what the kernels already hold */

uint64_t px_wsd_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* ---- sending ---- */

static void watch(struct px_wsd *d, struct conn *c, int out)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0),
				  .data.ptr = c };

	if (c->want_out == out)
		return;
	c->want_out = out;
	if (epoll_ctl(d->ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		c->dead = 1;
}

/* Sends what the socket takes now; the rest waits for EPOLLOUT. */
void px_wsd_flush(struct px_wsd *d, struct conn *c)
{
	while (!c->dead && c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->out_off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			watch(d, c, 1);
			return;
		} else {
			c->dead = 1;
		}
	}
	/* an idle socket holds no buffer */
	px_buf_free(&c->out);
	c->out_off = 0;
	if (!c->dead)
		watch(d, c, 0);
	if (c->state == ST_CLOSING && !c->dead)
		shutdown(c->fd, SHUT_WR);
}

size_t px_wsd_queued(const struct conn *c)
{
	return c->out.len - c->out_off;
}

/* Starts the closing handshake: the close frame goes after what is
 * queued, and the socket ends once it drained (or after CLOSE_MS). */
void px_wsd_close(struct px_wsd *d, struct conn *c, int code, const char *why)
{
	if (c->state == ST_CLOSING || c->dead)
		return;
	if (c->state == ST_OPEN)
		px_ws_close_frame(&c->out, code, why);
	c->state = ST_CLOSING;
	c->deadline = px_wsd_now_ms() + (code == PX_WS_CLOSE_SLOW ? SLOW_CLOSE_MS : CLOSE_MS);
	px_log_debug("ws", NULL, "closing socket of user %lld: %d %s", c->g.user, code, why);
	px_wsd_flush(d, c);
}

/* Queues one frame; a reader that let the queue grow past its bound is
 * closed instead (4001). */
void px_wsd_send(struct px_wsd *d, struct conn *c, enum px_ws_op op, const char *p,
		       size_t n)
{
	if (c->dead || c->state != ST_OPEN)
		return;
	if (px_wsd_queued(c) + n > d->queue_max) {
		px_log_info("ws", NULL, "socket of user %lld closed: its reader is too slow "
			    "(%zu bytes queued)", c->g.user, px_wsd_queued(c));
		/* what is queued is dropped: only the reason goes out */
		px_buf_truncate(&c->out, c->out_off);
		px_wsd_close(d, c, PX_WS_CLOSE_SLOW, "slow reader: send queue full");
		return;
	}
	px_ws_frame(&c->out, op, p, n);
	if (c->out.failed) {
		c->dead = 1;
		return;
	}
	px_wsd_flush(d, c);
}

void px_wsd_send_text(struct px_wsd *d, struct conn *c, const struct px_buf *b)
{
	if (!b->failed)
		px_wsd_send(d, c, PX_WS_TEXT, b->data, b->len);
}

/* ---- connections ---- */

static void conn_free(struct px_wsd *d, struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(d->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	px_buf_free(&c->in);
	px_buf_free(&c->out);
	px_ws_parser_free(&c->parser);
	px_kvlist_free(&c->hdrs);
	px_chanset_free(&c->chans);
	free(c);
	d->nall--;
}

static void unlink_conn(struct px_wsd *d, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else if (d->conns == c)
		d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
}

/* Ends a connection: its stream row goes, then its memory. */
void px_wsd_conn_end(struct px_wsd *d, struct conn *c)
{
	if (c->g.stream) {
		if (px_m_streams_close(d->db, &c->g.stream, 1) != PX_OK)
			px_log_warn("ws", NULL, "stream row not removed; it lapses");
		d->nconns--;
	}
	unlink_conn(d, c);
	conn_free(d, c);
}

void px_wsd_conn_link(struct px_wsd *d, struct conn *c)
{
	c->prev = NULL;
	c->next = d->conns;
	if (d->conns)
		d->conns->prev = c;
	d->conns = c;
}
