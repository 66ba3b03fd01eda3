/* Live terminal view (ncursesw): site totals, one row per camera and line,
 * a chart of recent crossings, the latest events; keys as in htop.
 *
 * Threads: main only. It reads the cameras' and the coordinator's counters
 * (their getters are thread-safe) and never blocks: main calls tui_poll
 * from its signal-wait loop, and passes on SIGWINCH and SIGTSTP, which it
 * takes with sigtimedwait like every other signal. While the view is up,
 * standard error goes into a pipe the view reads, so a log line shows in
 * the view instead of tearing it; tui_close writes them all out again. */
#ifndef TURNSTILE_TUI_H
#define TURNSTILE_TUI_H

#include <stdbool.h>
#include <stdint.h>

#include "camera.h"
#include "coord.h"
#include "site.h"
#include "site_report.h"

struct journal;

struct tui_config {
	int ncameras;
	const struct camera_config *cam_cfgs; /* ncameras: names and lines */
	struct camera **cams;           /* ncameras */
	struct coord *coord;
	struct journal *journal;        /* NULL without --state; only its status is read */
	const char *state_dir;          /* shown in the title; NULL without --state */
	bool stdin_is_camera;           /* a camera reads standard input: keys come from /dev/tty */
};

struct tui;

/* Takes over the terminal on standard output. Returns 0, or -ENOTTY when
 * there is no terminal to draw on or read keys from, or -errno; on failure
 * the terminal is as it was. */
int tui_open(const struct tui_config *cfg, struct tui **out);

/* `turnstile aggregate`'s view: the site across hosts instead of cameras
 * (title, site totals, a row per node, camera and line, the aggregator's
 * own figures). The same life cycle: tui_poll, tui_resize, tui_suspend,
 * tui_close. */
struct tui_site_config {
	const char *broker;     /* shown in the title: the URL */
	const char *state_dir;  /* shown in the title; NULL without --state */
	/* Fills *copy (empty; the view frees it) and *st. Returns 0 or -errno. */
	int (*snapshot)(void *ctx, struct site *copy, struct site_status *st);
	void *ctx;
};

int tui_open_site(const struct tui_site_config *cfg, struct tui **out);

#define TUI_QUIT 1

/* Reads the keys waiting and redraws when due (at most ten times a second)
 * or asked. all_done: every camera has finished (the title says so).
 * Returns TUI_QUIT when the user asked to quit or the terminal hung up,
 * else 0. */
int tui_poll(struct tui *t, int64_t now_ns, bool all_done);

/* The terminal changed size (SIGWINCH): redraw at the new size. */
void tui_resize(struct tui *t);

/* SIGTSTP (Ctrl-Z): gives the terminal back, stops the process, and takes
 * the terminal again when it continues. */
void tui_suspend(struct tui *t);

/* Gives the terminal back, then writes out what went to standard error
 * while the view was up. NULL is fine. */
void tui_close(struct tui *t);

#endif
