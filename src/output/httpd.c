/* The HTTP server core; httpd.h. Owns the libmicrohttpd daemon and the
 * route table's copy of the config; nothing per request but what
 * libmicrohttpd keeps. */
#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct httpd {
	struct httpd_config c;
	struct MHD_Daemon *d;
};

/* ------------------------------------------------------------------ */
/* Escaping */

void httpd_html_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

void httpd_url_escape(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~')
			fputc(*p, f);
		else
			fprintf(f, "%%%02X", *p);
	}
}

void httpd_json_script_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&')
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void httpd_label_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* ------------------------------------------------------------------ */
/* Responses */

enum MHD_Result httpd_send_buffer(struct MHD_Connection *conn, unsigned status, const char *type,
				  char *buf, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result httpd_send_text(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	char *buf = strdup(msg);
	return buf ? httpd_send_buffer(conn, status, "text/plain; charset=utf-8", buf, strlen(buf))
		   : MHD_NO;
}

enum MHD_Result httpd_send_stream(struct MHD_Connection *conn, FILE *f, char **buf, size_t *len,
				  const char *type)
{
	if (fclose(f) != 0) {
		free(*buf);
		return httpd_send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	return httpd_send_buffer(conn, MHD_HTTP_OK, type, *buf, *len);
}

enum MHD_Result httpd_not_found(struct MHD_Connection *conn)
{
	return httpd_send_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

/* ------------------------------------------------------------------ */
/* Routing */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **req_cls)
{
	struct httpd *d = cls;
	(void)version;
	(void)upload_data;

	/* The first call only announces the headers: answer on the second. */
	if (!*req_cls) {
		*req_cls = d;
		return MHD_YES;
	}
	if (*upload_size)
		return httpd_send_text(conn, MHD_HTTP_CONTENT_TOO_LARGE, "no request bodies here\n");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return httpd_send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
	for (int i = 0; i < d->c.nroutes; i++) {
		const struct httpd_route *r = &d->c.routes[i];
		size_t n = strlen(r->path);
		if (r->prefix ? strncmp(url, r->path, n) == 0 : strcmp(url, r->path) == 0)
			return r->handle(d->c.ctx, conn, url + (r->prefix ? n : strlen(url)));
	}
	return httpd_not_found(conn);
}

/* ------------------------------------------------------------------ */

int httpd_parse_listen(const char *text, char *addr, size_t addrlen, int *port)
{
	const char *colon = strrchr(text, ':');
	const char *p = colon ? colon + 1 : text;
	char *end;
	struct in_addr ia;

	errno = 0;
	long v = strtol(p, &end, 10);
	if (errno || end == p || *end || v < 1 || v > 65535 || *p == '-' || *p == '+')
		return -EINVAL;
	size_t alen = colon ? (size_t)(colon - text) : 0;
	if (!colon)
		snprintf(addr, addrlen, "127.0.0.1");
	else if (alen == 0 || alen >= addrlen)
		return -EINVAL;
	else
		snprintf(addr, addrlen, "%.*s", (int)alen, text);
	if (inet_pton(AF_INET, addr, &ia) != 1)
		return -EINVAL;
	*port = (int)v;
	return 0;
}

int httpd_start(const struct httpd_config *cfg, struct httpd **out, char *err, size_t errlen)
{
	struct httpd *d;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char addr[64];
	int port;

	*out = NULL;
	if (httpd_parse_listen(cfg->listen, addr, sizeof(addr), &port)) {
		snprintf(err, errlen, "--http: '%s' is not [ADDR:]PORT (an IPv4 address, a port 1-65535)",
			 cfg->listen);
		return -EINVAL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "--http: out of memory");
		return -ENOMEM;
	}
	d->c = *cfg;
	inet_pton(AF_INET, addr, &sa.sin_addr);
	sa.sin_port = htons((uint16_t)port);
	errno = 0;
	d->d = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0,
		NULL, NULL, on_request, d, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_PER_IP_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_SECONDS,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_REQUEST_MEMORY, MHD_OPTION_END);
	if (!d->d) {
		int e = errno ? errno : EADDRINUSE;
		snprintf(err, errlen, "--http: cannot listen on %s:%d: %s", addr, port, strerror(e));
		free(d);
		return -e;
	}
	*out = d;
	return 0;
}

void httpd_stop(struct httpd *d)
{
	if (!d)
		return;
	if (d->d)
		MHD_stop_daemon(d->d);
	free(d);
}
