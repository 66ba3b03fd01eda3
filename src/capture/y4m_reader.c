/* YUV4MPEG2 (Y4M), as `ffmpeg -f yuv4mpegpipe` writes it, usually on a pipe.
 *
 * Only the luma plane is kept (the detector works on gray); chroma is
 * skipped. Frames have no length field and no sync marker that cannot occur
 * in pixel data, so after a bad "FRAME" line there is no safe way to find the
 * next frame: that is a fatal error, not a corrupt frame. Runs on the capture
 * thread that owns the source. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "source_impl.h"
#include "stream.h"

#define Y4M_MAGIC "YUV4MPEG2"
#define Y4M_MAGIC_LEN 9
#define LINE_MAX_BYTES 4096     /* stream header or FRAME line */

struct y4m_priv {
	size_t luma;    /* bytes of the Y plane */
	size_t chroma;  /* bytes of the Cb and Cr planes that follow it */
};

static bool y4m_sniff(const uint8_t *head, size_t n)
{
	return n >= Y4M_MAGIC_LEN + 1 && memcmp(head, Y4M_MAGIC, Y4M_MAGIC_LEN) == 0 &&
	       head[Y4M_MAGIC_LEN] == ' ';
}

/* Parses a decimal number of up to 9 digits (no sign, nothing after). */
static bool parse_num(const char *s, size_t len, long *out)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 9)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Finds the '\n' ending the line at the read position, waiting only for
 * bytes the line still needs (a live pipe may have nothing more yet).
 * Returns the length with the '\n', 0 when the stream ends first,
 * -EMSGSIZE past LINE_MAX_BYTES, or -errno. */
static ssize_t peek_line(struct stream *in, const uint8_t **p)
{
	size_t want = 1;

	for (;;) {
		ssize_t n = stream_peek_some(in, want, p);
		const uint8_t *nl;

		if (n < 0)
			return n;
		nl = memchr(*p, '\n', (size_t)n < LINE_MAX_BYTES ? (size_t)n : LINE_MAX_BYTES);
		if (nl)
			return nl - *p + 1;
		if ((size_t)n < want)
			return 0;
		if ((size_t)n >= LINE_MAX_BYTES)
			return -EMSGSIZE;
		want = (size_t)n + 1;
	}
}

static bool token_is(const char *tok, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(tok, s, len) == 0;
}

/* Bytes of chroma per frame for colour space tag cs, or -1 if unsupported. */
static long long chroma_bytes(const char *cs, size_t len, long w, long h)
{
	long long cw = (w + 1) / 2, ch = (h + 1) / 2;

	if (token_is(cs, len, "420jpeg") || token_is(cs, len, "420paldv") ||
	    token_is(cs, len, "420mpeg2") || token_is(cs, len, "420"))
		return 2 * cw * ch;
	if (token_is(cs, len, "422"))
		return 2 * cw * h;
	if (token_is(cs, len, "444"))
		return 2LL * w * h;
	if (token_is(cs, len, "mono"))
		return 0;
	return -1;
}

