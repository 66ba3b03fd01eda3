/* The HTTP server; http.h. Owns one shared preview per camera for
 * snapshot.jpg (so a finished camera still shows its last picture), and
 * each stream connection owns its own. Pages are built in memory
 * (open_memstream) and handed to libmicrohttpd to free. */
#include "http.h"

#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "json.h"
#include "preview.h"
#include "summary.h"
#include "util.h"

#define SNAPSHOT_WAIT_MS 500   /* a snapshot waits this long for a fresh frame */
#define STREAM_BLOCK 65536     /* libmicrohttpd's buffer for a stream's reader */
#define EVENT_JSON_MAX 2048

/* One camera's shared preview, for snapshot.jpg; lock serialises renders. */
struct cam_preview {
	pthread_mutex_t lock;
	struct preview *pv;
};

struct http {
	struct http_config c;
	struct httpd *srv;
	struct cam_preview *cp;
	int ncp;                /* cp entries whose lock is initialised */
	atomic_bool stopping;
};

/* An MJPEG stream's state, one per connection. */
struct stream {
	struct http *h;
	struct preview *pv;
	struct preview_opts o;
	char *buf;              /* the current part: header, JPEG, CRLF */
	size_t len, cap, off;
	int64_t next_ns;        /* when the next part may be rendered */
};

/* ------------------------------------------------------------------ */
/* Pages */

static const char page_style[] =
	"<style>body{font-family:sans-serif;background:#111;color:#eee;margin:1em}"
	"a{color:#8cf}.tiles{display:flex;flex-wrap:wrap;gap:12px}"
	".tile{background:#222;padding:8px;border-radius:6px}.tile img{width:320px;display:block;"
	"background:#000;min-height:240px}.num{font-variant-numeric:tabular-nums}"
	"#site{font-size:1.3em;margin:.5em 0}.err{color:#f66}"
	"svg .handle{fill:#ff0;stroke:#000;cursor:move}svg .ln{stroke:#fd0;stroke-width:3}"
	"svg .arrow{fill:#0e5}svg text{fill:#fd0;font:14px sans-serif}"
	"pre{background:#000;padding:8px;user-select:all}</style>";

/* GET /: a tile per camera; the numbers come from /api/v1/status. */
static const char index_script[] =
	"<script>\n"
	"function fmt(c){return c.state+' · '+c.fps.toFixed(1)+' fps · '+c.frames+' frames'+"
	"(c.skipped?' ('+c.skipped+' skipped idle)':'')+' · '+"
	"c.dropped+' dropped · '+c.corrupt+' corrupt'+"
	"(c.tracks_seen!==undefined?' · '+c.tracks_seen+' tracks, '+c.turned_back+' turned back':'');}\n"
	"function tick(){fetch('/api/v1/status').then(r=>r.json()).then(s=>{\n"
	" s.cameras.forEach((c,i)=>{let t=document.getElementById('cam'+i);if(!t)return;\n"
	"  t.querySelector('.in').textContent=c.in;t.querySelector('.out').textContent=c.out;\n"
	"  t.querySelector('.st').textContent=fmt(c);t.dataset.state=c.state;});\n"
	" document.getElementById('sin').textContent=s.in;"
	"document.getElementById('sout').textContent=s.out;\n"
	" document.getElementById('socc').textContent=s.occupancy;}).catch(()=>{});\n"
	" document.querySelectorAll('.tile img').forEach(im=>{let n=new Image();"
	"n.onload=()=>{im.src=n.src;im.dataset.loaded='1';};"
	"n.src=im.dataset.src+'?t='+Date.now();});}\n"
	"tick();setInterval(tick,1000);\n"
	"</script>";

