/* Durable counts, the store; journal.h describes the files and the rules,
 * journal_codec.h their bytes, period.h the calendar.
 *
 * Owns: the state directory's fd and its lock file, the current period's
 * journal fd and the status; it keeps no totals: it is handed them (tick,
 * snapshot) by the coordinator, their owner. The status mutex guards only the status struct, which
 * journal_get_status copies out for any thread; everything else belongs to
 * the one thread driving the journal (main while opening, then the
 * coordinator).
 *
 * Why it holds together when the power goes or the process is killed:
 *  - a journal line is one write(2) to an O_APPEND file and is fdatasync'd
 *    before the event is counted anywhere else; a process killed between
 *    two lines leaves whole lines (the page cache survives it);
 *  - a snapshot is only written after a sync, so it never counts an event
 *    the journal could lose, and it replaces the old one by rename;
 *  - a power cut can still leave the last line cut short or full of zeros:
 *    every line carries a CRC, the damaged tail is cut off at open, and the
 *    lines before it stand. Sequence numbers make replay idempotent: lines
 *    below the snapshot's next_seq are already in it. */
#include "journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal_codec.h"
#include "period.h"
#include "util.h"

#define SNAPSHOT_PERIOD_DEFAULT_NS (10 * 1000000000LL)
#define SNAPSHOT_BYTES_MAX (4u << 20)
#define SNAPSHOT_TMP "snapshot.tmp"
#define JOURNAL_TMP "journal.tmp"
/* The unsynced tail kept in memory (one batch, normally a few lines); past
 * this, a disk that keeps failing its syncs gets no more memory. */
#define PENDING_MAX (8u << 20)

struct journal {
	char *dir;
	int dirfd, lockfd, fd;  /* fd: the current period's journal, -1 when closed */
	off_t size;             /* bytes of whole lines in fd's file */
	/* fdatasync can fail and drop the dirty pages (Linux marks them clean:
	 * the next sync succeeds with them gone). So the bytes past
	 * synced_size are kept here until a sync covers them, and after a
	 * failed one they are rewritten, with the synced part, to a fresh
	 * file before the next sync may report success. */
	off_t synced_size;
	char *pending;
	size_t pending_len, pending_cap;
	bool lost;              /* a sync failed: the file's tail is not to be trusted */
	bool pending_full;      /* over PENDING_MAX: said once, not durable until synced */
	int (*sync)(int fd);
	bool daily_reset;
	int reset_minute;
	int ncameras;
	int *nlines;
	char (*names)[JOURNAL_NAME_MAX + 1];
	char (*line_names)[JOURNAL_NAME_MAX + 1]; /* TURNSTILE_MAX_LINES per camera */
	struct journal_names nm;  /* the three above, for the codec */
	struct tally zero;        /* the totals of a period that just began */
	int64_t (*clock)(void *ctx);
	void *clock_ctx;
	int64_t snapshot_period_ns;

	char period[16];
	int64_t period_end_ns;  /* INT64_MAX without a daily reset */
	uint64_t next_seq;
	bool dirty;             /* counted since the last snapshot */
	bool unsynced;          /* appended since the last sync */
	int64_t last_snapshot_ns;
	bool failing;           /* the last write, sync or snapshot failed */

	pthread_mutex_t status_lock;
	struct journal_status status;
};

static int64_t system_clock(void *ctx)
{
	(void)ctx;
	return now_ns(CLOCK_REALTIME);
}

static int64_t journal_now(const struct journal *j)
{
	return j->clock(j->clock_ctx);
}

static void status_update(struct journal *j)
{
	mutex_lock(&j->status_lock);
	snprintf(j->status.period, sizeof(j->status.period), "%s", j->period);
	j->status.next_seq = j->next_seq;
	j->status.failing = j->failing;
	mutex_unlock(&j->status_lock);
}

/* Logs one line when the journal goes from working to failing or back. */
static void note_result(struct journal *j, int rc, const char *what)
{
	/* After a failed sync nothing but a good rewrite and sync is "working". */
	if ((rc < 0) == j->failing || (rc == 0 && j->lost))
		return;
	j->failing = rc < 0;
	if (rc < 0)
		log_error("state '%s': cannot %s: %s; counting goes on, not durably", j->dir, what,
			  strerror(-rc));
	else
		log_notice("state '%s': writing again", j->dir);
	status_update(j);
}

