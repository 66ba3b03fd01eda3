/* AVI 1.0 writer for one MJPEG stream (see avi_writer.h). All multi-byte
 * fields are little-endian; they are assembled byte by byte so the output
 * does not depend on the host. The header is written twice: once with
 * zero counts so frames can follow it, and again at close with the totals. */
#include "avi_writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AVIF_HASINDEX 0x00000010u
#define AVIIF_KEYFRAME 0x00000010u

/* AVI 1.0 readers use 32-bit offsets and many stop at 1 GiB (the OpenDML
 * extension exists for larger files); test clips never get near it. */
#define AVI_MAX_BYTES (1u << 30)

/* Sizes of the fixed header pieces, in bytes. */
#define AVIH_LEN 56
#define STRH_LEN 56
#define STRF_LEN 40
#define STRL_LEN (4 + 8 + STRH_LEN + 8 + STRF_LEN)
#define HDRL_LEN (4 + 8 + AVIH_LEN + 8 + STRL_LEN)
/* RIFF header (12) + LIST hdrl header (8) + hdrl body + LIST movi header (8) */
#define MOVI_LIST_POS (12 + 8 + HDRL_LEN)
#define MOVI_FOURCC_POS (MOVI_LIST_POS + 8)
#define HEADER_LEN (MOVI_FOURCC_POS + 4)

struct idx_entry {
	uint32_t offset; /* from the 'movi' fourcc to the chunk header, as idx1 wants */
	uint32_t size;   /* unpadded chunk data length */
};

struct avi_writer {
	FILE *f;
	struct avi_writer_config cfg;
	uint64_t pos;            /* bytes written so far = current file offset */
	uint32_t frames;
	uint32_t max_chunk;
	struct idx_entry *idx;
	size_t idx_cap;
	int err;                 /* first write error; sticky */
};

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
	return p + 4;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static uint8_t *put_fourcc(uint8_t *p, const char *cc)
{
	memcpy(p, cc, 4);
	return p + 4;
}

static int write_all(struct avi_writer *w, const void *buf, size_t len)
{
	if (w->err)
		return w->err;
	if (len && fwrite(buf, 1, len, w->f) != len) {
		w->err = errno ? -errno : -EIO;
		return w->err;
	}
	w->pos += len;
	return 0;
}

/* Fills the HEADER_LEN bytes from the file start up to the first chunk.
 * movi_len is the LIST movi size field (fourcc + chunks), riff_len the RIFF
 * size field (everything after it). */
static void build_header(const struct avi_writer *w, uint8_t *h, uint32_t riff_len,
			 uint32_t movi_len)
{
	const struct avi_writer_config *c = &w->cfg;
	uint32_t bufsize = w->max_chunk ? w->max_chunk + 8 : 0;
	/* dwMaxBytesPerSec is advisory: the largest frame at the nominal rate. */
	uint64_t max_bps = (uint64_t)bufsize * c->rate / c->scale;
	uint8_t *p = h;

	if (max_bps > UINT32_MAX)
		max_bps = UINT32_MAX;

	p = put_fourcc(p, "RIFF");
	p = put32(p, riff_len);
	p = put_fourcc(p, "AVI ");

	p = put_fourcc(p, "LIST");
	p = put32(p, HDRL_LEN);
	p = put_fourcc(p, "hdrl");

	p = put_fourcc(p, "avih");
	p = put32(p, AVIH_LEN);
	p = put32(p, (uint32_t)((1000000ull * c->scale + c->rate / 2) / c->rate));
	p = put32(p, (uint32_t)max_bps);
	p = put32(p, 0);                        /* dwPaddingGranularity */
	p = put32(p, c->index ? AVIF_HASINDEX : 0);
	p = put32(p, w->frames);                /* dwTotalFrames */
	p = put32(p, 0);                        /* dwInitialFrames */
	p = put32(p, 1);                        /* dwStreams */
	p = put32(p, bufsize);
	p = put32(p, (uint32_t)c->width);
	p = put32(p, (uint32_t)c->height);
	for (int i = 0; i < 4; i++)
		p = put32(p, 0);                /* dwReserved */

	p = put_fourcc(p, "LIST");
	p = put32(p, STRL_LEN);
	p = put_fourcc(p, "strl");

	p = put_fourcc(p, "strh");
	p = put32(p, STRH_LEN);
	p = put_fourcc(p, "vids");
	p = put_fourcc(p, "MJPG");
	p = put32(p, 0);                        /* dwFlags */
	p = put16(p, 0);                        /* wPriority */
	p = put16(p, 0);                        /* wLanguage */
	p = put32(p, 0);                        /* dwInitialFrames */
	p = put32(p, c->scale);
	p = put32(p, c->rate);
	p = put32(p, 0);                        /* dwStart */
	p = put32(p, w->frames);                /* dwLength, in frames */
	p = put32(p, bufsize);
	p = put32(p, UINT32_MAX);               /* dwQuality: -1 = default */
	p = put32(p, 0);                        /* dwSampleSize: 0 = variable */
	p = put16(p, 0);                        /* rcFrame left, top, right, bottom */
	p = put16(p, 0);
	p = put16(p, (uint16_t)c->width);
	p = put16(p, (uint16_t)c->height);

	p = put_fourcc(p, "strf");
	p = put32(p, STRF_LEN);
	p = put32(p, STRF_LEN);                 /* biSize */
	p = put32(p, (uint32_t)c->width);
	p = put32(p, (uint32_t)c->height);
	p = put16(p, 1);                        /* biPlanes */
	p = put16(p, 24);                       /* biBitCount */
	p = put_fourcc(p, "MJPG");              /* biCompression */
	p = put32(p, (uint32_t)c->width * (uint32_t)c->height * 3);
	p = put32(p, 0);                        /* biXPelsPerMeter */
	p = put32(p, 0);                        /* biYPelsPerMeter */
	p = put32(p, 0);                        /* biClrUsed */
	p = put32(p, 0);                        /* biClrImportant */

	p = put_fourcc(p, "LIST");
	p = put32(p, movi_len);
	p = put_fourcc(p, "movi");
}

