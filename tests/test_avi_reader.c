/* AVI reader: builds AVI files in memory from real JPEGs (TurboJPEG) and
 * reads them back through the public source API. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <turbojpeg.h>

#include "turnstile/source.h"

#define W 64
#define H 48
#define NFRAMES 6

/* ---- byte buffer ---- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *src, size_t n)
{
	if (n == 0)
		return;
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 256;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void put32(struct buf *b, uint32_t v)
{
	uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	put(b, le, 4);
}

static void put16(struct buf *b, uint16_t v)
{
	uint8_t le[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	put(b, le, 2);
}

static void put_id(struct buf *b, const char *id)
{
	put(b, id, 4);
}

static void patch32(struct buf *b, size_t at, uint32_t v)
{
	b->p[at] = (uint8_t)v;
	b->p[at + 1] = (uint8_t)(v >> 8);
	b->p[at + 2] = (uint8_t)(v >> 16);
	b->p[at + 3] = (uint8_t)(v >> 24);
}

/* Starts "RIFF"/"LIST" size type; returns where its size goes. */
static size_t open_list(struct buf *b, const char *id, const char *type)
{
	size_t at;

	put_id(b, id);
	at = b->len;
	put32(b, 0);
	put_id(b, type);
	return at;
}

static void close_list(struct buf *b, size_t at)
{
	patch32(b, at, (uint32_t)(b->len - at - 4));
}

static void put_chunk(struct buf *b, const char *id, const void *data, size_t n)
{
	static const uint8_t zero;

	put_id(b, id);
	put32(b, (uint32_t)n);
	put(b, data, n);
	if (n & 1)
		put(b, &zero, 1);
}

/* ---- test JPEGs ---- */

struct jpeg {
	uint8_t *p;
	size_t len;
};

/* A real JPEG of w x h; a COM segment of 1 or 2 bytes makes its length odd
 * or even as asked, so chunk padding gets exercised on purpose. */
static struct jpeg make_jpeg(int w, int h, int seed, bool odd)
{
	tjhandle tj = tjInitCompress();
	uint8_t *rgb = malloc((size_t)w * h * 3);
	unsigned char *out = NULL;
	unsigned long outlen = 0;
	struct jpeg j;
	int i;

	assert_non_null(tj);
	assert_non_null(rgb);
	for (i = 0; i < w * h * 3; i++)
		rgb[i] = (uint8_t)(i * 7 + seed * 31 + (i / (w * 3)) * seed);
	assert_int_equal(tjCompress2(tj, rgb, w, 0, h, TJPF_RGB, &out, &outlen, TJSAMP_420, 80, 0), 0);
	j.len = outlen + 5;
	if ((j.len & 1) != (odd ? 1u : 0u))
		j.len++;
	j.p = malloc(j.len);
	assert_non_null(j.p);
	/* SOI, COM, then the rest of the encoder's output. */
	memcpy(j.p, out, 2);
	j.p[2] = 0xFF;
	j.p[3] = 0xFE;
	j.p[4] = 0;
	j.p[5] = (uint8_t)(j.len - outlen - 2);
	memset(j.p + 6, 'c', j.len - outlen - 4);
	memcpy(j.p + j.len - outlen + 2, out + 2, outlen - 2);
	tjFree(out);
	tjDestroy(tj);
	free(rgb);
	return j;
}

/* ---- AVI builder ---- */

struct avi_opts {
	uint32_t rate, scale, usec_per_frame;
	int width, height;
	const char *handler, *compression;
	bool idx1;
	bool audio;             /* an audio stream, with a chunk after each frame */
	bool audio_first;       /* ... listed before the video stream */
	int avix_from;          /* frames from here on go into a RIFF AVIX */
	bool pipe_sizes;        /* RIFF and movi sizes left at 0xFFFFFFFF */
	size_t garbage_before;  /* garbage bytes before this frame (1-based) */
};

static const struct avi_opts defaults = {
	.rate = 25, .scale = 1, .usec_per_frame = 40000, .width = W, .height = H,
	.handler = "MJPG", .compression = "MJPG", .idx1 = true,
};

