/* The journal's on-disk codec: a journal line (the event log's JSON object
 * plus a CRC-32) and a snapshot of the totals (a few "key values" lines and
 * a CRC-32), written and parsed. Pure: no files, no clock, no state; the
 * parsers take whatever bytes a damaged disk gives back and accept exactly
 * what the formatters write. journal.h describes the files and the rules. */
#ifndef TURNSTILE_JOURNAL_CODEC_H
#define TURNSTILE_JOURNAL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tally.h"
#include "turnstile/event.h"

#define JOURNAL_NAME_MAX 63    /* camera and line names: 1..63 of [A-Za-z0-9._-] */
#define JOURNAL_LINE_MAX 512   /* a journal line is about 200 bytes */

/* The cameras and lines a journal knows, to name them in snapshots and to
 * find them again when parsing. */
struct journal_names {
	int ncameras;
	const int *nlines;                          /* ncameras */
	const char (*names)[JOURNAL_NAME_MAX + 1];  /* ncameras */
	const char (*line_names)[JOURNAL_NAME_MAX + 1]; /* TURNSTILE_MAX_LINES per camera */
};

/* CRC-32 (IEEE 802.3, as zlib and gzip). */
uint32_t journal_codec_crc32(const void *data, size_t len);

/* True for a name the journal can hold. */
bool journal_codec_name_ok(const char *s);

/* Index of the camera named name, or of its line; -1 when there is none. */
int journal_codec_camera(const struct journal_names *nm, const char *name);
int journal_codec_line(const struct journal_names *nm, int camera, const char *name);

/* One journal line, newline included, into buf: json_event's object, then
 * ,"crc":"XXXXXXXX"} over every byte before the comma. Returns its length,
 * or -1 when it does not fit. */
int journal_codec_format_line(char *buf, size_t size, const struct event *ev, uint64_t seq,
			      const char *camera, const char *line);

struct journal_line {
	uint64_t seq;
	char camera[JOURNAL_NAME_MAX + 1];
	char line[JOURNAL_NAME_MAX + 1];
	enum direction dir;
};

/* Parses len bytes (one line, newline included); false unless they are
 * exactly what journal_codec_format_line writes, with a matching CRC. */
bool journal_codec_parse_line(const char *s, size_t len, struct journal_line *out);

/* A snapshot of t (the totals of every event below next_seq) for period
 * ("" without a daily reset) into a malloc'd *buf of *len bytes. Returns 0
 * or -ENOMEM. */
int journal_codec_format_snapshot(const struct journal_names *nm, const char *period,
				  uint64_t next_seq, const struct tally *t, char **buf, size_t *len);

/* Parses a snapshot of period into t (zeroed first; cameras and lines nm
 * does not know are skipped) and *next_seq. False when anything is off: t
 * is then partly filled. */
bool journal_codec_parse_snapshot(const struct journal_names *nm, const char *period,
				  const char *buf, size_t len, struct tally *t, uint64_t *next_seq);

#endif
