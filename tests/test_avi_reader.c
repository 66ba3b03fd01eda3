/* AVI reader: builds AVI files in memory from real JPEGs (TurboJPEG) and
 * reads them back through the public source API. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "source.h"

#define W 64
#define H 48
#define NFRAMES 6

/* ---- RIFF writing ---- */

static void put16(struct buf *b, uint16_t v)
{
	uint8_t le[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	buf_put(b, le, 2);
}

static void put_id(struct buf *b, const char *id)
{
	buf_put(b, id, 4);
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
	buf_put_le32(b, 0);
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
	buf_put_le32(b, (uint32_t)n);
	buf_put(b, data, n);
	if (n & 1)
		buf_put(b, &zero, 1);
}

/* ---- test JPEGs ---- */

/* A real JPEG of w x h with a COM segment of 1 or 2 bytes after the SOI that
 * makes its length odd or even as asked, so chunk padding gets exercised on
 * purpose. */
static struct jpeg make_frame(int w, int h, int seed, bool odd)
{
	struct jpeg in = make_jpeg(w, h, seed, 0), j;

	j.len = in.len + 5;
	if ((j.len & 1) != (odd ? 1u : 0u))
		j.len++;
	j.p = malloc(j.len);
	assert_non_null(j.p);
	/* SOI, COM, then the rest of the encoder's output. */
	memcpy(j.p, in.p, 2);
	j.p[2] = 0xFF;
	j.p[3] = 0xFE;
	j.p[4] = 0;
	j.p[5] = (uint8_t)(j.len - in.len - 2);
	memset(j.p + 6, 'c', j.len - in.len - 4);
	memcpy(j.p + j.len - in.len + 2, in.p + 2, in.len - 2);
	free(in.p);
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
	buf_put_le32(b, 56);
	put_id(b, "vids");
	put_id(b, o->handler);
	buf_put_le32(b, 0);            /* flags */
	buf_put_le32(b, 0);            /* priority, language */
	buf_put_le32(b, 0);            /* initial frames */
	buf_put_le32(b, o->scale);
	buf_put_le32(b, o->rate);
	buf_put_le32(b, 0);            /* start */
	buf_put_le32(b, NFRAMES);
	buf_put_le32(b, 0);            /* suggested buffer size */
	buf_put_le32(b, 0xFFFFFFFF);   /* quality */
	buf_put_le32(b, 0);            /* sample size */
	buf_put_le32(b, 0);
	buf_put_le32(b, 0);            /* rcFrame */

	put_id(b, "strf");
	buf_put_le32(b, 40);
	buf_put_le32(b, 40);
	buf_put_le32(b, (uint32_t)o->width);
	buf_put_le32(b, (uint32_t)o->height);
	put16(b, 1);
	put16(b, 24);
	put_id(b, o->compression);
	buf_put_le32(b, (uint32_t)o->width * (uint32_t)o->height * 3);
	buf_put_le32(b, 0);
	buf_put_le32(b, 0);
	buf_put_le32(b, 0);
	buf_put_le32(b, 0);

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
	buf_put_le32(b, 56);
	buf_put_le32(b, o->usec_per_frame);
	buf_put_le32(b, 0);
	buf_put_le32(b, 0);
	buf_put_le32(b, 0x10);         /* AVIF_HASINDEX */
	buf_put_le32(b, (uint32_t)n);
	buf_put_le32(b, 0);
	buf_put_le32(b, o->audio ? 2 : 1);
	buf_put_le32(b, 0);
	buf_put_le32(b, (uint32_t)o->width);
	buf_put_le32(b, (uint32_t)o->height);
	buf_put_le32(b, 0);
	buf_put_le32(b, 0);
	buf_put_le32(b, 0);
	buf_put_le32(b, 0);
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
				buf_put_le32(b, 0);    /* an empty index is still an index */
			}
			close_list(b, riff);
			riff = open_list(b, "RIFF", "AVIX");
			movi = open_list(b, "LIST", "movi");
		}
		if (o->garbage_before && (size_t)i + 1 == o->garbage_before) {
			uint8_t g[100];

			memset(g, 0xA5, sizeof(g));
			buf_put(b, g, sizeof(g));
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
		buf_put_le32(b, 0);
		for (i = 0; i < n; i++) {
			put_id(b, vid);
			buf_put_le32(b, 0x10);
			buf_put_le32(b, (uint32_t)(idx_at[i] - movi - 4));
			buf_put_le32(b, (uint32_t)f[i].len);
		}
		patch32(b, idx + 4, (uint32_t)(b->len - idx - 8));
	}
	close_list(b, riff);
	if (o->pipe_sizes) {
		patch32(b, 4, 0xFFFFFFFF);
		patch32(b, movi, 0xFFFFFFFF);
	}
}