int avi_writer_open(const struct avi_writer_config *cfg, struct avi_writer **out)
{
	uint8_t h[HEADER_LEN];
	struct avi_writer *w;
	int rc;

	*out = NULL;
	/* rcFrame holds 16-bit coordinates. */
	if (cfg->width <= 0 || cfg->height <= 0 || cfg->width > 65535 || cfg->height > 65535 ||
	    cfg->rate == 0 || cfg->scale == 0)
		return -EINVAL;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->cfg = *cfg;
	w->f = fopen(cfg->path, "wb");
	if (!w->f) {
		rc = -errno;
		goto fail;
	}
	build_header(w, h, 0, 4);
	rc = write_all(w, h, sizeof(h));
	if (rc)
		goto fail;
	*out = w;
	return 0;

fail:
	if (w->f)
		fclose(w->f);
	free(w);
	return rc;
}

int avi_writer_add_frame(struct avi_writer *w, const void *jpeg, size_t len)
{
	static const uint8_t pad;
	uint8_t ch[8];
	int rc;

	if (w->err)
		return w->err;
	/* Leave room for the chunk header, padding and the idx1 entry. */
	if (len > AVI_MAX_BYTES || w->pos + 8 + len + 1 + 16ull * (w->frames + 1) + 8 > AVI_MAX_BYTES)
		return -EFBIG;
	if (w->frames == w->idx_cap) {
		size_t cap = w->idx_cap ? w->idx_cap * 2 : 256;
		struct idx_entry *n = realloc(w->idx, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		w->idx = n;
		w->idx_cap = cap;
	}

	w->idx[w->frames].offset = (uint32_t)(w->pos - MOVI_FOURCC_POS);
	w->idx[w->frames].size = (uint32_t)len;
	put_fourcc(ch, "00dc");
	put32(ch + 4, (uint32_t)len);
	rc = write_all(w, ch, sizeof(ch));
	if (!rc)
		rc = write_all(w, jpeg, len);
	/* RIFF chunks start on even offsets; the size field keeps the odd length. */
	if (!rc && (len & 1))
		rc = write_all(w, &pad, 1);
	if (rc)
		return rc;
	w->frames++;
	if (len > w->max_chunk)
		w->max_chunk = (uint32_t)len;
	return 0;
}

static int write_index(struct avi_writer *w)
{
	uint8_t e[16];
	int rc;

	put_fourcc(e, "idx1");
	put32(e + 4, w->frames * 16u);
	rc = write_all(w, e, 8);
	for (uint32_t i = 0; !rc && i < w->frames; i++) {
		put_fourcc(e, "00dc");
		put32(e + 4, AVIIF_KEYFRAME);   /* every MJPEG frame is a keyframe */
		put32(e + 8, w->idx[i].offset);
		put32(e + 12, w->idx[i].size);
		rc = write_all(w, e, 16);
	}
	return rc;
}

int avi_writer_close(struct avi_writer *w)
{
	uint8_t h[HEADER_LEN];
	uint64_t movi_end;
	int rc;

	if (!w)
		return 0;
	movi_end = w->pos;
	rc = w->err;
	if (!rc && w->cfg.index)
		rc = write_index(w);
	if (!rc) {
		build_header(w, h, (uint32_t)(w->pos - 8), (uint32_t)(movi_end - MOVI_FOURCC_POS));
		if (fseek(w->f, 0, SEEK_SET) != 0 || fwrite(h, 1, sizeof(h), w->f) != sizeof(h))
			rc = errno ? -errno : -EIO;
	}
	if (fclose(w->f) != 0 && !rc)
		rc = -errno;
	free(w->idx);
	free(w);
	return rc;
}
