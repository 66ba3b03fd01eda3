/* Reading journals back; journal_tail.h. Owns one open journal file, its
 * offset and one line. */
#include "journal_tail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define NAME_SIZE 64
#define FILES_MAX 4096

struct journal_tail {
	char *dir;
	char name[NAME_SIZE];  /* the file being read; "" before a seek */
	uint64_t first;        /* its first seq */
	int fd;
	off_t off;             /* of the next line */
	char buf[JOURNAL_LINE_MAX + 1];
	size_t len;            /* of the line in buf; 0 = none read */
	struct journal_line pl;
	int64_t prev;          /* seq of the last line moved past */
	bool have;             /* buf holds the line at off */
};

struct file_ent {
	char name[NAME_SIZE];
	uint64_t first;
};

int journal_tail_open(const char *dir, struct journal_tail **out)
{
	struct journal_tail *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t || !(t->dir = strdup(dir))) {
		free(t);
		return -ENOMEM;
	}
	t->fd = -1;
	t->prev = -1;
	*out = t;
	return 0;
}

void journal_tail_close(struct journal_tail *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t->dir);
	free(t);
}

static bool journal_name(const char *n)
{
	size_t len = strlen(n);

	return len < NAME_SIZE && strncmp(n, "journal", 7) == 0 && len >= 13 &&
	       strcmp(n + len - 6, ".jsonl") == 0;
}

/* Reads the line at off of fd into t->buf. Returns 1 (a whole line, parsed
 * or not: t->pl valid when *ok), 0 (none, or not whole yet), or -errno. */
static int read_line(struct journal_tail *t, int fd, off_t off, bool *ok)
{
	ssize_t r;
	char *nl;

	do
		r = pread(fd, t->buf, JOURNAL_LINE_MAX, off);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	nl = memchr(t->buf, '\n', (size_t)r);
	if (!nl) {
		if (r == JOURNAL_LINE_MAX) {
			/* Longer than any line: damage; skip to its end. */
			t->len = (size_t)r;
			*ok = false;
			return 1;
		}
		return 0;
	}
	t->len = (size_t)(nl - t->buf) + 1;
	t->buf[t->len] = '\0';
	*ok = journal_codec_parse_line(t->buf, t->len, &t->pl);
	return 1;
}

/* The first seq of a file, or false when it has no whole valid line yet. */
static bool first_seq(struct journal_tail *t, int dirfd, const char *name, uint64_t *first)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	off_t off = 0;
	bool ok = false, found = false;

	if (fd < 0)
		return false;
	while (read_line(t, fd, off, &ok) == 1) {
		off += (off_t)t->len;
		if (ok) {
			*first = t->pl.seq;
			found = true;
			break;
		}
	}
	close(fd);
	t->have = false;
	return found;
}

static int cmp_ent(const void *a, const void *b)
{
	const struct file_ent *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* The journal files with at least one line, by first seq. */
static int list_files(struct journal_tail *t, struct file_ent **out, int *n)
{
	int dirfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *e;
	struct file_ent *v = NULL;
	int cnt = 0, cap = 0;

	*out = NULL;
	*n = 0;
	if (dirfd < 0)
		return -errno;
	d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return -ENOMEM;
	}
	while ((e = readdir(d)) && cnt < FILES_MAX) {
		uint64_t first;

		if (!journal_name(e->d_name) || !first_seq(t, dirfd, e->d_name, &first))
			continue;
		if (cnt == cap) {
			struct file_ent *nv;
			cap = cap ? cap * 2 : 8;
			nv = realloc(v, (size_t)cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		snprintf(v[cnt].name, NAME_SIZE, "%s", e->d_name);
		v[cnt++].first = first;
	}
	closedir(d);
	if (cnt > 1)
		qsort(v, (size_t)cnt, sizeof(*v), cmp_ent);
	*out = v;
	*n = cnt;
	return 0;
}

/* Makes name the file being read, from offset 0. */
static int open_file(struct journal_tail *t, const char *name, uint64_t first)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = fd;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->first = first;
	t->off = 0;
	t->have = false;
	return 0;
}

/* Moves to the file after the current one (or the first one), if any.
 * Returns 1 when it moved, 0 when there is none, or -errno. */
static int next_file(struct journal_tail *t)
{
	struct file_ent *v;
	int n, rc = 0;

	rc = list_files(t, &v, &n);
	if (rc < 0)
		return rc;
	rc = 0;
	for (int i = 0; i < n; i++) {
		if (t->fd >= 0 && v[i].first <= t->first)
			continue;
		rc = open_file(t, v[i].name, v[i].first);
		rc = rc < 0 ? rc : 1;
		break;
	}
	free(v);
	return rc;
}

int journal_tail_peek(struct journal_tail *t, const char **line, size_t *len, uint64_t *seq,
		      int64_t *prev)
{
	bool ok = false;
	int rc;

	while (!t->have) {
		rc = t->fd < 0 ? 0 : read_line(t, t->fd, t->off, &ok);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			/* The end of this file: the journal may have moved on to
			 * a new period's. */
			rc = next_file(t);
			if (rc <= 0)
				return rc;
			continue;
		}
		if (ok) {
			t->have = true;
			break;
		}
		log_error("state '%s': %s: damaged line at offset %lld not published", t->dir,
			  t->name, (long long)t->off);
		t->off += (off_t)t->len;
	}
	*line = t->buf;
	*len = t->len;
	*seq = t->pl.seq;
	*prev = t->prev;
	return 1;
}

