/* The journal's on-disk codec; journal_codec.h. */
#include "journal_codec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define SNAPSHOT_MAGIC "turnstile-snapshot 1\n"

/* Bit by bit: lines are short. */
uint32_t journal_codec_crc32(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

bool journal_codec_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > JOURNAL_NAME_MAX)
		return false;
	for (; *s; s++) {
		char ch = *s;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

int journal_codec_camera(const struct journal_names *nm, const char *name)
{
	for (int i = 0; i < nm->ncameras; i++)
		if (strcmp(nm->names[i], name) == 0)
			return i;
	return -1;
}

int journal_codec_line(const struct journal_names *nm, int camera, const char *name)
{
	for (int l = 0; camera >= 0 && l < nm->nlines[camera]; l++)
		if (strcmp(nm->line_names[camera * TURNSTILE_MAX_LINES + l], name) == 0)
			return l;
	return -1;
}

int journal_codec_format_line(char *buf, size_t size, const struct event *ev, uint64_t seq,
			      const char *camera, const char *line)
{
	int n = json_event(buf, size, ev, seq, camera, line);
	int tail;

	if (n < 0)
		return -1;
	tail = snprintf(buf + n, size - (size_t)n, ",\"crc\":\"%08" PRIx32 "\"}\n",
			journal_codec_crc32(buf, (size_t)n));
	if (tail < 0 || (size_t)tail >= size - (size_t)n)
		return -1;
	return n + tail;
}

static bool parse_line_z(const char *s, size_t len, struct journal_line *out);

/* sscanf reads to a NUL, which the bytes of a file need not have: parse a
 * terminated copy. */
bool journal_codec_parse_line(const char *s, size_t len, struct journal_line *out)
{
	char copy[JOURNAL_LINE_MAX + 1];

	if (len > JOURNAL_LINE_MAX)
		return false;
	memcpy(copy, s, len);
	copy[len] = '\0';
	return parse_line_z(copy, len, out);
}

static bool parse_line_z(const char *s, size_t len, struct journal_line *out)
{
	static const char crc_key[] = ",\"crc\":\"";
	const size_t key_len = sizeof(crc_key) - 1;
	const size_t tail_len = key_len + 8 + 3; /* ,"crc":"XXXXXXXX"}\n */
	char dir[4], hex[9], *end;
	uint64_t frame;
	uint32_t track;
	int n = -1;

	if (len < tail_len + 2 || len > JOURNAL_LINE_MAX || s[len - 1] != '\n' ||
	    memchr(s, '\0', len))
		return false;
	const size_t crc_pos = len - tail_len;
	if (memcmp(s + crc_pos, crc_key, key_len) != 0 || memcmp(s + len - 3, "\"}\n", 3) != 0)
		return false;
	memcpy(hex, s + crc_pos + key_len, 8);
	hex[8] = '\0';
	errno = 0;
	unsigned long crc = strtoul(hex, &end, 16);
	if (*end || errno || hex[0] == '-' || hex[0] == '+' || hex[0] == ' ' ||
	    crc != journal_codec_crc32(s, crc_pos))
		return false;
	/* Lines from before "pts" have none, and lines from before "objects"
	 * end at the track; all are read. */
	n = -1;
	if (sscanf(s,
		   "{\"seq\":%" SCNu64 ",\"time\":\"%*[^\"]\",\"pts\":%*f,\"camera\":\"%63[^\"]\","
		   "\"line\":\"%63[^\"]\",\"direction\":\"%3[^\"]\",\"frame\":%" SCNu64
		   ",\"track\":%" SCNu32 "%n",
		   &out->seq, out->camera, out->line, dir, &frame, &track, &n) != 6 || n < 0) {
		n = -1;
		if (sscanf(s,
			   "{\"seq\":%" SCNu64 ",\"time\":\"%*[^\"]\",\"camera\":\"%63[^\"]\","
			   "\"line\":\"%63[^\"]\",\"direction\":\"%3[^\"]\",\"frame\":%" SCNu64
			   ",\"track\":%" SCNu32 "%n",
			   &out->seq, out->camera, out->line, dir, &frame, &track, &n) != 6 || n < 0)
			return false;
	}
	int m = 0;
	unsigned objects;
	if ((size_t)n < crc_pos) {
		m = -1;
		if (sscanf(s + n, ",\"objects\":%u%n", &objects, &m) != 1 || m < 0)
			return false;
	}
	if ((size_t)n + (size_t)m != crc_pos)
		return false;
	if (strcmp(dir, "in") == 0)
		out->dir = DIR_IN;
	else if (strcmp(dir, "out") == 0)
		out->dir = DIR_OUT;
	else
		return false;
	return true;
}

int journal_codec_format_snapshot(const struct journal_names *nm, const char *period,
				  uint64_t next_seq, const struct tally *t, char **out, size_t *outlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	*out = NULL;
	*outlen = 0;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fputs(SNAPSHOT_MAGIC, f);
	fprintf(f, "period %s\nnext_seq %" PRIu64 "\nsite %" PRIu64 " %" PRIu64 " %" PRId64
		" %" PRIu64 "\n",
		period[0] ? period : "-", next_seq, t->site.in, t->site.out, t->site.occupancy,
		t->site.corrections);
	for (int i = 0; i < nm->ncameras; i++) {
		const struct totals *c = &t->cams[i];
		fprintf(f, "camera %s %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRIu64 "\n", nm->names[i],
			c->in, c->out, c->occupancy, c->corrections);
		for (int l = 0; l < nm->nlines[i]; l++) {
			const struct totals *lt = &t->lines[i * TURNSTILE_MAX_LINES + l];
			fprintf(f, "line %s %s %" PRIu64 " %" PRIu64 "\n", nm->names[i],
				nm->line_names[i * TURNSTILE_MAX_LINES + l], lt->in, lt->out);
		}
	}
	if (fflush(f) != 0) {
		fclose(f);
		free(buf);
		return -ENOMEM;
	}
	fprintf(f, "crc %08" PRIx32 "\n", journal_codec_crc32(buf, len));
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

static bool parse_snapshot_z(const struct journal_names *nm, const char *period, const char *buf,
			     size_t len, struct tally *t, uint64_t *next_seq);

/* As for lines: the parser reads a terminated copy (once, at start-up). */
bool journal_codec_parse_snapshot(const struct journal_names *nm, const char *period,
				  const char *buf, size_t len, struct tally *t, uint64_t *next_seq)
{
	char *copy = malloc(len + 1);
	bool ok;

	if (!copy)
		return false;
	memcpy(copy, buf, len);
	copy[len] = '\0';
	ok = parse_snapshot_z(nm, period, copy, len, t, next_seq);
	free(copy);
	return ok;
}

static bool parse_snapshot_z(const struct journal_names *nm, const char *period, const char *buf,
			     size_t len, struct tally *t, uint64_t *next_seq)
{
	const size_t magic_len = sizeof(SNAPSHOT_MAGIC) - 1;
	const char *crc_line, *p;
	unsigned int crc;
	char tail;
	bool have_period = false, have_seq = false, have_site = false;

	if (len < magic_len || memcmp(buf, SNAPSHOT_MAGIC, magic_len) != 0 || buf[len - 1] != '\n' ||
	    memchr(buf, '\0', len))
		return false;
	/* The last line is "crc XXXXXXXX", over every byte before it. */
	crc_line = buf + len - 1;
	while (crc_line > buf && crc_line[-1] != '\n')
		crc_line--;
	if (sscanf(crc_line, "crc %8x%c", &crc, &tail) != 2 || tail != '\n' ||
	    crc_line + 13 != buf + len || crc != journal_codec_crc32(buf, (size_t)(crc_line - buf)))
		return false;

	tally_zero(t);
	for (p = buf + magic_len; p < crc_line; p = strchr(p, '\n') + 1) {
		char a[JOURNAL_NAME_MAX + 1], b[JOURNAL_NAME_MAX + 1];
		unsigned long long in, out, corr;
		long long occ;
		int n = -1;

		if (sscanf(p, "period %15s%n", a, &n) == 1 && p[n] == '\n') {
			have_period = strcmp(a, period[0] ? period : "-") == 0;
			if (!have_period)
				return false;
		} else if (sscanf(p, "next_seq %llu%n", &in, &n) == 1 && p[n] == '\n') {
			*next_seq = in;
			have_seq = true;
		} else if (sscanf(p, "site %llu %llu %lld %llu%n", &in, &out, &occ, &corr, &n) == 4 &&
			   p[n] == '\n') {
			t->site = (struct totals){in, out, occ, corr};
			have_site = true;
		} else if (sscanf(p, "camera %63s %llu %llu %lld %llu%n", a, &in, &out, &occ, &corr,
				  &n) == 5 && p[n] == '\n') {
			int cam = journal_codec_camera(nm, a);
			if (cam >= 0 && cam < t->ncameras)
				t->cams[cam] = (struct totals){in, out, occ, corr};
		} else if (sscanf(p, "line %63s %63s %llu %llu%n", a, b, &in, &out, &n) == 4 &&
			   p[n] == '\n') {
			int cam = journal_codec_camera(nm, a);
			int line = journal_codec_line(nm, cam, b);
			if (line >= 0 && cam < t->ncameras)
				t->lines[cam * TURNSTILE_MAX_LINES + line] =
					(struct totals){in, out, 0, 0};
		} else {
			return false;
		}
	}
	return have_period && have_seq && have_site;
}
