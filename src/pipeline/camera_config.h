/* What one camera is asked to do: its source, its lines, its tuning. Plain
 * data the app fills (config.c, from the command line or an INI file) and a
 * camera reads (camera_open); no code. */
#ifndef TURNSTILE_CAMERA_CONFIG_H
#include <stdbool.h>

#define TURNSTILE_CAMERA_CONFIG_H

#include "line.h"
#include "region.h"
#include "turnstile/limits.h"

#define CONFIG_NAME_MAX 64
#define CONFIG_PATH_MAX 1024

#define CONFIG_MAIN_LINE "main" /* the name of line= (and of --line) */

struct line_config {
	char name[CONFIG_NAME_MAX];
	struct line line;
};

/* Knobs a user can reason about; every field has a default that works
 * without per-clip tuning. Sizes are normalised to the frame. */
struct tuning {
	float min_object;     /* object_size=MIN,MAX: side of a square of the object's */
	float max_object;     /*   area; smaller blobs are noise, larger are not objects */
	int min_track_age;    /* frames an object must be tracked before it may count */
	float band;           /* half-width of the line's hysteresis band */
	float learn_seconds;  /* background adaptation time constant */
	float absorb_seconds; /* an object still this long becomes background */
	float object_area;    /* area of one object for merged blobs; 0 = learn it */
	bool anchor_bottom;   /* anchor=bottom: count where the box's bottom edge (feet,
			       * wheels) crosses, for oblique cameras; else its centre */
	bool shadows;         /* shadows=1: cast shadows on textured ground are not objects */
};

#define TUNING_DEFAULT ((struct tuning){0.045f, 0.9f, 3, 0.03f, 2.0f, 90.0f, 0.0f, false, false})

struct camera_config {
	char name[CONFIG_NAME_MAX];
	char source[CONFIG_PATH_MAX];
	struct line_config lines[TURNSTILE_MAX_LINES];
	int nlines;
	struct tuning tuning;
	struct regions regions; /* roi= and mask= polygons; none: the whole picture */
	/* V4L2 cameras only (files ignore them); 0 = the default. */
	int width, height;  /* size=WxH: wanted frame size (640x480) */
	float fps;          /* fps=: wanted frame rate (30) */
	float watchdog;     /* watchdog=SECONDS: no frame this long means unplugged (5) */
	/* Network streams: "user:password" (URL-encoded) taken out of the
	 * source URL or read from credentials=FILE, so that source never holds
	 * it and nothing that prints source can show it; transport=udp. */
	char credentials[CONFIG_NAME_MAX * 4];
	bool rtsp_udp;
	/* Idle skipping (docs/idle-skip.md): idle_skip=0 decodes every frame
	 * always; max_speed= is the fastest object expected, in picture
	 * widths (x) or heights (y) per second (normalised units). */
	bool idle_skip;
	bool idle_skip_asked; /* idle_skip=1 written out: say why it cannot skip */
	float max_speed;
};

#endif
