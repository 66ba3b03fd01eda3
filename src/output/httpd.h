/* The HTTP server core both servers share (the node's, http.h, and the
 * aggregator's, site_http.h): libmicrohttpd with one thread per connection
 * and the limits below, GET and HEAD only, no request bodies, a table of
 * routes, 404 for the rest; and the escaping every page needs.
 *
 * Threads: a route's handler runs on libmicrohttpd's connection threads,
 * several at once; httpd_start and httpd_stop from one thread. */
#ifndef TURNSTILE_HTTPD_H
#define TURNSTILE_HTTPD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define HTTP_MAX_CONNECTIONS 32
#define HTTP_PER_IP_CONNECTIONS 16
#define HTTP_IDLE_SECONDS 15
#define HTTP_REQUEST_MEMORY (32 * 1024) /* per connection: request line and headers */

/* Answers one request for ctx. rest: the path after a prefix route's path
 * ("" for an exact route). Returns what libmicrohttpd's handler returns:
 * one of the httpd_send_* results. */
typedef enum MHD_Result (*httpd_handler)(void *ctx, struct MHD_Connection *conn,
					 const char *rest);

struct httpd_route {
	const char *path;   /* the whole path; with prefix set, how it starts */
	bool prefix;
	httpd_handler handle;
};

struct httpd_config {
	const char *listen;                 /* "[ADDR:]PORT"; ADDR defaults to 127.0.0.1 */
	const struct httpd_route *routes;   /* tried in order; kept by the caller */
	int nroutes;
	void *ctx;                          /* handed to every handler */
};

struct httpd;

/* Parses "[ADDR:]PORT" (IPv4 dotted quad, PORT 1..65535). Returns 0 or
 * -EINVAL. */
int httpd_parse_listen(const char *text, char *addr, size_t addrlen, int *port);

/* Starts listening. Returns 0, or -errno with one line in err naming the
 * address ("--http: ..."). */
int httpd_start(const struct httpd_config *cfg, struct httpd **out, char *err, size_t errlen);

/* Stops listening and waits for every connection's thread to end. NULL is
 * fine. */
void httpd_stop(struct httpd *d);

/* Responses, all with Cache-Control: no-store and nosniff. send_buffer takes
 * buf (malloc'd) in every case. send_stream closes f, an open_memstream
 * over *buf and *len, and sends what it holds (500 when that failed). */
enum MHD_Result httpd_send_buffer(struct MHD_Connection *conn, unsigned status, const char *type,
				  char *buf, size_t len);
enum MHD_Result httpd_send_text(struct MHD_Connection *conn, unsigned status, const char *msg);
enum MHD_Result httpd_send_stream(struct MHD_Connection *conn, FILE *f, char **buf, size_t *len,
				  const char *type);
enum MHD_Result httpd_not_found(struct MHD_Connection *conn);

/* Escaping. html: text and attribute values. url: a path segment (every
 * byte but RFC 3986's unreserved ones as %XX, also safe in an attribute).
 * json_script: a JSON string literal, quotes included, safe inside a
 * <script> element ('<', '>', '&' as \u escapes). label: a Prometheus label
 * value (text format 0.0.4: backslash, quote, newline). */
void httpd_html_escape(FILE *f, const char *s);
void httpd_url_escape(FILE *f, const char *s);
void httpd_json_script_string(FILE *f, const char *s);
void httpd_label_escape(FILE *f, const char *s);

#endif
