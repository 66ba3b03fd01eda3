/* The MQTT publisher; mqtt.h has the rules, docs/mqtt.md the topics.
 *
 * Owns: the connection, the journal reader (or the RAM queue), the window
 * of unacknowledged events and the acked sequence number. The mutex guards
 * what the coordinator (append, commit, tick), libmosquitto's thread
 * (connected, published, message) and mqtt-pub share; the reader, the
 * last published totals and every libmosquitto call belong to mqtt-pub.
 *
 * Why nothing is lost: an event is only published once the journal has
 * synced it; "acked" moves only over a run of PUBACKs with no gap, and is
 * saved after they came; every (re)connect starts publishing again at
 * acked + 1. Why nothing is doubled for a consumer: each event carries
 * (node, seq) and prev (the seq before it in the journal), so repeats and
 * gaps show. */
#include "mqtt.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal_codec.h"
#include "journal_tail.h"
#include "json.h"
#include "mqtt_conn.h"
#include "util.h"

#define PAYLOAD_MAX 1024
#define TOPIC_MAX 256
#define MEMQ_SIZE 1024           /* events held in RAM without a state directory */
#define ORPHANS 256              /* PUBACKs that came before their mid was noted */
#define ACK_SAVE_NS 200000000LL
#define WAKE_NS 100000000LL
/* At exit, with the broker connected: give up waiting for PUBACKs only
 * when none has come for this long. A bound on the whole wait would cut a
 * slow but working broker short (a loaded machine, TLS under sanitizers:
 * more than 3 s for a handful of events was seen); a broker that stopped
 * answering is caught by this, or by the keepalive (1.5 x 10 s). */
#define CLOSE_STALL_NS 10000000000LL
#define ACKED_FILE "mqtt-acked"

enum stat_kind { STAT_IN, STAT_OUT, STAT_OCC };

/* One retained number: the node's, a camera's or a line's in, out or
 * occupancy. */
struct stat_topic {
	char topic[TOPIC_MAX];
	int cam;   /* -1: the node */
	int line;  /* -1: the camera (or node) itself */
	enum stat_kind kind;
	int64_t last;  /* last published value; -1: none since connecting */
};

struct inflight {
	uint64_t seq;
	int mid;
	bool acked;
};

struct memq_ent {
	uint64_t seq;
	int64_t prev;
	int len;
	char payload[PAYLOAD_MAX];
};

struct mqtt {
	struct mqtt_conn *conn;
	char node[JOURNAL_NAME_MAX + 1];
	char url[512];
	char *state_dir;
	int ncameras;
	int *nlines;
	char (*names)[JOURNAL_NAME_MAX + 1];
	char (*line_names)[JOURNAL_NAME_MAX + 1];  /* TURNSTILE_MAX_LINES per camera */
	struct stat_topic *stats;
	int nstats;
	char events_topic[TOPIC_MAX], status_topic[TOPIC_MAX], resend_topic[TOPIC_MAX];
	int ackfd_dir;

	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* under lock */
	bool stop, connected;
	unsigned gen;              /* connects so far */
	int64_t pending, committed; /* highest seq appended / committed; -1: none */
	int64_t resend;            /* a resend request's first seq; -1: none */
	struct inflight win[MQTT_WINDOW];
	int whead, wcount;
	int orphans[ORPHANS];
	int norphans;
	int64_t acked;             /* every seq <= acked was acknowledged */
	struct tally totals;
	bool have_totals;
	struct memq_ent *mq;       /* MEMQ_SIZE, without a state directory */
	int mq_head, mq_count;
	int64_t mq_prev;
	uint64_t dropped;
	/* mqtt-pub only */
	struct journal_tail *tail;
	uint64_t next;             /* the next seq to publish */
	int64_t saved_acked;
	int64_t last_save_ns;
	struct tally shown;        /* totals copied out for publishing */
	char payload[PAYLOAD_MAX];
};

/* The JSON of an event for MQTT: base (json_event's object without its
 * closing brace) plus node and prev. Returns its length or -1. */
