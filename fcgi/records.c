/* records.c: FastCGI record framing (FastCGI 1.0, section 3.3) over a
 * descriptor, every write resumed until complete. */
#include "fcgi/records.h"

#include <errno.h>
#include <sys/uio.h>

#define FCGI_VERSION 1
#define FCGI_END_REQUEST 3
#define FCGI_STDOUT 6
#define MAX_CONTENT 65535
#define MAX_IOV 64

static void header(unsigned char h[8], int type, int id, size_t len)
{
	h[0] = FCGI_VERSION;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)(id >> 8);
	h[3] = (unsigned char)id;
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)len;
	h[6] = 0;
	h[7] = 0;
}

/* Writes all of iov, resuming after partial writes. */
static int write_all(int fd, struct iovec *iov, int cnt)
{
	while (cnt > 0) {
		ssize_t w = writev(fd, iov, cnt);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		while (cnt > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* A batch of records being gathered for one writev. */
struct batch {
	struct iovec iov[MAX_IOV];
	unsigned char hdr[MAX_IOV / 2][8];
	int n, nh;
	int fd, id;
};

static int flush(struct batch *b)
{
	int rc = b->n ? write_all(b->fd, b->iov, b->n) : 0;

	b->n = b->nh = 0;
	return rc;
}

/* Adds one record (header, then content unless empty). */
static int add(struct batch *b, int type, const void *p, size_t len)
{
	if (b->n + 2 > MAX_IOV && flush(b) != 0)
		return -1;
	header(b->hdr[b->nh], type, b->id, len);
	b->iov[b->n].iov_base = b->hdr[b->nh++];
	b->iov[b->n++].iov_len = 8;
	if (len) {
		b->iov[b->n].iov_base = (void *)p;
		b->iov[b->n++].iov_len = len;
	}
	return 0;
}

static int add_stdout(struct batch *b, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		size_t len = n > MAX_CONTENT ? MAX_CONTENT : n;

		if (add(b, FCGI_STDOUT, s, len) != 0)
			return -1;
		s += len;
		n -= len;
	}
	return 0;
}

/* body: appStatus 0, protocolStatus FCGI_REQUEST_COMPLETE (0) */
static const unsigned char end_body[8];

static int add_end(struct batch *b)
{
	return add(b, FCGI_STDOUT, NULL, 0) == 0 &&
	       add(b, FCGI_END_REQUEST, end_body, sizeof(end_body)) == 0 ? 0 : -1;
}

void px_records_take_over(FCGX_Request *r)
{
	r->out->isClosed = r->out->wasFCloseCalled = 1;
	r->err->isClosed = r->err->wasFCloseCalled = 1;
	r->keepConnection = 0;
	r->detached = 1;
}

int px_records_stdout(int fd, int id, const void *p, size_t n)
{
	struct batch b = { .fd = fd, .id = id };

	return add_stdout(&b, p, n) == 0 ? flush(&b) : -1;
}

int px_records_end(int fd, int id)
{
	struct batch b = { .fd = fd, .id = id };

	return add_end(&b) == 0 ? flush(&b) : -1;
}

int px_records_answer(int fd, int id, const void *head, size_t hn,
		      const void *body, size_t bn)
{
	struct batch b = { .fd = fd, .id = id };

	if (add_stdout(&b, head, hn) != 0 || add_stdout(&b, body, bn) != 0 ||
	    add_end(&b) != 0)
		return -1;
	return flush(&b);
}
