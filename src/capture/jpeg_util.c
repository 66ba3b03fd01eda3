/* See jpeg_util.h. */
#include "jpeg_util.h"

#include <errno.h>

#include "source.h"

bool jpeg_check(const uint8_t *p, size_t len)
{
	size_t end = len;

	if (len < 4 || p[0] != 0xFF || p[1] != JPEG_SOI)
		return false;
	while (end > 4 && p[end - 1] == 0)
		end--;
	return p[end - 2] == 0xFF && p[end - 1] == JPEG_EOI;
}

/* SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
static bool is_sof(uint8_t m)
{
	return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

int jpeg_parse_size(const uint8_t *p, size_t len, int *width, int *height)
{
	size_t i = 2;

	if (len < 2)
		return -EAGAIN;
	if (p[0] != 0xFF || p[1] != JPEG_SOI)
		return -EPROTO;
	for (;;) {
		uint8_t m;
		size_t seglen;

		if (i + 2 > len)
			return -EAGAIN;
		if (p[i] != 0xFF)
			return -EPROTO;
		m = p[i + 1];
		if (m == 0xFF) {        /* fill byte before a marker */
			i++;
			continue;
		}
		if (m == JPEG_SOI || m == JPEG_EOI || m == JPEG_SOS)
			return -EPROTO; /* no SOF before the image data */
		if (jpeg_marker_is_standalone(m)) {
			i += 2;
			continue;
		}
		if (i + 4 > len)
			return -EAGAIN;
		seglen = (size_t)p[i + 2] << 8 | p[i + 3];
		if (seglen < 2)
			return -EPROTO;
		if (is_sof(m)) {
			/* length(2) precision(1) height(2) width(2) */
			if (seglen < 7)
				return -EPROTO;
			if (i + 9 > len)
				return -EAGAIN;
			*height = p[i + 5] << 8 | p[i + 6];
			*width = p[i + 7] << 8 | p[i + 8];
			/* Height 0 means "see DNL", which nobody writes. */
			return *width > 0 && *height > 0 ? 0 : -EPROTO;
		}
		i += 2 + seglen;
	}
}

size_t jpeg_max_bytes(int width, int height)
{
	uint64_t n = (uint64_t)width * (uint64_t)height * 3 + 65536;

	return n < SOURCE_MAX_FRAME_BYTES ? (size_t)n : SOURCE_MAX_FRAME_BYTES;
}