void journal_tail_next(struct journal_tail *t)
{
	if (!t->have)
		return;
	t->prev = (int64_t)t->pl.seq;
	t->off += (off_t)t->len;
	t->have = false;
}

/* The seq of the last whole valid line of name, or -1. */
static int64_t last_seq(struct journal_tail *t, const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	int64_t last = -1;
	off_t off;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	off = fstat(fd, &st) == 0 && st.st_size > 2 * JOURNAL_LINE_MAX
		      ? st.st_size - 2 * JOURNAL_LINE_MAX : 0;
	/* From a line start: the first newline in the window ends a part. */
	if (off > 0) {
		bool ok;
		if (read_line(t, fd, off, &ok) == 1)
			off += (off_t)t->len;
	}
	for (;;) {
		bool ok = false;
		if (read_line(t, fd, off, &ok) != 1)
			break;
		if (ok)
			last = (int64_t)t->pl.seq;
		off += (off_t)t->len;
	}
	close(fd);
	t->have = false;
	return last;
}

/* In the open file, the offset of a line start at or before the first line
 * with seq >= from, close to it: lines are in seq order, so bisect over
 * byte offsets (a reconnect must not read a long journal from its start).
 * The line there is below from unless the offset is 0. */
static off_t bisect(struct journal_tail *t, uint64_t from)
{
	struct stat st;
	off_t lo = 0, hi;

	if (fstat(t->fd, &st) < 0)
		return 0;
	hi = st.st_size;
	while (hi - lo > 8 * JOURNAL_LINE_MAX) {
		off_t mid = lo + (hi - lo) / 2, start;
		bool ok = false;

		/* The line that mid is in ends at the first newline from mid - 1. */
		if (read_line(t, t->fd, mid - 1, &ok) != 1)
			break;
		start = mid - 1 + (off_t)t->len;
		if (start >= hi) {
			hi = mid;
			continue;
		}
		if (read_line(t, t->fd, start, &ok) != 1 || !ok)
			break; /* damage: the linear scan copes */
		if (t->pl.seq < from)
			lo = start;
		else
			hi = start;
	}
	t->have = false;
	return lo;
}

int journal_tail_seek(struct journal_tail *t, uint64_t from)
{
	struct file_ent *v;
	int n, start = 0, rc;
	int64_t prev = -1;

	rc = list_files(t, &v, &n);
	if (rc < 0)
		return rc;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->name[0] = '\0';
	t->have = false;
	t->prev = -1;
	/* The file holding from; prev for its first line is the last of the
	 * file before. */
	for (int i = 0; i < n; i++)
		if (v[i].first <= from)
			start = i;
	if (start > 0)
		prev = last_seq(t, v[start - 1].name);
	if (n > 0)
		rc = open_file(t, v[start].name, v[start].first);
	free(v);
	if (rc == 0 && t->fd >= 0) {
		t->off = bisect(t, from);
		/* At 0 the line is the file's first; else one below from that
		 * the scan passes, setting prev. */
		t->prev = t->off == 0 ? prev : -1;
	}
	while (rc == 0 && t->fd >= 0) {
		const char *line;
		size_t len;
		uint64_t seq;
		int64_t p;

		rc = journal_tail_peek(t, &line, &len, &seq, &p);
		if (rc <= 0)
			break;
		if (seq >= from) {
			rc = 0;
			break;
		}
		journal_tail_next(t);
		rc = 0;
	}
	return rc < 0 ? rc : 0;
}
