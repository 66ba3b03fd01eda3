/* The event log; eventlog.h has the rules. Owns copies of the camera and
 * line names; logs a failing write once per change between working and
 * failing. */
#include "eventlog.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "util.h"

#define EVENT_LINE_MAX 2048

struct eventlog {
	FILE *f;
	int ncameras;
	int *nlines;
	char **names;      /* ncameras */
	char **line_names; /* TURNSTILE_MAX_LINES per camera */
	bool write_failed;
};

static int eventlog_append(void *ctx, const struct event *ev, uint64_t seq)
{
	struct eventlog *l = ctx;
	char buf[EVENT_LINE_MAX];
	bool ok;
	int n;

	if (ev->camera < 0 || ev->camera >= l->ncameras || ev->line < 0 ||
	    ev->line >= l->nlines[ev->camera])
		return -EINVAL;
	n = json_event(buf, sizeof(buf), ev, seq, l->names[ev->camera],
		       l->line_names[ev->camera * TURNSTILE_MAX_LINES + ev->line]);
	ok = n >= 0 && fprintf(l->f, "%s}\n", buf) > 0;
	/* Flushed per line so a crash or a `tail -f` sees every counted event. */
	ok = fflush(l->f) == 0 && ok;
	if (ok != !l->write_failed) {
		l->write_failed = !ok;
		if (!ok)
			log_error("coord: cannot write the event log: %s", strerror(errno));
		else
			log_notice("coord: event log writable again");
	}
	return ok ? 0 : -EIO;
}

uint64_t eventlog_next_seq(FILE *f)
{
	char buf[EVENT_LINE_MAX * 2 + 1];
	struct stat st;
	int fd = fileno(f);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
		return 0;
	off_t from = st.st_size > (off_t)(sizeof(buf) - 1) ? st.st_size - (off_t)(sizeof(buf) - 1) : 0;
	ssize_t n = pread(fd, buf, (size_t)(st.st_size - from), from);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* A torn last line (a crash mid-write) has no '\n': the one before. */
	char *end = strrchr(buf, '\n');
	if (!end)
		return 0;
	*end = '\0';
	char *line = strrchr(buf, '\n');
	line = line ? line + 1 : buf;
	const char *p = strstr(line, "\"seq\":");
	if (!p)
		return 0;
	char *e;
	errno = 0;
	unsigned long long seq = strtoull(p + 6, &e, 10);
	if (errno || e == p + 6 || (*e != ',' && *e != '}'))
		return 0;
	return (uint64_t)seq + 1;
}

static const struct event_sink_ops eventlog_ops = {
	.append = eventlog_append,
};

struct event_sink eventlog_sink(struct eventlog *l)
{
	return (struct event_sink){.ops = &eventlog_ops, .ctx = l, .durable = false};
}

void eventlog_destroy(struct eventlog *l)
{
	if (!l)
		return;
	for (int i = 0; l->names && i < l->ncameras; i++)
		free(l->names[i]);
	for (int i = 0; l->line_names && i < l->ncameras * TURNSTILE_MAX_LINES; i++)
		free(l->line_names[i]);
	free(l->names);
	free(l->line_names);
	free(l->nlines);
	free(l);
}

int eventlog_create(FILE *f, int ncameras, const struct coord_camera *cams,
		    struct eventlog **out)
{
	struct eventlog *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->f = f;
	l->ncameras = ncameras;
	l->nlines = calloc((size_t)ncameras + 1, sizeof(*l->nlines));
	l->names = calloc((size_t)ncameras + 1, sizeof(*l->names));
	l->line_names = calloc((size_t)ncameras * TURNSTILE_MAX_LINES + 1, sizeof(*l->line_names));
	if (!l->nlines || !l->names || !l->line_names)
		goto fail;
	for (int i = 0; i < ncameras; i++) {
		l->nlines[i] = cams[i].nlines;
		l->names[i] = strdup(cams[i].name);
		if (!l->names[i])
			goto fail;
		for (int k = 0; k < cams[i].nlines; k++) {
			char **dst = &l->line_names[i * TURNSTILE_MAX_LINES + k];
			*dst = strdup(cams[i].line_names[k]);
			if (!*dst)
				goto fail;
		}
	}
	*out = l;
	return 0;
fail:
	eventlog_destroy(l);
	return -ENOMEM;
}