/* "journal-2026-11-23.jsonl", or "journal.jsonl" without a daily reset. */
static void file_name(char *buf, size_t size, const char *kind, const char *period,
		      const char *ext)
{
	snprintf(buf, size, "%s%s%s%s", kind, period[0] ? "-" : "", period, ext);
}

/* The latest period at or before j->period with a file in the directory,
 * or "" when there is none. */
static void latest_period(const struct journal *j, char out[16])
{
	int fd = dup(j->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	out[0] = '\0';
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		const char *name = e->d_name, *label = NULL, *end;

		if (strncmp(name, "journal-", 8) == 0)
			label = name + 8;
		else if (strncmp(name, "snapshot-", 9) == 0)
			label = name + 9;
		if (!label)
			continue;
		end = strchr(label, '.');
		if (!period_label_ok(label, end ? (size_t)(end - label) : strlen(label)))
			continue;
		if (end && strcmp(end, ".jsonl") != 0)
			continue;
		if (strncmp(label, j->period, 10) <= 0 && strncmp(label, out, 10) > 0) {
			memcpy(out, label, 10);
			out[10] = '\0';
		}
	}
	closedir(d);
}

/* Reads a whole small file at dirfd/name. Returns its length, -ENOENT, or
 * -errno; *out is malloc'd and NUL-terminated. */
static ssize_t read_small(int dirfd, const char *name, char **out)
{
	struct stat st;
	ssize_t len = 0, r;
	char *buf = NULL;
	int fd;

	*out = NULL;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		len = -errno;
		goto out;
	}
	if (st.st_size > SNAPSHOT_BYTES_MAX) {
		len = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		len = -ENOMEM;
		goto out;
	}
	while (len < st.st_size && (r = read(fd, buf + len, (size_t)(st.st_size - len))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			len = -errno;
			goto out;
		}
		len += r;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return len;
}

/* Cuts a damaged last line off the current period's journal, for good. */
static void cut_torn_tail(struct journal *j, const char *name, off_t at, off_t bytes)
{
	int fd = openat(j->dirfd, name, O_WRONLY | O_CLOEXEC);
	int rc = fd < 0 || ftruncate(fd, at) < 0 || fsync(fd) < 0 ? -errno : 0;

	if (fd >= 0)
		close(fd);
	log_warn("state '%s': %s ends in a damaged line (%lld bytes at offset %lld, cut short "
		  "by a crash or power cut): %s; everything before it is kept",
		  j->dir, name, (long long)bytes, (long long)at,
		  rc ? strerror(-rc) : "ignored and cut off");
}

/* Loads one period's totals into t: its snapshot, and the journal lines
 * after it replayed on top; carries j->next_seq past it. The
 * current period (repair) also gets a damaged last line cut off and its
 * counters reported in the status. */
