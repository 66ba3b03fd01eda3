#include "decode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

/* The largest box whose column sums fit 16 bits (257 * 255 <= 65535). */
#define BOX_MAX_COLSUM 257

struct decoder {
	tjhandle tj;
	int src_w, src_h;
	int box;       /* luma planes: box-average factor */
	uint16_t *colsum; /* luma planes: one row of column sums over box rows */
	struct gray out;
};

static int pick_jpeg_scale(int w, int h, int target_width, int *sw, int *sh)
{
	int n;
	tjscalingfactor *sf = tjGetScalingFactors(&n);
	if (!sf)
		return -EINVAL;
	int best_w = w, best_h = h;
	for (int i = 0; i < n; i++) {
		/* Only downscaling, and only factors whose output stays wide enough. */
		if (sf[i].num >= sf[i].denom)
			continue;
		int cw = TJSCALED(w, sf[i]), ch = TJSCALED(h, sf[i]);
		if (cw >= target_width && cw < best_w) {
			best_w = cw;
			best_h = ch;
		}
	}
	*sw = best_w;
	*sh = best_h;
	return 0;
}

int decoder_create(const struct source_info *info, int target_width, struct decoder **out)
{
	struct decoder *d = calloc(1, sizeof(*d));
	int rc = -ENOMEM;

	if (!d)
		return -ENOMEM;
	/* Limits before anything is sized from the frame size: the readers
	 * check too, but fuzzing handed the decoder 127x9985 directly. */
	if (info->width <= 0 || info->height <= 0 || info->width > SOURCE_MAX_DIM ||
	    info->height > SOURCE_MAX_DIM || target_width <= 0) {
		rc = -EINVAL;
		goto fail;
	}
	d->src_w = info->width;
	d->src_h = info->height;
	if (info->format == FRAME_JPEG) {
		d->tj = tjInitDecompress();
		if (!d->tj)
			goto fail;
		rc = pick_jpeg_scale(d->src_w, d->src_h, target_width, &d->out.w, &d->out.h);
		if (rc)
			goto fail;
	} else {
		d->box = d->src_w / target_width;
		if (d->box < 1)
			d->box = 1;
		d->out.w = d->src_w / d->box;
		d->out.h = d->src_h / d->box;
		d->colsum = malloc((size_t)d->out.w * d->box * sizeof(*d->colsum));
		if (!d->colsum) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	d->out.px = malloc((size_t)d->out.w * d->out.h);
	if (!d->out.px) {
		rc = -ENOMEM;
		goto fail;
	}
	*out = d;
	return 0;
fail:
	decoder_destroy(d);
	return rc;
}

static int decode_jpeg(struct decoder *d, const struct frame *f)
{
	int w, h, subsamp, colorspace;

	if (tjDecompressHeader3(d->tj, f->data, (unsigned long)f->len, &w, &h, &subsamp,
				&colorspace) != 0) {
		/* TurboJPEG 2.1's tjDecompressHeader3 returns from an error
		 * without aborting the decompressor, which stays mid-header:
		 * every later frame then fails ("two SOI markers") and one bad
		 * frame would blind the camera for good (found by fuzzing).
		 * Start afresh; only a damaged frame pays for it. Should that
		 * fail (out of memory), the old handle stays and the next
		 * damaged frame tries again: never a NULL handle. */
		tjhandle fresh = tjInitDecompress();

		if (fresh) {
			tjDestroy(d->tj);
			d->tj = fresh;
		}
		return SOURCE_CORRUPT;
	}
	if (w != d->src_w || h != d->src_h)
		return SOURCE_CORRUPT;
	/* Any error, warnings included, means the image is not whole: stop at
	 * the first warning rather than decode the rest of a frame that will be
	 * dropped, and refuse progressive JPEGs with absurd scan counts (the
	 * CPU exhaustion in libjpeg-turbo's LIMITSCANS note). */
	if (tjDecompress2(d->tj, f->data, (unsigned long)f->len, d->out.px, d->out.w, 0,
			  d->out.h, TJPF_GRAY,
			  TJFLAG_FASTDCT | TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) != 0)
		return SOURCE_CORRUPT;
	return 0;
}

/* Box average of a luma plane: the same low-pass the scaled IDCT gives, so a
 * clip counts alike whether it arrives as JPEG or as raw planes. Each output
 * row first sums its b source rows column by column in 16 bits (a straight
 * loop over bytes that the compiler vectorises 8 or 16 wide, reading each
 * source byte once), then adds b column sums per output pixel. */
static int decode_gray(struct decoder *d, const struct frame *f)
{
	const int b = d->box, sw = f->width, cols = d->out.w * b;
	const unsigned area = (unsigned)(b * b);
	uint16_t *restrict sum = d->colsum;

	if (f->width != d->src_w || f->height != d->src_h ||
	    f->len < (size_t)f->width * f->height)
		return SOURCE_CORRUPT;
	for (int y = 0; y < d->out.h; y++) {
		uint8_t *dst = d->out.px + (size_t)y * d->out.w;
		const uint8_t *row = f->data + (size_t)y * b * sw;
		if (b == 1) {
			memcpy(dst, row, (size_t)d->out.w);
			continue;
		}
		if (b > BOX_MAX_COLSUM) {
			/* Column sums would overflow 16 bits: pixel by pixel. */
			for (int x = 0; x < d->out.w; x++) {
				unsigned total = 0;
				const uint8_t *p = row + x * b;
				for (int yy = 0; yy < b; yy++, p += sw)
					for (int xx = 0; xx < b; xx++)
						total += p[xx];
				dst[x] = (uint8_t)((total + area / 2) / area);
			}
			continue;
		}
		for (int x = 0; x < cols; x++)
			sum[x] = row[x];
		for (int yy = 1; yy < b; yy++) {
			const uint8_t *restrict r = row + (size_t)yy * sw;
			for (int x = 0; x < cols; x++)
				sum[x] = (uint16_t)(sum[x] + r[x]);
		}
		for (int x = 0; x < d->out.w; x++) {
			unsigned total = 0;
			for (int xx = 0; xx < b; xx++)
				total += sum[x * b + xx];
			dst[x] = (uint8_t)((total + area / 2) / area);
		}
	}
	return 0;
}

int decoder_decode(struct decoder *d, const struct frame *f, const struct gray **out)
{
	int rc = f->format == FRAME_JPEG ? (d->tj ? decode_jpeg(d, f) : SOURCE_CORRUPT)
					  : decode_gray(d, f);
	if (rc == 0)
		*out = &d->out;
	return rc;
}

void decoder_get_size(const struct decoder *d, int *w, int *h)
{
	*w = d->out.w;
	*h = d->out.h;
}

void decoder_destroy(struct decoder *d)
{
	if (!d)
		return;
	if (d->tj)
		tjDestroy(d->tj);
	free(d->colsum);
	free(d->out.px);
	free(d);
}
