/* Durable counts; turnstile/journal.h describes the files and the rules.
 *
 * Owns: the state directory's fd and its lock file, the current period's
 * journal fd, the period's totals (site, per camera, per line) and the
 * status. The status mutex guards only the status struct, which
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

#include "util.h"

#define NAME_LEN_MAX 63
#define SNAPSHOT_PERIOD_DEFAULT_NS (10 * 1000000000LL)
#define SNAPSHOT_BYTES_MAX (4u << 20)
#define LINE_BYTES_MAX 512 /* a journal line is about 200 bytes */
#define SNAPSHOT_TMP "snapshot.tmp"
#define SNAPSHOT_MAGIC "turnstile-snapshot 1\n"

struct tally {
	struct coord_totals site;
	struct coord_totals *cams;  /* ncameras */
	struct coord_totals *lines; /* COORD_MAX_LINES per camera; occupancy unused */
};

struct journal {
	char *dir;
	int dirfd, lockfd, fd;  /* fd: the current period's journal, -1 when closed */
	off_t size;             /* bytes of whole lines in fd's file */
	bool daily_reset;
	int reset_minute;
	int ncameras;
	int *nlines;
	char (*names)[NAME_LEN_MAX + 1];
	char (*line_names)[NAME_LEN_MAX + 1]; /* COORD_MAX_LINES per camera */
	int64_t (*clock)(void *ctx);
	void *clock_ctx;
	int64_t snapshot_period_ns;

	char period[16];
	int64_t period_end_ns;  /* INT64_MAX without a daily reset */
	uint64_t next_seq;
	struct tally t;
	bool dirty;             /* counted since the last snapshot */
	bool unsynced;          /* appended since the last sync */
	int64_t last_snapshot_ns;
	bool failing;           /* the last write, sync or snapshot failed */

	pthread_mutex_t status_lock;
	struct journal_status status;
};

