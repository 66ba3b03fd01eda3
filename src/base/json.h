/* The one JSON writer: string escaping (RFC 8259 section 7) and the one
 * formatter of an event's JSON object, which the event log writes as it is
 * and the journal writes with a CRC added. */
#ifndef TURNSTILE_JSON_H
#define TURNSTILE_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "turnstile/event.h"

/* Writes s escaped for the inside of a JSON string to dst (size bytes,
 * always NUL-terminated when size > 0): quote, backslash and control
 * characters escaped, other bytes passed through as UTF-8. Returns the
 * escaped length; a result >= size means it was cut short (as snprintf). */
size_t json_escape(char *dst, size_t size, const char *s);

/* Writes s as a JSON string literal, quotes included. */
void json_write_string(FILE *f, const char *s);

/* The JSON object of one counted event, without its closing brace:
 *   {"seq":S,"time":"...Z","pts":P,"camera":"C","line":"L","direction":"in","frame":F,"track":T,
 *    "objects":N
 * time is the wall clock when counted, pts the frame's media time (seconds,
 * microsecond digits); N the objects the crossing blob was judged to hold
 * (each of its N events counts one).
 * camera and line are the names (escaped here). The event log appends "}\n",
 * the journal ",\"crc\":\"XXXXXXXX\"}\n". Returns the length written, or -1
 * when it does not fit in size bytes. */
int json_event(char *buf, size_t size, const struct event *ev, uint64_t seq, const char *camera,
	       const char *line);

#endif
