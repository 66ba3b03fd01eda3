/* Camera configuration: from the command line or an INI file (libinih).
 * Plain data; filled once in main before any thread starts. */
#ifndef TURNSTILE_CONFIG_H
#define TURNSTILE_CONFIG_H

#include <stddef.h>

#include "turnstile/line.h"

#define CONFIG_NAME_MAX 64
#define CONFIG_PATH_MAX 1024

struct camera_config {
	char name[CONFIG_NAME_MAX];
	char source[CONFIG_PATH_MAX];
	struct line line;
};

struct camera_list {
	struct camera_config *cams;
	int n;
};

/* Loads an INI file with one [camera NAME] section per camera, keys
 * source= (required) and line=X1,Y1,X2,Y2 (optional, default_line otherwise).
 * Returns 0, or -errno with one line in err naming the file (and the line
 * number for syntax errors, unknown keys, bad values, duplicate names). */
int config_load(const char *path, const struct line *default_line, struct camera_list *out,
		char *err, size_t errlen);

/* Appends a camera named after its source file (basename without extension;
 * "stdin" for "-"; a numeric suffix "-2", "-3"... keeps names unique). */
int config_add_source(struct camera_list *list, const char *source, const struct line *line);

void config_free(struct camera_list *list);

#endif
