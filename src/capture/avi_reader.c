/* AVI (RIFF 'AVI ', with OpenDML 'AVIX' continuations) holding MJPEG video.
 *
 * The file is parsed linearly, like a pipe: the header lists once at open,
 * then every chunk in order. The idx1 and OpenDML indexes are never used, so
 * files without them, files cut short and files on standard input all read
 * the same way. Containers ('RIFF' 'AVIX', 'LIST' 'movi', 'LIST' 'rec ') are
 * entered without trusting their sizes: ffmpeg writing to a pipe leaves them
 * at 0xFFFFFFFF.
 *
 * What counts as a corrupt frame (SOURCE_CORRUPT, which uses up the frame's
 * index): a zero-length video chunk (a dropped frame), a chunk larger than
 * the slot, a chunk that is not SOI..EOI, a chunk cut by the end of the
 * file (then SOURCE_EOF), a chunk claiming more than SOURCE_MAX_FRAME_BYTES
 * (a damaged size: the reader resynchronises rather than skip up to 4 GiB).
 * Garbage where a chunk header should be is skipped up to the next plausible
 * header and reported once, without an index.
 * Runs on the capture thread that owns the source. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jpeg_util.h"
#include "source_impl.h"
#include "stream.h"

/* Bounds on what the header may make us read or scan. */
#define HDRL_MAX (16u << 20)
#define RESYNC_MIN (16u << 20)

struct avi_priv {
	char id_dc[4];          /* "NNdc" and "NNdb" of the video stream we read */
	char id_db[4];
	uint64_t resync_max;    /* give up after this much garbage */
};

/* What the header lists told us. */
struct avi_header {
	uint32_t usec_per_frame;        /* avih */
	int avih_width, avih_height;
	int stream_count;               /* strl lists seen so far */
	int video_stream;               /* chosen MJPEG stream, or -1 */
	uint32_t rate, scale;           /* its strh */
	uint32_t suggested_bytes;
	int64_t width, height;          /* its strf */
	char other_codec[5];            /* a video stream we cannot read, for the error */
};

/* FOURCCs (BITMAPINFOHEADER compression or strh handler) of streams whose
 * frames are JPEG images, as ffmpeg's riff.c maps them to its mjpeg decoder. */
static const char *const mjpeg_fourccs[] = {
	"MJPG", "AVI1", "JPEG", "JFIF", "IJPG", "AVRN", "ACDV", "QIVG",
	"SLMJ", "CJPG", "AVDJ", "MJPA", "DMB1", "JPGL",
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool is_id(const uint8_t *p, const char *id)
{
	return memcmp(p, id, 4) == 0;
}

/* Chunk ids are four letters, digits or spaces; anything else is garbage. */
static bool valid_fourcc(const uint8_t *p)
{
	int i;

	for (i = 0; i < 4; i++) {
		uint8_t c = p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      c == ' '))
			return false;
	}
	return true;
}

static bool is_mjpeg_fourcc(const uint8_t *p)
{
	size_t i;

	for (i = 0; i < sizeof(mjpeg_fourccs) / sizeof(mjpeg_fourccs[0]); i++)
		if (strncasecmp((const char *)p, mjpeg_fourccs[i], 4) == 0)
			return true;
	return false;
}

static bool avi_sniff(const uint8_t *head, size_t n)
{
	return n >= 12 && is_id(head, "RIFF") && is_id(head + 8, "AVI ");
}

/* Reads exactly n header bytes; a short read is a truncated header. */
static int read_exact(struct source *src, void *dst, size_t n)
{
	ssize_t r = stream_read(src->in, dst, n);

	if (r < 0)
		return (int)r;
	return (size_t)r == n ? 0 : -EPROTO;
}

static int skip_exact(struct source *src, uint64_t n)
{
	int64_t r = stream_skip(src->in, n);

	if (r < 0)
		return (int)r;
	return (uint64_t)r == n ? 0 : -EPROTO;
}

/* Reads the first min(size, cap) bytes of a chunk body into buf (zeroing the
 * rest of buf) and skips the remainder and the pad byte. */