static void put_strl_video(struct buf *b, const struct avi_opts *o)
{
	size_t strl = open_list(b, "LIST", "strl");

	put_id(b, "strh");
	put32(b, 56);
	put_id(b, "vids");
	put_id(b, o->handler);
	put32(b, 0);            /* flags */
	put32(b, 0);            /* priority, language */
	put32(b, 0);            /* initial frames */
	put32(b, o->scale);
	put32(b, o->rate);
	put32(b, 0);            /* start */
	put32(b, NFRAMES);
	put32(b, 0);            /* suggested buffer size */
	put32(b, 0xFFFFFFFF);   /* quality */
	put32(b, 0);            /* sample size */
	put32(b, 0);
	put32(b, 0);            /* rcFrame */

	put_id(b, "strf");
	put32(b, 40);
	put32(b, 40);
	put32(b, (uint32_t)o->width);
	put32(b, (uint32_t)o->height);
	put16(b, 1);
	put16(b, 24);
	put_id(b, o->compression);
	put32(b, (uint32_t)o->width * (uint32_t)o->height * 3);
	put32(b, 0);
	put32(b, 0);
	put32(b, 0);
	put32(b, 0);

	/* ffmpeg reserves room for an OpenDML super index like this. */
	{
		uint8_t junk[64] = {0};

		put_chunk(b, "JUNK", junk, sizeof(junk));
	}
	close_list(b, strl);
}

static void put_strl_audio(struct buf *b)
{
	size_t strl = open_list(b, "LIST", "strl");
	uint8_t strh[56] = {0}, wfx[18] = {0};

	memcpy(strh, "auds", 4);
	put_chunk(b, "strh", strh, sizeof(strh));
	wfx[0] = 1;             /* PCM */
	put_chunk(b, "strf", wfx, sizeof(wfx));
	close_list(b, strl);
}

static void build_avi(struct buf *b, const struct avi_opts *o, const struct jpeg *f, int n)
{
	const char *vid = o->audio && o->audio_first ? "01dc" : "00dc";
	const char *aud = o->audio_first ? "00wb" : "01wb";
	uint8_t audio[301];
	size_t riff, hdrl, movi, idx_at[64];
	int i;

	memset(audio, 0x11, sizeof(audio));
	memset(b, 0, sizeof(*b));
	riff = open_list(b, "RIFF", "AVI ");
	hdrl = open_list(b, "LIST", "hdrl");
	put_id(b, "avih");
	put32(b, 56);
	put32(b, o->usec_per_frame);
	put32(b, 0);
	put32(b, 0);
	put32(b, 0x10);         /* AVIF_HASINDEX */
	put32(b, (uint32_t)n);
	put32(b, 0);
	put32(b, o->audio ? 2 : 1);
	put32(b, 0);
	put32(b, (uint32_t)o->width);
	put32(b, (uint32_t)o->height);
	put32(b, 0);
	put32(b, 0);
	put32(b, 0);
	put32(b, 0);
	if (o->audio && o->audio_first)
		put_strl_audio(b);
	put_strl_video(b, o);
	if (o->audio && !o->audio_first)
		put_strl_audio(b);
	close_list(b, hdrl);
	{
		size_t info = open_list(b, "LIST", "INFO");

		put_chunk(b, "ISFT", "test\0", 5);
		close_list(b, info);
	}
	put_chunk(b, "JUNK", "\0\0\0\0\0\0\0\0", 8);

	movi = open_list(b, "LIST", "movi");
	for (i = 0; i < n; i++) {
		if (o->avix_from > 0 && i == o->avix_from) {
			close_list(b, movi);
			if (o->idx1) {
				put_id(b, "idx1");
				put32(b, 0);    /* an empty index is still an index */
			}
			close_list(b, riff);
			riff = open_list(b, "RIFF", "AVIX");
			movi = open_list(b, "LIST", "movi");
		}
		if (o->garbage_before && (size_t)i + 1 == o->garbage_before) {
			uint8_t g[100];

			memset(g, 0xA5, sizeof(g));
			put(b, g, sizeof(g));
		}
		idx_at[i] = b->len;
		put_chunk(b, vid, f[i].p, f[i].len);
		if (o->audio)
			put_chunk(b, aud, audio, sizeof(audio));
	}
	close_list(b, movi);
	if (o->idx1 && o->avix_from == 0) {
		size_t idx = b->len;

		put_id(b, "idx1");
		put32(b, 0);
		for (i = 0; i < n; i++) {
			put_id(b, vid);
			put32(b, 0x10);
			put32(b, (uint32_t)(idx_at[i] - movi - 4));
			put32(b, (uint32_t)f[i].len);
		}
		patch32(b, idx + 4, (uint32_t)(b->len - idx - 8));
	}
	close_list(b, riff);
	if (o->pipe_sizes) {
		patch32(b, 4, 0xFFFFFFFF);
		patch32(b, movi, 0xFFFFFFFF);
	}
}

