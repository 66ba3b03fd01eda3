/* Camera configuration: an INI file read with libinih, or sources named on
 * the command line.
 *
 * Owns: the camera_config array of a camera_list (grown with realloc).
 * Threads: main only, before any other thread starts; no locks.
 *
 * libinih does all the INI parsing, but Debian's build (inih 55) leaves us
 * three gaps that an error message naming the line needs filled:
 *  - the handler gets no line number. INI_HANDLER_LINENO is 0 in the shipped
 *    library; defining it here would change only our prototype, not how the
 *    library calls us. So we feed libinih through our own reader, which counts
 *    the lines: when the handler runs, the last line read is its line.
 *  - the handler is never called for a section header (the library's
 *    call-on-new-section option is off and not exported), so "[camera a]"
 *    twice in a row, or a section with no keys, would be invisible. The
 *    reader notes which lines libinih will take as a section header, using
 *    libinih's own rule (see line_starts_section).
 *  - lines are read into 200 bytes (INI_MAX_LINE) and section names kept in
 *    50 (MAX_SECTION); both truncate silently. The reader refuses an
 *    overlong line, and a section name that may have been cut is refused.
 * The build also allows inline comments (" ; ...", so a source path cannot
 * contain " ;") and indented continuation lines (Python style), which arrive
 * as a second value for the key above and are refused as a duplicate key. */
#include "config.h"

#include <ctype.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "idle.h"
#include "source.h"

/* libinih's MAX_SECTION: compiled into the library, not in its header. A
 * section name of INIH_SECTION_MAX - 1 characters may have been cut short,
 * so the longest INI camera name is 50 - 2 - strlen("camera ") = 41. */
#define INIH_SECTION_MAX 50

/* State of one config_load, shared by the reader and the key handler. */
struct parse {
	const char *path;
	FILE *f;
	const struct line *default_line;
	struct camera_list list;

	int lineno;       /* last line handed to libinih */
	bool in_value;    /* a key was seen since the last header: libinih's prev_name */
	int handler_fail; /* line where our handler first returned 0 */

	int sec_line;     /* line of the current section header, 0 before the first */
	int sec_keys;     /* keys seen in the current section */
	int cam;          /* index in list of the current section's camera, or -1 */
	bool have_source;
	bool global;      /* the current section is [turnstile] */
	int global_line;  /* line of the [turnstile] header, 0 before one */

	int err;          /* first error: -errno, with its line (0: none) and text */
	int err_line;
	char msg[256];
};

