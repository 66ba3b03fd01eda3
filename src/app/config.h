/* Camera configuration: from the command line or an INI file (libinih).
 * Plain data; filled once in main before any thread starts. */
#ifndef TURNSTILE_CONFIG_H
#define TURNSTILE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "line.h"

#define CONFIG_NAME_MAX 64
#define CONFIG_PATH_MAX 1024

#define CONFIG_MAX_LINES 8
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
};

#define TUNING_DEFAULT ((struct tuning){0.045f, 0.9f, 3, 0.03f, 2.0f, 90.0f, 0.0f})

struct camera_config {
	char name[CONFIG_NAME_MAX];
	char source[CONFIG_PATH_MAX];
	struct line_config lines[CONFIG_MAX_LINES];
	int nlines;
	struct tuning tuning;
	/* V4L2 cameras only (files ignore them); 0 = the default. */
	int width, height;  /* size=WxH: wanted frame size (640x480) */
	float fps;          /* fps=: wanted frame rate (30) */
	float watchdog;     /* watchdog=SECONDS: no frame this long means unplugged (5) */
};

/* The [turnstile] section: settings for the whole process. */
struct global_config {
	char state[CONFIG_PATH_MAX]; /* state=DIR: durable counts there; "" = none */
	bool daily_reset;            /* reset_at= was given */
	int reset_minute;            /* reset_at=HH:MM as minutes after local midnight */
};

struct camera_list {
	struct camera_config *cams;
	int n;
	struct global_config global; /* zero without a [turnstile] section */
};

/* Loads an INI file with one [camera NAME] section per camera, keys
 * source= (required), line=X1,Y1,X2,Y2 (the line named "main") and
 * line.NAME=X1,Y1,X2,Y2 (more lines, up to CONFIG_MAX_LINES); with neither,
 * one line "main" at default_line. Tuning keys: object_size=MIN,MAX,
 * min_track_age=, band=, learn_seconds=, absorb_seconds=, object_area=.
 * Capture keys for cameras: size=WxH, fps=, watchdog=SECONDS.
 * Returns 0, or -errno with one line in err naming the file (and the line
 * number for syntax errors, unknown keys, bad values, duplicate names). */
int config_load(const char *path, const struct line *default_line, struct camera_list *out,
		char *err, size_t errlen);
/* Also in the file, at most once: a [turnstile] section with state=DIR and
 * reset_at=HH:MM (local time). */

/* Parses "HH:MM" (00:00 to 23:59) into minutes after midnight. Returns 0
 * or -EINVAL. */
int config_parse_reset_at(const char *text, int *minute);

/* Appends a camera named after its source file (basename without extension;
 * "stdin" for "-"; a numeric suffix "-2", "-3"... keeps names unique). */
int config_add_source(struct camera_list *list, const char *source, const struct line *line);

void config_free(struct camera_list *list);

#endif
