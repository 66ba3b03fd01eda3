/* turnstile: counts objects crossing virtual lines in several video sources
 * at once. main owns the command line, the cameras, the coordinator, the
 * state directory's journal and the live view; it takes SIGINT/SIGTERM,
 * SIGHUP, SIGWINCH and SIGTSTP with sigtimedwait (worker threads block them)
 * and prints the summary after the threads have been joined. Once it is
 * finishing, a second SIGINT/SIGTERM exits at once: the state directory is
 * consistent at every instant (whole journal lines, snapshots by rename). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "camera.h"
#include "tui.h"
#include "config.h"
#include "coord.h"
#include "journal.h"
#include "util.h"
#include "v4l2_list.h"

#define EXIT_USAGE 2
#define DEFAULT_DETECT_WIDTH 160
#define DEFAULT_RING_SLOTS 8
#define STATUS_PERIOD_NS 1000000000LL
#define POLL_NS 50000000LL
/* After a stop, replays get this long to drain their rings; a capture thread
 * still blocked in a read then (a stalled pipe) is left behind. */
#define DRAIN_NS 500000000LL
#define DRAIN_POLL_NS 10000000LL

/* Long options without a short form. */
enum { OPT_STATE = 256, OPT_RESET_AT, OPT_NO_TUI };

struct options {
	const char *config;
	const char *events;
	struct line line;
	bool json;
	bool realtime;
	uint64_t max_frames;
	double duration;
	int detect_width;
	const char *state;    /* --state: overrides state= */
	const char *reset_at; /* --reset-at: overrides reset_at= */
	bool no_tui;
};

static void usage(FILE *f)
{
	fputs("Usage: turnstile [OPTIONS] SOURCE...\n"
	      "Counts objects crossing a line in each SOURCE (a camera): a V4L2 device\n"
	      "(/dev/video0, better a stable /dev/v4l/by-id/... name), or an MJPEG AVI,\n"
	      "a raw MJPEG stream or a Y4M file, recognised by content; '-' is standard\n"
	      "input (e.g. ffmpeg -i clip.mp4 -f yuv4mpegpipe - | turnstile -).\n"
	      "\n"
	      "  -c, --config FILE       cameras from an INI file ([camera NAME] source= line=)\n"
	      "  -l, --line X1,Y1,X2,Y2  counting line A->B in 0..1 coordinates for the\n"
	      "                          cameras on the command line (default 0,0.5,1,0.5);\n"
	      "                          crossing from A->B's left to its right is 'in'\n"
	      "  -e, --events FILE       append one JSON object per crossing ('-' = stdout)\n"
	      "  -j, --json              print a JSON summary on stdout at exit\n"
	      "  -r, --realtime          replay files at their frame rate\n"
	      "  -n, --frames N          stop each camera after N frames\n"
	      "  -d, --duration SECONDS  stop the whole run after SECONDS\n"
	      "  -w, --detect-width PX   width detection runs at (default 160)\n"
	      "      --state DIR         durable counts in DIR: every event is journaled there\n"
	      "                          first, and a restart carries on from the totals\n"
	      "      --reset-at HH:MM    with --state: new totals every day at HH:MM local time\n"
	      "      --no-tui            status lines on stderr even when stdout is a terminal\n"
	      "  -h, --help              show this help\n"
	      "  -V, --version           show the version\n"
	      "      --list-cameras      list V4L2 cameras: stable names, formats, sizes, rates\n",
	      f);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "turnstile: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (try --help)\n");
	return EXIT_USAGE;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-')
		return false;
	*out = v;
	return true;
}

