/* Hostile input, end to end through the source layer and the decoder: sizes
 * over the limits (refused before anything is sized from them), truncated
 * files, garbage between frames, a JPEG without its EOI, a JPEG without
 * Huffman tables (as UVC cameras send), empty input and standard input
 * closed in the middle of a frame. Each test states the exact outcome: the
 * error text, or the sequence of read results ("F0 C F2 E": frame 0, a
 * corrupt frame, frame 2, end of stream). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
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

#include "decode.h"
#include "jpeg_util.h"
#include "source.h"

#define W 16
#define H 16

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *src, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 256;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	if (n)
		memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void put_str(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_le32(struct buf *b, uint32_t v)
{
	uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	put(b, le, 4);
}

static void put_le16(struct buf *b, uint16_t v)
{
	uint8_t le[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	put(b, le, 2);
}

static void put_fill(struct buf *b, uint8_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(b, &v, 1);
}

/* A W x H 4:2:0 JPEG with standard Huffman tables (TurboJPEG's default). */
static struct buf make_jpeg(int seed)
{
	tjhandle tj = tjInitCompress();
	uint8_t rgb[W * H * 3];
	unsigned char *out = NULL;
	unsigned long outlen = 0;
	struct buf j = {0};

	assert_non_null(tj);
	for (int i = 0; i < W * H * 3; i++)
		rgb[i] = (uint8_t)(i * 5 + seed * 41);
	assert_int_equal(tjCompress2(tj, rgb, W, 0, H, TJPF_RGB, &out, &outlen, TJSAMP_420, 75, 0),
			 0);
	put(&j, out, outlen);
	tjFree(out);
	tjDestroy(tj);
	return j;
}

/* Offset of the first marker m (FF m) in the marker segments before SOS. */
static size_t find_marker(const struct buf *j, uint8_t m)
{
	size_t i = 2;

	while (i + 4 <= j->len) {
		assert_int_equal(j->p[i], 0xFF);
		if (j->p[i + 1] == m)
			return i;
		assert_int_not_equal(j->p[i + 1], JPEG_SOS);
		i += 2 + ((size_t)j->p[i + 2] << 8 | j->p[i + 3]);
	}
	fail_msg("marker %02x not found", m);
	return 0;
}

/* The same JPEG with its SOF claiming another size. */
static struct buf jpeg_claiming(const struct buf *j, int w, int h)
{
	struct buf c = {0};
	size_t sof = find_marker(j, 0xC0);

	put(&c, j->p, j->len);
	c.p[sof + 5] = (uint8_t)(h >> 8);
	c.p[sof + 6] = (uint8_t)h;
	c.p[sof + 7] = (uint8_t)(w >> 8);
	c.p[sof + 8] = (uint8_t)w;
	return c;
}

/* The same JPEG with every DHT segment removed, as a UVC camera sends it
 * (USB Video Class MJPEG payloads rely on the standard tables of ITU T.81
 * K.3). */
static struct buf jpeg_without_dht(const struct buf *j)
{
	struct buf c = {0};
	size_t i = 2;
	int dropped = 0;

	put(&c, j->p, 2);
	for (;;) {
		size_t seg = 2 + ((size_t)j->p[i + 2] << 8 | j->p[i + 3]);

		if (j->p[i + 1] == JPEG_SOS) {
			put(&c, j->p + i, j->len - i);
			break;
		}
		if (j->p[i + 1] == 0xC4)
			dropped++;
		else
			put(&c, j->p + i, seg);
		i += seg;
	}
	assert_true(dropped > 0);
	return c;
}

/* An MJPEG AVI as ffmpeg writes it to a pipe: RIFF and movi sizes unknown
 * (0xFFFFFFFF), one video stream of w x h whose strh asks for a buffer of
 * suggested bytes. Chunks are appended with avi_chunk. */
