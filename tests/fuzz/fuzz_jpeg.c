/* Fuzz target: the JPEG path a frame takes from a reader to the detector:
 * jpeg_parse_size (how the MJPEG reader sizes a stream), jpeg_check (what
 * the readers let through) and decoder_decode (TurboJPEG at a reduced DCT
 * scale, warnings treated as corrupt), on every input whose SOF is found.
 *
 * The decoder is made for the size the input's own SOF claims, as for the
 * first frame of a raw MJPEG stream, and kept while that size repeats (a
 * stream's decoder lives as long as its camera). TurboJPEG itself is the
 * system library, not instrumented: libFuzzer sees our code's coverage only,
 * but ASan still checks every buffer we hand it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "decode.h"
#include "fuzz_common.h"
#include "jpeg_util.h"

/* Production's default detect width, a tiny one and one past any frame
 * (full-size decode), chosen by the input's length. */
static const int target_widths[] = {160, 16, SOURCE_MAX_DIM};

/* A 16x16 JPEG every decoder must still decode after any input: one bad
 * frame must not spoil the frames after it. Made at the first run. */
static struct decoder *ref_dec;
static unsigned char *ref_jpeg;
static unsigned long ref_len;

static struct decoder *dec;
static int dec_w, dec_h, dec_target;
static uint8_t *slot_buf;
static size_t slot_bytes;

static void check_decoder_refuses(int w, int h)
{
	struct source_info info = {.format = FRAME_JPEG, .width = w, .height = h};
	struct decoder *d = NULL;

	/* Nothing is allocated for a size over the limit. */
	FUZZ_CHECK(decoder_create(&info, 160, &d) < 0 && d == NULL, "decoder for %dx%d", w, h);
}

static void make_reference(void)
{
	struct source_info info = {.format = FRAME_JPEG, .width = 16, .height = 16};
	unsigned char gray[16 * 16];
	tjhandle tj = tjInitCompress();

	for (int i = 0; i < 16 * 16; i++)
		gray[i] = (unsigned char)(i * 3);
	FUZZ_CHECK(tj && tjCompress2(tj, gray, 16, 0, 16, TJPF_GRAY, &ref_jpeg, &ref_len,
				     TJSAMP_GRAY, 75, 0) == 0,
		   "reference JPEG");
	tjDestroy(tj);
	FUZZ_CHECK(decoder_create(&info, 160, &ref_dec) == 0, "reference decoder");
}

/* The input as a frame of a 16x16 stream, then a good frame: whatever the
 * input did to the decoder, the good frame decodes. */
static void check_recovery(const uint8_t *data, size_t size)
{
	struct frame f = {.data = (uint8_t *)data, .cap = size, .len = size, .format = FRAME_JPEG,
			  .width = 16, .height = 16};
	const struct gray *g;
	int rc = decoder_decode(ref_dec, &f, &g);

	FUZZ_CHECK(rc == 0 || rc == SOURCE_CORRUPT, "decoder_decode rc %d", rc);
	f.data = ref_jpeg;
	f.cap = f.len = ref_len;
	rc = decoder_decode(ref_dec, &f, &g);
	FUZZ_CHECK(rc == 0, "a good frame after this input is %s",
		   rc == SOURCE_CORRUPT ? "corrupt" : "an error");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct source_info info = {.format = FRAME_JPEG};
	int target = target_widths[size % (sizeof(target_widths) / sizeof(target_widths[0]))];
	const struct gray *g = NULL;
	struct frame f;
	size_t cap;
	int w = -1, h = -1, rc, gw, gh;

	if (!ref_dec)
		make_reference();
	check_recovery(data, size);

	rc = jpeg_parse_size(data, size, &w, &h);
	FUZZ_CHECK(rc == 0 || rc == -EAGAIN || rc == -EPROTO, "jpeg_parse_size rc %d", rc);
	if (rc < 0)
		return 0;
	FUZZ_CHECK(w >= 1 && w <= 65535 && h >= 1 && h <= 65535, "size %dx%d", w, h);
	if (w > SOURCE_MAX_DIM || h > SOURCE_MAX_DIM) {
		check_decoder_refuses(w, h);
		return 0;
	}
	/* The readers pass on only frames that look whole (jpeg_check) and fit
	 * their slot, but the decoder is fed everything that fits: it must be
	 * safe on any bytes, and most mutations would not end in an EOI. */
	cap = jpeg_max_bytes(w, h);
	if (size > cap)
		return 0;
	(void)jpeg_check(data, size);

	if (!dec || w != dec_w || h != dec_h || target != dec_target) {
		decoder_destroy(dec);
		dec = NULL;
		info.width = w;
		info.height = h;
		rc = decoder_create(&info, target, &dec);
		FUZZ_CHECK(rc == 0 && dec, "decoder_create %dx%d -> %d", w, h, rc);
		dec_w = w;
		dec_h = h;
		dec_target = target;
	}
	/* The frame sits at the end of a slot-sized buffer, as in a ring. */
	if (slot_bytes < cap) {
		free(slot_buf);
		slot_bytes = cap;
		slot_buf = malloc(slot_bytes);
		FUZZ_CHECK(slot_buf != NULL, "out of memory");
	}
	f = (struct frame){.data = slot_buf + slot_bytes - size, .cap = size, .len = size,
			   .format = FRAME_JPEG, .width = w, .height = h};
	memcpy(f.data, data, size);

	rc = decoder_decode(dec, &f, &g);
	FUZZ_CHECK(rc == 0 || rc == SOURCE_CORRUPT, "decoder_decode rc %d", rc);
	if (rc == 0) {
		unsigned sum = 0;

		decoder_get_size(dec, &gw, &gh);
		FUZZ_CHECK(g && g->px && g->w == gw && g->h == gh && gw >= 1 && gh >= 1 &&
				   gw <= w && gh <= h,
			   "gray %dx%d from %dx%d", g ? g->w : -1, g ? g->h : -1, w, h);
		/* Every output pixel is readable (ASan checks the extent). */
		for (size_t i = 0; i < (size_t)gw * (size_t)gh; i++)
			sum += g->px[i];
		(void)sum;
	}
	return 0;
}