static int load_period(struct journal *j, const char *period, struct tally *t, bool repair)
{
	char name[64], *buf = NULL, *line = NULL;
	uint64_t seq = 0, replayed = 0, damaged = 0;
	off_t off = 0, bad_off = -1, bad_len = 0;
	size_t cap = 0;
	ssize_t len;
	bool from_snapshot = false;
	FILE *f;
	int fd;

	tally_zero(t);
	file_name(name, sizeof(name), "snapshot", period, "");
	len = read_small(j->dirfd, name, &buf);
	if (len >= 0) {
		from_snapshot = journal_codec_parse_snapshot(&j->nm, period, buf, (size_t)len, t,
							     &seq);
		if (!from_snapshot) {
			tally_zero(t);
			seq = 0;
			log_warn("state '%s': %s is damaged; recounting the period from its journal",
				  j->dir, name);
		}
	} else if (len != -ENOENT) {
		log_error("state '%s': cannot read %s: %s; recounting the period from its journal",
			  j->dir, name, strerror((int)-len));
	}
	free(buf);

	file_name(name, sizeof(name), "journal", period, ".jsonl");
	fd = openat(j->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		return -errno;
	f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (fd >= 0 && !f) {
		close(fd);
		return -ENOMEM;
	}
	while (f && (len = getline(&line, &cap, f)) > 0) {
		struct journal_line pl;

		if (bad_off >= 0) {
			/* A damaged line with more after it: not a torn tail. */
			damaged++;
			log_warn("state '%s': %s: damaged line at offset %lld skipped", j->dir, name,
				  (long long)bad_off);
			bad_off = -1;
		}
		if (!journal_codec_parse_line(line, (size_t)len, &pl)) {
			bad_off = off;
			bad_len = len;
		} else if (pl.seq >= seq) {
			int cam = journal_codec_camera(&j->nm, pl.camera);

			/* Below seq: already in the snapshot (or a repeat). Replayed
			 * with the coordinator's own rule (tally_add). */
			tally_add(t, cam, journal_codec_line(&j->nm, cam, pl.line), pl.dir);
			seq = pl.seq + 1;
			replayed++;
		}
		off += len;
	}
	free(line);
	if (f)
		fclose(f);
	if (bad_off >= 0 && repair)
		cut_torn_tail(j, name, bad_off, bad_len);
	if (seq > j->next_seq)
		j->next_seq = seq;
	if (repair) {
		j->status.replayed = replayed;
		j->status.damaged = damaged;
		j->status.torn_bytes = bad_off >= 0 ? (uint64_t)bad_len : 0;
		j->status.snapshot_used = from_snapshot;
	}
	return 0;
}

/* Opens the current period's journal for appending; a new file's name is
 * made durable with an fsync of the directory. */
static int open_current(struct journal *j)
{
	char name[64];
	struct stat st;

	file_name(name, sizeof(name), "journal", j->period, ".jsonl");
	j->fd = openat(j->dirfd, name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (j->fd < 0 || fstat(j->fd, &st) < 0 || fsync(j->dirfd) < 0)
		return -errno;
	j->size = j->synced_size = st.st_size;
	j->pending_len = 0;
	j->pending_full = false;
	j->lost = false;
	return 0;
}

static int system_fdatasync(int fd)
{
	return fdatasync(fd);
}

int journal_open(const struct journal_config *cfg, struct tally *totals, struct journal **out,
		 char *err, size_t errlen)
{
	struct journal *j;
	char latest[16];
	int rc;

	*out = NULL;
	tally_zero(totals);
	if (!cfg->dir || !cfg->dir[0] || cfg->ncameras < 0 || (cfg->ncameras && !cfg->cams) ||
	    totals->ncameras != cfg->ncameras ||
	    (cfg->daily_reset && (cfg->reset_minute < 0 || cfg->reset_minute >= 24 * 60))) {
		snprintf(err, errlen, "state: bad journal configuration");
		return -EINVAL;
	}
	for (int i = 0; i < cfg->ncameras; i++) {
		bool ok = journal_codec_name_ok(cfg->cams[i].name) && cfg->cams[i].nlines >= 1 &&
			  cfg->cams[i].nlines <= TURNSTILE_MAX_LINES;
		for (int l = 0; ok && l < cfg->cams[i].nlines; l++)
			ok = journal_codec_name_ok(cfg->cams[i].line_names[l]);
		if (!ok) {
			snprintf(err, errlen, "state '%s': camera '%s' has a name the journal cannot "
				 "hold (1 to %d of A-Z a-z 0-9 . _ -)", cfg->dir, cfg->cams[i].name,
				 JOURNAL_NAME_MAX);
			return -EINVAL;
		}
	}

	j = calloc(1, sizeof(*j));
	if (!j)
		goto nomem;
	j->dirfd = j->lockfd = j->fd = -1;
	if (pthread_mutex_init(&j->status_lock, NULL) != 0) {
		free(j);
		goto nomem;
	}
	j->dir = strdup(cfg->dir);
	j->ncameras = cfg->ncameras;
	j->nlines = calloc((size_t)cfg->ncameras + 1, sizeof(*j->nlines));
	j->names = calloc((size_t)cfg->ncameras + 1, sizeof(*j->names));
	j->line_names = calloc((size_t)cfg->ncameras * TURNSTILE_MAX_LINES + 1,
			       sizeof(*j->line_names));
	if (!j->dir || !j->nlines || !j->names || !j->line_names ||
	    tally_init(&j->zero, cfg->ncameras) < 0) {
		journal_close(j);
		goto nomem;
	}
	for (int i = 0; i < cfg->ncameras; i++) {
		snprintf(j->names[i], sizeof(j->names[i]), "%s", cfg->cams[i].name);
		j->nlines[i] = cfg->cams[i].nlines;
		for (int l = 0; l < cfg->cams[i].nlines; l++)
			snprintf(j->line_names[i * TURNSTILE_MAX_LINES + l], sizeof(j->line_names[0]), "%s",
				 cfg->cams[i].line_names[l]);
	}
	j->nm = (struct journal_names){j->ncameras, j->nlines,
				       (const char (*)[JOURNAL_NAME_MAX + 1])j->names,
				       (const char (*)[JOURNAL_NAME_MAX + 1])j->line_names};
	j->daily_reset = cfg->daily_reset;
	j->reset_minute = cfg->reset_minute;
	j->clock = cfg->clock ? cfg->clock : system_clock;
	j->sync = cfg->fdatasync ? cfg->fdatasync : system_fdatasync;
	j->clock_ctx = cfg->clock_ctx;
	j->snapshot_period_ns = cfg->snapshot_period_ns > 0 ? cfg->snapshot_period_ns
							     : SNAPSHOT_PERIOD_DEFAULT_NS;

	if (mkdir(j->dir, 0755) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "state '%s': cannot create the directory: %s", j->dir,
			 strerror(-rc));
		goto fail;
	}
	j->dirfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dirfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "state '%s': cannot open the directory: %s", j->dir,
			 strerror(-rc));
		goto fail;
	}
	/* Two processes appending the same journal would number events twice. */
	j->lockfd = openat(j->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (j->lockfd < 0 || flock(j->lockfd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		snprintf(err, errlen, "state '%s': %s", j->dir,
			 rc == -EBUSY ? "in use by another turnstile" : strerror(-rc));
		goto fail;
	}
	/* Left by a snapshot that never reached its rename. */
	unlinkat(j->dirfd, SNAPSHOT_TMP, 0);

	tzset();
	period_at(j->daily_reset, j->reset_minute, journal_now(j), j->period, &j->period_end_ns);
	latest[0] = '\0';
	if (j->daily_reset)
		latest_period(j, latest);
	if (!j->daily_reset || strcmp(latest, j->period) == 0) {
		rc = load_period(j, j->period, totals, true);
	} else if (latest[0]) {
		/* Down across a reset: new totals; numbering carries on. */
		rc = load_period(j, latest, totals, false);
		tally_zero(totals);
	} else {
		rc = 0;
	}
	if (rc == 0)
		rc = open_current(j);
	if (rc < 0) {
		snprintf(err, errlen, "state '%s': cannot read or open the journal: %s", j->dir,
			 strerror(-rc));
		goto fail;
	}
	if (j->status.snapshot_used || j->status.replayed)
		log_info("state '%s': resuming %s%s: in %" PRIu64 " out %" PRIu64 " occupancy %" PRId64
			  " (%s + %" PRIu64 " journal events)", j->dir, j->period[0] ? "day " : "totals",
			  j->period, totals->site.in, totals->site.out, totals->site.occupancy,
			  j->status.snapshot_used ? "snapshot" : "no snapshot", j->status.replayed);
	j->last_snapshot_ns = journal_now(j);
	status_update(j);
	*out = j;
	return 0;

nomem:
	snprintf(err, errlen, "state '%s': out of memory", cfg->dir);
	return -ENOMEM;
fail:
	journal_close(j);
	return rc;
}

uint64_t journal_next_seq(const struct journal *j)
{
	return j->next_seq;
}

/* Keeps a written, unsynced line until a sync covers it. */
static void keep_pending(struct journal *j, const char *buf, size_t len)
{
	if (j->pending_len + len > j->pending_cap && !j->pending_full) {
		size_t cap = j->pending_cap ? j->pending_cap * 2 : 4096;
		while (cap < j->pending_len + len)
			cap *= 2;
		char *p = cap <= PENDING_MAX ? realloc(j->pending, cap) : NULL;
		if (p) {
			j->pending = p;
			j->pending_cap = cap;
		} else {
			j->pending_full = true;
			log_error("state '%s': %zu bytes of journal wait for a sync that keeps "
				  "failing; events from seq %" PRIu64 " on are NOT durable until one "
				  "succeeds", j->dir, j->pending_len, j->next_seq);
		}
	}
	if (j->pending_full)
		return;
	memcpy(j->pending + j->pending_len, buf, len);
	j->pending_len += len;
}

/* After a failed sync: the journal's synced part and the kept tail go to a
 * fresh file, synced, renamed over the journal, the directory synced; from
 * then on appends go there. The old file's tail past synced_size is never
 * read: its pages may be gone. Returns 0 or -errno (the old file stays). */
static int rewrite_tail(struct journal *j)
{
	/* Past PENDING_MAX the tail was not kept (said so, loudly): copy what
	 * the file holds, the best there is. */
	const off_t copy = j->pending_full ? j->size : j->synced_size;
	const size_t kept = j->pending_full ? 0 : j->pending_len;
	char name[64], buf[65536];
	int in, out;
	off_t done = 0;
	int rc = 0;

	file_name(name, sizeof(name), "journal", j->period, ".jsonl");
	in = openat(j->dirfd, name, O_RDONLY | O_CLOEXEC);
	out = openat(j->dirfd, JOURNAL_TMP, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC,
		     0644);
	if (in < 0 || out < 0)
		rc = -errno;
	while (rc == 0 && done < copy) {
		size_t want = (size_t)(copy - done) < sizeof(buf) ? (size_t)(copy - done) : sizeof(buf);
		ssize_t r = pread(in, buf, want, done);
		if (r <= 0)
			rc = r < 0 ? -errno : -EIO;
		else if (write(out, buf, (size_t)r) != r)
			rc = -(errno ? errno : EIO);
		else
			done += r;
	}
	if (rc == 0 && kept && write(out, j->pending, kept) != (ssize_t)kept)
		rc = -(errno ? errno : EIO);
	if (rc == 0 && j->sync(out) < 0)
		rc = -errno;
	if (rc == 0 && renameat(j->dirfd, JOURNAL_TMP, j->dirfd, name) < 0)
		rc = -errno;
	if (rc == 0 && fsync(j->dirfd) < 0)
		rc = -errno;
	if (in >= 0)
		close(in);
	if (rc) {
		if (out >= 0)
			close(out);
		unlinkat(j->dirfd, JOURNAL_TMP, 0);
		return rc;
	}
	close(j->fd);
	j->fd = out;
	j->size = j->synced_size = copy + (off_t)kept;
	j->pending_len = 0;
	j->pending_full = false;
	j->lost = false;
	log_notice("state '%s': journal rewritten to a fresh file after the failed sync; "
		  "nothing lost", j->dir);
	return 0;
}

/* Writes all of buf at the end of the journal. A short write (disk full)
 * is taken back, so the file keeps ending on a whole line. */
static int write_line(struct journal *j, const char *buf, size_t len)
{
	size_t done = 0;

	if (j->fd < 0) {
		int rc = open_current(j);
		if (rc < 0)
			return rc;
	}
	while (done < len) {
		ssize_t r = write(j->fd, buf + done, len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int rc = r < 0 ? -errno : -EIO;
			if (done && ftruncate(j->fd, j->size) < 0)
				log_error("state '%s': cannot take back a partial journal line: %s",
					  j->dir, strerror(errno));
			return rc;
		}
		done += (size_t)r;
	}
	j->size += (off_t)len;
	keep_pending(j, buf, len);
	return 0;
}

int journal_append(struct journal *j, const struct event *ev, uint64_t seq)
{
	char buf[JOURNAL_LINE_MAX];
	int len, rc;

	if (ev->camera < 0 || ev->camera >= j->ncameras || ev->line < 0 ||
	    ev->line >= j->nlines[ev->camera] || (ev->dir != DIR_IN && ev->dir != DIR_OUT) ||
	    seq < j->next_seq)
		return -EINVAL;
	len = journal_codec_format_line(buf, sizeof(buf), ev, seq, j->names[ev->camera],
					j->line_names[ev->camera * TURNSTILE_MAX_LINES + ev->line]);
	rc = len < 0 ? -EOVERFLOW : write_line(j, buf, (size_t)len);
	j->next_seq = seq + 1;
	j->dirty = true;
	j->unsynced = j->unsynced || rc == 0;
	note_result(j, rc, "append to the journal");
	status_update(j);
	return rc;
}

int journal_sync(struct journal *j)
{
	int rc = 0;

	if (!j->unsynced && !j->lost)
		return 0;
	/* A sync that failed once is never followed by one that "works" on
	 * the same pages: rewrite first. */
	if (j->lost && (rc = rewrite_tail(j)) < 0) {
		note_result(j, rc, "rewrite the journal after a failed sync");
		return rc;
	}
	if (j->unsynced && j->fd >= 0 && j->sync(j->fd) < 0) {
		rc = -errno;
		j->lost = true;
		log_error("state '%s': journal sync failed (%s): its last %zu bytes may be gone "
			  "from the disk; kept in memory, to be rewritten to a fresh file", j->dir,
			  strerror(-rc), j->pending_len);
	}
	if (rc == 0) {
		j->unsynced = false;
		j->synced_size = j->size;
		j->pending_len = 0;
		j->pending_full = false;
	}
	note_result(j, rc, "sync the journal");
	return rc;
}

/* Writes dirfd/SNAPSHOT_TMP with buf, fsyncs it and renames it over name. */
static int replace_file(struct journal *j, const char *name, const char *buf, size_t len)
{
	int fd = openat(j->dirfd, SNAPSHOT_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t done = 0;
	int rc = 0;

	if (fd < 0)
		return -errno;
	while (done < len && rc == 0) {
		ssize_t r = write(fd, buf + done, len - done);
		if (r > 0)
			done += (size_t)r;
		else if (r == 0 || errno != EINTR)
			rc = r < 0 ? -errno : -EIO;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(j->dirfd, SNAPSHOT_TMP, j->dirfd, name) < 0)
		rc = -errno;
	if (rc == 0 && fsync(j->dirfd) < 0)
		rc = -errno;
	if (rc)
		unlinkat(j->dirfd, SNAPSHOT_TMP, 0);
	return rc;
}

int journal_snapshot(struct journal *j, const struct tally *t)
{
	char name[64], *buf = NULL;
	size_t len = 0;
	int rc;

	/* Never count in a snapshot what the journal could still lose. */
	rc = journal_sync(j);
	if (rc < 0)
		return rc;
	rc = journal_codec_format_snapshot(&j->nm, j->period, j->next_seq, t, &buf, &len);
	if (rc < 0)
		return rc;
	file_name(name, sizeof(name), "snapshot", j->period, "");
	rc = replace_file(j, name, buf, len);
	free(buf);
	note_result(j, rc, "write the snapshot");
	if (rc == 0) {
		j->dirty = false;
		j->last_snapshot_ns = journal_now(j);
		mutex_lock(&j->status_lock);
		j->status.snapshots++;
		mutex_unlock(&j->status_lock);
	}
	return rc;
}

int journal_tick(struct journal *j, const struct tally *t)
{
	int64_t now = journal_now(j);
	int rolled = 0;

	if (now >= j->period_end_ns) {
		char old[16];

		/* The old day's files stay as they are, complete. */
		journal_snapshot(j, t);
		if (j->lost)
			log_error("state '%s': the last %zu bytes of %s's journal could not be made "
				  "durable (its syncs kept failing); they may be lost", j->dir,
				  j->pending_len, j->period);
		memcpy(old, j->period, sizeof(old));
		period_at(j->daily_reset, j->reset_minute, now, j->period, &j->period_end_ns);
		if (j->fd >= 0)
			close(j->fd);
		j->fd = -1;
		j->unsynced = false;
		note_result(j, open_current(j), "start the new day's journal");
		/* Written at once, so the numbering survives a restart today. */
		journal_snapshot(j, &j->zero);
		log_info("state '%s': daily reset: totals of %s kept, %s starts from zero", j->dir,
			  old, j->period);
		mutex_lock(&j->status_lock);
		j->status.rolls++;
		mutex_unlock(&j->status_lock);
		status_update(j);
		rolled = 1;
	}
	if (j->dirty && now - j->last_snapshot_ns >= j->snapshot_period_ns)
		journal_snapshot(j, t);
	else if (j->lost)
		journal_sync(j); /* within a tick, not at the next event */
	return rolled;
}

void journal_get_status(struct journal *j, struct journal_status *out)
{
	mutex_lock(&j->status_lock);
	*out = j->status;
	mutex_unlock(&j->status_lock);
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	if (j->lockfd >= 0)
		close(j->lockfd);
	if (j->dirfd >= 0)
		close(j->dirfd);
	tally_free(&j->zero);
	free(j->pending);
	free(j->line_names);
	free(j->names);
	free(j->nlines);
	free(j->dir);
	pthread_mutex_destroy(&j->status_lock);
	free(j);
}

/* The journal as the coordinator's durable event sink. */
static int sink_append(void *ctx, const struct event *ev, uint64_t seq)
{
	return journal_append(ctx, ev, seq);
}

static int sink_commit(void *ctx)
{
	return journal_sync(ctx);
}

static int sink_tick(void *ctx, const struct tally *t)
{
	return journal_tick(ctx, t);
}

static void sink_close(void *ctx, const struct tally *t)
{
	journal_snapshot(ctx, t);
}

static const struct event_sink_ops journal_sink_ops = {
	.append = sink_append,
	.commit = sink_commit,
	.tick = sink_tick,
	.close = sink_close,
};

struct event_sink journal_sink(struct journal *j)
{
	return (struct event_sink){.ops = &journal_sink_ops, .ctx = j, .durable = true};
}
