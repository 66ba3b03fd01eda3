/* Live terminal view; see tui.h.
 *
 * Owns: the ncurses SCREEN (on standard output, keys from standard input or
 * /dev/tty), the per-camera rates and crossing history it derives from the
 * counters, and, while it is up, the log (log.h's ring, which it drains)
 * and standard error (a pipe, for what libraries write there).
 * Threads: main only; nothing here locks anything but through the getters.
 *
 * Layout, top to bottom: title bar; site totals; the camera table (a row per
 * camera, a row per line when a camera has several; why the counts are what
 * they are in SEEN BACK SIZE where the width allows, else for the selected
 * camera on the events pane's rule); the events pane (the
 * newest at the bottom); the latest log message, if any; the key bar. It
 * redraws into ncurses' buffer and lets doupdate send only what changed, so
 * nothing flickers; erase, never clear, except on resize and Ctrl-L.
 *
 * tui_open_site (turnstile aggregate) is the same view with no cameras: its
 * draw is draw_site_view (the last section), over a copy of the site taken
 * through the caller's snapshot at each redraw. */
#include "tui.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "summary.h"
#include "util.h"

#define REDRAW_NS 100000000LL   /* at most ten frames a second */
#define RATE_NS 1000000000LL    /* frame rates over one second */
#define BUCKET_NS 10000000000LL /* the chart: crossings per 10 s ... */
#define BUCKETS 60              /* ... over the last 10 minutes */
#define MSG_SHOW_NS 30000000000LL
#define CAPTURE_MAX (64u << 10) /* standard error kept for tui_close */
#define MIN_EVENT_ROWS 3
#define WHY_W 17                /* " SEEN BACK  SIZE": see draw_why */

enum {
	PAIR_BAR = 1, PAIR_IN, PAIR_OUT, PAIR_OK, PAIR_WARN, PAIR_BAD, PAIR_DIM, PAIR_CHART,
	PAIR_KEY,
};

struct cam_view {
	uint64_t last_total;    /* in + out when last sampled */
	uint64_t chart[BUCKETS]; /* crossings per bucket, ring indexed by bucket number */
	uint64_t rate_captured, rate_processed;
	int64_t rate_ns;
	double cap_fps, proc_fps;
};

struct tui {
	struct tui_config cfg;
	SCREEN *scr;
	FILE *in;
	bool own_in;
	struct cam_view *cv;
	int *cam_row;           /* draw_table's scratch: each camera's first table row */
	int64_t start_ns, last_draw_ns;
	int64_t bucket;         /* number of the current chart bucket since start */
	bool dirty, help, paused, colour, can_colour, utf8, filter, all_done;
	int selected, top;      /* camera table: selected camera, first row shown */

	/* Standard error while the view is up. */
	int saved_stderr, err_rd;
	char partial[512];
	size_t partial_len;
	char msg[256];
	int64_t msg_ns;
	char *captured;
	size_t captured_len;
	uint64_t captured_lost;
	uint64_t log_dropped0, log_dropped; /* log_dropped() at open, and last seen */

	/* tui_open_site: the site view; selected is then its first row shown. */
	bool is_site;
	struct tui_site_config site;
	int site_rows;
};

/* ---- standard error ---------------------------------------------------- */

static void keep_message(struct tui *t, const char *line, size_t len, int64_t now)
{
	const char *text = line;

	if (strncmp(text, "turnstile: ", 11) == 0)
		text += 11;
	snprintf(t->msg, sizeof(t->msg), "%.*s", (int)(len - (size_t)(text - line)), text);
	t->msg_ns = now;
	t->dirty = true;
	if (t->captured_len + len + 1 > CAPTURE_MAX) {
		t->captured_lost++;
		return;
	}
	memcpy(t->captured + t->captured_len, line, len);
	t->captured_len += len;
	t->captured[t->captured_len++] = '\n';
}

static void drain_log(struct tui *t, int64_t now)
{
	char line[LOG_LINE_MAX];
	uint64_t dropped = log_dropped();

	while (log_pop(line, sizeof(line), NULL))
		keep_message(t, line, strlen(line), now);
	if (dropped != t->log_dropped) {
		char msg[128];
		int n = snprintf(msg, sizeof(msg), "turnstile: %" PRIu64 " log lines dropped (too many "
				 "at once)", dropped - t->log_dropped0);
		keep_message(t, msg, (size_t)n, now);
		t->log_dropped = dropped;
	}
}

