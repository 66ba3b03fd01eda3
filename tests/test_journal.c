/* Durable counts: resume from snapshot + journal tail, damaged tails, the
 * daily reset on an injected clock, and the coordinator writing through a
 * journal. Every test works in its own temporary state directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "coord.h"
#include "eventlog.h"
#include "journal.h"
#include "journal_codec.h"

#define NS 1000000000LL
/* Midnight UTC of 2026-11-23, 2026-03-29 and 2026-10-25 (the days DST starts
 * and ends in central Europe). */
#define DAY_NOV23 INT64_C(1795392000)
#define DAY_MAR29 INT64_C(1774742400)
#define DAY_OCT25 INT64_C(1792886400)
#define HOUR INT64_C(3600)

/* The injected clock: CLOCK_REALTIME nanoseconds. Atomic because the
 * coordinator thread reads it. */
static _Atomic int64_t fake_now;

static int64_t fake_clock(void *ctx)
{
	(void)ctx;
	return atomic_load(&fake_now);
}

static void set_clock(int64_t sec)
{
	atomic_store(&fake_now, sec * NS);
}

static const struct coord_camera two_cams[] = {
	{.name = "door", .nlines = 1, .line_names = {"main"}},
	{.name = "gates", .nlines = 2, .line_names = {"north", "south"}},
};

struct fixture {
	char dir[64];   /* the test's temporary directory */
	char state[96]; /* the state directory inside it (created by journal_open) */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_journal.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->state, sizeof(fx->state), "%s/state", fx->dir);
	set_clock(DAY_NOV23 + 9 * HOUR);
	*state = fx;
	return 0;
}

static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char sub[512];

	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (unlink(sub) < 0)
			remove_tree(sub);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

/* The totals, as the coordinator (their owner) keeps them: handed back by
 * journal_open, counted by append() as the coordinator counts, handed to
 * journal_tick and journal_snapshot. One journal open at a time. */
static struct tally tl;

static int teardown(void **state)
{
	struct fixture *fx = *state;

	remove_tree(fx->dir);
	free(fx);
	tally_free(&tl);
	return 0;
}

static void fresh_totals(int ncams)
{
	tally_free(&tl);
	assert_int_equal(tally_init(&tl, ncams), 0);
}

/* journal_tick as the coordinator calls it: a new period zeroes the totals. */
static int tick(struct journal *j)
{
	int rolled = journal_tick(j, &tl);

	if (rolled == 1)
		tally_zero(&tl);
	return rolled;
}

static struct journal *open_at(const struct fixture *fx, const struct coord_camera *cams,
			       int ncams, int reset_minute)
{
	struct journal_config cfg = {
		.dir = fx->state,
		.daily_reset = reset_minute >= 0,
		.reset_minute = reset_minute,
		.ncameras = ncams,
		.cams = cams,
		.clock = fake_clock,
	};
	struct journal *j = NULL;
	char err[256];

	fresh_totals(ncams);
	assert_int_equal(journal_open(&cfg, &tl, &j, err, sizeof(err)), 0);
	assert_non_null(j);
	return j;
}

static struct journal *open_j(const struct fixture *fx)
{
	return open_at(fx, two_cams, 2, -1);
}

static void append(struct journal *j, int cam, int line, enum direction dir)
{
	uint64_t seq = journal_next_seq(j);
	struct event ev = {.camera = cam, .line = line, .dir = dir, .frame = 100 + seq,
			   .track = (uint32_t)seq + 1, .wall_ns = atomic_load(&fake_now)};

	assert_int_equal(journal_append(j, &ev, seq), 0);
	assert_int_equal(journal_next_seq(j), seq + 1);
	tally_add(&tl, cam, line, dir);
}

static void assert_totals(const struct journal *j, int cam, uint64_t in, uint64_t out,
			  int64_t occupancy, uint64_t corrections)
{
	struct totals t = tally_get(&tl, cam);

	(void)j;
	assert_int_equal(t.in, in);
	assert_int_equal(t.out, out);
	assert_int_equal(t.occupancy, occupancy);
	assert_int_equal(t.corrections, corrections);
}

static void assert_line(const struct journal *j, int cam, int line, uint64_t in, uint64_t out)
{
	struct totals t = tally_get_line(&tl, cam, line);

	(void)j;
	assert_int_equal(t.in, in);
	assert_int_equal(t.out, out);
}

static void path_of(const struct fixture *fx, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", fx->state, name);
}

static bool exists(const struct fixture *fx, const char *name)
{
	char path[256];

	path_of(fx, name, path, sizeof(path));
	return access(path, F_OK) == 0;
}

/* The whole file (NUL-terminated, may hold NULs) and its size, or NULL.
 * Asserts nothing, so the coordinator thread can call it too. */
