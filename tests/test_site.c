/* Site totals across hosts (site.c), their state file (site_store.c), the
 * event JSON reader the aggregator uses (json_scan.c) and the journal
 * reader the MQTT publisher sends from (journal_tail.c). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "journal.h"
#include "journal_codec.h"
#include "journal_tail.h"
#include "json_scan.h"
#include "site.h"
#include "site_store.h"

static enum site_result ev(struct site *s, const char *node, uint64_t seq, int64_t prev,
			   enum direction d)
{
	return site_apply(s, node, seq, prev, "door", "main", d);
}

static void each_event_counts_once_whatever_the_repeats(void **state)
{
	struct site s = {0};

	(void)state;
	assert_int_equal(ev(&s, "a", 0, -1, DIR_IN), SITE_COUNTED);
	assert_int_equal(ev(&s, "a", 1, 0, DIR_IN), SITE_COUNTED);
	/* A reconnect sends 0 and 1 again, then carries on. */
	assert_int_equal(ev(&s, "a", 0, -1, DIR_IN), SITE_REPEAT);
	assert_int_equal(ev(&s, "a", 1, 0, DIR_IN), SITE_REPEAT);
	assert_int_equal(ev(&s, "a", 2, 1, DIR_OUT), SITE_COUNTED);
	assert_int_equal(ev(&s, "a", 2, 1, DIR_OUT), SITE_REPEAT);
	assert_int_equal(s.t.in, 2);
	assert_int_equal(s.t.out, 1);
	assert_int_equal(s.nodes[0].repeats, 3);
	assert_int_equal(s.nodes[0].last, 2);
	site_free(&s);
}

static void a_gap_is_not_counted_until_filled(void **state)
{
	struct site s = {0};

	(void)state;
	assert_int_equal(ev(&s, "a", 0, -1, DIR_IN), SITE_COUNTED);
	/* 1 was acknowledged and lost with the aggregator's memory. */
	assert_int_equal(ev(&s, "a", 2, 1, DIR_IN), SITE_GAP);
	assert_int_equal(s.t.in, 1);
	assert_int_equal(ev(&s, "a", 1, 0, DIR_IN), SITE_COUNTED);
	assert_int_equal(ev(&s, "a", 2, 1, DIR_IN), SITE_COUNTED);
	/* A journal with a hole (a damaged line skipped): prev bridges it. */
	assert_int_equal(ev(&s, "a", 5, 2, DIR_IN), SITE_COUNTED);
	assert_int_equal(s.t.in, 4);
	assert_int_equal(s.nodes[0].gaps, 1);
	/* A node first heard of in the middle of its journal is a gap. */
	assert_int_equal(ev(&s, "b", 7, 6, DIR_IN), SITE_GAP);
	assert_int_equal(s.t.in, 4);
	site_free(&s);
}

static void occupancy_never_below_zero_per_node_camera_and_site(void **state)
{
	struct site s = {0};

	(void)state;
	assert_int_equal(ev(&s, "a", 0, -1, DIR_OUT), SITE_COUNTED);
	assert_int_equal(ev(&s, "b", 0, -1, DIR_IN), SITE_COUNTED);
	assert_int_equal(s.t.occupancy, 1);
	assert_int_equal(s.t.corrections, 1);
	assert_int_equal(s.nodes[0].t.occupancy, 0);
	assert_int_equal(s.nodes[0].t.corrections, 1);
	assert_int_equal(s.nodes[0].cams[0].t.corrections, 1);
	assert_int_equal(s.nodes[1].cams[0].lines[0].in, 1);
	site_free(&s);
}

static void bad_names_are_refused(void **state)
{
	struct site s = {0};

	(void)state;
	assert_int_equal(site_apply(&s, "a/b", 0, -1, "door", "main", DIR_IN), SITE_BAD);
	assert_int_equal(site_apply(&s, "a", 0, -1, "do or", "main", DIR_IN), SITE_BAD);
	assert_int_equal(site_apply(&s, "a", 0, -1, "door", "", DIR_IN), SITE_BAD);
	assert_int_equal(s.t.in, 0);
	site_free(&s);
}

static char *tmpdir(void)
{
	char *d = strdup("/tmp/test_site.XXXXXX");

	if (!d || !mkdtemp(d))
		abort();
	return d;
}

static void rmrf(const char *d)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
}

