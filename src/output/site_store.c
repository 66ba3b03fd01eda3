/* The aggregator's state; site_store.h. Owns the directory fd and the
 * lock. */
#include "site_store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal_codec.h"

#define MAGIC "turnstile-site 1\n"
#define FILE_NAME "site"
#define TMP_NAME "site.tmp"
#define FILE_MAX (64u << 20)

struct site_store {
	char *dir;
	int dirfd, lockfd;
};

void site_store_close(struct site_store *st)
{
	if (!st)
		return;
	if (st->lockfd >= 0)
		close(st->lockfd);
	if (st->dirfd >= 0)
		close(st->dirfd);
	free(st->dir);
	free(st);
}

static int format(const struct site *s, char **out, size_t *len)
{
	FILE *f = open_memstream(out, len);

	if (!f)
		return -ENOMEM;
	fputs(MAGIC, f);
	fprintf(f, "site %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRIu64 "\n", s->t.in, s->t.out,
		s->t.occupancy, s->t.corrections);
	for (int i = 0; i < s->nnodes; i++) {
		const struct site_node *n = &s->nodes[i];
		fprintf(f, "node %s %" PRId64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRIu64 " %" PRIu64
			" %" PRIu64 "\n", n->name, n->last, n->t.in, n->t.out, n->t.occupancy,
			n->t.corrections, n->repeats, n->gaps);
		for (int k = 0; k < n->ncameras; k++) {
			const struct site_camera *c = &n->cams[k];
			fprintf(f, "camera %s %s %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRIu64 "\n",
				n->name, c->name, c->t.in, c->t.out, c->t.occupancy, c->t.corrections);
			for (int l = 0; l < c->nlines; l++)
				fprintf(f, "line %s %s %s %" PRIu64 " %" PRIu64 "\n", n->name, c->name,
					c->lines[l].name, c->lines[l].in, c->lines[l].out);
		}
	}
	if (fflush(f) != 0) {
		fclose(f);
		return -ENOMEM;
	}
	fprintf(f, "crc %08" PRIx32 "\n", journal_codec_crc32(*out, *len));
	return fclose(f) == 0 ? 0 : -ENOMEM;
}

/* buf: NUL-terminated, len bytes. */
static bool parse(const char *buf, size_t len, struct site *s)
{
	const size_t mlen = sizeof(MAGIC) - 1;
	const char *crc_line, *p;
	unsigned int crc;
	char tail;

	if (len < mlen || memcmp(buf, MAGIC, mlen) != 0 || buf[len - 1] != '\n')
		return false;
	crc_line = buf + len - 1;
	while (crc_line > buf && crc_line[-1] != '\n')
		crc_line--;
	if (sscanf(crc_line, "crc %8x%c", &crc, &tail) != 2 || tail != '\n' ||
	    crc != journal_codec_crc32(buf, (size_t)(crc_line - buf)))
		return false;
	for (p = buf + mlen; p < crc_line; p = strchr(p, '\n') + 1) {
		char a[64], b[64], c[64];
		unsigned long long in, out, corr, rep, gaps;
		long long occ, last;
		int n = -1;

		if (sscanf(p, "site %llu %llu %lld %llu%n", &in, &out, &occ, &corr, &n) == 4 &&
		    p[n] == '\n') {
			s->t = (struct totals){in, out, occ, corr};
		} else if (sscanf(p, "node %63s %lld %llu %llu %lld %llu %llu %llu%n", a, &last, &in,
				  &out, &occ, &corr, &rep, &gaps, &n) == 8 && p[n] == '\n') {
			struct site_node *nd = site_node_get(s, a, true);
			if (!nd)
				return false;
			nd->last = last;
			nd->t = (struct totals){in, out, occ, corr};
			nd->repeats = rep;
			nd->gaps = gaps;
		} else if (sscanf(p, "camera %63s %63s %llu %llu %lld %llu%n", a, b, &in, &out, &occ,
				  &corr, &n) == 6 && p[n] == '\n') {
			struct site_node *nd = site_node_get(s, a, false);
			struct site_camera *cm = nd ? site_camera_get(nd, b, true) : NULL;
			if (!cm)
				return false;
			cm->t = (struct totals){in, out, occ, corr};
		} else if (sscanf(p, "line %63s %63s %63s %llu %llu%n", a, b, c, &in, &out, &n) == 5 &&
			   p[n] == '\n') {
			struct site_node *nd = site_node_get(s, a, false);
			struct site_camera *cm = nd ? site_camera_get(nd, b, false) : NULL;
			struct site_line *ln = cm ? site_line_get(cm, c, true) : NULL;
			if (!ln)
				return false;
			ln->in = in;
			ln->out = out;
		} else {
			return false;
		}
	}
	return true;
}

int site_store_open(const char *dir, struct site *s, struct site_store **out, char *err,
		    size_t errlen)
{
	struct site_store *st = calloc(1, sizeof(*st));
	char *buf = NULL;
	struct stat sb;
	int fd = -1, rc = 0;

	*out = NULL;
	if (!st || !(st->dir = strdup(dir))) {
		free(st);
		snprintf(err, errlen, "state '%s': out of memory", dir);
		return -ENOMEM;
	}
	st->dirfd = st->lockfd = -1;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		goto sys_fail;
	st->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0)
		goto sys_fail;
	st->lockfd = openat(st->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (st->lockfd < 0)
		goto sys_fail;
	if (flock(st->lockfd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		snprintf(err, errlen, "state '%s': %s", dir,
			 rc == -EBUSY ? "in use by another turnstile" : strerror(-rc));
		goto fail;
	}
	unlinkat(st->dirfd, TMP_NAME, 0);
	fd = openat(st->dirfd, FILE_NAME, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		*out = st;
		return 0;
	}
	if (fd < 0 || fstat(fd, &sb) < 0)
		goto sys_fail;
	if (sb.st_size > FILE_MAX || !(buf = malloc((size_t)sb.st_size + 1))) {
		rc = -EFBIG;
		snprintf(err, errlen, "state '%s': %s is too big", dir, FILE_NAME);
		goto fail;
	}
	if (read(fd, buf, (size_t)sb.st_size) != sb.st_size)
		goto sys_fail;
	buf[sb.st_size] = '\0';
	if (!parse(buf, (size_t)sb.st_size, s)) {
		rc = -EINVAL;
		snprintf(err, errlen, "state '%s': %s is damaged (move it away to start from zero)",
			 dir, FILE_NAME);
		goto fail;
	}
	free(buf);
	close(fd);
	*out = st;
	return 0;
sys_fail:
	rc = -errno;
	snprintf(err, errlen, "state '%s': %s", dir, strerror(-rc));
fail:
	free(buf);
	if (fd >= 0)
		close(fd);
	site_store_close(st);
	site_free(s);
	return rc;
}

int site_store_save(struct site_store *st, const struct site *s)
{
	char *buf = NULL;
	size_t len = 0, done = 0;
	int fd, rc = format(s, &buf, &len);

	if (rc < 0) {
		free(buf);
		return rc;
	}
	fd = openat(st->dirfd, TMP_NAME, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
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
	if (rc == 0 && renameat(st->dirfd, TMP_NAME, st->dirfd, FILE_NAME) < 0)
		rc = -errno;
	if (rc == 0 && fsync(st->dirfd) < 0)
		rc = -errno;
	free(buf);
	return rc;
}
