/* mqtt_feed: a node without cameras, for the MQTT tests and benchmark.
 * It posts synthetic crossings to a coordinator whose sinks are a journal
 * (--state) and the MQTT publisher, exactly as turnstile wires them, so
 * everything after the camera is the real path.
 *
 *   mqtt_feed --mqtt URL --node NAME --state DIR --events N [--rate R]
 *             [--wait SECONDS]
 *     posts N events (R a second; 0: as fast as it can), printing
 *     "rss_kb POSTED KB" every N/10 events, then waits (up to SECONDS,
 *     default 60) until the broker has acknowledged all of them (STATE/
 *     mqtt-acked), and prints "posted N in S s" and "acked N after S s".
 *   mqtt_feed --mqtt URL --listen N
 *     subscribes to every node's events and, once N have come, prints the
 *     delay from an event's time to its arrival here, p50 and p99 (the time
 *     field has millisecond resolution). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coord.h"
#include "journal.h"
#include "json_scan.h"
#include "mqtt.h"
#include "mqtt_conn.h"
#include "util.h"

static long rss_kb(void)
{
	char line[256];
	long kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static long long read_acked(const char *dir)
{
	char path[4096], line[700];
	long long acked = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/mqtt-acked", dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		sscanf(line, "acked %lld", &acked);
	if (f)
		fclose(f);
	return acked;
}

/* ---- --listen ---- */

struct listen {
	pthread_mutex_t lock;
	int64_t *delays;
	long n, want;
};

/* "2026-12-03T13:37:39.070Z" -> ns since the epoch (UTC). */
static int64_t parse_time(const char *s)
{
	struct tm tm = {0};
	int ms = 0;

	if (sscanf(s, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec, &ms) != 7)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000000000 + (int64_t)ms * 1000000;
}

static void on_message(void *ctx, const char *topic, const void *payload, int len)
{
	struct listen *l = ctx;
	char when[40];
	int64_t now = now_ns(CLOCK_REALTIME);

	(void)topic;
	if (!json_scan_string(payload, (size_t)len, "time", when, sizeof(when)))
		return;
	mutex_lock(&l->lock);
	if (l->n < l->want)
		l->delays[l->n++] = now - parse_time(when);
	mutex_unlock(&l->lock);
}