static void state_round_trips_and_is_locked(void **state)
{
	struct site s = {0}, r = {0}, other = {0};
	struct site_store *st, *st2;
	char err[256], *d = tmpdir();

	(void)state;
	assert_int_equal(site_store_open(d, &s, &st, err, sizeof(err)), 0);
	assert_int_equal(s.nnodes, 0);
	assert_int_equal(ev(&s, "a", 0, -1, DIR_IN), SITE_COUNTED);
	assert_int_equal(site_apply(&s, "b", 4, -1, "gate", "west", DIR_OUT), SITE_COUNTED);
	assert_int_equal(site_store_save(st, &s), 0);
	assert_int_equal(site_store_open(d, &other, &st2, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, d));
	site_store_close(st);
	assert_int_equal(site_store_open(d, &r, &st, err, sizeof(err)), 0);
	assert_int_equal(r.nnodes, 2);
	assert_int_equal(r.t.in, 1);
	assert_int_equal(r.t.out, 1);
	assert_int_equal(r.t.occupancy, 0);
	assert_int_equal(site_node_get(&r, "b", false)->t.corrections, 1);
	assert_int_equal(site_node_get(&r, "b", false)->last, 4);
	assert_int_equal(site_node_get(&r, "a", false)->cams[0].lines[0].in, 1);
	/* Resumed: a repeat is still one. */
	assert_int_equal(ev(&r, "a", 0, -1, DIR_IN), SITE_REPEAT);
	site_store_close(st);
	site_free(&s);
	site_free(&r);
	rmrf(d);
	free(d);
}

static void damaged_state_is_refused_with_its_name(void **state)
{
	struct site s = {0};
	struct site_store *st;
	char err[256], path[256], *d = tmpdir();
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/site", d);
	f = fopen(path, "w");
	fputs("turnstile-site 1\nsite 1 0 1 0\ncrc 00000000\n", f);
	fclose(f);
	assert_int_equal(site_store_open(d, &s, &st, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "damaged"));
	assert_non_null(strstr(err, d));
	rmrf(d);
	free(d);
}

static void json_scan_reads_turnstile_events(void **state)
{
	const char *e = "{\"seq\":12,\"time\":\"2026-12-03T13:37:39.070Z\",\"camera\":\"do\\\"or\","
			"\"line\":\"main\",\"direction\":\"in\",\"frame\":32,\"track\":1,\"pts\":1.5,"
			"\"node\":\"n1\",\"prev\":null}";
	char buf[64];
	int64_t v;
	bool is_null;

	(void)state;
	assert_true(json_scan_valid(e, strlen(e)));
	assert_true(json_scan_int(e, strlen(e), "seq", &v, NULL));
	assert_int_equal(v, 12);
	assert_true(json_scan_int(e, strlen(e), "prev", &v, &is_null));
	assert_true(is_null);
	assert_false(json_scan_int(e, strlen(e), "prev", &v, NULL));
	assert_false(json_scan_int(e, strlen(e), "pts", &v, NULL));
	assert_true(json_scan_string(e, strlen(e), "camera", buf, sizeof(buf)));
	assert_string_equal(buf, "do\"or");
	assert_false(json_scan_string(e, strlen(e), "seq", buf, sizeof(buf)));
	assert_false(json_scan_string(e, strlen(e), "missing", buf, sizeof(buf)));
	assert_false(json_scan_string(e, strlen(e), "camera", buf, 4));
	/* Cut short, nested, trailing bytes, a control character. */
	assert_false(json_scan_valid(e, strlen(e) - 1));
	assert_false(json_scan_valid("{\"a\":{\"b\":1}}", 13));
	assert_false(json_scan_valid("{\"a\":1} x", 9));
	assert_false(json_scan_valid("{\"a\":\"\x01\"}", 9));
	assert_true(json_scan_valid("{}", 2));
}

/* A journal written by the journal itself, read back from any seq. */
static void journal_tail_reads_from_any_seq_with_prev(void **state)
{
	struct coord_camera cam = {.name = "door", .nlines = 1, .line_names = {"main"}};
	struct journal_config jc = {.ncameras = 1, .cams = &cam};
	struct journal *j;
	struct journal_tail *t;
	struct tally tl;
	char err[256], *d = tmpdir();
	const char *line;
	size_t len;
	uint64_t seq;
	int64_t prev;

	(void)state;
	jc.dir = d;
	assert_int_equal(tally_init(&tl, 1), 0);
	assert_int_equal(journal_open(&jc, &tl, &j, err, sizeof(err)), 0);
	assert_int_equal(journal_tail_open(d, &t), 0);
	assert_int_equal(journal_tail_seek(t, 0), 0);
	assert_int_equal(journal_tail_peek(t, &line, &len, &seq, &prev), 0); /* none yet */
	for (uint64_t s = 0; s < 10; s++) {
		struct event e = {.dir = s % 2 ? DIR_OUT : DIR_IN, .frame = s};
		if (s == 4)
			continue; /* a hole in the numbering */
		assert_int_equal(journal_append(j, &e, s), 0);
	}
	assert_int_equal(journal_tail_peek(t, &line, &len, &seq, &prev), 1);
	assert_int_equal(seq, 0);
	assert_int_equal(prev, -1);
	assert_int_equal(line[len - 1], '\n');
	journal_tail_next(t);
	assert_int_equal(journal_tail_peek(t, &line, &len, &seq, &prev), 1);
	assert_int_equal(seq, 1);
	assert_int_equal(prev, 0);
	assert_int_equal(journal_tail_seek(t, 4), 0);
	assert_int_equal(journal_tail_peek(t, &line, &len, &seq, &prev), 1);
	assert_int_equal(seq, 5);
	assert_int_equal(prev, 3);
	for (uint64_t want = 5; want < 10; want++) {
		assert_int_equal(journal_tail_peek(t, &line, &len, &seq, &prev), 1);
		assert_int_equal(seq, want);
		journal_tail_next(t);
	}
	assert_int_equal(journal_tail_peek(t, &line, &len, &seq, &prev), 0);
	/* A line half written is left for later. */
	{
		char path[256];
		snprintf(path, sizeof(path), "%s/journal.jsonl", d);
		int fd = open(path, O_WRONLY | O_APPEND);
		assert_true(write(fd, "{\"seq\":10,", 10) == 10);
		close(fd);
	}
	assert_int_equal(journal_tail_peek(t, &line, &len, &seq, &prev), 0);
	journal_tail_close(t);
	journal_close(j);
	tally_free(&tl);
	rmrf(d);
	free(d);
}