/* ---- files and reading ---- */

static char *write_temp(const void *data, size_t n, const char *suffix)
{
	char *path = malloc(64);
	int fd;

	assert_non_null(path);
	snprintf(path, 64, "/tmp/turnstile-avi-XXXXXX%s", suffix);
	fd = mkstemps(path, (int)strlen(suffix));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
	return path;
}

static void remove_temp(char *path)
{
	unlink(path);
	free(path);
}

struct reader {
	struct source *src;
	struct frame slot;
	char err[256];
};

static void reader_open(struct reader *r, const char *path, size_t cap)
{
	const struct source_info *info;

	memset(r, 0, sizeof(*r));
	assert_int_equal(source_open(path, &r->src, r->err, sizeof(r->err)), 0);
	info = source_get_info(r->src);
	r->slot.cap = cap ? cap : info->max_frame_bytes;
	r->slot.data = malloc(r->slot.cap);
	assert_non_null(r->slot.data);
}

static int reader_next(struct reader *r)
{
	return source_read_frame(r->src, &r->slot, r->err, sizeof(r->err));
}

static void reader_close(struct reader *r)
{
	source_close(r->src);
	free(r->slot.data);
}

static void expect_frame(struct reader *r, const struct jpeg *j, uint64_t index)
{
	assert_int_equal(reader_next(r), 0);
	assert_int_equal(r->slot.len, j->len);
	assert_memory_equal(r->slot.data, j->p, j->len);
	assert_int_equal(r->slot.format, FRAME_JPEG);
	assert_int_equal(r->slot.width, W);
	assert_int_equal(r->slot.height, H);
	assert_int_equal(r->slot.index, index);
}

static struct jpeg frames[NFRAMES];

static int setup(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < NFRAMES; i++)
		frames[i] = make_jpeg(W, H, i + 1, i % 2 == 0);
	return 0;
}

static int teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < NFRAMES; i++)
		free(frames[i].p);
	return 0;
}

/* Builds the AVI, writes it, reads every frame and checks them all. */
static void check_reads_all(const struct avi_opts *o)
{
	struct reader r;
	struct buf b;
	char *path;
	int i;

	build_avi(&b, o, frames, NFRAMES);
	path = write_temp(b.p, b.len, ".avi");
	reader_open(&r, path, 0);
	assert_string_equal(source_get_info(r.src)->kind, "avi");
	for (i = 0; i < NFRAMES; i++)
		expect_frame(&r, &frames[i], (uint64_t)i);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	remove_temp(path);
	free(b.p);
}

/* ---- tests ---- */

static void test_good_file_header_and_frames(void **state)
{
	const struct source_info *info;
	struct reader r;
	struct buf b;
	char *path;
	int i;

	(void)state;
	build_avi(&b, &defaults, frames, NFRAMES);
	path = write_temp(b.p, b.len, ".avi");
	reader_open(&r, path, 0);
	info = source_get_info(r.src);
	assert_string_equal(info->kind, "avi");
	assert_int_equal(info->format, FRAME_JPEG);
	assert_int_equal(info->width, W);
	assert_int_equal(info->height, H);
	assert_true(info->fps == 25.0);
	assert_false(info->live);
	assert_true(info->max_frame_bytes >= (size_t)W * H * 3);
	assert_true(info->max_frame_bytes <= SOURCE_MAX_FRAME_BYTES);
	for (i = 0; i < NFRAMES; i++) {
		expect_frame(&r, &frames[i], (uint64_t)i);
		assert_int_equal(r.slot.pts_ns, (int64_t)i * 40000000);
	}
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	remove_temp(path);
	free(b.p);
}

