/* The command line; cli.h. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "v4l2_list.h"

/* Long options without a short form. */
enum {
	OPT_STATE = 256, OPT_RESET_AT, OPT_NO_TUI, OPT_STATUS_INTERVAL, OPT_HTTP, OPT_SNAPSHOT,
	OPT_MQTT, OPT_MQTT_CA, OPT_MQTT_PASSWORD_FILE, OPT_NODE
};


static void usage(FILE *f)
{
	fputs("Usage: turnstile [OPTIONS] SOURCE...\n"
	      "Counts objects crossing a line in each SOURCE (a camera): a V4L2 device\n"
	      "(/dev/video0, better a stable /dev/v4l/by-id/... name); a video file\n"
	      "(MJPEG AVI, raw MJPEG, Y4M, or anything FFmpeg reads: MP4, MKV, TS...),\n"
	      "recognised by content; a network camera or stream (rtsp://, http://,\n"
	      "udp://...); '-' is standard input.\n"
	      "\n"
	      "  -c, --config FILE       cameras from an INI file ([camera NAME] source= line=);\n"
	      "                          with no -c and no SOURCE: $XDG_CONFIG_HOME/turnstile/\n"
	      "                          turnstile.ini, else " TURNSTILE_SYSCONFDIR "/turnstile/turnstile.ini\n"
	      "  -l, --line X1,Y1,X2,Y2  counting line A->B in 0..1 coordinates for the\n"
	      "                          cameras on the command line (default 0,0.5,1,0.5);\n"
	      "                          crossing from A->B's left to its right is 'in'\n"
	      "  -e, --events FILE       append one JSON object per crossing ('-' = stdout,\n"
	      "                          which then carries nothing else)\n"
	      "  -j, --json[=FILE]       a JSON summary at exit: on stdout, or on stderr when\n"
	      "                          the events go to stdout; with =FILE, in FILE\n"
	      "  -r, --realtime          replay files at their frame rate\n"
	      "  -n, --frames N          stop each camera after N frames\n"
	      "  -d, --duration SECONDS  stop the whole run after SECONDS\n"
	      "  -w, --detect-width PX   width detection runs at (default 160)\n"
	      "      --state DIR         durable counts in DIR: every event is journaled there\n"
	      "                          first, and a restart carries on from the totals\n"
	      "      --reset-at HH:MM    with --state: new totals every day at HH:MM local time\n"
	      "      --no-tui            status lines on stderr even when stdout is a terminal\n"
	      "  -q, --quiet             log errors and changes of state only: no status\n"
	      "                          lines, no information lines\n"
	      "      --status-interval S a status line on stderr every S seconds (0: none);\n"
	      "                          default 1 when stderr is a terminal, else none\n"
	      "      --http [ADDR:]PORT  serve live pictures, line placement, status and\n"
	      "                          metrics over HTTP (ADDR default 127.0.0.1)\n"
	      "      --snapshot DIR      write DIR/NAME.jpg, the annotated picture of each\n"
	      "                          camera, once a second and at exit\n"
	      "      --mqtt URL          publish events and totals to mqtt://[user@]host[:port]\n"
	      "                          or mqtts://... (docs/mqtt.md); the password from\n"
	      "                          --mqtt-password-file or $TURNSTILE_MQTT_PASSWORD\n"
	      "      --mqtt-ca FILE      mqtts: the CA certificate(s) to verify the broker\n"
	      "      --mqtt-password-file FILE  the MQTT password: the file's first line\n"
	      "      --node NAME         this host's name in MQTT topics (default: host name)\n"
	      "  -h, --help              show this help\n"
	      "  -V, --version           show the version\n"
	      "      --list-cameras      list V4L2 cameras: stable names, formats, sizes, rates\n"
	      "\n"
	      "   or: turnstile aggregate --mqtt URL [--state DIR] [--json] [--http PORT]: site\n"
	      "       totals from every node's events (turnstile aggregate --help)\n",
	      f);
}

/* $XDG_CONFIG_HOME/turnstile/turnstile.ini (~/.config when unset), else
 * SYSCONFDIR/turnstile/turnstile.ini: the first that exists into buf. */
