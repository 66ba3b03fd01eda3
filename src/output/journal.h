/* Durable counts: a state directory holding, for each counting period, an
 * append-only journal of every counted event and a snapshot of the totals,
 * so a restart continues where the last run stopped.
 *
 * Files in the directory (SUFFIX is empty without a daily reset, else
 * "-YYYY-MM-DD", the local date on which the period began):
 *   journalSUFFIX.jsonl  one JSON object per event, the event log's fields
 *                        plus "crc" (CRC-32 of the line up to it); one
 *                        write(2) per line, fdatasync before anyone sees it
 *   snapshotSUFFIX       totals after every event before its next_seq:
 *                        written to snapshot.tmp, fsync, rename, fsync(dir)
 *   lock                 flock'd while a turnstile uses the directory
 * Old periods' files are kept; nothing here deletes them.
 *
 * Resume = snapshot + the journal lines from its next_seq on, so reading
 * the same files twice gives the same totals. A damaged snapshot is ignored
 * (the period's journal is complete, so it is recounted). A cut-short or
 * damaged last journal line (power cut mid-write) is reported once and cut
 * off; a damaged line in the middle is reported and skipped.
 *
 * The journal counts nothing: it stores the events and the snapshots of the
 * totals it is handed by the coordinator (their owner), as its event sink,
 * and at open replays the journal onto the last snapshot with the
 * coordinator's own rule (tally_add) to hand the totals back.
 *
 * Threads: journal_open and journal_close from main; the rest from one
 * thread at a time (the coordinator's, once it has the journal's sink);
 * journal_get_status from any thread. Lock order: the status mutex is a leaf. */
#ifndef TURNSTILE_JOURNAL_H
#define TURNSTILE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coord.h"
#include "sink.h"
#include "tally.h"

struct journal_config {
	const char *dir;                 /* created (one level) when missing */
	bool daily_reset;
	int reset_minute;                /* new totals at this local time: minutes after midnight */
	int ncameras;
	const struct coord_camera *cams; /* as given to coord_create; names of 1..63
					  * characters from [A-Za-z0-9._-] */
	int64_t (*clock)(void *ctx);     /* CLOCK_REALTIME in ns; NULL = the system clock */
	void *clock_ctx;
	int64_t snapshot_period_ns;      /* snapshot at most this often while counting (0: 10 s) */
	/* The seam for fdatasync(2) on journal files, for tests that make it
	 * fail; NULL = the system's. Returns 0, or -1 with errno. */
	int (*fdatasync)(int fd);
};

struct journal_status {
	char period[16];      /* "YYYY-MM-DD" the current period began; "" without a daily reset */
	uint64_t next_seq;    /* sequence number of the next event */
	uint64_t replayed;    /* journal lines applied on top of the snapshot at open */
	uint64_t damaged;     /* lines skipped at open as damaged (not counting a torn last line) */
	uint64_t torn_bytes;  /* bytes of a damaged last line cut off at open */
	bool snapshot_used;   /* open started from a valid snapshot */
	uint64_t snapshots;   /* snapshots written since open */
	uint64_t rolls;       /* daily resets since open */
	bool failing;         /* the last write or sync failed (logged once) */
};

struct journal;

/* Opens (creating what is missing) and locks the state directory, and
 * resumes the current period: its totals into totals (tally_init'ed for
 * cfg->ncameras by the caller; zero for a new period) and the sequence
 * number (which carries on across periods). Returns 0, or -errno with one
 * line in err naming the directory: -EBUSY when another turnstile holds it,
 * -EINVAL for a bad camera name, or what the system said. */
int journal_open(const struct journal_config *cfg, struct tally *totals, struct journal **out,
		 char *err, size_t errlen);

/* The sequence number of the next event. */
uint64_t journal_next_seq(const struct journal *j);

/* Starts the next period when its time has come (snapshotting the old one
 * with t first; its files stay), and snapshots t when events were appended
 * and snapshot_period_ns has passed. t: the totals of every event appended
 * so far in this period. Returns 1 when a new period began (the caller's
 * totals start from zero again), else 0. Failures are logged, never fatal. */
int journal_tick(struct journal *j, const struct tally *t);

/* Appends one event (seq must be >= journal_next_seq). The line is written,
 * not yet synced. Returns 0 or -errno (logged once per change between
 * working and failing). */
int journal_append(struct journal *j, const struct event *ev, uint64_t seq);

/* fdatasync after appends: once it returns 0 the events survive a power cut.
 * The unsynced lines are kept in memory until then. A failed sync returns
 * -errno (logged): the kernel may have dropped those pages, so the next call
 * first rewrites the synced part and the kept lines to a fresh file (synced,
 * renamed over the journal) and reports success only after that. */
int journal_sync(struct journal *j);

/* Syncs the journal, then writes t (the totals of every event appended in
 * this period) atomically. Returns 0 or -errno. */
int journal_snapshot(struct journal *j, const struct tally *t);

/* The journal as the coordinator's durable event sink: append, sync on
 * commit, tick, and a last snapshot on close. */
struct event_sink journal_sink(struct journal *j);

/* Thread-safe. */
void journal_get_status(struct journal *j, struct journal_status *out);

/* Closes the files and releases the lock; does not snapshot. NULL is fine. */
void journal_close(struct journal *j);

#endif
