/* Annotated previews; preview.h. */
#include "preview.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "draw.h"
#include "line.h"
#include "region.h"

#define JPEG_QUALITY 80

struct trail {
	uint32_t id;
	int n, next;
	float x[PREVIEW_TRAIL], y[PREVIEW_TRAIL];
};

struct preview {
	struct camera *cam;
	const struct camera_config *cfg;
	struct coord *co;
	int index;
	struct camera_view *view;
	tjhandle dec, enc;
	uint8_t *rgb;           /* w * h * 3 */
	size_t rgb_cap;
	int w, h;
	unsigned char *jpeg;    /* TurboJPEG's buffer, grown by tjCompress2 */
	unsigned long jpeg_size;
	struct trail trails[TRACKER_MAX_TRACKS]; /* by the tracker's slot */
	uint64_t trails_seq;
	/* What the JPEG in jpeg shows, so the same view is not drawn and
	 * encoded again (a client watching a finished camera, or one whose
	 * frames come slower than preview_fps). */
	bool drawn;
	uint64_t drawn_seq, drawn_in, drawn_out;
	struct preview_opts drawn_opts;
	unsigned encodes;
};

static const struct rgb LINE_COLOUR = {255, 220, 0}, IN_COLOUR = {0, 230, 80},
			TRACK_COLOUR = {0, 200, 255}, TENTATIVE_COLOUR = {255, 140, 0},
			TEXT_COLOUR = {255, 255, 255}, MASK_COLOUR = {255, 0, 200},
			ROI_COLOUR = {40, 90, 255}, MASKED_COLOUR = {255, 30, 30};

#define REGION_THICK 3 /* outlines: as thick as the line, so they survive JPEG's 4:2:0 */
#define HATCH_STEP 12  /* masked regions: a diagonal stroke every 12 pixels ... */
#define HATCH_THICK 2  /* ... 2 pixels wide */

