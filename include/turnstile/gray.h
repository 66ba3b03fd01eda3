/* A reduced-size 8-bit gray image: what the decoder produces and detection
 * reads. The pixels belong to whoever made the image (the decoder). */
#ifndef TURNSTILE_GRAY_H
#define TURNSTILE_GRAY_H

#include <stdint.h>

struct gray {
	uint8_t *px; /* w * h bytes, stride w */
	int w, h;
};

#endif