/* Writes events first..last (but skip) to dir/name as the journal would. */
static void write_journal(const char *dir, const char *name, uint64_t first, uint64_t last,
			  uint64_t skip)
{
	char path[256], line[JOURNAL_LINE_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	for (uint64_t s = first; s <= last; s++) {
		struct event e = {.dir = s % 2 ? DIR_OUT : DIR_IN, .frame = s, .track = (uint32_t)s};
		if (s == skip)
			continue;
		int n = journal_codec_format_line(line, sizeof(line), &e, s, "door", "main");
		assert_true(n > 0);
		assert_int_equal(fwrite(line, 1, (size_t)n, f), (size_t)n);
	}
	fclose(f);
}

static void seek_in(struct journal_tail *t, uint64_t from, uint64_t want_seq, int64_t want_prev)
{
	const char *line;
	size_t len;
	uint64_t seq;
	int64_t prev;

	assert_int_equal(journal_tail_seek(t, from), 0);
	assert_int_equal(journal_tail_peek(t, &line, &len, &seq, &prev), 1);
	assert_int_equal(seq, want_seq);
	assert_int_equal(prev, want_prev);
}

/* Two days' journals, the first long enough to be bisected: every seek
 * lands on the right line with the right prev, across the files too. */
static void journal_tail_seeks_long_journals_and_across_days(void **state)
{
	char *d = tmpdir();
	struct journal_tail *t;
	const char *line;
	size_t len;
	uint64_t seq;
	int64_t prev;

	(void)state;
	write_journal(d, "journal-2026-01-01.jsonl", 0, 999, 600);
	write_journal(d, "journal-2026-01-02.jsonl", 1000, 1009, 0);
	assert_int_equal(journal_tail_open(d, &t), 0);
	seek_in(t, 0, 0, -1);
	seek_in(t, 1, 1, 0);
	seek_in(t, 377, 377, 376);
	seek_in(t, 600, 601, 599);
	seek_in(t, 601, 601, 599);
	seek_in(t, 999, 999, 998);
	seek_in(t, 1000, 1000, 999);
	seek_in(t, 1005, 1005, 1004);
	for (uint64_t want = 1005; want <= 1009; want++) {
		assert_int_equal(journal_tail_peek(t, &line, &len, &seq, &prev), 1);
		assert_int_equal(seq, want);
		journal_tail_next(t);
	}
	assert_int_equal(journal_tail_peek(t, &line, &len, &seq, &prev), 0);
	assert_int_equal(journal_tail_seek(t, 5000), 0);
	assert_int_equal(journal_tail_peek(t, &line, &len, &seq, &prev), 0);
	/* Read through from the start: every line once, in order, day to day. */
	assert_int_equal(journal_tail_seek(t, 0), 0);
	uint64_t count = 0;
	int64_t last = -1;
	while (journal_tail_peek(t, &line, &len, &seq, &prev) == 1) {
		assert_int_equal(prev, last);
		last = (int64_t)seq;
		count++;
		journal_tail_next(t);
	}
	assert_int_equal(count, 1009);
	assert_int_equal(last, 1009);
	journal_tail_close(t);
	rmrf(d);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_event_counts_once_whatever_the_repeats),
		cmocka_unit_test(a_gap_is_not_counted_until_filled),
		cmocka_unit_test(occupancy_never_below_zero_per_node_camera_and_site),
		cmocka_unit_test(bad_names_are_refused),
		cmocka_unit_test(state_round_trips_and_is_locked),
		cmocka_unit_test(damaged_state_is_refused_with_its_name),
		cmocka_unit_test(json_scan_reads_turnstile_events),
		cmocka_unit_test(journal_tail_reads_from_any_seq_with_prev),
		cmocka_unit_test(journal_tail_seeks_long_journals_and_across_days),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