static void drain_stderr(struct tui *t, int64_t now)
{
	for (;;) {
		ssize_t r = read(t->err_rd, t->partial + t->partial_len,
				 sizeof(t->partial) - t->partial_len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		t->partial_len += (size_t)r;
		char *start = t->partial, *nl;
		while ((nl = memchr(start, '\n', t->partial_len - (size_t)(start - t->partial)))) {
			keep_message(t, start, (size_t)(nl - start), now);
			start = nl + 1;
		}
		t->partial_len -= (size_t)(start - t->partial);
		memmove(t->partial, start, t->partial_len);
		if (t->partial_len == sizeof(t->partial)) {
			/* A line longer than the buffer: keep it in pieces. */
			keep_message(t, t->partial, t->partial_len, now);
			t->partial_len = 0;
		}
	}
}

static int capture_stderr(struct tui *t)
{
	int fds[2];

	t->captured = malloc(CAPTURE_MAX);
	if (!t->captured)
		return -ENOMEM;
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	/* Both ends non-blocking: a library's line to a full pipe is lost
	 * rather than stopping its thread. Our own lines go to the log ring. */
	t->log_dropped0 = t->log_dropped = log_dropped();
	log_capture_begin();
	t->saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (t->saved_stderr < 0 || dup2(fds[1], STDERR_FILENO) < 0) {
		int rc = -errno;
		close(fds[0]);
		close(fds[1]);
		if (t->saved_stderr >= 0)
			close(t->saved_stderr);
		t->saved_stderr = -1;
		log_capture_end();
		return rc;
	}
	close(fds[1]);
	t->err_rd = fds[0];
	return 0;
}

static void release_stderr(struct tui *t)
{
	if (t->saved_stderr < 0)
		return;
	/* The pipe's last writer goes with this dup2: read to its end. */
	dup2(t->saved_stderr, STDERR_FILENO);
	close(t->saved_stderr);
	t->saved_stderr = -1;
	log_capture_end();
	drain_log(t, 0);
	drain_stderr(t, 0);
	close(t->err_rd);
	if (t->partial_len)
		keep_message(t, t->partial, t->partial_len, 0);
	if (t->captured_len)
		fwrite(t->captured, 1, t->captured_len, stderr);
	if (t->captured_lost)
		fprintf(stderr, "turnstile: %" PRIu64 " more messages did not fit while the view was up\n",
			t->captured_lost);
}

/* ---- drawing helpers ---------------------------------------------------- */

static attr_t pair(const struct tui *t, short p)
{
	return t->colour ? COLOR_PAIR(p) : A_NORMAL;
}

/* printf at (y, x), cut at the right edge. */
static void put(int y, int x, attr_t attr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put(int y, int x, attr_t attr, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (y < 0 || y >= LINES || x >= COLS)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	attrset(attr);
	mvaddnstr(y, x, buf, COLS - x);
	attrset(A_NORMAL);
}

/* A count in at most width characters: 12345, 123k, 12.3M. */
static const char *fmt_count(char *buf, size_t size, uint64_t n, int width)
{
	snprintf(buf, size, "%" PRIu64, n);
	if ((int)strlen(buf) > width)
		snprintf(buf, size, "%" PRIu64 "k", n / 1000);
	if ((int)strlen(buf) > width)
		snprintf(buf, size, "%.1fM", (double)n / 1e6);
	if ((int)strlen(buf) > width)
		snprintf(buf, size, "%" PRIu64 "M", n / 1000000);
	return buf;
}

static const char *fmt_ms(char *buf, size_t size, double ms)
{
	if (ms <= 0)
		snprintf(buf, size, "-");
	else if (ms < 10)
		snprintf(buf, size, "%.1f", ms);
	else if (ms < 10000)
		snprintf(buf, size, "%.0f", ms);
	else
		snprintf(buf, size, "%.0fs", ms / 1000);
	return buf;
}

static attr_t state_attr(const struct tui *t, enum camera_state s)
{
	switch (s) {
	case CAMERA_STREAMING:
		return pair(t, PAIR_OK);
	case CAMERA_RECONNECTING:
		return pair(t, PAIR_WARN) | A_BOLD;
	case CAMERA_ERROR:
		return pair(t, PAIR_BAD) | A_BOLD;
	default:
		return pair(t, PAIR_DIM);
	}
}

/* ---- sampling ---------------------------------------------------------- */

/* Crossings per camera go into the bucket of now; rates over a second. */
static void sample(struct tui *t, int64_t now)
{
	int64_t bucket = (now - t->start_ns) / BUCKET_NS;

	for (int i = 0; i < t->cfg.ncameras; i++) {
		struct cam_view *v = &t->cv[i];
		struct totals ct;
		struct camera_stats s;

		for (int64_t b = t->bucket + 1; b <= bucket && b <= t->bucket + BUCKETS; b++)
			v->chart[b % BUCKETS] = 0;
		coord_get_totals(t->cfg.coord, i, &ct);
		/* Below the last sample: a daily reset, not negative crossings. */
		if (ct.in + ct.out >= v->last_total)
			v->chart[bucket % BUCKETS] += ct.in + ct.out - v->last_total;
		v->last_total = ct.in + ct.out;

		if (now - v->rate_ns >= RATE_NS) {
			double dt = (double)(now - v->rate_ns) / 1e9;
			camera_get_stats(t->cfg.cams[i], &s);
			v->cap_fps = (double)(s.captured - v->rate_captured) / dt;
			v->proc_fps = (double)(s.processed - v->rate_processed) / dt;
			v->rate_captured = s.captured;
			v->rate_processed = s.processed;
			v->rate_ns = now;
		}
	}
	t->bucket = bucket;
}

/* ---- the screen ---------------------------------------------------------- */

struct layout {
	int name_w;  /* camera column */
	int chart_x; /* where the chart starts, and how many buckets fit */
	int chart_n;
	int why_x;   /* where SEEN BACK SIZE start; 0: they do not fit */
};

/* A size as the summary's object_size, "-" while it is being learnt. */
static const char *fmt_size(char *buf, size_t size, float area)
{
	if (area > 0)
		snprintf(buf, size, "%.3f", sqrt(area));
	else
		snprintf(buf, size, "-");
	return buf;
}

/* Tracks seen, turned back in the band, one object's size: a camera's (all
 * its lines) or one line's. */
static void draw_why(const struct layout *l, int y, const struct counter_stats *cs, attr_t attr)
{
	char a[32], b[32], c[32];

	if (!l->why_x)
		return;
	put(y, l->why_x, attr, " %5s %4s %5s", fmt_count(a, sizeof(a), cs->tracks_seen, 5),
	    fmt_count(b, sizeof(b), cs->turned_back, 4), fmt_size(c, sizeof(c), cs->object_area));
}

/* Without the columns: the selected camera's on the events pane's rule, at
 * its right end. */
static void draw_why_selected(const struct tui *t, const struct layout *l, int y)
{
	struct camera_stats s;
	struct counter_stats cs;
	char a[32], text[CONFIG_NAME_MAX + 96];

	if (l->why_x || t->selected >= t->cfg.ncameras)
		return;
	camera_get_stats(t->cfg.cams[t->selected], &s);
	summary_camera_why(&s, &cs);
	int n = snprintf(text, sizeof(text), " %s: seen %" PRIu64 " back %" PRIu64 " size %s ",
			 t->cfg.cam_cfgs[t->selected].name, cs.tracks_seen, cs.turned_back,
			 fmt_size(a, sizeof(a), cs.object_area));
	/* Right of the pane's title (" EVENTS of NAME "), or not at all. */
	int x = COLS - 1 - n, title = 13 + (int)strlen(t->cfg.cam_cfgs[t->selected].name);
	if (x > title)
		put(y, x, pair(t, PAIR_DIM), "%s", text);
}

static struct layout layout_for(const struct tui *t)
{
	/* From the end of the name to the end of LAT ms: see draw_row. */
	const int fixed = 1 + 13 + 12 + 13 + 23;
	struct layout l = {.name_w = 10};
	int longest = 4;

	for (int i = 0; i < t->cfg.ncameras; i++) {
		int n = (int)strlen(t->cfg.cam_cfgs[i].name);
		longest = n > longest ? n : longest;
	}
	/* Columns left for the chart, one kept free at the right edge. */
	int spare = COLS - (1 + l.name_w + fixed + 1) - 1;
	/* SEEN BACK SIZE, after LAT ms, when they fit: before the name grows
	 * or the chart gets any. */
	bool why = spare >= WHY_W;
	if (why)
		spare -= WHY_W;
	if (spare > 8 && longest > l.name_w) {
		int grow = longest - l.name_w < spare / 3 ? longest - l.name_w : spare / 3;
		l.name_w += grow;
		spare -= grow;
	}
	l.chart_x = 1 + l.name_w + fixed + 1;
	if (why) {
		l.why_x = l.chart_x - 1;
		l.chart_x += WHY_W;
	}
	l.chart_n = spare > BUCKETS ? BUCKETS : spare < 0 ? 0 : spare;
	return l;
}

/* Rows of the camera table: a camera, then its lines when it has several. */
static int table_rows(const struct tui *t, int *cam_row)
{
	int rows = 0;

	for (int i = 0; i < t->cfg.ncameras; i++) {
		if (cam_row)
			cam_row[i] = rows;
		rows += 1 + (t->cfg.cam_cfgs[i].nlines > 1 ? t->cfg.cam_cfgs[i].nlines : 0);
	}
	return rows;
}

static void draw_title(struct tui *t, int64_t now)
{
	char left[256], right[256], clock[16];
	int64_t up = (now - t->start_ns) / 1000000000;
	time_t wall = time(NULL);
	struct tm tm;

	localtime_r(&wall, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	snprintf(left, sizeof(left), " turnstile %s  %d camera%s  %s  up %" PRId64 ":%02d:%02d%s%s",
		 TURNSTILE_VERSION, t->cfg.ncameras, t->cfg.ncameras == 1 ? "" : "s", clock, up / 3600,
		 (int)(up / 60 % 60), (int)(up % 60), t->paused ? "  PAUSED" : "",
		 t->all_done ? "  all replays finished: q quits" : "");
	right[0] = '\0';
	if (t->cfg.state_dir) {
		struct journal_status js = {0};
		if (t->cfg.journal)
			journal_get_status(t->cfg.journal, &js);
		snprintf(right, sizeof(right), "state %s%s%s%s ", t->cfg.state_dir,
			 js.period[0] ? "  day " : "", js.period, js.failing ? "  NOT SAVING" : "");
	}
	attrset(pair(t, PAIR_BAR) | (t->colour ? A_NORMAL : A_REVERSE));
	mvhline(0, 0, ' ', COLS);
	mvaddnstr(0, 0, left, COLS);
	int rx = COLS - (int)strlen(right);
	if (rx > (int)strlen(left) + 1)
		mvaddstr(0, rx, right);
	attrset(A_NORMAL);
}

/* "SITE  in N   out N   occupancy N" on row y: the node's and the
 * aggregator's views share it. */
static void draw_totals(struct tui *t, int y, const struct totals *s)
{
	int x;

	put(y, 1, A_BOLD, "SITE");
	x = 7;
	put(y, x, A_NORMAL, "in ");
	put(y, x + 3, pair(t, PAIR_IN) | A_BOLD, "%" PRIu64, s->in);
	x += 3 + snprintf(NULL, 0, "%" PRIu64, s->in) + 3;
	put(y, x, A_NORMAL, "out ");
	put(y, x + 4, pair(t, PAIR_OUT) | A_BOLD, "%" PRIu64, s->out);
	x += 4 + snprintf(NULL, 0, "%" PRIu64, s->out) + 3;
	put(y, x, A_NORMAL, "occupancy ");
	put(y, x + 10, A_BOLD, "%" PRId64, s->occupancy);
	x += 10 + snprintf(NULL, 0, "%" PRId64, s->occupancy) + 3;
	if (s->corrections)
		put(y, x, pair(t, PAIR_DIM), "(%" PRIu64 " exits with nobody inside)", s->corrections);
}

static void draw_site(struct tui *t)
{
	struct totals s;

	coord_get_totals(t->cfg.coord, -1, &s);
	draw_totals(t, 1, &s);
}

static void draw_chart(const struct tui *t, const struct layout *l, int y, int cam)
{
	static const char *const bars[] = {" ", "\u2581", "\u2582", "\u2583", "\u2584",
					   "\u2585", "\u2586", "\u2587", "\u2588"};
	static const char ascii[] = " .:-=+*#%@";
	const struct cam_view *v = &t->cv[cam];
	uint64_t peak = 0;
	int n = l->chart_n;

	if (n <= 0)
		return;
	for (int k = 0; k < n && k <= t->bucket; k++) {
		uint64_t c = v->chart[(t->bucket - k) % BUCKETS];
		peak = c > peak ? c : peak;
	}
	attrset(pair(t, PAIR_CHART));
	for (int k = 0; k < n; k++) {
		int64_t b = t->bucket - (n - 1 - k);
		uint64_t c = b >= 0 ? v->chart[b % BUCKETS] : 0;
		int level = 0;

		if (c && peak)
			level = 1 + (int)((c - 1) * 8 / peak);
		if (t->utf8)
			mvaddstr(y, l->chart_x + k, bars[level > 8 ? 8 : level]);
		else
			mvaddch(y, l->chart_x + k, (chtype)ascii[level > 9 ? 9 : level]);
	}
	attrset(A_NORMAL);
}

/* One row of numbers; s is NULL for a line's row (in and out only). */
static void draw_row(const struct tui *t, const struct layout *l, int y, const char *name,
		     bool sub, const struct camera_stats *s, const struct cam_view *v,
		     const struct totals *ct, bool selected)
{
	char a[32], b[32], c[32];
	int x = 1;

	mvhline(y, 0, ' ' | (selected ? A_REVERSE : A_NORMAL), COLS);
	if (sub) {
		mvaddch(y, x + 1, ACS_LLCORNER);
		put(y, x + 3, A_NORMAL, "%.*s", l->name_w - 3, name);
	} else {
		/* A name cut short ends in '~'. */
		bool cut = (int)strlen(name) > l->name_w;
		put(y, x, (selected ? A_REVERSE : A_NORMAL) | A_BOLD, "%.*s%s",
		    cut ? l->name_w - 1 : l->name_w, name, cut ? "~" : "");
	}
	x += l->name_w + 1;
	if (s)
		put(y, x, selected ? A_REVERSE : state_attr(t, s->state), "%-12s", camera_state_name(s->state));
	x += 13;
	put(y, x, (selected ? A_REVERSE : pair(t, PAIR_IN)) | (sub ? A_NORMAL : A_BOLD), "%5s",
	    fmt_count(a, sizeof(a), ct->in, 5));
	put(y, x + 6, (selected ? A_REVERSE : pair(t, PAIR_OUT)) | (sub ? A_NORMAL : A_BOLD), "%5s",
	    fmt_count(b, sizeof(b), ct->out, 5));
	x += 12;
	if (!s) {
		attrset(A_NORMAL);
		return;
	}
	attr_t base = selected ? A_REVERSE : A_NORMAL;
	put(y, x, base, "%5.1f %6.1f", v->cap_fps, v->proc_fps);
	x += 13;
	put(y, x, s->dropped && !selected ? pair(t, PAIR_WARN) : base, "%5s",
	    fmt_count(a, sizeof(a), s->dropped, 5));
	put(y, x + 6, s->corrupt && !selected ? pair(t, PAIR_WARN) : base, "%4s",
	    fmt_count(b, sizeof(b), s->corrupt, 4));
	snprintf(c, sizeof(c), "%zu/%zu", s->ring_fill, s->ring_slots);
	put(y, x + 11, base, "%5s", c);
	put(y, x + 17, base, "%6s", fmt_ms(a, sizeof(a), s->latency_ms));
	attrset(A_NORMAL);
}

/* Returns the first row below the table. */
static int draw_table(struct tui *t, const struct layout *l, int y, int max_rows)
{
	int *cam_row = t->cam_row;
	int rows = table_rows(t, cam_row), row = 0;

	put(y, 1, A_BOLD | A_UNDERLINE, "%-*s %-12s %5s %5s %5s %6s %5s %4s %5s %6s", l->name_w,
	    "CAMERA", "STATE", "IN", "OUT", "CAP/s", "PROC/s", "DROP", "CORR", "RING", "LAT ms");
	if (l->why_x)
		put(y, l->why_x, A_BOLD | A_UNDERLINE, " %5s %4s %5s", "SEEN", "BACK", "SIZE");
	if (l->chart_n > 0) {
		/* The header names the span the chart covers. */
		int secs = l->chart_n * (int)(BUCKET_NS / 1000000000);
		char span[32];
		if (secs >= 120)
			snprintf(span, sizeof(span), "LAST %d MIN", secs / 60);
		else
			snprintf(span, sizeof(span), "%ds", secs);
		put(y, l->chart_x, A_BOLD | A_UNDERLINE, "%-*.*s", l->chart_n, l->chart_n, span);
	}
	y++;
	if (max_rows < 1)
		return y;
	/* Keep the selected camera in view. */
	if (t->selected < t->cfg.ncameras) {
		int sel = cam_row[t->selected];
		if (sel < t->top)
			t->top = sel;
		if (sel >= t->top + max_rows)
			t->top = sel - max_rows + 1;
	}
	if (t->top > rows - max_rows)
		t->top = rows - max_rows > 0 ? rows - max_rows : 0;
	for (int i = 0; i < t->cfg.ncameras; i++) {
		const struct camera_config *cc = &t->cfg.cam_cfgs[i];
		struct camera_stats s;
		struct counter_stats why;
		struct totals ct;

		camera_get_stats(t->cfg.cams[i], &s);
		coord_get_totals(t->cfg.coord, i, &ct);
		if (row >= t->top && row < t->top + max_rows) {
			int yy = y + row - t->top;
			draw_row(t, l, yy, cc->name, false, &s, &t->cv[i], &ct, i == t->selected);
			summary_camera_why(&s, &why);
			draw_why(l, yy, &why, i == t->selected ? A_REVERSE : A_NORMAL);
			draw_chart(t, l, yy, i);
		}
		row++;
		for (int k = 0; cc->nlines > 1 && k < cc->nlines; k++, row++) {
			if (row < t->top || row >= t->top + max_rows)
				continue;
			coord_get_line_totals(t->cfg.coord, i, k, &ct);
			draw_row(t, l, y + row - t->top, cc->lines[k].name, true, NULL, NULL, &ct, false);
			if (k < s.nlines)
				draw_why(l, y + row - t->top, &s.lines[k], A_NORMAL);
		}
	}
	if (rows > max_rows)
		put(y + max_rows - 1, COLS - 16 > 0 ? COLS - 16 : 0, pair(t, PAIR_DIM) | A_BOLD,
		    " %d more rows ", rows - max_rows);
	return y + (rows < max_rows ? rows : max_rows);
}

static void draw_events(struct tui *t, int y, int rows)
{
	struct coord_recent rec[COORD_RECENT];
	int n, shown = 0, filter = t->filter ? t->selected : -1;
	char title[128];

	if (rows < 1)
		return;
	snprintf(title, sizeof(title), " EVENTS%s%s ", filter >= 0 ? " of " : "",
		 filter >= 0 ? t->cfg.cam_cfgs[filter].name : "");
	attrset(pair(t, PAIR_DIM));
	mvhline(y, 0, ACS_HLINE, COLS);
	attrset(A_NORMAL);
	put(y, 1, A_BOLD, "%s", title);
	rows--;
	y++;
	n = coord_get_recent(t->cfg.coord, rec, COORD_RECENT);
	/* Newest at the bottom: walk back from the end to fill the pane. */
	int first = n;
	while (first > 0 && shown < rows) {
		first--;
		if (filter < 0 || rec[first].ev.camera == filter)
			shown++;
	}
	for (int i = first, r = 0; i < n && r < rows; i++) {
		const struct event *ev = &rec[i].ev;
		const struct camera_config *cc = &t->cfg.cam_cfgs[ev->camera];
		time_t sec = (time_t)(ev->wall_ns / 1000000000);
		char when[16];
		struct tm tm;

		if (filter >= 0 && ev->camera != filter)
			continue;
		localtime_r(&sec, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		put(y + r, 1, A_NORMAL, "%s  %-*.*s %-10.10s", when, 12, 12, cc->name,
		    cc->lines[ev->line].name);
		put(y + r, 36, (ev->dir == DIR_IN ? pair(t, PAIR_IN) : pair(t, PAIR_OUT)) | A_BOLD, "%-3s",
		    ev->dir == DIR_IN ? "in" : "out");
		put(y + r, 41, pair(t, PAIR_DIM), "#%-7" PRIu64 " frame %-7" PRIu64 " track %" PRIu32,
		    rec[i].seq, ev->frame, ev->track);
		r++;
	}
	if (shown == 0)
		put(y, 1, pair(t, PAIR_DIM), "no crossings yet");
}

static void draw_keys(struct tui *t)
{
	static const char *const keys[][2] = {
		{"q", "Quit"}, {"?", "Help"}, {NULL, "Select"}, {"f", "Filter"}, {"space", "Pause"},
		{"c", "Colour"},
	};
	int x = 0, y = LINES - 1;

	mvhline(y, 0, ' ', COLS);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && x < COLS; i++) {
		const char *k = keys[i][0] ? keys[i][0] : t->utf8 ? "\u2191\u2193" : "Up/Dn";
		put(y, x, pair(t, PAIR_KEY) | (t->colour ? A_NORMAL : A_REVERSE), "%s", k);
		x += t->utf8 && !keys[i][0] ? 2 : (int)strlen(k);
		put(y, x, A_NORMAL, " %s  ", keys[i][1]);
		x += (int)strlen(keys[i][1]) + 3;
	}
}

/* A help text in a box in the middle of the screen, its first line bold. */
static void help_box(const char *const *text, int n)
{
	int w = 0, h = n + 2, x0, y0;

	for (int i = 0; i < n; i++)
		w = (int)strlen(text[i]) > w ? (int)strlen(text[i]) : w;
	w += 4;
	x0 = COLS > w ? (COLS - w) / 2 : 0;
	y0 = LINES > h ? (LINES - h) / 2 : 0;
	if (w > COLS)
		w = COLS;
	attrset(A_NORMAL);
	for (int i = 0; i < h && y0 + i < LINES; i++) {
		bool edge = i == 0 || i == h - 1;
		mvhline(y0 + i, x0, edge ? ACS_HLINE : ' ', w);
		mvaddch(y0 + i, x0, i == 0 ? ACS_ULCORNER : i == h - 1 ? ACS_LLCORNER : ACS_VLINE);
		mvaddch(y0 + i, x0 + w - 1, i == 0 ? ACS_URCORNER : i == h - 1 ? ACS_LRCORNER : ACS_VLINE);
		if (!edge)
			mvaddnstr(y0 + i, x0 + 2, text[i - 1], w - 4);
	}
	put(y0 + 1, x0 + 2, A_BOLD, "%.*s", w - 4, text[0]);
}

static void draw_help(void)
{
	static const char *const text[] = {
		"turnstile: live view",
		"",
		"  q, F10          quit: finish cleanly and print the summary (as Ctrl-C)",
		"  ?, h, F1        this help; any key closes it",
		"  Up/Down, k/j    select a camera",
		"  PgUp/PgDn       ... a page at a time; Home/End: first, last",
		"  f               events of the selected camera only (f again: all)",
		"  space, p        pause the view (counting goes on)",
		"  c               colour on/off",
		"  Ctrl-L          redraw the screen",
		"",
		"IN, OUT  crossings since the start or the last daily reset",
		"CAP/s, PROC/s  frames captured and processed per second",
		"DROP  frames a live camera lost; CORR  damaged frames skipped",
		"RING  frames waiting for detection; LAT ms  ring to counted",
		"SEEN  tracks confirmed; BACK  tracks that came into a line's",
		"  band and turned back; SIZE  one object's side (of the frame)",
		"LAST ...  crossings per 10 seconds, newest on the right",
	};
	help_box(text, (int)(sizeof(text) / sizeof(text[0])));
}

static void draw_site_view(struct tui *t, int64_t now);

static void draw(struct tui *t, int64_t now)
{
	struct layout l;
	int bottom, y;

	erase();
	if (COLS < 20 || LINES < 6) {
		put(0, 0, A_BOLD, "turnstile: terminal too small");
		refresh();
		return;
	}
	if (t->is_site) {
		draw_site_view(t, now);
		refresh();
		t->last_draw_ns = now;
		t->dirty = false;
		return;
	}
	l = layout_for(t);
	draw_title(t, now);
	draw_site(t);
	bottom = LINES - 1;
	if (t->msg[0] && now - t->msg_ns < MSG_SHOW_NS) {
		bottom--;
		put(bottom, 1, pair(t, PAIR_BAD) | A_BOLD, "%s", t->msg);
	}
	/* Rows 3.. bottom-1: the table first, then at least a few events. */
	int avail = bottom - 4;
	int rows = table_rows(t, NULL);
	int table = avail - 1 - MIN_EVENT_ROWS;
	if (table > rows)
		table = rows;
	if (table < 1)
		table = avail > 0 ? (avail < rows ? avail : rows) : 0;
	y = draw_table(t, &l, 3, table);
	draw_events(t, y, bottom - y);
	if (bottom - y >= 1)
		draw_why_selected(t, &l, y);
	draw_keys(t);
	if (t->help)
		draw_help();
	refresh();
	t->last_draw_ns = now;
	t->dirty = false;
}

/* ---- keys and life cycle ----------------------------------------------- */

static void start_colour(struct tui *t)
{
	t->can_colour = has_colors() && start_color() == OK;
	if (!t->can_colour)
		return;
	use_default_colors();
	init_pair(PAIR_BAR, COLOR_BLACK, COLOR_CYAN);
	init_pair(PAIR_IN, COLOR_GREEN, -1);
	init_pair(PAIR_OUT, COLOR_YELLOW, -1);
	init_pair(PAIR_OK, COLOR_GREEN, -1);
	init_pair(PAIR_WARN, COLOR_YELLOW, -1);
	init_pair(PAIR_BAD, COLOR_RED, -1);
	init_pair(PAIR_DIM, COLOR_BLUE, -1);
	init_pair(PAIR_CHART, COLOR_CYAN, -1);
	init_pair(PAIR_KEY, COLOR_BLACK, COLOR_CYAN);
	/* https://no-color.org: present and not empty means no colour. */
	const char *no = getenv("NO_COLOR");
	t->colour = !(no && no[0]);
}

static void move_selection(struct tui *t, int by)
{
	int n = t->is_site ? t->site_rows : t->cfg.ncameras;
	int s = t->selected + by;

	t->selected = s < 0 ? 0 : s >= n ? n - 1 : s;
}

/* Returns TUI_QUIT for a quit key. */
static int handle_key(struct tui *t, int ch)
{
	int page = LINES > 12 ? LINES / 2 - 4 : 1;

	t->dirty = true;
	if (t->help) {
		/* Any key closes the help; q still quits. */
		t->help = false;
		return ch == 'q' || ch == 'Q' || ch == KEY_F(10) ? TUI_QUIT : 0;
	}
	switch (ch) {
	case 'q':
	case 'Q':
	case KEY_F(10):
		return TUI_QUIT;
	case '?':
	case 'h':
	case KEY_F(1):
		t->help = true;
		break;
	case KEY_UP:
	case 'k':
		move_selection(t, -1);
		break;
	case KEY_DOWN:
	case 'j':
		move_selection(t, 1);
		break;
	case KEY_PPAGE:
		move_selection(t, -page);
		break;
	case KEY_NPAGE:
		move_selection(t, page);
		break;
	case KEY_HOME:
	case 'g':
		t->selected = 0;
		break;
	case KEY_END:
	case 'G':
		move_selection(t, t->is_site ? t->site_rows : t->cfg.ncameras);
		break;
	case 'f':
		t->filter = !t->filter;
		break;
	case ' ':
	case 'p':
		t->paused = !t->paused;
		break;
	case 'c':
		t->colour = t->can_colour && !t->colour;
		break;
	case 12: /* Ctrl-L */
		clearok(curscr, TRUE);
		break;
	default:
		break;
	}
	return 0;
}

int tui_open(const struct tui_config *cfg, struct tui **out)
{
	struct tui *t;
	int rc = -ENOTTY;

	*out = NULL;
	/* TERM=dumb (Emacs' shell, some CI logs) cannot draw a view. */
	const char *term = getenv("TERM");
	if (!isatty(STDOUT_FILENO) || !term || !term[0] || strcmp(term, "dumb") == 0)
		return -ENOTTY;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->cfg = *cfg;
	t->saved_stderr = t->err_rd = -1;
	t->cv = calloc((size_t)cfg->ncameras + 1, sizeof(*t->cv));
	/* Allocated here, not per redraw: the camera list is fixed while the view is up. */
	t->cam_row = calloc((size_t)cfg->ncameras + 1, sizeof(*t->cam_row));
	if (!t->cv || !t->cam_row) {
		rc = -ENOMEM;
		goto fail;
	}
	/* Keys from the terminal: standard input, unless a camera reads it. */
	if (!cfg->stdin_is_camera && isatty(STDIN_FILENO)) {
		t->in = stdin;
	} else {
		t->in = fopen("/dev/tty", "re");
		t->own_in = t->in != NULL;
		if (!t->in || !isatty(fileno(t->in)))
			goto fail;
	}
	/* Only the character type: numbers in the JSON summary stay "1.5". */
	setlocale(LC_CTYPE, "");
	t->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	t->scr = newterm(NULL, stdout, t->in);
	if (!t->scr)
		goto fail;
	/* Nor can a terminal without cursor addressing: status lines instead. */
	const char *cup = tigetstr("cup");
	if (!cup || cup == (const char *)-1) {
		endwin();
		delscreen(t->scr);
		t->scr = NULL;
		goto fail;
	}
	rc = capture_stderr(t);
	if (rc < 0) {
		endwin();
		delscreen(t->scr);
		t->scr = NULL;
		goto fail;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	start_colour(t);
	t->start_ns = now_ns(CLOCK_MONOTONIC);
	for (int i = 0; i < cfg->ncameras; i++)
		t->cv[i].rate_ns = t->start_ns;
	t->dirty = true;
	*out = t;
	return 0;

fail:
	if (t->own_in)
		fclose(t->in);
	free(t->cam_row);
	free(t->cv);
	free(t->captured);
	free(t);
	return rc;
}

int tui_poll(struct tui *t, int64_t now, bool all_done)
{
	struct pollfd hup = {.fd = fileno(t->in)};
	int ch, rc = 0;

	/* The terminal went away (window closed, connection dropped) and no
	 * SIGHUP came to say so, as when we do not lead its session: nobody is
	 * watching, so finish as if asked to. */
	if (poll(&hup, 1, 0) == 1 && (hup.revents & POLLHUP))
		return TUI_QUIT;
	drain_log(t, now);
	drain_stderr(t, now);
	while (rc == 0 && (ch = getch()) != ERR) {
		if (ch == KEY_RESIZE)
			t->dirty = true;
		else
			rc = handle_key(t, ch);
	}
	if (rc)
		return rc;
	sample(t, now);
	if (all_done != t->all_done) {
		t->all_done = all_done;
		t->dirty = true;
	}
	if (t->dirty || (!t->paused && now - t->last_draw_ns >= REDRAW_NS))
		draw(t, now);
	return 0;
}

void tui_resize(struct tui *t)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
	t->dirty = true;
}

void tui_suspend(struct tui *t)
{
	def_prog_mode();
	endwin();
	/* SIGSTOP cannot be blocked: the whole process stops here, and goes on
	 * from here at SIGCONT. */
	kill(getpid(), SIGSTOP);
	reset_prog_mode();
	tui_resize(t);
}

void tui_close(struct tui *t)
{
	if (!t)
		return;
	endwin();
	delscreen(t->scr);
	if (t->own_in)
		fclose(t->in);
	release_stderr(t);
	free(t->captured);
	free(t->cam_row);
	free(t->cv);
	free(t);
}

/* ---- the site view (turnstile aggregate) ---------------------------------- */

/* One row of the site table: a node (depth 0), camera (1) or line (2);
 * t NULL for a line (in and out only), node_extra for a node's own
 * figures. */
static void draw_site_row(struct tui *t, int y, int name_w, int depth, const char *name,
			  uint64_t in, uint64_t out, const struct totals *tt,
			  const struct site_node *node_extra)
{
	char a[32], b[32];
	int x = 1 + name_w + 1;

	if (depth > 0) {
		mvaddch(y, 1 + 2 * depth - 1, ACS_LLCORNER);
		put(y, 1 + 2 * depth + 1, A_NORMAL, "%.*s", name_w - 2 * depth - 1, name);
	} else {
		bool cut = (int)strlen(name) > name_w;
		put(y, 1, A_BOLD, "%.*s%s", cut ? name_w - 1 : name_w, name, cut ? "~" : "");
	}
	put(y, x, pair(t, PAIR_IN) | (depth < 2 ? A_BOLD : A_NORMAL), "%7s",
	    fmt_count(a, sizeof(a), in, 7));
	put(y, x + 8, pair(t, PAIR_OUT) | (depth < 2 ? A_BOLD : A_NORMAL), "%7s",
	    fmt_count(b, sizeof(b), out, 7));
	if (tt) {
		put(y, x + 16, A_NORMAL, "%9" PRId64, tt->occupancy);
		put(y, x + 26, tt->corrections ? pair(t, PAIR_WARN) : A_NORMAL, "%6s",
		    fmt_count(a, sizeof(a), tt->corrections, 6));
	}
	if (node_extra) {
		put(y, x + 33, node_extra->repeats ? pair(t, PAIR_DIM) : A_NORMAL, "%8s",
		    fmt_count(a, sizeof(a), node_extra->repeats, 8));
		put(y, x + 42, node_extra->gaps ? pair(t, PAIR_WARN) : A_NORMAL, "%5s",
		    fmt_count(b, sizeof(b), node_extra->gaps, 5));
		put(y, x + 48, A_NORMAL, "%9" PRId64, node_extra->last);
	}
}

static void draw_site_help(void)
{
	static const char *const text[] = {
		"turnstile aggregate: live view",
		"",
		"  q, F10          quit: finish cleanly (as Ctrl-C)",
		"  ?, h, F1        this help; any key closes it",
		"  Up/Down, k/j    scroll; PgUp/PgDn a page, Home/End",
		"  space, p        pause the view (counting goes on)",
		"  c               colour on/off",
		"",
		"A row per node, its cameras and their lines: each event",
		"counted once across every host (docs/mqtt.md).",
		"OCC  in minus out, never below zero; CORR  exits with",
		"nobody inside; REPEATS  events dropped as already",
		"counted; GAPS  events that came early (the node was",
		"asked to send again); LAST SEQ  the node's last counted.",
	};
	help_box(text, (int)(sizeof(text) / sizeof(text[0])));
}

static void draw_site_view(struct tui *t, int64_t now)
{
	static const char *const keys[][2] = {
		{"q", "Quit"}, {"?", "Help"}, {NULL, "Scroll"}, {"space", "Pause"}, {"c", "Colour"},
	};
	struct site s = {0};
	struct site_status st = {0};
	char left[256], right[256], clock[16];
	int64_t up = (now - t->start_ns) / 1000000000;
	time_t wall = time(NULL);
	struct tm tm;
	int name_w = 12, rows = 0, y, bottom, x;

	if (t->site.snapshot(t->site.ctx, &s, &st) < 0) {
		put(1, 1, pair(t, PAIR_BAD) | A_BOLD, "out of memory");
		return;
	}
	localtime_r(&wall, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	snprintf(left, sizeof(left), " turnstile aggregate %s  %d node%s  %s  up %" PRId64
		 ":%02d:%02d%s", TURNSTILE_VERSION, s.nnodes, s.nnodes == 1 ? "" : "s", clock,
		 up / 3600, (int)(up / 60 % 60), (int)(up % 60), t->paused ? "  PAUSED" : "");
	snprintf(right, sizeof(right), "%s%s%s ", t->site.state_dir ? "state " : "",
		 t->site.state_dir ? t->site.state_dir : "", t->site.state_dir ? "  " : "");
	attrset(pair(t, PAIR_BAR) | (t->colour ? A_NORMAL : A_REVERSE));
	mvhline(0, 0, ' ', COLS);
	mvaddnstr(0, 0, left, COLS);
	int rx = COLS - (int)strlen(right);
	if (rx > (int)strlen(left) + 1)
		mvaddstr(0, rx, right);
	attrset(A_NORMAL);

	draw_totals(t, 1, &s.t);
	put(2, 1, st.connected ? pair(t, PAIR_OK) : pair(t, PAIR_BAD) | A_BOLD, "%s",
	    st.connected ? "broker connected" : "BROKER DISCONNECTED");
	put(2, 21, pair(t, PAIR_DIM), "%" PRIu64 " events received, %" PRIu64 " repeats dropped%s"
	    "  %.200s", st.received, site_report_repeats(&s),
	    st.bad ? ", some not turnstile's (ignored)" : "", t->site.broker ? t->site.broker : "");

	/* The name column fits the longest name, within a third of the width. */
	for (int i = 0; i < s.nnodes; i++) {
		const struct site_node *n = &s.nodes[i];
		int w = (int)strlen(n->name);
		name_w = w > name_w ? w : name_w;
		rows += 1 + n->ncameras;
		for (int k = 0; k < n->ncameras; k++) {
			w = 3 + (int)strlen(n->cams[k].name);
			name_w = w > name_w ? w : name_w;
			rows += n->cams[k].nlines;
			for (int l = 0; l < n->cams[k].nlines; l++) {
				w = 5 + (int)strlen(n->cams[k].lines[l].name);
				name_w = w > name_w ? w : name_w;
			}
		}
	}
	if (name_w > COLS / 3 && COLS / 3 > 12)
		name_w = COLS / 3;
	t->site_rows = rows;
	put(4, 1, A_BOLD | A_UNDERLINE, "%-*s %7s %7s %9s %6s %8s %5s %9s", name_w,
	    "NODE / CAMERA / LINE", "IN", "OUT", "OCC", "CORR", "REPEATS", "GAPS", "LAST SEQ");
	y = 5;
	bottom = LINES - 1;
	if (t->msg[0] && now - t->msg_ns < MSG_SHOW_NS) {
		bottom--;
		put(bottom, 1, pair(t, PAIR_BAD) | A_BOLD, "%s", t->msg);
	}
	int max_rows = bottom - y;
	if (t->selected > rows - max_rows)
		t->selected = rows - max_rows > 0 ? rows - max_rows : 0;
	if (t->selected < 0)
		t->selected = 0;
	int row = 0;
	for (int i = 0; i < s.nnodes; i++) {
		const struct site_node *n = &s.nodes[i];
		if (row >= t->selected && row - t->selected < max_rows)
			draw_site_row(t, y + row - t->selected, name_w, 0, n->name, n->t.in, n->t.out,
				      &n->t, n);
		row++;
		for (int k = 0; k < n->ncameras; k++) {
			const struct site_camera *c = &n->cams[k];
			if (row >= t->selected && row - t->selected < max_rows)
				draw_site_row(t, y + row - t->selected, name_w, 1, c->name, c->t.in,
					      c->t.out, &c->t, NULL);
			row++;
			for (int l = 0; l < c->nlines; l++, row++)
				if (row >= t->selected && row - t->selected < max_rows)
					draw_site_row(t, y + row - t->selected, name_w, 2,
						      c->lines[l].name, c->lines[l].in, c->lines[l].out,
						      NULL, NULL);
		}
	}
	if (rows == 0)
		put(y, 1, pair(t, PAIR_DIM), "no events from any node yet");
	else if (rows - t->selected > max_rows && max_rows > 0)
		put(y + max_rows - 1, COLS - 16 > 0 ? COLS - 16 : 0, pair(t, PAIR_DIM) | A_BOLD,
		    " %d more rows ", rows - max_rows - t->selected);
	site_free(&s);

	mvhline(LINES - 1, 0, ' ', COLS);
	x = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && x < COLS; i++) {
		const char *k = keys[i][0] ? keys[i][0] : t->utf8 ? "\u2191\u2193" : "Up/Dn";
		put(LINES - 1, x, pair(t, PAIR_KEY) | (t->colour ? A_NORMAL : A_REVERSE), "%s", k);
		x += t->utf8 && !keys[i][0] ? 2 : (int)strlen(k);
		put(LINES - 1, x, A_NORMAL, " %s  ", keys[i][1]);
		x += (int)strlen(keys[i][1]) + 3;
	}
	if (t->help)
		draw_site_help();
}

int tui_open_site(const struct tui_site_config *cfg, struct tui **out)
{
	const struct tui_config none = {.ncameras = 0};
	int rc = tui_open(&none, out);

	if (rc == 0) {
		(*out)->is_site = true;
		(*out)->site = *cfg;
	}
	return rc;
}