static bool default_config(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n = -1;

	if (xdg && xdg[0] == '/')
		n = snprintf(buf, size, "%s/turnstile/turnstile.ini", xdg);
	else if (home && home[0] == '/')
		n = snprintf(buf, size, "%s/.config/turnstile/turnstile.ini", home);
	if (n > 0 && (size_t)n < size && access(buf, F_OK) == 0)
		return true;
	n = snprintf(buf, size, "%s/turnstile/turnstile.ini", TURNSTILE_SYSCONFDIR);
	return n > 0 && (size_t)n < size && access(buf, F_OK) == 0;
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

int cli_parse(int argc, char **argv, struct cli_options *o, struct camera_list *cams)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"line", required_argument, NULL, 'l'},
		{"events", required_argument, NULL, 'e'},
		{"json", optional_argument, NULL, 'j'},
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
		{"quiet", no_argument, NULL, 'q'},
		{"status-interval", required_argument, NULL, OPT_STATUS_INTERVAL},
		{"http", required_argument, NULL, OPT_HTTP},
		{"snapshot", required_argument, NULL, OPT_SNAPSHOT},
		{"mqtt", required_argument, NULL, OPT_MQTT},
		{"mqtt-ca", required_argument, NULL, OPT_MQTT_CA},
		{"mqtt-password-file", required_argument, NULL, OPT_MQTT_PASSWORD_FILE},
		{"node", required_argument, NULL, OPT_NODE},
		{NULL, 0, NULL, 0},
	};
	int c, minute;
	uint64_t v;
	char *end;

	/* Our own messages, in the one style ("turnstile: ..."), not getopt's
	 * (which names argv[0]); ':' first tells a missing value from an
	 * unknown option. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:l:e:jrn:d:w:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (o->config)
				return usage_error("-c: one config file per run (got '%s' and another)",
						   optarg);
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
			if (optarg && !optarg[0])
				return usage_error("%s", "--json=FILE: the file name is empty");
			o->json_file = optarg;
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
		case 'q':
			o->quiet = true;
			break;
		case OPT_STATUS_INTERVAL:
			o->status_interval = strtod(optarg, &end);
			if (end == optarg || *end || !(o->status_interval >= 0) ||
			    o->status_interval > 86400)
				return usage_error("--status-interval: '%s' is not a number of seconds "
						   "from 0 (none) to 86400", optarg);
			break;
		case OPT_HTTP:
			if (config_parse_http(optarg))
				return usage_error("--http: '%s' is not [ADDR:]PORT (IPv4, port 1-65535)",
						   optarg);
			o->http = optarg;
			break;
		case OPT_SNAPSHOT:
			if (!optarg[0])
				return usage_error("--snapshot: '%s' is not a directory name", optarg);
			o->snapshot = optarg;
			break;
		case OPT_MQTT:
			o->mqtt = optarg;
			break;
		case OPT_MQTT_CA:
			o->mqtt_ca = optarg;
			break;
		case OPT_MQTT_PASSWORD_FILE:
			o->mqtt_password_file = optarg;
			break;
		case OPT_NODE:
			o->node = optarg;
			break;
		case ':':
			return usage_error("%s: needs a value", argv[optind - 1]);
		default: {
			char opt[3] = {'-', (char)optopt, '\0'};
			return usage_error("unknown option '%s'", optopt ? opt : argv[optind - 1]);
		}
		}
	}

	/* No camera named at all: the user's config, else the system's. */
	char found[CONFIG_PATH_MAX];
	if (!o->config && optind == argc && default_config(found, sizeof(found)))
		o->config = found;
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
		return usage_error("%s", "no SOURCE given, and no -c or default config file");
	/* The command line wins over the config's [turnstile] section. */
	if (o->state)
		snprintf(cams->global.state, sizeof(cams->global.state), "%s", o->state);
	if (o->http)
		snprintf(cams->global.http, sizeof(cams->global.http), "%s", o->http);
	if (o->reset_at) {
		config_parse_reset_at(o->reset_at, &cams->global.reset_minute);
		cams->global.daily_reset = true;
	}
	/* Under systemd with StateDirectory=, counts are durable by default. */
	const char *sd = getenv("STATE_DIRECTORY");
	if (!cams->global.state[0] && sd && sd[0]) {
		size_t len = strcspn(sd, ":"); /* several directories: the first */
		if (len < sizeof(cams->global.state))
			snprintf(cams->global.state, sizeof(cams->global.state), "%.*s", (int)len, sd);
	}
	const struct {
		const char *opt, *name;
		char *dst;
		size_t size;
	} strs[] = {
		{o->mqtt, "--mqtt", cams->global.mqtt, sizeof(cams->global.mqtt)},
		{o->mqtt_ca, "--mqtt-ca", cams->global.mqtt_ca, sizeof(cams->global.mqtt_ca)},
		{o->mqtt_password_file, "--mqtt-password-file", cams->global.mqtt_password_file,
		 sizeof(cams->global.mqtt_password_file)},
		{o->node, "--node", cams->global.node, sizeof(cams->global.node)},
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if (!strs[i].opt)
			continue;
		if (!strs[i].opt[0] || strlen(strs[i].opt) >= strs[i].size)
			return usage_error("%s: empty or too long", strs[i].name);
		snprintf(strs[i].dst, strs[i].size, "%s", strs[i].opt);
	}
	if (cams->global.daily_reset && !cams->global.state[0])
		return usage_error("%s", "a daily reset (--reset-at, reset_at=) needs --state or state=");
	return 0;
}