static char *load(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = fopen(path, "rb"), *m = NULL;
	int ch;

	if (f)
		m = open_memstream(&buf, &n);
	while (m && (ch = fgetc(f)) != EOF)
		fputc(ch, m);
	if (f)
		fclose(f);
	if (!m || fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	if (len)
		*len = n;
	return buf;
}

/* The state directory's file name, which must exist. */
static char *slurp(const struct fixture *fx, const char *name, size_t *len)
{
	char path[256], *buf;

	path_of(fx, name, path, sizeof(path));
	buf = load(path, len);
	assert_non_null(buf);
	return buf;
}

static void spit(const struct fixture *fx, const char *name, const char *data, size_t len)
{
	char path[256];
	FILE *f;

	path_of(fx, name, path, sizeof(path));
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int count_lines(const char *s, size_t len)
{
	int n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

static void fresh_directory_starts_at_zero(void **state)
{
	struct fixture *fx = *state;
	struct journal_status st;
	struct journal *j;

	/* A leftover of a snapshot that never reached its rename. */
	assert_int_equal(mkdir(fx->state, 0755), 0);
	spit(fx, "snapshot.tmp", "half", 4);

	j = open_j(fx);
	assert_totals(j, -1, 0, 0, 0, 0);
	assert_totals(j, 0, 0, 0, 0, 0);
	assert_totals(j, 7, 0, 0, 0, 0);
	assert_int_equal(journal_next_seq(j), 0);
	journal_get_status(j, &st);
	assert_string_equal(st.period, "");
	assert_false(st.snapshot_used);
	assert_int_equal(st.replayed + st.damaged + st.torn_bytes, 0);
	assert_true(exists(fx, "journal.jsonl"));
	assert_false(exists(fx, "snapshot.tmp"));
	journal_close(j);
}

static void journal_alone_resumes_totals_and_numbering(void **state)
{
	struct fixture *fx = *state;
	struct journal_status st;
	struct journal *j = open_j(fx);
	size_t len;
	char *text;

	append(j, 0, 0, DIR_IN);
	append(j, 1, 1, DIR_IN);
	append(j, 1, 0, DIR_OUT);
	append(j, 0, 0, DIR_OUT);
	append(j, 1, 1, DIR_IN);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);

	/* One event per line, the event log's fields plus a CRC. */
	text = slurp(fx, "journal.jsonl", &len);
	assert_int_equal(count_lines(text, len), 5);
	const char *first = "{\"seq\":0,\"time\":\"2026-11-23T09:00:00.000Z\",\"pts\":0.000000,"
			    "\"camera\":\"door\","
			    "\"line\":\"main\",\"direction\":\"in\",\"frame\":100,\"track\":1,\"objects\":1,\"crc\":\"";
	assert_int_equal(strncmp(text, first, strlen(first)), 0);
	free(text);

	j = open_j(fx);
	journal_get_status(j, &st);
	assert_false(st.snapshot_used);
	assert_int_equal(st.replayed, 5);
	assert_int_equal(journal_next_seq(j), 5);
	assert_totals(j, -1, 3, 2, 1, 0);
	assert_totals(j, 0, 1, 1, 0, 0);
	assert_totals(j, 1, 2, 1, 1, 0);
	assert_line(j, 1, 0, 0, 1);
	assert_line(j, 1, 1, 2, 0);
	journal_close(j);
}

static void snapshot_plus_tail_resumes_and_is_idempotent(void **state)
{
	struct fixture *fx = *state;
	struct journal_status st;
	struct journal *j = open_j(fx);
	char *snap;

	append(j, 0, 0, DIR_IN);
	append(j, 0, 0, DIR_IN);
	append(j, 1, 0, DIR_OUT);
	assert_int_equal(journal_snapshot(j, &tl), 0);
	snap = slurp(fx, "snapshot", NULL);
	assert_non_null(strstr(snap, "turnstile-snapshot 1\nperiod -\nnext_seq 3\nsite 2 1 1 0\n"));
	assert_non_null(strstr(snap, "\ncamera gates 0 1 0 1\nline gates north 0 1\n"));
	free(snap);
	append(j, 1, 1, DIR_IN);
	append(j, 0, 0, DIR_OUT);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);

	/* Twice: reading the same files must give the same totals. */
	for (int round = 0; round < 2; round++) {
		j = open_j(fx);
		journal_get_status(j, &st);
		assert_true(st.snapshot_used);
		assert_int_equal(st.replayed, 2);
		assert_int_equal(journal_next_seq(j), 5);
		assert_totals(j, -1, 3, 2, 1, 0);
		assert_totals(j, 0, 2, 1, 1, 0);
		assert_totals(j, 1, 1, 1, 1, 1);
		assert_line(j, 1, 0, 0, 1);
		assert_line(j, 1, 1, 1, 0);
		journal_close(j);
	}
}

static void occupancy_clamp_is_replayed_in_order(void **state)
{
	struct fixture *fx = *state;
	struct journal *j = open_j(fx);
	const enum direction dirs[] = {DIR_OUT, DIR_OUT, DIR_IN, DIR_IN, DIR_OUT};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		append(j, 0, 0, dirs[i]);
	assert_totals(j, -1, 2, 3, 1, 2);
	journal_close(j);
	j = open_j(fx);
	assert_totals(j, -1, 2, 3, 1, 2);
	assert_totals(j, 0, 2, 3, 1, 2);
	assert_int_equal(journal_snapshot(j, &tl), 0);
	journal_close(j);
	j = open_j(fx);
	assert_totals(j, -1, 2, 3, 1, 2);
	journal_close(j);
}

/* Writes n events and returns the journal's size. */
static size_t write_events(struct fixture *fx, int n)
{
	struct journal *j = open_j(fx);
	size_t len;

	for (int i = 0; i < n; i++)
		append(j, i % 2, 0, i % 3 == 2 ? DIR_OUT : DIR_IN);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);
	free(slurp(fx, "journal.jsonl", &len));
	return len;
}

