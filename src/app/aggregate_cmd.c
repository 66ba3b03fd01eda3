/* `turnstile aggregate`: subscribes, with a persistent session (a fixed
 * client id, clean_session false) at QoS 1, to every node's events and
 * status; counts each event once (site.h: the (node, seq, prev) chain);
 * keeps the totals and each node's last seq in the state directory, saved
 * together atomically; publishes the site's totals retained.
 *
 * Why nothing is lost although libmosquitto acknowledges a QoS 1 message
 * as it arrives, before the state is saved: whenever a node comes online
 * (its retained "online" arrives, also right after this process starts),
 * and whenever an event shows a gap, this asks the node to send again
 * from its last seq counted + 1 (topic turnstile/NODE/resend); the node
 * reads its journal from there. So an event acknowledged and then lost
 * with the aggregator's memory comes back on the restart; one counted
 * twice cannot happen, since a repeat is recognised by its seq.
 *
 * What it shows: --json at exit, GET /api/v1/status with --http (the same
 * writer, site_report.h), /metrics and a page (site_http.h), the live view
 * on a terminal (tui.h), or status lines on standard error.
 *
 * Threads: main (the loop: saves, publishes, resend requests, signals, the
 * view) and libmosquitto's (on_message counts), and libmicrohttpd's (they
 * take copies of the site through snapshot). The mutex guards the site,
 * the requests and the figures; it is a leaf. */
#include "aggregate_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_scan.h"
#include "mqtt.h"
#include "mqtt_conn.h"
#include "site.h"
#include "site_http.h"
#include "site_report.h"
#include "site_store.h"
#include "tui.h"
#include "util.h"

#define LOOP_NS 50000000LL
#define SAVE_NS 100000000LL
#define RESEND_GAP_NS 1000000000LL /* a node stuck on a gap is asked again this often */
#define SITE_TOPIC MQTT_TOPIC_ROOT "/site"
#define MAX_REQ 256

struct agg {
	struct mqtt_conn *conn;
	pthread_mutex_t lock;
	struct site site;
	bool dirty, connected, subscribe;
	/* nodes to ask to send again: pending (urgent: at once, else at most
	 * once per RESEND_GAP_NS), and when each was last asked */
	char req[MAX_REQ][SITE_NAME_MAX + 1];
	bool pending[MAX_REQ], urgent[MAX_REQ];
	int64_t asked_at[MAX_REQ];
	int nreq;
	uint64_t bad, received;
};

static void usage(FILE *f)
{
	fputs("Usage: turnstile aggregate --mqtt URL [OPTIONS]\n"
	      "Site totals across hosts: counts every node's events from the broker once,\n"
	      "and publishes the site's totals (turnstile/site/...), retained.\n"
	      "\n"
	      "      --mqtt URL          mqtt://[user@]host[:port] or mqtts://...\n"
	      "      --mqtt-ca FILE      mqtts: the CA certificate(s) to verify the broker\n"
	      "      --mqtt-password-file FILE  the password (else $TURNSTILE_MQTT_PASSWORD)\n"
	      "      --client-id ID      the persistent session's id (default turnstile-aggregate)\n"
	      "      --state DIR         keep the totals there and carry on from them\n"
	      "  -j, --json              print the totals as JSON on stdout at exit\n"
	      "      --http [ADDR:]PORT  serve /api/v1/status (the --json totals), /metrics and\n"
	      "                          a page at / (ADDR defaults to 127.0.0.1)\n"
	      "      --no-tui            no live view on a terminal\n"
	      "      --status-interval S a status line on stderr every S seconds (0: none;\n"
	      "                          default 1 when stderr is a terminal and no view is up)\n"
	      "  -d, --duration SECONDS  stop after SECONDS\n"
	      "  -h, --help              show this help\n",
	      f);
}

