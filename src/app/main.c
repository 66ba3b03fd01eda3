/* turnstile: counts objects crossing virtual lines in several video sources
 * at once. main owns the lifecycle: the cameras, the coordinator and its
 * sinks (the state directory's journal, the event log) and the live view;
 * cli.c reads the command line, summary.c prints the totals. It takes SIGINT/SIGTERM,
 * SIGHUP, SIGWINCH and SIGTSTP with sigtimedwait (worker threads block them;
 * they send main SIGUSR2 as they end, which only wakes it)
 * and prints the summary after the threads have been joined. Once it is
 * finishing, a second SIGINT/SIGTERM exits at once: the state directory is
 * consistent at every instant (whole journal lines, snapshots by rename). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "camera.h"
#include "aggregate_cmd.h"
#include "cli.h"
#include "config.h"
#include "coord.h"
#include "eventlog.h"
#include "http.h"
#include "journal.h"
#include "notify.h"
#include "snapshot.h"
#include "mqtt.h"
#include "summary.h"
#include "tui.h"
#include "util.h"

#define POLL_NS 50000000LL
/* Without the live view nothing needs main between its deadlines: a camera
 * that ends wakes it (SIGUSR2, camera_ended), signals come at once, and the
 * duration and the status lines are waited for exactly. This tick only
 * bounds the wait (the watchdog keep-alive, at half of WatchdogSec=). An
 * idle camera costs about 1% of a core, of which 20 wake-ups a second of
 * this thread took 0.05 to 0.09% (docs/idle-skip.md). */
#define IDLE_TICK_NS 250000000LL
/* A camera's threads ending: only wakes main (not a stop). */
#define SIG_CAMERA_ENDED SIGUSR2
/* After a stop, replays get this long to drain their rings; a capture thread
 * still blocked in a read then (a stalled pipe) is left behind. */
#define DRAIN_NS 500000000LL
#define DRAIN_POLL_NS 10000000LL

/* SIGHUP (logrotate): the log was moved away; carry on in a new file of the
 * same name. The coordinator writes and flushes one whole line at a time, so
 * swapping the descriptor under its FILE between two lines loses nothing. */
static void reopen_events(const char *path, int events_fd)
{
	int fd;

	if (events_fd < 0)
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0 || dup2(fd, events_fd) < 0)
		log_error("cannot reopen events file '%s': %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* SIGHUP also comes when our terminal goes away (the window closed, the
 * ssh connection dropped); then it means "finish", as it always did. A
 * hung-up terminal reports POLLHUP; tmux, for one, sends the signal just
 * before it closes the terminal, hence the short wait. */
static bool terminal_gone(void)
{
	struct pollfd p[3];
	nfds_t n = 0;

	for (int fd = 0; fd <= 2; fd++)
		if (isatty(fd))
			p[n++] = (struct pollfd){.fd = fd};
	if (n == 0 || poll(p, n, 200) <= 0)
		return false;
	for (nfds_t i = 0; i < n; i++)
		if (p[i].revents & POLLHUP)
			return true;
	return false;
}

static pthread_t main_thread;

/* camera_opts.ended, from a camera's thread as it ends: main rechecks. */
static void camera_ended(void *ctx)
{
	(void)ctx;
	pthread_kill(main_thread, SIG_CAMERA_ENDED);
}

/* The wait until the next thing supervise must do by itself. */
static int64_t next_tick(int64_t now, int64_t start, const struct cli_options *o,
			 int64_t status_ns, int64_t next_status, bool tui)
{
	int64_t wait = tui ? POLL_NS : IDLE_TICK_NS;
	if (o->duration > 0) {
		int64_t left = start + (int64_t)(o->duration * 1e9) - now;
		wait = left < wait ? left : wait;
	}
	if (!tui && status_ns > 0 && next_status - now < wait)
		wait = next_status - now;
	return wait > 0 ? wait : 0;
}

/* Waits until every camera is done (with the live view: until the user
 * quits), the duration is up, or SIGINT/SIGTERM comes; handles the other
 * signals; prints a status line every status_ns when asked (0: never). Returns the signal,
 * or 0. */
