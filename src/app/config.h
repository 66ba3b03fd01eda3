/* Camera configuration: from the command line or an INI file (libinih).
 * Plain data (camera_config.h); filled once in main before any thread starts. */
#ifndef TURNSTILE_CONFIG_H
#define TURNSTILE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "camera_config.h"

/* The [turnstile] section: settings for the whole process. */
struct global_config {
	char state[CONFIG_PATH_MAX]; /* state=DIR: durable counts there; "" = none */
	bool daily_reset;            /* reset_at= was given */
	int reset_minute;            /* reset_at=HH:MM as minutes after local midnight */
	char http[64];               /* http=[ADDR:]PORT: the HTTP server; "" = none */
	float preview_fps;           /* preview_fps=: most stream frames a second; 0 = 5 */
	char mqtt[CONFIG_PATH_MAX];  /* mqtt=URL: publish there (docs/mqtt.md); "" = no */
	char mqtt_ca[CONFIG_PATH_MAX];
	char mqtt_password_file[CONFIG_PATH_MAX];
	char node[64];               /* node=NAME; "" = the host name */
};

struct camera_list {
	struct camera_config *cams;
	int n;
	struct global_config global; /* zero without a [turnstile] section */
};

/* Loads an INI file with one [camera NAME] section per camera, keys
 * source= (required), line=X1,Y1,X2,Y2 (the line named "main") and
 * line.NAME=X1,Y1,X2,Y2 (more lines, up to TURNSTILE_MAX_LINES); with neither,
 * one line "main" at default_line. Tuning keys: object_size=MIN,MAX,
 * min_track_age=, band=, learn_seconds=, absorb_seconds=, object_area=.
 * Capture keys for cameras: size=WxH, fps=, watchdog=SECONDS.
 * Returns 0, or -errno with one line in err naming the file (and the line
 * number for syntax errors, unknown keys, bad values, duplicate names). */
int config_load(const char *path, const struct line *default_line, struct camera_list *out,
		char *err, size_t errlen);
/* Also in the file, at most once: a [turnstile] section with state=DIR and
 * reset_at=HH:MM (local time), http=[ADDR:]PORT, preview_fps=, mqtt=, mqtt_ca=,
 * mqtt_password_file= and node=. */

/* Checks "[ADDR:]PORT" (IPv4 address, port 1..65535). Returns 0 or -EINVAL. */
int config_parse_http(const char *text);

/* Parses "HH:MM" (00:00 to 23:59) into minutes after midnight. Returns 0
 * or -EINVAL. */
int config_parse_reset_at(const char *text, int *minute);

/* Appends a camera named after its source file (basename without extension;
 * "stdin" for "-"; a numeric suffix "-2", "-3"... keeps names unique). */
int config_add_source(struct camera_list *list, const char *source, const struct line *line);

void config_free(struct camera_list *list);

#endif
