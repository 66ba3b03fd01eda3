/* Raw MJPEG: JPEG images back to back, as `ffmpeg -f mjpeg` or an HTTP
 * camera dump writes them.
 *
 * Frames are split by walking the marker segments (ITU T.81 B.1) and, after
 * SOS, scanning the entropy-coded data for the next real marker; searching
 * for FF D9 alone would end a frame inside an EXIF thumbnail in APP1. The
 * frame is copied into the slot as it is parsed, so a frame too large for
 * the slot is still followed to its end and skipped exactly. Runs on the
 * capture thread that owns the source. */
#include <errno.h>
#include <string.h>

#include "jpeg_util.h"
#include "source_impl.h"
#include "stream.h"

static bool mjpeg_sniff(const uint8_t *head, size_t n)
{
	return n >= 3 && head[0] == 0xFF && head[1] == JPEG_SOI && head[2] == 0xFF;
}

static int mjpeg_open(struct source *src, char *err, size_t errlen)
{
	const uint8_t *p;
	size_t have;
	ssize_t n;
	int w, h, rc;

	/* The first frame stays in the stream for read_frame: look for its
	 * SOF in the buffer, waiting for more only while it is not there. */
	n = stream_peek_some(src->in, 2, &p);
	for (;;) {
		if (n < 0) {
			source_error(src, err, errlen, "read error: %s", strerror((int)-n));
			return (int)n;
		}
		rc = jpeg_parse_size(p, (size_t)n, &w, &h);
		if (rc != -EAGAIN)
			break;
		if ((size_t)n >= STREAM_BUF_SIZE) {
			source_error(src, err, errlen,
				     "no frame size (SOF) in the first %u bytes of the first JPEG",
				     STREAM_BUF_SIZE);
			return -EPROTO;
		}
		have = (size_t)n;
		n = stream_peek_some(src->in, have + 1, &p);
		if (n >= 0 && (size_t)n <= have) {
			source_error(src, err, errlen, "first JPEG ends before its frame size (SOF)");
			return -EPROTO;
		}
	}
	if (rc < 0) {
		source_error(src, err, errlen, "first JPEG has bad markers or no frame size");
		return -EPROTO;
	}
	if (w > SOURCE_MAX_DIM || h > SOURCE_MAX_DIM) {
		source_error(src, err, errlen, "frame size %dx%d is over the limit of %d", w, h,
			     SOURCE_MAX_DIM);
		return -EPROTO;
	}
	src->info.format = FRAME_JPEG;
	src->info.width = w;
	src->info.height = h;
	src->info.fps = 0;      /* raw MJPEG carries no rate */
	src->info.max_frame_bytes = jpeg_max_bytes(w, h);
	return 0;
}

/* Where a frame is being assembled; once it no longer fits, the rest of it
 * is only skipped. */
struct sink {
	struct frame *slot;
	bool fits;
	bool short_read;        /* the stream ended inside the frame */
};

static int take(struct source *src, struct sink *k, size_t n)
{
	struct frame *slot = k->slot;

	if (k->fits && n <= slot->cap - slot->len) {
		ssize_t r = stream_read(src->in, slot->data + slot->len, n);

		if (r < 0)
			return (int)r;
		slot->len += (size_t)r;
		if ((size_t)r < n)
			k->short_read = true;
	} else {
		int64_t r;

		k->fits = false;
		r = stream_skip(src->in, n);
		if (r < 0)
			return (int)r;
		if ((uint64_t)r < n)
			k->short_read = true;
	}
	return 0;
}

/* Finds the next SOI (FF D8 FF: an SOI is always followed by a marker, which
 * makes a false match in garbage less likely) and discards what precedes it.
 * Sets *skipped to the bytes discarded. Returns 0 or -errno. */
static int skip_to_soi(struct source *src, uint64_t *skipped)
{
	*skipped = 0;
	for (;;) {
		const uint8_t *p, *q;
		ssize_t n = stream_peek_some(src->in, 3, &p);
		size_t i;
		int64_t r;

		if (n <= 0)
			return (int)n;
		for (q = p; (q = memchr(q, 0xFF, (size_t)n - (size_t)(q - p))) != NULL; q++) {
			i = (size_t)(q - p);
			if (i + 3 > (size_t)n)
				break;
			if (q[1] == JPEG_SOI && q[2] == 0xFF) {
				r = stream_skip(src->in, i);
				if (r < 0)
					return (int)r;
				*skipped += (uint64_t)r;
				return 0;
			}
		}
		/* Keep two bytes that may start an SOI whose rest is still to
		 * come, unless the file ends here. */
		r = stream_skip(src->in, n < 3 ? (size_t)n : (size_t)n - 2);
		if (r < 0)
			return (int)r;
		*skipped += (uint64_t)r;
	}
}