static int parse_args(int argc, char **argv, struct options *o, struct camera_list *cams)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"line", required_argument, NULL, 'l'},
		{"events", required_argument, NULL, 'e'},
		{"json", no_argument, NULL, 'j'},
		{"realtime", no_argument, NULL, 'r'},
		{"frames", required_argument, NULL, 'n'},
		{"duration", required_argument, NULL, 'd'},
		{"detect-width", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"list-cameras", no_argument, NULL, 'L'},
		{"state", required_argument, NULL, OPT_STATE},
		{"reset-at", required_argument, NULL, OPT_RESET_AT},
		{"no-tui", no_argument, NULL, OPT_NO_TUI},
		{NULL, 0, NULL, 0},
	};
	int c, minute;
	uint64_t v;
	char *end;

	while ((c = getopt_long(argc, argv, "c:l:e:jrn:d:w:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'l':
			if (line_parse(optarg, &o->line))
				return usage_error("--line: '%s' is not X1,Y1,X2,Y2 in 0..1 with A != B",
						   optarg);
			break;
		case 'e':
			o->events = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'r':
			o->realtime = true;
			break;
		case 'n':
			if (!parse_u64(optarg, &o->max_frames) || o->max_frames == 0)
				return usage_error("--frames: '%s' is not a positive whole number",
						   optarg);
			break;
		case 'd':
			o->duration = strtod(optarg, &end);
			if (end == optarg || *end || !(o->duration > 0))
				return usage_error("--duration: '%s' is not a positive number of seconds",
						   optarg);
			break;
		case 'w':
			if (!parse_u64(optarg, &v) || v < 16 || v > 4096)
				return usage_error("--detect-width: '%s' is not a width from 16 to 4096",
						   optarg);
			o->detect_width = (int)v;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		case 'V':
			printf("turnstile %s\n", TURNSTILE_VERSION);
			exit(EXIT_SUCCESS);
		case 'L': {
			int n = v4l2_list_cameras(stdout, "/dev");
			if (n < 0)
				log_error("cannot list '/dev': %s", strerror(-n));
			exit(n < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
		}
		case OPT_STATE:
			if (!optarg[0] || strlen(optarg) >= sizeof(cams->global.state))
				return usage_error("--state: '%s' is not a usable directory name", optarg);
			o->state = optarg;
			break;
		case OPT_RESET_AT:
			if (config_parse_reset_at(optarg, &minute))
				return usage_error("--reset-at: '%s' is not HH:MM (00:00 to 23:59)", optarg);
			o->reset_at = optarg;
			break;
		case OPT_NO_TUI:
			o->no_tui = true;
			break;
		default:
			fprintf(stderr, "(try --help)\n");
			return EXIT_USAGE;
		}
	}

	if (o->config) {
		char err[512];
		int rc = config_load(o->config, &o->line, cams, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "turnstile: %s\n", err);
			return rc == -EINVAL ? EXIT_USAGE : EXIT_FAILURE;
		}
	}
	for (int i = optind; i < argc; i++)
		if (config_add_source(cams, argv[i], &o->line))
			return usage_error("cannot add source '%s'", argv[i]);
	int stdin_uses = 0;
	for (int i = 0; i < cams->n; i++)
		stdin_uses += strcmp(cams->cams[i].source, "-") == 0;
	if (stdin_uses > 1)
		return usage_error("%s: standard input can feed only one camera", "-");
	if (cams->n == 0)
		return usage_error("%s", "no SOURCE given");
	/* The command line wins over the config's [turnstile] section. */
	if (o->state)
		snprintf(cams->global.state, sizeof(cams->global.state), "%s", o->state);
	if (o->reset_at) {
		config_parse_reset_at(o->reset_at, &cams->global.reset_minute);
		cams->global.daily_reset = true;
	}
	if (cams->global.daily_reset && !cams->global.state[0])
		return usage_error("%s", "a daily reset (--reset-at, reset_at=) needs --state or state=");
	return 0;
}

static void print_status(struct camera **cams, const struct camera_list *list, struct coord *co)
{
	char buf[1024];
	size_t len = 0;
	struct coord_totals t;

	for (int i = 0; i < list->n; i++) {
		struct camera_stats s;
		camera_get_stats(cams[i], &s);
		coord_get_totals(co, i, &t);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"%s %llu fr in %llu out %llu%s | ", list->cams[i].name,
					(unsigned long long)s.processed, (unsigned long long)t.in,
					(unsigned long long)t.out,
					s.state == CAMERA_RECONNECTING ? " (reconnecting)" : "");
		if (len >= sizeof(buf))
			break;
	}
	coord_get_totals(co, -1, &t);
	if (len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, "site in %llu out %llu occupancy %lld",
			 (unsigned long long)t.in, (unsigned long long)t.out, (long long)t.occupancy);
	fprintf(stderr, "%s\n", buf);
}

/* ,"stages":{"read":{"mean_us":M,"p99_us":P},...}: the camera's per-frame
 * time in each stage and from capture to counted ("latency"). */
static void print_stages(const struct camera_stats *s)
{
	fputs(",\"stages\":{", stdout);
	for (int i = 0; i < CAMERA_STAGES; i++)
		printf("%s\"%s\":{\"mean_us\":%.1f,\"p99_us\":%.1f}", i ? "," : "",
		       camera_stage_name((enum camera_stage)i), s->stages[i].mean_us,
		       s->stages[i].p99_us);
	fputs("}", stdout);
}