static void test_without_idx1(void **state)
{
	struct avi_opts o = defaults;

	(void)state;
	o.idx1 = false;
	check_reads_all(&o);
}

static void test_opendml_avix_continuation(void **state)
{
	struct avi_opts o = defaults;

	(void)state;
	o.avix_from = 3;
	check_reads_all(&o);
	o.idx1 = false;
	check_reads_all(&o);
}

static void test_odd_size_chunks_are_padded(void **state)
{
	int i, odd = 0;

	(void)state;
	for (i = 0; i < NFRAMES; i++)
		odd += (int)(frames[i].len & 1);
	assert_true(odd > 0 && odd < NFRAMES); /* both kinds present */
	check_reads_all(&defaults);
}

static void test_interleaved_audio_is_skipped(void **state)
{
	struct avi_opts o = defaults;

	(void)state;
	o.audio = true;
	check_reads_all(&o);
}

static void test_video_as_second_stream_uses_01dc(void **state)
{
	struct avi_opts o = defaults;

	(void)state;
	o.audio = true;
	o.audio_first = true;
	check_reads_all(&o);
}

static void test_unknown_container_sizes_as_ffmpeg_pipe_writes(void **state)
{
	struct avi_opts o = defaults;

	(void)state;
	o.pipe_sizes = true;
	o.idx1 = false;
	check_reads_all(&o);
}

static void test_fps_from_strh_rate_and_scale(void **state)
{
	struct avi_opts o = defaults;
	struct reader r;
	struct buf b;
	char *path;

	(void)state;
	o.rate = 25;
	o.scale = 2;
	build_avi(&b, &o, frames, NFRAMES);
	path = write_temp(b.p, b.len, ".avi");
	reader_open(&r, path, 0);
	assert_true(source_get_info(r.src)->fps == 12.5);
	expect_frame(&r, &frames[0], 0);
	expect_frame(&r, &frames[1], 1);
	assert_int_equal(r.slot.pts_ns, 80000000);
	reader_close(&r);
	remove_temp(path);
	free(b.p);
}

static void test_fps_from_avih_when_strh_has_none(void **state)
{
	struct avi_opts o = defaults;
	struct reader r;
	struct buf b;
	char *path;

	(void)state;
	o.rate = 0;
	o.scale = 0;
	o.usec_per_frame = 100000;
	build_avi(&b, &o, frames, NFRAMES);
	path = write_temp(b.p, b.len, ".avi");
	reader_open(&r, path, 0);
	assert_true(source_get_info(r.src)->fps == 10.0);
	reader_close(&r);
	remove_temp(path);
	free(b.p);
}

static void test_other_mjpeg_fourccs_accepted(void **state)
{
	struct avi_opts o = defaults;

	(void)state;
	o.handler = "\0\0\0\0";
	o.compression = "AVI1";
	check_reads_all(&o);
	o.compression = "mjpg";
	check_reads_all(&o);
}

static void test_truncated_mid_frame(void **state)
{
	struct avi_opts o = defaults;
	struct reader r;
	struct buf b;
	char *path;
	size_t cut;

	(void)state;
	o.idx1 = false;
	build_avi(&b, &o, frames, NFRAMES);
	/* Cut in the middle of the last frame's data. */
	cut = b.len - frames[NFRAMES - 1].len / 2;
	path = write_temp(b.p, cut, ".avi");
	reader_open(&r, path, 0);
	for (int i = 0; i < NFRAMES - 1; i++)
		expect_frame(&r, &frames[i], (uint64_t)i);
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	remove_temp(path);

	/* Cut inside a chunk header: no frame there, just the end. */
	cut = b.len - frames[NFRAMES - 1].len - (frames[NFRAMES - 1].len & 1) - 4;
	path = write_temp(b.p, cut, ".avi");
	reader_open(&r, path, 0);
	for (int i = 0; i < NFRAMES - 1; i++)
		expect_frame(&r, &frames[i], (uint64_t)i);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	remove_temp(path);
	free(b.p);
}