static void truncate_to(const struct fixture *fx, size_t size)
{
	char path[256];

	path_of(fx, "journal.jsonl", path, sizeof(path));
	assert_int_equal(truncate(path, (off_t)size), 0);
}

static void truncated_last_line_is_cut_off_and_reported_once(void **state)
{
	struct fixture *fx = *state;
	struct journal_status st;
	struct journal *j;
	size_t full = write_events(fx, 4), len, line4;
	char *text = slurp(fx, "journal.jsonl", &len);

	/* The fourth line's length, newline included. */
	text[len - 1] = '\0';
	line4 = len - (size_t)(strrchr(text, '\n') + 1 - text);
	free(text);

	/* Power cut in the middle of the fourth line. */
	truncate_to(fx, full - 7);
	j = open_j(fx);
	journal_get_status(j, &st);
	assert_int_equal(st.torn_bytes, line4 - 7);
	assert_int_equal(st.damaged, 0);
	assert_int_equal(st.replayed, 3);
	assert_int_equal(journal_next_seq(j), 3);
	/* Events 0..2: in (door), in (gates), out (door). */
	assert_totals(j, -1, 2, 1, 1, 0);
	/* The tail is gone, so the next event starts a clean line. */
	append(j, 1, 1, DIR_OUT);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);
	text = slurp(fx, "journal.jsonl", &len);
	assert_int_equal(count_lines(text, len), 4);
	assert_int_equal(text[len - 1], '\n');
	free(text);

	/* Reported once: the second open finds nothing wrong. */
	j = open_j(fx);
	journal_get_status(j, &st);
	assert_int_equal(st.torn_bytes, 0);
	assert_int_equal(st.damaged, 0);
	assert_int_equal(st.replayed, 4);
	assert_totals(j, -1, 2, 2, 0, 0);
	assert_line(j, 1, 1, 0, 1);
	journal_close(j);
}

static void garbage_tails_are_cut_off(void **state)
{
	struct fixture *fx = *state;
	size_t full = write_events(fx, 3), len;
	char *text = slurp(fx, "journal.jsonl", &len);
	char zeros[64] = {0};
	struct journal_status st;
	struct journal *j;

	/* A file extended with zeros that never got their data (power cut). */
	char *grown = malloc(full + sizeof(zeros));
	assert_non_null(grown);
	memcpy(grown, text, full);
	memcpy(grown + full, zeros, sizeof(zeros));
	spit(fx, "journal.jsonl", grown, full + sizeof(zeros));
	j = open_j(fx);
	journal_get_status(j, &st);
	assert_int_equal(st.torn_bytes, sizeof(zeros));
	assert_int_equal(journal_next_seq(j), 3);
	journal_close(j);
	free(slurp(fx, "journal.jsonl", &len));
	assert_int_equal(len, full);

	/* A whole last line whose CRC does not match (one digit flipped). */
	char *frame = strstr(strrchr(text, '{'), "\"frame\":") + 8;
	*frame = *frame == '1' ? '2' : '1';
	spit(fx, "journal.jsonl", text, full);
	j = open_j(fx);
	journal_get_status(j, &st);
	assert_true(st.torn_bytes > 0);
	assert_int_equal(st.replayed, 2);
	assert_int_equal(journal_next_seq(j), 2);
	assert_totals(j, -1, 2, 0, 2, 0);
	journal_close(j);
	free(grown);
	free(text);
}

static void damaged_middle_line_is_skipped_and_the_rest_kept(void **state)
{
	struct fixture *fx = *state;
	size_t full = write_events(fx, 3), len;
	char *text = slurp(fx, "journal.jsonl", &len);
	struct journal_status st;
	struct journal *j;

	/* Line 2 (gates, in) loses a byte of its camera name. */
	char *second = strchr(text, '\n') + 1;
	strstr(second, "gates")[1] = 'x';
	spit(fx, "journal.jsonl", text, full);
	j = open_j(fx);
	journal_get_status(j, &st);
	assert_int_equal(st.damaged, 1);
	assert_int_equal(st.torn_bytes, 0);
	assert_int_equal(st.replayed, 2);
	assert_int_equal(journal_next_seq(j), 3);
	assert_totals(j, -1, 1, 1, 0, 0);
	assert_totals(j, 1, 0, 0, 0, 0);
	journal_close(j);
	/* Nothing is cut: the damage stays for someone to look at. */
	free(slurp(fx, "journal.jsonl", &len));
	assert_int_equal(len, full);
	free(text);
}