static enum MHD_Result page_index(struct http *h, struct MHD_Connection *conn)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return httpd_send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	fprintf(f, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>turnstile</title>%s"
		   "</head><body><h1>turnstile</h1><div id=\"site\">site: in <b id=\"sin\" "
		   "class=\"num\">0</b> out <b id=\"sout\" class=\"num\">0</b> occupancy <b "
		   "id=\"socc\" class=\"num\">0</b></div><div class=\"tiles\">",
		page_style);
	for (int i = 0; i < h->c.ncameras; i++) {
		const char *name = h->c.cfgs[i].name;
		fprintf(f, "<div class=\"tile\" id=\"cam%d\"><a href=\"/cameras/", i);
		httpd_url_escape(f, name);
		fputs("\"><img alt=\"\" data-src=\"/cameras/", f);
		httpd_url_escape(f, name);
		fputs("/snapshot.jpg\"></a><div><b class=\"name\">", f);
		httpd_html_escape(f, name);
		fputs("</b> <small class=\"src\">", f);
		httpd_html_escape(f, h->c.cfgs[i].source);
		fputs("</small> in <b class=\"in num\">0</b> out <b class=\"out num\">0</b></div>"
		      "<div class=\"st\"></div></div>",
		      f);
	}
	fprintf(f, "</div><p><a href=\"/api/v1/status\">status</a> · <a href=\"/api/v1/events\">"
		   "events</a> · <a href=\"/metrics\">metrics</a></p>%s</body></html>\n",
		index_script);
	return httpd_send_stream(conn, f, &buf, &len, "text/html; charset=utf-8");
}

/* GET /cameras/NAME: the picture large, the lines over it as SVG with a
 * handle at each end; dragging one moves the line and its in-arrow and
 * rewrites the config lines below. The arrow is on the side that counts
 * as in (line.h: the right-hand side walking from A to B, y down). */
static const char camera_script[] =
	"<script>\n"
	"const C=JSON.parse(document.getElementById('cfg').textContent);\n"
	"const svg=document.getElementById('ov'),pic=document.getElementById('pic');\n"
	"const NS='http://www.w3.org/2000/svg';let W=0,H=0,drag=null;\n"
	"function el(t,a){let e=document.createElementNS(NS,t);for(let k in a)e.setAttribute(k,a[k]);"
	"svg.appendChild(e);return e;}\n"
	"function r3(v){return Math.round(Math.min(1,Math.max(0,v))*1000)/1000;}\n"
	"function side(l,x,y){return (l.bx-l.ax)*(y-l.ay)-(l.by-l.ay)*(x-l.ax);}\n"
	"function draw(){W=pic.clientWidth;H=pic.clientHeight;if(!W||!H)return;"
	"svg.setAttribute('width',W);svg.setAttribute('height',H);svg.innerHTML='';let out=[];\n"
	" C.lines.forEach((l,i)=>{let ax=l.ax*W,ay=l.ay*H,bx=l.bx*W,by=l.by*H;\n"
	"  el('line',{x1:ax,y1:ay,x2:bx,y2:by,class:'ln'});\n"
	"  let dx=bx-ax,dy=by-ay,n=Math.hypot(dx,dy)||1,nx=-dy/n,ny=dx/n,tx=dx/n,ty=dy/n,"
	"mx=(ax+bx)/2,my=(ay+by)/2;\n"
	"  if(side(l,(mx+nx)/W,(my+ny)/H)<0){nx=-nx;ny=-ny;}\n"
	"  let p=[[mx+nx*40,my+ny*40],[mx+nx*12+tx*12,my+ny*12+ty*12],[mx+nx*12-tx*12,my+ny*12-ty*12]];\n"
	"  el('polygon',{points:p.map(q=>q.join(',')).join(' '),class:'arrow','data-line':l.name,"
	"'data-x':r3((mx+nx*30)/W),'data-y':r3((my+ny*30)/H)});\n"
	"  let t=el('text',{x:ax+4,y:ay-6});t.textContent=l.name;\n"
	"  [['a',ax,ay],['b',bx,by]].forEach(([e,x,y])=>{let c=el('circle',{cx:x,cy:y,r:9,"
	"class:'handle','data-line':l.name,'data-end':e});\n"
	"   c.addEventListener('mousedown',ev=>{drag={i:i,e:e};ev.preventDefault();});});\n"
	"  out.push((l.name==='main'?'line=':'line.'+l.name+'=')+[r3(l.ax),r3(l.ay),r3(l.bx),r3(l.by)].join(','));});\n"
	" document.getElementById('conf').textContent=out.join('\\n');}\n"
	"svg.addEventListener('mousemove',ev=>{if(!drag)return;let r=svg.getBoundingClientRect();\n"
	" let x=r3((ev.clientX-r.left)/W),y=r3((ev.clientY-r.top)/H),l=C.lines[drag.i];\n"
	" let nx=drag.e==='a'?x:l.ax,ny=drag.e==='a'?y:l.ay,ox=drag.e==='a'?l.bx:x,oy=drag.e==='a'?l.by:y;\n"
	" if(nx===ox&&ny===oy)return;\n"
	" if(drag.e==='a'){l.ax=x;l.ay=y;}else{l.bx=x;l.by=y;}draw();});\n"
	"window.addEventListener('mouseup',()=>{drag=null;});\n"
	"function tick(){let n=new Image();n.onload=()=>{pic.src=n.src;pic.dataset.loaded='1';};"
	"n.src=C.src+(document.getElementById('ann').checked?'?':'?raw=1&')+'t='+Date.now();"
	"fetch('/api/v1/status').then(r=>r.json()).then(s=>{let c=s.cameras[C.index];"
	"document.getElementById('counts').textContent='in '+c.in+' out '+c.out+' · '+c.state+"
	"(c.tracks_seen!==undefined?' · '+c.tracks_seen+' tracks seen, '+c.turned_back+"
	"' turned back in the band, one object = '+c.object_size:'');}).catch(()=>{});}\n"
	"pic.addEventListener('load',draw);window.addEventListener('resize',draw);\n"
	"tick();setInterval(tick,C.period);\n"
	"</script>";