static int read_body(struct source *src, uint32_t size, uint8_t *buf, size_t cap)
{
	size_t n = size < cap ? size : cap;
	int rc;

	memset(buf, 0, cap);
	rc = read_exact(src, buf, n);
	if (rc < 0)
		return rc;
	return skip_exact(src, (uint64_t)size - n + (size & 1));
}

/* Reads the header (id, size) of the next chunk in a list with *left >= 8
 * bytes to go, and takes the chunk and its pad byte off *left. A chunk that
 * runs past the end of its list is a corrupt header: -EPROTO. */
static int read_subchunk(struct source *src, uint8_t *ck, uint64_t *left, uint64_t *size)
{
	int rc = read_exact(src, ck, 8);

	if (rc < 0)
		return rc;
	*size = le32(ck + 4);
	if (*size + (*size & 1) > *left - 8)
		return -EPROTO;
	*left -= 8 + *size + (*size & 1);
	return 0;
}

static int parse_strl(struct source *src, uint64_t left, struct avi_header *h)
{
	uint8_t strh[56], strf[40], ck[8];
	bool have_strh = false, have_strf = false;
	int rc;

	while (left >= 8) {
		uint64_t size;

		rc = read_subchunk(src, ck, &left, &size);
		if (rc < 0)
			return rc;
		if (is_id(ck, "strh") && !have_strh) {
			rc = read_body(src, (uint32_t)size, strh, sizeof(strh));
			have_strh = true;
		} else if (is_id(ck, "strf") && !have_strf) {
			rc = read_body(src, (uint32_t)size, strf, sizeof(strf));
			have_strf = true;
		} else {
			rc = skip_exact(src, size + (size & 1));
		}
		if (rc < 0)
			return rc;
	}
	rc = skip_exact(src, left);
	if (rc < 0)
		return rc;

	h->stream_count++;
	if (!have_strh || !is_id(strh, "vids") || h->video_stream >= 0)
		return 0;
	/* strf holds a BITMAPINFOHEADER; compression at 16. Some writers put
	 * the codec only in strh's handler, so accept either. */
	if ((have_strf && is_mjpeg_fourcc(strf + 16)) || is_mjpeg_fourcc(strh + 4)) {
		h->video_stream = h->stream_count - 1;
		h->scale = le32(strh + 20);
		h->rate = le32(strh + 24);
		h->suggested_bytes = le32(strh + 36);
		if (have_strf) {
			h->width = (int32_t)le32(strf + 4);
			h->height = (int32_t)le32(strf + 8);
			if (h->height < 0)      /* top-down DIB */
				h->height = -h->height;
		}
	} else if (!h->other_codec[0]) {
		const uint8_t *cc = have_strf ? strf + 16 : strh + 4;
		int i;

		for (i = 0; i < 4; i++)
			h->other_codec[i] = cc[i] >= 0x20 && cc[i] < 0x7F ? (char)cc[i] : '?';
	}
	return 0;
}

static int parse_hdrl(struct source *src, uint64_t left, struct avi_header *h)
{
	uint8_t avih[40], ck[12];
	int rc;

	while (left >= 8) {
		uint64_t size;

		rc = read_subchunk(src, ck, &left, &size);
		if (rc < 0)
			return rc;
		if (is_id(ck, "avih")) {
			rc = read_body(src, (uint32_t)size, avih, sizeof(avih));
			h->usec_per_frame = le32(avih);
			h->avih_width = (int)(le32(avih + 32) & 0x7FFFFFFF);
			h->avih_height = (int)(le32(avih + 36) & 0x7FFFFFFF);
		} else if (is_id(ck, "LIST") && size >= 4) {
			rc = read_exact(src, ck + 8, 4);
			if (rc == 0 && is_id(ck + 8, "strl"))
				rc = parse_strl(src, size - 4 + (size & 1), h);
			else if (rc == 0)
				rc = skip_exact(src, size - 4 + (size & 1));
		} else {
			rc = skip_exact(src, size + (size & 1));
		}
		if (rc < 0)
			return rc;
	}
	return skip_exact(src, left);
}