static int finish_payload(char *out, size_t size, const char *base, size_t blen,
			  const char *node, int64_t prev)
{
	char p[24];
	int n;

	if (prev < 0)
		snprintf(p, sizeof(p), "null");
	else
		snprintf(p, sizeof(p), "%" PRId64, prev);
	n = snprintf(out, size, "%.*s,\"node\":\"%s\",\"prev\":%s}", (int)blen, base, node, p);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

/* ---- the acked sequence number, in the state directory ---- */

static int64_t load_acked(struct mqtt *m)
{
	char path[PATH_MAX], url[600] = "", line[600];
	long long acked = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", m->state_dir, ACKED_FILE);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "url ", 4) == 0) {
			snprintf(url, sizeof(url), "%s", line + 4);
			url[strcspn(url, "\n")] = '\0';
		} else if (sscanf(line, "acked %lld", &acked) != 1) {
			acked = -1;
			break;
		}
	}
	fclose(f);
	/* Acknowledged by another broker: this one has seen nothing. */
	if (strcmp(url, m->url) != 0)
		return -1;
	return acked;
}

/* tmp, fsync, rename: the file always holds one whole value. */
static int save_acked(struct mqtt *m, int64_t acked)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], buf[700];
	int fd, n, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", m->state_dir, ACKED_FILE);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	n = snprintf(buf, sizeof(buf), "url %s\nacked %" PRId64 "\n", m->url, acked);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n || fsync(fd) < 0)
		rc = errno ? -errno : -EIO;
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	return rc;
}

/* ---- the source of events: the journal, or the RAM queue ---- */

static int source_seek(struct mqtt *m, uint64_t from)
{
	m->next = from;
	return m->tail ? journal_tail_seek(m->tail, from) : 0;
}

/* The event at the position into m->payload. Returns its length (> 0), 0
 * when there is none yet (or it is not committed), or -errno. */
static int source_peek(struct mqtt *m, uint64_t *seq)
{
	int n = 0;

	if (m->tail) {
		const char *line, *crc;
		size_t len;
		int64_t prev, committed;

		mutex_lock(&m->lock);
		committed = m->committed;
		mutex_unlock(&m->lock);
		if (committed < 0 || (uint64_t)committed < m->next)
			return 0;
		n = journal_tail_peek(m->tail, &line, &len, seq, &prev);
		if (n <= 0)
			return n;
		if ((int64_t)*seq > committed)
			return 0; /* written, not synced yet */
		crc = strstr(line, ",\"crc\":\"");
		n = crc ? finish_payload(m->payload, sizeof(m->payload), line,
					 (size_t)(crc - line), m->node, prev) : -1;
		return n < 0 ? -EOVERFLOW : n;
	}
	mutex_lock(&m->lock);
	for (int i = 0; i < m->mq_count; i++) {
		const struct memq_ent *e = &m->mq[(m->mq_head + i) % MEMQ_SIZE];
		if (e->seq >= m->next) {
			memcpy(m->payload, e->payload, (size_t)e->len);
			*seq = e->seq;
			n = e->len;
			break;
		}
	}
	mutex_unlock(&m->lock);
	return n;
}

static void source_next(struct mqtt *m, uint64_t seq)
{
	if (m->tail)
		journal_tail_next(m->tail);
	m->next = seq + 1;
}

/* ---- the window of unacknowledged events ---- */

/* Under lock. Moves acked over the acknowledged head of the window, and
 * drops what the RAM queue no longer needs. */
static void advance_acked(struct mqtt *m)
{
	while (m->wcount && m->win[m->whead].acked) {
		m->acked = (int64_t)m->win[m->whead].seq;
		m->whead = (m->whead + 1) % MQTT_WINDOW;
		m->wcount--;
	}
	while (m->mq && m->mq_count && (int64_t)m->mq[m->mq_head].seq <= m->acked) {
		m->mq_head = (m->mq_head + 1) % MEMQ_SIZE;
		m->mq_count--;
	}
}

/* Under lock. */
static bool take_orphan(struct mqtt *m, int mid)
{
	for (int i = 0; i < m->norphans; i++)
		if (m->orphans[i] == mid) {
			m->orphans[i] = m->orphans[--m->norphans];
			return true;
		}
	return false;
}

/* Under lock: forget the window (its PUBACKs, if any come, are ignored). */
static void reset_window(struct mqtt *m)
{
	m->whead = m->wcount = 0;
	m->norphans = 0;
}

/* ---- libmosquitto's thread ---- */

static void on_connected(void *ctx)
{
	struct mqtt *m = ctx;

	mutex_lock(&m->lock);
	m->connected = true;
	m->gen++;
	pthread_cond_signal(&m->cond);
	mutex_unlock(&m->lock);
}