/* Under lock: node is to be asked to send again; urgent: at once. */
static void want_resend(struct agg *a, const char *node, bool urgent)
{
	int i;

	for (i = 0; i < a->nreq; i++)
		if (strcmp(a->req[i], node) == 0)
			break;
	if (i == a->nreq) {
		if (a->nreq == MAX_REQ)
			return;
		snprintf(a->req[a->nreq], sizeof(a->req[0]), "%s", node);
		a->asked_at[a->nreq] = INT64_MIN / 2;
		a->pending[a->nreq] = a->urgent[a->nreq] = false;
		a->nreq++;
	}
	a->pending[i] = true;
	a->urgent[i] = a->urgent[i] || urgent;
}

/* "turnstile/NODE/KIND" -> NODE, when KIND matches. */
static bool topic_node(const char *topic, const char *kind, char *node, size_t size)
{
	const char *root = MQTT_TOPIC_ROOT "/", *p, *slash;
	size_t rlen = strlen(root);

	if (strncmp(topic, root, rlen) != 0)
		return false;
	p = topic + rlen;
	slash = strchr(p, '/');
	if (!slash || strcmp(slash + 1, kind) != 0 || (size_t)(slash - p) >= size)
		return false;
	memcpy(node, p, (size_t)(slash - p));
	node[slash - p] = '\0';
	return site_name_ok(node) && strcmp(node, "site") != 0;
}

static void on_message(void *ctx, const char *topic, const void *payload, int len)
{
	struct agg *a = ctx;
	char node[SITE_NAME_MAX + 1], jnode[SITE_NAME_MAX + 1], cam[SITE_NAME_MAX + 1],
		line[SITE_NAME_MAX + 1], dir[8];
	int64_t seq, prev;
	bool is_null;

	if (topic_node(topic, "status", node, sizeof(node))) {
		if (len == 6 && memcmp(payload, "online", 6) == 0) {
			mutex_lock(&a->lock);
			want_resend(a, node, true);
			mutex_unlock(&a->lock);
		}
		return;
	}
	if (!topic_node(topic, "events", node, sizeof(node)))
		return;
	if (len <= 0 || !json_scan_valid(payload, (size_t)len) ||
	    !json_scan_string(payload, (size_t)len, "node", jnode, sizeof(jnode)) ||
	    strcmp(jnode, node) != 0 || !json_scan_int(payload, (size_t)len, "seq", &seq, NULL) ||
	    seq < 0 || !json_scan_int(payload, (size_t)len, "prev", &prev, &is_null) ||
	    !json_scan_string(payload, (size_t)len, "camera", cam, sizeof(cam)) ||
	    !json_scan_string(payload, (size_t)len, "line", line, sizeof(line)) ||
	    !json_scan_string(payload, (size_t)len, "direction", dir, sizeof(dir)) ||
	    (strcmp(dir, "in") != 0 && strcmp(dir, "out") != 0)) {
		mutex_lock(&a->lock);
		if (a->bad++ == 0)
			log_error("aggregate: an event on '%s' is not turnstile's JSON; ignored (and "
				  "any more like it)", topic);
		mutex_unlock(&a->lock);
		return;
	}
	mutex_lock(&a->lock);
	a->received++;
	enum site_result r = site_apply(&a->site, node, (uint64_t)seq, is_null ? -1 : prev, cam, line,
					strcmp(dir, "in") == 0 ? DIR_IN : DIR_OUT);
	if (r == SITE_COUNTED)
		a->dirty = true;
	else if (r == SITE_GAP)
		want_resend(a, node, false);
	mutex_unlock(&a->lock);
}

static void on_connected(void *ctx)
{
	struct agg *a = ctx;

	mutex_lock(&a->lock);
	a->connected = true;
	a->subscribe = true;
	mutex_unlock(&a->lock);
}

static void on_disconnected(void *ctx)
{
	struct agg *a = ctx;

	mutex_lock(&a->lock);
	a->connected = false;
	mutex_unlock(&a->lock);
}

