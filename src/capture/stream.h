/* A small buffered reader over a file descriptor, for the file sources.
 *
 * It only ever moves forward, so it works the same on regular files, pipes
 * and standard input: readers parse as they go and never seek back. The one
 * buffer is allocated at open; reading frames allocates nothing. A stream
 * belongs to the thread that reads its source. */
#ifndef TURNSTILE_STREAM_H
#define TURNSTILE_STREAM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The most stream_peek() can show at once. The fuzz build makes it 4 kB
 * (at least a Y4M line), so short inputs cross buffer boundaries too. */
#ifndef STREAM_BUF_SIZE
#define STREAM_BUF_SIZE (256u << 10)
#endif

struct stream;

/* Opens path for reading; "-" is standard input (fd 0, left open at close).
 * Returns 0 or -errno; *out is NULL on failure. */
int stream_open(const char *path, struct stream **out);

/* From now on, reads from anything but a regular file wait for data in
 * slices and return -ECANCELED once *cancel is true (the camera's stop
 * flag, which must outlive the stream). NULL: wait without end. */
void stream_set_cancel(struct stream *s, const atomic_bool *cancel);

/* Makes up to n bytes (n <= STREAM_BUF_SIZE) visible at *p without consuming
 * them. Returns the number available: n, or fewer only at end of file; or
 * -errno on a read error. *p stays valid until the next call on s. */
ssize_t stream_peek(struct stream *s, size_t n, const uint8_t **p);

/* Like stream_peek, but shows every byte already buffered, not just min
 * (<= STREAM_BUF_SIZE); it waits only for min. Scanners use it so that on a
 * live pipe they never wait for a full window and hold back a frame that has
 * already arrived. Returns the count (below min only at end of file) or
 * -errno. */
ssize_t stream_peek_some(struct stream *s, size_t min, const uint8_t **p);

/* Reads n bytes into dst. Returns the number read, which is less than n only
 * at end of file, or -errno (what was read before the error is lost). */
ssize_t stream_read(struct stream *s, void *dst, size_t n);

/* Discards n bytes, with lseek on regular files and by reading otherwise.
 * Returns the number skipped, less than n only at end of file, or -errno. */
int64_t stream_skip(struct stream *s, uint64_t n);

/* Bytes consumed (read or skipped) since open. */
uint64_t stream_pos(const struct stream *s);

/* Closes the stream; NULL is fine. */
void stream_close(struct stream *s);

#endif