static void print_summary(struct camera **cams, const struct camera_list *list, struct coord *co,
			  bool json)
{
	struct coord_totals t;

	if (json)
		fputs("{\"cameras\":[", stdout);
	for (int i = 0; i < list->n; i++) {
		struct camera_stats s;
		camera_get_stats(cams[i], &s);
		coord_get_totals(co, i, &t);
		if (json) {
			printf("%s{\"name\":", i ? "," : "");
			json_write_string(stdout, list->cams[i].name);
			fputs(",\"source\":", stdout);
			json_write_string(stdout, list->cams[i].source);
			printf(",\"state\":\"%s\"", camera_state_name(s.state));
			printf(",\"fps\":%g,\"frames\":%llu,\"dropped\":%llu,\"corrupt\":%llu,"
			       "\"driver_drops\":%llu,\"reconnects\":%llu,"
			       "\"in\":%llu,\"out\":%llu,\"lines\":[",
			       s.fps, (unsigned long long)s.processed, (unsigned long long)s.dropped,
			       (unsigned long long)s.corrupt, (unsigned long long)s.driver_drops,
			       (unsigned long long)s.reconnects, (unsigned long long)t.in,
			       (unsigned long long)t.out);
			for (int l = 0; l < list->cams[i].nlines; l++) {
				struct coord_totals lt;
				coord_get_line_totals(co, i, l, &lt);
				printf("%s{\"name\":", l ? "," : "");
				json_write_string(stdout, list->cams[i].lines[l].name);
				printf(",\"in\":%llu,\"out\":%llu}", (unsigned long long)lt.in,
				       (unsigned long long)lt.out);
			}
			fputs("]", stdout);
			print_stages(&s);
			fputs("}", stdout);
		} else {
			printf("%-16s in %6llu  out %6llu   (%llu frames, %llu corrupt, %llu dropped)\n",
			       list->cams[i].name, (unsigned long long)t.in,
			       (unsigned long long)t.out, (unsigned long long)s.processed,
			       (unsigned long long)s.corrupt, (unsigned long long)s.dropped);
		}
	}
	coord_get_totals(co, -1, &t);
	if (json)
		printf("],\"in\":%llu,\"out\":%llu,\"occupancy\":%lld,\"occupancy_corrections\":%llu}\n",
		       (unsigned long long)t.in, (unsigned long long)t.out, (long long)t.occupancy,
		       (unsigned long long)t.corrections);
	else
		printf("%-16s in %6llu  out %6llu   occupancy %lld (%llu corrections)\n", "site",
		       (unsigned long long)t.in, (unsigned long long)t.out, (long long)t.occupancy,
		       (unsigned long long)t.corrections);
	fflush(stdout);
}

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

/* Waits until every camera is done (with the live view: until the user
 * quits), the duration is up, or SIGINT/SIGTERM comes; handles the other
 * signals; prints a status line a second when asked. Returns the signal,
 * or 0. */
static int supervise(struct camera **cams, const struct camera_list *list, struct coord *co,
		     const sigset_t *sigs, const struct options *o, bool status, struct tui *tui,
		     int events_fd)
{
	const int64_t start = now_ns(CLOCK_MONOTONIC);
	int64_t next_status = start + STATUS_PERIOD_NS;
	const struct timespec tick = {0, POLL_NS};

	for (;;) {
		int sig = sigtimedwait(sigs, NULL, &tick);
		if (sig == SIGHUP && !terminal_gone())
			reopen_events(o->events, events_fd);
		else if (sig == SIGWINCH && tui)
			tui_resize(tui);
		else if (sig == SIGTSTP && tui)
			tui_suspend(tui);
		else if (sig == SIGTSTP)
			kill(getpid(), SIGSTOP);
		else if (sig > 0 && sig != SIGWINCH)
			return sig; /* SIGINT, SIGTERM, or SIGHUP from a hangup */
		bool all_done = true;
		for (int i = 0; i < list->n; i++)
			all_done = all_done && camera_done(cams[i]);
		if (all_done && !tui)
			return 0;
		int64_t now = now_ns(CLOCK_MONOTONIC);
		if (o->duration > 0 && now - start >= (int64_t)(o->duration * 1e9))
			return 0;
		if (tui && tui_poll(tui, now, all_done) == TUI_QUIT)
			return 0;
		if (!tui && status && now >= next_status) {
			print_status(cams, list, co);
			next_status += STATUS_PERIOD_NS;
		}
	}
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
		log_error("camera '%s': its source is still blocked in a read; not waiting for it",
			  list->cams[i].name);
	}
	return nstuck;
}

