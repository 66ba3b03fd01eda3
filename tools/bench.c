/* bench: how fast turnstile counts, next to how fast TurboJPEG alone decodes
 * the same frames (libjpeg-turbo's tjbench idea, for the whole pipeline).
 *
 * For each clip (by default 1280x720 and 1920x1080 MJPEG AVIs with moving
 * objects, rendered once by scenegen into --clips DIR and reused), in one run:
 *  (a) bare TurboJPEG, full size to BGR and to gray, and at 1/2, 1/4, 1/8 to
 *      gray, on --threads threads (default: every CPU this process may use),
 *      each with its own handle, frames already in memory;
 *  (b) the same at turnstile's scale (the one its decoder picks for
 *      --detect-width): the floor for a pipeline that must decode;
 *  (c) turnstile end to end, as fast as it goes, with 1, 2, 4 ... 128 cameras
 *      all replaying the clip: frames per second, CPU seconds per frame
 *      (wait4's rusage of the turnstile process), its peak RSS (VmHWM), the
 *      ratios to (b) and (a), and the per-stage means from its --json summary;
 *  then the same 8 cameras pinned to 1 CPU and to 2 (sched_setaffinity, as
 *  taskset does), and (d) N cameras in --realtime at the clip's rate, N
 *  doubled then bisected, for the largest N with no dropped frame, no camera
 *  behind schedule and every camera's p99 capture->count latency under
 *  --budget-ms.
 *
 * With --idle, idle skipping instead (docs/idle-skip.md), every figure with
 * skipping off (idle_skip=0) and on, in one run: a generated 720p30 clip
 * where objects pass about 10% of the time, with a line short of the
 * edges, and any --idle-clip FILE=LINE (the samples or development clips,
 * looped): CPU per frame as fast as it goes; one idle camera (a generated
 * empty 720p30 clip) in realtime, as a share of one core; and the most
 * cameras of the mostly empty clip that keep up in realtime.
 *
 * With --http-watch, the embedded HTTP server's cost instead (docs/http.md):
 * one clip, --cameras N (default 1 and 4) as fast as it goes, alternating
 * (a) no server, (b) --http with no client, (c) --http with one client per
 * camera reading its stream.mjpg at preview_fps=5 (the default) and (d) the
 * same at 60 (the most allowed, for enough shown frames); the clients are
 * threads here that read and discard, counting the JPEG parts. With --http
 * turnstile stays up when its files end: once its thread count falls (a
 * camera's threads end with its source; once a second in any case)
 * /api/v1/status is polled every 20 ms until every camera is finished, and
 * then it gets SIGTERM.
 *
 * Prints Markdown tables on stdout (progress on stderr) headed by the
 * machine and its load average before and after, since other work on the
 * machine moves every figure: compare ratios taken in one run.
 *
 * Never run by the test suite: it is a measurement, not a check. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <turbojpeg.h>

#include "avi_writer.h"
#include "decode.h"
#include "source.h"

#define MAX_CLIPS 8
#define MAX_COUNTS 16
#define MAX_RUNS 15        /* repetitions of one short configuration */
#define JSON_MAX_CAMS 4096
#define DEFAULT_SECONDS 3.0
#define DEFAULT_RT_SECONDS 8.0

struct options {
	char turnstile[PATH_MAX];
	char scenegen[PATH_MAX];
	const char *clip_dir;
	const char *clips[MAX_CLIPS];   /* --clip: given files instead of generated ones */
	int nclips;
	int sizes[MAX_CLIPS][2];
	int nsizes;
	int counts[MAX_COUNTS];
	int ncounts;
	int threads;
	double seconds;                 /* least measuring time per configuration */
	int detect_width;
	bool realtime;
	double rt_seconds;
	double rt_warmup;               /* --idle: seconds before the judged window */
	int rt_max;
	int rt_from;                    /* the doubling's first camera count */
	double budget_ms;
	int scale_cams;
	bool idle;                      /* --idle: measure idle skipping instead */
	const char *idle_clips[MAX_CLIPS]; /* --idle-clip FILE=LINE */
	bool idle_realtime_only;        /* --idle-realtime-only: the measured search alone */
	int nidle_clips;
	bool http_watch;                /* --http-watch: the HTTP server's cost instead */
	bool counts_given;
};

struct clip {
	char path[PATH_MAX];
	int w, h, n;
	double fps;
	uint8_t **data;
	size_t *len;
	size_t bytes;
	int sw, sh;             /* turnstile's decode size */
	/* --idle: cameras go in an INI file with this line and idle_skip=. */
	const char *line;
	int idle_skip;
	/* --http-watch: the server on this port (0: none), a stream reader
	 * per camera when readers, at preview_fps. */
	int http_port;
	bool readers;
	int preview_fps;
	/* --idle realtime: with nsources, camera i of N replays
	 * sources[i * nsources / N] (the clip from a different offset: out of
	 * step); with window > 0 the trial is judged on the window seconds
	 * after warm seconds, from two reads of /metrics (http_port). */
	char (*sources)[PATH_MAX];
	int nsources;
	double warm, window;
};

/* One turnstile run, as its rusage and --json summary tell it. */
struct run {
	double wall, cpu;
	long maxrss_kb;
	int cams;
	uint64_t frames, dropped, corrupt, skipped;
	int idle_n;             /* the first camera's "idle_skip" */
	double min_cam_frames;
	double stage_mean[6];   /* read decode detect track count latency, mean over cameras */
	double lat_p99_max;     /* worst camera's p99 latency, us */
	double fps;
	uint64_t shown;         /* JPEG parts the stream readers received */
	/* A windowed trial (clip.window > 0), between the two reads of /metrics. */
	bool win_read;          /* both reads came */
	double win_frames_min;  /* fewest frames a camera dealt with */
	uint64_t win_dropped, win_corrupt;
	uint64_t win_decoded;   /* decoded frames, every camera */
	uint64_t win_late;      /* of those, counted over WIN_LATE_S after they were due */
	uint64_t win_later;     /* over WIN_LATER_S */
	uint64_t win_very_late; /* over WIN_VERY_LATE_S */
};

static const char *const stage_keys[6] = {"read", "decode", "detect", "track", "count", "latency"};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double cpu_self_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "bench: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("%s", "out of memory");
	return p;
}

/* ---- machine ------------------------------------------------------------- */

static int cpus_allowed(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return (int)sysconf(_SC_NPROCESSORS_ONLN);
	return CPU_COUNT(&set);
}

static void read_first_line(const char *path, const char *prefix, char *out, size_t len)
{
	char line[512];
	FILE *f = fopen(path, "r");
	snprintf(out, len, "?");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, prefix, strlen(prefix)) != 0)
			continue;
		const char *v = strchr(line, ':');
		v = v ? v + 1 : line + strlen(prefix);
		while (*v == ' ' || *v == '\t')
			v++;
		snprintf(out, len, "%s", v);
		out[strcspn(out, "\n")] = '\0';
		break;
	}
	fclose(f);
}

static void loadavg(char *out, size_t len)
{
	read_first_line("/proc/loadavg", "", out, len);
	/* "4.31 4.70 3.41 3/210 1234": the three averages. */
	char *p = out;
	for (int spaces = 0; *p; p++)
		if (*p == ' ' && ++spaces == 3) {
			*p = '\0';
			break;
		}
}

/* VmHWM of a running process, in kB; 0 once it has gone. */
static long vm_hwm_kb(pid_t pid)
{
	char path[64], v[128];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	read_first_line(path, "VmHWM", v, sizeof(v));
	return strtol(v, NULL, 10);
}

/* Threads of a running process; 0 once it has gone. */
static long proc_threads(pid_t pid)
{
	char path[64], v[128];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	read_first_line(path, "Threads", v, sizeof(v));
	return strtol(v, NULL, 10);
}

/* CPU seconds the whole machine spent busy (all CPUs), from /proc/stat. */
static double machine_busy_s(void)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) != 8)
		v[0] = v[1] = v[2] = v[5] = v[6] = v[7] = 0;
	fclose(f);
	/* user nice system (idle iowait) irq softirq steal */
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds of this process and every child waited for. */
static double own_cpu_s(void)
{
	struct rusage self, kids;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return tv_s(self.ru_utime) + tv_s(self.ru_stime) + tv_s(kids.ru_utime) +
	       tv_s(kids.ru_stime);
}

/* What everything else on the machine used between two marks: the noise. */
struct load_mark {
	double wall, busy, own;
};

static struct load_mark load_mark(void)
{
	return (struct load_mark){now_s(), machine_busy_s(), own_cpu_s()};
}

static void print_other_load(const char *what, struct load_mark m0)
{
	struct load_mark m1 = load_mark();
	double others = (m1.busy - m0.busy) - (m1.own - m0.own);
	double share = others / ((m1.wall - m0.wall) * cpus_allowed());
	printf("Other load during %s: %.0f%% of the %d CPUs (busy CPU time not ours, /proc/stat).\n\n",
	       what, share > 0 ? share * 100 : 0, cpus_allowed());
}