/* ---- reading ---- */

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
		frames[i] = make_frame(W, H, i + 1, i % 2 == 0);
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
	int i;

	build_avi(&b, o, frames, NFRAMES);
	reader_open_bytes(&r, b.p, b.len, 0);
	assert_string_equal(source_get_info(r.src)->kind, "avi");
	for (i = 0; i < NFRAMES; i++)
		expect_frame(&r, &frames[i], (uint64_t)i);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);
}

/* ---- tests ---- */

static void test_good_file_header_and_frames(void **state)
{
	const struct source_info *info;
	struct reader r;
	struct buf b;
	int i;

	(void)state;
	build_avi(&b, &defaults, frames, NFRAMES);
	reader_open_bytes(&r, b.p, b.len, 0);
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

	(void)state;
	o.rate = 25;
	o.scale = 2;
	build_avi(&b, &o, frames, NFRAMES);
	reader_open_bytes(&r, b.p, b.len, 0);
	assert_true(source_get_info(r.src)->fps == 12.5);
	expect_frame(&r, &frames[0], 0);
	expect_frame(&r, &frames[1], 1);
	assert_int_equal(r.slot.pts_ns, 80000000);
	reader_close(&r);
	free(b.p);
}

static void test_fps_from_avih_when_strh_has_none(void **state)
{
	struct avi_opts o = defaults;
	struct reader r;
	struct buf b;

	(void)state;
	o.rate = 0;
	o.scale = 0;
	o.usec_per_frame = 100000;
	build_avi(&b, &o, frames, NFRAMES);
	reader_open_bytes(&r, b.p, b.len, 0);
	assert_true(source_get_info(r.src)->fps == 10.0);
	reader_close(&r);
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
	size_t cut;

	(void)state;
	o.idx1 = false;
	build_avi(&b, &o, frames, NFRAMES);
	/* Cut in the middle of the last frame's data. */
	cut = b.len - frames[NFRAMES - 1].len / 2;
	reader_open_bytes(&r, b.p, cut, 0);
	for (int i = 0; i < NFRAMES - 1; i++)
		expect_frame(&r, &frames[i], (uint64_t)i);
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);

	/* Cut inside a chunk header: no frame there, just the end. */
	cut = b.len - frames[NFRAMES - 1].len - (frames[NFRAMES - 1].len & 1) - 4;
	reader_open_bytes(&r, b.p, cut, 0);
	for (int i = 0; i < NFRAMES - 1; i++)
		expect_frame(&r, &frames[i], (uint64_t)i);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);
}

static void test_truncated_header_is_an_error(void **state)
{
	struct buf b;

	(void)state;
	build_avi(&b, &defaults, frames, NFRAMES);
	expect_open_fails(b.p, 100, -EPROTO, "AVI");
	free(b.p);
}

static void test_zero_size_chunk_is_corrupt_and_keeps_its_index(void **state)
{
	struct jpeg f[3] = {frames[0], {NULL, 0}, frames[2]};
	struct reader r;
	struct buf b;

	(void)state;
	build_avi(&b, &defaults, f, 3);
	reader_open_bytes(&r, b.p, b.len, 0);
	expect_frame(&r, &frames[0], 0);
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	expect_frame(&r, &frames[2], 2);
	assert_int_equal(r.slot.pts_ns, 80000000);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);
}