static void damaged_snapshot_is_recounted_from_the_journal(void **state)
{
	struct fixture *fx = *state;
	struct journal_status st;
	struct journal *j = open_j(fx);
	size_t len;
	char *snap;

	append(j, 0, 0, DIR_IN);
	append(j, 0, 0, DIR_IN);
	append(j, 1, 1, DIR_IN);
	assert_int_equal(journal_snapshot(j, &tl), 0);
	append(j, 0, 0, DIR_OUT);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);

	snap = slurp(fx, "snapshot", &len);
	*strstr(snap, "site 3") = 'S';
	spit(fx, "snapshot", snap, len);
	free(snap);
	j = open_j(fx);
	journal_get_status(j, &st);
	assert_false(st.snapshot_used);
	assert_int_equal(st.replayed, 4);
	assert_totals(j, -1, 3, 1, 2, 0);
	assert_line(j, 1, 1, 1, 0);
	journal_close(j);
}

static void second_process_is_refused_while_one_holds_the_directory(void **state)
{
	struct fixture *fx = *state;
	struct journal_config cfg = {.dir = fx->state, .ncameras = 2, .cams = two_cams};
	struct journal *j = open_j(fx), *k = NULL;
	char err[256];

	fresh_totals(cfg.ncameras);
	assert_int_equal(journal_open(&cfg, &tl, &k, err, sizeof(err)), -EBUSY);
	assert_null(k);
	assert_non_null(strstr(err, "in use by another turnstile"));
	assert_non_null(strstr(err, fx->state));
	journal_close(j);
	fresh_totals(cfg.ncameras);
	assert_int_equal(journal_open(&cfg, &tl, &k, err, sizeof(err)), 0);
	journal_close(k);
}

static void names_the_journal_cannot_hold_are_refused(void **state)
{
	struct fixture *fx = *state;
	const struct coord_camera bad[] = {{.name = "front door", .nlines = 1, .line_names = {"main"}}};
	struct journal_config cfg = {.dir = fx->state, .ncameras = 1, .cams = bad};
	struct journal *j = NULL;
	char err[256];

	fresh_totals(cfg.ncameras);
	assert_int_equal(journal_open(&cfg, &tl, &j, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "front door"));
}

static void config_change_keeps_the_site_totals(void **state)
{
	struct fixture *fx = *state;
	const struct coord_camera renamed[] = {
		{.name = "door", .nlines = 1, .line_names = {"mat"}},
	};
	struct journal *j = open_j(fx);

	append(j, 0, 0, DIR_IN);
	append(j, 1, 1, DIR_IN);
	append(j, 1, 0, DIR_IN);
	journal_close(j);

	/* gates is gone and door's line has a new name: the site still counts
	 * every event, door its own, and the new line starts at zero. */
	j = open_at(fx, renamed, 1, -1);
	assert_totals(j, -1, 3, 0, 3, 0);
	assert_totals(j, 0, 1, 0, 1, 0);
	assert_line(j, 0, 0, 0, 0);
	append(j, 0, 0, DIR_OUT);
	assert_int_equal(journal_snapshot(j, &tl), 0);
	journal_close(j);
	j = open_at(fx, renamed, 1, -1);
	assert_totals(j, -1, 3, 1, 2, 0);
	assert_line(j, 0, 0, 0, 1);
	journal_close(j);
}

static void append_refuses_going_back_in_sequence(void **state)
{
	struct fixture *fx = *state;
	struct journal *j = open_j(fx);
	struct event ev = {.camera = 0, .line = 0, .dir = DIR_IN};
	struct event bad_line = {.camera = 0, .line = 1, .dir = DIR_IN};

	assert_int_equal(journal_append(j, &ev, 10), 0);
	assert_int_equal(journal_append(j, &ev, 10), -EINVAL);
	assert_int_equal(journal_append(j, &ev, 3), -EINVAL);
	assert_int_equal(journal_append(j, &bad_line, 11), -EINVAL);
	assert_int_equal(journal_next_seq(j), 11);
	/* The journal holds the one event it took, and only that. */
	journal_close(j);
	j = open_j(fx);
	assert_totals(j, -1, 1, 0, 1, 0);
	assert_int_equal(journal_next_seq(j), 11);
	journal_close(j);
}