/* Consumes entropy-coded data up to the next marker that ends it (anything
 * but stuffed FF 00 and RST0-7), leaving that marker in the stream. */
static int take_scan(struct source *src, struct sink *k)
{
	for (;;) {
		const uint8_t *p, *q;
		ssize_t n = stream_peek_some(src->in, 2, &p);
		size_t i = 0, end;
		int rc;

		if (n < 0)
			return (int)n;
		if (n < 2) {
			/* EOF inside the scan: the frame is truncated. */
			rc = take(src, k, (size_t)n);
			k->short_read = true;
			return rc;
		}
		end = (size_t)n;
		for (q = p; (q = memchr(q, 0xFF, (size_t)n - (size_t)(q - p))) != NULL; q++) {
			i = (size_t)(q - p);
			if (i + 1 >= (size_t)n) {
				end = i;        /* FF is the last byte so far */
				break;
			}
			if (q[1] != 0x00 && !(q[1] >= 0xD0 && q[1] <= 0xD7))
				return take(src, k, i);
		}
		rc = take(src, k, end);
		if (rc < 0 || k->short_read)
			return rc;
	}
}

static int mjpeg_read_frame(struct source *src, struct frame *slot, char *err, size_t errlen)
{
	struct sink k = {.slot = slot, .fits = true};
	bool seen_sos = false, in_scan = false;
	uint64_t skipped;
	const uint8_t *p;
	ssize_t n;
	int rc;

	rc = skip_to_soi(src, &skipped);
	if (rc < 0)
		goto fail;
	/* Garbage between frames is reported once; the frame after it is
	 * read by the next call. */
	if (skipped > 0)
		return SOURCE_SKIPPED;
	n = stream_peek(src->in, 2, &p);
	if (n < 0) {
		rc = (int)n;
		goto fail;
	}
	if (n == 0)
		return SOURCE_EOF;

	rc = take(src, &k, 2);  /* SOI */
	if (rc < 0)
		goto fail;
	for (;;) {
		size_t seglen;
		uint8_t m;

		if (in_scan) {
			rc = take_scan(src, &k);
			if (rc < 0)
				goto fail;
			if (k.short_read)
				return SOURCE_CORRUPT;
			in_scan = false;
		}
		/* Two bytes first: waiting for four after an EOI would hold
		 * the frame back until the next one starts. */
		n = stream_peek(src->in, 2, &p);
		if (n < 0) {
			rc = (int)n;
			goto fail;
		}
		if (n < 2) {
			(void)stream_skip(src->in, (size_t)n);
			return SOURCE_CORRUPT;  /* truncated */
		}
		if (p[0] != 0xFF) {
			/* Not a marker where one must be: drop the rest of this
			 * frame here so it counts once, not again as garbage. */
			rc = skip_to_soi(src, &skipped);
			if (rc < 0)
				goto fail;
			return SOURCE_CORRUPT;
		}
		m = p[1];
		if (m == 0xFF) {                /* fill byte */
			rc = take(src, &k, 1);
			if (rc < 0)
				goto fail;
			continue;
		}
		if (m == JPEG_SOI)              /* next frame; this one lost its EOI */
			return SOURCE_CORRUPT;
		if (m == JPEG_EOI) {
			rc = take(src, &k, 2);
			if (rc < 0)
				goto fail;
			return k.fits && seen_sos ? 0 : SOURCE_CORRUPT;
		}
		if (jpeg_marker_is_standalone(m)) {
			rc = take(src, &k, 2);
			if (rc < 0)
				goto fail;
			continue;
		}
		n = stream_peek(src->in, 4, &p);
		if (n < 0) {
			rc = (int)n;
			goto fail;
		}
		if (n < 4) {
			(void)stream_skip(src->in, (size_t)n);
			return SOURCE_CORRUPT;  /* truncated */
		}
		seglen = (size_t)p[2] << 8 | p[3];
		if (seglen < 2) {
			rc = skip_to_soi(src, &skipped);
			if (rc < 0)
				goto fail;
			return SOURCE_CORRUPT;
		}
		rc = take(src, &k, 2 + seglen);
		if (rc < 0)
			goto fail;
		if (k.short_read)
			return SOURCE_CORRUPT;
		if (m == JPEG_SOS)
			seen_sos = in_scan = true;
	}

fail:
	source_error(src, err, errlen, "read error: %s", strerror(-rc));
	return rc;
}

const struct source_ops mjpeg_source_ops = {
	.kind = "mjpeg",
	.sniff = mjpeg_sniff,
	.open = mjpeg_open,
	.read_frame = mjpeg_read_frame,
	.close = NULL,
};