static void parse_error(struct parse *p, int lineno, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A relative path in the file is relative to the file's directory, so a
 * config works from any working directory (a service's is /). "-" (standard
 * input) and absolute paths stay. Returns false when it does not fit. */
static bool resolve_path(const struct parse *p, const char *value, char *dst, size_t size)
{
	const char *slash = strrchr(p->path, '/');
	int n;

	if (value[0] == '/' || strcmp(value, "-") == 0 || !slash || strstr(value, "://"))
		n = snprintf(dst, size, "%s", value); /* absolute, stdin, or a URL */
	else
		n = snprintf(dst, size, "%.*s/%s", (int)(slash - p->path), p->path, value);
	return n >= 0 && (size_t)n < size;
}

/* Keeps only the first error: later ones are usually its consequences. */
static void parse_error(struct parse *p, int lineno, const char *fmt, ...)
{
	va_list ap;

	if (p->err)
		return;
	p->err = -EINVAL;
	p->err_line = lineno;
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
}

static bool name_char_ok(char ch)
{
	return isalnum((unsigned char)ch) || ch == '-' || ch == '_' || ch == '.';
}

static bool name_taken(const struct camera_list *list, const char *name)
{
	for (int i = 0; i < list->n; i++) {
		if (strcmp(list->cams[i].name, name) == 0)
			return true;
	}
	return false;
}

/* Appends a camera with an empty source. Returns its index or -ENOMEM. */
static int list_append(struct camera_list *list, const char *name, const struct line *line)
{
	struct camera_config *cams;
	struct camera_config *cam;

	/* Camera lists are a handful of entries: growing by one is fine. */
	cams = realloc(list->cams, ((size_t)list->n + 1) * sizeof(*cams));
	if (!cams)
		return -ENOMEM;
	list->cams = cams;
	cam = &cams[list->n];
	memset(cam, 0, sizeof(*cam));
	snprintf(cam->name, sizeof(cam->name), "%s", name);
	cam->tuning = TUNING_DEFAULT;
	cam->idle_skip = true;
	cam->max_speed = IDLE_MAX_SPEED_DEFAULT;
	if (line) {
		snprintf(cam->lines[0].name, sizeof(cam->lines[0].name), "%s", CONFIG_MAIN_LINE);
		cam->lines[0].line = *line;
		cam->nlines = 1;
	}
	return list->n++;
}

/* Called when a section ends (a new header or the end of the file). */
static void section_end(struct parse *p)
{
	if (p->sec_line == 0 || p->err)
		return;
	if (p->sec_keys == 0)
		parse_error(p, p->sec_line, "empty section: a camera needs source=");
	else if (p->cam >= 0 && !p->have_source)
		parse_error(p, p->sec_line, "camera '%s' has no source=", p->list.cams[p->cam].name);
	else if (p->cam >= 0 && p->list.cams[p->cam].nlines == 0) {
		struct camera_config *cam = &p->list.cams[p->cam];
		snprintf(cam->lines[0].name, sizeof(cam->lines[0].name), "%s", CONFIG_MAIN_LINE);
		cam->lines[0].line = p->default_line ? *p->default_line : LINE_DEFAULT;
		cam->nlines = 1;
	}
}

/* Adds a line named name to cam. Returns 0 or -EINVAL with the error noted. */
static int add_line(struct parse *p, struct camera_config *cam, const char *name, const char *value)
{
	for (const char *c = name; *c; c++) {
		if (!name_char_ok(*c)) {
			parse_error(p, p->lineno, "bad line name '%s' (letters, digits, '-', '_', '.')",
				    name);
			return -EINVAL;
		}
	}
	if (name[0] == '\0' || strlen(name) >= CONFIG_NAME_MAX) {
		parse_error(p, p->lineno, "line name must be 1 to %d characters", CONFIG_NAME_MAX - 1);
		return -EINVAL;
	}
	for (int i = 0; i < cam->nlines; i++) {
		if (strcmp(cam->lines[i].name, name) == 0) {
			parse_error(p, p->lineno, "duplicate line '%s' in camera '%s'", name, cam->name);
			return -EINVAL;
		}
	}
	if (cam->nlines == TURNSTILE_MAX_LINES) {
		parse_error(p, p->lineno, "camera '%s' has more than %d lines", cam->name,
			    TURNSTILE_MAX_LINES);
		return -EINVAL;
	}
	struct line_config *lc = &cam->lines[cam->nlines];
	if (line_parse(value, &lc->line) < 0) {
		parse_error(p, p->lineno,
			    "bad line '%s' for camera '%s' (expected X1,Y1,X2,Y2 in 0..1, A != B)",
			    value, cam->name);
		return -EINVAL;
	}
	snprintf(lc->name, sizeof(lc->name), "%s", name);
	cam->nlines++;
	return 0;
}

/* Adds a roi= or mask= polygon to cam (one per key; the key repeats for
 * more). Returns 0 or -EINVAL with the error noted. */
static int add_region(struct parse *p, struct camera_config *cam, const char *key,
		      const char *value)
{
	struct regions *r = &cam->regions;
	bool roi = strcmp(key, "roi") == 0;
	int *n = roi ? &r->nroi : &r->nmask;

	if (*n == REGION_MAX) {
		parse_error(p, p->lineno, "camera '%s' has more than %d %s= polygons", cam->name,
			    REGION_MAX, key);
		return -EINVAL;
	}
	if (polygon_parse(value, roi ? &r->roi[*n] : &r->mask[*n]) < 0) {
		parse_error(p, p->lineno,
			    "bad %s '%s' for camera '%s' (expected X1,Y1,X2,Y2,X3,Y3... : 3 to %d "
			    "points in 0..1 enclosing an area)",
			    key, value, cam->name, REGION_MAX_POINTS);
		return -EINVAL;
	}
	(*n)++;
	return 0;
}

/* Parses value as one number (or, with out2, "A,B") within [lo, hi]. */
static int parse_numbers(const char *value, float lo, float hi, float *out, float *out2)
{
	char *end;
	errno = 0;
	float a = strtof(value, &end);
	if (end == value || errno || !(a >= lo && a <= hi))
		return -EINVAL;
	if (out2) {
		if (*end != ',')
			return -EINVAL;
		const char *b_start = end + 1;
		float b = strtof(b_start, &end);
		if (end == b_start || errno || !(b >= lo && b <= hi) || b <= a)
			return -EINVAL;
		*out2 = b;
	}
	if (*end != '\0')
		return -EINVAL;
	*out = a;
	return 0;
}

/* Tuning keys: name, accepted range, and where the value goes. */
static int set_tuning(struct parse *p, struct camera_config *cam, const char *key, const char *value)
{
	struct tuning *t = &cam->tuning;
	float age;
	int rc = -ENOENT;

	if (strcmp(key, "object_size") == 0)
		rc = parse_numbers(value, 0.001f, 1.0f, &t->min_object, &t->max_object);
	else if (strcmp(key, "band") == 0)
		rc = parse_numbers(value, 0.0f, 0.25f, &t->band, NULL);
	else if (strcmp(key, "learn_seconds") == 0)
		rc = parse_numbers(value, 0.1f, 3600.0f, &t->learn_seconds, NULL);
	else if (strcmp(key, "absorb_seconds") == 0)
		rc = parse_numbers(value, 1.0f, 3600.0f, &t->absorb_seconds, NULL);
	else if (strcmp(key, "object_area") == 0)
		rc = parse_numbers(value, 0.0f, 1.0f, &t->object_area, NULL);
	else if (strcmp(key, "anchor") == 0) {
		rc = strcmp(value, "bottom") == 0 || strcmp(value, "centre") == 0 ||
				     strcmp(value, "center") == 0
			     ? 0
			     : -EINVAL;
		t->anchor_bottom = strcmp(value, "bottom") == 0;
	} else if (strcmp(key, "shadows") == 0) {
		rc = strcmp(value, "0") == 0 || strcmp(value, "1") == 0 ? 0 : -EINVAL;
		t->shadows = strcmp(value, "1") == 0;
	} else if (strcmp(key, "idle_skip") == 0) {
		rc = strcmp(value, "0") == 0 || strcmp(value, "1") == 0 ? 0 : -EINVAL;
		cam->idle_skip = strcmp(value, "1") == 0;
		cam->idle_skip_asked = cam->idle_skip;
	} else if (strcmp(key, "max_speed") == 0) {
		rc = parse_numbers(value, 0.01f, 100.0f, &cam->max_speed, NULL);
	} else if (strcmp(key, "min_track_age") == 0) {
		rc = parse_numbers(value, 1.0f, 1000.0f, &age, NULL);
		if (rc == 0 && age != (float)(int)age)
			rc = -EINVAL;
		if (rc == 0)
			t->min_track_age = (int)age;
	}
	if (rc == -EINVAL)
		parse_error(p, p->lineno, "bad value '%s' for %s in camera '%s'", value, key,
			    cam->name);
	return rc;
}

/* Stores source in cam->source without the "user:password@" of a URL, which
 * goes to cam->credentials: the source string is printed (summary, logs,
 * the camera's name), the credentials never are. Returns 0 or -ENAMETOOLONG. */
static int set_source(struct camera_config *cam, const char *source)
{
	const char *rest = strstr(source, "://"), *at = NULL;

	if (strlen(source) >= sizeof(cam->source))
		return -ENAMETOOLONG;
	if (rest && rest != source) {
		rest += 3;
		/* The authority ends at the first '/', '?' or '#'; its last
		 * '@' ends the user information (a password may hold '@'
		 * only encoded, but be lenient). */
		size_t auth = strcspn(rest, "/?#");
		for (size_t i = 0; i < auth; i++)
			if (rest[i] == '@')
				at = rest + i;
	}
	if (!at) {
		strcpy(cam->source, source);
		return 0;
	}
	if ((size_t)(at - rest) >= sizeof(cam->credentials))
		return -ENAMETOOLONG;
	memcpy(cam->credentials, rest, (size_t)(at - rest));
	cam->credentials[at - rest] = '\0';
	snprintf(cam->source, sizeof(cam->source), "%.*s%s", (int)(rest - source), source, at + 1);
	return 0;
}

/* credentials=FILE: its first line is "user:password" as typed; each half is
 * URL-encoded here (RFC 3986 unreserved characters stay). */
static int read_credentials(struct parse *p, struct camera_config *cam, const char *value)
{
	char line[256], *nl, file[CONFIG_PATH_MAX];
	size_t n = 0;
	int rc = 0;

	if (!resolve_path(p, value, file, sizeof(file))) {
		parse_error(p, p->lineno, "credentials path too long for camera '%s'", cam->name);
		return -ENAMETOOLONG;
	}
	FILE *fp = fopen(file, "r");

	if (!fp) {
		rc = -errno;
		parse_error(p, p->lineno, "cannot read credentials file '%s' for camera '%s': %s",
			    file, cam->name, strerror(-rc));
		return rc;
	}
	if (!fgets(line, sizeof(line), fp))
		line[0] = '\0';
	fclose(fp);
	nl = strpbrk(line, "\r\n");
	if (nl)
		*nl = '\0';
	if (!strchr(line, ':') || line[0] == ':') {
		parse_error(p, p->lineno,
			    "credentials file '%s' for camera '%s': expected one line user:password",
			    file, cam->name);
		return -EINVAL;
	}
	bool in_user = true;
	for (const char *c = line; *c; c++) {
		char enc[4];
		if (in_user && *c == ':') {
			in_user = false;
			snprintf(enc, sizeof(enc), ":");
		} else if (isalnum((unsigned char)*c) || strchr("-._~", *c)) {
			snprintf(enc, sizeof(enc), "%c", *c);
		} else {
			snprintf(enc, sizeof(enc), "%%%02X", (unsigned char)*c);
		}
		size_t len = strlen(enc);
		if (n + len >= sizeof(cam->credentials)) {
			parse_error(p, p->lineno, "credentials in '%s' too long for camera '%s'", file,
				    cam->name);
			return -EINVAL;
		}
		memcpy(cam->credentials + n, enc, len + 1);
		n += len;
	}
	return 0;
}

/* Capture keys (V4L2 cameras): size=WxH, fps=, watchdog=SECONDS. Unset
 * fields are 0, so a second occurrence is a duplicate. */
static int set_capture(struct parse *p, struct camera_config *cam, const char *key,
		       const char *value)
{
	bool dup;
	int rc = 0;

	if (strcmp(key, "size") == 0) {
		char *x = NULL, *end = NULL;
		unsigned long w = 0, h = 0;
		dup = cam->width != 0;
		if (isdigit((unsigned char)value[0]))
			w = strtoul(value, &x, 10);
		if (x && (*x == 'x' || *x == 'X') && isdigit((unsigned char)x[1]))
			h = strtoul(x + 1, &end, 10);
		if (!end || *end || w < 16 || h < 16 || w > SOURCE_MAX_DIM || h > SOURCE_MAX_DIM)
			rc = -EINVAL;
		else if (!dup) {
			cam->width = (int)w;
			cam->height = (int)h;
		}
	} else if (strcmp(key, "fps") == 0) {
		dup = cam->fps != 0;
		if (!dup)
			rc = parse_numbers(value, 0.1f, 1000.0f, &cam->fps, NULL);
	} else if (strcmp(key, "watchdog") == 0) {
		dup = cam->watchdog != 0;
		if (!dup)
			rc = parse_numbers(value, 0.1f, 3600.0f, &cam->watchdog, NULL);
	} else if (strcmp(key, "transport") == 0) {
		/* RTSP: tcp (the default) or udp. */
		dup = false;
		if (strcmp(value, "udp") == 0)
			cam->rtsp_udp = true;
		else if (strcmp(value, "tcp") != 0)
			rc = -EINVAL;
	} else if (strcmp(key, "credentials") == 0) {
		/* Parsed here; its own errors are reported by read_credentials. */
		return read_credentials(p, cam, value);
	} else {
		return -ENOENT;
	}
	if (dup) {
		parse_error(p, p->lineno, "duplicate key '%s' in camera '%s'", key, cam->name);
		return -EINVAL;
	}
	if (rc)
		parse_error(p, p->lineno, "bad value '%s' for %s in camera '%s'%s", value, key,
			    cam->name, strcmp(key, "size") == 0 ? " (expected WxH, 16 to 8192)" : "");
	return rc;
}

/* libinih's rule, in its order: after stripping a UTF-8 BOM on line 1 and
 * leading blanks, a line starting with ';' or '#' is a comment; an indented
 * line after a key is a continuation of that key's value; otherwise '['
 * starts a section header. */
static bool line_starts_section(const struct parse *p, const char *line)
{
	const char *s = line;

	if (p->lineno == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (*s && isspace((unsigned char)*s))
		s++;
	if (*s != '[')
		return false;
	return !(p->in_value && s != line);
}

/* libinih's ini_reader: fgets that counts lines, spots section headers and
 * refuses lines libinih would split. Returning NULL ends the parse, which we
 * do on the first error. */
static char *config_read_line(char *buf, int size, void *stream)
{
	struct parse *p = stream;
	size_t len;

	if (p->err || !fgets(buf, size, p->f))
		return NULL;
	p->lineno++;

	len = strlen(buf);
	if (len == 0 || buf[len - 1] != '\n') {
		int ch = getc(p->f);

		/* No newline and more to read: libinih would take the rest as a
		 * new line. A missing newline at the end of the file is fine. */
		if (ch != EOF) {
			parse_error(p, p->lineno, "line too long (libinih reads at most %d characters)",
				    size - 2);
			return NULL;
		}
	}

	if (line_starts_section(p, buf)) {
		section_end(p);
		p->sec_line = p->lineno;
		p->sec_keys = 0;
		p->cam = -1;
		p->have_source = false;
		p->global = false;
		p->in_value = false;
	}
	return p->err ? NULL : buf;
}

int config_parse_http(const char *text)
{
	const char *colon = strrchr(text, ':');
	const char *port = colon ? colon + 1 : text;
	char addr[INET_ADDRSTRLEN];
	struct in_addr ia;
	char *end;

	errno = 0;
	long v = strtol(port, &end, 10);
	if (errno || end == port || *end || v < 1 || v > 65535 || !isdigit((unsigned char)*port))
		return -EINVAL;
	if (!colon)
		return 0;
	if (colon == text || (size_t)(colon - text) >= sizeof(addr))
		return -EINVAL;
	snprintf(addr, sizeof(addr), "%.*s", (int)(colon - text), text);
	return inet_pton(AF_INET, addr, &ia) == 1 ? 0 : -EINVAL;
}

/* First key of a section: check "camera NAME" and add the camera. */
static int camera_begin(struct parse *p, const char *section)
{
	const char *s = section, *name;
	size_t type_len, name_len;
	char buf[CONFIG_NAME_MAX];
	int idx;

	while (*s == ' ' || *s == '\t')
		s++;
	type_len = strcspn(s, " \t");
	if (type_len != strlen("camera") || strncmp(s, "camera", type_len) != 0) {
		parse_error(p, p->sec_line,
			    "unknown section type '%.*s' (expected [camera NAME] or [turnstile])",
			    (int)type_len, s);
		return -EINVAL;
	}
	name = s + type_len;
	name += strspn(name, " \t");
	name_len = strlen(name);
	while (name_len > 0 && (name[name_len - 1] == ' ' || name[name_len - 1] == '\t'))
		name_len--;

	if (name_len == 0) {
		parse_error(p, p->sec_line, "camera section needs a name: [camera NAME]");
		return -EINVAL;
	}
	if (strlen(section) >= INIH_SECTION_MAX - 1 || name_len >= sizeof(buf)) {
		parse_error(p, p->sec_line, "camera name too long (at most %d characters)",
			    INIH_SECTION_MAX - 2 - (int)strlen("camera "));
		return -EINVAL;
	}
	memcpy(buf, name, name_len);
	buf[name_len] = '\0';
	for (size_t i = 0; i < name_len; i++) {
		if (!name_char_ok(buf[i])) {
			parse_error(p, p->sec_line,
				    "bad camera name '%s' (letters, digits, '-', '_', '.' only)", buf);
			return -EINVAL;
		}
	}
	if (name_taken(&p->list, buf)) {
		parse_error(p, p->sec_line, "duplicate camera name '%s'", buf);
		return -EINVAL;
	}

	/* Lines come from the section's keys; section_end adds the default. */
	idx = list_append(&p->list, buf, NULL);
	if (idx < 0) {
		parse_error(p, p->sec_line, "out of memory");
		p->err = idx;
		return idx;
	}
	p->cam = idx;
	return 0;
}

int config_parse_reset_at(const char *text, int *minute)
{
	int h, m, n = -1;

	if (sscanf(text, "%2d:%2d%n", &h, &m, &n) != 2 || text[n] != '\0' || text[0] < '0' ||
	    text[0] > '9' || text[n - 3] != ':' || text[n - 2] < '0' || h < 0 || h > 23 || m < 0 ||
	    m > 59)
		return -EINVAL;
	*minute = h * 60 + m;
	return 0;
}

/* First key of a section: [turnstile] (once), else a camera. */
static int section_begin(struct parse *p, const char *section)
{
	const char *s = section + strspn(section, " \t");
	size_t len = strcspn(s, " \t");

	if (len != strlen("turnstile") || strncmp(s, "turnstile", len) != 0 ||
	    s[len + strspn(s + len, " \t")] != '\0')
		return camera_begin(p, section);
	if (p->global_line) {
		parse_error(p, p->sec_line, "duplicate [turnstile] section (the first is on line %d)",
			    p->global_line);
		return -EINVAL;
	}
	p->global = true;
	p->global_line = p->sec_line;
	return 0;
}

/* [turnstile] keys for MQTT: mqtt=URL, mqtt_ca=FILE, mqtt_password_file=FILE,
 * node=NAME (docs/mqtt.md). The two files are resolved like state= and
 * source=: the process (a service's working directory is /) would
 * otherwise look for them elsewhere than the file's author meant. Returns 1
 * when key is one of them, else 0. */
static int set_mqtt_key(struct parse *p, struct global_config *g, const char *key,
			const char *value)
{
	static const char *keys[] = {"mqtt", "mqtt_ca", "mqtt_password_file", "node"};
	static const bool is_path[] = {false, true, true, false};
	char *dst[] = {g->mqtt, g->mqtt_ca, g->mqtt_password_file, g->node};
	size_t size[] = {sizeof(g->mqtt), sizeof(g->mqtt_ca), sizeof(g->mqtt_password_file),
			 sizeof(g->node)};
	char path[CONFIG_PATH_MAX];

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(key, keys[i]) != 0)
			continue;
		if (dst[i][0])
			parse_error(p, p->lineno, "duplicate key '%s' in [turnstile]", key);
		else if (value[0] == '\0' || strlen(value) >= size[i])
			parse_error(p, p->lineno, "%s= needs a value (at most %d characters)", key,
				    (int)size[i] - 1);
		else if (!is_path[i])
			strcpy(dst[i], value);
		else if (!resolve_path(p, value, path, sizeof(path)) || strlen(path) >= size[i])
			parse_error(p, p->lineno, "%s= path too long once joined to the config "
				    "file's directory", key);
		else
			strcpy(dst[i], path);
		return 1;
	}
	return 0;
}

