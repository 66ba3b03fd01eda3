/* sd_notify for Type=notify units; notify.h. */
#include "notify.h"

#include <stdbool.h>
#include <stdlib.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#ifdef HAVE_LIBSYSTEMD
static int64_t watchdog_ns = -1; /* -1: not asked yet; 0: no watchdog */
static int64_t next_ns;

void notify_ready(int ncameras)
{
	sd_notifyf(0, "READY=1\nSTATUS=counting on %d camera%s", ncameras, ncameras == 1 ? "" : "s");
}

void notify_watchdog(int64_t now)
{
	if (watchdog_ns < 0) {
		uint64_t usec = 0;
		/* 0 (unset) keeps NOTIFY_SOCKET for the later calls. */
		watchdog_ns = sd_watchdog_enabled(0, &usec) > 0 ? (int64_t)usec * 1000 / 2 : 0;
		next_ns = now;
	}
	if (watchdog_ns == 0 || now < next_ns)
		return;
	sd_notify(0, "WATCHDOG=1");
	next_ns = now + watchdog_ns;
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}
#else
void notify_ready(int ncameras)
{
	(void)ncameras;
}

void notify_watchdog(int64_t now)
{
	(void)now;
}

void notify_stopping(void)
{
}
#endif
