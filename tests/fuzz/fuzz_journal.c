/* Fuzz target: the journal's on-disk codec (journal_codec.c), which parses
 * what a power cut or a bad disk may have left. The input is taken twice:
 * as a journal (one line per '\n') and as a snapshot, for two cameras
 * "door" (lines "main", "side") and "gate" (line "main"). A line or a
 * snapshot the parser accepts must come back the same when written out again
 * by the formatter and parsed once more; every name it returns is one the
 * journal can hold. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "journal_codec.h"

static const int nlines[] = {2, 1};
static const char names[][JOURNAL_NAME_MAX + 1] = {"door", "gate"};
static const char line_names[2 * TURNSTILE_MAX_LINES][JOURNAL_NAME_MAX + 1] = {
	"main", "side", "", "", "", "", "", "", "main"};
static const struct journal_names nm = {2, nlines, names, line_names};

static void check_line(const char *s, size_t len)
{
	struct journal_line pl, again;
	struct event ev;
	char buf[JOURNAL_LINE_MAX];
	int n;

	if (!journal_codec_parse_line(s, len, &pl))
		return;
	FUZZ_CHECK(len <= JOURNAL_LINE_MAX, "accepted a line of %zu bytes", len);
	FUZZ_CHECK(pl.dir == DIR_IN || pl.dir == DIR_OUT, "direction %d", (int)pl.dir);
	FUZZ_CHECK(strlen(pl.camera) <= JOURNAL_NAME_MAX && strlen(pl.line) <= JOURNAL_NAME_MAX,
		   "name too long");
	if (!journal_codec_name_ok(pl.camera) || !journal_codec_name_ok(pl.line))
		return; /* not a name the journal writes: nothing to round-trip */
	ev = (struct event){.dir = pl.dir, .frame = 1, .track = 2, .wall_ns = 0};
	n = journal_codec_format_line(buf, sizeof(buf), &ev, pl.seq, pl.camera, pl.line);
	FUZZ_CHECK(n > 0, "cannot write back seq %llu", (unsigned long long)pl.seq);
	FUZZ_CHECK(journal_codec_parse_line(buf, (size_t)n, &again), "own line refused: %.*s", n,
		   buf);
	FUZZ_CHECK(again.seq == pl.seq && again.dir == pl.dir &&
			   strcmp(again.camera, pl.camera) == 0 && strcmp(again.line, pl.line) == 0,
		   "line changed on the way back: %.*s", n, buf);
}

static void check_snapshot(const char *s, size_t len, const char *period)
{
	struct tally t, again;
	uint64_t seq = 0, seq2 = 0;
	char *buf = NULL;
	size_t blen = 0;

	if (tally_init(&t, 2) < 0 || tally_init(&again, 2) < 0)
		abort();
	if (journal_codec_parse_snapshot(&nm, period, s, len, &t, &seq)) {
		FUZZ_CHECK(journal_codec_format_snapshot(&nm, period, seq, &t, &buf, &blen) == 0,
			   "cannot write back a snapshot");
		FUZZ_CHECK(journal_codec_parse_snapshot(&nm, period, buf, blen, &again, &seq2),
			   "own snapshot refused: %.*s", (int)blen, buf);
		FUZZ_CHECK(seq == seq2, "next_seq %llu became %llu", (unsigned long long)seq,
			   (unsigned long long)seq2);
		FUZZ_CHECK(memcmp(&t.site, &again.site, sizeof(t.site)) == 0 &&
				   memcmp(t.cams, again.cams, 2 * sizeof(*t.cams)) == 0 &&
				   memcmp(t.lines, again.lines,
					  2 * TURNSTILE_MAX_LINES * sizeof(*t.lines)) == 0,
			   "totals changed on the way back");
		free(buf);
	}
	tally_free(&t);
	tally_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	size_t start = 0;

	for (size_t i = 0; i < size; i++) {
		if (s[i] != '\n')
			continue;
		check_line(s + start, i + 1 - start);
		start = i + 1;
	}
	if (start < size)
		check_line(s + start, size - start); /* a torn last line */
	check_snapshot(s, size, "");
	check_snapshot(s, size, "2026-11-23");
	return 0;
}