static int supervise(struct camera **cams, const struct camera_list *list, struct coord *co,
		     const sigset_t *sigs, const struct cli_options *o, int64_t status_ns, struct tui *tui,
		     int events_fd)
{
	const int64_t start = now_ns(CLOCK_MONOTONIC);
	int64_t next_status = start + status_ns;
	int64_t wait = 0;

	for (;;) {
		const struct timespec tick = {wait / 1000000000, wait % 1000000000};
		int sig = sigtimedwait(sigs, NULL, &tick);
		if (sig == SIGHUP && !terminal_gone())
			reopen_events(o->events, events_fd);
		else if (sig == SIGWINCH && tui)
			tui_resize(tui);
		else if (sig == SIGTSTP && tui)
			tui_suspend(tui);
		else if (sig == SIGTSTP)
			kill(getpid(), SIGSTOP);
		else if (sig > 0 && sig != SIGWINCH && sig != SIG_CAMERA_ENDED)
			return sig; /* SIGINT, SIGTERM, or SIGHUP from a hangup */
		bool all_done = true;
		for (int i = 0; i < list->n; i++)
			all_done = all_done && camera_done(cams[i]);
		/* The HTTP server stays up after replays end, until a signal. */
		if (all_done && !tui && !list->global.http[0])
			return 0;
		int64_t now = now_ns(CLOCK_MONOTONIC);
		notify_watchdog(now);
		if (o->duration > 0 && now - start >= (int64_t)(o->duration * 1e9))
			return 0;
		if (tui && tui_poll(tui, now, all_done) == TUI_QUIT)
			return 0;
		if (!tui && status_ns > 0 && now >= next_status) {
			summary_status(cams, list->cams, list->n, co);
			next_status += status_ns;
		}
		wait = next_tick(now, start, o, status_ns, next_status, tui != NULL);
	}
}

/* --json=FILE: the JSON summary replaces FILE whole (a reader never sees
 * half of it). Returns 0 or -errno, logged. */
static int write_summary_file(const char *path, struct camera **cams,
			      const struct camera_list *list, struct coord *co)
{
	char tmp[PATH_MAX];
	int rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		log_error("cannot write the summary '%s': %s", path, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	FILE *f = fopen(tmp, "w");
	if (!f) {
		rc = -errno;
		goto fail;
	}
	summary_print(f, cams, list->cams, list->n, co, true);
	if (ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = -(errno ? errno : EIO);
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc == 0)
		return 0;
	unlink(tmp);
fail:
	log_error("cannot write the summary '%s': %s", path, strerror(-rc));
	return rc;
}

static void exit_now(int sig)
{
	_exit(128 + sig);
}

/* From here on a second SIGINT or SIGTERM ends the process at once. */
static void arm_exit_now(void)
{
	struct sigaction sa = {.sa_handler = exit_now};
	sigset_t stop;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &stop, NULL);
}

/* Cameras were told to stop. Inference threads end once they have drained
 * their rings, whatever capture is doing: join them. Capture threads get
 * DRAIN_NS; returns how many are still running then (blocked in a read that
 * may never return), and stuck[i] says which. */
static int drain_cameras(struct camera **cams, const struct camera_list *list, bool *stuck)
{
	const int64_t deadline = now_ns(CLOCK_MONOTONIC) + DRAIN_NS;
	const struct timespec tick = {0, DRAIN_POLL_NS};
	sigset_t moot;
	int nstuck = 0;

	for (int i = 0; i < list->n; i++)
		camera_join_inference(cams[i]);
	/* The same wait as supervise's; a resize does not matter any more. */
	sigemptyset(&moot);
	sigaddset(&moot, SIGWINCH);
	for (;;) {
		bool all_done = true;
		for (int i = 0; i < list->n; i++)
			all_done = all_done && camera_done(cams[i]);
		if (all_done || now_ns(CLOCK_MONOTONIC) >= deadline)
			break;
		sigtimedwait(&moot, NULL, &tick);
	}
	for (int i = 0; i < list->n; i++) {
		stuck[i] = !camera_done(cams[i]);
		if (!stuck[i]) {
			camera_join(cams[i]);
			continue;
		}
		nstuck++;
		camera_abandon(cams[i]);
		log_error("camera '%s': its source is still blocked in a read; not waiting for it",
			  list->cams[i].name);
	}
	return nstuck;
}

