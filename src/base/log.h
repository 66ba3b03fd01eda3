/* Log lines: one line each, "turnstile: " and the message, on standard
 * error, from any thread.
 *
 * Priorities are syslog's. When standard error is not a terminal (journald,
 * a pipe, a file), main turns on the "<N>" prefixes journald reads as the
 * line's priority (sd-daemon(3)); --quiet drops LOG_PRI_INFO.
 *
 * While the live view is up, lines do not go to standard error at all: they
 * go into a bounded in-process ring that the view reads. A logging thread
 * never waits for the view: when the ring is full the line is dropped and
 * counted. So no thread, the main thread included, can block on its own
 * log. Lock order: the ring's mutex is a leaf; nothing is written to a file
 * under it. */
#ifndef TURNSTILE_LOG_H
#define TURNSTILE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_pri {
	LOG_PRI_ERR = 3,     /* something failed */
	LOG_PRI_WARNING = 4, /* degraded: a camera lost, a write failing, retrying */
	LOG_PRI_NOTICE = 5,  /* a change of state back to normal */
	LOG_PRI_INFO = 6,    /* status lines, what was negotiated, resumed totals */
};

/* Lines the ring holds while the view is up, and the longest line kept. */
#define LOG_RING_LINES 256
#define LOG_LINE_MAX 512

void log_msg(enum log_pri pri, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_PRI_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_PRI_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_PRI_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_PRI_INFO, __VA_ARGS__)

/* Set once by main before any thread starts. prefix: "<N>" before each
 * line; quiet: drop LOG_PRI_INFO. */
void log_configure(bool prefix, bool quiet);

/* From log_capture_begin until log_capture_end, lines go into the ring
 * instead of standard error (the live view's). */
void log_capture_begin(void);
void log_capture_end(void);

/* The oldest line in the ring ("turnstile: ..." without prefix or newline)
 * into buf, and its priority. False when the ring is empty. */
bool log_pop(char *buf, size_t size, enum log_pri *pri);

/* Lines dropped because the ring was full, since the start. */
uint64_t log_dropped(void);

#endif
