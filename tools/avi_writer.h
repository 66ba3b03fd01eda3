/* Minimal AVI 1.0 (RIFF) writer for one MJPEG video stream, used by the
 * test-clip generator. Single-threaded; the caller owns the writer.
 *
 * Layout: RIFF 'AVI ' { LIST hdrl { avih, LIST strl { strh 'vids' 'MJPG',
 * strf BITMAPINFOHEADER 'MJPG' } }, LIST movi { '00dc'... }, idx1 }.
 * Header fields that depend on the frames (counts, buffer sizes, list
 * sizes) are patched when the writer is closed. */
#ifndef TOOLS_AVI_WRITER_H
#define TOOLS_AVI_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct avi_writer_config {
	const char *path;
	int width, height;
	uint32_t rate, scale;   /* frames per second = rate / scale, as in strh */
	bool index;             /* write idx1 (and set AVIF_HASINDEX) */
};

struct avi_writer;

/* Creates (truncates) cfg->path and writes a provisional header.
 * Returns 0 or -errno (-EINVAL for a bad size or rate). */
int avi_writer_open(const struct avi_writer_config *cfg, struct avi_writer **out);

/* Appends one complete JPEG as a '00dc' chunk (padded to even length).
 * Returns 0, -EFBIG when the file would outgrow AVI 1.0's 1 GiB, or -errno. */
int avi_writer_add_frame(struct avi_writer *w, const void *jpeg, size_t len);

/* Writes idx1, patches the headers and closes the file; frees w in every
 * case. NULL is fine. Returns 0 or the first -errno seen while writing. */
int avi_writer_close(struct avi_writer *w);

#endif