static void avi_header(struct buf *b, int w, int h, uint32_t suggested)
{
	put_str(b, "RIFF");
	put_le32(b, 0xFFFFFFFFu);
	put_str(b, "AVI LIST");
	put_le32(b, 4 + (8 + 56) + (8 + 4 + (8 + 56) + (8 + 40)));
	put_str(b, "hdrlavih");
	put_le32(b, 56);
	put_le32(b, 200000);                    /* 5 fps */
	put_fill(b, 0, 28);
	put_le32(b, (uint32_t)w);
	put_le32(b, (uint32_t)h);
	put_fill(b, 0, 16);
	put_str(b, "LIST");
	put_le32(b, 4 + (8 + 56) + (8 + 40));
	put_str(b, "strlstrh");
	put_le32(b, 56);
	put_str(b, "vidsMJPG");
	put_fill(b, 0, 12);
	put_le32(b, 1);                         /* scale */
	put_le32(b, 5);                         /* rate */
	put_fill(b, 0, 8);
	put_le32(b, suggested);
	put_fill(b, 0, 16);
	put_str(b, "strf");
	put_le32(b, 40);
	put_le32(b, 40);
	put_le32(b, (uint32_t)w);
	put_le32(b, (uint32_t)h);
	put_le16(b, 1);
	put_le16(b, 24);
	put_str(b, "MJPG");
	put_fill(b, 0, 20);
	put_str(b, "LIST");
	put_le32(b, 0xFFFFFFFFu);
	put_str(b, "movi");
}

/* A chunk whose header says size but which holds the n bytes at data. */
static void avi_chunk_sized(struct buf *b, const char *id, const void *data, size_t n,
			    uint32_t size)
{
	put(b, id, 4);
	put_le32(b, size);
	put(b, data, n);
	if (n & 1)
		put_fill(b, 0, 1);
}

static void avi_chunk(struct buf *b, const char *id, const struct buf *data)
{
	avi_chunk_sized(b, id, data->p, data->len, (uint32_t)data->len);
}

/* Starts b over as a W x H AVI whose first chunk is the frame j; the test
 * appends what follows it. */
static void avi_starting_with(struct buf *b, const struct buf *j)
{
	b->len = 0;
	avi_header(b, W, H, 0);
	avi_chunk(b, "00dc", j);
}

static void y4m_mono_frame(struct buf *b, int seed)
{
	put_str(b, "FRAME\n");
	for (int i = 0; i < W * H; i++) {
		uint8_t v = (uint8_t)(i + seed);

		put(b, &v, 1);
	}
}

