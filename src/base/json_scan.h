/* Reading one flat JSON object (RFC 8259) such as an event: values that
 * are strings, numbers, true, false or null, no nesting. Enough for what
 * turnstile itself writes, and strict: anything else is refused.
 * Pure; no allocation. */
#ifndef TURNSTILE_JSON_SCAN_H
#define TURNSTILE_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Checks that buf[0..len) is one flat object. */
bool json_scan_valid(const char *buf, size_t len);

/* The string value of key, unescaped into out (size bytes, NUL-terminated;
 * \uXXXX outside ASCII is refused). False when absent, not a string, or
 * too long. */
bool json_scan_string(const char *buf, size_t len, const char *key, char *out, size_t size);

/* The integer value of key; *is_null (may be NULL) is set for null, which
 * then reads as -1. False when absent or not an integer (or null). */
bool json_scan_int(const char *buf, size_t len, const char *key, int64_t *out, bool *is_null);

#endif
