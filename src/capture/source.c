/* Opens a recorded file, picks its reader by content and numbers the frames;
 * a path naming a character device opens a V4L2 camera (v4l2_source.c).
 *
 * Anything no reader recognises, and any URL, goes to FFmpeg
 * (ffmpeg_source.c). The readers (avi_reader.c, mjpeg_reader.c, y4m_reader.c) only parse; the
 * frame index and timestamp are assigned here, once, so every kind numbers
 * frames the same way. Called by the one capture thread that owns the
 * source. */
#include "source_impl.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "stream.h"
#include "v4l2_device.h"

/* Sniffed in this order; each looks for its own magic, so order is moot. */
static const struct source_ops *const file_kinds[] = {
	&avi_source_ops,
	&mjpeg_source_ops,
	&y4m_source_ops,
};

#define SNIFF_BYTES 16

void source_error(const struct source *src, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || errlen == 0)
		return;
	n = snprintf(err, errlen, "'%s': ", src->path);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* A character device is a camera, whatever its bytes would sniff as; a
 * /dev/v4l/by-id/ link resolves to one. Asked through the V4L2 seam so
 * tests can present a fake device. */
static bool is_char_device(const char *path)
{
	struct stat st;

	return strcmp(path, "-") != 0 && v4l2_device_get()->stat(path, &st) == 0 &&
	       S_ISCHR(st.st_mode);
}

int source_open(const char *path, struct source **out, char *err, size_t errlen)
{
	return source_open_opts(path, NULL, out, err, errlen);
}

int source_open_opts(const char *path, const struct source_opts *opts, struct source **out,
		     char *err, size_t errlen)
{
	struct source *src;
	const uint8_t *head;
	ssize_t n;
	size_t i;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	src = calloc(1, sizeof(*src));
	if (!src) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	snprintf(src->path, sizeof(src->path), "%s", path);
	if (opts)
		src->opts = *opts;
	snprintf(src->name, sizeof(src->name), "%s", opts && opts->name ? opts->name : path);
	src->opts.name = src->name;
	if (is_char_device(path)) {
		src->ops = &v4l2_source_ops;
		goto chosen;
	}
	if (ffmpeg_is_url(path)) {
		src->ops = &ffmpeg_source_ops;
		goto chosen;
	}

	rc = stream_open(path, &src->in);
	if (rc < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(-rc));
		goto fail;
	}
	if (opts && opts->cancel)
		stream_set_cancel(src->in, opts->cancel);
	n = stream_peek(src->in, SNIFF_BYTES, &head);
	if (n < 0) {
		rc = (int)n;
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(-rc));
		goto fail;
	}
	if (n == 0) {
		rc = -ENODATA;
		source_error(src, err, errlen, "empty file");
		goto fail;
	}
	for (i = 0; i < sizeof(file_kinds) / sizeof(file_kinds[0]); i++) {
		if (file_kinds[i]->sniff(head, (size_t)n)) {
			src->ops = file_kinds[i];
			break;
		}
	}
	if (!src->ops) {
		/* Anything else is FFmpeg's to probe. A named file it opens
		 * itself (MP4 keeps its index at the end: it must seek);
		 * standard input it reads through the stream, whose first
		 * bytes were only peeked. */
		src->ops = &ffmpeg_source_ops;
		if (strcmp(path, "-") != 0) {
			stream_close(src->in);
			src->in = NULL;
		}
	}
chosen:
	src->info.kind = src->ops->kind;
	rc = src->ops->open(src, err, errlen);
	if (rc < 0)
		goto fail;
	/* A file with no rate of its own (raw MJPEG) runs at the camera's
	 * fps=, so its timestamps, and every time constant after them, match
	 * the same frames in a container that states the rate. */
	if (!src->info.live && src->info.fps <= 0 && opts && opts->fps > 0)
		src->info.fps = opts->fps;
	*out = src;
	return 0;

fail:
	source_close(src);
	return rc;
}

int source_read_frame(struct source *src, struct frame *slot, char *err, size_t errlen)
{
	int rc;

	slot->len = 0;
	slot->format = src->info.format;
	slot->width = src->info.width;
	slot->height = src->info.height;
	slot->session = src->session;
	rc = src->ops->read_frame(src, slot, err, errlen);
	switch (rc) {
	case 0:
		slot->index = src->next_index++;
		/* Live sources stamp frames themselves (the driver's timestamp),
		 * as do files whose stream carries timestamps. */
		if (src->info.live || src->ops->own_timestamps)
			break;
		/* From the index, not summed periods: no drift on long files. */
		slot->pts_ns = src->info.fps > 0 ?
			(int64_t)llround((double)slot->index * 1e9 / src->info.fps) : 0;
		break;
	case SOURCE_CORRUPT:
		/* The bad frame had its place in the file; keep later numbers
		 * equal to what a decoder such as ffmpeg would call them. */
		src->next_index++;
		slot->len = 0;
		break;
	case SOURCE_SKIPPED:
		slot->len = 0;
		rc = SOURCE_CORRUPT;
		break;
	default:
		slot->len = 0;
		break;
	}
	return rc;
}

const struct source_info *source_get_info(const struct source *src)
{
	return &src->info;
}

void source_get_stats(struct source *src, struct source_stats *out)
{
	*out = (struct source_stats){
		.reconnecting = atomic_load(&src->reconnecting),
		.reconnects = atomic_load(&src->reconnects),
		.driver_drops = atomic_load(&src->driver_drops),
		.stale = atomic_load(&src->stale),
	};
}

void source_interrupt(struct source *src)
{
	if (src)
		atomic_store(&src->interrupted, true);
}

void source_close(struct source *src)
{
	if (!src)
		return;
	if (src->ops && src->ops->close)
		src->ops->close(src);
	stream_close(src->in);
	free(src);
}