static void test_truncated_header_is_an_error(void **state)
{
	struct source *src = NULL;
	char err[256];
	struct buf b;
	char *path;

	(void)state;
	build_avi(&b, &defaults, frames, NFRAMES);
	path = write_temp(b.p, 100, ".avi");
	assert_int_equal(source_open(path, &src, err, sizeof(err)), -EPROTO);
	assert_null(src);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "AVI"));
	remove_temp(path);
	free(b.p);
}

static void test_zero_size_chunk_is_corrupt_and_keeps_its_index(void **state)
{
	struct jpeg f[3] = {frames[0], {NULL, 0}, frames[2]};
	struct reader r;
	struct buf b;
	char *path;

	(void)state;
	build_avi(&b, &defaults, f, 3);
	path = write_temp(b.p, b.len, ".avi");
	reader_open(&r, path, 0);
	expect_frame(&r, &frames[0], 0);
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	expect_frame(&r, &frames[2], 2);
	assert_int_equal(r.slot.pts_ns, 80000000);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	remove_temp(path);
	free(b.p);
}

static void test_frame_larger_than_slot_is_corrupt(void **state)
{
	/* Four times the pixels: surely more bytes than any small frame. */
	struct jpeg big = make_jpeg(W * 2, H * 2, 99, true);
	struct jpeg f[3] = {frames[0], big, frames[1]};
	size_t cap = frames[0].len > frames[1].len ? frames[0].len : frames[1].len;
	struct reader r;
	struct buf b;
	char *path;

	(void)state;
	assert_true(big.len > cap);
	build_avi(&b, &defaults, f, 3);
	path = write_temp(b.p, b.len, ".avi");
	reader_open(&r, path, cap);
	expect_frame(&r, &frames[0], 0);
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	expect_frame(&r, &frames[1], 2);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	remove_temp(path);
	free(b.p);
	free(big.p);
}

static void test_jpeg_without_eoi_is_corrupt(void **state)
{
	struct jpeg cut = {frames[1].p, frames[1].len - 2}, f[3] = {frames[0], cut, frames[2]};
	struct reader r;
	struct buf b;
	char *path;

	(void)state;
	build_avi(&b, &defaults, f, 3);
	path = write_temp(b.p, b.len, ".avi");
	reader_open(&r, path, 0);
	expect_frame(&r, &frames[0], 0);
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	expect_frame(&r, &frames[2], 2);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	remove_temp(path);
	free(b.p);
}

static void test_trailing_zero_padding_in_chunk_is_fine(void **state)
{
	struct jpeg padded;
	struct reader r;
	struct buf b;
	char *path;

	(void)state;
	padded.len = frames[0].len + 3;
	padded.p = calloc(1, padded.len);
	assert_non_null(padded.p);
	memcpy(padded.p, frames[0].p, frames[0].len);
	build_avi(&b, &defaults, &padded, 1);
	path = write_temp(b.p, b.len, ".avi");
	reader_open(&r, path, 0);
	assert_int_equal(reader_next(&r), 0);
	assert_int_equal(r.slot.len, padded.len);
	reader_close(&r);
	remove_temp(path);
	free(b.p);
	free(padded.p);
}

static void test_garbage_between_chunks_resyncs(void **state)
{
	struct avi_opts o = defaults;
	struct reader r;
	struct buf b;
	char *path;

	(void)state;
	o.garbage_before = 2;
	o.audio = true;
	build_avi(&b, &o, frames, NFRAMES);
	path = write_temp(b.p, b.len, ".avi");
	reader_open(&r, path, 0);
	expect_frame(&r, &frames[0], 0);
	/* The garbage counts once, but is no frame: numbering goes on. */
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	for (int i = 1; i < NFRAMES; i++)
		expect_frame(&r, &frames[i], (uint64_t)i);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	remove_temp(path);
	free(b.p);
}