static void on_disconnected(void *ctx)
{
	struct mqtt *m = ctx;

	mutex_lock(&m->lock);
	m->connected = false;
	mutex_unlock(&m->lock);
}

static void on_published(void *ctx, int mid)
{
	struct mqtt *m = ctx;
	bool found = false;

	mutex_lock(&m->lock);
	for (int i = 0; i < m->wcount; i++) {
		struct inflight *f = &m->win[(m->whead + i) % MQTT_WINDOW];
		if (f->mid == mid && !f->acked) {
			f->acked = true;
			found = true;
			break;
		}
	}
	if (!found) {
		/* Before mqtt-pub noted the mid, or a retained number's. */
		if (m->norphans < ORPHANS)
			m->orphans[m->norphans++] = mid;
	}
	advance_acked(m);
	pthread_cond_signal(&m->cond);
	mutex_unlock(&m->lock);
}

static void on_message(void *ctx, const char *topic, const void *payload, int len)
{
	struct mqtt *m = ctx;
	char buf[32];
	char *end;
	unsigned long long from;

	if (strcmp(topic, m->resend_topic) != 0 || len <= 0 || len >= (int)sizeof(buf))
		return;
	memcpy(buf, payload, (size_t)len);
	buf[len] = '\0';
	errno = 0;
	from = strtoull(buf, &end, 10);
	if (errno || end == buf || *end || buf[0] == '-')
		return;
	mutex_lock(&m->lock);
	if (m->resend < 0 || (int64_t)from < m->resend)
		m->resend = (int64_t)from;
	pthread_cond_signal(&m->cond);
	mutex_unlock(&m->lock);
}

/* ---- mqtt-pub ---- */

static void discovery_id(char *buf, size_t size, const struct mqtt *m, const struct stat_topic *s)
{
	static const char *kinds[] = {"in", "out", "occupancy"};
	size_t n;

	if (s->cam < 0)
		n = (size_t)snprintf(buf, size, "turnstile_%s_%s", m->node, kinds[s->kind]);
	else if (s->line < 0)
		n = (size_t)snprintf(buf, size, "turnstile_%s_%s_%s", m->node, m->names[s->cam],
				     kinds[s->kind]);
	else
		n = (size_t)snprintf(buf, size, "turnstile_%s_%s_%s_%s", m->node, m->names[s->cam],
				     m->line_names[s->cam * TURNSTILE_MAX_LINES + s->line],
				     kinds[s->kind]);
	/* Home Assistant's object ids: [a-zA-Z0-9_-]. */
	for (size_t i = 0; i < n && i < size; i++)
		if (buf[i] == '.')
			buf[i] = '_';
}

/* Retained Home Assistant discovery configs: one sensor per number, all
 * under the node's device. */
static void publish_discovery(struct mqtt *m)
{
	static const char *kinds[] = {"in", "out", "occupancy"};
	char id[TOPIC_MAX], topic[TOPIC_MAX + 64], name[200];
	char *buf = m->payload;

	for (int i = 0; i < m->nstats; i++) {
		const struct stat_topic *s = &m->stats[i];
		int n;

		discovery_id(id, sizeof(id), m, s);
		if (s->cam < 0)
			snprintf(name, sizeof(name), "%s", kinds[s->kind]);
		else if (s->line < 0)
			snprintf(name, sizeof(name), "%s %s", m->names[s->cam], kinds[s->kind]);
		else
			snprintf(name, sizeof(name), "%s %s %s", m->names[s->cam],
				 m->line_names[s->cam * TURNSTILE_MAX_LINES + s->line], kinds[s->kind]);
		snprintf(topic, sizeof(topic), MQTT_DISCOVERY_ROOT "/sensor/%s/config", id);
		n = snprintf(buf, PAYLOAD_MAX,
			     "{\"name\":\"%s\",\"unique_id\":\"%s\",\"object_id\":\"%s\","
			     "\"state_topic\":\"%s\",\"state_class\":\"%s\",\"icon\":\"%s\","
			     "\"availability_topic\":\"%s\",\"payload_available\":\"online\","
			     "\"payload_not_available\":\"offline\",\"device\":{\"identifiers\":"
			     "[\"turnstile_%s\"],\"name\":\"turnstile %s\",\"manufacturer\":\"turnstile\","
			     "\"model\":\"line counter\",\"sw_version\":\"%s\"}}",
			     name, id, id, s->topic,
			     s->kind == STAT_OCC ? "measurement" : "total_increasing",
			     s->kind == STAT_IN ? "mdi:login" : s->kind == STAT_OUT ? "mdi:logout"
										    : "mdi:account-group",
			     m->status_topic, m->node, m->node, TURNSTILE_VERSION);
		if (n > 0 && n < PAYLOAD_MAX)
			mqtt_conn_publish(m->conn, topic, buf, n, 1, true, NULL);
	}
}

