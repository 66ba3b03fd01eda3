/* One connection to an MQTT broker through libmosquitto's threaded loop
 * (mosquitto_loop_start), shared by the node publisher (mqtt.c) and the
 * aggregator: the URL, credentials, TLS, the last will, reconnecting, and
 * logging a broken connection once per change of state. Publishing and
 * subscribing never block on the network: libmosquitto queues the packet
 * and its own thread sends it.
 *
 * URL: mqtt://[user@]host[:port] (1883) or mqtts://[user@]host[:port] (8883,
 * verified against ca_file, else the system's CAs). A password never comes
 * from the command line: password_file's first line, else the environment
 * variable TURNSTILE_MQTT_PASSWORD.
 *
 * Threads: the callbacks run on libmosquitto's thread ("mqtt-loop"); the
 * other calls from any thread. */
#ifndef TURNSTILE_MQTT_CONN_H
#define TURNSTILE_MQTT_CONN_H

#include <stdbool.h>
#include <stddef.h>

#define MQTT_PASSWORD_ENV "TURNSTILE_MQTT_PASSWORD"

struct mqtt_url {
	bool tls;
	char host[256];
	int port;
	char user[128]; /* "" = none */
};

/* Parses url. Returns 0 or -EINVAL with one line in err naming it (a
 * password in it is refused, since the command line is world-readable). */
int mqtt_url_parse(const char *url, struct mqtt_url *out, char *err, size_t errlen);

struct mqtt_conn_ops {
	void (*connected)(void *ctx);    /* CONNACK accepted; subscribe here */
	void (*disconnected)(void *ctx);
	void (*published)(void *ctx, int mid);  /* PUBACK for a QoS 1 publish */
	void (*message)(void *ctx, const char *topic, const void *payload, int len);
};

struct mqtt_conn_config {
	const char *url;
	const char *ca_file;        /* NULL: system CAs (mqtts only) */
	const char *password_file;  /* NULL: MQTT_PASSWORD_ENV, if set */
	const char *client_id;
	bool clean_session;
	const char *will_topic;     /* NULL: no last will; else retained, QoS 1 */
	const char *will_payload;
};

struct mqtt_conn;

/* Creates the client and starts connecting in the background (it keeps
 * retrying, 1 to 4 s apart). Returns 0, or -errno with one line in err
 * naming the URL or file (a bad URL, an unreadable password or CA file). */
int mqtt_conn_open(const struct mqtt_conn_config *cfg, const struct mqtt_conn_ops *ops,
		   void *ctx, struct mqtt_conn **out, char *err, size_t errlen);

/* QoS 0 or 1; *mid (may be NULL) gets the message id the PUBACK will name.
 * Returns 0 or -EIO/-ENOTCONN (not logged: the caller retries after the
 * next connect). */
int mqtt_conn_publish(struct mqtt_conn *c, const char *topic, const void *payload, int len,
		      int qos, bool retain, int *mid);
int mqtt_conn_subscribe(struct mqtt_conn *c, const char *pattern, int qos);

/* Whether the broker is out of reach: the last attempt to connect failed,
 * or the connection was lost, and it has not connected since. False while
 * connected, and before the first attempt has had its answer. */
bool mqtt_conn_failing(struct mqtt_conn *c);

/* Publishes payload to topic (retained) when connected, disconnects
 * cleanly (no last will), stops the thread and frees. NULL is fine. */
void mqtt_conn_close(struct mqtt_conn *c, const char *topic, const char *payload);

#endif
