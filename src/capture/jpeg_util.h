/* JPEG marker helpers for the file sources: just enough of ITU T.81 to
 * split, size and sanity-check a frame without decoding it. Pure functions,
 * safe from any thread. */
#ifndef TURNSTILE_JPEG_UTIL_H
#define TURNSTILE_JPEG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JPEG_SOI 0xD8
#define JPEG_EOI 0xD9
#define JPEG_SOS 0xDA

/* Markers that stand alone, without a length field: RST0-7, SOI, EOI, TEM. */
static inline bool jpeg_marker_is_standalone(uint8_t m)
{
	return (m >= 0xD0 && m <= 0xD9) || m == 0x01;
}

/* True when p looks like one whole JPEG: SOI first and EOI last, trailing
 * zero bytes allowed (AVI writers pad chunks). It does not decode. */
bool jpeg_check(const uint8_t *p, size_t len);

/* Reads the frame size from the SOF marker, walking marker segments from
 * the SOI. Returns 0, -EAGAIN when p ends before the SOF (give it more
 * bytes), or -EPROTO when the markers are malformed or the size is 0. */
int jpeg_parse_size(const uint8_t *p, size_t len, int *width, int *height);

/* A slot size that holds any JPEG of width x height: quality 100 at 4:4:4
 * can exceed 2 bytes per pixel, so allow 3 plus room for the headers,
 * capped at SOURCE_MAX_FRAME_BYTES. */
size_t jpeg_max_bytes(int width, int height);

#endif