/* site_http's and the view's snapshot: a copy taken under the lock. */
static int snapshot(void *ctx, struct site *copy, struct site_status *st)
{
	struct agg *a = ctx;

	mutex_lock(&a->lock);
	int rc = site_copy(copy, &a->site);
	st->received = a->received;
	st->bad = a->bad;
	st->connected = a->connected;
	mutex_unlock(&a->lock);
	return rc;
}

static void status_line(struct agg *a)
{
	mutex_lock(&a->lock);
	struct totals t = a->site.t;
	int nnodes = a->site.nnodes;
	uint64_t received = a->received, repeats = site_report_repeats(&a->site);
	bool connected = a->connected;
	mutex_unlock(&a->lock);
	fprintf(stderr, "turnstile aggregate: %d node%s  in %" PRIu64 " out %" PRIu64
		" occupancy %" PRId64 " corrections %" PRIu64 "  received %" PRIu64 " repeats %" PRIu64
		"%s\n", nnodes, nnodes == 1 ? "" : "s", t.in, t.out, t.occupancy, t.corrections,
		received, repeats, connected ? "" : "  broker disconnected");
}

static const char *stat_names[] = {"in", "out", "occupancy", "corrections"};

static int64_t stat_of(const struct totals *t, int k)
{
	return k == 0 ? (int64_t)t->in : k == 1 ? (int64_t)t->out
			 : k == 2 ? t->occupancy : (int64_t)t->corrections;
}

/* The site's Home Assistant discovery configs, retained. */
static void publish_discovery(struct agg *a)
{
	char topic[256], buf[1024];

	for (int k = 0; k < 4; k++) {
		int n = snprintf(buf, sizeof(buf),
				 "{\"name\":\"site %s\",\"unique_id\":\"turnstile_site_%s\","
				 "\"object_id\":\"turnstile_site_%s\",\"state_topic\":\"" SITE_TOPIC "/%s\","
				 "\"state_class\":\"%s\",\"availability_topic\":\"" SITE_TOPIC "/status\","
				 "\"device\":{\"identifiers\":[\"turnstile_site\"],\"name\":\"turnstile site\","
				 "\"manufacturer\":\"turnstile\",\"model\":\"site aggregator\","
				 "\"sw_version\":\"%s\"}}",
				 stat_names[k], stat_names[k], stat_names[k], stat_names[k],
				 k == 2 ? "measurement" : "total_increasing", TURNSTILE_VERSION);
		snprintf(topic, sizeof(topic), MQTT_DISCOVERY_ROOT "/sensor/turnstile_site_%s/config",
			 stat_names[k]);
		mqtt_conn_publish(a->conn, topic, buf, n, 1, true, NULL);
	}
}

