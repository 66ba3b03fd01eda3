/* Frame decoding to a reduced-size 8-bit gray image: what detection needs,
 * and no more. JPEG uses TurboJPEG's DCT scaling (the scaled IDCT does the
 * downsampling for free); a luma plane is box-averaged by an integer factor.
 * One decoder per inference thread; all buffers are allocated at create. */
#ifndef TURNSTILE_DECODE_H
#define TURNSTILE_DECODE_H

#include <stdint.h>

#include "source.h"
#include "turnstile/frame.h"
#include "turnstile/gray.h"

struct decoder;

/* Picks the smallest scale whose width is still >= target_width (or full
 * size when the source is already narrower). Returns 0 or -errno. */
int decoder_create(const struct source_info *info, int target_width, struct decoder **out);

/* Decodes f into the decoder's gray image. Returns 0, or SOURCE_CORRUPT for a
 * frame that is damaged, truncated (TurboJPEG warnings count: half an image
 * looks like motion) or not of the stream's size. */
int decoder_decode(struct decoder *d, const struct frame *f, const struct gray **out);

/* Size of the gray images this decoder produces. */
void decoder_get_size(const struct decoder *d, int *w, int *h);

void decoder_destroy(struct decoder *d);

#endif
