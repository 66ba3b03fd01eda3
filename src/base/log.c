/* Log lines; log.h has the rules. The ring is static: logging allocates
 * nothing and never waits for anything but the ring's mutex, which is held
 * only to copy one line. */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

struct line {
	enum log_pri pri;
	char text[LOG_LINE_MAX];
};

static struct {
	pthread_mutex_t lock;
	bool capturing;
	struct line ring[LOG_RING_LINES];
	size_t head, count; /* oldest line at ring[head] */
} lg = {.lock = PTHREAD_MUTEX_INITIALIZER};

static atomic_bool with_prefix, quiet_info;
static atomic_uint_fast64_t dropped;

void log_configure(bool prefix, bool quiet)
{
	atomic_store(&with_prefix, prefix);
	atomic_store(&quiet_info, quiet);
}

void log_msg(enum log_pri pri, const char *fmt, ...)
{
	char text[LOG_LINE_MAX];
	va_list ap;

	if (pri >= LOG_PRI_INFO && atomic_load(&quiet_info))
		return;
	int n = snprintf(text, sizeof(text), "turnstile: ");
	va_start(ap, fmt);
	vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	va_end(ap);

	mutex_lock(&lg.lock);
	if (lg.capturing) {
		if (lg.count == LOG_RING_LINES) {
			atomic_fetch_add(&dropped, 1);
		} else {
			struct line *l = &lg.ring[(lg.head + lg.count) % LOG_RING_LINES];
			l->pri = pri;
			memcpy(l->text, text, sizeof(text));
			lg.count++;
		}
		mutex_unlock(&lg.lock);
		return;
	}
	mutex_unlock(&lg.lock);
	/* One fprintf per line: stdio's lock keeps threads' lines whole. */
	if (atomic_load(&with_prefix))
		fprintf(stderr, "<%d>%s\n", (int)pri, text);
	else
		fprintf(stderr, "%s\n", text);
}

void log_capture_begin(void)
{
	mutex_lock(&lg.lock);
	lg.capturing = true;
	mutex_unlock(&lg.lock);
}

void log_capture_end(void)
{
	mutex_lock(&lg.lock);
	lg.capturing = false;
	mutex_unlock(&lg.lock);
}

bool log_pop(char *buf, size_t size, enum log_pri *pri)
{
	bool got = false;

	mutex_lock(&lg.lock);
	if (lg.count) {
		const struct line *l = &lg.ring[lg.head];
		snprintf(buf, size, "%s", l->text);
		if (pri)
			*pri = l->pri;
		lg.head = (lg.head + 1) % LOG_RING_LINES;
		lg.count--;
		got = true;
	}
	mutex_unlock(&lg.lock);
	return got;
}

uint64_t log_dropped(void)
{
	return atomic_load(&dropped);
}
