/* An MQTT connection; mqtt_conn.h. Owns the libmosquitto handle and the
 * "logged" state, guarded by a leaf mutex. */
#include "mqtt_conn.h"

#include <errno.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define KEEPALIVE_S 10

struct mqtt_conn {
	struct mosquitto *mosq;
	struct mqtt_conn_ops ops;
	void *ctx;
	char url[512];
	pthread_mutex_t lock;
	bool up;           /* connected */
	bool failing;      /* a failure was logged since the last connect */
	bool loop_started;
	bool stopping;     /* under lock: mqtt_conn_close was called */
	pthread_t loop;
	struct mqtt_url u;
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
	mosquitto_lib_init();
}

int mqtt_url_parse(const char *url, struct mqtt_url *out, char *err, size_t errlen)
{
	const char *p, *at, *colon, *end;
	size_t hostlen;

	memset(out, 0, sizeof(*out));
	if (strncmp(url, "mqtt://", 7) == 0) {
		p = url + 7;
		out->port = 1883;
	} else if (strncmp(url, "mqtts://", 8) == 0) {
		p = url + 8;
		out->tls = true;
		out->port = 8883;
	} else {
		snprintf(err, errlen, "mqtt: '%s' is not mqtt://[user@]host[:port] or mqtts://...", url);
		return -EINVAL;
	}
	end = p + strcspn(p, "/");
	if (*end && strcmp(end, "/") != 0) {
		snprintf(err, errlen, "mqtt: '%s': no path is allowed after the host", url);
		return -EINVAL;
	}
	at = memchr(p, '@', (size_t)(end - p));
	if (at) {
		size_t ulen = (size_t)(at - p);
		if (memchr(p, ':', ulen)) {
			/* Not echoed: it would end up in logs. */
			snprintf(err, errlen, "mqtt: the URL given has a password in it: none on the "
				 "command line (use a password file or $%s)", MQTT_PASSWORD_ENV);
			return -EINVAL;
		}
		if (ulen == 0 || ulen >= sizeof(out->user)) {
			snprintf(err, errlen, "mqtt: '%s': bad user name", url);
			return -EINVAL;
		}
		memcpy(out->user, p, ulen);
		p = at + 1;
	}
	colon = memchr(p, ':', (size_t)(end - p));
	hostlen = (size_t)((colon ? colon : end) - p);
	if (hostlen == 0 || hostlen >= sizeof(out->host)) {
		snprintf(err, errlen, "mqtt: '%s': no host", url);
		return -EINVAL;
	}
	memcpy(out->host, p, hostlen);
	if (colon) {
		char *e;
		long port = strtol(colon + 1, &e, 10);
		if (e != end || e == colon + 1 || port < 1 || port > 65535) {
			snprintf(err, errlen, "mqtt: '%s': bad port", url);
			return -EINVAL;
		}
		out->port = (int)port;
	}
	return 0;
}

/* Logs one line when the connection goes from working to failing. */
static void note_failure(struct mqtt_conn *c, const char *what)
{
	bool log;

	mutex_lock(&c->lock);
	log = !c->failing;
	c->failing = true;
	c->up = false;
	mutex_unlock(&c->lock);
	if (log)
		log_error("mqtt '%s': %s; retrying, counting goes on", c->url, what);
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
	struct mqtt_conn *c = obj;
	bool was_failing;

	(void)mosq;
	if (rc != 0) {
		note_failure(c, mosquitto_connack_string(rc));
		return;
	}
	mutex_lock(&c->lock);
	was_failing = c->failing;
	c->failing = false;
	c->up = true;
	mutex_unlock(&c->lock);
	if (was_failing)
		log_error("mqtt '%s': connected", c->url);
	if (c->ops.connected)
		c->ops.connected(c->ctx);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
	struct mqtt_conn *c = obj;

	(void)mosq;
	if (rc != 0)
		note_failure(c, "connection lost");
	if (c->ops.disconnected)
		c->ops.disconnected(c->ctx);
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid)
{
	struct mqtt_conn *c = obj;

	(void)mosq;
	if (c->ops.published)
		c->ops.published(c->ctx, mid);
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *m)
{
	struct mqtt_conn *c = obj;

	(void)mosq;
	if (c->ops.message)
		c->ops.message(c->ctx, m->topic, m->payload, m->payloadlen);
}

