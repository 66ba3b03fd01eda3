/* The log ring (log.h): while the view is up, no logging thread ever waits
 * for it, the main thread included; a full ring drops lines and counts
 * them; lines come out whole, in order. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "log.h"

#define FLOOD 20000

/* A thread that logs as fast as it can while counting, as a camera counts
 * frames: it must reach FLOOD with nobody reading the ring. */
static atomic_uint_fast64_t counted;

static void *flood(void *arg)
{
	const char *who = arg;

	for (int i = 0; i < FLOOD; i++) {
		log_error("%s line %d", who, i);
		atomic_fetch_add(&counted, 1);
	}
	return NULL;
}

static void drain_all(void)
{
	char line[LOG_LINE_MAX];

	while (log_pop(line, sizeof(line), NULL))
		;
}

static void flooding_threads_never_wait_for_the_view(void **state)
{
	pthread_t t[2];
	char line[LOG_LINE_MAX];
	enum log_pri pri;

	(void)state;
	log_capture_begin();
	drain_all();
	uint64_t dropped0 = log_dropped();
	atomic_store(&counted, 0);
	/* Nobody reads while two threads and the main thread flood: if a
	 * line could wait for room, this would never end (the test's timeout). */
	assert_int_equal(pthread_create(&t[0], NULL, flood, "a"), 0);
	assert_int_equal(pthread_create(&t[1], NULL, flood, "b"), 0);
	flood("main");
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	assert_int_equal(atomic_load(&counted), 3 * FLOOD);

	/* The ring holds its size in whole lines; the rest were counted as dropped. */
	int kept = 0;
	while (log_pop(line, sizeof(line), &pri)) {
		assert_int_equal(pri, LOG_PRI_ERR);
		assert_int_equal(strncmp(line, "turnstile: ", 11), 0);
		assert_non_null(strstr(line, " line "));
		kept++;
	}
	assert_int_equal(kept, LOG_RING_LINES);
	assert_int_equal(log_dropped() - dropped0, 3 * FLOOD - LOG_RING_LINES);
	log_capture_end();
}

static void lines_come_out_in_order_and_room_comes_back(void **state)
{
	char line[LOG_LINE_MAX], want[64];

	(void)state;
	log_capture_begin();
	drain_all();
	uint64_t dropped0 = log_dropped();
	for (int round = 0; round < 3; round++) {
		/* Fill exactly, then one over: wrap-around and reuse after a drain. */
		for (int i = 0; i < LOG_RING_LINES + 1; i++)
			log_warn("round %d line %d", round, i);
		for (int i = 0; i < LOG_RING_LINES; i++) {
			assert_true(log_pop(line, sizeof(line), NULL));
			snprintf(want, sizeof(want), "turnstile: round %d line %d", round, i);
			assert_string_equal(line, want);
		}
		assert_false(log_pop(line, sizeof(line), NULL));
	}
	assert_int_equal(log_dropped() - dropped0, 3);
	log_capture_end();
}

static void quiet_drops_information_only(void **state)
{
	char line[LOG_LINE_MAX];
	enum log_pri pri;

	(void)state;
	log_configure(false, true);
	log_capture_begin();
	drain_all();
	log_info("status");
	log_notice("streaming again");
	assert_true(log_pop(line, sizeof(line), &pri));
	assert_int_equal(pri, LOG_PRI_NOTICE);
	assert_false(log_pop(line, sizeof(line), NULL));
	log_capture_end();
	log_configure(false, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flooding_threads_never_wait_for_the_view),
		cmocka_unit_test(lines_come_out_in_order_and_room_comes_back),
		cmocka_unit_test(quiet_drops_information_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