static enum MHD_Result page_camera(struct http *h, struct MHD_Connection *conn, int i)
{
	const struct camera_config *cfg = &h->c.cfgs[i];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return httpd_send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	fprintf(f, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>");
	httpd_html_escape(f, cfg->name);
	fprintf(f, " · turnstile</title>%s</head><body><p><a href=\"/\">all cameras</a></p><h1>",
		page_style);
	httpd_html_escape(f, cfg->name);
	fputs("</h1><p class=\"src\">", f);
	httpd_html_escape(f, cfg->source);
	fputs("</p><div id=\"counts\"></div><div style=\"position:relative;display:inline-block\">"
	      "<img id=\"pic\" alt=\"\" style=\"display:block;min-width:320px;min-height:240px;"
	      "background:#000\"><svg id=\"ov\" style=\"position:absolute;left:0;top:0\"></svg>"
	      "</div><p><label><input type=\"checkbox\" id=\"ann\"> as counted (annotated)</label>"
	      "</p><p>Drag the ends of a line; the green arrow points to the side that counts as "
	      "<b>in</b>. Copy these lines into the camera's section of the config:</p>"
	      "<pre id=\"conf\"></pre><script type=\"application/json\" id=\"cfg\">{\"index\":",
	      f);
	fprintf(f, "%d,\"period\":%d,\"src\":", i, (int)(1000.0 / h->c.preview_fps));
	char *src = NULL;
	size_t srclen = 0;
	FILE *s = open_memstream(&src, &srclen);
	if (s) {
		fputs("/cameras/", s);
		httpd_url_escape(s, cfg->name);
		fputs("/snapshot.jpg", s);
		fclose(s);
	}
	httpd_json_script_string(f, src ? src : "");
	free(src);
	fputs(",\"lines\":[", f);
	for (int l = 0; l < cfg->nlines; l++) {
		const struct line *ln = &cfg->lines[l].line;
		fprintf(f, "%s{\"name\":", l ? "," : "");
		httpd_json_script_string(f, cfg->lines[l].name);
		fprintf(f, ",\"ax\":%g,\"ay\":%g,\"bx\":%g,\"by\":%g}", ln->ax, ln->ay, ln->bx,
			ln->by);
	}
	fprintf(f, "]}</script>%s</body></html>\n", camera_script);
	return httpd_send_stream(conn, f, &buf, &len, "text/html; charset=utf-8");
}

/* ------------------------------------------------------------------ */
/* Pictures */

static void query_opts(struct MHD_Connection *conn, struct preview_opts *o)
{
	const char *raw = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "raw");
	const char *mask = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "mask");
	o->raw = raw && strcmp(raw, "0") != 0;
	o->mask = mask && strcmp(mask, "0") != 0;
}