static void test_non_mjpeg_video_is_rejected(void **state)
{
	struct avi_opts o = defaults;
	struct source *src = NULL;
	char err[256];
	struct buf b;
	char *path;

	(void)state;
	o.handler = "H264";
	o.compression = "H264";
	build_avi(&b, &o, frames, NFRAMES);
	path = write_temp(b.p, b.len, ".avi");
	assert_int_equal(source_open(path, &src, err, sizeof(err)), -EPROTO);
	assert_null(src);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "'H264', not MJPEG"));
	remove_temp(path);
	free(b.p);
}

static void test_huge_dimensions_are_rejected(void **state)
{
	struct avi_opts o = defaults;
	struct source *src = NULL;
	char err[256];
	struct buf b;
	char *path;

	(void)state;
	o.width = 100000;
	o.height = 100000;
	build_avi(&b, &o, frames, NFRAMES);
	path = write_temp(b.p, b.len, ".avi");
	assert_int_equal(source_open(path, &src, err, sizeof(err)), -EPROTO);
	assert_null(src);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "100000x100000"));
	remove_temp(path);
	free(b.p);
}

struct feeder {
	int fd;
	const uint8_t *p;
	size_t len;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	size_t off = 0;

	/* Small writes, so the reader sees partial chunks. */
	while (off < f->len) {
		size_t n = f->len - off < 777 ? f->len - off : 777;
		ssize_t w = write(f->fd, f->p + off, n);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(f->fd);
	return NULL;
}

static void test_reads_from_a_pipe(void **state)
{
	struct avi_opts o = defaults;
	struct feeder f;
	struct reader r;
	pthread_t th;
	struct buf b;
	char path[32];
	int fds[2];

	(void)state;
	o.audio = true;
	o.avix_from = 2;
	o.pipe_sizes = true;
	build_avi(&b, &o, frames, NFRAMES);
	assert_int_equal(pipe(fds), 0);
	f.fd = fds[1];
	f.p = b.p;
	f.len = b.len;
	assert_int_equal(pthread_create(&th, NULL, feed, &f), 0);
	snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
	reader_open(&r, path, 0);
	for (int i = 0; i < NFRAMES; i++)
		expect_frame(&r, &frames[i], (uint64_t)i);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	pthread_join(th, NULL);
	close(fds[0]);
	free(b.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file_header_and_frames),
		cmocka_unit_test(test_without_idx1),
		cmocka_unit_test(test_opendml_avix_continuation),
		cmocka_unit_test(test_odd_size_chunks_are_padded),
		cmocka_unit_test(test_interleaved_audio_is_skipped),
		cmocka_unit_test(test_video_as_second_stream_uses_01dc),
		cmocka_unit_test(test_unknown_container_sizes_as_ffmpeg_pipe_writes),
		cmocka_unit_test(test_fps_from_strh_rate_and_scale),
		cmocka_unit_test(test_fps_from_avih_when_strh_has_none),
		cmocka_unit_test(test_other_mjpeg_fourccs_accepted),
		cmocka_unit_test(test_truncated_mid_frame),
		cmocka_unit_test(test_truncated_header_is_an_error),
		cmocka_unit_test(test_zero_size_chunk_is_corrupt_and_keeps_its_index),
		cmocka_unit_test(test_frame_larger_than_slot_is_corrupt),
		cmocka_unit_test(test_jpeg_without_eoi_is_corrupt),
		cmocka_unit_test(test_trailing_zero_padding_in_chunk_is_fine),
		cmocka_unit_test(test_garbage_between_chunks_resyncs),
		cmocka_unit_test(test_non_mjpeg_video_is_rejected),
		cmocka_unit_test(test_huge_dimensions_are_rejected),
		cmocka_unit_test(test_reads_from_a_pipe),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