static void daily_reset_starts_new_totals_and_keeps_the_old_day(void **state)
{
	struct fixture *fx = *state;
	struct journal_status st;
	struct journal *j;
	size_t len;
	char *text;

	/* reset_at=04:00, TZ=UTC: at 03:59:59 it is still the 22nd's period. */
	set_clock(DAY_NOV23 + 4 * HOUR - 1);
	j = open_at(fx, two_cams, 2, 4 * 60);
	journal_get_status(j, &st);
	assert_string_equal(st.period, "2026-11-22");
	append(j, 0, 0, DIR_IN);
	append(j, 1, 0, DIR_IN);
	assert_int_equal(tick(j), 0);
	atomic_store(&fake_now, (DAY_NOV23 + 4 * HOUR) * NS - 1);
	assert_int_equal(tick(j), 0);

	set_clock(DAY_NOV23 + 4 * HOUR);
	assert_int_equal(tick(j), 1);
	assert_int_equal(tick(j), 0);
	journal_get_status(j, &st);
	assert_string_equal(st.period, "2026-11-23");
	assert_int_equal(st.rolls, 1);
	assert_totals(j, -1, 0, 0, 0, 0);
	assert_totals(j, 1, 0, 0, 0, 0);
	assert_line(j, 1, 0, 0, 0);
	/* Numbering carries on across the reset. */
	assert_int_equal(journal_next_seq(j), 2);
	append(j, 0, 0, DIR_OUT);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);

	/* The old day's files stay, complete. */
	text = slurp(fx, "journal-2026-11-22.jsonl", &len);
	assert_int_equal(count_lines(text, len), 2);
	free(text);
	text = slurp(fx, "snapshot-2026-11-22", NULL);
	assert_non_null(strstr(text, "period 2026-11-22\nnext_seq 2\nsite 2 0 2 0\n"));
	free(text);
	text = slurp(fx, "journal-2026-11-23.jsonl", &len);
	assert_int_equal(count_lines(text, len), 1);
	assert_non_null(strstr(text, "\"seq\":2,"));
	free(text);

	/* Restart the same day: today's totals. */
	set_clock(DAY_NOV23 + 5 * HOUR);
	j = open_at(fx, two_cams, 2, 4 * 60);
	assert_totals(j, -1, 0, 1, 0, 1);
	assert_int_equal(journal_next_seq(j), 3);
	journal_close(j);

	/* Restart after the next reset (down across it): zero, numbering kept. */
	set_clock(DAY_NOV23 + 24 * HOUR + 4 * HOUR + 1);
	j = open_at(fx, two_cams, 2, 4 * 60);
	journal_get_status(j, &st);
	assert_string_equal(st.period, "2026-11-24");
	assert_totals(j, -1, 0, 0, 0, 0);
	assert_int_equal(journal_next_seq(j), 3);
	journal_close(j);

	/* A clock an hour before that reset reads the 23rd's period again. */
	set_clock(DAY_NOV23 + 24 * HOUR + 3 * HOUR);
	j = open_at(fx, two_cams, 2, 4 * 60);
	journal_get_status(j, &st);
	assert_string_equal(st.period, "2026-11-23");
	assert_totals(j, -1, 0, 1, 0, 1);
	journal_close(j);
}

/* Opened at start (seconds) with reset_at=04:00, the journal is in period
 * from; the reset comes at reset, not a second sooner, and starts to. */
static void assert_reset(const struct fixture *fx, int64_t start, int64_t reset, const char *from,
			 const char *to)
{
	struct journal_status st;
	struct journal *j;

	set_clock(start);
	j = open_at(fx, two_cams, 2, 4 * 60);
	journal_get_status(j, &st);
	assert_string_equal(st.period, from);
	set_clock(reset - 1);
	assert_int_equal(tick(j), 0);
	set_clock(reset);
	assert_int_equal(tick(j), 1);
	journal_get_status(j, &st);
	assert_string_equal(st.period, to);
	journal_close(j);
}

/* reset_at is local time: in central Europe the day DST starts has 23
 * hours between resets and the day it ends 25. */
static void daily_reset_follows_local_time_across_dst(void **state)
{
	struct fixture *fx = *state;

	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	/* 2026-03-28 04:00 CET is 03:00Z; the next reset, 04:00 CEST, is 02:00Z. */
	assert_reset(fx, DAY_MAR29 - 21 * HOUR, DAY_MAR29 + 2 * HOUR, "2026-03-28", "2026-03-29");
	/* 2026-10-24 04:00 CEST is 02:00Z; 2026-10-25 04:00 CET is 03:00Z. */
	assert_reset(fx, DAY_OCT25 - 22 * HOUR, DAY_OCT25 + 3 * HOUR, "2026-10-24", "2026-10-25");
	setenv("TZ", "UTC0", 1);
}

static void snapshot_follows_the_period(void **state)
{
	struct fixture *fx = *state;
	struct journal_config cfg = {.dir = fx->state, .ncameras = 2, .cams = two_cams,
				     .clock = fake_clock, .snapshot_period_ns = 10 * NS};
	struct journal_status st;
	struct journal *j;
	char err[256];

	fresh_totals(cfg.ncameras);
	assert_int_equal(journal_open(&cfg, &tl, &j, err, sizeof(err)), 0);
	append(j, 0, 0, DIR_IN);
	assert_int_equal(tick(j), 0);
	journal_get_status(j, &st);
	assert_int_equal(st.snapshots, 0);
	set_clock(DAY_NOV23 + 9 * HOUR + 10);
	assert_int_equal(tick(j), 0);
	journal_get_status(j, &st);
	assert_int_equal(st.snapshots, 1);
	/* Nothing new: no snapshot however long it has been. */
	set_clock(DAY_NOV23 + 10 * HOUR);
	assert_int_equal(tick(j), 0);
	journal_get_status(j, &st);
	assert_int_equal(st.snapshots, 1);
	journal_close(j);
}

/* Whether the journal holds the event log line l (len bytes, up to its
 * '\n'): the same line, with the CRC before the closing brace. */
static bool journal_has_line(const char *journal, const char *l, size_t len)
{
	size_t n = len - 1; /* without the closing brace */

	if (len < 2 || l[n] != '}')
		return false;
	for (const char *jl = journal; *jl; jl = strchr(jl, '\n') + 1) {
		if (strncmp(jl, l, n) == 0 && strncmp(jl + n, ",\"crc\":\"", 8) == 0)
			return true;
		if (!strchr(jl, '\n'))
			break;
	}
	return false;
}

