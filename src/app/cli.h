/* The command line: options, --help, and the camera list they make (with
 * the config file's, which the command line overrides). */
#ifndef TURNSTILE_CLI_H
#define TURNSTILE_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "line.h"

#define EXIT_USAGE 2
#define DEFAULT_DETECT_WIDTH 160
#define DEFAULT_RING_SLOTS 8

struct cli_options {
	const char *config;
	const char *events;
	struct line line;
	bool json;
	const char *json_file; /* --json=FILE: the summary goes there, not to stdout */
	bool realtime;
	uint64_t max_frames;
	double duration;
	int detect_width;
	const char *state;    /* --state: overrides state= */
	const char *reset_at; /* --reset-at: overrides reset_at= */
	bool no_tui;
	bool quiet;             /* --quiet: errors and changes of state only */
	double status_interval; /* --status-interval: seconds; 0 = none; < 0 = the default */
	const char *http;     /* --http [ADDR:]PORT: overrides http= */
	const char *snapshot; /* --snapshot DIR */
	const char *mqtt;          /* --mqtt: overrides mqtt= */
	const char *mqtt_ca;       /* --mqtt-ca: overrides mqtt_ca= */
	const char *mqtt_password_file;
	const char *node;          /* --node: overrides node= */
};

/* Parses argv into o (filled with its defaults by the caller) and cams.
 * Returns 0, or the exit status (EXIT_USAGE with one line on stderr for a
 * bad command line, EXIT_FAILURE for a config file that cannot be read).
 * --help, --version and --list-cameras print and exit here. */
int cli_parse(int argc, char **argv, struct cli_options *o, struct camera_list *cams);

#endif