/* [turnstile] keys: state=DIR, reset_at=HH:MM, and set_mqtt_key's. */
static int set_global(struct parse *p, const char *key, const char *value)
{
	struct global_config *g = &p->list.global;
	char path[sizeof(g->state)];

	if (strcmp(key, "state") == 0) {
		if (g->state[0])
			parse_error(p, p->lineno, "duplicate key 'state' in [turnstile]");
		else if (value[0] == '\0' || !resolve_path(p, value, path, sizeof(path)))
			parse_error(p, p->lineno, "state= needs a directory (at most %d characters)",
				    (int)sizeof(g->state) - 1);
		else
			strcpy(g->state, path);
	} else if (strcmp(key, "reset_at") == 0) {
		if (g->daily_reset)
			parse_error(p, p->lineno, "duplicate key 'reset_at' in [turnstile]");
		else if (config_parse_reset_at(value, &g->reset_minute) < 0)
			parse_error(p, p->lineno,
				    "bad value '%s' for reset_at (expected HH:MM, 00:00 to 23:59)", value);
		else
			g->daily_reset = true;
	} else if (strcmp(key, "http") == 0) {
		if (g->http[0])
			parse_error(p, p->lineno, "duplicate key 'http' in [turnstile]");
		else if (strlen(value) >= sizeof(g->http) || config_parse_http(value) < 0)
			parse_error(p, p->lineno,
				    "bad value '%s' for http (expected [ADDR:]PORT, IPv4, port 1-65535)",
				    value);
		else
			strcpy(g->http, value);
	} else if (strcmp(key, "preview_fps") == 0) {
		char *end;
		float v = strtof(value, &end);
		if (end == value || *end || !(v > 0.0f && v <= 60.0f))
			parse_error(p, p->lineno, "bad value '%s' for preview_fps (expected more than 0, at most 60)",
				    value);
		else
			g->preview_fps = v;
	} else if (set_mqtt_key(p, g, key, value) == 0) {
		parse_error(p, p->lineno,
			    "unknown key '%s' in [turnstile] (expected state=, reset_at=, http=, "
			    "preview_fps=, mqtt=, mqtt_ca=, mqtt_password_file=, node=)",
			    key);
	}
	return p->err ? -EINVAL : 0;
}

