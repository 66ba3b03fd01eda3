/* The embedded HTTP server (libmicrohttpd): live pictures, line placement,
 * a status API, recent events and Prometheus metrics; docs/http.md lists
 * the endpoints; the server itself (threads, limits, routing, escaping) is
 * httpd.h, shared with the aggregator's. It only reads what the cameras and the coordinator
 * publish (their getters are thread-safe) and serves nothing from disk.
 *
 * Threads: libmicrohttpd's, one per connection (at most HTTP_MAX_CONNECTIONS),
 * so a stream that waits for its next frame, or a client that stops
 * reading, holds its own thread only; never a camera's. http_start and
 * http_stop from the main thread. Lock order: a camera's preview lock
 * (here) before the camera's view lock. */
#ifndef TURNSTILE_HTTP_H
#define TURNSTILE_HTTP_H

#include <stddef.h>

#include "camera.h"
#include "coord.h"

#define HTTP_DEFAULT_PREVIEW_FPS 5.0

struct http_config {
	const char *listen;     /* "[ADDR:]PORT"; ADDR defaults to 127.0.0.1 */
	int ncameras;
	struct camera **cams;
	const struct camera_config *cfgs;
	struct coord *co;
	double preview_fps;     /* most frames a second a stream sends; 0 = the default */
};

struct http;

/* Starts listening. Returns 0, or -errno with one line in err naming the
 * address. Before the cameras start, so their first frame is kept for
 * the pages. */
int http_start(const struct http_config *cfg, struct http **out, char *err, size_t errlen);

/* Stops listening and ends every connection (streams end at their next
 * frame). NULL is fine. */
void http_stop(struct http *h);

#endif
