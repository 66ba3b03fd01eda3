/* Reading a state directory's journals back in sequence order, from any
 * sequence number on, while the journal is still appending: the queue the
 * MQTT publisher sends from, so an outage costs disk, not RAM (one line is
 * held at a time).
 *
 * The journal files (journal.jsonl, journal-YYYY-MM-DD.jsonl) are taken in
 * the order of their first sequence numbers. A line that ends in a newline
 * but fails its CRC is skipped, as the journal skips it at open; a last
 * line without its newline yet is left for the next call.
 *
 * Threads: one at a time (the publisher's). */
#ifndef TURNSTILE_JOURNAL_TAIL_H
#define TURNSTILE_JOURNAL_TAIL_H

#include <stddef.h>
#include <stdint.h>

#include "journal_codec.h"

struct journal_tail;

/* dir is copied. Returns 0 or -ENOMEM. Nothing is opened until a seek. */
int journal_tail_open(const char *dir, struct journal_tail **out);
void journal_tail_close(struct journal_tail *t);

/* Positions at the first line whose seq >= from. Returns 0 or -errno. */
int journal_tail_seek(struct journal_tail *t, uint64_t from);

/* The line at the position, without moving past it: its bytes (newline
 * included) in *line (valid until the next call), its seq, and the seq of
 * the line before it in the journals (-1 when it is the first). Returns 1,
 * 0 when there is none yet, or -errno. */
int journal_tail_peek(struct journal_tail *t, const char **line, size_t *len, uint64_t *seq,
		      int64_t *prev);

/* Moves past the line peek returned. */
void journal_tail_next(struct journal_tail *t);

#endif