static enum MHD_Result send_snapshot(struct http *h, struct MHD_Connection *conn, int i)
{
	struct cam_preview *cp = &h->cp[i];
	struct preview_opts o;
	const uint8_t *jpeg;
	size_t len;
	char *copy = NULL;

	query_opts(conn, &o);
	mutex_lock(&cp->lock);
	int rc = cp->pv ? preview_render(cp->pv, &o, SNAPSHOT_WAIT_MS, &jpeg, &len) : -EAGAIN;
	if (rc == 0) {
		copy = malloc(len);
		if (copy)
			memcpy(copy, jpeg, len);
	}
	mutex_unlock(&cp->lock);
	if (rc == -EAGAIN)
		return httpd_send_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "no picture from this camera yet\n");
	if (rc || !copy)
		return httpd_send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render the picture\n");
	return httpd_send_buffer(conn, MHD_HTTP_OK, "image/jpeg", copy, len);
}

/* The next part of a stream: waits for its time (at most preview_fps a
 * second), renders, frames it as a multipart part. */
static int stream_next_part(struct stream *s)
{
	const uint8_t *jpeg;
	size_t len;
	char head[128];

	int64_t now = now_ns(CLOCK_MONOTONIC);
	while (now < s->next_ns && !atomic_load(&s->h->stopping)) {
		int64_t left = s->next_ns - now;
		struct timespec ts = {0, left > 50000000 ? 50000000 : left};
		nanosleep(&ts, NULL);
		now = now_ns(CLOCK_MONOTONIC);
	}
	if (atomic_load(&s->h->stopping))
		return -ECANCELED;
	s->next_ns = now + (int64_t)(1e9 / s->h->c.preview_fps);
	int rc = preview_render(s->pv, &s->o, SNAPSHOT_WAIT_MS, &jpeg, &len);
	if (rc)
		return rc;
	int n = snprintf(head, sizeof(head),
			 "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %zu\r\n\r\n", len);
	size_t need = (size_t)n + len + 2;
	if (need > s->cap) {
		char *b = realloc(s->buf, need);
		if (!b)
			return -ENOMEM;
		s->buf = b;
		s->cap = need;
	}
	memcpy(s->buf, head, (size_t)n);
	memcpy(s->buf + n, jpeg, len);
	memcpy(s->buf + n + len, "\r\n", 2);
	s->len = need;
	s->off = 0;
	return 0;
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream *s = cls;
	(void)pos;

	while (s->off == s->len) {
		int rc = stream_next_part(s);
		if (rc == -EAGAIN)
			continue; /* no picture yet: try at the next period */
		if (rc)
			return MHD_CONTENT_READER_END_OF_STREAM;
	}
	size_t n = s->len - s->off < max ? s->len - s->off : max;
	memcpy(out, s->buf + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;
	preview_destroy(s->pv);
	free(s->buf);
	free(s);
}

static enum MHD_Result send_mjpeg(struct http *h, struct MHD_Connection *conn, int i)
{
	struct stream *s = calloc(1, sizeof(*s));

	if (!s || preview_create(h->c.cams[i], &h->c.cfgs[i], h->c.co, i, &s->pv) != 0) {
		free(s);
		return httpd_send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	s->h = h;
	query_opts(conn, &s->o);
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK,
								   stream_reader, s, stream_free);
	if (!r) {
		stream_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"multipart/x-mixed-replace; boundary=frame");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* ------------------------------------------------------------------ */
/* APIs */

static enum MHD_Result send_status(struct http *h, struct MHD_Connection *conn)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return httpd_send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	summary_json(f, h->c.cams, h->c.cfgs, h->c.ncameras, h->c.co);
	return httpd_send_stream(conn, f, &buf, &len, "application/json");
}

/* The coordinator's recent events (its last COORD_RECENT) after ?after=SEQ,
 * oldest first, each as the event log writes it. */
static enum MHD_Result send_events(struct http *h, struct MHD_Connection *conn)
{
	const char *after_s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "after");
	uint64_t after = 0;
	bool all = true;
	char line[EVENT_JSON_MAX];

	if (after_s) {
		char *end;
		errno = 0;
		after = strtoull(after_s, &end, 10);
		if (errno || end == after_s || *end || after_s[0] == '-')
			return httpd_send_text(conn, MHD_HTTP_BAD_REQUEST, "after= wants a sequence number\n");
		all = false;
	}
	struct coord_recent *rec = malloc(COORD_RECENT * sizeof(*rec));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = rec ? open_memstream(&buf, &len) : NULL;
	if (!f) {
		free(rec);
		return httpd_send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	int n = coord_get_recent(h->c.co, rec, COORD_RECENT), first = 1;
	fputc('[', f);
	for (int k = 0; k < n; k++) {
		const struct event *ev = &rec[k].ev;
		if ((!all && rec[k].seq <= after) || ev->camera < 0 || ev->camera >= h->c.ncameras ||
		    ev->line < 0 || ev->line >= h->c.cfgs[ev->camera].nlines)
			continue;
		if (json_event(line, sizeof(line), ev, rec[k].seq, h->c.cfgs[ev->camera].name,
			       h->c.cfgs[ev->camera].lines[ev->line].name) < 0)
			continue;
		fprintf(f, "%s\n%s}", first ? "" : ",", line);
		first = 0;
	}
	fputs("]\n", f);
	free(rec);
	return httpd_send_stream(conn, f, &buf, &len, "application/json");
}

static void metric_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metric_cam(FILE *f, const char *name, const char *cam, unsigned long long v)
{
	fprintf(f, "%s{camera=\"", name);
	httpd_label_escape(f, cam);
	fprintf(f, "\"} %llu\n", v);
}

/* Prometheus text format 0.0.4. */
static const double latency_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
					 0.1,   0.25,   0.5,   1.0,  2.5,   5.0};
