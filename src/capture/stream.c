/* Buffered forward-only reader; see stream.h. Called only by the thread that
 * owns the source, so it has no locks. */
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct stream {
	int fd;
	bool owns_fd;   /* false for standard input, which main may still use */
	bool seekable;  /* regular file: skips can lseek instead of reading */
	bool eof;       /* read() returned 0; do not ask again */
	const atomic_bool *cancel; /* pipes and terminals: give up waiting once true */
	uint8_t *buf;
	size_t head;    /* unread bytes are buf[head, tail) */
	size_t tail;
	uint64_t pos;
};

int stream_open(const char *path, struct stream **out)
{
	struct stream *s;
	struct stat st;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = -1;

	if (strcmp(path, "-") == 0) {
		s->fd = STDIN_FILENO;
	} else {
		/* O_NONBLOCK: opening a FIFO must not wait for its writer (a
		 * blocked open sees no stop flag); reads wait in poll instead. */
		s->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (s->fd < 0) {
			rc = -errno;
			goto fail;
		}
		s->owns_fd = true;
		int fl = fcntl(s->fd, F_GETFL);
		if (fl < 0 || fcntl(s->fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
			rc = -errno;
			goto fail;
		}
	}
	if (fstat(s->fd, &st) < 0) {
		rc = -errno;
		goto fail;
	}
	/* A directory opens fine but every read fails; say so now. */
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto fail;
	}
	s->seekable = S_ISREG(st.st_mode);

	s->buf = malloc(STREAM_BUF_SIZE);
	if (!s->buf) {
		rc = -ENOMEM;
		goto fail;
	}
	*out = s;
	return 0;

fail:
	stream_close(s);
	return rc;
}

void stream_set_cancel(struct stream *s, const atomic_bool *cancel)
{
	s->cancel = cancel;
}

/* With a cancel flag, a pipe, FIFO or terminal is waited on in slices of
 * CANCEL_SLICE_MS, so a stop is seen even when no byte ever comes (a FIFO
 * with no writer yet: poll reports neither data nor hangup until one has
 * opened it). Returns 0 when fd is readable, -ECANCELED when told to stop. */
#define CANCEL_SLICE_MS 100
static int wait_readable(const struct stream *s)
{
	struct pollfd pfd = {.fd = s->fd, .events = POLLIN};

	if (!s->cancel || s->seekable)
		return 0;
	for (;;) {
		if (atomic_load(s->cancel))
			return -ECANCELED;
		int r = poll(&pfd, 1, CANCEL_SLICE_MS);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* read() that retries EINTR and waits out EAGAIN. Returns bytes read, 0 at
 * EOF, or -errno. */
static ssize_t read_retry(const struct stream *s, void *dst, size_t n)
{
	const int fd = s->fd;

	for (;;) {
		int rc = wait_readable(s);
		if (rc < 0)
			return rc;
		ssize_t r = read(fd, dst, n);

		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			/* Standard input can come non-blocking from the
			 * parent (it shares the pipe's flags); a file source
			 * should simply wait for its data, as on any pipe. */
			struct pollfd pfd = {.fd = fd, .events = POLLIN};

			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		return -errno;
	}
}

/* Makes at least n (<= STREAM_BUF_SIZE) bytes buffered unless EOF comes first. */
static int fill(struct stream *s, size_t n)
{
	while (s->tail - s->head < n && !s->eof) {
		ssize_t r;

		if (s->head + n > STREAM_BUF_SIZE) {
			memmove(s->buf, s->buf + s->head, s->tail - s->head);
			s->tail -= s->head;
			s->head = 0;
		}
		/* Ask for all the room there is: fewer syscalls on files. */
		r = read_retry(s, s->buf + s->tail, STREAM_BUF_SIZE - s->tail);
		if (r < 0)
			return (int)r;
		if (r == 0)
			s->eof = true;
		s->tail += (size_t)r;
	}
	return 0;
}

ssize_t stream_peek(struct stream *s, size_t n, const uint8_t **p)
{
	size_t avail;
	int rc;

	if (n > STREAM_BUF_SIZE)
		n = STREAM_BUF_SIZE;
	rc = fill(s, n);
	if (rc < 0)
		return rc;
	avail = s->tail - s->head;
	*p = s->buf + s->head;
	return (ssize_t)(avail < n ? avail : n);
}

ssize_t stream_peek_some(struct stream *s, size_t min, const uint8_t **p)
{
	int rc;

	if (min > STREAM_BUF_SIZE)
		min = STREAM_BUF_SIZE;
	rc = fill(s, min);

	if (rc < 0)
		return rc;
	*p = s->buf + s->head;
	return (ssize_t)(s->tail - s->head);
}

ssize_t stream_read(struct stream *s, void *dst, size_t n)
{
	uint8_t *out = dst;
	size_t done = 0;

	while (done < n) {
		size_t want = n - done;
		size_t avail = s->tail - s->head;
		int rc;

		if (avail > 0) {
			size_t k = avail < want ? avail : want;

			memcpy(out + done, s->buf + s->head, k);
			s->head += k;
			done += k;
			continue;
		}
		if (s->eof)
			break;
		/* Large frames go straight to the caller, not through buf. */
		if (want >= STREAM_BUF_SIZE) {
			ssize_t r = read_retry(s, out + done, want);

			if (r < 0)
				return r;
			if (r == 0)
				s->eof = true;
			done += (size_t)r;
			continue;
		}
		s->head = s->tail = 0;
		rc = fill(s, want);
		if (rc < 0)
			return rc;
	}
	s->pos += done;
	return (ssize_t)done;
}

int64_t stream_skip(struct stream *s, uint64_t n)
{
	uint64_t done = 0;

	while (done < n) {
		uint64_t want = n - done;
		size_t avail = s->tail - s->head;
		int rc;

		if (avail > 0) {
			size_t k = avail < want ? avail : (size_t)want;

			s->head += k;
			done += k;
			continue;
		}
		if (s->eof)
			break;
		if (s->seekable && want > STREAM_BUF_SIZE) {
			/* lseek past the end succeeds, so clamp to the size the
			 * file has now: a truncated file must still end. */
			struct stat st;
			off_t cur = lseek(s->fd, 0, SEEK_CUR);
			uint64_t left;

			if (cur < 0 || fstat(s->fd, &st) < 0)
				return -errno;
			left = st.st_size > cur ? (uint64_t)(st.st_size - cur) : 0;
			if (left > want)
				left = want;
			if (lseek(s->fd, (off_t)left, SEEK_CUR) < 0)
				return -errno;
			done += left;
			if (left < want)
				s->eof = true;
			continue;
		}
		s->head = s->tail = 0;
		rc = fill(s, 1);
		if (rc < 0)
			return rc;
	}
	s->pos += done;
	return (int64_t)done;
}

uint64_t stream_pos(const struct stream *s)
{
	return s->pos;
}

void stream_close(struct stream *s)
{
	if (!s)
		return;
	if (s->owns_fd && s->fd >= 0)
		close(s->fd);
	free(s->buf);
	free(s);
}