/* CRC-32 (IEEE 802.3, as zlib and gzip), bit by bit: lines are short. */
static uint32_t crc32_ieee(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

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
	if ((rc < 0) == j->failing)
		return;
	j->failing = rc < 0;
	if (rc < 0)
		log_error("state '%s': cannot %s: %s; counting goes on, not durably", j->dir, what,
			  strerror(-rc));
	else
		log_error("state '%s': writing again", j->dir);
	status_update(j);
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_LEN_MAX)
		return false;
	for (; *s; s++) {
		char ch = *s;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* "journal-2026-11-23.jsonl", or "journal.jsonl" without a daily reset. */
static void file_name(char *buf, size_t size, const char *kind, const char *period,
		      const char *ext)
{
	snprintf(buf, size, "%s%s%s%s", kind, period[0] ? "-" : "", period, ext);
}

/* Epoch seconds of the reset time on day's date (local time); normalises
 * day. A reset time that does not exist that day (a DST gap) comes out
 * later, as mktime normalises it. */
static time_t reset_on(const struct journal *j, struct tm *day)
{
	day->tm_hour = j->reset_minute / 60;
	day->tm_min = j->reset_minute % 60;
	day->tm_sec = 0;
	day->tm_isdst = -1;
	return mktime(day);
}

/* The period holding now: its label (the date it began) and when it ends. */
static void period_at(const struct journal *j, int64_t now, char label[16], int64_t *end_ns)
{
	struct tm day, next;
	time_t t, start, end;

	if (!j->daily_reset) {
		label[0] = '\0';
		*end_ns = INT64_MAX;
		return;
	}
	t = (time_t)(now / 1000000000 - (now % 1000000000 < 0));
	localtime_r(&t, &day);
	start = reset_on(j, &day);
	if (start > t) {
		day.tm_mday--;
		reset_on(j, &day);
	}
	next = day;
	next.tm_mday++;
	end = reset_on(j, &next);
	strftime(label, 16, "%Y-%m-%d", &day);
	*end_ns = end > t ? (int64_t)end * 1000000000 : now + 1000000000;
}

static bool label_ok(const char *s, size_t len)
{
	static const char shape[] = "dddd-dd-dd";

	if (len != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < len; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
			return false;
	return true;
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
		if (!label_ok(label, end ? (size_t)(end - label) : strlen(label)))
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

static int camera_index(const struct journal *j, const char *name)
{
	for (int i = 0; i < j->ncameras; i++)
		if (strcmp(j->names[i], name) == 0)
			return i;
	return -1;
}

static int line_index(const struct journal *j, int cam, const char *name)
{
	for (int l = 0; cam >= 0 && l < j->nlines[cam]; l++)
		if (strcmp(j->line_names[cam * COORD_MAX_LINES + l], name) == 0)
			return l;
	return -1;
}

static int tally_alloc(struct tally *t, int ncameras)
{
	t->site = (struct coord_totals){0};
	t->cams = calloc((size_t)ncameras + 1, sizeof(*t->cams));
	t->lines = calloc((size_t)ncameras * COORD_MAX_LINES + 1, sizeof(*t->lines));
	return t->cams && t->lines ? 0 : -ENOMEM;
}

static void tally_free(struct tally *t)
{
	free(t->cams);
	free(t->lines);
}

static void tally_zero(struct tally *t, int ncameras)
{
	t->site = (struct coord_totals){0};
	memset(t->cams, 0, (size_t)ncameras * sizeof(*t->cams));
	memset(t->lines, 0, (size_t)ncameras * COORD_MAX_LINES * sizeof(*t->lines));
}

/* cam or line -1: a camera or line this run does not have (the config
 * changed); the event still counts where it can. */
static void tally_add(struct tally *t, int cam, int line, enum direction dir)
{
	coord_totals_add(&t->site, dir);
	if (cam < 0)
		return;
	coord_totals_add(&t->cams[cam], dir);
	if (line < 0)
		return;
	if (dir == DIR_IN)
		t->lines[cam * COORD_MAX_LINES + line].in++;
	else
		t->lines[cam * COORD_MAX_LINES + line].out++;
}

/* One journal line, newline included, into buf. Returns its length. */
static size_t format_line(const struct journal *j, const struct event *ev, uint64_t seq,
			  char *buf, size_t size)
{
	char when[64];
	int n;

	format_time_utc(ev->wall_ns, when, sizeof(when));
	n = snprintf(buf, size,
		     "{\"seq\":%" PRIu64 ",\"time\":\"%s\",\"camera\":\"%s\",\"line\":\"%s\","
		     "\"direction\":\"%s\",\"frame\":%" PRIu64 ",\"track\":%" PRIu32,
		     seq, when, j->names[ev->camera],
		     j->line_names[ev->camera * COORD_MAX_LINES + ev->line],
		     ev->dir == DIR_IN ? "in" : "out", ev->frame, ev->track);
	n += snprintf(buf + n, size - (size_t)n, ",\"crc\":\"%08" PRIx32 "\"}\n",
		      crc32_ieee(buf, (size_t)n));
	return (size_t)n;
}

struct parsed_line {
	uint64_t seq;
	char camera[NAME_LEN_MAX + 1];
	char line[NAME_LEN_MAX + 1];
	enum direction dir;
};

/* Accepts exactly what format_line writes, with a matching CRC. */
static bool parse_line(const char *s, size_t len, struct parsed_line *out)
{
	static const char crc_key[] = ",\"crc\":\"";
	const size_t key_len = sizeof(crc_key) - 1;
	const size_t tail_len = key_len + 8 + 3; /* ,"crc":"XXXXXXXX"}\n */
	char dir[4], hex[9], *end;
	uint64_t frame;
	uint32_t track;
	int n = -1;

	if (len < tail_len + 2 || len > LINE_BYTES_MAX || s[len - 1] != '\n' ||
	    memchr(s, '\0', len))
		return false;
	const size_t crc_pos = len - tail_len;
	if (memcmp(s + crc_pos, crc_key, key_len) != 0 || memcmp(s + len - 3, "\"}\n", 3) != 0)
		return false;
	memcpy(hex, s + crc_pos + key_len, 8);
	hex[8] = '\0';
	errno = 0;
	unsigned long crc = strtoul(hex, &end, 16);
	if (*end || errno || hex[0] == '-' || hex[0] == '+' || hex[0] == ' ' ||
	    crc != crc32_ieee(s, crc_pos))
		return false;
	if (sscanf(s,
		   "{\"seq\":%" SCNu64 ",\"time\":\"%*[^\"]\",\"camera\":\"%63[^\"]\",\"line\":\"%63[^\"]\","
		   "\"direction\":\"%3[^\"]\",\"frame\":%" SCNu64 ",\"track\":%" SCNu32 "%n",
		   &out->seq, out->camera, out->line, dir, &frame, &track, &n) != 6 ||
	    n != (int)crc_pos)
		return false;
	if (strcmp(dir, "in") == 0)
		out->dir = DIR_IN;
	else if (strcmp(dir, "out") == 0)
		out->dir = DIR_OUT;
	else
		return false;
	return true;
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

/* Parses a snapshot into t and *next_seq; false when anything is off. */
static bool parse_snapshot(const struct journal *j, const char *period, const char *buf,
			   size_t len, struct tally *t, uint64_t *next_seq)
{
	const size_t magic_len = sizeof(SNAPSHOT_MAGIC) - 1;
	const char *crc_line, *p;
	unsigned int crc;
	char tail;
	bool have_period = false, have_seq = false, have_site = false;

	if (len < magic_len || memcmp(buf, SNAPSHOT_MAGIC, magic_len) != 0 || buf[len - 1] != '\n' ||
	    memchr(buf, '\0', len))
		return false;
	/* The last line is "crc XXXXXXXX", over every byte before it. */
	crc_line = buf + len - 1;
	while (crc_line > buf && crc_line[-1] != '\n')
		crc_line--;
	if (sscanf(crc_line, "crc %8x%c", &crc, &tail) != 2 || tail != '\n' ||
	    crc_line + 13 != buf + len || crc != crc32_ieee(buf, (size_t)(crc_line - buf)))
		return false;

	tally_zero(t, j->ncameras);
	for (p = buf + magic_len; p < crc_line; p = strchr(p, '\n') + 1) {
		char a[NAME_LEN_MAX + 1], b[NAME_LEN_MAX + 1];
		struct coord_totals v = {0};
		unsigned long long in, out, corr;
		long long occ;
		int n = -1;

		if (sscanf(p, "period %15s%n", a, &n) == 1 && p[n] == '\n') {
			have_period = strcmp(a, period[0] ? period : "-") == 0;
			if (!have_period)
				return false;
		} else if (sscanf(p, "next_seq %llu%n", &in, &n) == 1 && p[n] == '\n') {
			*next_seq = in;
			have_seq = true;
		} else if (sscanf(p, "site %llu %llu %lld %llu%n", &in, &out, &occ, &corr, &n) == 4 &&
			   p[n] == '\n') {
			t->site = (struct coord_totals){in, out, occ, corr};
			have_site = true;
		} else if (sscanf(p, "camera %63s %llu %llu %lld %llu%n", a, &in, &out, &occ, &corr,
				  &n) == 5 && p[n] == '\n') {
			int cam = camera_index(j, a);
			v = (struct coord_totals){in, out, occ, corr};
			if (cam >= 0)
				t->cams[cam] = v;
		} else if (sscanf(p, "line %63s %63s %llu %llu%n", a, b, &in, &out, &n) == 4 &&
			   p[n] == '\n') {
			int cam = camera_index(j, a);
			int line = line_index(j, cam, b);
			if (line >= 0)
				t->lines[cam * COORD_MAX_LINES + line] = (struct coord_totals){in, out, 0, 0};
		} else {
			return false;
		}
	}
	return have_period && have_seq && have_site;
}

/* Cuts a damaged last line off the current period's journal, for good. */
static void cut_torn_tail(struct journal *j, const char *name, off_t at, off_t bytes)
{
	int fd = openat(j->dirfd, name, O_WRONLY | O_CLOEXEC);
	int rc = fd < 0 || ftruncate(fd, at) < 0 || fsync(fd) < 0 ? -errno : 0;

	if (fd >= 0)
		close(fd);
	log_error("state '%s': %s ends in a damaged line (%lld bytes at offset %lld, cut short "
		  "by a crash or power cut): %s; everything before it is kept",
		  j->dir, name, (long long)bytes, (long long)at,
		  rc ? strerror(-rc) : "ignored and cut off");
}

/* Loads one period's totals into t and carries j->next_seq past it. The
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

	tally_zero(t, j->ncameras);
	file_name(name, sizeof(name), "snapshot", period, "");
	len = read_small(j->dirfd, name, &buf);
	if (len >= 0) {
		from_snapshot = parse_snapshot(j, period, buf, (size_t)len, t, &seq);
		if (!from_snapshot) {
			tally_zero(t, j->ncameras);
			seq = 0;
			log_error("state '%s': %s is damaged; recounting the period from its journal",
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
		struct parsed_line pl;

		if (bad_off >= 0) {
			/* A damaged line with more after it: not a torn tail. */
			damaged++;
			log_error("state '%s': %s: damaged line at offset %lld skipped", j->dir, name,
				  (long long)bad_off);
			bad_off = -1;
		}
		if (!parse_line(line, (size_t)len, &pl)) {
			bad_off = off;
			bad_len = len;
		} else if (pl.seq >= seq) {
			int cam = camera_index(j, pl.camera);

			/* Below seq: already in the snapshot (or a repeat). */
			tally_add(t, cam, line_index(j, cam, pl.line), pl.dir);
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
	j->size = st.st_size;
	return 0;
}

int journal_open(const struct journal_config *cfg, struct journal **out, char *err,
		 size_t errlen)
{
	struct journal *j;
	char latest[16];
	int rc;

	*out = NULL;
	if (!cfg->dir || !cfg->dir[0] || cfg->ncameras < 0 || (cfg->ncameras && !cfg->cams) ||
	    (cfg->daily_reset && (cfg->reset_minute < 0 || cfg->reset_minute >= 24 * 60))) {
		snprintf(err, errlen, "state: bad journal configuration");
		return -EINVAL;
	}
	for (int i = 0; i < cfg->ncameras; i++) {
		bool ok = name_ok(cfg->cams[i].name) && cfg->cams[i].nlines >= 1 &&
			  cfg->cams[i].nlines <= COORD_MAX_LINES;
		for (int l = 0; ok && l < cfg->cams[i].nlines; l++)
			ok = name_ok(cfg->cams[i].line_names[l]);
		if (!ok) {
			snprintf(err, errlen, "state '%s': camera '%s' has a name the journal cannot "
				 "hold (1 to %d of A-Z a-z 0-9 . _ -)", cfg->dir, cfg->cams[i].name,
				 NAME_LEN_MAX);
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
	j->line_names = calloc((size_t)cfg->ncameras * COORD_MAX_LINES + 1, sizeof(*j->line_names));
	if (!j->dir || !j->nlines || !j->names || !j->line_names ||
	    tally_alloc(&j->t, cfg->ncameras) < 0) {
		journal_close(j);
		goto nomem;
	}
	for (int i = 0; i < cfg->ncameras; i++) {
		snprintf(j->names[i], sizeof(j->names[i]), "%s", cfg->cams[i].name);
		j->nlines[i] = cfg->cams[i].nlines;
		for (int l = 0; l < cfg->cams[i].nlines; l++)
			snprintf(j->line_names[i * COORD_MAX_LINES + l], sizeof(j->line_names[0]), "%s",
				 cfg->cams[i].line_names[l]);
	}
	j->daily_reset = cfg->daily_reset;
	j->reset_minute = cfg->reset_minute;
	j->clock = cfg->clock ? cfg->clock : system_clock;
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
	period_at(j, journal_now(j), j->period, &j->period_end_ns);
	latest[0] = '\0';
	if (j->daily_reset)
		latest_period(j, latest);
	if (!j->daily_reset || strcmp(latest, j->period) == 0) {
		rc = load_period(j, j->period, &j->t, true);
	} else if (latest[0]) {
		/* Down across a reset: new totals; numbering carries on. */
		struct tally scratch;
		rc = tally_alloc(&scratch, j->ncameras);
		if (rc == 0)
			rc = load_period(j, latest, &scratch, false);
		tally_free(&scratch);
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
		log_error("state '%s': resuming %s%s: in %" PRIu64 " out %" PRIu64 " occupancy %" PRId64
			  " (%s + %" PRIu64 " journal events)", j->dir, j->period[0] ? "day " : "totals",
			  j->period, j->t.site.in, j->t.site.out, j->t.site.occupancy,
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

void journal_get_totals(const struct journal *j, int camera, struct coord_totals *out)
{
	if (camera < -1 || camera >= j->ncameras)
		*out = (struct coord_totals){0};
	else
		*out = camera < 0 ? j->t.site : j->t.cams[camera];
}

void journal_get_line_totals(const struct journal *j, int camera, int line,
			     struct coord_totals *out)
{
	if (camera < 0 || camera >= j->ncameras || line < 0 || line >= j->nlines[camera])
		*out = (struct coord_totals){0};
	else
		*out = j->t.lines[camera * COORD_MAX_LINES + line];
}

uint64_t journal_next_seq(const struct journal *j)
{
	return j->next_seq;
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
	return 0;
}

int journal_append(struct journal *j, const struct event *ev, uint64_t seq)
{
	char buf[LINE_BYTES_MAX];
	size_t len;
	int rc;

	if (ev->camera < 0 || ev->camera >= j->ncameras || ev->line < 0 ||
	    ev->line >= j->nlines[ev->camera] || (ev->dir != DIR_IN && ev->dir != DIR_OUT) ||
	    seq < j->next_seq)
		return -EINVAL;
	len = format_line(j, ev, seq, buf, sizeof(buf));
	rc = write_line(j, buf, len);
	tally_add(&j->t, ev->camera, ev->line, ev->dir);
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

	if (!j->unsynced)
		return 0;
	if (fdatasync(j->fd) < 0)
		rc = -errno;
	else
		j->unsynced = false;
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

int journal_snapshot(struct journal *j)
{
	char name[64], *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	/* Never count in a snapshot what the journal could still lose. */
	rc = journal_sync(j);
	if (rc < 0)
		return rc;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fputs(SNAPSHOT_MAGIC, f);
	fprintf(f, "period %s\nnext_seq %" PRIu64 "\nsite %" PRIu64 " %" PRIu64 " %" PRId64
		" %" PRIu64 "\n",
		j->period[0] ? j->period : "-", j->next_seq, j->t.site.in, j->t.site.out,
		j->t.site.occupancy, j->t.site.corrections);
	for (int i = 0; i < j->ncameras; i++) {
		const struct coord_totals *c = &j->t.cams[i];
		fprintf(f, "camera %s %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRIu64 "\n", j->names[i],
			c->in, c->out, c->occupancy, c->corrections);
		for (int l = 0; l < j->nlines[i]; l++) {
			const struct coord_totals *lt = &j->t.lines[i * COORD_MAX_LINES + l];
			fprintf(f, "line %s %s %" PRIu64 " %" PRIu64 "\n", j->names[i],
				j->line_names[i * COORD_MAX_LINES + l], lt->in, lt->out);
		}
	}
	if (fflush(f) != 0) {
		fclose(f);
		free(buf);
		return -ENOMEM;
	}
	fprintf(f, "crc %08" PRIx32 "\n", crc32_ieee(buf, len));
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
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

int journal_tick(struct journal *j)
{
	int64_t now = journal_now(j);
	int rolled = 0;

	if (now >= j->period_end_ns) {
		char old[16];

		/* The old day's files stay as they are, complete. */
		journal_snapshot(j);
		memcpy(old, j->period, sizeof(old));
		period_at(j, now, j->period, &j->period_end_ns);
		if (j->fd >= 0)
			close(j->fd);
		j->fd = -1;
		tally_zero(&j->t, j->ncameras);
		j->unsynced = false;
		note_result(j, open_current(j), "start the new day's journal");
		/* Written at once, so the numbering survives a restart today. */
		journal_snapshot(j);
		log_error("state '%s': daily reset: totals of %s kept, %s starts from zero", j->dir,
			  old, j->period);
		mutex_lock(&j->status_lock);
		j->status.rolls++;
		mutex_unlock(&j->status_lock);
		status_update(j);
		rolled = 1;
	}
	if (j->dirty && now - j->last_snapshot_ns >= j->snapshot_period_ns)
		journal_snapshot(j);
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
	tally_free(&j->t);
	free(j->line_names);
	free(j->names);
	free(j->nlines);
	free(j->dir);
	pthread_mutex_destroy(&j->status_lock);
	free(j);
}