#define NBUCKETS ((int)(sizeof(latency_buckets) / sizeof(latency_buckets[0])))

static enum MHD_Result send_metrics(struct http *h, struct MHD_Connection *conn)
{
	const int n = h->c.ncameras;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct camera_stats *st = calloc((size_t)n + 1, sizeof(*st));

	if (!f || !st) {
		if (f)
			fclose(f);
		free(buf);
		free(st);
		return httpd_send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	for (int i = 0; i < n; i++)
		camera_get_stats(h->c.cams[i], &st[i]);

	metric_head(f, "turnstile_crossings_total", "counter",
		    "Objects counted crossing a line, by camera, line and direction.");
	for (int i = 0; i < n; i++)
		for (int l = 0; l < h->c.cfgs[i].nlines; l++) {
			struct totals t;
			coord_get_line_totals(h->c.co, i, l, &t);
			for (int d = 0; d < 2; d++) {
				fputs("turnstile_crossings_total{camera=\"", f);
				httpd_label_escape(f, h->c.cfgs[i].name);
				fputs("\",line=\"", f);
				httpd_label_escape(f, h->c.cfgs[i].lines[l].name);
				fprintf(f, "\",direction=\"%s\"} %llu\n", d ? "out" : "in",
					(unsigned long long)(d ? t.out : t.in));
			}
		}
	struct totals site;
	coord_get_totals(h->c.co, -1, &site);
	metric_head(f, "turnstile_occupancy", "gauge", "Objects inside the site: in minus out.");
	fprintf(f, "turnstile_occupancy %lld\n", (long long)site.occupancy);

	static const struct {
		const char *name, *help;
		size_t off;
	} counters[] = {
		{"turnstile_frames_total",
		 "Frames taken from the ring: decoded and run through detection, or skipped idle.",
		 offsetof(struct camera_stats, processed)},
		{"turnstile_skipped_frames_total",
		 "Frames left undecoded while the scene was idle (docs/idle-skip.md); not drops.",
		 offsetof(struct camera_stats, skipped)},
		{"turnstile_dropped_frames_total", "Frames a live source discarded unread.",
		 offsetof(struct camera_stats, dropped)},
		{"turnstile_corrupt_frames_total", "Frames skipped as damaged.",
		 offsetof(struct camera_stats, corrupt)},
		{"turnstile_driver_dropped_frames_total", "Frames the V4L2 driver skipped.",
		 offsetof(struct camera_stats, driver_drops)},
		{"turnstile_reconnects_total", "Times a lost V4L2 device came back.",
		 offsetof(struct camera_stats, reconnects)},
	};
	for (size_t k = 0; k < sizeof(counters) / sizeof(counters[0]); k++) {
		metric_head(f, counters[k].name, "counter", counters[k].help);
		for (int i = 0; i < n; i++) {
			uint64_t v;
			memcpy(&v, (const char *)&st[i] + counters[k].off, sizeof(v));
			metric_cam(f, counters[k].name, h->c.cfgs[i].name, (unsigned long long)v);
		}
	}
	metric_head(f, "turnstile_camera_up", "gauge",
		    "1 while the camera streams, 0 when it is reconnecting, finished or failed.");
	for (int i = 0; i < n; i++)
		metric_cam(f, "turnstile_camera_up", h->c.cfgs[i].name,
			   st[i].state == CAMERA_STREAMING);

	metric_head(f, "turnstile_idle_skip", "gauge",
		    "While idle one frame in this many is decoded (1: never skips; 0: idle_skip=0).");
	for (int i = 0; i < n; i++)
		metric_cam(f, "turnstile_idle_skip", h->c.cfgs[i].name,
			   (unsigned long long)st[i].idle_skip);

	metric_head(f, "turnstile_camera_info", "gauge", "Each camera's source; always 1.");
	for (int i = 0; i < n; i++) {
		fputs("turnstile_camera_info{camera=\"", f);
		httpd_label_escape(f, h->c.cfgs[i].name);
		fputs("\",source=\"", f);
		httpd_label_escape(f, h->c.cfgs[i].source);
		fputs("\"} 1\n", f);
	}
	metric_head(f, "turnstile_capture_to_count_seconds", "histogram",
		    "Time from a frame's capture to its crossings counted.");
	for (int i = 0; i < n; i++) {
		const struct stagetime *tm = camera_stage_timer(h->c.cams[i], CAMERA_STAGE_LATENCY);
		uint64_t counts[NBUCKETS] = {0}, total = 0;
		double sum = 0;
		if (tm)
			stagetime_buckets(tm, latency_buckets, NBUCKETS, counts, &total, &sum);
		for (int b = 0; b <= NBUCKETS; b++) {
			fputs("turnstile_capture_to_count_seconds_bucket{camera=\"", f);
			httpd_label_escape(f, h->c.cfgs[i].name);
			if (b < NBUCKETS)
				fprintf(f, "\",le=\"%g\"} %" PRIu64 "\n", latency_buckets[b], counts[b]);
			else
				fprintf(f, "\",le=\"+Inf\"} %" PRIu64 "\n", total);
		}
		fputs("turnstile_capture_to_count_seconds_sum{camera=\"", f);
		httpd_label_escape(f, h->c.cfgs[i].name);
		fprintf(f, "\"} %.9f\n", sum);
		metric_cam(f, "turnstile_capture_to_count_seconds_count", h->c.cfgs[i].name,
			   (unsigned long long)total);
	}
	free(st);
	return httpd_send_stream(conn, f, &buf, &len, "text/plain; version=0.0.4; charset=utf-8");
}

/* ------------------------------------------------------------------ */
/* Routing */

/* The camera whose name is url[0..len), or -1. */
static int find_camera(const struct http *h, const char *name, size_t len)
{
	for (int i = 0; i < h->c.ncameras; i++)
		if (strlen(h->c.cfgs[i].name) == len && memcmp(h->c.cfgs[i].name, name, len) == 0)
			return i;
	return -1;
}

static enum MHD_Result route_index(void *ctx, struct MHD_Connection *conn, const char *rest)
{
	(void)rest;
	return page_index(ctx, conn);
}

static enum MHD_Result route_status(void *ctx, struct MHD_Connection *conn, const char *rest)
{
	(void)rest;
	return send_status(ctx, conn);
}

static enum MHD_Result route_events(void *ctx, struct MHD_Connection *conn, const char *rest)
{
	(void)rest;
	return send_events(ctx, conn);
}

static enum MHD_Result route_metrics(void *ctx, struct MHD_Connection *conn, const char *rest)
{
	(void)rest;
	return send_metrics(ctx, conn);
}

/* /cameras/NAME, /cameras/NAME/snapshot.jpg, /cameras/NAME/stream.mjpg */
static enum MHD_Result route_camera(void *ctx, struct MHD_Connection *conn, const char *name)
{
	struct http *h = ctx;
	const char *slash = strchr(name, '/');
	size_t nlen = slash ? (size_t)(slash - name) : strlen(name);
	int i = find_camera(h, name, nlen);