static char *write_temp(const struct buf *b)
{
	char *path = strdup("/tmp/turnstile-hostile-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b->p, b->len), (ssize_t)b->len);
	close(fd);
	return path;
}

static void remove_temp(char *path)
{
	unlink(path);
	free(path);
}

/* Reads the whole source into slots of its own max_frame_bytes and returns
 * what happened, one token per call: "F<index>", "C" (corrupt), "E" (end)
 * or "X" (error, text in err). */
static void read_all(struct source *src, char *seq, size_t seqlen, char *err, size_t errlen)
{
	const struct source_info *info = source_get_info(src);
	struct frame slot = {.cap = info->max_frame_bytes};
	size_t used = 0;

	slot.data = malloc(slot.cap);
	assert_non_null(slot.data);
	seq[0] = '\0';
	for (int calls = 0; calls < 100; calls++) {
		int rc = source_read_frame(src, &slot, err, errlen);

		if (rc == 0)
			used += (size_t)snprintf(seq + used, seqlen - used, "%sF%llu", used ? " " : "",
						 (unsigned long long)slot.index);
		else
			used += (size_t)snprintf(seq + used, seqlen - used, "%s%s", used ? " " : "",
						 rc == SOURCE_CORRUPT ? "C" : rc == SOURCE_EOF ? "E" : "X");
		assert_true(used < seqlen);
		if (rc != 0 && rc != SOURCE_CORRUPT)
			break;
	}
	free(slot.data);
}

/* Writes b to a file, opens it and reads it all. Returns source_open's
 * result; *path_out (to remove_temp) names the file. */
static int replay_file(const struct buf *b, char **path_out, char *seq, size_t seqlen, char *err,
		       size_t errlen)
{
	struct source *src = NULL;
	int rc;

	*path_out = write_temp(b);
	seq[0] = '\0';
	rc = source_open(*path_out, &src, err, errlen);
	if (rc == 0) {
		read_all(src, seq, seqlen, err, errlen);
		source_close(src);
	}
	return rc;
}

/* The outcome of reading b from a file, which must open. */
static void expect_sequence(const struct buf *b, const char *want)
{
	char seq[256], err[512] = "";
	char *path;

	assert_int_equal(replay_file(b, &path, seq, sizeof(seq), err, sizeof(err)), 0);
	assert_string_equal(seq, want);
	remove_temp(path);
}

/* The error source_open gives for b: "'<path>': " followed by want. */
static void expect_open_error(const struct buf *b, int want_rc, const char *want)
{
	char seq[256], err[512] = "", full[640];
	char *path;

	assert_int_equal(replay_file(b, &path, seq, sizeof(seq), err, sizeof(err)), want_rc);
	snprintf(full, sizeof(full), "'%s': %s", path, want);
	assert_string_equal(err, full);
	remove_temp(path);
}

/* ---- Standard input: a pipe fed by a writer thread ---- */

struct feeder {
	int fd;
	const struct buf *b;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	size_t done = 0;

	/* In small pieces, as a camera pipe delivers. */
	while (done < f->b->len) {
		size_t n = f->b->len - done < 1000 ? f->b->len - done : 1000;
		ssize_t w = write(f->fd, f->b->p + done, n);

		if (w <= 0)
			break;
		done += (size_t)w;
	}
	close(f->fd);   /* the writer goes away: mid-frame if b ends there */
	return NULL;
}

/* Opens "-" on a pipe that receives b and then closes, and reads it all. */
static int replay_stdin(const struct buf *b, char *seq, size_t seqlen, char *err, size_t errlen)
{
	struct source *src = NULL;
	struct feeder f = {.b = b};
	pthread_t t;
	int fds[2], saved, rc;

	saved = dup(STDIN_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
	close(fds[0]);
	f.fd = fds[1];
	assert_int_equal(pthread_create(&t, NULL, feed, &f), 0);

	seq[0] = '\0';
	rc = source_open("-", &src, err, errlen);
	if (rc == 0) {
		read_all(src, seq, seqlen, err, errlen);
		source_close(src);
	}
	/* Unblock the writer if the reader gave up early. */
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	pthread_join(t, NULL);
	return rc;
}

/* ---- Sizes over the limits ---- */

static void y4m_header_claiming_100000x100000_is_refused(void **state)
{
	struct buf b = {0};

	(void)state;
	put_str(&b, "YUV4MPEG2 W100000 H100000 F25:1 C420jpeg\n");
	put_str(&b, "FRAME\n");
	put_fill(&b, 0x80, 64);
	expect_open_error(&b, -EPROTO, "Y4M frame size 100000x100000 is not within 1..8192");
	free(b.p);
}

static void avi_chunk_claiming_4gib_is_one_corrupt_frame(void **state)
{
	struct buf j = make_jpeg(1), b = {0};
	char seq[256], err[512];

	(void)state;
	/* The stream header asks for a 4 GiB buffer too: ignored. No frame is
	 * that big, so the size is taken as damaged: the reader finds the next
	 * chunk rather than skip 4 GiB (the rest of a file, hours of a pipe). */
	avi_header(&b, W, H, 0xFFFFFFFFu);
	avi_chunk(&b, "00dc", &j);
	avi_chunk_sized(&b, "00dc", j.p, j.len, 0xFFFFFFFFu);
	avi_chunk(&b, "00dc", &j);
	expect_sequence(&b, "F0 C F2 E");
	assert_int_equal(replay_stdin(&b, seq, sizeof(seq), err, sizeof(err)), 0);
	assert_string_equal(seq, "F0 C F2 E");

	/* An audio chunk claiming 4 GiB loses no video either. */
	avi_starting_with(&b, &j);
	avi_chunk_sized(&b, "01wb", "\x80\x80\x80\x80", 4, 0xFFFFFFF0u);
	avi_chunk(&b, "00dc", &j);
	expect_sequence(&b, "F0 C F1 E");

	/* Nor does a JUNK chunk claiming 4 GiB: stepping over it would lose
	 * the rest of the file, and of a pipe, without a word. */
	avi_starting_with(&b, &j);
	avi_chunk_sized(&b, "JUNK", "\0\0\0\0", 4, 0xFFFFFFF0u);
	avi_chunk(&b, "00dc", &j);
	expect_sequence(&b, "F0 C F1 E");

	/* As the last chunk, cut by the end of the file. */
	avi_starting_with(&b, &j);
	avi_chunk_sized(&b, "00dc", j.p, j.len, 0xFFFFFFFFu);
	expect_sequence(&b, "F0 C E");

	/* And the slot the camera allocates is sized from the frame size. */
	{
		char *path = write_temp(&b);
		struct source *src;

		assert_int_equal(source_open(path, &src, err, sizeof(err)), 0);
		assert_int_equal(source_get_info(src)->max_frame_bytes, jpeg_max_bytes(W, H));
		source_close(src);
		remove_temp(path);
	}
	free(b.p);
	free(j.p);
}

static void avi_header_claiming_65535x65535_is_refused(void **state)
{
	struct buf j = make_jpeg(1), b = {0};

	(void)state;
	avi_header(&b, 65535, 65535, 0);
	avi_chunk(&b, "00dc", &j);
	expect_open_error(&b, -EPROTO, "AVI frame size 65535x65535 is not within 1..8192");
	free(b.p);
	free(j.p);
}

static void mjpeg_first_frame_claiming_65535x65535_is_refused(void **state)
{
	struct buf j = make_jpeg(1), big = jpeg_claiming(&j, 65535, 65535), b = {0};

	(void)state;
	put(&b, big.p, big.len);
	put(&b, j.p, j.len);
	expect_open_error(&b, -EPROTO, "frame size 65535x65535 is over the limit of 8192");
	free(b.p);
	free(big.p);
	free(j.p);
}

/* A later frame lying about its size reaches the decoder, which checks the
 * header against the stream before TurboJPEG allocates anything. */
static void jpeg_claiming_65535x65535_mid_stream_is_a_corrupt_frame(void **state)
{
	struct buf j = make_jpeg(1), big = jpeg_claiming(&j, 65535, 65535);
	struct source_info info = {.format = FRAME_JPEG, .width = W, .height = H};
	struct decoder *d = NULL;
	const struct gray *g;
	struct frame f = {.format = FRAME_JPEG, .width = W, .height = H};

	(void)state;
	assert_int_equal(decoder_create(&info, 160, &d), 0);
	f.data = j.p;
	f.len = f.cap = j.len;
	assert_int_equal(decoder_decode(d, &f, &g), 0);
	f.data = big.p;
	f.len = f.cap = big.len;
	assert_int_equal(decoder_decode(d, &f, &g), SOURCE_CORRUPT);
	/* ... and leaves the decoder able to decode the next frame (TurboJPEG
	 * 2.1 used to stay mid-header after a header error: every later frame
	 * was corrupt). So does a frame cut inside its header. */
	f.data = j.p;
	f.len = f.cap = j.len;
	assert_int_equal(decoder_decode(d, &f, &g), 0);
	f.len = 4;
	assert_int_equal(decoder_decode(d, &f, &g), SOURCE_CORRUPT);
	f.len = j.len;
	assert_int_equal(decoder_decode(d, &f, &g), 0);
	decoder_destroy(d);

	/* A decoder for such a stream is never made. */
	info.width = info.height = 65535;
	d = NULL;
	assert_int_equal(decoder_create(&info, 160, &d), -EINVAL);
	assert_null(d);
	info.width = SOURCE_MAX_DIM + 1;
	info.height = 16;
	assert_int_equal(decoder_create(&info, 160, &d), -EINVAL);
	info.format = FRAME_GRAY;
	assert_int_equal(decoder_create(&info, 160, &d), -EINVAL);
	assert_null(d);
	free(big.p);
	free(j.p);
}

/* ---- Truncated files ---- */

static void truncated_files_end_with_one_corrupt_frame(void **state)
{
	struct buf j = make_jpeg(1), b = {0};

	(void)state;
	avi_starting_with(&b, &j);
	avi_chunk(&b, "00dc", &j);
	b.len -= j.len / 2;
	expect_sequence(&b, "F0 C E");

	b.len = 0;
	put(&b, j.p, j.len);
	put(&b, j.p, j.len / 2);
	expect_sequence(&b, "F0 C E");

	b.len = 0;
	put_str(&b, "YUV4MPEG2 W16 H16 F5:1 Cmono\n");
	y4m_mono_frame(&b, 1);
	y4m_mono_frame(&b, 2);
	b.len -= W * H / 2;
	expect_sequence(&b, "F0 C E");
	free(b.p);
	free(j.p);
}

static void files_cut_inside_the_header_say_so(void **state)
{
	struct buf j = make_jpeg(1), b = {0};

	(void)state;
	avi_header(&b, W, H, 0);
	b.len = 16;     /* before the header list */
	expect_open_error(&b, -EPROTO, "AVI ends before its first frame (no 'movi' list)");
	b.len = 0;
	avi_header(&b, W, H, 0);
	b.len = 100;    /* inside it */
	expect_open_error(&b, -EPROTO, "bad AVI header");

	b.len = 0;
	put_str(&b, "YUV4MPEG2 W16 H1");
	expect_open_error(&b, -EPROTO, "Y4M header line is cut short (no newline)");

	b.len = 0;
	put(&b, j.p, find_marker(&j, 0xC0));    /* up to the SOF */
	expect_open_error(&b, -EPROTO, "first JPEG ends before its frame size (SOF)");
	free(b.p);
	free(j.p);
}

/* ---- Garbage between frames ---- */

/* Bytes of a flaky link: markers, a stuffed FF 00 and an FF D8 that is no
 * SOI (an SOI is followed by FF). */
static const uint8_t mjpeg_garbage[] = "\x01garbage \xff\x00\xff\xd9\xff\xd8 but no SOI";

static void garbage_between_frames_is_skipped_and_counted(void **state)
{
	struct buf j = make_jpeg(1), b = {0};
	char seq[256], err[512], want[640];
	char *path;
	size_t at;

	(void)state;
	/* Raw MJPEG: the garbage is one corrupt count without a frame index. */
	put(&b, j.p, j.len);
	put(&b, mjpeg_garbage, sizeof(mjpeg_garbage) - 1);
	put(&b, j.p, j.len);
	expect_sequence(&b, "F0 C F1 E");

	/* AVI: likewise, resynchronised on the next chunk header. */
	avi_starting_with(&b, &j);
	put_str(&b, "\x01garbage between chunks 00dc 01wb");
	avi_chunk(&b, "00dc", &j);
	expect_sequence(&b, "F0 C F1 E");

	/* Y4M has no sync marker that pixel data cannot hold: the stream
	 * stops with one error naming the byte. */
	b.len = 0;
	put_str(&b, "YUV4MPEG2 W16 H16 F5:1 Cmono\n");
	y4m_mono_frame(&b, 1);
	at = b.len;
	put_str(&b, "garbage\n");
	y4m_mono_frame(&b, 2);
	assert_int_equal(replay_file(&b, &path, seq, sizeof(seq), err, sizeof(err)), 0);
	assert_string_equal(seq, "F0 X");
	snprintf(want, sizeof(want), "'%s': bad Y4M frame header at byte %zu", path, at);
	assert_string_equal(err, want);
	remove_temp(path);
	free(b.p);
	free(j.p);
}

/* ---- A JPEG missing its EOI ---- */

static void jpeg_missing_its_eoi_is_a_corrupt_frame(void **state)
{
	struct buf j = make_jpeg(1), b = {0};
	struct source_info info = {.format = FRAME_JPEG, .width = W, .height = H};
	struct frame f = {.format = FRAME_JPEG, .width = W, .height = H, .data = j.p};
	struct decoder *d;
	const struct gray *g;

	(void)state;
	/* Raw MJPEG: the next SOI ends it; it keeps its index. */
	put(&b, j.p, j.len);
	put(&b, j.p, j.len - 2);
	put(&b, j.p, j.len);
	expect_sequence(&b, "F0 C F2 E");
	/* ... also as the last frame of the file. */
	b.len -= 2;
	expect_sequence(&b, "F0 C C E");

	/* AVI: the chunk is whole, the JPEG in it is not. */
	avi_starting_with(&b, &j);
	avi_chunk_sized(&b, "00dc", j.p, j.len - 2, (uint32_t)j.len - 2);
	avi_chunk(&b, "00dc", &j);
	expect_sequence(&b, "F0 C F2 E");

	/* The decoder, handed one anyway, does not call it an image. */
	assert_int_equal(decoder_create(&info, 160, &d), 0);
	f.len = f.cap = j.len - 2;
	assert_int_equal(decoder_decode(d, &f, &g), SOURCE_CORRUPT);
	f.len = f.cap = j.len;
	assert_int_equal(decoder_decode(d, &f, &g), 0);
	decoder_destroy(d);
	free(b.p);
	free(j.p);
}

/* ---- A JPEG without Huffman tables (UVC) ---- */

static void jpeg_without_huffman_tables_decodes_with_the_standard_ones(void **state)
{
	struct buf j = make_jpeg(3), bare = jpeg_without_dht(&j), b = {0};
	struct source_info info = {.format = FRAME_JPEG, .width = W, .height = H};
	struct frame f = {.format = FRAME_JPEG, .width = W, .height = H};
	struct decoder *d;
	const struct gray *g;
	uint8_t with_tables[W * H];

	(void)state;
	assert_true(bare.len < j.len);
	/* TurboJPEG 2.1 fills in the K.3 tables itself (libjpeg-turbo's
	 * jstdhuff.c): no DHT needs inserting. The image is the same. */
	assert_int_equal(decoder_create(&info, 160, &d), 0);
	f.data = j.p;
	f.len = f.cap = j.len;
	assert_int_equal(decoder_decode(d, &f, &g), 0);
	assert_int_equal(g->w * g->h, W * H);
	memcpy(with_tables, g->px, sizeof(with_tables));
	f.data = bare.p;
	f.len = f.cap = bare.len;
	assert_int_equal(decoder_decode(d, &f, &g), 0);
	assert_memory_equal(g->px, with_tables, sizeof(with_tables));
	decoder_destroy(d);

	/* And the readers pass such frames on untouched. */
	put(&b, bare.p, bare.len);
	put(&b, bare.p, bare.len);
	expect_sequence(&b, "F0 F1 E");
	avi_starting_with(&b, &bare);
	expect_sequence(&b, "F0 E");
	free(b.p);
	free(bare.p);
	free(j.p);
}

/* ---- Empty input ---- */

static void zero_length_input_is_one_error(void **state)
{
	struct buf b = {0};
	char seq[256], err[512];

	(void)state;
	expect_open_error(&b, -ENODATA, "empty file");
	assert_int_equal(replay_stdin(&b, seq, sizeof(seq), err, sizeof(err)), -ENODATA);
	assert_string_equal(err, "'-': empty file");
}

/* ---- Standard input closed mid-frame ---- */

static void stdin_closed_mid_frame_ends_with_one_corrupt_frame(void **state)
{
	struct buf j = make_jpeg(1), b = {0};
	char seq[256], err[512];

	(void)state;
	put_str(&b, "YUV4MPEG2 W16 H16 F5:1 Cmono\n");
	y4m_mono_frame(&b, 1);
	y4m_mono_frame(&b, 2);
	b.len -= 100;
	assert_int_equal(replay_stdin(&b, seq, sizeof(seq), err, sizeof(err)), 0);
	assert_string_equal(seq, "F0 C E");

	b.len = 0;
	put(&b, j.p, j.len);
	put(&b, j.p, j.len - 100);
	assert_int_equal(replay_stdin(&b, seq, sizeof(seq), err, sizeof(err)), 0);
	assert_string_equal(seq, "F0 C E");

	avi_starting_with(&b, &j);
	avi_chunk(&b, "00dc", &j);
	b.len -= 100;
	assert_int_equal(replay_stdin(&b, seq, sizeof(seq), err, sizeof(err)), 0);
	assert_string_equal(seq, "F0 C E");

	/* Closed inside the header: one error naming standard input. */
	b.len = 0;
	put_str(&b, "YUV4MPEG2 W16");
	assert_int_equal(replay_stdin(&b, seq, sizeof(seq), err, sizeof(err)), -EPROTO);
	assert_string_equal(err, "'-': Y4M header line is cut short (no newline)");
	free(b.p);
	free(j.p);
}

/* ---- Frame rates that make no sense ---- */

static void nonsense_frame_rates_are_unknown(void **state)
{
	struct buf b = {0};
	struct source *src;
	char err[512];
	char *path;

	(void)state;
	put_str(&b, "YUV4MPEG2 W16 H16 F1:999999999 Cmono\n");
	y4m_mono_frame(&b, 1);
	path = write_temp(&b);
	assert_int_equal(source_open(path, &src, err, sizeof(err)), 0);
	assert_true(source_get_info(src)->fps == 0);
	source_close(src);
	remove_temp(path);

	b.len = 0;
	put_str(&b, "YUV4MPEG2 W16 H16 F999999999:1 Cmono\n");
	y4m_mono_frame(&b, 1);
	path = write_temp(&b);
	assert_int_equal(source_open(path, &src, err, sizeof(err)), 0);
	assert_true(source_get_info(src)->fps == 0);
	source_close(src);
	remove_temp(path);
	free(b.p);
}

int main(void)
{
	/* A writer whose reader gave up must see EPIPE, not die. */
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(y4m_header_claiming_100000x100000_is_refused),
		cmocka_unit_test(avi_chunk_claiming_4gib_is_one_corrupt_frame),
		cmocka_unit_test(avi_header_claiming_65535x65535_is_refused),
		cmocka_unit_test(mjpeg_first_frame_claiming_65535x65535_is_refused),
		cmocka_unit_test(jpeg_claiming_65535x65535_mid_stream_is_a_corrupt_frame),
		cmocka_unit_test(truncated_files_end_with_one_corrupt_frame),
		cmocka_unit_test(files_cut_inside_the_header_say_so),
		cmocka_unit_test(garbage_between_frames_is_skipped_and_counted),
		cmocka_unit_test(jpeg_missing_its_eoi_is_a_corrupt_frame),
		cmocka_unit_test(jpeg_without_huffman_tables_decodes_with_the_standard_ones),
		cmocka_unit_test(zero_length_input_is_one_error),
		cmocka_unit_test(stdin_closed_mid_frame_ends_with_one_corrupt_frame),
		cmocka_unit_test(nonsense_frame_rates_are_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
