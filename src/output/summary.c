/* The summary printed at exit (text, or JSON with --json) and the status
 * line printed once a second without the live view: readers of what the
 * cameras and the coordinator publish. Main thread, after the joins (the
 * status line: while they run; their getters are thread-safe). */
#include "summary.h"

#include <math.h>
#include <stdio.h>

#include "json.h"
#include "util.h"

void summary_status(struct camera **cams, const struct camera_config *cfgs, int n, struct coord *co)
{
	char buf[1024];
	size_t len = 0;
	struct totals t;

	for (int i = 0; i < n; i++) {
		struct camera_stats s;
		camera_get_stats(cams[i], &s);
		coord_get_totals(co, i, &t);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"%s %llu fr in %llu out %llu%s | ", cfgs[i].name,
					(unsigned long long)s.processed, (unsigned long long)t.in,
					(unsigned long long)t.out,
					s.state == CAMERA_RECONNECTING ? " (reconnecting)" : "");
		if (len >= sizeof(buf))
			break;
	}
	coord_get_totals(co, -1, &t);
	if (len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, "site in %llu out %llu occupancy %lld",
			 (unsigned long long)t.in, (unsigned long long)t.out, (long long)t.occupancy);
	log_info("%s", buf);
}

/* ,"stages":{"read":{"mean_us":M,"p99_us":P},...}: the camera's per-frame
 * time in each stage and from capture to counted ("latency"). */
static void print_stages(FILE *f, const struct camera_stats *s)
{
	fputs(",\"stages\":{", f);
	for (int i = 0; i < CAMERA_STAGES; i++)
		fprintf(f, "%s\"%s\":{\"mean_us\":%.1f,\"p99_us\":%.1f}", i ? "," : "",
			camera_stage_name((enum camera_stage)i), s->stages[i].mean_us,
			s->stages[i].p99_us);
	fputs("}", f);
}

/* ,"tracks_seen":N,"turned_back":N,"object_size":S: why the counts are
 * what they are. object_size is the side of a square of one object's area
 * (as object_size= in the config), 0 while it is being learnt. */
static void print_why(FILE *f, const struct counter_stats *c)
{
	fprintf(f, ",\"tracks_seen\":%llu,\"turned_back\":%llu,\"object_size\":%.3f",
		(unsigned long long)c->tracks_seen, (unsigned long long)c->turned_back,
		c->object_area > 0 ? sqrt(c->object_area) : 0.0);
}

void summary_camera_why(const struct camera_stats *s, struct counter_stats *out)
{
	/* Every line sees every track; turned back on any. */
	*out = (struct counter_stats){0};
	for (int l = 0; l < s->nlines; l++)
		out->turned_back += s->lines[l].turned_back;
	if (s->nlines) {
		out->tracks_seen = s->lines[0].tracks_seen;
		out->object_area = s->lines[0].object_area;
	}
}

void summary_json(FILE *f, struct camera **cams, const struct camera_config *cfgs, int n,
		  struct coord *co)
{
	struct totals t;

	fputs("{\"cameras\":[", f);
	for (int i = 0; i < n; i++) {
		struct camera_stats s;
		camera_get_stats(cams[i], &s);
		coord_get_totals(co, i, &t);
		fprintf(f, "%s{\"name\":", i ? "," : "");
		json_write_string(f, cfgs[i].name);
		fputs(",\"source\":", f);
		json_write_string(f, cfgs[i].source);
		fprintf(f, ",\"state\":\"%s\"", camera_state_name(s.state));
		fprintf(f,
			",\"fps\":%g,\"frames\":%llu,\"skipped\":%llu,\"idle_skip\":%d,"
			"\"dropped\":%llu,\"corrupt\":%llu,"
			"\"driver_drops\":%llu,\"reconnects\":%llu,"
			"\"in\":%llu,\"out\":%llu,\"lines\":[",
			s.fps, (unsigned long long)s.processed, (unsigned long long)s.skipped,
			s.idle_skip, (unsigned long long)s.dropped,
			(unsigned long long)s.corrupt, (unsigned long long)s.driver_drops,
			(unsigned long long)s.reconnects, (unsigned long long)t.in,
			(unsigned long long)t.out);
		for (int l = 0; l < cfgs[i].nlines; l++) {
			struct totals lt;
			coord_get_line_totals(co, i, l, &lt);
			fprintf(f, "%s{\"name\":", l ? "," : "");
			json_write_string(f, cfgs[i].lines[l].name);
			fprintf(f, ",\"in\":%llu,\"out\":%llu", (unsigned long long)lt.in,
				(unsigned long long)lt.out);
			if (l < s.nlines)
				print_why(f, &s.lines[l]);
			fputs("}", f);
		}
		fputs("]", f);
		struct counter_stats cs;
		summary_camera_why(&s, &cs);
		print_why(f, &cs);
		print_stages(f, &s);
		fputs("}", f);
	}
	coord_get_totals(co, -1, &t);
	fprintf(f, "],\"in\":%llu,\"out\":%llu,\"occupancy\":%lld,\"occupancy_corrections\":%llu}\n",
		(unsigned long long)t.in, (unsigned long long)t.out, (long long)t.occupancy,
		(unsigned long long)t.corrections);
}

void summary_print(FILE *out, struct camera **cams, const struct camera_config *cfgs, int n,
		   struct coord *co, bool json)
{
	struct totals t;

	if (json) {
		summary_json(out, cams, cfgs, n, co);
		fflush(out);
		return;
	}
	for (int i = 0; i < n; i++) {
		struct camera_stats s;
		camera_get_stats(cams[i], &s);
		coord_get_totals(co, i, &t);
		fprintf(out, "%-16s in %6llu  out %6llu   (%llu frames, %llu corrupt, %llu dropped)\n",
		       cfgs[i].name, (unsigned long long)t.in, (unsigned long long)t.out,
		       (unsigned long long)s.processed, (unsigned long long)s.corrupt,
		       (unsigned long long)s.dropped);
	}
	coord_get_totals(co, -1, &t);
	fprintf(out, "%-16s in %6llu  out %6llu   occupancy %lld (%llu corrections)\n", "site",
	       (unsigned long long)t.in, (unsigned long long)t.out, (long long)t.occupancy,
	       (unsigned long long)t.corrections);
	fflush(out);
}
