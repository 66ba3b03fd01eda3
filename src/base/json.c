#include "json.h"

#include <inttypes.h>
#include <stdlib.h>

#include "util.h"

size_t json_escape(char *dst, size_t size, const char *s)
{
	size_t len = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];
		size_t n;

		if (*p == '"' || *p == '\\')
			n = (size_t)snprintf(esc, sizeof(esc), "\\%c", *p);
		else if (*p < 0x20)
			n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", *p);
		else
			n = (size_t)snprintf(esc, sizeof(esc), "%c", *p);
		for (size_t i = 0; i < n; i++, len++)
			if (len + 1 < size)
				dst[len] = esc[i];
	}
	if (size)
		dst[len < size ? len : size - 1] = '\0';
	return len;
}

void json_write_string(FILE *f, const char *s)
{
	char buf[256], *big = NULL;
	size_t n = json_escape(buf, sizeof(buf), s);
	const char *out = buf;

	if (n >= sizeof(buf)) {
		big = malloc(n + 1);
		if (big) {
			json_escape(big, n + 1, s);
			out = big;
		}
	}
	fprintf(f, "\"%s\"", out);
	free(big);
}

int json_event(char *buf, size_t size, const struct event *ev, uint64_t seq, const char *camera,
	       const char *line)
{
	char when[64], cam[512], ln[512];
	int n;

	if (json_escape(cam, sizeof(cam), camera) >= sizeof(cam) ||
	    json_escape(ln, sizeof(ln), line) >= sizeof(ln))
		return -1;
	format_time_utc(ev->wall_ns, when, sizeof(when));
	n = snprintf(buf, size,
		     "{\"seq\":%" PRIu64 ",\"time\":\"%s\",\"pts\":%.6f,\"camera\":\"%s\","
		     "\"line\":\"%s\",\"direction\":\"%s\",\"frame\":%" PRIu64 ",\"track\":%" PRIu32
		     ",\"objects\":%d",
		     seq, when, ev->pts, cam, ln, ev->dir == DIR_IN ? "in" : "out", ev->frame,
		     ev->track, ev->objects > 0 ? ev->objects : 1);
	return n < 0 || (size_t)n >= size ? -1 : n;
}