static int avi_open(struct source *src, char *err, size_t errlen)
{
	struct avi_header h = {.video_stream = -1};
	struct avi_priv *priv;
	bool have_hdrl = false;
	uint8_t ck[12];
	uint64_t size;
	int rc;

	priv = calloc(1, sizeof(*priv));
	if (!priv) {
		source_error(src, err, errlen, "out of memory");
		return -ENOMEM;
	}
	src->priv = priv;

	rc = read_exact(src, ck, 12);   /* RIFF size 'AVI ' */
	if (rc < 0)
		goto io_fail;
	/* Top-level chunks up to the movi list; its frames are read later. */
	for (;;) {
		rc = read_exact(src, ck, 8);
		if (rc < 0)
			goto io_fail;
		size = le32(ck + 4);
		if (is_id(ck, "LIST")) {
			if (size < 4)
				goto bad_header;
			rc = read_exact(src, ck + 8, 4);
			if (rc < 0)
				goto io_fail;
			if (is_id(ck + 8, "movi"))
				break;
			if (is_id(ck + 8, "hdrl") && !have_hdrl) {
				if (size > HDRL_MAX)
					goto bad_header;
				rc = parse_hdrl(src, size - 4 + (size & 1), &h);
				if (rc == -EPROTO)
					goto bad_header;
				if (rc < 0)
					goto io_fail;
				have_hdrl = true;
				continue;
			}
			size -= 4;
		}
		rc = skip_exact(src, size + (size & 1));
		if (rc < 0)
			goto io_fail;
	}
	if (!have_hdrl)
		goto bad_header;
	if (h.video_stream < 0) {
		if (h.other_codec[0])
			source_error(src, err, errlen, "AVI video is '%s', not MJPEG", h.other_codec);
		else
			source_error(src, err, errlen, "AVI has no video stream");
		rc = -EPROTO;
		goto fail;
	}
	if (h.width == 0 || h.height == 0) {    /* no strf: trust avih */
		h.width = h.avih_width;
		h.height = h.avih_height;
	}
	if (h.width <= 0 || h.height <= 0 || h.width > SOURCE_MAX_DIM || h.height > SOURCE_MAX_DIM) {
		source_error(src, err, errlen, "AVI frame size %lldx%lld is not within 1..%d",
			     (long long)h.width, (long long)h.height, SOURCE_MAX_DIM);
		rc = -EPROTO;
		goto fail;
	}

	src->info.format = FRAME_JPEG;
	src->info.width = (int)h.width;
	src->info.height = (int)h.height;
	src->info.fps = 0;
	if (h.rate > 0 && h.scale > 0)
		src->info.fps = (double)h.rate / h.scale;
	else if (h.usec_per_frame > 0)
		src->info.fps = 1e6 / h.usec_per_frame;
	/* A nonsense rate is better unknown; at the slow end index * 1e9 / fps
	 * overflows the int64 nanosecond timestamps (found by fuzzing). */
	if (src->info.fps > SOURCE_MAX_FPS || src->info.fps < SOURCE_MIN_FPS)
		src->info.fps = 0;
	src->info.max_frame_bytes = jpeg_max_bytes(src->info.width, src->info.height);
	if (h.suggested_bytes > src->info.max_frame_bytes &&
	    h.suggested_bytes <= SOURCE_MAX_FRAME_BYTES)
		src->info.max_frame_bytes = h.suggested_bytes;

	priv->id_dc[0] = priv->id_db[0] = (char)('0' + h.video_stream / 10 % 10);
	priv->id_dc[1] = priv->id_db[1] = (char)('0' + h.video_stream % 10);
	memcpy(priv->id_dc + 2, "dc", 2);
	memcpy(priv->id_db + 2, "db", 2);
	priv->resync_max = 2 * (uint64_t)src->info.max_frame_bytes;
	if (priv->resync_max < RESYNC_MIN)
		priv->resync_max = RESYNC_MIN;
	return 0;

bad_header:
	rc = -EPROTO;
	source_error(src, err, errlen, "bad AVI header");
	goto fail;
io_fail:
	if (rc == -EPROTO)
		source_error(src, err, errlen, "AVI ends before its first frame (no 'movi' list)");
	else
		source_error(src, err, errlen, "read error: %s", strerror(-rc));
fail:
	return rc;
}

