/* The aggregator's HTTP API (`turnstile aggregate --http`) on the shared
 * server core (httpd.h): GET / (a page with the site's totals that
 * refreshes itself), GET /api/v1/status (site_report_json: the same JSON
 * as --json) and GET /metrics (Prometheus text); 404 for anything else.
 *
 * Threads: libmicrohttpd's; each request takes a copy of the site through
 * the caller's snapshot callback, so the caller's lock is held only for
 * the copy. site_http_start and site_http_stop from the main thread. */
#ifndef TURNSTILE_SITE_HTTP_H
#define TURNSTILE_SITE_HTTP_H

#include <stddef.h>
#include <stdio.h>

#include "site.h"
#include "site_report.h"

struct site_http_config {
	const char *listen;     /* "[ADDR:]PORT"; ADDR defaults to 127.0.0.1 */
	/* Fills *copy (empty: the callee site_copy's into it; the server frees
	 * it) and *st, from any thread. Returns 0 or -errno. */
	int (*snapshot)(void *ctx, struct site *copy, struct site_status *st);
	void *ctx;
};

struct site_http;

/* Starts listening. Returns 0, or -errno with one line in err naming the
 * address. */
int site_http_start(const struct site_http_config *cfg, struct site_http **out, char *err,
		    size_t errlen);

/* Stops listening and ends every connection. NULL is fine. */
void site_http_stop(struct site_http *h);

/* The bodies of GET /metrics (text format 0.0.4) and GET /, names escaped;
 * public for the tests. */
void site_http_metrics(FILE *f, const struct site *s, const struct site_status *st);
void site_http_page(FILE *f, const struct site *s);

#endif