int main(int argc, char **argv)
{
	struct cli_options o = {.line = LINE_DEFAULT, .detect_width = DEFAULT_DETECT_WIDTH};
	struct camera_list list = {0};
	struct camera **cams = NULL;
	struct coord *co = NULL;
	FILE *events = NULL;
	struct coord_camera *ccams = NULL;
	struct journal *journal = NULL;
	struct eventlog *eventlog = NULL;
	struct mqtt *mqtt = NULL;
	struct event_sink sinks[3];
	int nsinks = 0;
	struct tally resumed = {0};
	struct tui *tui = NULL;
	struct snapshot *snap = NULL;
	struct http *http = NULL;
	bool *stuck = NULL;
	int nstuck = 0, events_fd = -1, nopen = 0;
	int status = EXIT_FAILURE;
	sigset_t sigs;
	char err[512];

	if (argc > 1 && strcmp(argv[1], "aggregate") == 0)
		return aggregate_main(argc - 1, argv + 1);
	o.status_interval = -1;
	int rc = cli_parse(argc, argv, &o, &list);
	if (rc) {
		config_free(&list);
		return rc;
	}
	/* Not a terminal (journald, a pipe, a file): each line says its
	 * priority the way journald reads it. */
	const bool stderr_tty = isatty(STDERR_FILENO);
	log_configure(!stderr_tty, o.quiet);

	/* Workers inherit this mask, so only main's sigtimedwait sees the signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGWINCH);
	sigaddset(&sigs, SIGTSTP);
	sigaddset(&sigs, SIG_CAMERA_ENDED);
	main_thread = pthread_self();
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	cams = calloc((size_t)list.n, sizeof(*cams));
	ccams = calloc((size_t)list.n, sizeof(*ccams));
	stuck = calloc((size_t)list.n, sizeof(*stuck));
	if (!cams || !ccams || !stuck) {
		log_error("out of memory");
		goto out;
	}
	if (o.events) {
		events = strcmp(o.events, "-") == 0 ? stdout : fopen(o.events, "a+");
		if (!events) {
			log_error("cannot open events file '%s': %s", o.events, strerror(errno));
			goto out;
		}
		/* Taken now: the coordinator thread owns the FILE from its start. */
		events_fd = events == stdout ? -1 : fileno(events);
	}
	for (int i = 0; i < list.n; i++) {
		ccams[i].name = list.cams[i].name;
		ccams[i].nlines = list.cams[i].nlines;
		for (int l = 0; l < list.cams[i].nlines; l++)
			ccams[i].line_names[l] = list.cams[i].lines[l].name;
	}
	if (list.global.state[0]) {
		struct journal_config jc = {
			.dir = list.global.state,
			.daily_reset = list.global.daily_reset,
			.reset_minute = list.global.reset_minute,
			.ncameras = list.n,
			.cams = ccams,
		};
		if (tally_init(&resumed, list.n) < 0) {
			log_error("out of memory");
			goto out;
		}
		if (journal_open(&jc, &resumed, &journal, err, sizeof(err))) {
			log_error("%s", err);
			goto out;
		}
		/* First: every event is durable before it is counted or logged. */
		sinks[nsinks++] = journal_sink(journal);
	}
	if (events) {
		if (eventlog_create(events, list.n, ccams, &eventlog) < 0) {
			log_error("out of memory");
			goto out;
		}
		sinks[nsinks++] = eventlog_sink(eventlog);
	}
	if (list.global.mqtt[0]) {
		char host[64] = "";
		struct mqtt_config mc = {
			.url = list.global.mqtt,
			.ca_file = list.global.mqtt_ca[0] ? list.global.mqtt_ca : NULL,
			.password_file = list.global.mqtt_password_file[0] ? list.global.mqtt_password_file
									     : NULL,
			.node = list.global.node,
			.state_dir = journal ? list.global.state : NULL,
			.ncameras = list.n,
			.cams = ccams,
		};
		if (!mc.node[0]) {
			gethostname(host, sizeof(host) - 1);
			mc.node = host;
		}
		if (mqtt_open(&mc, &mqtt, err, sizeof(err))) {
			log_error("%s", err);
			goto out;
		}
		/* After the journal: only what it has synced is published. */
		sinks[nsinks++] = mqtt_sink(mqtt);
	}
	struct coord_config cc = {
		.ncameras = list.n,
		.cams = ccams,
		.sinks = sinks,
		.nsinks = nsinks,
		.resume = journal ? &resumed : NULL,
		/* The journal numbers events; without it an appended log
		 * carries on its own numbering. */
		.next_seq = journal ? journal_next_seq(journal) : events ? eventlog_next_seq(events) : 0,
	};
	rc = coord_create(&cc, &co);
	tally_free(&resumed); /* the coordinator took a copy */
	if (rc) {
		log_error("cannot start the coordinator: %s", strerror(-rc));
		goto out;
	}
	for (int i = 0; i < list.n; i++) {
		struct camera_opts co_opts = {
			.index = i,
			.cfg = &list.cams[i],
			.post = coord_post_cb,
			.post_ctx = co,
			.realtime = o.realtime,
			.max_frames = o.max_frames,
			.detect_width = o.detect_width,
			.state_dir = list.global.state[0] ? list.global.state : NULL,
			.ring_slots = DEFAULT_RING_SLOTS,
			.ended = camera_ended,
		};
		if (camera_open(&co_opts, &cams[i], err, sizeof(err))) {
			log_error("%s", err);
			goto out;
		}
	}
	/* Each camera opens its source on its own capture thread: one bad
	 * source (missing, unreadable, absurd header) is its camera's error,
	 * not the site's, and one that waits (a FIFO with no writer yet, a
	 * camera not plugged in) holds up nothing. */
	if (o.snapshot) {
		struct snapshot_config sc = {o.snapshot, list.n, cams, list.cams, co};
		if (snapshot_start(&sc, &snap, err, sizeof(err))) {
			log_error("%s", err);
			goto out;
		}
	}
	if (list.global.http[0]) {
		struct http_config hc = {list.global.http, list.n, cams, list.cams, co,
					 list.global.preview_fps};
		if (http_start(&hc, &http, err, sizeof(err))) {
			log_error("%s", err);
			goto out;
		}
	}
	for (int i = 0; i < list.n; i++) {
		rc = camera_start(cams[i]);
		if (rc) {
			log_error("camera '%s': cannot start threads: %s", list.cams[i].name,
				  strerror(-rc));
			goto out;
		}
	}

	/* Each camera is counting, or opening or retrying its source on its
	 * own thread: nothing left to wait for. */
	notify_ready(list.n);
	const bool events_stdout = events == stdout;
	/* --json=FILE leaves stdout (and the terminal) free for the view. */
	bool quiet = (o.json && !o.json_file) || events_stdout;
	if (!quiet && !o.no_tui && isatty(STDOUT_FILENO)) {
		bool stdin_camera = false;
		for (int i = 0; i < list.n; i++)
			stdin_camera = stdin_camera || strcmp(list.cams[i].source, "-") == 0;
		struct tui_config tc = {
			.ncameras = list.n,
			.cam_cfgs = list.cams,
			.cams = cams,
			.coord = co,
			.journal = journal,
			.state_dir = list.global.state[0] ? list.global.state : NULL,
			.stdin_is_camera = stdin_camera,
		};
		/* No terminal to read keys from: the status lines instead. */
		tui_open(&tc, &tui);
	}
	/* Status lines by default only to a person at a terminal: a service's
	 * totals are read from the summary, the state directory or the API. */
	double every = o.status_interval >= 0 ? o.status_interval : stderr_tty ? 1.0 : 0.0;
	int64_t status_ns = quiet || o.quiet ? 0 : (int64_t)(every * 1e9);
	int sig = supervise(cams, &list, co, &sigs, &o, status_ns, tui, events_fd);
	tui_close(tui);
	tui = NULL;
	arm_exit_now();
	notify_stopping();
	if (sig)
		log_info("%s, finishing", strsignal(sig));
	for (int i = 0; i < list.n; i++)
		camera_stop(cams[i]);
	nstuck = drain_cameras(cams, &list, stuck);
	/* Journals, counts and snapshots what the cameras posted. */
	coord_stop(co);
	snapshot_stop(snap);

	/* Every source refused (not merely waiting): no summary, exit 1;
	 * each reason is logged. */
	for (int i = 0; i < list.n; i++) {
		struct camera_stats s;
		camera_get_stats(cams[i], &s);
		nopen += camera_opened(cams[i]) || s.state != CAMERA_ERROR;
	}
	if (nopen == 0)
		goto out;
	status = EXIT_SUCCESS;
	for (int i = 0; i < list.n; i++) {
		struct camera_stats s;
		camera_get_stats(cams[i], &s);
		if (s.state == CAMERA_ERROR)
			status = EXIT_FAILURE;
	}
	/* stdout carries events alone when they go there. */
	if (o.json_file) {
		if (write_summary_file(o.json_file, cams, &list, co))
			status = EXIT_FAILURE;
	} else {
		summary_print(events_stdout ? stderr : stdout, cams, list.cams, list.n, co, o.json);
	}
out:
	tui_close(tui);
	http_stop(http);
	snapshot_destroy(snap);
	if (nstuck) {
		/* A capture thread blocked in a read still holds its camera, and
		 * through it the config, the coordinator and the journal: the
		 * process ends around them. Everything is on disk already. */
		free(cams);
		free(ccams);
		free(stuck);
		return status;
	}
	for (int i = 0; cams && i < list.n; i++)
		camera_close(cams[i]);
	if (co)
		coord_stop(co);
	coord_destroy(co);
	journal_close(journal);
	eventlog_destroy(eventlog);
	mqtt_close(mqtt);
	tally_free(&resumed);
	if (events && events != stdout)
		fclose(events);
	free(cams);
	free(ccams);
	free(stuck);
	config_free(&list);
	return status;
}