	if (i >= 0 && !slash)
		return page_camera(h, conn, i);
	if (i >= 0 && strcmp(slash, "/snapshot.jpg") == 0)
		return send_snapshot(h, conn, i);
	if (i >= 0 && strcmp(slash, "/stream.mjpg") == 0)
		return send_mjpeg(h, conn, i);
	return httpd_not_found(conn);
}

static const struct httpd_route routes[] = {
	{"/", false, route_index},
	{"/api/v1/status", false, route_status},
	{"/api/v1/events", false, route_events},
	{"/metrics", false, route_metrics},
	{"/cameras/", true, route_camera},
};

/* ------------------------------------------------------------------ */

int http_start(const struct http_config *cfg, struct http **out, char *err, size_t errlen)
{
	struct http *h = calloc(1, sizeof(*h));
	char addr[64];
	int port, rc;

	*out = NULL;
	if (!h) {
		snprintf(err, errlen, "--http: out of memory");
		return -ENOMEM;
	}
	h->c = *cfg;
	if (!(h->c.preview_fps > 0))
		h->c.preview_fps = HTTP_DEFAULT_PREVIEW_FPS;
	if (httpd_parse_listen(cfg->listen, addr, sizeof(addr), &port)) {
		snprintf(err, errlen, "--http: '%s' is not [ADDR:]PORT (an IPv4 address, a port 1-65535)",
			 cfg->listen);
		free(h);
		return -EINVAL;
	}
	h->cp = calloc((size_t)cfg->ncameras + 1, sizeof(*h->cp));
	if (!h->cp)
		goto nomem;
	for (; h->ncp < cfg->ncameras; h->ncp++) {
		struct cam_preview *cp = &h->cp[h->ncp];
		if (pthread_mutex_init(&cp->lock, NULL) != 0)
			goto nomem;
		/* A failed camera has no picture: its preview stays NULL. */
		preview_create(cfg->cams[h->ncp], &cfg->cfgs[h->ncp], cfg->co, h->ncp, &cp->pv);
		camera_view_request(cfg->cams[h->ncp]);
	}
	struct httpd_config hc = {
		.listen = cfg->listen,
		.routes = routes,
		.nroutes = (int)(sizeof(routes) / sizeof(routes[0])),
		.ctx = h,
	};
	rc = httpd_start(&hc, &h->srv, err, errlen);
	if (rc) {
		http_stop(h);
		return rc;
	}
	*out = h;
	return 0;
nomem:
	snprintf(err, errlen, "--http: out of memory");
	http_stop(h);
	return -ENOMEM;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	atomic_store(&h->stopping, true);
	httpd_stop(h->srv);
	for (int i = 0; i < h->ncp; i++) {
		preview_destroy(h->cp[i].pv);
		pthread_mutex_destroy(&h->cp[i].lock);
	}
	free(h->cp);
	free(h);
}