static int y4m_open(struct source *src, char *err, size_t errlen)
{
	struct y4m_priv *priv;
	const char *line, *end, *tok, *cs = "420";
	const uint8_t *p;
	size_t cs_len = 3;
	long w = -1, h = -1, fn = 0, fd = 0;
	long long chroma;
	ssize_t n;
	int rc;

	n = peek_line(src->in, &p);
	if (n == 0) {           /* not "within 4096 bytes" when the file is 20 */
		source_error(src, err, errlen, "Y4M header line is cut short (no newline)");
		return -EPROTO;
	}
	if (n == -EMSGSIZE) {
		source_error(src, err, errlen, "Y4M header line is not terminated within %d bytes",
			     LINE_MAX_BYTES);
		return -EPROTO;
	}
	if (n < 0) {
		rc = (int)n;
		source_error(src, err, errlen, "read error: %s", strerror(-rc));
		return rc;
	}
	line = (const char *)p;
	end = line + n - 1;

	for (tok = line + Y4M_MAGIC_LEN; tok < end;) {
		const char *stop = memchr(tok, ' ', (size_t)(end - tok));
		size_t len;

		if (!stop)
			stop = end;
		len = (size_t)(stop - tok);
		if (len > 0) {
			const char *v = tok + 1, *colon;
			size_t vlen = len - 1;
			bool bad = false;

			switch (tok[0]) {
			case 'W':
				if (!parse_num(v, vlen, &w))
					bad = true;
				break;
			case 'H':
				if (!parse_num(v, vlen, &h))
					bad = true;
				break;
			case 'F':
				colon = memchr(v, ':', vlen);
				if (!colon || !parse_num(v, (size_t)(colon - v), &fn) ||
				    !parse_num(colon + 1, vlen - (size_t)(colon - v) - 1, &fd)) {
					source_error(src, err, errlen, "bad Y4M frame rate '%.*s'",
						     (int)(len < 32 ? len : 32), tok);
					return -EPROTO;
				}
				break;
			case 'C':
				cs = v;
				cs_len = vlen;
				break;
			default:
				/* I (interlacing: fields are read as one
				 * picture), A (aspect), X (comments) and tags
				 * from later versions do not change the bytes. */
				break;
			}
			if (bad) {
				source_error(src, err, errlen, "bad Y4M frame size '%.*s'",
					     (int)(len < 32 ? len : 32), tok);
				return -EPROTO;
			}
		}
		tok = stop + 1;
	}
	if (w < 0 || h < 0) {
		source_error(src, err, errlen, "Y4M header has no frame size (W and H)");
		return -EPROTO;
	}
	/* Before anything is sized from them. */
	if (w < 1 || h < 1 || w > SOURCE_MAX_DIM || h > SOURCE_MAX_DIM) {
		source_error(src, err, errlen, "Y4M frame size %ldx%ld is not within 1..%d", w, h,
			     SOURCE_MAX_DIM);
		return -EPROTO;
	}
	chroma = chroma_bytes(cs, cs_len, w, h);
	if (chroma < 0) {
		source_error(src, err, errlen,
			     "Y4M colour space 'C%.*s' is not supported (8-bit 420, 422, 444 or mono only)",
			     (int)(cs_len < 32 ? cs_len : 32), cs);
		return -EPROTO;
	}

	priv = calloc(1, sizeof(*priv));
	if (!priv) {
		source_error(src, err, errlen, "out of memory");
		return -ENOMEM;
	}
	priv->luma = (size_t)w * (size_t)h;
	priv->chroma = (size_t)chroma;
	src->priv = priv;

	src->info.format = FRAME_GRAY;
	src->info.width = (int)w;
	src->info.height = (int)h;
	src->info.fps = fn > 0 && fd > 0 ? (double)fn / fd : 0;
	if (src->info.fps > SOURCE_MAX_FPS || src->info.fps < SOURCE_MIN_FPS)
		src->info.fps = 0;      /* nonsense (F1:999999999): better unknown */
	src->info.max_frame_bytes = priv->luma;

	(void)stream_skip(src->in, (size_t)n);  /* the header line, buffered */
	return 0;
}

static int y4m_read_frame(struct source *src, struct frame *slot, char *err, size_t errlen)
{
	struct y4m_priv *priv = src->priv;
	uint64_t at = stream_pos(src->in);
	const uint8_t *p;
	size_t hdr;
	ssize_t n, r;
	int64_t s;
	int rc;

	n = stream_peek(src->in, 6, &p);
	if (n < 0) {
		rc = (int)n;
		goto fail_io;
	}
	if (n == 0)
		return SOURCE_EOF;
	if (n < 6 || memcmp(p, "FRAME", 5) != 0 || (p[5] != '\n' && p[5] != ' ')) {
		/* A file cut inside "FRAME" holds no frame; anything else
		 * means we are lost in pixel data. */
		if (n < 6 && memcmp(p, "FRAME\n", (size_t)n) == 0) {
			(void)stream_skip(src->in, (size_t)n);
			return SOURCE_EOF;
		}
		source_error(src, err, errlen, "bad Y4M frame header at byte %llu",
			     (unsigned long long)at);
		return -EPROTO;
	}
	n = peek_line(src->in, &p);
	if (n == 0) {                   /* cut inside the FRAME line */
		(void)stream_skip(src->in, LINE_MAX_BYTES);
		return SOURCE_EOF;
	}
	if (n == -EMSGSIZE) {
		source_error(src, err, errlen, "Y4M frame header at byte %llu is longer than %d bytes",
			     (unsigned long long)at, LINE_MAX_BYTES);
		return -EPROTO;
	}
	if (n < 0) {
		rc = (int)n;
		goto fail_io;
	}
	hdr = (size_t)n;
	(void)stream_skip(src->in, hdr);        /* buffered */

	if (priv->luma > slot->cap) {
		s = stream_skip(src->in, (uint64_t)priv->luma + priv->chroma);
		if (s < 0) {
			rc = (int)s;
			goto fail_io;
		}
		return SOURCE_CORRUPT;
	}
	r = stream_read(src->in, slot->data, priv->luma);
	if (r < 0) {
		rc = (int)r;
		goto fail_io;
	}
	if ((size_t)r < priv->luma)
		return SOURCE_CORRUPT;  /* truncated; EOF next */
	s = stream_skip(src->in, priv->chroma);
	if (s < 0) {
		rc = (int)s;
		goto fail_io;
	}
	/* Cut inside the chroma: a decoder would drop this frame, so it is
	 * reported corrupt even though its luma is whole. */
	if ((uint64_t)s < priv->chroma)
		return SOURCE_CORRUPT;
	slot->len = priv->luma;
	return 0;

fail_io:
	source_error(src, err, errlen, "read error: %s", strerror(-rc));
	return rc;
}

static void y4m_close(struct source *src)
{
	free(src->priv);
	src->priv = NULL;
}

const struct source_ops y4m_source_ops = {
	.kind = "y4m",
	.sniff = y4m_sniff,
	.open = y4m_open,
	.read_frame = y4m_read_frame,
	.close = y4m_close,
};
