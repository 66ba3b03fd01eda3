/* The service manager's side of running as a daemon (sd_notify(3)): ready,
 * watchdog keep-alives, stopping. Each is a no-op when NOTIFY_SOCKET is not
 * set (not under systemd) or when built without libsystemd. Main thread. */
#ifndef TURNSTILE_NOTIFY_H
#define TURNSTILE_NOTIFY_H

#include <stdint.h>

/* Every camera has started (or is retrying its source): READY=1, with a
 * STATUS= line saying how many cameras. */
void notify_ready(int ncameras);

/* From the main loop: WATCHDOG=1 at half the unit's WatchdogSec= (none
 * when it has none). now: CLOCK_MONOTONIC ns. */
void notify_watchdog(int64_t now);

/* Shutting down: STOPPING=1. */
void notify_stopping(void);

#endif
