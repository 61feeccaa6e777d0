/* node.c: owns this process's node identity and drain flag (node.h). */
#include "core/node.h"

#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static char id[320], addr[256];
static long long started;
static atomic_int draining;

void px_node_init(const char *address)
{
	if (*address) {
		snprintf(addr, sizeof(addr), "%s", address);
	} else if (gethostname(addr, sizeof(addr) - 1) != 0 || !*addr) {
		snprintf(addr, sizeof(addr), "localhost");
	}
	addr[sizeof(addr) - 1] = '\0';
	snprintf(id, sizeof(id), "%s/%ld", addr, (long)getpid());
	started = (long long)time(NULL);
}

const char *px_node_id(void)
{
	return id;
}

const char *px_node_address(void)
{
	return addr;
}

long long px_node_started(void)
{
	return started;
}

int px_node_draining(void)
{
	return atomic_load(&draining);
}

void px_node_set_draining(int on)
{
	atomic_store(&draining, on ? 1 : 0);
}