static bool is_video_id(const struct avi_priv *priv, const uint8_t *p)
{
	return memcmp(p, priv->id_dc, 4) == 0 || memcmp(p, priv->id_db, 4) == 0;
}

/* A stream's data chunk: NNdc, NNdb (video), NNwb (audio). */
static bool is_stream_chunk(const uint8_t *p)
{
	return p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' &&
	       (memcmp(p + 2, "wb", 2) == 0 || memcmp(p + 2, "dc", 2) == 0 ||
		memcmp(p + 2, "db", 2) == 0);
}

/* Could a chunk header start at p (12 bytes visible)? Strict,
 * since garbage is full of valid-looking letters. */
static bool plausible_chunk(const struct avi_priv *priv, const uint8_t *p)
{
	uint32_t size = le32(p + 4);

	/* Every id below is letters and digits; resync asks at every byte of
	 * garbage, so this cheap test first spares it most comparisons. */
	if (!valid_fourcc(p))
		return false;
	if (is_video_id(priv, p))
		return size == 0 || (size <= SOURCE_MAX_FRAME_BYTES && p[8] == 0xFF && p[9] == JPEG_SOI);
	if (is_id(p, "LIST"))
		return is_id(p + 8, "movi") || is_id(p + 8, "rec ");
	if (is_id(p, "RIFF"))
		return is_id(p + 8, "AVIX");
	if (is_id(p, "idx1"))
		return true;
	/* Another stream's audio or video. */
	return is_stream_chunk(p) && size <= SOURCE_MAX_FRAME_BYTES;
}

/* The bytes at the read position are no chunk header: scan forward for one.
 * Returns SOURCE_SKIPPED once something plausible (or EOF) is reached. */
static int resync(struct source *src, char *err, size_t errlen)
{
	struct avi_priv *priv = src->priv;
	uint64_t start = stream_pos(src->in), skipped = 0;
	size_t from = 1;        /* the current position is known bad */

	for (;;) {
		const uint8_t *p;
		ssize_t n = stream_peek_some(src->in, 12, &p);
		int64_t r;
		size_t i;

		if (n < 0) {
			source_error(src, err, errlen, "read error: %s", strerror((int)-n));
			return (int)n;
		}
		if (n < 12) {   /* EOF: the rest is garbage */
			(void)stream_skip(src->in, (size_t)n);
			return SOURCE_SKIPPED;
		}
		for (i = from; i + 12 <= (size_t)n; i++) {
			if (plausible_chunk(priv, p + i)) {
				(void)stream_skip(src->in, i);
				return SOURCE_SKIPPED;
			}
		}
		/* Keep 11 bytes: a header may continue in bytes still to come. */
		r = stream_skip(src->in, (size_t)n - 11);
		if (r < 0) {
			source_error(src, err, errlen, "read error: %s", strerror((int)-r));
			return (int)r;
		}
		skipped += (uint64_t)r;
		from = 0;
		if (skipped > priv->resync_max) {
			source_error(src, err, errlen, "lost sync: no AVI chunk in %llu bytes after byte %llu",
				     (unsigned long long)skipped, (unsigned long long)start);
			return -EPROTO;
		}
	}
}

