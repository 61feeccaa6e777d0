/* hello.c: the baseline for bench/foundation-bench.sh, a bare libfcgi
 * responder with the same threading as plexichat.fcgi (N threads sharing
 * one accept lock) answering 60 bytes of JSON to every request.
 * With a third argument "nolinger" it also closes each connection at once
 * instead of libfcgi's shutdown-and-wait when its input is read, as
 * plexichat.fcgi does. */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static pthread_mutex_t accept_lock = PTHREAD_MUTEX_INITIALIZER;
static int listen_fd;
static int nolinger;

static void *worker(void *arg)
{
	static const char reply[] =
		"Status: 200\r\nContent-Type: application/json\r\n\r\n"
		"{\"name\":\"hello\",\"version\":\"0.0.0\",\"api\":\"v1\",\"ok\":true}";
	FCGX_Request r;

	FCGX_InitRequest(&r, listen_fd, 0);
	for (;;) {
		int rc;

		pthread_mutex_lock(&accept_lock);
		rc = FCGX_Accept_r(&r);
		pthread_mutex_unlock(&accept_lock);
		if (rc < 0)
			break;
		FCGX_PutStr(reply, sizeof(reply) - 1, r.out);
		if (nolinger) {
			char c;

			/* as plexichat.fcgi: only when the input is read to its end */
			r.detached = FCGX_GetStr(&c, 1, r.in) == 0 && FCGX_HasSeenEOF(r.in);
		}
		FCGX_Finish_r(&r);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int i, sig, n = argc > 2 ? atoi(argv[2]) : 4;
	pthread_t t[64];
	sigset_t set;

	if (argc < 2 || n < 1 || n > 64) {
		fprintf(stderr, "usage: hello SOCKET [THREADS [nolinger]]\n");
		return 2;
	}
	nolinger = argc > 3 && strcmp(argv[3], "nolinger") == 0;
	FCGX_Init();
	listen_fd = FCGX_OpenSocket(argv[1], 256);
	if (listen_fd < 0)
		return 1;
	chmod(argv[1], 0666);
	/* libfcgi catches SIGTERM only to set a flag; stop at once instead */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	sigwait(&set, &sig);
	return 0;
}