int aggregate_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"mqtt", required_argument, NULL, 'm'},
		{"mqtt-ca", required_argument, NULL, 'C'},
		{"mqtt-password-file", required_argument, NULL, 'P'},
		{"client-id", required_argument, NULL, 'i'},
		{"state", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"duration", required_argument, NULL, 'd'},
		{"http", required_argument, NULL, 'H'},
		{"no-tui", no_argument, NULL, 'T'},
		{"status-interval", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const struct mqtt_conn_ops ops = {
		.connected = on_connected,
		.disconnected = on_disconnected,
		.message = on_message,
	};
	const char *url = NULL, *ca = NULL, *pwfile = NULL, *state = NULL, *http_listen = NULL;
	const char *client_id = "turnstile-aggregate";
	bool json = false, no_tui = false;
	double duration = 0, every = -1;
	struct agg *a = NULL;
	struct site_http *http = NULL;
	struct tui *tui = NULL;
	struct site_store *store = NULL;
	int64_t published[4] = {-1, -1, -1, -1};
	int status = EXIT_FAILURE, c;
	sigset_t sigs;
	char err[512], *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jd:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': url = optarg; break;
		case 'C': ca = optarg; break;
		case 'P': pwfile = optarg; break;
		case 'i': client_id = optarg; break;
		case 's': state = optarg; break;
		case 'j': json = true; break;
		case 'H': http_listen = optarg; break;
		case 'T': no_tui = true; break;
		case 'S':
			every = strtod(optarg, &end);
			if (end == optarg || *end || !(every >= 0) || every > 86400) {
				fprintf(stderr, "turnstile aggregate: --status-interval: '%s' is not a "
					"number of seconds from 0 to 86400 (try --help)\n", optarg);
				return 2;
			}
			break;
		case 'd':
			duration = strtod(optarg, &end);
			if (end == optarg || *end || !(duration > 0)) {
				fprintf(stderr, "turnstile aggregate: --duration: '%s' is not a positive "
					"number of seconds (try --help)\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			fprintf(stderr, "(try turnstile aggregate --help)\n");
			return 2;
		}
	}
	if (!url || optind != argc) {
		fprintf(stderr, "turnstile aggregate: %s (try --help)\n",
			url ? "no arguments are taken besides options" : "--mqtt URL is needed");
		return 2;
	}

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	/* Taken in the loop too: the view's resize and suspend; without the
	 * view, Ctrl-Z stops the process as usual. */
	sigaddset(&sigs, SIGWINCH);
	sigaddset(&sigs, SIGTSTP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	a = calloc(1, sizeof(*a));
	if (!a || pthread_mutex_init(&a->lock, NULL) != 0) {
		free(a);
		log_error("out of memory");
		return EXIT_FAILURE;
	}
	if (state && site_store_open(state, &a->site, &store, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (state && a->site.nnodes)
		log_error("aggregate: state '%s': resuming %d nodes: in %" PRIu64 " out %" PRIu64
			  " occupancy %" PRId64, state, a->site.nnodes, a->site.t.in, a->site.t.out,
			  a->site.t.occupancy);
	struct mqtt_conn_config cc = {
		.url = url,
		.ca_file = ca,
		.password_file = pwfile,
		.client_id = client_id,
		.clean_session = false,
		.will_topic = SITE_TOPIC "/status",
		.will_payload = "offline",
	};
	if (http_listen) {
		struct site_http_config hc = {.listen = http_listen, .snapshot = snapshot, .ctx = a};
		if (site_http_start(&hc, &http, err, sizeof(err)) < 0) {
			log_error("aggregate: %s", err);
			goto out;
		}
	}
	if (mqtt_conn_open(&cc, &ops, a, &a->conn, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (!no_tui && isatty(STDOUT_FILENO)) {
		struct tui_site_config tc = {
			.broker = url, .state_dir = state, .snapshot = snapshot, .ctx = a,
		};
		/* No terminal to draw on or read keys from: status lines instead. */
		tui_open_site(&tc, &tui);
	}
	if (every < 0)
		every = !tui && isatty(STDERR_FILENO) ? 1.0 : 0.0;
	const int64_t status_ns = tui ? 0 : (int64_t)(every * 1e9);
	int64_t last_status = now_ns(CLOCK_MONOTONIC);

	const int64_t start = now_ns(CLOCK_MONOTONIC);
	int64_t last_save = 0;
	const struct timespec tick = {0, LOOP_NS};
	for (;;) {
		int sig = sigtimedwait(&sigs, NULL, &tick);
		int64_t now = now_ns(CLOCK_MONOTONIC);
		bool quit = false;

		if (sig == SIGWINCH || sig == SIGTSTP) {
			if (tui && sig == SIGWINCH)
				tui_resize(tui);
			else if (tui)
				tui_suspend(tui);
			else if (sig == SIGTSTP)
				kill(getpid(), SIGSTOP); /* Ctrl-Z without the view: stop as usual */
			sig = 0;
		}
		if (tui && tui_poll(tui, now, false) == TUI_QUIT)
			quit = true;
		if (status_ns > 0 && now - last_status >= status_ns) {
			status_line(a);
			last_status = now;
		}
		bool stop = quit || (sig > 0) ||
			    (duration > 0 && now - start >= (int64_t)(duration * 1e9));
		bool subscribe, connected, save;
		char ask[MAX_REQ][SITE_NAME_MAX + 1];
		int64_t from[MAX_REQ];
		int nask = 0;
		struct totals site;

		mutex_lock(&a->lock);
		subscribe = a->subscribe;
		a->subscribe = false;
		connected = a->connected;
		for (int i = 0; connected && i < a->nreq; i++) {
			if (!a->pending[i] || (!a->urgent[i] && now - a->asked_at[i] < RESEND_GAP_NS))
				continue;
			const struct site_node *n = site_node_get(&a->site, a->req[i], false);
			snprintf(ask[nask], sizeof(ask[0]), "%s", a->req[i]);
			from[nask++] = n ? n->last + 1 : 0;
			a->pending[i] = a->urgent[i] = false;
			a->asked_at[i] = now;
		}
		save = store && a->dirty && (stop || now - last_save >= SAVE_NS);
		site = a->site.t;
		mutex_unlock(&a->lock);

		if (subscribe) {
			/* Status first, so a node's "online" asks it to resend. */
			mqtt_conn_subscribe(a->conn, MQTT_TOPIC_ROOT "/+/events", 1);
			mqtt_conn_subscribe(a->conn, MQTT_TOPIC_ROOT "/+/status", 1);
			mqtt_conn_publish(a->conn, SITE_TOPIC "/status", "online", 6, 1, true, NULL);
			publish_discovery(a);
			for (int k = 0; k < 4; k++)
				published[k] = -1;
		}
		for (int i = 0; i < nask; i++) {
			char topic[256], num[24];
			int n = snprintf(num, sizeof(num), "%" PRId64, from[i]);
			snprintf(topic, sizeof(topic), MQTT_TOPIC_ROOT "/%.63s/resend", ask[i]);
			mqtt_conn_publish(a->conn, topic, num, n, 1, false, NULL);
		}
		if (save) {
			/* Under the lock, so the totals and the seqs saved agree;
			 * on_message waits for the fsync. */
			mutex_lock(&a->lock);
			int rc = site_store_save(store, &a->site);
			a->dirty = rc < 0;
			mutex_unlock(&a->lock);
			if (rc < 0)
				log_error("aggregate: state '%s': cannot save: %s", state, strerror(-rc));
			last_save = now;
		}
		for (int k = 0; connected && k < 4; k++) {
			int64_t v = stat_of(&site, k);
			char num[24];
			int n;
			if (v == published[k])
				continue;
			n = snprintf(num, sizeof(num), "%" PRId64, v);
			char topic[128];
			snprintf(topic, sizeof(topic), SITE_TOPIC "/%s", stat_names[k]);
			/* QoS 0, as a node's (mqtt.c: an old QoS 1 resent after
			 * a reconnect would overwrite the retained new one). */
			if (mqtt_conn_publish(a->conn, topic, num, n, 0, true, NULL) == 0)
				published[k] = v;
		}
		if (stop) {
			if (sig > 0)
				fprintf(stderr, "turnstile: %s, finishing\n", strsignal(sig));
			break;
		}
	}
	status = EXIT_SUCCESS;
out:
	tui_close(tui);
	site_http_stop(http);
	if (a) {
		mqtt_conn_close(a->conn, SITE_TOPIC "/status", "offline");
		a->conn = NULL;
		if (store && a->dirty) {
			int rc = site_store_save(store, &a->site);
			if (rc < 0)
				log_error("aggregate: state '%s': cannot save: %s", state, strerror(-rc));
		}
		if (json && status == EXIT_SUCCESS) {
			site_report_json(stdout, &a->site);
			fflush(stdout);
		}
		site_store_close(store);
		site_free(&a->site);
		pthread_mutex_destroy(&a->lock);
		free(a);
	}
	return status;
}