static void assert_log_lines_in_journal(const char *log, const char *journal)
{
	for (const char *l = log; *l; l = strchr(l, '\n') + 1)
		assert_true(journal_has_line(journal, l, (size_t)(strchr(l, '\n') - l)));
}

/* An event log that checks, as each line is written, that the journal on
 * disk already holds it: "after" would not catch a log line written first.
 * The write runs on the coordinator thread, so it records a miss instead of
 * asserting; coord_stop joins that thread before the test looks. */
struct checked_log {
	char journal[256]; /* the journal's path */
	char *text;        /* everything written, NUL-terminated */
	size_t len;
	size_t checked;    /* bytes of text up to the last line checked */
	int lines;         /* lines checked */
	int early;         /* lines written before their journal line */
};

static ssize_t checked_log_write(void *cookie, const char *buf, size_t size)
{
	struct checked_log *cl = cookie;
	char *grown = realloc(cl->text, cl->len + size + 1);
	const char *nl;

	if (!grown)
		return -1;
	cl->text = grown;
	memcpy(cl->text + cl->len, buf, size);
	cl->len += size;
	cl->text[cl->len] = '\0';
	while ((nl = memchr(cl->text + cl->checked, '\n', cl->len - cl->checked))) {
		const char *l = cl->text + cl->checked;
		char *journal = load(cl->journal, NULL);

		if (!journal || !journal_has_line(journal, l, (size_t)(nl - l)))
			cl->early++;
		free(journal);
		cl->lines++;
		cl->checked = (size_t)(nl + 1 - cl->text);
	}
	return (ssize_t)size;
}

static FILE *checked_log_open(struct checked_log *cl, const struct fixture *fx)
{
	cookie_io_functions_t io = {.write = checked_log_write};
	FILE *f;

	*cl = (struct checked_log){0};
	path_of(fx, "journal.jsonl", cl->journal, sizeof(cl->journal));
	f = fopencookie(cl, "w", io);
	assert_non_null(f);
	/* coord.c flushes every line; line buffering as well, so the check does
	 * not depend on it. */
	assert_int_equal(setvbuf(f, NULL, _IOLBF, 0), 0);
	return f;
}

static void post(struct coord *c, int cam, int line, enum direction dir, uint32_t track)
{
	struct event ev = {.camera = cam, .line = line, .dir = dir, .frame = track * 10u,
			   .track = track, .wall_ns = atomic_load(&fake_now)};

	coord_post(c, &ev);
}

/* A coordinator with the journal as its durable sink, then the log (f, may
 * be NULL), carrying on from the totals the journal was opened with (tl). */
static struct eventlog *the_log;

static int coord_with_journal(struct journal *j, FILE *f, struct coord **out)
{
	struct event_sink sinks[2] = {journal_sink(j)};
	struct coord_config cfg = {.ncameras = 2, .cams = two_cams, .sinks = sinks, .nsinks = 1,
				   .resume = &tl, .next_seq = journal_next_seq(j)};

	if (f) {
		assert_int_equal(eventlog_create(f, 2, two_cams, &the_log), 0);
		sinks[cfg.nsinks++] = eventlog_sink(the_log);
	}
	return coord_create(&cfg, out);
}

/* Stops the coordinator and keeps its totals in tl, as main would for the
 * next coordinator on the same journal; frees it. */
static void coord_done(struct coord *c)
{
	coord_stop(c);
	for (int i = -1; i < 2; i++) {
		struct totals t;
		coord_get_totals(c, i, &t);
		if (i < 0)
			tl.site = t;
		else
			tl.cams[i] = t;
		for (int l = 0; i >= 0 && l < two_cams[i].nlines; l++)
			coord_get_line_totals(c, i, l, &tl.lines[i * TURNSTILE_MAX_LINES + l]);
	}
	coord_destroy(c);
	eventlog_destroy(the_log);
	the_log = NULL;
}