int preview_create(struct camera *cam, const struct camera_config *cfg, struct coord *co,
		   int index, struct preview **out)
{
	struct preview *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->cam = cam;
	p->cfg = cfg;
	p->co = co;
	p->index = index;
	p->view = camera_view_alloc(cam);
	p->dec = tjInitDecompress();
	p->enc = tjInitCompress();
	if (!p->dec || !p->enc) {
		preview_destroy(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

void preview_destroy(struct preview *p)
{
	if (!p)
		return;
	camera_view_free(p->view);
	if (p->dec)
		tjDestroy(p->dec);
	if (p->enc)
		tjDestroy(p->enc);
	free(p->rgb);
	tjFree(p->jpeg);
	free(p);
}

void preview_size(const struct preview *p, int *w, int *h)
{
	*w = p->w;
	*h = p->h;
}

const struct camera_view *preview_view(const struct preview *p)
{
	return p->view;
}

static int ensure_rgb(struct preview *p, int w, int h)
{
	size_t need = (size_t)w * (size_t)h * 3;
	if (need > p->rgb_cap) {
		uint8_t *n = realloc(p->rgb, need);
		if (!n)
			return -ENOMEM;
		p->rgb = n;
		p->rgb_cap = need;
	}
	p->w = w;
	p->h = h;
	return 0;
}

/* A JPEG at TurboJPEG's DCT scale nearest PREVIEW_WIDTH. A frame with a
 * warning still makes a picture worth showing. */
static int decode_jpeg(struct preview *p)
{
	const struct camera_view *v = p->view;
	int w, h, subsamp, cs, n;

	if (tjDecompressHeader3(p->dec, v->data, (unsigned long)v->len, &w, &h, &subsamp, &cs) < 0)
		return -EPROTO;
	tjscalingfactor *sf = tjGetScalingFactors(&n), best = {1, 1};
	int best_d = abs(w - PREVIEW_WIDTH);
	for (int i = 0; sf && i < n; i++) {
		int d = abs(TJSCALED(w, sf[i]) - PREVIEW_WIDTH);
		if (d < best_d) {
			best_d = d;
			best = sf[i];
		}
	}
	int rc = ensure_rgb(p, TJSCALED(w, best), TJSCALED(h, best));
	if (rc)
		return rc;
	if (tjDecompress2(p->dec, v->data, (unsigned long)v->len, p->rgb, p->w, 0, p->h, TJPF_RGB,
			  0) < 0 &&
	    tjGetErrorCode(p->dec) != TJERR_WARNING)
		return -EPROTO;
	return 0;
}

/* A luma plane scaled by a whole factor (up or down) nearest PREVIEW_WIDTH. */
static int decode_gray(struct preview *p)
{
	const struct camera_view *v = p->view;
	int up = 1, down = 1;

	if (v->width <= 0 || v->height <= 0 || (size_t)v->width * (size_t)v->height > v->len)
		return -EPROTO;
	if (v->width < PREVIEW_WIDTH)
		up = (PREVIEW_WIDTH + v->width / 2) / v->width;
	else
		down = (v->width + PREVIEW_WIDTH / 2) / PREVIEW_WIDTH;
	int rc = ensure_rgb(p, v->width * up / down, v->height * up / down);
	if (rc)
		return rc;
	for (int y = 0; y < p->h; y++) {
		const uint8_t *row = v->data + (size_t)(y * down / up) * (size_t)v->width;
		uint8_t *o = p->rgb + (size_t)y * (size_t)p->w * 3;
		for (int x = 0; x < p->w; x++, o += 3)
			o[0] = o[1] = o[2] = row[x * down / up];
	}
	return 0;
}

static void update_trails(struct preview *p)
{
	if (p->view->seq == p->trails_seq)
		return;
	p->trails_seq = p->view->seq;
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		const struct track *t = &p->view->tracks[i];
		struct trail *tr = &p->trails[i];
		if (t->id != tr->id)
			*tr = (struct trail){.id = t->id};
		if (!t->id)
			continue;
		tr->x[tr->next] = t->x;
		tr->y[tr->next] = t->y;
		tr->next = (tr->next + 1) % PREVIEW_TRAIL;
		if (tr->n < PREVIEW_TRAIL)
			tr->n++;
	}
}

/* The line, its name at A, and an arrow from its middle into the "in" side
 * (line.h: the right-hand side walking from A to B). */
static void draw_count_line(struct rgb_image *im, const struct line_config *lc, int scale)
{
	const struct line *l = &lc->line;
	float ax = l->ax * (float)im->w, ay = l->ay * (float)im->h;
	float bx = l->bx * (float)im->w, by = l->by * (float)im->h;
	float dx = bx - ax, dy = by - ay, len = sqrtf(dx * dx + dy * dy);

	draw_line(im, (int)ax, (int)ay, (int)bx, (int)by, 3, LINE_COLOUR);
	if (len < 1)
		return;
	float nx = -dy / len, ny = dx / len, tx = dx / len, ty = dy / len;
	float mx = (ax + bx) / 2, my = (ay + by) / 2;
	/* Which normal is "in" is line_side's to say: ask it, in its units. */
	if (line_side(l, (mx + nx * 10) / (float)im->w, (my + ny * 10) / (float)im->h) < 0) {
		nx = -nx;
		ny = -ny;
	}
	float s = (float)scale;
	int tri[6] = {
		(int)(mx + nx * 30 * s), (int)(my + ny * 30 * s),
		(int)(mx + nx * 8 * s + tx * 9 * s), (int)(my + ny * 8 * s + ty * 9 * s),
		(int)(mx + nx * 8 * s - tx * 9 * s), (int)(my + ny * 8 * s - ty * 9 * s),
	};
	draw_line(im, (int)mx, (int)my, (int)(mx + nx * 10 * s), (int)(my + ny * 10 * s), 3,
		  IN_COLOUR);
	draw_triangle(im, tri, IN_COLOUR);
	draw_text(im, (int)(mx + nx * 34 * s) - 4 * scale, (int)(my + ny * 34 * s) - 3 * scale,
		  scale, "in", IN_COLOUR);
	int lx = (int)(ax + tx * 6 + nx * 0) + (ax > im->w / 2 ? -60 : 4);
	int ly = (int)(ay + ty * 6) + (ay > im->h / 2 ? -14 * scale : 6);
	draw_text(im, lx < 2 ? 2 : lx, ly < 2 ? 2 : ly, scale, lc->name, LINE_COLOUR);
}

static void draw_tracks(struct preview *p, struct rgb_image *im, int scale)
{
	char label[16];

	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		const struct track *t = &p->view->tracks[i];
		const struct trail *tr = &p->trails[i];
		if (!t->id)
			continue;
		struct rgb c = t->confirmed ? TRACK_COLOUR : TENTATIVE_COLOUR;
		for (int k = 1; k < tr->n; k++) {
			int a = (tr->next - tr->n + k - 1 + 2 * PREVIEW_TRAIL) % PREVIEW_TRAIL;
			int b = (a + 1) % PREVIEW_TRAIL;
			draw_line(im, (int)(tr->x[a] * (float)im->w), (int)(tr->y[a] * (float)im->h),
				  (int)(tr->x[b] * (float)im->w), (int)(tr->y[b] * (float)im->h), 2, c);
		}
		int x0 = (int)((t->x - t->w / 2) * (float)im->w), y0 = (int)((t->y - t->h / 2) * (float)im->h);
		int x1 = (int)((t->x + t->w / 2) * (float)im->w), y1 = (int)((t->y + t->h / 2) * (float)im->h);
		draw_rect(im, x0, y0, x1, y1, 2, !t->confirmed, c); /* 1 pixel dashed does not survive JPEG */
		snprintf(label, sizeof(label), "%u", (unsigned)t->id);
		int ly = y0 - 6 * scale < 2 ? y0 + 2 : y0 - 6 * scale;
		draw_text(im, x0 < 2 ? 2 : x0 + 2, ly < 2 ? 2 : ly, scale, label, c);
	}
}

static void draw_outline(struct rgb_image *im, const struct polygon *pg, struct rgb c)
{
	for (int i = 0, j = pg->n - 1; i < pg->n; j = i++)
		draw_line(im, (int)(pg->x[j] * (float)im->w), (int)(pg->y[j] * (float)im->h),
			  (int)(pg->x[i] * (float)im->w), (int)(pg->y[i] * (float)im->h),
			  REGION_THICK, c);
}

/* Diagonal strokes over the pixels whose centres are inside pg: only the
 * stroke pixels are tested, within the polygon's bounding box. */
static void draw_hatch(struct rgb_image *im, const struct polygon *pg, struct rgb c)
{
	float x0 = 1, y0 = 1, x1 = 0, y1 = 0;

	for (int i = 0; i < pg->n; i++) {
		x0 = fminf(x0, pg->x[i]);
		x1 = fmaxf(x1, pg->x[i]);
		y0 = fminf(y0, pg->y[i]);
		y1 = fmaxf(y1, pg->y[i]);
	}
	int px0 = (int)(x0 * (float)im->w), px1 = (int)(x1 * (float)im->w);
	int py0 = (int)(y0 * (float)im->h), py1 = (int)(y1 * (float)im->h);
	px1 = px1 >= im->w ? im->w - 1 : px1;
	py1 = py1 >= im->h ? im->h - 1 : py1;
	for (int y = py0; y <= py1; y++)
		for (int x = px0; x <= px1; x++) {
			if ((x + y) % HATCH_STEP >= HATCH_THICK)
				continue;
			float fx = ((float)x + 0.5f) / (float)im->w, fy = ((float)y + 0.5f) / (float)im->h;
			if (polygon_contains(pg, fx, fy)) {
				uint8_t *px = im->px + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
				px[0] = c.r;
				px[1] = c.g;
				px[2] = c.b;
			}
		}
}

/* roi= polygons outlined in blue (where motion may count); mask= polygons
 * outlined and hatched in red (where it is ignored). */
static void draw_regions(struct rgb_image *im, const struct regions *r)
{
	for (int k = 0; k < r->nroi; k++)
		draw_outline(im, &r->roi[k], ROI_COLOUR);
	for (int k = 0; k < r->nmask; k++) {
		draw_hatch(im, &r->mask[k], MASKED_COLOUR);
		draw_outline(im, &r->mask[k], MASKED_COLOUR);
	}
}

static void annotate(struct preview *p, const struct preview_opts *o)
{
	struct rgb_image im = {p->rgb, p->w, p->h};
	int scale = p->w >= 480 ? 2 : 1;
	char text[CONFIG_NAME_MAX + 64];

	if (o->mask)
		draw_tint(&im, p->view->mask, p->view->mask_w, p->view->mask_h, MASK_COLOUR, 110);
	draw_regions(&im, &p->cfg->regions); /* under the lines */
	for (int l = 0; l < p->cfg->nlines; l++)
		draw_count_line(&im, &p->cfg->lines[l], scale);
	draw_tracks(p, &im, scale);
	if (p->co) {
		struct totals t;
		coord_get_totals(p->co, p->index, &t);
		snprintf(text, sizeof(text), "%s  in %llu  out %llu", p->cfg->name,
			 (unsigned long long)t.in, (unsigned long long)t.out);
		draw_text(&im, 3 * scale, 3 * scale, scale, text, TEXT_COLOUR);
	}
}

int preview_render(struct preview *p, const struct preview_opts *o, int timeout_ms,
		   const uint8_t **jpeg, size_t *len)
{
	int rc;

	/* The camera's buffers exist once its source is open, on its own
	 * thread, maybe after this preview was made. */
	if (!p->view)
		p->view = camera_view_alloc(p->cam);
	if (!p->view) {
		camera_view_request(p->cam);
		return -EAGAIN;
	}
	camera_view_get(p->cam, p->view, timeout_ms);
	if (p->view->seq == 0)
		return -EAGAIN;
	struct totals t = {0};
	if (p->co)
		coord_get_totals(p->co, p->index, &t);
	if (p->drawn && p->drawn_seq == p->view->seq && p->drawn_opts.raw == o->raw &&
	    p->drawn_opts.mask == o->mask && p->drawn_in == t.in && p->drawn_out == t.out) {
		*jpeg = p->jpeg;
		*len = p->jpeg_size;
		return 0;
	}
	p->drawn = false;
	rc = p->view->format == FRAME_JPEG ? decode_jpeg(p) : decode_gray(p);
	if (rc)
		return rc;
	update_trails(p);
	if (!o->raw)
		annotate(p, o);
	if (tjCompress2(p->enc, p->rgb, p->w, 0, p->h, TJPF_RGB, &p->jpeg, &p->jpeg_size,
			TJSAMP_420, JPEG_QUALITY, 0) < 0)
		return -ENOMEM;
	p->encodes++;
	p->drawn = true;
	p->drawn_seq = p->view->seq;
	p->drawn_opts = *o;
	p->drawn_in = t.in;
	p->drawn_out = t.out;
	*jpeg = p->jpeg;
	*len = p->jpeg_size;
	return 0;
}

unsigned preview_encodes(const struct preview *p)
{
	return p->encodes;
}
