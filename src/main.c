/* turnstile: counts objects crossing virtual lines in several video sources
 * at once. main owns the command line, the cameras and the coordinator; it
 * takes SIGINT/SIGTERM with sigtimedwait (worker threads block them) and
 * prints the summary after every thread has been joined. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "camera.h"
#include "turnstile/config.h"
#include "turnstile/coord.h"
#include "util.h"

#define EXIT_USAGE 2
#define DEFAULT_DETECT_WIDTH 160
#define DEFAULT_RING_SLOTS 8
#define STATUS_PERIOD_NS 1000000000LL
#define POLL_NS 50000000LL

struct options {
	const char *config;
	const char *events;
	struct line line;
	bool json;
	bool realtime;
	uint64_t max_frames;
	double duration;
	int detect_width;
};

static void usage(FILE *f)
{
	fputs("Usage: turnstile [OPTIONS] SOURCE...\n"
	      "Counts objects crossing a line in each SOURCE (a camera): an MJPEG AVI,\n"
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
	      "  -h, --help              show this help\n"
	      "  -V, --version           show the version\n",
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
		{NULL, 0, NULL, 0},
	};
	int c;
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
					"%s %llu fr in %llu out %llu | ", list->cams[i].name,
					(unsigned long long)s.processed, (unsigned long long)t.in,
					(unsigned long long)t.out);
		if (len >= sizeof(buf))
			break;
	}
	coord_get_totals(co, -1, &t);
	if (len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, "site in %llu out %llu occupancy %lld",
			 (unsigned long long)t.in, (unsigned long long)t.out, (long long)t.occupancy);
	fprintf(stderr, "%s\n", buf);
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
			printf(",\"fps\":%g,\"frames\":%llu,\"dropped\":%llu,\"corrupt\":%llu,"
			       "\"in\":%llu,\"out\":%llu,\"lines\":[",
			       s.fps, (unsigned long long)s.processed, (unsigned long long)s.dropped,
			       (unsigned long long)s.corrupt, (unsigned long long)t.in,
			       (unsigned long long)t.out);
			for (int l = 0; l < list->cams[i].nlines; l++) {
				struct coord_totals lt;
				coord_get_line_totals(co, i, l, &lt);
				printf("%s{\"name\":", l ? "," : "");
				json_write_string(stdout, list->cams[i].lines[l].name);
				printf(",\"in\":%llu,\"out\":%llu}", (unsigned long long)lt.in,
				       (unsigned long long)lt.out);
			}
			fputs("]}", stdout);
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

/* Waits until every camera is done, the duration is up or a signal comes;
 * prints a status line a second when asked. Returns the signal, or 0. */
static int supervise(struct camera **cams, const struct camera_list *list, struct coord *co,
		     const sigset_t *sigs, const struct options *o, bool status)
{
	const int64_t start = now_ns(CLOCK_MONOTONIC);
	int64_t next_status = start + STATUS_PERIOD_NS;
	const struct timespec tick = {0, POLL_NS};

	for (;;) {
		int sig = sigtimedwait(sigs, NULL, &tick);
		if (sig > 0)
			return sig;
		bool all_done = true;
		for (int i = 0; i < list->n; i++)
			all_done = all_done && camera_done(cams[i]);
		if (all_done)
			return 0;
		int64_t now = now_ns(CLOCK_MONOTONIC);
		if (o->duration > 0 && now - start >= (int64_t)(o->duration * 1e9))
			return 0;
		if (status && now >= next_status) {
			print_status(cams, list, co);
			next_status += STATUS_PERIOD_NS;
		}
	}
}

int main(int argc, char **argv)
{
	struct options o = {.line = LINE_DEFAULT, .detect_width = DEFAULT_DETECT_WIDTH};
	struct camera_list list = {0};
	struct camera **cams = NULL;
	struct coord *co = NULL;
	FILE *events = NULL;
	struct coord_camera *ccams = NULL;
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
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	cams = calloc((size_t)list.n, sizeof(*cams));
	ccams = calloc((size_t)list.n, sizeof(*ccams));
	if (!cams || !ccams) {
		log_error("out of memory");
		goto out;
	}
	if (o.events) {
		events = strcmp(o.events, "-") == 0 ? stdout : fopen(o.events, "a");
		if (!events) {
			log_error("cannot open events file '%s': %s", o.events, strerror(errno));
			goto out;
		}
	}
	for (int i = 0; i < list.n; i++) {
		ccams[i].name = list.cams[i].name;
		ccams[i].nlines = list.cams[i].nlines;
		for (int l = 0; l < list.cams[i].nlines; l++)
			ccams[i].line_names[l] = list.cams[i].lines[l].name;
	}
	rc = coord_create(list.n, ccams, events, &co);
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
		if (camera_open(&co_opts, &cams[i], err, sizeof(err))) {
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

	bool quiet = o.json || (o.events && strcmp(o.events, "-") == 0);
	int sig = supervise(cams, &list, co, &sigs, &o, !quiet);
	if (sig)
		fprintf(stderr, "turnstile: %s, finishing\n", strsignal(sig));
	for (int i = 0; i < list.n; i++)
		camera_stop(cams[i]);
	for (int i = 0; i < list.n; i++)
		camera_join(cams[i]);
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
	for (int i = 0; cams && i < list.n; i++)
		camera_close(cams[i]);
	if (co)
		coord_stop(co);
	coord_destroy(co);
	if (events && events != stdout)
		fclose(events);
	free(cams);
	free(ccams);
	config_free(&list);
	return status;
}