static int64_t stat_value(const struct tally *t, const struct stat_topic *s)
{
	struct totals v = s->line >= 0 ? tally_get_line(t, s->cam, s->line) : tally_get(t, s->cam);

	return s->kind == STAT_IN ? (int64_t)v.in : s->kind == STAT_OUT ? (int64_t)v.out
									   : v.occupancy;
}

/* The retained numbers that changed since they were last published. */
static void publish_totals(struct mqtt *m)
{
	char num[24];

	mutex_lock(&m->lock);
	if (!m->have_totals) {
		mutex_unlock(&m->lock);
		return;
	}
	tally_copy(&m->shown, &m->totals);
	mutex_unlock(&m->lock);
	for (int i = 0; i < m->nstats; i++) {
		struct stat_topic *s = &m->stats[i];
		int64_t v = stat_value(&m->shown, s);
		int n;

		if (v == s->last)
			continue;
		n = snprintf(num, sizeof(num), "%" PRId64, v);
		/* QoS 0: libmosquitto resends an unacknowledged QoS 1 message
		 * after the CONNACK, behind what the connect callback has
		 * already published, so an old number would overwrite the
		 * retained new one; every (re)connect publishes them all
		 * again anyway. */
		if (mqtt_conn_publish(m->conn, s->topic, num, n, 0, true, NULL) == 0)
			s->last = v;
	}
}

/* Publishes events from the position while the window has room. */
static void publish_events(struct mqtt *m)
{
	for (;;) {
		uint64_t seq;
		int mid = 0, n, rc;
		bool acked;

		mutex_lock(&m->lock);
		bool room = m->connected && m->wcount < MQTT_WINDOW;
		/* An orphan from before this publish is someone else's (a
		 * retained number's), and mids wrap at 65535: forget them, so
		 * only a PUBACK that beats the noting of its mid is matched. */
		m->norphans = 0;
		mutex_unlock(&m->lock);
		if (!room)
			return;
		n = source_peek(m, &seq);
		if (n < 0) {
			log_error("mqtt: cannot read the journal in '%s': %s", m->state_dir,
				  strerror(-n));
			return;
		}
		if (n == 0)
			return;
		rc = mqtt_conn_publish(m->conn, m->events_topic, m->payload, n, 1, false, &mid);
		if (rc)
			return; /* the reconnect starts again from acked + 1 */
		mutex_lock(&m->lock);
		acked = take_orphan(m, mid);
		m->win[(m->whead + m->wcount) % MQTT_WINDOW] =
			(struct inflight){.seq = seq, .mid = mid, .acked = acked};
		m->wcount++;
		advance_acked(m);
		mutex_unlock(&m->lock);
		source_next(m, seq);
	}
}