/* libmosquitto reports TLS and socket failures only through its log. */
static void on_log(struct mosquitto *mosq, void *obj, int level, const char *str)
{
	(void)mosq;
	if (level == MOSQ_LOG_ERR)
		note_failure(obj, str);
}

static bool stopping(struct mqtt_conn *c)
{
	bool stop;

	mutex_lock(&c->lock);
	stop = c->stopping;
	mutex_unlock(&c->lock);
	return stop;
}

/* libmosquitto's loop, in a thread of ours rather than mosquitto_loop_start's:
 * mosquitto_loop_forever retries a lost connection itself but returns for
 * good on a TLS or authentication failure, and a broker whose certificate
 * or password file is fixed later must still be reached. */
static void *loop_thread(void *arg)
{
	struct mqtt_conn *c = arg;
	int delay_s = 1;

	pthread_setname_np(pthread_self(), "mqtt-loop");
	int rc = mosquitto_connect(c->mosq, c->u.host, c->u.port, KEEPALIVE_S);
	if (rc)
		note_failure(c, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
	while (!stopping(c)) {
		rc = mosquitto_loop_forever(c->mosq, 1000, 1);
		if (stopping(c))
			break;
		if (rc)
			note_failure(c, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		for (int i = 0; i < delay_s * 10 && !stopping(c); i++)
			usleep(100000);
		delay_s = delay_s < 4 ? delay_s * 2 : 4;
		if (!stopping(c))
			mosquitto_reconnect(c->mosq);
	}
	return NULL;
}

static int read_password(const char *path, char *buf, size_t size, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");

	if (!f) {
		int rc = -errno;
		snprintf(err, errlen, "mqtt: cannot read the password file '%s': %s", path,
			 strerror(-rc));
		return rc;
	}
	if (!fgets(buf, (int)size, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

int mqtt_conn_open(const struct mqtt_conn_config *cfg, const struct mqtt_conn_ops *ops,
		   void *ctx, struct mqtt_conn **out, char *err, size_t errlen)
{
	struct mqtt_conn *c = NULL;
	struct mqtt_url u;
	char password[256] = "";
	const char *pw = NULL;
	int rc;

	*out = NULL;
	rc = mqtt_url_parse(cfg->url, &u, err, errlen);
	if (rc)
		return rc;
	if (cfg->ca_file && access(cfg->ca_file, R_OK) != 0) {
		rc = -errno;
		snprintf(err, errlen, "mqtt: cannot read the CA file '%s': %s", cfg->ca_file,
			 strerror(-rc));
		return rc;
	}
	if (cfg->password_file) {
		rc = read_password(cfg->password_file, password, sizeof(password), err, errlen);
		if (rc)
			return rc;
		pw = password;
	} else if (getenv(MQTT_PASSWORD_ENV)) {
		pw = getenv(MQTT_PASSWORD_ENV);
	}
	pthread_once(&lib_once, lib_init);
	c = calloc(1, sizeof(*c));
	if (!c || pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		snprintf(err, errlen, "mqtt: out of memory");
		return -ENOMEM;
	}
	c->ops = *ops;
	c->ctx = ctx;
	snprintf(c->url, sizeof(c->url), "%s", cfg->url);
	c->mosq = mosquitto_new(cfg->client_id, cfg->clean_session, c);
	if (!c->mosq) {
		rc = -errno;
		snprintf(err, errlen, "mqtt '%s': cannot create the client: %s", cfg->url,
			 strerror(-rc));
		goto fail;
	}
	mosquitto_connect_callback_set(c->mosq, on_connect);
	mosquitto_disconnect_callback_set(c->mosq, on_disconnect);
	mosquitto_publish_callback_set(c->mosq, on_publish);
	mosquitto_message_callback_set(c->mosq, on_message);
	mosquitto_log_callback_set(c->mosq, on_log);
	mosquitto_reconnect_delay_set(c->mosq, 1, 4, true);
	/* The caller bounds its own window; libmosquitto's cap (20) would only
	 * queue the rest in its RAM. */
	mosquitto_max_inflight_messages_set(c->mosq, 0);
	if ((u.user[0] || pw) && mosquitto_username_pw_set(c->mosq, u.user[0] ? u.user : NULL, pw)) {
		rc = -EINVAL;
		snprintf(err, errlen, "mqtt '%s': cannot set the user name", cfg->url);
		goto fail;
	}
	if (u.tls) {
		rc = mosquitto_tls_set(c->mosq, cfg->ca_file, cfg->ca_file ? NULL : "/etc/ssl/certs",
				       NULL, NULL, NULL);
		if (rc) {
			snprintf(err, errlen, "mqtt '%s': cannot set up TLS: %s", cfg->url,
				 mosquitto_strerror(rc));
			rc = -EINVAL;
			goto fail;
		}
	}
	if (cfg->will_topic &&
	    mosquitto_will_set(c->mosq, cfg->will_topic, (int)strlen(cfg->will_payload),
			       cfg->will_payload, 1, true)) {
		rc = -EINVAL;
		snprintf(err, errlen, "mqtt '%s': cannot set the last will", cfg->url);
		goto fail;
	}
	c->u = u;
	mosquitto_threaded_set(c->mosq, true);
	rc = pthread_create(&c->loop, NULL, loop_thread, c);
	if (rc) {
		snprintf(err, errlen, "mqtt '%s': cannot start its thread: %s", cfg->url, strerror(rc));
		rc = -rc;
		goto fail;
	}
	c->loop_started = true;
	*out = c;
	return 0;
fail:
	mqtt_conn_close(c, NULL, NULL);
	return rc;
}

int mqtt_conn_publish(struct mqtt_conn *c, const char *topic, const void *payload, int len,
		      int qos, bool retain, int *mid)
{
	int rc = mosquitto_publish(c->mosq, mid, topic, len, payload, qos, retain);

	if (rc == MOSQ_ERR_SUCCESS)
		return 0;
	return rc == MOSQ_ERR_NO_CONN ? -ENOTCONN : -EIO;
}

int mqtt_conn_subscribe(struct mqtt_conn *c, const char *pattern, int qos)
{
	return mosquitto_subscribe(c->mosq, NULL, pattern, qos) == MOSQ_ERR_SUCCESS ? 0 : -EIO;
}

bool mqtt_conn_failing(struct mqtt_conn *c)
{
	bool failing;

	mutex_lock(&c->lock);
	failing = c->failing;
	mutex_unlock(&c->lock);
	return failing;
}

void mqtt_conn_close(struct mqtt_conn *c, const char *topic, const char *payload)
{
	bool up;

	if (!c)
		return;
	mutex_lock(&c->lock);
	up = c->up;
	mutex_unlock(&c->lock);
	if (c->mosq && c->loop_started) {
		if (topic && up) {
			int mid;
			mosquitto_publish(c->mosq, &mid, topic, (int)strlen(payload), payload, 1, true);
			/* Let the loop send it before the DISCONNECT. */
			for (int i = 0; i < 20 && mosquitto_want_write(c->mosq); i++)
				usleep(10000);
		}
		mutex_lock(&c->lock);
		c->stopping = true;
		mutex_unlock(&c->lock);
		mosquitto_disconnect(c->mosq);
		pthread_join(c->loop, NULL);
	}
	if (c->mosq)
		mosquitto_destroy(c->mosq);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