int main(int argc, char **argv)
{
	struct options o = {.line = LINE_DEFAULT, .detect_width = DEFAULT_DETECT_WIDTH};
	struct camera_list list = {0};
	struct camera **cams = NULL;
	struct coord *co = NULL;
	FILE *events = NULL;
	struct coord_camera *ccams = NULL;
	struct journal *journal = NULL;
	struct tui *tui = NULL;
	bool *stuck = NULL;
	int nstuck = 0, events_fd = -1, nopen = 0;
	int status = EXIT_FAILURE;
	sigset_t sigs;
	char err[512];

	int rc = parse_args(argc, argv, &o, &list);
	if (rc) {
		config_free(&list);
		return rc;
	}

	/* Workers inherit this mask, so only main's sigtimedwait sees the signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGWINCH);
	sigaddset(&sigs, SIGTSTP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	cams = calloc((size_t)list.n, sizeof(*cams));
	ccams = calloc((size_t)list.n, sizeof(*ccams));
	stuck = calloc((size_t)list.n, sizeof(*stuck));
	if (!cams || !ccams || !stuck) {
		log_error("out of memory");
		goto out;
	}
	if (o.events) {
		events = strcmp(o.events, "-") == 0 ? stdout : fopen(o.events, "a");
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
		if (journal_open(&jc, &journal, err, sizeof(err))) {
			log_error("%s", err);
			goto out;
		}
	}
	rc = coord_create_journaled(list.n, ccams, events, journal, &co);
	if (rc) {
		log_error("cannot start the coordinator: %s", strerror(-rc));
		goto out;
	}
	for (int i = 0; i < list.n; i++) {
		struct camera_opts co_opts = {
			.index = i,
			.cfg = &list.cams[i],
			.coord = co,
			.realtime = o.realtime,
			.max_frames = o.max_frames,
			.detect_width = o.detect_width,
			.ring_slots = DEFAULT_RING_SLOTS,
		};
		if (camera_open(&co_opts, &cams[i], err, sizeof(err)) == 0) {
			nopen++;
			continue;
		}
		/* One bad source (missing, unreadable, absurd header) is its
		 * camera's error, not the site's: the others count, the run
		 * exits 1 at the end, and the camera shows in the error state. */
		log_error("%s", err);
		cams[i] = camera_failed(&co_opts);
		if (!cams[i]) {
			log_error("out of memory");
			goto out;
		}
	}
	if (nopen == 0)
		goto out;       /* nothing to count: each reason is logged */
	for (int i = 0; i < list.n; i++) {
		rc = camera_start(cams[i]);
		if (rc) {
			log_error("camera '%s': cannot start threads: %s", list.cams[i].name,
				  strerror(-rc));
			goto out;
		}
	}

	bool quiet = o.json || (o.events && strcmp(o.events, "-") == 0);
	if (!quiet && !o.no_tui && isatty(STDOUT_FILENO)) {
		bool stdin_camera = false;
		for (int i = 0; i < list.n; i++)
			stdin_camera = stdin_camera || strcmp(list.cams[i].source, "-") == 0;
		struct tui_config tc = {
			.list = &list,
			.cams = cams,
			.coord = co,
			.journal = journal,
			.state_dir = list.global.state[0] ? list.global.state : NULL,
			.stdin_is_camera = stdin_camera,
		};
		/* No terminal to read keys from: the status lines instead. */
		tui_open(&tc, &tui);
	}
	int sig = supervise(cams, &list, co, &sigs, &o, !quiet, tui, events_fd);
	tui_close(tui);
	tui = NULL;
	arm_exit_now();
	if (sig)
		fprintf(stderr, "turnstile: %s, finishing\n", strsignal(sig));
	for (int i = 0; i < list.n; i++)
		camera_stop(cams[i]);
	nstuck = drain_cameras(cams, &list, stuck);
	/* Journals, counts and snapshots what the cameras posted. */
	coord_stop(co);

	status = EXIT_SUCCESS;
	for (int i = 0; i < list.n; i++) {
		struct camera_stats s;
		camera_get_stats(cams[i], &s);
		if (s.state == CAMERA_ERROR)
			status = EXIT_FAILURE;
	}
	print_summary(cams, &list, co, o.json);
out:
	tui_close(tui);
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
	if (events && events != stdout)
		fclose(events);
	free(cams);
	free(ccams);
	free(stuck);
	config_free(&list);
	return status;
}