static void test_frame_larger_than_slot_is_corrupt(void **state)
{
	/* Four times the pixels: surely more bytes than any small frame. */
	struct jpeg big = make_frame(W * 2, H * 2, 99, true);
	struct jpeg f[3] = {frames[0], big, frames[1]};
	size_t cap = frames[0].len > frames[1].len ? frames[0].len : frames[1].len;
	struct reader r;
	struct buf b;

	(void)state;
	assert_true(big.len > cap);
	build_avi(&b, &defaults, f, 3);
	reader_open_bytes(&r, b.p, b.len, cap);
	expect_frame(&r, &frames[0], 0);
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	expect_frame(&r, &frames[1], 2);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);
	free(big.p);
}

static void test_jpeg_without_eoi_is_corrupt(void **state)
{
	struct jpeg cut = {frames[1].p, frames[1].len - 2}, f[3] = {frames[0], cut, frames[2]};
	struct reader r;
	struct buf b;

	(void)state;
	build_avi(&b, &defaults, f, 3);
	reader_open_bytes(&r, b.p, b.len, 0);
	expect_frame(&r, &frames[0], 0);
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	expect_frame(&r, &frames[2], 2);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);
}

static void test_trailing_zero_padding_in_chunk_is_fine(void **state)
{
	struct jpeg padded;
	struct reader r;
	struct buf b;

	(void)state;
	padded.len = frames[0].len + 3;
	padded.p = calloc(1, padded.len);
	assert_non_null(padded.p);
	memcpy(padded.p, frames[0].p, frames[0].len);
	build_avi(&b, &defaults, &padded, 1);
	reader_open_bytes(&r, b.p, b.len, 0);
	assert_int_equal(reader_next(&r), 0);
	assert_int_equal(r.slot.len, padded.len);
	reader_close(&r);
	free(b.p);
	free(padded.p);
}

static void test_garbage_between_chunks_resyncs(void **state)
{
	struct avi_opts o = defaults;
	struct reader r;
	struct buf b;

	(void)state;
	o.garbage_before = 2;
	o.audio = true;
	build_avi(&b, &o, frames, NFRAMES);
	reader_open_bytes(&r, b.p, b.len, 0);
	expect_frame(&r, &frames[0], 0);
	/* The garbage counts once, but is no frame: numbering goes on. */
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	for (int i = 1; i < NFRAMES; i++)
		expect_frame(&r, &frames[i], (uint64_t)i);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);
}

static void test_non_mjpeg_video_is_rejected(void **state)
{
	struct avi_opts o = defaults;
	struct buf b;

	(void)state;
	o.handler = "H264";
	o.compression = "H264";
	build_avi(&b, &o, frames, NFRAMES);
	expect_open_fails(b.p, b.len, -EPROTO, "'H264', not MJPEG");
	free(b.p);
}

static void test_huge_dimensions_are_rejected(void **state)
{
	struct avi_opts o = defaults;
	struct buf b;

	(void)state;
	o.width = 100000;
	o.height = 100000;
	build_avi(&b, &o, frames, NFRAMES);
	expect_open_fails(b.p, b.len, -EPROTO, "100000x100000");
	free(b.p);
}

static void test_reads_from_a_pipe(void **state)
{
	struct avi_opts o = defaults;
	struct feeder f;
	struct reader r;
	struct buf b;

	(void)state;
	o.audio = true;
	o.avix_from = 2;
	o.pipe_sizes = true;
	build_avi(&b, &o, frames, NFRAMES);
	/* Small writes, so the reader sees partial chunks. */
	feeder_start(&f, b.p, b.len, 777);
	reader_open(&r, f.path, 0);
	for (int i = 0; i < NFRAMES; i++)
		expect_frame(&r, &frames[i], (uint64_t)i);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	feeder_join(&f);
	close(f.fd);
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