static int read_video_chunk(struct source *src, struct frame *slot, uint32_t size,
			    char *err, size_t errlen)
{
	ssize_t r;
	int64_t s;

	/* A zero-length chunk is a frame the writer dropped (ffmpeg writes one
	 * per duplicated frame). It keeps its place in the numbering but has
	 * nothing to decode, so it is reported as a corrupt frame. */
	if (size == 0)
		return SOURCE_CORRUPT;
	if (size > slot->cap || size > SOURCE_MAX_FRAME_BYTES) {
		s = stream_skip(src->in, (uint64_t)size + (size & 1));
		if (s < 0)
			goto fail_skip;
		return SOURCE_CORRUPT;
	}
	r = stream_read(src->in, slot->data, size);
	if (r < 0) {
		source_error(src, err, errlen, "read error: %s", strerror((int)-r));
		return (int)r;
	}
	if ((size_t)r < size)
		return SOURCE_CORRUPT;  /* file cut inside the frame; EOF next */
	s = stream_skip(src->in, size & 1);
	if (s < 0)
		goto fail_skip;
	if (!jpeg_check(slot->data, size))
		return SOURCE_CORRUPT;
	slot->len = size;
	return 0;

fail_skip:
	source_error(src, err, errlen, "read error: %s", strerror((int)-s));
	return (int)s;
}

static int avi_read_frame(struct source *src, struct frame *slot, char *err, size_t errlen)
{
	struct avi_priv *priv = src->priv;

	for (;;) {
		const uint8_t *p;
		ssize_t n = stream_peek(src->in, 8, &p);
		uint32_t size;
		uint64_t skip;
		int64_t r;

		if (n < 0) {
			source_error(src, err, errlen, "read error: %s", strerror((int)-n));
			return (int)n;
		}
		if (n < 8) {
			/* End of file, perhaps inside a chunk header: no frame. */
			(void)stream_skip(src->in, (size_t)n);
			return SOURCE_EOF;
		}
		if (!valid_fourcc(p))
			return resync(src, err, errlen);
		size = le32(p + 4);
		/* No frame or audio chunk is this big: the size field is damaged.
		 * Skipping what it claims (up to 4 GiB) would throw away the rest
		 * of the file, or hours of a live pipe; look for the next chunk
		 * instead. A lost video chunk still counts as a frame. */
		if (is_stream_chunk(p) && size > SOURCE_MAX_FRAME_BYTES) {
			bool ours = is_video_id(priv, p);
			int rc = resync(src, err, errlen);

			return rc == SOURCE_SKIPPED && ours ? SOURCE_CORRUPT : rc;
		}
		if (is_video_id(priv, p)) {
			(void)stream_skip(src->in, 8);
			return read_video_chunk(src, slot, size, err, errlen);
		}
		skip = 8 + (uint64_t)size + (size & 1);
		/* Only containers need their type: asking for 12 bytes at
		 * every chunk could wait on a pipe for data not yet sent. */
		if ((is_id(p, "RIFF") || is_id(p, "LIST")) && size >= 4) {
			n = stream_peek(src->in, 12, &p);
			if (n < 0) {
				source_error(src, err, errlen, "read error: %s", strerror((int)-n));
				return (int)n;
			}
		}
		if (n == 12 && ((is_id(p, "RIFF") && is_id(p + 8, "AVIX")) ||
				(is_id(p, "LIST") && (is_id(p + 8, "movi") || is_id(p + 8, "rec ")))))
			skip = 12;      /* enter: its chunks follow */
		/* Everything else (audio, JUNK, ix##, idx1, LIST INFO, and
		 * the RIFF 'AVIX' header's own LISTs) is stepped over; but
		 * none of those is anywhere near 64 MiB (an idx1 that big
		 * would index 37 hours), so such a size is damage, and
		 * stepping over it would lose the rest of a pipe. */
		if (skip != 12 && size > SOURCE_MAX_FRAME_BYTES)
			return resync(src, err, errlen);
		r = stream_skip(src->in, skip);
		if (r < 0) {
			source_error(src, err, errlen, "read error: %s", strerror((int)-r));
			return (int)r;
		}
		if ((uint64_t)r < skip)
			return SOURCE_EOF;
	}
}

static void avi_close(struct source *src)
{
	free(src->priv);
	src->priv = NULL;
}

const struct source_ops avi_source_ops = {
	.kind = "avi",
	.sniff = avi_sniff,
	.open = avi_open,
	.read_frame = avi_read_frame,
	.close = avi_close,
};
