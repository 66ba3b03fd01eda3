/* Fuzz target: the FFmpeg source (ffmpeg_source.c), demux and decode,
 * through source_open and source_read_frame on a file, as a user's MP4, MKV
 * or TS reaches it. Inputs another reader claims (AVI, raw MJPEG, Y4M) are
 * left to their own targets. Checks what every source promises: a failed
 * open names the file and leaves no source; a frame is a whole luma plane
 * of the stream's size in the slot, indices only grow; pts never go back;
 * reading ends. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "source.h"

/* Slots bigger than this are clamped, as fuzz_common does: a frame that does
 * not fit is SOURCE_CORRUPT, never written past cap. */
#define SLOT_BYTES (4u << 20)
#define MAX_CALLS 4096

static uint8_t *slot_buf;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_memfile(data, size);
	struct source *src = NULL;
	char err[512];
	uint64_t next = 0;
	int64_t last_pts = 0;
	int rc;

	if (!slot_buf) {
		slot_buf = malloc(SLOT_BYTES);
		FUZZ_CHECK(slot_buf != NULL, "out of memory");
	}
	err[0] = '\0';
	rc = source_open(path, &src, err, sizeof(err));
	if (rc < 0) {
		FUZZ_CHECK(src == NULL, "failed open leaves no source");
		FUZZ_CHECK(err[0] && strstr(err, path), "open error names the source: '%s'", err);
		return 0;
	}
	const struct source_info *in = source_get_info(src);
	if (strcmp(in->kind, "ffmpeg") != 0) {
		source_close(src);
		return 0;
	}
	FUZZ_CHECK(in->format == FRAME_GRAY, "format %d", (int)in->format);
	FUZZ_CHECK(in->width >= 1 && in->width <= SOURCE_MAX_DIM && in->height >= 1 &&
			   in->height <= SOURCE_MAX_DIM,
		   "size %dx%d", in->width, in->height);
	FUZZ_CHECK(in->max_frame_bytes == (size_t)in->width * (size_t)in->height,
		   "slot %zu for %dx%d", in->max_frame_bytes, in->width, in->height);
	FUZZ_CHECK(!in->live, "a file is not live");
	size_t cap = in->max_frame_bytes < SLOT_BYTES ? in->max_frame_bytes : SLOT_BYTES;
	for (int calls = 0;; calls++) {
		struct frame slot = {.data = slot_buf + SLOT_BYTES - cap, .cap = cap};

		/* Decoders can make many frames of few bytes, but not without end. */
		if (calls == MAX_CALLS)
			break;
		rc = source_read_frame(src, &slot, err, sizeof(err));
		if (rc == SOURCE_EOF)
			break;
		if (rc < 0) {
			FUZZ_CHECK(strstr(err, path), "read error names the source: '%s'", err);
			break;
		}
		FUZZ_CHECK(rc == 0 || rc == SOURCE_CORRUPT, "read rc %d", rc);
		if (rc == SOURCE_CORRUPT)
			continue;
		FUZZ_CHECK(slot.len == cap && slot.width == in->width && slot.height == in->height,
			   "frame %dx%d len %zu cap %zu", slot.width, slot.height, slot.len, cap);
		FUZZ_CHECK(slot.index >= next, "index %llu after %llu",
			   (unsigned long long)slot.index, (unsigned long long)next);
		FUZZ_CHECK(next == 0 || slot.pts_ns > last_pts, "pts %lld after %lld",
			   (long long)slot.pts_ns, (long long)last_pts);
		next = slot.index + 1;
		last_pts = slot.pts_ns;
	}
	source_close(src);
	return 0;
}