/* libinih's handler: one call per key (and per continuation line). Returns
 * 0 to make libinih record the line as failed; we stop at our first error. */
static int config_on_key(void *user, const char *section, const char *key, const char *value)
{
	struct parse *p = user;
	struct camera_config *cam;

	if (p->err)
		goto fail;
	p->in_value = key[0] != '\0';
	if (p->sec_line == 0) {
		parse_error(p, p->lineno, "key '%s' outside a [camera NAME] section", key);
		goto fail;
	}
	if (p->sec_keys++ == 0 && section_begin(p, section) < 0)
		goto fail;
	if (p->global) {
		if (set_global(p, key, value) < 0)
			goto fail;
		return 1;
	}
	cam = &p->list.cams[p->cam];

	if (strcmp(key, "source") == 0) {
		if (p->have_source) {
			parse_error(p, p->lineno, "duplicate key 'source' in camera '%s'", cam->name);
			goto fail;
		}
		if (value[0] == '\0') {
			parse_error(p, p->lineno, "empty source for camera '%s'", cam->name);
			goto fail;
		}
		char path[sizeof(cam->source)];
		if (!resolve_path(p, value, path, sizeof(path)) || set_source(cam, path) < 0) {
			parse_error(p, p->lineno, "source path too long for camera '%s'", cam->name);
			goto fail;
		}
		p->have_source = true;
	} else if (strcmp(key, "line") == 0) {
		if (add_line(p, cam, CONFIG_MAIN_LINE, value) < 0)
			goto fail;
	} else if (strncmp(key, "line.", 5) == 0) {
		if (add_line(p, cam, key + 5, value) < 0)
			goto fail;
	} else if (strcmp(key, "roi") == 0 || strcmp(key, "mask") == 0) {
		if (add_region(p, cam, key, value) < 0)
			goto fail;
	} else {
		int rc = set_capture(p, cam, key, value);
		if (rc == -ENOENT)
			rc = set_tuning(p, cam, key, value);
		if (rc == -ENOENT)
			parse_error(p, p->lineno,
				    "unknown key '%s' (expected source=, line=, line.NAME=, object_size=, "
				    "min_track_age=, band=, learn_seconds=, absorb_seconds=, object_area=, "
				    "anchor=, roi=, mask=, size=, fps=, watchdog=, transport=, "
				    "credentials=, idle_skip=, max_speed=, shadows=)",
				    key);
		if (rc)
			goto fail;
	}
	return 1;

fail:
	if (!p->handler_fail)
		p->handler_fail = p->lineno;
	return 0;
}

