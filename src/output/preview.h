/* The annotated picture of one camera: its latest view (camera_view_get)
 * decoded at the size nearest PREVIEW_WIDTH pixels wide, in colour, drawn
 * with the camera's roi= regions (outlined blue) and mask= regions (outlined
 * and hatched red), its lines (name, and an arrow on the side that counts as
 * in), each track's box, id and trail (confirmed solid, tentative dashed),
 * the camera's in/out counts and optionally the foreground mask, then
 * encoded as a JPEG with TurboJPEG.
 *
 * A preview is one reader's: an HTTP connection or the snapshot writer
 * each make their own, so no lock is shared but the camera's view lock
 * (held for a copy only). Its buffers grow to the largest picture seen and
 * are reused. Nothing runs in the camera's threads. */
#ifndef TURNSTILE_PREVIEW_H
#define TURNSTILE_PREVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "camera.h"
#include "coord.h"

#define PREVIEW_WIDTH 640
#define PREVIEW_TRAIL 24 /* points of each track's trail */

struct preview_opts {
	bool raw;  /* the picture only: nothing drawn */
	bool mask; /* the foreground mask tinted over it */
};

struct preview;

/* cam and cfg must outlive the preview; co may be NULL (no counts drawn).
 * Returns 0 or -ENOMEM. */
int preview_create(struct camera *cam, const struct camera_config *cfg, struct coord *co,
		   int index, struct preview **out);

/* Renders the camera's latest view, waiting up to timeout_ms for a newer
 * one than this preview last drew (the last one again if none comes, as
 * it was encoded then, unless the counts drawn on it have changed).
 * *jpeg (len bytes) stays valid until the next call. Returns 0, -EAGAIN
 * when the camera has published no picture yet, -EPROTO for a frame
 * TurboJPEG cannot read, -ENOMEM. */
int preview_render(struct preview *p, const struct preview_opts *o, int timeout_ms,
		   const uint8_t **jpeg, size_t *len);

/* How many pictures it has encoded: a view already rendered with the same
 * options and counts is handed out again, not drawn and encoded anew. */
unsigned preview_encodes(const struct preview *p);

/* The size of the last rendered picture. */
void preview_size(const struct preview *p, int *w, int *h);

/* The view last rendered (its frame index, tracks and mask), valid until
 * the next preview_render; NULL before the camera opened. */
const struct camera_view *preview_view(const struct preview *p);

void preview_destroy(struct preview *p);

#endif
