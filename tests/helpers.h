/* Helpers shared by the source-layer tests (test_avi_reader, test_mjpeg_reader,
 * test_y4m_reader, test_source): a byte buffer to build streams in, real
 * JPEGs from TurboJPEG, temporary files, a thread that feeds a pipe, and a
 * reader over the public source API.
 *
 * Each helper fails the running cmocka test on error, so a caller need not
 * check. Call them from the test's thread only. */
#ifndef TURNSTILE_TESTS_HELPERS_H
#define TURNSTILE_TESTS_HELPERS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "source.h"

/* ---- byte buffer ---- */

/* A growable byte buffer; starts zeroed ({0}), the caller frees p. */
struct buf {
	uint8_t *p;
	size_t len, cap;
};

void buf_put(struct buf *b, const void *src, size_t n);
/* Little-endian, as RIFF (AVI) stores its sizes. */
void buf_put_le32(struct buf *b, uint32_t v);

/* ---- JPEGs ---- */

/* A JPEG in memory; the caller frees p. */
struct jpeg {
	uint8_t *p;
	size_t len;
};

/* A real baseline (or, with TJFLAG_PROGRESSIVE in flags, progressive) 4:2:0
 * JPEG of w x h from TurboJPEG. Different seeds give different images, so a
 * reader that hands back the wrong frame is caught by comparing bytes. */
struct jpeg make_jpeg(int w, int h, int seed, int flags);

/* ---- temporary files ---- */

/* Writes n bytes of data to a new file "/tmp/turnstile-test-XXXXXX<suffix>"
 * and returns its path, which temp_remove() deletes and frees. */
char *temp_write(const void *data, size_t n, const char *suffix);
void temp_remove(char *path);

/* Opens data as a file through source_open() and expects it to fail with rc,
 * with an error that names the file and contains what. */
void expect_open_fails(const void *data, size_t n, int rc, const char *what);

/* ---- pipes ---- */

/* Writes data into a new pipe from its own thread, chunk bytes at a time, so
 * a reader sees short reads and must wait for the rest; then closes the
 * write end, which the reader sees as end of file. */
struct feeder {
	int fd;                 /* read end: the caller's to read and close */
	char path[32];          /* "/dev/fd/<fd>", for source_open() */
	pthread_t thread;
	int write_fd;
	const uint8_t *p;
	size_t len, chunk;
};

/* data must stay valid until feeder_join(). */
void feeder_start(struct feeder *f, const void *data, size_t len, size_t chunk);
/* Waits for every byte to be written (or the reader to be gone). */
void feeder_join(struct feeder *f);

/* Makes fd the process's standard input (closing fd), for sources opened as
 * "-"; returns a copy of the old one, which stdin_restore() puts back. */
int stdin_replace(int fd);
void stdin_restore(int saved);

/* ---- reading frames ---- */

/* An open source and a frame slot to read into. */
struct reader {
	struct source *src;
	struct frame slot;
	char err[256];
	char *path;             /* the file reader_open_bytes() wrote, else NULL */
};

/* Opens path (which must succeed) with a slot of cap bytes, or of the
 * source's max_frame_bytes when cap is 0. */
void reader_open(struct reader *r, const char *path, size_t cap);
/* The same on a temporary file holding data; reader_close() removes it. */
void reader_open_bytes(struct reader *r, const void *data, size_t n, size_t cap);
/* source_read_frame() into the slot: 0 or SOURCE_EOF, SOURCE_CORRUPT, -errno. */
int reader_next(struct reader *r);
void reader_close(struct reader *r);

#endif