static void print_machine(const struct options *o)
{
	char model[256], mem[128], load[128];
	struct utsname u;
	read_first_line("/proc/cpuinfo", "model name", model, sizeof(model));
	read_first_line("/proc/meminfo", "MemTotal", mem, sizeof(mem));
	loadavg(load, sizeof(load));
	uname(&u);
	printf("# turnstile benchmark\n\n");
	printf("Machine: %s, %d CPUs usable, %s RAM, Linux %s. Load average at start: %s.\n",
	       model, cpus_allowed(), mem, u.release, load);
	printf("Bare decodes: %d threads, TJFLAG_FASTDCT (as turnstile). turnstile: %s, "
	       "--detect-width %d.\n\n",
	       o->threads, o->turnstile, o->detect_width);
}

/* ---- clips --------------------------------------------------------------- */

static int run_wait(char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(STDERR_FILENO, STDOUT_FILENO); /* our stdout is the report */
		execv(argv[0], argv);
		fprintf(stderr, "bench: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* DIR/bench-WxH.avi, rendered on first use: 10 s at 30 fps, objects
 * crossing a textured floor with sensor noise (scenegen's defaults). */
static void generate_clip(const struct options *o, int w, int h, char *path, size_t len)
{
	char out[PATH_MAX], ws[16], hs[16];
	struct stat st;
	if ((size_t)snprintf(out, sizeof(out), "%s/bench-%dx%d", o->clip_dir, w, h) >= sizeof(out) ||
	    (size_t)snprintf(path, len, "%s.avi", out) >= len)
		die("path too long: '%s'", o->clip_dir);
	if (stat(path, &st) == 0)
		return;
	mkdir(o->clip_dir, 0777);
	snprintf(ws, sizeof(ws), "%d", w);
	snprintf(hs, sizeof(hs), "%d", h);
	char *argv[] = {(char *)o->scenegen, "--out", out, "--width", ws, "--height", hs,
			"--fps", "30", "--seconds", "10", "--crossings", "4", NULL};
	fprintf(stderr, "bench: rendering %s\n", path);
	if (run_wait(argv) != 0)
		die("scenegen failed for '%s'", path);
}

/* Every frame of the clip in memory, through turnstile's own readers
 * (with keep false, only its size, rate and frame count). */
static void load_clip_frames(const struct options *o, const char *path, struct clip *c, bool keep)
{
	char err[512];
	struct source *src;
	if (source_open(path, &src, err, sizeof(err)) != 0)
		die("%s", err);
	const struct source_info *info = source_get_info(src);
	if (info->format != FRAME_JPEG)
		die("'%s' is not MJPEG", path);
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->w = info->width;
	c->h = info->height;
	c->fps = info->fps > 0 ? info->fps : 25;
	uint8_t *scratch = xmalloc(info->max_frame_bytes);
	int cap = 0;
	for (;;) {
		struct frame f = {.data = scratch, .cap = info->max_frame_bytes};
		int rc = source_read_frame(src, &f, err, sizeof(err));
		if (rc == SOURCE_EOF)
			break;
		if (rc == SOURCE_CORRUPT)
			continue;
		if (rc != 0)
			die("%s", err);
		if (!keep) {
			c->n++;
			continue;
		}
		if (c->n == cap) {
			cap = cap ? 2 * cap : 256;
			c->data = realloc(c->data, (size_t)cap * sizeof(*c->data));
			c->len = realloc(c->len, (size_t)cap * sizeof(*c->len));
			if (!c->data || !c->len)
				die("%s", "out of memory");
		}
		c->data[c->n] = xmalloc(f.len);
		memcpy(c->data[c->n], f.data, f.len);
		c->len[c->n] = f.len;
		c->bytes += f.len;
		c->n++;
	}
	free(scratch);
	if (c->n == 0)
		die("'%s' has no frames", path);
	struct decoder *dec;
	if (decoder_create(info, o->detect_width, &dec) != 0)
		die("cannot make a decoder for '%s'", path);
	decoder_get_size(dec, &c->sw, &c->sh);
	decoder_destroy(dec);
	source_close(src);
}

static void load_clip(const struct options *o, const char *path, struct clip *c)
{
	load_clip_frames(o, path, c, true);
}

/* ---- (a), (b): bare TurboJPEG --------------------------------------------- */

struct dec_job {
	const struct clip *c;
	int w, h, pf, first;
	atomic_bool *stop;
	uint64_t frames;
	bool failed;
};

static void *dec_thread(void *arg)
{
	struct dec_job *j = arg;
	tjhandle tj = tjInitDecompress();
	uint8_t *out = xmalloc((size_t)j->w * j->h * (size_t)tjPixelSize[j->pf]);
	int i = j->first;
	if (!tj) {
		j->failed = true;
		free(out);
		return NULL;
	}
	while (!atomic_load_explicit(j->stop, memory_order_relaxed)) {
		if (tjDecompress2(tj, j->c->data[i], (unsigned long)j->c->len[i], out, j->w, 0, j->h,
				  j->pf, TJFLAG_FASTDCT) != 0)
			j->failed = true;
		j->frames++;
		if (++i == j->c->n)
			i = 0;
	}
	tjDestroy(tj);
	free(out);
	return NULL;
}

struct decode_result {
	double fps, cpu_ms;
};

/* Decodes the clip's frames on o->threads threads for o->seconds. */
static struct decode_result bare_decode(const struct options *o, const struct clip *c, int w,
					int h, int pf)
{
	struct dec_job jobs[64];
	pthread_t th[64];
	atomic_bool stop = false;
	int nt = o->threads < 64 ? o->threads : 64;
	double cpu0 = cpu_self_s(), t0 = now_s();
	for (int t = 0; t < nt; t++) {
		jobs[t] = (struct dec_job){.c = c, .w = w, .h = h, .pf = pf,
					   .first = (int)((long)c->n * t / nt), .stop = &stop};
		if (pthread_create(&th[t], NULL, dec_thread, &jobs[t]) != 0)
			die("%s", "cannot start a thread");
	}
	struct timespec d = {(time_t)o->seconds,
			     (long)((o->seconds - floor(o->seconds)) * 1e9)};
	while (nanosleep(&d, &d) != 0 && errno == EINTR)
		;
	atomic_store(&stop, true);
	uint64_t frames = 0;
	for (int t = 0; t < nt; t++) {
		pthread_join(th[t], NULL);
		frames += jobs[t].frames;
		if (jobs[t].failed)
			die("TurboJPEG failed on a frame of '%s'", c->path);
	}
	double wall = now_s() - t0, cpu = cpu_self_s() - cpu0;
	return (struct decode_result){frames / wall, cpu / (double)frames * 1e3};
}

/* ---- (c), (d): turnstile --------------------------------------------------- */

/* The numbers after each "key": in order (one per camera), at most max. */
static int json_numbers(const char *s, const char *key, double *out, int max)
{
	char pat[64];
	int n = 0;
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	for (const char *p = strstr(s, pat); p && n < max; p = strstr(p, pat)) {
		p += strlen(pat);
		out[n++] = strtod(p, NULL);
	}
	return n;
}

/* The mean_us or p99_us of one stage, per camera. */
static int json_stage(const char *s, const char *stage, const char *field, double *out, int max)
{
	char pat[64];
	int n = 0;
	snprintf(pat, sizeof(pat), "\"%s\":{", stage);
	for (const char *p = strstr(s, pat); p && n < max; p = strstr(p, pat)) {
		p += strlen(pat);
		const char *f = strstr(p, field);
		const char *end = strchr(p, '}');
		if (!f || !end || f > end)
			continue;
		out[n++] = strtod(f + strlen(field) + 2, NULL); /* past the quote and colon */
	}
	return n;
}

static void parse_summary(const char *json, int cams, struct run *r)
{
	static double v[JSON_MAX_CAMS];
	int n = json_numbers(json, "frames", v, JSON_MAX_CAMS);
	if (n != cams)
		die("turnstile's summary has the wrong number of cameras: %s", json);
	r->min_cam_frames = 1e300;
	for (int i = 0; i < n; i++) {
		r->frames += (uint64_t)v[i];
		if (v[i] < r->min_cam_frames)
			r->min_cam_frames = v[i];
	}
	n = json_numbers(json, "dropped", v, JSON_MAX_CAMS);
	for (int i = 0; i < n; i++)
		r->dropped += (uint64_t)v[i];
	n = json_numbers(json, "corrupt", v, JSON_MAX_CAMS);
	for (int i = 0; i < n; i++)
		r->corrupt += (uint64_t)v[i];
	n = json_numbers(json, "skipped", v, JSON_MAX_CAMS);
	for (int i = 0; i < n; i++)
		r->skipped += (uint64_t)v[i];
	if (json_numbers(json, "idle_skip", v, 1) == 1)
		r->idle_n = (int)v[0];
	for (int s = 0; s < 6; s++) {
		n = json_stage(json, stage_keys[s], "mean_us", v, JSON_MAX_CAMS);
		double sum = 0;
		for (int i = 0; i < n; i++)
			sum += v[i];
		r->stage_mean[s] = n ? sum / n : 0;
	}
	n = json_stage(json, "latency", "p99_us", v, JSON_MAX_CAMS);
	for (int i = 0; i < n; i++)
		if (v[i] > r->lat_p99_max)
			r->lat_p99_max = v[i];
}

/* ---- --http-watch: a client of turnstile's HTTP server ------------------ */

#define POLL_MS 20      /* how often /api/v1/status is asked for the end */

/* A port nobody listens on now (the kernel's pick). */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		die("cannot find a free port: %s", strerror(errno));
	close(fd);
	return ntohs(a.sin_port);
}

/* A connection to 127.0.0.1:port with "GET path" sent, HTTP/1.0 so that
 * the server closes when done and sends no chunks; -1 when nothing
 * listens yet. */
static int http_get(int port, const char *path)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	char req[256];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || write(fd, req, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	return fd;
}

/* True when /api/v1/status says every one of cams cameras is past its
 * end ("finished", or "failed": the summary tells which). */
static bool all_finished(int port, int cams)
{
	static char buf[1 << 20];
	static const char key[] = "\"state\":\"";
	size_t len = 0;
	ssize_t k;
	int fd = http_get(port, "/api/v1/status"), done = 0;
	if (fd < 0)
		return false;
	while (len + 1 < sizeof(buf) && (k = read(fd, buf + len, sizeof(buf) - len - 1)) > 0)
		len += (size_t)k;
	close(fd);
	buf[len] = '\0';
	for (const char *p = strstr(buf, key); p; p = strstr(p, key)) {
		p += strlen(key);
		if (strncmp(p, "finished\"", 9) == 0 || strncmp(p, "failed\"", 7) == 0)
			done++;
	}
	return done == cams;
}

/* One client watching a camera: reads its stream and discards it,
 * counting the JPEG parts. */
struct reader {
	pthread_t th;
	int port;
	char path[64];
	atomic_bool *stop;
	uint64_t parts;
};

static void *reader_thread(void *arg)
{
	static const char mark[] = "Content-Type: image/jpeg"; /* each part's header */
	struct reader *r = arg;
	char buf[1 << 16];
	int fd, m = 0;
	ssize_t k;
	/* The server comes up a moment after turnstile starts. */
	while ((fd = http_get(r->port, r->path)) < 0) {
		struct timespec d = {0, 2000000};
		if (atomic_load(r->stop))
			return NULL;
		nanosleep(&d, NULL);
	}
	while ((k = read(fd, buf, sizeof(buf))) > 0 || (k < 0 && errno == EINTR))
		for (ssize_t i = 0; i < k; i++) {
			/* 'C' opens the mark only: no partial match to fall back to. */
			m = buf[i] == mark[m] ? m + 1 : buf[i] == mark[0];
			if (m == (int)sizeof(mark) - 1) {
				r->parts++;
				m = 0;
			}
		}
	close(fd);
	return NULL;
}

/* ---- --idle realtime: the window read from /metrics -------------------- */

/* Histogram bounds of turnstile_capture_to_count_seconds (src/output/http.c)
 * that the windowed trial reads: the one under a frame period (33 ms),
 * three frame periods, and the ring's 8 frames (267 ms): a frame counted
 * later than that was behind by more than the ring holds, which for a
 * live camera is a drop. */
#define WIN_LATE_S "0.025"
#define WIN_LATER_S "0.1"
#define WIN_VERY_LATE_S "0.25"

/* One read of /metrics, per camera (named c0, c1... by run_turnstile). */
struct metrics {
	double *frames, *dropped, *corrupt, *late_ok, *later_ok, *very_late_ok, *count;
};

static struct metrics metrics_alloc(int cams)
{
	struct metrics m;
	double *all = calloc((size_t)cams * 7, sizeof(double));
	if (!all)
		die("%s", "out of memory");
	m.frames = all;
	m.dropped = all + cams;
	m.corrupt = all + 2 * (size_t)cams;
	m.late_ok = all + 3 * (size_t)cams;
	m.very_late_ok = all + 4 * (size_t)cams;
	m.count = all + 5 * (size_t)cams;
	m.later_ok = all + 6 * (size_t)cams;
	return m;
}

/* The value of a line "NAME{camera="cI"...} V" into out[I]. */
static void metrics_line(const char *line, const char *name, int cams, double *out)
{
	size_t n = strlen(name);
	if (strncmp(line, name, n) != 0 || strncmp(line + n, "{camera=\"c", 10) != 0)
		return;
	int i = atoi(line + n + 10);
	const char *v = strstr(line, "} ");
	if (i >= 0 && i < cams && v)
		out[i] = strtod(v + 2, NULL);
}

/* Reads /metrics into m; false when it could not be read whole. */
static bool metrics_read(int port, int cams, struct metrics *m)
{
	static char buf[16 << 20];
	size_t len = 0;
	ssize_t k;
	int fd = http_get(port, "/metrics");
	if (fd < 0)
		return false;
	while (len + 1 < sizeof(buf) && (k = read(fd, buf + len, sizeof(buf) - len - 1)) > 0)
		len += (size_t)k;
	close(fd);
	buf[len] = '\0';
	if (!strstr(buf, " 200 ") || !strstr(buf, "turnstile_capture_to_count_seconds_count"))
		return false;
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (line[0] == '#')
			continue;
		metrics_line(line, "turnstile_frames_total", cams, m->frames);
		metrics_line(line, "turnstile_dropped_frames_total", cams, m->dropped);
		metrics_line(line, "turnstile_corrupt_frames_total", cams, m->corrupt);
		metrics_line(line, "turnstile_capture_to_count_seconds_count", cams, m->count);
		if (strstr(line, "_bucket{") && strstr(line, "le=\"" WIN_LATE_S "\""))
			metrics_line(line, "turnstile_capture_to_count_seconds_bucket", cams, m->late_ok);
		if (strstr(line, "_bucket{") && strstr(line, "le=\"" WIN_LATER_S "\""))
			metrics_line(line, "turnstile_capture_to_count_seconds_bucket", cams, m->later_ok);
		if (strstr(line, "_bucket{") && strstr(line, "le=\"" WIN_VERY_LATE_S "\""))
			metrics_line(line, "turnstile_capture_to_count_seconds_bucket", cams,
				     m->very_late_ok);
	}
	return true;
}

/* What happened between two reads, into r. */
static void metrics_window(const struct metrics *a, const struct metrics *b, int cams,
			   struct run *r)
{
	r->win_read = true;
	r->win_frames_min = 1e300;
	for (int i = 0; i < cams; i++) {
		double frames = b->frames[i] - a->frames[i];
		double decoded = b->count[i] - a->count[i];
		if (frames < r->win_frames_min)
			r->win_frames_min = frames;
		r->win_dropped += (uint64_t)(b->dropped[i] - a->dropped[i]);
		r->win_corrupt += (uint64_t)(b->corrupt[i] - a->corrupt[i]);
		r->win_decoded += (uint64_t)decoded;
		r->win_late += (uint64_t)(decoded - (b->late_ok[i] - a->late_ok[i]));
		r->win_later += (uint64_t)(decoded - (b->later_ok[i] - a->later_ok[i]));
		r->win_very_late += (uint64_t)(decoded - (b->very_late_ok[i] - a->very_late_ok[i]));
	}
}

/* Runs turnstile --json on cams copies of the clip, on the first ncpus of
 * our CPUs (0: all), in realtime for duration seconds when duration > 0. */
static void run_turnstile(const struct options *o, const struct clip *c, int cams, int ncpus,
			  double duration, struct run *r)
{
	char wbuf[16], dbuf[32], ini[PATH_MAX];
	char **argv = xmalloc(((size_t)cams + 8) * sizeof(*argv));
	int a = 0;
	snprintf(wbuf, sizeof(wbuf), "%d", o->detect_width);
	snprintf(dbuf, sizeof(dbuf), "%g", duration);
	argv[a++] = (char *)o->turnstile;
	argv[a++] = "--json";
	argv[a++] = "--detect-width";
	argv[a++] = wbuf;
	if (duration > 0) {
		argv[a++] = "--realtime";
		argv[a++] = "--duration";
		argv[a++] = dbuf;
	}
	if (c->line || c->http_port) {
		/* idle_skip= is a camera key, preview_fps= a [turnstile] one: the
		 * cameras go in a file. A windowed trial reads /metrics, so it
		 * has the server too. */
		snprintf(ini, sizeof(ini), "%s/bench-cameras-%d.ini", o->clip_dir, (int)getpid());
		FILE *f = fopen(ini, "w");
		if (!f)
			die("cannot write '%s'", ini);
		if (c->http_port)
			fprintf(f, "[turnstile]\nhttp=127.0.0.1:%d\npreview_fps=%d\n", c->http_port,
				c->preview_fps);
		for (int i = 0; i < cams; i++) {
			const char *src = c->nsources
						  ? c->sources[(int)((int64_t)i * c->nsources / cams)]
						  : c->path;
			fprintf(f, "[camera c%d]\nsource=%s\n", i, src);
			if (c->line)
				fprintf(f, "line=%s\nidle_skip=%d\n", c->line, c->idle_skip);
		}
		if (fclose(f) != 0)
			die("cannot write '%s'", ini);
		argv[a++] = "-c";
		argv[a++] = ini;
	} else {
		for (int i = 0; i < cams; i++)
			argv[a++] = (char *)c->path;
	}
	argv[a] = NULL;

	int fds[2];
	if (pipe(fds) != 0)
		die("pipe: %s", strerror(errno));
	double t0 = now_s();
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (ncpus > 0) {
			cpu_set_t have, want;
			CPU_ZERO(&want);
			sched_getaffinity(0, sizeof(have), &have);
			for (int cpu = 0, k = 0; cpu < CPU_SETSIZE && k < ncpus; cpu++)
				if (CPU_ISSET(cpu, &have)) {
					CPU_SET(cpu, &want);
					k++;
				}
			sched_setaffinity(0, sizeof(want), &want);
		}
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		fprintf(stderr, "bench: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	atomic_bool stop = false;
	struct reader *readers = NULL;
	if (c->readers) {
		readers = xmalloc((size_t)cams * sizeof(*readers));
		for (int i = 0; i < cams; i++) {
			readers[i] = (struct reader){.port = c->http_port, .stop = &stop};
			snprintf(readers[i].path, sizeof(readers[i].path), "/cameras/c%d/stream.mjpg", i);
			if (pthread_create(&readers[i].th, NULL, reader_thread, &readers[i]) != 0)
				die("%s", "cannot start a thread");
		}
	}
	size_t len = 0, cap = 1 << 16;
	char *json = xmalloc(cap);
	long hwm = 0;
	double t_end = 0; /* with --http: when the status said every camera finished */
	double t_asked = t0;
	long threads_peak = 0;
	/* A windowed trial: /metrics at t0 + warm and t0 + warm + window. */
	struct metrics win[2];
	int win_reads = 0;
	if (c->window > 0) {
		win[0] = metrics_alloc(cams);
		win[1] = metrics_alloc(cams);
	}
	for (;;) {
		/* The peak RSS is sampled, since wait4's ru_maxrss would include
		 * our own pages, which the child had between fork and exec. The
		 * high-water mark only grows, and turnstile prints its summary
		 * before it frees anything, so the sample taken as the summary
		 * arrives is the peak. */
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		int pr = poll(&pfd, 1, POLL_MS);
		long v = vm_hwm_kb(pid);
		if (v > hwm)
			hwm = v;
		if (pr < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (c->window > 0 && win_reads < 2 &&
		    now_s() >= t0 + c->warm + (win_reads ? c->window : 0.0)) {
			if (metrics_read(c->http_port, cams, &win[win_reads]))
				win_reads++;
			else if (now_s() > t0 + c->warm + c->window + 1.0)
				win_reads = 3; /* never came: the trial fails */
		}
		if (pr == 0 && c->http_port && c->window <= 0 && t_end == 0) {
			/* Asking every POLL_MS all along cost 4-5% more CPU a frame
			 * with 4 cameras (about 1 ms a request), weighing on the
			 * counting measured: the status is asked once a camera's
			 * threads have ended (the count falls from its peak), and
			 * once a second in any case. */
			long th = proc_threads(pid);
			if (th > threads_peak)
				threads_peak = th;
			double t = now_s();
			if (th < threads_peak || t - t_asked >= 1.0) {
				t_asked = t;
				if (all_finished(c->http_port, cams)) {
					t_end = now_s();
					kill(pid, SIGTERM); /* the summary comes then */
				}
			}
		}
		if (pr <= 0)
			continue;
		if (len + 1 == cap) {
			json = realloc(json, cap *= 2);
			if (!json)
				die("%s", "out of memory");
		}
		ssize_t k = read(fds[0], json + len, cap - len - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		len += (size_t)k;
	}
	json[len] = '\0';
	close(fds[0]);
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4: %s", strerror(errno));
	*r = (struct run){.cams = cams};
	r->wall = (t_end > 0 ? t_end : now_s()) - t0;
	atomic_store(&stop, true);
	for (int i = 0; c->readers && i < cams; i++) {
		pthread_join(readers[i].th, NULL);
		r->shown += readers[i].parts;
	}
	free(readers);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("turnstile failed on '%s'", c->path);
	r->cpu = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
	r->maxrss_kb = hwm;
	parse_summary(json, cams, r);
	if (c->window > 0) {
		if (win_reads == 2)
			metrics_window(&win[0], &win[1], cams, r);
		free(win[0].frames);
		free(win[1].frames);
	}
	if (c->line || c->http_port)
		unlink(ini);
	r->fps = (double)r->frames / r->wall;
	free(json);
	free(argv);
}

static int by_fps(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	return (x->fps > y->fps) - (x->fps < y->fps);
}

/* As fast as possible, repeated until o->seconds have passed (at least
 * once, at most MAX_RUNS times): the median run by fps, with the largest
 * peak RSS seen. */
static struct run fastest_median(const struct options *o, const struct clip *c, int cams,
				 int ncpus)
{
	struct run runs[MAX_RUNS];
	int n = 0;
	double total = 0;
	long rss = 0;
	do {
		run_turnstile(o, c, cams, ncpus, 0, &runs[n]);
		if (runs[n].frames != (uint64_t)cams * (uint64_t)c->n || runs[n].corrupt)
			die("turnstile did not count every frame of '%s'", c->path);
		total += runs[n].wall;
		if (runs[n].maxrss_kb > rss)
			rss = runs[n].maxrss_kb;
		n++;
	} while (total < o->seconds && n < MAX_RUNS);
	qsort(runs, (size_t)n, sizeof(runs[0]), by_fps);
	struct run r = runs[n / 2];
	r.maxrss_kb = rss;
	return r;
}

/* One realtime trial: passes with no drop, no camera behind schedule (it
 * processed every frame due before the end, give or take the one due at the
 * end) and every camera's p99 latency within the budget. */
static bool realtime_trial(const struct options *o, const struct clip *c, int cams,
			   double duration, struct run *r, FILE *out)
{
	if (c->window > 0) {
		/* After the warm-up (every camera decodes every frame for its
		 * first second, the hold: docs/idle-skip.md), the window: no
		 * drop, every camera dealt with every frame due in it (a run
		 * of skipped frames waiting in the ring aside), and no frame
		 * counted later than the ring's 8 frames after it was due
		 * (none fell behind: a live camera would have dropped it). The
		 * shares late by more than a frame period or three are shown:
		 * every camera's frames fall due at the same moments here,
		 * and idle cameras started together decode the same frames of
		 * each run, bursts that free-running cameras do not make. */
		struct clip w = *c;
		w.http_port = free_port();
		run_turnstile(o, &w, cams, 0, c->warm + c->window + 1.0, r);
		double due = c->window * c->fps;
		bool pass = r->win_read && r->dropped == 0 && r->corrupt == 0 &&
			    r->win_dropped == 0 && r->win_frames_min >= due - 8 &&
			    r->win_very_late == 0;
		if (r->win_read)
			fprintf(out, "| %d | %s | %.2f%% | %.2f%% | %llu | %.0f of %.0f | %.3f | %.1f |\n",
			       cams, pass ? "yes" : "no",
			       100.0 * (double)r->win_late / fmax(1.0, (double)r->win_decoded),
			       100.0 * (double)r->win_later / fmax(1.0, (double)r->win_decoded),
			       (unsigned long long)r->win_very_late, r->win_frames_min, due,
			       r->cpu / (double)r->frames * 1e3, r->maxrss_kb / 1024.0);
		else
			fprintf(out, "| %d | no (no /metrics) | | | | | | |\n", cams);
		fflush(out);
		fprintf(stderr, "bench: realtime %d cameras: %s\n", cams,
			pass ? "kept up" : "fell behind");
		return pass;
	}
	run_turnstile(o, c, cams, 0, duration, r);
	double due = floor(duration * c->fps);
	bool pass = r->dropped == 0 && r->corrupt == 0 && r->min_cam_frames >= due - 1 &&
		    r->lat_p99_max < o->budget_ms * 1e3;
	fprintf(out, "| %d | %s | %.1f | %.0f of %.0f | %.1f | %.1f |\n", cams, pass ? "yes" : "no",
	       r->lat_p99_max / 1e3, r->min_cam_frames, due,
	       r->cpu / (double)r->frames * 1e3, r->maxrss_kb / 1024.0);
	fflush(out);
	fprintf(stderr, "bench: realtime %d cameras: %s\n", cams, pass ? "kept up" : "fell behind");
	return pass;
}

/* The search for the largest N that keeps up: N doubled from rt_from,
 * then bisected; lo is the largest that kept up, hi the smallest that did
 * not (0 when none failed up to rt_max). One trial at a time, so that
 * several searches can take turns on a shared machine. */
struct search {
	int lo, hi, next;
	bool bisecting, done;
};

static void search_start(const struct options *o, struct search *s)
{
	*s = (struct search){.next = o->rt_from, .done = o->rt_from > o->rt_max};
}

static void search_step(const struct options *o, struct search *s, bool pass)
{
	if (pass)
		s->lo = s->next;
	else
		s->hi = s->next;
	if (!s->bisecting) {
		if (pass) {
			s->next *= 2;
			s->done = s->next > o->rt_max;
			return;
		}
		s->bisecting = true;
	}
	if (s->hi - s->lo <= (s->lo / 32 > 1 ? s->lo / 32 : 1)) {
		s->done = true;
		return;
	}
	s->next = (s->lo + s->hi) / 2;
}

static void realtime_search(const struct options *o, const struct clip *c, double duration,
			    int *lo_out, int *hi_out)
{
	struct run r;
	struct search s;
	for (search_start(o, &s); !s.done;)
		search_step(o, &s, realtime_trial(o, c, s.next, duration, &r, stdout));
	*lo_out = s.lo;
	*hi_out = s.hi;
}

static void bench_clip(const struct options *o, const struct clip *c)
{
	static const int div[] = {1, 2, 4, 8};
	struct decode_result full_bgr, full_gray, scaled = {0};
	int scale_div = 0;
	struct load_mark mark = load_mark();

	printf("## %dx%d: %s\n\n", c->w, c->h, c->path);
	printf("%d frames at %g fps, %.0f KB per frame on average; turnstile decodes it at "
	       "%dx%d.\n\n",
	       c->n, c->fps, (double)c->bytes / c->n / 1024.0, c->sw, c->sh);

	/* (a) and (b). */
	fprintf(stderr, "bench: %s: bare decodes\n", c->path);
	printf("Bare TurboJPEG, %d threads, frames in memory:\n\n", o->threads);
	printf("| decode | fps | CPU ms/frame |\n|---|---|---|\n");
	full_bgr = bare_decode(o, c, c->w, c->h, TJPF_BGR);
	printf("| full size to BGR (a) | %.0f | %.3f |\n", full_bgr.fps, full_bgr.cpu_ms);
	full_gray = bare_decode(o, c, c->w, c->h, TJPF_GRAY);
	printf("| full size to gray | %.0f | %.3f |\n", full_gray.fps, full_gray.cpu_ms);
	for (size_t i = 1; i < sizeof(div) / sizeof(div[0]); i++) {
		tjscalingfactor sf = {1, div[i]};
		int w = TJSCALED(c->w, sf), h = TJSCALED(c->h, sf);
		struct decode_result d = bare_decode(o, c, w, h, TJPF_GRAY);
		bool ours = w == c->sw && h == c->sh;
		if (ours) {
			scaled = d;
			scale_div = div[i];
		}
		printf("| 1/%d (%dx%d) to gray%s | %.0f | %.3f |\n", div[i], w, h,
		       ours ? " (b: turnstile's scale)" : "", d.fps, d.cpu_ms);
		fflush(stdout);
	}
	if (!scale_div) {
		scaled = bare_decode(o, c, c->sw, c->sh, TJPF_GRAY);
		printf("| %dx%d to gray (b: turnstile's scale) | %.0f | %.3f |\n", c->sw, c->sh,
		       scaled.fps, scaled.cpu_ms);
	}

	printf("\n");
	print_other_load("the bare decodes", mark);
	mark = load_mark();

	/* (c). */
	printf("turnstile end to end, as fast as possible (median of runs over >= %g s):\n\n",
	       o->seconds);
	printf("fps ratios compare throughputs; CPU ratios compare CPU time per frame (bare / "
	       "turnstile), which other load on the machine moves far less. Stage columns: mean "
	       "wall time per frame from --json, which includes waiting for a CPU once cameras "
	       "outnumber CPUs.\n\n");
	printf("| cameras | fps | CPU ms/frame | peak RSS MB | (c)/(b) fps | (c)/(a) fps | "
	       "(c)/(b) CPU | (c)/(a) CPU | read us | decode us | detect us | track+count us |\n"
	       "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (int i = 0; i < o->ncounts; i++) {
		fprintf(stderr, "bench: %s: %d cameras\n", c->path, o->counts[i]);
		struct run r = fastest_median(o, c, o->counts[i], 0);
		double cpu_ms = r.cpu / (double)r.frames * 1e3;
		printf("| %d | %.0f | %.3f | %.1f | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f | %.1f | "
		       "%.1f |\n",
		       o->counts[i], r.fps, cpu_ms, r.maxrss_kb / 1024.0, r.fps / scaled.fps,
		       r.fps / full_bgr.fps, scaled.cpu_ms / cpu_ms, full_bgr.cpu_ms / cpu_ms,
		       r.stage_mean[0], r.stage_mean[1], r.stage_mean[2],
		       r.stage_mean[3] + r.stage_mean[4]);
		fflush(stdout);
	}

	printf("\n");
	print_other_load("the runs above", mark);
	mark = load_mark();

	/* Cores. */
	int ncpu = cpus_allowed();
	if (ncpu >= 2 && o->scale_cams > 0) {
		fprintf(stderr, "bench: %s: 1 CPU vs %d\n", c->path, ncpu);
		struct run one = fastest_median(o, c, o->scale_cams, 1);
		struct run all = fastest_median(o, c, o->scale_cams, ncpu);
		printf("%d cameras pinned to 1 CPU: %.0f fps (%.3f CPU ms/frame); to %d CPUs: "
		       "%.0f fps (%.3f CPU ms/frame); %d CPUs / 1 CPU = **%.2f**.\n\n",
		       o->scale_cams, one.fps, one.cpu / (double)one.frames * 1e3, ncpu, all.fps,
		       all.cpu / (double)all.frames * 1e3, ncpu, all.fps / one.fps);
		print_other_load("the pinned runs", mark);
		mark = load_mark();
	}

	/* (d). */
	if (o->realtime) {
		double duration = fmin(o->rt_seconds, c->n / c->fps - 1.0);
		if (duration < 1)
			die("'%s' is too short for the realtime test", c->path);
		printf("Realtime at %g fps for %g s (%dx%d): the largest N cameras with no drop, "
		       "none behind and p99 capture->count under %g ms:\n\n",
		       c->fps, duration, c->w, c->h, o->budget_ms);
		printf("| cameras | kept up | worst p99 latency ms | frames (fewest camera) | "
		       "CPU ms/frame | peak RSS MB |\n|---|---|---|---|---|---|\n");
		int lo, hi;
		realtime_search(o, c, duration, &lo, &hi);
		if (hi)
			printf("\nLargest N: **%d** cameras (%d failed).\n\n", lo, hi);
		else
			printf("\nLargest N: at least **%d** cameras (the most tried).\n\n", lo);
		print_other_load("the realtime trials", mark);
	}
	fflush(stdout);
}

/* ---- --idle: idle skipping ------------------------------------------------- */

#define IDLE_LINE "0.3,0.5,0.7,0.5" /* 0.27 from the side edges with its band: N = 5 at 30 fps */
#define IDLE_CAMS 4                 /* cameras per process for CPU per frame */

/* DIR/NAME.avi at 1280x720, 30 fps, rendered on first use. */
static void generate_idle_clip(const struct options *o, const char *name, const char *seconds,
			       const char *crossings, char *path, size_t len)
{
	char out[PATH_MAX];
	struct stat st;
	if ((size_t)snprintf(out, sizeof(out), "%s/%s", o->clip_dir, name) >= sizeof(out) ||
	    (size_t)snprintf(path, len, "%s.avi", out) >= len)
		die("path too long: '%s'", o->clip_dir);
	if (stat(path, &st) == 0)
		return;
	mkdir(o->clip_dir, 0777);
	char *argv[] = {(char *)o->scenegen, "--out", out, "--width", "1280", "--height", "720",
			"--fps", "30", "--seconds", (char *)seconds, "--crossings", (char *)crossings,
			"--transit", "2.5,3.5", "--line", IDLE_LINE, "--seed", "17", NULL};
	fprintf(stderr, "bench: rendering %s\n", path);
	if (run_wait(argv) != 0)
		die("scenegen failed for '%s'", path);
}

/* CPU per frame as fast as it goes, IDLE_CAMS cameras in one process,
 * skipping off then on; returns on's figures in *on_out. */
static void idle_row(const struct options *o, struct clip *c, const char *label, struct run *off_out,
		     struct run *on_out)
{
	c->idle_skip = 0;
	struct run off = fastest_median(o, c, IDLE_CAMS, 0);
	c->idle_skip = 1;
	struct run on = fastest_median(o, c, IDLE_CAMS, 0);
	double off_ms = off.cpu / (double)off.frames * 1e3, on_ms = on.cpu / (double)on.frames * 1e3;
	printf("| %s | %s | %d | %d | %.0f%% | %.3f | %.3f | **%.2f** |\n", label, c->line, c->n,
	       on.idle_n, 100.0 * (double)on.skipped / (double)on.frames, off_ms, on_ms,
	       off_ms / on_ms);
	fflush(stdout);
	*off_out = off;
	*on_out = on;
}

#define IDLE_OFFSETS 60 /* out of step: the clip from this many starting points */

/* The clip from IDLE_OFFSETS starting points spread evenly over it (one
 * second apart for the 60 s clip), each file long enough for one trial,
 * wrapping round at the end: cameras given different ones are out of
 * step, as cameras at different doors are. */
static void make_offset_clips(const struct options *o, const struct clip *c, double seconds,
			      char (*paths)[PATH_MAX])
{
	struct clip mem = {0};
	int frames = (int)ceil(seconds * c->fps);
	load_clip_frames(o, c->path, &mem, true);
	fprintf(stderr, "bench: writing the clip from %d starting points, %d frames each\n",
		IDLE_OFFSETS, frames);
	for (int k = 0; k < IDLE_OFFSETS; k++) {
		struct avi_writer *w;
		int first = (int)((int64_t)k * mem.n / IDLE_OFFSETS);
		snprintf(paths[k], PATH_MAX, "%s/bench-idle-from%02d.avi", o->clip_dir, k);
		struct avi_writer_config cfg = {.path = paths[k], .width = mem.w, .height = mem.h,
						.rate = (uint32_t)lround(mem.fps), .scale = 1,
						.index = true};
		if (avi_writer_open(&cfg, &w) != 0)
			die("cannot write '%s'", paths[k]);
		for (int j = 0; j < frames; j++) {
			int i = (first + j) % mem.n;
			if (avi_writer_add_frame(w, mem.data[i], mem.len[i]) != 0)
				die("cannot write '%s'", paths[k]);
		}
		if (avi_writer_close(w) != 0)
			die("cannot write '%s'", paths[k]);
	}
	for (int i = 0; i < mem.n; i++)
		free(mem.data[i]);
	free(mem.data);
	free(mem.len);
	/* Written back now, not by the kernel during the trials. */
	sync();
}

/* The most cameras of the mostly empty clip that keep up in realtime,
 * skipping off and on, with every camera in step (the worst case: all of
 * them see each object at the same moment) and out of step (each camera
 * from its own starting point: the typical case). Measured, not worked
 * out: N cameras paced at 30 fps in one process, judged on a window after
 * a warm-up (realtime_trial). */
static void idle_realtime(const struct options *o, const struct clip *busy)
{
	static char paths[IDLE_OFFSETS][PATH_MAX];
	struct load_mark mark = load_mark();
	struct clip c = *busy;
	int lo[2][2], hi[2][2];
	c.warm = o->rt_warmup;
	c.window = o->rt_seconds;
	c.preview_fps = 5;
	make_offset_clips(o, busy, c.warm + c.window + 2.0, paths);
	/* In step, every camera from the point that puts the clip's first
	 * object (in sight from about second 5 to 8) in the judged window:
	 * from its start, the warm-up would see it and the window nothing. */
	int in_step = ((4 - (int)lround(c.warm)) % IDLE_OFFSETS + IDLE_OFFSETS) % IDLE_OFFSETS;
	printf("Cameras in realtime at %g fps, measured: N cameras of the clip paced in one "
	       "process, judged on the %g s after a %g s warm-up (every camera decodes every "
	       "frame for its first second), from two reads of /metrics: kept up when no frame "
	       "was dropped, every camera dealt with every frame due in the window (8 frames "
	       "aside: a run of skipped frames waiting in the ring) and no decoded frame was "
	       "counted over %s s after it was due (the ring's 8 frames: a live camera that far "
	       "behind drops). The shares of decoded frames counted over %s s (under a frame "
	       "period) and %s s late are shown, not judged: every camera's frames fall due at "
	       "the same moments here, and idle cameras that started together decode the same "
	       "frames, bursts that free-running cameras spread out. N doubled from %d, then "
	       "bisected. In step: every camera replays the clip from second %d, so all see its "
	       "first object at once in the window (the worst case). Out of step: camera i of N "
	       "replays it from second 60 i / N (%d starting points), as cameras at different "
	       "doors are busy at different times (the typical case). The four searches take turns, one trial each, and "
	       "a failed trial is run once more (other work on the machine makes false failures, "
	       "never false passes).\n\n",
	       c.fps, c.window, c.warm, WIN_VERY_LATE_S, WIN_LATE_S, WIN_LATER_S, o->rt_from,
	       in_step, IDLE_OFFSETS);
	/* The four searches take turns, one trial each (a failed one twice),
	 * so that other work on a shared machine weighs on all four alike. */
	struct {
		struct clip c;
		struct search s;
		FILE *f;
		char *rows;
		size_t len;
	} q[4];
	for (int k = 0; k < 4; k++) {
		q[k].c = c;
		q[k].c.idle_skip = k % 2;
		q[k].c.sources = k / 2 ? paths : &paths[in_step];
		q[k].c.nsources = k / 2 ? IDLE_OFFSETS : 1;
		search_start(o, &q[k].s);
		q[k].rows = NULL;
		q[k].f = open_memstream(&q[k].rows, &q[k].len);
		if (!q[k].f)
			die("%s", "out of memory");
	}
	for (bool left = true; left;) {
		left = false;
		for (int k = 0; k < 4; k++) {
			struct run r;
			if (q[k].s.done)
				continue;
			fprintf(stderr, "bench: idle_skip=%d, %s: ", k % 2, k / 2 ? "out of step" : "in step");
			/* A failure is tried once more: other work on a shared
			 * machine makes false failures (a burst of it starves
			 * the trial), never false passes, and one would stop
			 * the doubling for good. */
			bool pass = realtime_trial(o, &q[k].c, q[k].s.next, 0, &r, q[k].f);
			if (!pass) {
				fprintf(stderr, "bench: idle_skip=%d, %s, again: ", k % 2,
					k / 2 ? "out of step" : "in step");
				pass = realtime_trial(o, &q[k].c, q[k].s.next, 0, &r, q[k].f);
			}
			search_step(o, &q[k].s, pass);
			left = left || !q[k].s.done;
		}
	}
	for (int k = 0; k < 4; k++) {
		fclose(q[k].f);
		printf("Realtime, idle_skip=%d, %s:\n\n| cameras | kept up | decoded over %s s late | "
		       "over %s s | over %s s (frames) | frames in the window (fewest camera) | CPU "
		       "ms/frame, whole run | peak RSS MB |\n|---|---|---|---|---|---|---|---|\n%s\n",
		       k % 2, k / 2 ? "out of step" : "every camera in step", WIN_LATE_S, WIN_LATER_S,
		       WIN_VERY_LATE_S, q[k].rows);
		free(q[k].rows);
		lo[k / 2][k % 2] = q[k].s.lo;
		hi[k / 2][k % 2] = q[k].s.hi;
	}
	for (int step = 0; step <= 1; step++)
		printf("Largest N in realtime, %s: off **%d**, on **%d** (on / off = **%.2f**)%s.\n\n",
		       step ? "out of step (typical)" : "in step (worst case)", lo[step][0],
		       lo[step][1], lo[step][0] ? (double)lo[step][1] / lo[step][0] : 0.0,
		       hi[step][1] ? "" : " (on: the most tried)");
	print_other_load("the realtime trials", mark);
	for (int k = 0; k < IDLE_OFFSETS; k++)
		unlink(paths[k]);
}

static void bench_idle(const struct options *o)
{
	char busy_path[PATH_MAX], empty_path[PATH_MAX];
	struct clip busy = {0}, empty = {0};
	struct run off, on;
	struct load_mark mark = load_mark();
	int ncpu = cpus_allowed();

	/* 60 s, two objects of about 3 s each: in view about 10% of the time. */
	generate_idle_clip(o, "bench-idle-1280x720", "60", "2", busy_path, sizeof(busy_path));
	generate_idle_clip(o, "bench-empty-1280x720", "20", "0", empty_path, sizeof(empty_path));
	load_clip_frames(o, busy_path, &busy, false);
	load_clip_frames(o, empty_path, &empty, false);
	busy.line = empty.line = IDLE_LINE;
	if (o->idle_realtime_only) {
		printf("## Idle skipping (docs/idle-skip.md): the realtime search alone\n\n");
		idle_realtime(o, &busy);
		return;
	}

	printf("## Idle skipping (docs/idle-skip.md)\n\n");
	printf("CPU per frame as fast as it goes, %d cameras of each clip in one process, idle_skip=0 "
	       "then 1 (median of runs over >= %g s each). N: one frame in N decoded while idle; "
	       "skipped: share of all frames.\n\n", IDLE_CAMS, o->seconds);
	printf("| clip | line | frames | N | skipped | CPU ms/frame off | on | off / on |\n"
	       "|---|---|---|---|---|---|---|---|\n");
	idle_row(o, &busy, "720p30, objects 10% of the time", &off, &on);
	double busy_off_ms = off.cpu / (double)off.frames * 1e3;
	double busy_on_ms = on.cpu / (double)on.frames * 1e3;
	for (int i = 0; i < o->nidle_clips; i++) {
		char file[PATH_MAX];
		struct clip c = {0};
		const char *eq = strrchr(o->idle_clips[i], '=');
		snprintf(file, sizeof(file), "%.*s", (int)(eq - o->idle_clips[i]), o->idle_clips[i]);
		load_clip_frames(o, file, &c, false);
		c.line = eq + 1;
		const char *base = strrchr(file, '/');
		idle_row(o, &c, base ? base + 1 : file, &off, &on);
	}
	printf("\n");
	print_other_load("the runs above", mark);
	mark = load_mark();

	/* One idle camera in realtime: its CPU over its wall time, and in the
	 * steady state, without the start (opening, the first second decoded
	 * in full): the difference between a short run and a long one. */
	double duration = empty.n / empty.fps - 1.0, shorter = 4.0;
	printf("One camera of an empty 720p30 MJPEG clip in realtime (goal: at most 1%% of a core). "
	       "Steady state: the CPU of a %g s run taken from that of a %g s one, over the "
	       "difference in wall time.\n\n| idle_skip | N | CPU %% of one core, steady state | "
	       "whole %g s run | CPU ms/frame |\n|---|---|---|---|---|\n",
	       shorter, duration, duration);
	for (int skip = 0; skip <= 1; skip++) {
		struct run r, r0;
		empty.idle_skip = skip;
		run_turnstile(o, &empty, 1, 0, shorter, &r0);
		run_turnstile(o, &empty, 1, 0, duration, &r);
		printf("| %d | %d | **%.2f%%** | %.2f%% | %.3f |\n", skip, r.idle_n,
		       100.0 * (r.cpu - r0.cpu) / (r.wall - r0.wall), 100.0 * r.cpu / r.wall,
		       r.cpu / (double)r.frames * 1e3);
		fflush(stdout);
	}
	printf("\n");
	print_other_load("the idle camera", mark);
	mark = load_mark();

	/* Cameras in realtime: what the CPU per frame allows on these CPUs,
	 * and (unless --no-realtime) the search of (d) with every camera
	 * replaying the clip in step, so all of them see each object at once:
	 * the worst case for skipping, which helps most when cameras are busy
	 * at different times. */
	printf("Cameras of the mostly empty clip in realtime at %g fps on %d CPUs, from the CPU per "
	       "frame above (CPUs / (fps x CPU per frame)): off **%.0f**, on **%.0f**, on / off "
	       "= **%.2f** (goal: at least 2.5).\n\n",
	       busy.fps, ncpu, ncpu / (busy.fps * busy_off_ms / 1e3),
	       ncpu / (busy.fps * busy_on_ms / 1e3), busy_off_ms / busy_on_ms);
	if (o->realtime)
		idle_realtime(o, &busy);
}

/* ---- --http-watch: the HTTP server's cost -------------------------------- */

#define HTTP_KINDS 4

static void bench_http(const struct options *o, struct clip *c)
{
	static const char *const kind[HTTP_KINDS] = {
		"(a) no server", "(b) --http, no client",
		"(c) a stream reader per camera, preview_fps=5",
		"(d) a stream reader per camera, preview_fps=60"};
	static const int preview_fps[HTTP_KINDS] = {0, 5, 5, 60};
	struct load_mark mark = load_mark();

	printf("## The HTTP server's cost (docs/http.md)\n\n");
	printf("%dx%d MJPEG, %d frames a camera, as fast as it goes. The four runs alternate, "
	       "repeated until (a) has run at least %g s; figures are sums over the runs. With "
	       "--http a run ends when /api/v1/status (asked every %d ms) says every camera "
	       "finished, then SIGTERM: its wall time includes up to %d ms of that. Extra CPU per "
	       "shown frame: (CPU - CPU of (a)) / JPEG parts the readers received.\n\n",
	       c->w, c->h, c->n, o->seconds, POLL_MS, POLL_MS);
	printf("| cameras | run | runs | fps | CPU ms/frame | fps / (a) | CPU / (a) | shown frames | "
	       "extra CPU ms per shown frame |\n|---|---|---|---|---|---|---|---|---|\n");
	for (int i = 0; i < o->ncounts; i++) {
		int cams = o->counts[i], n = 0;
		struct run sum[HTTP_KINDS] = {0};
		fprintf(stderr, "bench: http, %d cameras\n", cams);
		do {
			for (int k = 0; k < HTTP_KINDS; k++) {
				struct run r;
				c->http_port = k ? free_port() : 0;
				c->readers = k >= 2;
				c->preview_fps = preview_fps[k];
				run_turnstile(o, c, cams, 0, 0, &r);
				if (r.frames != (uint64_t)cams * (uint64_t)c->n || r.corrupt)
					die("turnstile did not count every frame of '%s'", c->path);
				sum[k].wall += r.wall;
				sum[k].cpu += r.cpu;
				sum[k].frames += r.frames;
				sum[k].shown += r.shown;
			}
			n++;
		} while (sum[0].wall < o->seconds && n < MAX_RUNS);
		double fps0 = (double)sum[0].frames / sum[0].wall;
		double ms0 = sum[0].cpu / (double)sum[0].frames * 1e3;
		for (int k = 0; k < HTTP_KINDS; k++) {
			char ratios[64] = "1 | 1", shown[32] = "-", extra[32] = "-";
			double fps = (double)sum[k].frames / sum[k].wall;
			double ms = sum[k].cpu / (double)sum[k].frames * 1e3;
			if (k)
				snprintf(ratios, sizeof(ratios), "**%.3f** | **%.3f**", fps / fps0, ms / ms0);
			if (k >= 2) {
				snprintf(shown, sizeof(shown), "%llu", (unsigned long long)sum[k].shown);
				if (sum[k].shown)
					snprintf(extra, sizeof(extra), "**%.2f**",
						 (sum[k].cpu - sum[0].cpu) / (double)sum[k].shown * 1e3);
			}
			printf("| %d | %s | %d | %.0f | %.3f | %s | %s | %s |\n", cams, kind[k], n, fps,
			       ms, ratios, shown, extra);
		}
		fflush(stdout);
	}
	c->http_port = 0;
	c->readers = false;
	printf("\n");
	print_other_load("the runs above", mark);
}

/* ---- command line -------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench [options]\n"
		"  --turnstile PATH        the binary to measure (default: ../turnstile from here)\n"
		"  --scenegen PATH         renders the clips (default: scenegen beside bench)\n"
		"  --clips DIR             where generated clips are kept and reused\n"
		"                          (default /tmp/turnstile-bench)\n"
		"  --sizes WxH,...         clips to generate (default 1280x720,1920x1080)\n"
		"  --clip FILE             measure this MJPEG AVI/stream instead (repeatable)\n"
		"  --cameras N,...         camera counts, as fast as possible\n"
		"                          (default 1,2,4,8,16,32,64,128)\n"
		"  --threads N             bare decode threads (default: usable CPUs)\n"
		"  --seconds S             least time per measurement (default 3)\n"
		"  --detect-width PX       passed to turnstile (default 160)\n"
		"  --scale-cameras N       cameras for the 1 CPU vs all CPUs runs (default 8; 0: skip)\n"
		"  --no-realtime           skip the realtime search\n"
		"  --realtime-seconds S    length of each realtime trial (default 8)\n"
		"  --realtime-max N        most cameras tried in realtime (default 512)\n"
		"  --realtime-from N       first camera count of the realtime search (default 1)\n"
		"  --realtime-warmup S     --idle: seconds before the judged window (default 15)\n"
		"  --budget-ms MS          p99 capture->count latency allowed (default 33)\n"
		"  --idle                  measure idle skipping instead (docs/idle-skip.md)\n"
		"  --idle-clip FILE=LINE   with --idle, this MJPEG clip too, counted with the line\n"
		"                          X1,Y1,X2,Y2 (repeatable)\n"
		"  --idle-realtime-only    --idle, the measured realtime search alone\n"
		"  --http-watch            measure the HTTP server's cost instead: the first clip,\n"
		"                          --cameras (default 1,4) with no server, a server, and a\n"
		"                          client reading each camera's stream (docs/http.md)\n");
}

static bool parse_list(const char *s, int *out, int max, int *n)
{
	char *end;
	*n = 0;
	for (;;) {
		long v = strtol(s, &end, 10);
		if (end == s || v < 1 || v > 100000 || *n == max)
			return false;
		out[(*n)++] = (int)v;
		if (*end == '\0')
			return true;
		if (*end != ',')
			return false;
		s = end + 1;
	}
}

static bool parse_sizes(const char *s, struct options *o)
{
	o->nsizes = 0;
	while (*s) {
		int w, h, used;
		if (o->nsizes == MAX_CLIPS || sscanf(s, "%dx%d%n", &w, &h, &used) != 2 || w < 16 ||
		    h < 16 || w > 8192 || h > 8192)
			return false;
		o->sizes[o->nsizes][0] = w;
		o->sizes[o->nsizes][1] = h;
		o->nsizes++;
		s += used;
		if (*s == ',')
			s++;
		else if (*s)
			return false;
	}
	return o->nsizes > 0;
}

/* PATH beside our own executable (build/tools/bench -> build/tools/NAME). */
static void beside_self(const char *rel, char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		snprintf(out, len, "%s", rel);
		return;
	}
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	if ((size_t)snprintf(out, len, "%s/%s", self, rel) >= len)
		die("path too long: '%s'", self);
}

int main(int argc, char **argv)
{
	enum { O_TS = 256, O_GEN, O_CLIPS, O_SIZES, O_CLIP, O_CAMS, O_THREADS, O_SECONDS, O_WIDTH,
	       O_SCALE, O_NORT, O_RTS, O_RTW, O_RTMAX, O_RTFROM, O_BUDGET, O_IDLE, O_IDLE_CLIP,
	       O_IDLE_RT, O_HTTP, O_HELP };
	static const struct option longopts[] = {
		{"turnstile", required_argument, NULL, O_TS},
		{"scenegen", required_argument, NULL, O_GEN},
		{"clips", required_argument, NULL, O_CLIPS},
		{"sizes", required_argument, NULL, O_SIZES},
		{"clip", required_argument, NULL, O_CLIP},
		{"cameras", required_argument, NULL, O_CAMS},
		{"threads", required_argument, NULL, O_THREADS},
		{"seconds", required_argument, NULL, O_SECONDS},
		{"detect-width", required_argument, NULL, O_WIDTH},
		{"scale-cameras", required_argument, NULL, O_SCALE},
		{"no-realtime", no_argument, NULL, O_NORT},
		{"realtime-seconds", required_argument, NULL, O_RTS},
		{"realtime-warmup", required_argument, NULL, O_RTW},
		{"realtime-max", required_argument, NULL, O_RTMAX},
		{"realtime-from", required_argument, NULL, O_RTFROM},
		{"budget-ms", required_argument, NULL, O_BUDGET},
		{"idle", no_argument, NULL, O_IDLE},
		{"idle-clip", required_argument, NULL, O_IDLE_CLIP},
		{"idle-realtime-only", no_argument, NULL, O_IDLE_RT},
		{"http-watch", no_argument, NULL, O_HTTP},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	struct options o = {
		.clip_dir = "/tmp/turnstile-bench",
		.sizes = {{1280, 720}, {1920, 1080}},
		.nsizes = 2,
		.counts = {1, 2, 4, 8, 16, 32, 64, 128},
		.ncounts = 8,
		.threads = cpus_allowed(),
		.seconds = DEFAULT_SECONDS,
		.detect_width = 160,
		.realtime = true,
		.rt_seconds = DEFAULT_RT_SECONDS,
		.rt_max = 512,
		.rt_from = 1,
		.rt_warmup = 15.0,
		.budget_ms = 33,
		.scale_cams = 8,
	};
	beside_self("../turnstile", o.turnstile, sizeof(o.turnstile));
	beside_self("scenegen", o.scenegen, sizeof(o.scenegen));
	int c, n;
	char *end;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case O_TS:
			snprintf(o.turnstile, sizeof(o.turnstile), "%s", optarg);
			break;
		case O_GEN:
			snprintf(o.scenegen, sizeof(o.scenegen), "%s", optarg);
			break;
		case O_CLIPS:
			o.clip_dir = optarg;
			break;
		case O_SIZES:
			if (!parse_sizes(optarg, &o))
				die("bad --sizes '%s' (WxH,WxH...)", optarg);
			break;
		case O_CLIP:
			if (o.nclips == MAX_CLIPS)
				die("%s", "too many --clip");
			o.clips[o.nclips++] = optarg;
			break;
		case O_CAMS:
			if (!parse_list(optarg, o.counts, MAX_COUNTS, &o.ncounts))
				die("bad --cameras '%s'", optarg);
			o.counts_given = true;
			break;
		case O_THREADS:
			if (!parse_list(optarg, &o.threads, 1, &n) || o.threads > 64)
				die("bad --threads '%s' (1..64)", optarg);
			break;
		case O_SECONDS:
			o.seconds = strtod(optarg, &end);
			if (*end || !(o.seconds > 0))
				die("bad --seconds '%s'", optarg);
			break;
		case O_WIDTH:
			if (!parse_list(optarg, &o.detect_width, 1, &n) || o.detect_width < 16)
				die("bad --detect-width '%s'", optarg);
			break;
		case O_SCALE:
			o.scale_cams = (int)strtol(optarg, &end, 10);
			if (*end || o.scale_cams < 0)
				die("bad --scale-cameras '%s'", optarg);
			break;
		case O_NORT:
			o.realtime = false;
			break;
		case O_RTS:
			o.rt_seconds = strtod(optarg, &end);
			if (*end || !(o.rt_seconds >= 1))
				die("bad --realtime-seconds '%s' (>= 1)", optarg);
			break;
		case O_RTMAX:
			if (!parse_list(optarg, &o.rt_max, 1, &n))
				die("bad --realtime-max '%s'", optarg);
			break;
		case O_RTW:
			o.rt_warmup = strtod(optarg, &end);
			if (*end || !(o.rt_warmup >= 1))
				die("bad --realtime-warmup '%s' (>= 1)", optarg);
			break;
		case O_RTFROM:
			if (!parse_list(optarg, &o.rt_from, 1, &n) || o.rt_from < 1)
				die("bad --realtime-from '%s'", optarg);
			break;
		case O_BUDGET:
			o.budget_ms = strtod(optarg, &end);
			if (*end || !(o.budget_ms > 0))
				die("bad --budget-ms '%s'", optarg);
			break;
		case O_IDLE_RT:
			o.idle = o.idle_realtime_only = true;
			break;
		case O_IDLE:
			o.idle = true;
			break;
		case O_IDLE_CLIP:
			if (o.nidle_clips == MAX_CLIPS || !strchr(optarg, '='))
				die("bad --idle-clip '%s' (FILE=X1,Y1,X2,Y2, at most 8)", optarg);
			o.idle_clips[o.nidle_clips++] = optarg;
			break;
		case O_HTTP:
			o.http_watch = true;
			break;
		case O_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (access(o.turnstile, X_OK) != 0)
		die("no turnstile at '%s' (--turnstile)", o.turnstile);

	if (o.idle) {
		print_machine(&o);
		double t0 = now_s();
		bench_idle(&o);
		char load[128];
		loadavg(load, sizeof(load));
		printf("Load average at the end: %s; %.0f s in all.\n", load, now_s() - t0);
		return 0;
	}
	if (o.http_watch) {
		char path[PATH_MAX];
		struct clip hc = {0};
		if (o.nclips)
			snprintf(path, sizeof(path), "%s", o.clips[0]);
		else
			generate_clip(&o, o.sizes[0][0], o.sizes[0][1], path, sizeof(path));
		load_clip_frames(&o, path, &hc, false);
		if (!o.counts_given) {
			o.counts[0] = 1;
			o.counts[1] = 4;
			o.ncounts = 2;
		}
		print_machine(&o);
		double t0 = now_s();
		bench_http(&o, &hc);
		char load[128];
		loadavg(load, sizeof(load));
		printf("Load average at the end: %s; %.0f s in all.\n", load, now_s() - t0);
		return 0;
	}
	struct clip clips[MAX_CLIPS] = {0};
	int nclips = o.nclips ? o.nclips : o.nsizes;
	for (int i = 0; i < nclips; i++) {
		char path[PATH_MAX];
		if (o.nclips)
			snprintf(path, sizeof(path), "%s", o.clips[i]);
		else
			generate_clip(&o, o.sizes[i][0], o.sizes[i][1], path, sizeof(path));
		load_clip(&o, path, &clips[i]);
	}
	print_machine(&o);
	double t0 = now_s();
	for (int i = 0; i < nclips; i++)
		bench_clip(&o, &clips[i]);
	char load[128];
	loadavg(load, sizeof(load));
	printf("Load average at the end: %s; %.0f s in all.\n", load, now_s() - t0);
	for (int i = 0; i < nclips; i++) {
		for (int k = 0; k < clips[i].n; k++)
			free(clips[i].data[k]);
		free(clips[i].data);
		free(clips[i].len);
	}
	return 0;
}