/* *out is overwritten, not appended to; on failure it is left empty. */
int config_load(const char *path, const struct line *default_line, struct camera_list *out,
		char *err, size_t errlen)
{
	struct parse p = {.path = path, .default_line = default_line, .cam = -1};
	int syntax_line = 0;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	*out = (struct camera_list){0};

	p.f = fopen(path, "r");
	if (!p.f) {
		rc = -errno;
		if (err && errlen)
			snprintf(err, errlen, "cannot open '%s': %s", path, strerror(-rc));
		return rc;
	}

	rc = ini_parse_stream(config_read_line, &p, config_on_key, &p);
	if (rc < 0) {
		/* -2: libinih could not allocate its line buffer. */
		p.err = -ENOMEM;
		p.err_line = 0;
		snprintf(p.msg, sizeof(p.msg), "out of memory");
		goto fail;
	}
	/* A line libinih failed without asking us is a syntax error of its own
	 * (no '=', no ']'). Report whichever error comes first in the file; on a
	 * tie the syntax error, since it confused what we saw. */
	if (rc > 0 && rc != p.handler_fail)
		syntax_line = rc;
	if (syntax_line && (!p.err || syntax_line <= p.err_line)) {
		p.err = -EINVAL;
		p.err_line = syntax_line;
		snprintf(p.msg, sizeof(p.msg), "syntax error (expected [camera NAME] or key=value)");
	}
	if (ferror(p.f)) {
		/* stdio keeps no errno for the failed read. */
		p.err = -EIO;
		if (err && errlen)
			snprintf(err, errlen, "cannot read '%s': %s", path, strerror(EIO));
		goto fail_quiet;
	}
	if (p.err)
		goto fail;
	section_end(&p);
	if (p.err)
		goto fail;
	if (p.list.n == 0) {
		p.err = -EINVAL;
		snprintf(p.msg, sizeof(p.msg), "no [camera NAME] sections");
		goto fail;
	}

	fclose(p.f);
	*out = p.list;
	return 0;

fail:
	if (err && errlen) {
		if (p.err_line)
			snprintf(err, errlen, "%s:%d: %s", path, p.err_line, p.msg);
		else
			snprintf(err, errlen, "%s: %s", path, p.msg);
	}
fail_quiet:
	fclose(p.f);
	config_free(&p.list);
	return p.err;
}