static void *publisher(void *arg)
{
	struct mqtt *m = arg;
	unsigned seen_gen = 0;
	int64_t stall_at = 0, progress = -1;
	bool gone = false, save_failed = false;

	pthread_setname_np(pthread_self(), "mqtt-pub");
	mutex_lock(&m->lock);
	for (;;) {
		bool hello = false, seek = false, done;
		uint64_t from = 0;

		if (m->gen != seen_gen) {
			/* A new connection: everything after acked again. */
			seen_gen = m->gen;
			reset_window(m);
			hello = true;
			seek = true;
			from = (uint64_t)(m->acked + 1);
		}
		if (m->resend >= 0) {
			/* Only backwards, and never past what is unacknowledged. */
			if ((uint64_t)m->resend < m->next || seek) {
				from = (uint64_t)(m->resend < m->acked + 1 ? m->resend : m->acked + 1);
				seek = true;
				reset_window(m);
			}
			m->resend = -1;
		}
		mutex_unlock(&m->lock);

		if (seek) {
			int rc = source_seek(m, from);
			if (rc < 0)
				log_error("mqtt: cannot read the journal in '%s': %s", m->state_dir,
					  strerror(-rc));
		}
		if (hello) {
			for (int i = 0; i < m->nstats; i++)
				m->stats[i].last = -1;
			mqtt_conn_subscribe(m->conn, m->resend_topic, 1);
			mqtt_conn_publish(m->conn, m->status_topic, "online", 6, 1, true, NULL);
			publish_discovery(m);
		}
		publish_events(m);
		publish_totals(m);

		/* Asked before taking the lock: the connection's own lock is
		 * never held inside ours. */
		gone = mqtt_conn_failing(m->conn);
		mutex_lock(&m->lock);
		int64_t now = now_ns(CLOCK_MONOTONIC);
		if (m->state_dir && m->acked != m->saved_acked &&
		    ((m->stop && !save_failed) || now - m->last_save_ns >= ACK_SAVE_NS)) {
			int64_t acked = m->acked;
			mutex_unlock(&m->lock);
			int rc = save_acked(m, acked);
			save_failed = rc < 0;
			if (rc < 0)
				log_error("mqtt: cannot write '%s/%s': %s", m->state_dir, ACKED_FILE,
					  strerror(-rc));
			else
				m->saved_acked = acked;
			m->last_save_ns = now;
			mutex_lock(&m->lock);
		}
		/* Finished when every committed event is acknowledged and that
		 * is saved (or cannot be: logged above); or at once when the
		 * broker is out of reach (the journal keeps the rest for the
		 * next start, and a stop must stay prompt); or when a connected
		 * broker has acknowledged nothing for CLOSE_STALL_NS. Before the
		 * first connect has had its answer, neither: that wait too is
		 * bounded by the stall. */
		if (m->stop && (!stall_at || m->acked != progress)) {
			stall_at = now + CLOSE_STALL_NS;
			progress = m->acked;
		}
		done = m->stop && ((m->acked >= m->committed &&
				    (!m->state_dir || m->saved_acked == m->acked || save_failed)) ||
				   (!m->connected && gone) || now >= stall_at);
		if (done && now >= stall_at && m->acked < m->committed)
			log_error("mqtt '%s': at exit, seq %" PRId64 " to %" PRId64 " not acknowledged "
				  "after %d s without progress%s", m->url, m->acked + 1, m->committed,
				  (int)(CLOSE_STALL_NS / 1000000000LL),
				  m->state_dir ? " (published again at the next start)" : "");
		if (done)
			break;
		cond_timedwait_ns(&m->cond, &m->lock, WAKE_NS);
	}
	mutex_unlock(&m->lock);
	return NULL;
}

/* ---- the coordinator's sink ---- */

static int sink_append(void *ctx, const struct event *ev, uint64_t seq)
{
	struct mqtt *m = ctx;
	char base[PAYLOAD_MAX];
	struct memq_ent *e;
	int n;

	if (!m->mq) {
		mutex_lock(&m->lock);
		m->pending = (int64_t)seq;
		mutex_unlock(&m->lock);
		return 0;
	}
	if (ev->camera < 0 || ev->camera >= m->ncameras || ev->line < 0 ||
	    ev->line >= m->nlines[ev->camera])
		return -EINVAL;
	n = json_event(base, sizeof(base), ev, seq, m->names[ev->camera],
		       m->line_names[ev->camera * TURNSTILE_MAX_LINES + ev->line]);
	if (n < 0)
		return -EOVERFLOW;
	mutex_lock(&m->lock);
	if (m->mq_count == MEMQ_SIZE) {
		/* Full: the oldest unacknowledged event goes. */
		if (m->dropped++ == 0)
			log_error("mqtt '%s': broker away too long, events are being dropped (run "
				  "with --state to keep them)", m->url);
		m->mq_head = (m->mq_head + 1) % MEMQ_SIZE;
		m->mq_count--;
	}
	e = &m->mq[(m->mq_head + m->mq_count) % MEMQ_SIZE];
	n = finish_payload(e->payload, sizeof(e->payload), base, (size_t)n, m->node, m->mq_prev);
	if (n > 0) {
		e->seq = seq;
		e->prev = m->mq_prev;
		e->len = n;
		m->mq_count++;
		m->mq_prev = (int64_t)seq;
		m->pending = m->committed = (int64_t)seq;
		pthread_cond_signal(&m->cond);
	}
	mutex_unlock(&m->lock);
	return n > 0 ? 0 : -EOVERFLOW;
}