static void coord_journals_every_event_and_carries_on(void **state)
{
	struct fixture *fx = *state;
	struct totals t;
	struct coord *c;
	struct journal *j = open_j(fx);
	struct checked_log cl;
	FILE *f = checked_log_open(&cl, fx);
	char *text;

	assert_int_equal(coord_with_journal(j, f, &c), 0);
	post(c, 0, 0, DIR_IN, 1);
	post(c, 1, 1, DIR_IN, 2);
	post(c, 1, 0, DIR_OUT, 3);
	coord_done(c);
	journal_close(j);
	assert_int_equal(cl.lines, 3);
	assert_int_equal(cl.early, 0);

	/* Restart: totals and numbering go on from the state directory. */
	j = open_j(fx);
	assert_totals(j, -1, 2, 1, 1, 0);
	assert_int_equal(coord_with_journal(j, f, &c), 0);
	coord_get_totals(c, -1, &t);
	assert_int_equal(t.in, 2);
	assert_int_equal(t.out, 1);
	coord_get_line_totals(c, 1, 1, &t);
	assert_int_equal(t.in, 1);
	post(c, 0, 0, DIR_OUT, 4);
	post(c, 0, 0, DIR_OUT, 5);
	coord_stop(c);
	coord_get_totals(c, 0, &t);
	assert_int_equal(t.in, 1);
	assert_int_equal(t.out, 2);
	assert_int_equal(t.occupancy, 0);
	assert_int_equal(t.corrections, 1);
	coord_done(c);
	journal_close(j);
	assert_int_equal(fclose(f), 0);
	/* Each line was in the journal before it was logged. */
	assert_int_equal(cl.lines, 5);
	assert_int_equal(cl.early, 0);
	assert_int_equal(cl.checked, cl.len);

	for (int seq = 0; seq < 5; seq++) {
		char want[32];
		snprintf(want, sizeof(want), "{\"seq\":%d,", seq);
		assert_non_null(strstr(cl.text, want));
	}
	assert_int_equal(count_lines(cl.text, cl.len), 5);
	text = slurp(fx, "journal.jsonl", NULL);
	assert_log_lines_in_journal(cl.text, text);
	free(text);
	/* coord_stop left a snapshot of everything. */
	text = slurp(fx, "snapshot", NULL);
	assert_non_null(strstr(text, "next_seq 5\nsite 2 3 0 1\n"));
	free(text);
	free(cl.text);
}

/* The fdatasync seam: fails the next fail_syncs calls the way Linux can,
 * dropping the unsynced pages (the file goes back to its size at the last
 * good sync: the worst case), then reporting EIO. */
static int fail_syncs;
static int synced_fd = -1;
static off_t synced_size;

static int flaky_fdatasync(int fd)
{
	struct stat st;

	if (fail_syncs > 0) {
		fail_syncs--;
		if (fd == synced_fd)
			assert_int_equal(ftruncate(fd, synced_size), 0);
		errno = EIO;
		return -1;
	}
	assert_int_equal(fstat(fd, &st), 0);
	synced_fd = fd;
	synced_size = st.st_size;
	return fdatasync(fd);
}

static void failed_sync_loses_no_event(void **state)
{
	struct fixture *fx = *state;
	struct journal_config cfg = {
		.dir = fx->state, .daily_reset = false, .ncameras = 2, .cams = two_cams,
		.clock = fake_clock, .fdatasync = flaky_fdatasync,
	};
	struct journal_status st;
	struct journal *j = NULL;
	char err[256];

	fresh_totals(2);
	assert_int_equal(journal_open(&cfg, &tl, &j, err, sizeof(err)), 0);
	append(j, 0, 0, DIR_IN);
	append(j, 1, 1, DIR_IN);
	assert_int_equal(journal_sync(j), 0);
	/* Two events, then a sync that fails and takes them off the disk. */
	append(j, 1, 0, DIR_OUT);
	append(j, 0, 0, DIR_OUT);
	fail_syncs = 1;
	assert_int_equal(journal_sync(j), -EIO);
	journal_get_status(j, &st);
	assert_true(st.failing);
	/* One more; the rewrite's own sync fails too: still no success. */
	append(j, 1, 1, DIR_IN);
	journal_get_status(j, &st);
	assert_true(st.failing);
	fail_syncs = 1;
	assert_int_equal(journal_sync(j), -EIO);
	append(j, 0, 0, DIR_IN);
	assert_int_equal(journal_sync(j), 0);
	journal_get_status(j, &st);
	assert_false(st.failing);
	append(j, 1, 0, DIR_IN);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);
	assert_false(exists(fx, "journal.tmp"));

	/* Every event reported is there after a restart, in order, once. */
	struct tally before = tl;
	tl = (struct tally){0};
	j = open_j(fx);
	journal_get_status(j, &st);
	assert_int_equal(st.replayed, 7);
	assert_int_equal(journal_next_seq(j), 7);
	for (int cam = -1; cam < 2; cam++) {
		struct totals a = tally_get(&before, cam), b = tally_get(&tl, cam);
		assert_int_equal(a.in, b.in);
		assert_int_equal(a.out, b.out);
	}
	tally_free(&before);
	journal_close(j);
}

/* Journals written before events had "pts" still resume; new lines carry it. */
static void lines_with_and_without_pts_are_read(void **state)
{
	const char *old = "{\"seq\":7,\"time\":\"2026-11-23T09:00:00.000Z\",\"camera\":\"door\","
			  "\"line\":\"main\",\"direction\":\"out\",\"frame\":100,\"track\":1";
	struct event ev = {.dir = DIR_IN, .frame = 30, .track = 2, .pts = 1.25};
	struct journal_line jl;
	char buf[JOURNAL_LINE_MAX];
	int n;

	(void)state;
	n = snprintf(buf, sizeof(buf), "%s,\"crc\":\"%08" PRIx32 "\"}\n", old,
		     journal_codec_crc32(old, strlen(old)));
	assert_true(journal_codec_parse_line(buf, (size_t)n, &jl));
	assert_int_equal(jl.seq, 7);
	assert_int_equal(jl.dir, DIR_OUT);
	n = journal_codec_format_line(buf, sizeof(buf), &ev, 8, "door", "main");
	assert_true(n > 0);
	assert_non_null(strstr(buf, "\"pts\":1.250000,"));
	assert_true(journal_codec_parse_line(buf, (size_t)n, &jl));
	assert_int_equal(jl.seq, 8);
	assert_int_equal(jl.dir, DIR_IN);
	assert_string_equal(jl.camera, "door");
}