static void on_connected(void *ctx)
{
	(void)ctx;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int listen_main(const char *url, long want)
{
	static const struct mqtt_conn_ops ops = {.message = on_message, .connected = on_connected};
	struct listen l = {.want = want};
	struct mqtt_conn *c;
	char err[512];
	long n = 0;

	pthread_mutex_init(&l.lock, NULL);
	l.delays = calloc((size_t)want, sizeof(*l.delays));
	struct mqtt_conn_config cc = {.url = url, .client_id = "turnstile-bench-listen",
				      .clean_session = true};
	if (!l.delays || mqtt_conn_open(&cc, &ops, &l, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "mqtt_feed: %s\n", err);
		return 1;
	}
	while (mqtt_conn_subscribe(c, MQTT_TOPIC_ROOT "/+/events", 1) != 0)
		usleep(10000);
	printf("listening\n");
	fflush(stdout);
	for (int i = 0; i < 12000 && n < want; i++) {
		usleep(10000);
		mutex_lock(&l.lock);
		n = l.n;
		mutex_unlock(&l.lock);
	}
	mqtt_conn_close(c, NULL, NULL);
	qsort(l.delays, (size_t)n, sizeof(*l.delays), cmp64);
	if (n)
		printf("received %ld delay_ms p50 %.1f p99 %.1f max %.1f\n", n,
		       l.delays[n / 2] / 1e6, l.delays[n * 99 / 100] / 1e6, l.delays[n - 1] / 1e6);
	else
		printf("received 0\n");
	free(l.delays);
	return n == want ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"mqtt", required_argument, NULL, 'm'}, {"node", required_argument, NULL, 'n'},
		{"state", required_argument, NULL, 's'}, {"events", required_argument, NULL, 'e'},
		{"rate", required_argument, NULL, 'r'}, {"wait", required_argument, NULL, 'w'},
		{"listen", required_argument, NULL, 'l'}, {NULL, 0, NULL, 0},
	};
	const char *url = NULL, *node = "feed", *state = NULL;
	long events = 1000, listen_n = 0;
	double rate = 0, wait_s = 60;
	struct coord_camera cam = {.name = "door", .nlines = 1, .line_names = {"main"}};
	struct journal *j = NULL;
	struct mqtt *m = NULL;
	struct coord *co = NULL;
	struct tally resumed = {0};
	struct event_sink sinks[2];
	char err[512];
	int c, status = 1;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': url = optarg; break;
		case 'n': node = optarg; break;
		case 's': state = optarg; break;
		case 'e': events = atol(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 'w': wait_s = atof(optarg); break;
		case 'l': listen_n = atol(optarg); break;
		default: return 2;
		}
	}
	if (!url || (!listen_n && (!state || events <= 0))) {
		fprintf(stderr, "usage: mqtt_feed --mqtt URL (--state DIR --events N [--node NAME] "
			"[--rate R] [--wait S] | --listen N)\n");
		return 2;
	}
	if (listen_n)
		return listen_main(url, listen_n);

	struct journal_config jc = {.dir = state, .ncameras = 1, .cams = &cam};
	if (tally_init(&resumed, 1) < 0 || journal_open(&jc, &resumed, &j, err, sizeof(err))) {
		fprintf(stderr, "mqtt_feed: %s\n", err);
		goto out;
	}
	struct mqtt_config mc = {.url = url, .node = node, .state_dir = state, .ncameras = 1,
				 .cams = &cam};
	if (mqtt_open(&mc, &m, err, sizeof(err))) {
		fprintf(stderr, "mqtt_feed: %s\n", err);
		goto out;
	}
	sinks[0] = journal_sink(j);
	sinks[1] = mqtt_sink(m);
	uint64_t first = journal_next_seq(j);
	struct coord_config cc = {.ncameras = 1, .cams = &cam, .sinks = sinks, .nsinks = 2,
				  .resume = &resumed, .next_seq = first};
	if (coord_create(&cc, &co)) {
		fprintf(stderr, "mqtt_feed: cannot start the coordinator\n");
		goto out;
	}
	const int64_t t0 = now_ns(CLOCK_MONOTONIC);
	for (long i = 0; i < events; i++) {
		struct event e = {.camera = 0, .line = 0, .dir = i % 2 ? DIR_OUT : DIR_IN,
				  .frame = (uint64_t)i, .track = (uint32_t)i,
				  .wall_ns = now_ns(CLOCK_REALTIME)};
		if (rate > 0) {
			int64_t due = t0 + (int64_t)(i / rate * 1e9), now = now_ns(CLOCK_MONOTONIC);
			if (due > now)
				usleep((useconds_t)((due - now) / 1000));
			e.wall_ns = now_ns(CLOCK_REALTIME);
		}
		coord_post(co, &e);
		if ((i + 1) % (events >= 10 ? events / 10 : 1) == 0) {
			printf("rss_kb %ld %ld\n", i + 1, rss_kb());
			fflush(stdout);
		}
	}
	const int64_t t1 = now_ns(CLOCK_MONOTONIC);
	printf("posted %ld in %.3f s\n", events, (t1 - t0) / 1e9);
	fflush(stdout);
	const long long last = (long long)(first + (uint64_t)events - 1);
	while (read_acked(state) < last && now_ns(CLOCK_MONOTONIC) - t1 < (int64_t)(wait_s * 1e9))
		usleep(5000);
	const long long acked = read_acked(state);
	printf("acked %lld after %.3f s (last seq %lld) rss_kb %ld\n", acked,
	       (now_ns(CLOCK_MONOTONIC) - t0) / 1e9, last, rss_kb());
	status = acked == last ? 0 : 1;
out:
	if (co)
		coord_stop(co);
	coord_destroy(co);
	mqtt_close(m);
	journal_close(j);
	tally_free(&resumed);
	return status;
}
