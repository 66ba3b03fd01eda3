/* Reading a flat JSON object; json_scan.h. */
#include "json_scan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct cursor {
	const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* A string at c->p (the opening quote); unescaped into out when out is
 * not NULL. */
static bool scan_string(struct cursor *c, char *out, size_t size)
{
	size_t n = 0;

	if (c->p >= c->end || *c->p != '"')
		return false;
	c->p++;
	while (c->p < c->end && *c->p != '"') {
		char ch = *c->p++;
		if ((unsigned char)ch < 0x20)
			return false;
		if (ch == '\\') {
			if (c->p >= c->end)
				return false;
			ch = *c->p++;
			switch (ch) {
			case '"': case '\\': case '/': break;
			case 'b': ch = '\b'; break;
			case 'f': ch = '\f'; break;
			case 'n': ch = '\n'; break;
			case 'r': ch = '\r'; break;
			case 't': ch = '\t'; break;
			case 'u': {
				int v = 0;
				if (c->end - c->p < 4)
					return false;
				for (int i = 0; i < 4; i++) {
					int h = hexval(c->p[i]);
					if (h < 0)
						return false;
					v = v * 16 + h;
				}
				c->p += 4;
				if (v == 0 || v > 0x7f)
					return false;
				ch = (char)v;
				break;
			}
			default:
				return false;
			}
		}
		if (out) {
			if (n + 1 >= size)
				return false;
			out[n++] = ch;
		}
	}
	if (c->p >= c->end)
		return false;
	c->p++;
	if (out)
		out[n] = '\0';
	return true;
}

/* Any value; *vstart: where it begins. */
static bool scan_value(struct cursor *c, const char **vstart)
{
	*vstart = c->p;
	if (c->p >= c->end)
		return false;
	if (*c->p == '"')
		return scan_string(c, NULL, 0);
	for (const char *lit[] = {"true", "false", "null"}, **l = lit; l < lit + 3; l++) {
		size_t n = strlen(*l);
		if ((size_t)(c->end - c->p) >= n && memcmp(c->p, *l, n) == 0) {
			c->p += n;
			return true;
		}
	}
	if (*c->p == '-')
		c->p++;
	if (c->p >= c->end || *c->p < '0' || *c->p > '9')
		return false;
	while (c->p < c->end && ((*c->p >= '0' && *c->p <= '9') || *c->p == '.' || *c->p == 'e' ||
				 *c->p == 'E' || *c->p == '+' || *c->p == '-'))
		c->p++;
	return true;
}

/* Walks the object; when key is given, stops at its value (*val). */
static bool walk(const char *buf, size_t len, const char *key, const char **val)
{
	struct cursor c = {buf, buf + len};
	char name[64];

	skip_ws(&c);
	if (c.p >= c.end || *c.p++ != '{')
		return false;
	skip_ws(&c);
	if (c.p < c.end && *c.p == '}') {
		c.p++;
		goto end;
	}
	for (;;) {
		const char *vs;
		bool match;

		skip_ws(&c);
		if (!scan_string(&c, name, sizeof(name)))
			return false;
		match = key && strcmp(name, key) == 0;
		skip_ws(&c);
		if (c.p >= c.end || *c.p++ != ':')
			return false;
		skip_ws(&c);
		if (!scan_value(&c, &vs))
			return false;
		if (match) {
			*val = vs;
			return true;
		}
		skip_ws(&c);
		if (c.p < c.end && *c.p == ',') {
			c.p++;
			continue;
		}
		if (c.p < c.end && *c.p == '}') {
			c.p++;
			break;
		}
		return false;
	}
end:
	skip_ws(&c);
	return !key && c.p == c.end;
}

bool json_scan_valid(const char *buf, size_t len)
{
	return walk(buf, len, NULL, NULL);
}

bool json_scan_string(const char *buf, size_t len, const char *key, char *out, size_t size)
{
	const char *v;
	struct cursor c;

	if (!walk(buf, len, key, &v))
		return false;
	c = (struct cursor){v, buf + len};
	return scan_string(&c, out, size);
}

bool json_scan_int(const char *buf, size_t len, const char *key, int64_t *out, bool *is_null)
{
	const char *v, *end = buf + len;
	char num[24];
	size_t n = 0;
	char *e;

	if (is_null)
		*is_null = false;
	if (!walk(buf, len, key, &v))
		return false;
	if (end - v >= 4 && memcmp(v, "null", 4) == 0) {
		if (!is_null)
			return false;
		*is_null = true;
		*out = -1;
		return true;
	}
	while (v + n < end && n + 1 < sizeof(num) && ((v[n] >= '0' && v[n] <= '9') || (n == 0 && v[n] == '-')))
		n++;
	if (n == 0 || n + 1 >= sizeof(num))
		return false;
	memcpy(num, v, n);
	num[n] = '\0';
	errno = 0;
	long long x = strtoll(num, &e, 10);
	if (errno || *e || (v + n < end && (v[n] == '.' || v[n] == 'e' || v[n] == 'E')))
		return false;
	*out = x;
	return true;
}