static void coord_zeroes_its_totals_at_the_daily_reset(void **state)
{
	struct fixture *fx = *state;
	struct totals t;
	struct journal_status st;
	struct coord *c;
	struct journal *j;

	set_clock(DAY_NOV23 + 4 * HOUR - 10);
	j = open_at(fx, two_cams, 2, 4 * 60);
	assert_int_equal(coord_with_journal(j, NULL, &c), 0);
	post(c, 0, 0, DIR_IN, 1);
	post(c, 1, 0, DIR_IN, 2);
	coord_done(c);

	/* The same journal, a second coordinator, and the clock past 04:00: its
	 * first batch starts the new day before counting. */
	assert_int_equal(coord_with_journal(j, NULL, &c), 0);
	coord_get_totals(c, -1, &t);
	assert_int_equal(t.in, 2);
	set_clock(DAY_NOV23 + 4 * HOUR + 1);
	post(c, 1, 1, DIR_OUT, 3);
	coord_stop(c);
	coord_get_totals(c, -1, &t);
	assert_int_equal(t.in, 0);
	assert_int_equal(t.out, 1);
	coord_get_totals(c, 1, &t);
	assert_int_equal(t.in, 0);
	coord_get_line_totals(c, 1, 0, &t);
	assert_int_equal(t.in, 0);
	journal_get_status(j, &st);
	assert_string_equal(st.period, "2026-11-23");
	assert_int_equal(st.next_seq, 3);
	coord_done(c);
	journal_close(j);
}

/* Lines written before events said "objects" still read; a line with it
 * reads; anything else after "track" does not. */
static void lines_with_and_without_objects_parse(void **state)
{
	(void)state;
	static const char *const bodies[] = {
		"{\"seq\":7,\"time\":\"2026-11-23T09:00:00.000Z\",\"camera\":\"door\",\"line\":"
		"\"main\",\"direction\":\"in\",\"frame\":100,\"track\":1",
		"{\"seq\":7,\"time\":\"2026-11-23T09:00:00.000Z\",\"camera\":\"door\",\"line\":"
		"\"main\",\"direction\":\"in\",\"frame\":100,\"track\":1,\"objects\":2",
		"{\"seq\":7,\"time\":\"2026-11-23T09:00:00.000Z\",\"camera\":\"door\",\"line\":"
		"\"main\",\"direction\":\"in\",\"frame\":100,\"track\":1,\"other\":2",
	};
	for (int i = 0; i < 3; i++) {
		char line[512];
		struct journal_line jl;
		uint32_t crc = journal_codec_crc32(bodies[i], strlen(bodies[i]));
		int n = snprintf(line, sizeof(line), "%s,\"crc\":\"%08" PRIx32 "\"}\n", bodies[i], crc);
		assert_int_equal(journal_codec_parse_line(line, (size_t)n, &jl), i < 2);
		if (i < 2)
			assert_int_equal(jl.seq, 7);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(fresh_directory_starts_at_zero, setup, teardown),
		cmocka_unit_test(lines_with_and_without_objects_parse),
		cmocka_unit_test_setup_teardown(journal_alone_resumes_totals_and_numbering, setup,
						teardown),
		cmocka_unit_test_setup_teardown(snapshot_plus_tail_resumes_and_is_idempotent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(occupancy_clamp_is_replayed_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(truncated_last_line_is_cut_off_and_reported_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(garbage_tails_are_cut_off, setup, teardown),
		cmocka_unit_test_setup_teardown(damaged_middle_line_is_skipped_and_the_rest_kept,
						setup, teardown),
		cmocka_unit_test_setup_teardown(damaged_snapshot_is_recounted_from_the_journal, setup,
						teardown),
		cmocka_unit_test_setup_teardown(second_process_is_refused_while_one_holds_the_directory,
						setup, teardown),
		cmocka_unit_test_setup_teardown(names_the_journal_cannot_hold_are_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(config_change_keeps_the_site_totals, setup, teardown),
		cmocka_unit_test_setup_teardown(append_refuses_going_back_in_sequence, setup, teardown),
		cmocka_unit_test_setup_teardown(daily_reset_starts_new_totals_and_keeps_the_old_day,
						setup, teardown),
		cmocka_unit_test_setup_teardown(daily_reset_follows_local_time_across_dst, setup,
						teardown),
		cmocka_unit_test_setup_teardown(snapshot_follows_the_period, setup, teardown),
		cmocka_unit_test_setup_teardown(coord_journals_every_event_and_carries_on, setup,
						teardown),
		cmocka_unit_test(lines_with_and_without_pts_are_read),
		cmocka_unit_test_setup_teardown(failed_sync_loses_no_event, setup, teardown),
		cmocka_unit_test_setup_teardown(coord_zeroes_its_totals_at_the_daily_reset, setup,
						teardown),
	};

	/* Local time is UTC unless a test says otherwise. */
	setenv("TZ", "UTC0", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
