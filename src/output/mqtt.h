/* Publishing counts to an MQTT broker: every event (the event log's JSON
 * plus "node" and "prev") at QoS 1 in sequence order, retained totals per
 * node, camera and line, availability with a last will, and Home Assistant
 * discovery configs. docs/mqtt.md has the topics and the guarantees.
 *
 * With a state directory the journal is the queue: a thread "mqtt-pub"
 * reads it back from the sequence number after the last one the broker
 * acknowledged (kept in STATE/mqtt-acked, replaced atomically) and keeps at
 * most MQTT_WINDOW events unacknowledged. A reconnect, a restart or a
 * resend request from an aggregator (topic turnstile/NODE/resend) starts it
 * again from there: at least once, in order, in bounded memory. Without a
 * state directory the events wait in a bounded RAM queue; a restart, or an
 * outage longer than the queue, loses them (logged).
 *
 * Threads: mqtt_open and mqtt_close from main; the sink from the
 * coordinator; the rest on mqtt-pub and libmosquitto's thread. Lock order:
 * the mqtt mutex is a leaf (no libmosquitto call is made under it). */
#ifndef TURNSTILE_MQTT_H
#define TURNSTILE_MQTT_H

#include <stddef.h>

#include "coord.h"
#include "sink.h"

#define MQTT_WINDOW 64        /* events published and not yet acknowledged */
#define MQTT_TOPIC_ROOT "turnstile"
#define MQTT_DISCOVERY_ROOT "homeassistant"

struct mqtt_config {
	const char *url;
	const char *ca_file;       /* mqtts: CA file; NULL: the system's */
	const char *password_file; /* NULL: $TURNSTILE_MQTT_PASSWORD */
	const char *node;          /* 1..63 of [A-Za-z0-9._-] */
	const char *state_dir;     /* the journal's directory; NULL: none */
	int ncameras;
	const struct coord_camera *cams;  /* names of 1..63 of [A-Za-z0-9._-] */
};

struct mqtt;

/* Validates the names, starts connecting and the publisher thread.
 * Returns 0, or -errno with one line in err (names the URL, file or name). */
int mqtt_open(const struct mqtt_config *cfg, struct mqtt **out, char *err, size_t errlen);

/* A non-durable sink: after the journal's commit, wakes the publisher. */
struct event_sink mqtt_sink(struct mqtt *m);

/* After coord_stop: waits until every event is acknowledged by the broker
 * (and, with a state directory, that is saved) and the last totals are
 * published; not at all when the broker is out of reach, and no longer
 * than 10 s without a PUBACK while connected. Then publishes "offline",
 * disconnects, frees. NULL is fine. */
void mqtt_close(struct mqtt *m);

#endif