/* Name from the source: basename, extension dropped, characters outside
 * the INI name set replaced by '_' so both kinds of names look alike. */
static void name_from_source(const char *source, char *name, size_t size)
{
	const char *base, *dot;
	size_t len;

	if (strcmp(source, "-") == 0) {
		snprintf(name, size, "stdin");
		return;
	}
	base = strrchr(source, '/');
	base = base ? base + 1 : source;
	dot = strrchr(base, '.');
	len = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	if (len == 0) {
		/* "dir/" or "/": nothing to name it after. */
		snprintf(name, size, "camera");
		return;
	}
	if (len > size - 1)
		len = size - 1;
	for (size_t i = 0; i < len; i++)
		name[i] = name_char_ok(base[i]) ? base[i] : '_';
	name[len] = '\0';
}

int config_add_source(struct camera_list *list, const char *source, const struct line *line)
{
	/* Leave room for a "-N" suffix within CONFIG_NAME_MAX. */
	char base[CONFIG_NAME_MAX - 12];
	char name[CONFIG_NAME_MAX];
	struct camera_config tmp = {0};
	int idx;

	if (!list || !source || source[0] == '\0')
		return -EINVAL;
	if (strlen(source) >= CONFIG_PATH_MAX)
		return -ENAMETOOLONG;

	/* Named after the URL without its credentials. */
	if (set_source(&tmp, source) < 0)
		return -ENAMETOOLONG;
	name_from_source(tmp.source, base, sizeof(base));
	snprintf(name, sizeof(name), "%s", base);
	for (int k = 2; name_taken(list, name); k++)
		snprintf(name, sizeof(name), "%s-%d", base, k);

	/* A command-line camera has exactly one line: the one given, or the default. */
	idx = list_append(list, name, line ? line : &LINE_DEFAULT);
	if (idx < 0)
		return idx;
	strcpy(list->cams[idx].source, tmp.source);
	strcpy(list->cams[idx].credentials, tmp.credentials);
	return 0;
}

void config_free(struct camera_list *list)
{
	if (!list)
		return;
	free(list->cams);
	list->cams = NULL;
	list->n = 0;
}