static int sink_commit(void *ctx)
{
	struct mqtt *m = ctx;

	mutex_lock(&m->lock);
	/* The journal (the sink before this one) has synced these. */
	m->committed = m->pending;
	pthread_cond_signal(&m->cond);
	mutex_unlock(&m->lock);
	return 0;
}

static int sink_tick(void *ctx, const struct tally *t)
{
	struct mqtt *m = ctx;

	mutex_lock(&m->lock);
	tally_copy(&m->totals, t);
	m->have_totals = true;
	mutex_unlock(&m->lock);
	return 0;
}

static void sink_close(void *ctx, const struct tally *t)
{
	sink_tick(ctx, t);
}

static const struct event_sink_ops mqtt_sink_ops = {
	.append = sink_append,
	.commit = sink_commit,
	.tick = sink_tick,
	.close = sink_close,
};

struct event_sink mqtt_sink(struct mqtt *m)
{
	return (struct event_sink){.ops = &mqtt_sink_ops, .ctx = m, .durable = false};
}

/* ---- open and close ---- */

static void free_mqtt(struct mqtt *m)
{
	journal_tail_close(m->tail);
	tally_free(&m->totals);
	tally_free(&m->shown);
	free(m->mq);
	free(m->stats);
	free(m->names);
	free(m->line_names);
	free(m->nlines);
	free(m->state_dir);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void mqtt_close(struct mqtt *m)
{
	if (!m)
		return;
	if (m->started) {
		mutex_lock(&m->lock);
		m->stop = true;
		pthread_cond_signal(&m->cond);
		mutex_unlock(&m->lock);
		pthread_join(m->thread, NULL);
	}
	mqtt_conn_close(m->conn, m->status_topic, "offline");
	free_mqtt(m);
}

static int add_stat(struct mqtt *m, int cam, int line, enum stat_kind kind)
{
	static const char *kinds[] = {"in", "out", "occupancy"};
	struct stat_topic *s = &m->stats[m->nstats++];

	s->cam = cam;
	s->line = line;
	s->kind = kind;
	s->last = -1;
	if (cam < 0)
		snprintf(s->topic, sizeof(s->topic), MQTT_TOPIC_ROOT "/%s/%s", m->node, kinds[kind]);
	else if (line < 0)
		snprintf(s->topic, sizeof(s->topic), MQTT_TOPIC_ROOT "/%s/%s/%s", m->node,
			 m->names[cam], kinds[kind]);
	else
		snprintf(s->topic, sizeof(s->topic), MQTT_TOPIC_ROOT "/%s/%s/%s/%s", m->node,
			 m->names[cam], m->line_names[cam * TURNSTILE_MAX_LINES + line], kinds[kind]);
	return 0;
}

int mqtt_open(const struct mqtt_config *cfg, struct mqtt **out, char *err, size_t errlen)
{
	static const struct mqtt_conn_ops ops = {
		.connected = on_connected,
		.disconnected = on_disconnected,
		.published = on_published,
		.message = on_message,
	};
	struct mqtt_url u;
	struct mqtt *m;
	char client_id[JOURNAL_NAME_MAX + 16], will[TOPIC_MAX];
	int rc, nstats = 3;

	*out = NULL;
	rc = mqtt_url_parse(cfg->url, &u, err, errlen);
	if (rc)
		return rc;
	if (!journal_codec_name_ok(cfg->node) || strcmp(cfg->node, "site") == 0) {
		/* "site" is the aggregator's (turnstile/site/...). */
		snprintf(err, errlen, "mqtt: node name '%s' is not 1 to %d of A-Z a-z 0-9 . _ -, "
			 "or is 'site' (set --node or node=)", cfg->node, JOURNAL_NAME_MAX);
		return -EINVAL;
	}
	for (int i = 0; i < cfg->ncameras; i++) {
		bool ok = journal_codec_name_ok(cfg->cams[i].name);
		for (int l = 0; ok && l < cfg->cams[i].nlines; l++)
			ok = journal_codec_name_ok(cfg->cams[i].line_names[l]);
		if (!ok) {
			snprintf(err, errlen, "mqtt: camera '%s' or one of its lines has a name an MQTT "
				 "topic cannot hold (1 to %d of A-Z a-z 0-9 . _ -)", cfg->cams[i].name,
				 JOURNAL_NAME_MAX);
			return -EINVAL;
		}
		nstats += 3 + 2 * cfg->cams[i].nlines;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		goto nomem;
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		goto nomem;
	}
	if (cond_init_monotonic(&m->cond) != 0) {
		pthread_mutex_destroy(&m->lock);
		free(m);
		goto nomem;
	}
	snprintf(m->node, sizeof(m->node), "%s", cfg->node);
	snprintf(m->url, sizeof(m->url), "%s", cfg->url);
	m->pending = m->committed = m->resend = m->acked = m->mq_prev = -1;
	m->ncameras = cfg->ncameras;
	m->nlines = calloc((size_t)cfg->ncameras + 1, sizeof(*m->nlines));
	m->names = calloc((size_t)cfg->ncameras + 1, sizeof(*m->names));
	m->line_names = calloc((size_t)cfg->ncameras * TURNSTILE_MAX_LINES + 1,
			       sizeof(*m->line_names));
	m->stats = calloc((size_t)nstats, sizeof(*m->stats));
	if (!m->nlines || !m->names || !m->line_names || !m->stats ||
	    tally_init(&m->totals, cfg->ncameras) < 0 || tally_init(&m->shown, cfg->ncameras) < 0)
		goto fail_nomem;
	for (int i = 0; i < cfg->ncameras; i++) {
		snprintf(m->names[i], sizeof(m->names[i]), "%s", cfg->cams[i].name);
		m->nlines[i] = cfg->cams[i].nlines;
		for (int l = 0; l < cfg->cams[i].nlines; l++)
			snprintf(m->line_names[i * TURNSTILE_MAX_LINES + l], sizeof(m->line_names[0]),
				 "%s", cfg->cams[i].line_names[l]);
	}
	for (int k = STAT_IN; k <= STAT_OCC; k++)
		add_stat(m, -1, -1, (enum stat_kind)k);
	for (int i = 0; i < cfg->ncameras; i++) {
		for (int k = STAT_IN; k <= STAT_OCC; k++)
			add_stat(m, i, -1, (enum stat_kind)k);
		for (int l = 0; l < cfg->cams[i].nlines; l++) {
			add_stat(m, i, l, STAT_IN);
			add_stat(m, i, l, STAT_OUT);
		}
	}
	snprintf(m->events_topic, TOPIC_MAX, MQTT_TOPIC_ROOT "/%s/events", m->node);
	snprintf(m->status_topic, TOPIC_MAX, MQTT_TOPIC_ROOT "/%s/status", m->node);
	snprintf(m->resend_topic, TOPIC_MAX, MQTT_TOPIC_ROOT "/%s/resend", m->node);
	if (cfg->state_dir) {
		m->state_dir = strdup(cfg->state_dir);
		if (!m->state_dir || journal_tail_open(cfg->state_dir, &m->tail) < 0)
			goto fail_nomem;
		m->acked = m->saved_acked = load_acked(m);
	} else {
		m->mq = calloc(MEMQ_SIZE, sizeof(*m->mq));
		if (!m->mq)
			goto fail_nomem;
	}
	m->next = (uint64_t)(m->acked + 1);
	if (m->tail)
		source_seek(m, m->next);

	snprintf(client_id, sizeof(client_id), "turnstile-%s", m->node);
	snprintf(will, sizeof(will), "%s", m->status_topic);
	struct mqtt_conn_config cc = {
		.url = cfg->url,
		.ca_file = cfg->ca_file,
		.password_file = cfg->password_file,
		.client_id = client_id,
		.clean_session = true,
		.will_topic = will,
		.will_payload = "offline",
	};
	rc = mqtt_conn_open(&cc, &ops, m, &m->conn, err, errlen);
	if (rc) {
		free_mqtt(m);
		return rc;
	}
	rc = pthread_create(&m->thread, NULL, publisher, m);
	if (rc) {
		snprintf(err, errlen, "mqtt: cannot start a thread: %s", strerror(rc));
		mqtt_conn_close(m->conn, NULL, NULL);
		free_mqtt(m);
		return -rc;
	}
	m->started = true;
	if (!m->tail)
		log_error("mqtt: no state directory: events not yet acknowledged by the broker are "
			  "lost if turnstile stops, and numbering starts again at each start "
			  "(use --state for at-least-once delivery)");
	*out = m;
	return 0;

fail_nomem:
	free_mqtt(m);
nomem:
	snprintf(err, errlen, "mqtt: out of memory");
	return -ENOMEM;
}
