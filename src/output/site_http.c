/* The aggregator's HTTP API; site_http.h. Owns nothing per request but the
 * site copy it renders from and the page it builds (open_memstream, handed
 * to libmicrohttpd to free). */
#include "site_http.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "httpd.h"

struct site_http {
	struct site_http_config c;
	struct httpd *srv;
};

/* ------------------------------------------------------------------ */
/* Metrics */

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{node="..."} v */
static void per_node(FILE *f, const char *name, const char *node, int64_t v)
{
	fprintf(f, "%s{node=\"", name);
	httpd_label_escape(f, node);
	fprintf(f, "\"} %" PRId64 "\n", v);
}

void site_http_metrics(FILE *f, const struct site *s, const struct site_status *st)
{
	head(f, "turnstile_site_crossings_total", "counter",
	     "Crossings counted at the site, once each, by node, camera, line and direction.");
	for (int i = 0; i < s->nnodes; i++) {
		const struct site_node *n = &s->nodes[i];
		for (int k = 0; k < n->ncameras; k++) {
			const struct site_camera *c = &n->cams[k];
			for (int l = 0; l < c->nlines; l++)
				for (int d = 0; d < 2; d++) {
					fputs("turnstile_site_crossings_total{node=\"", f);
					httpd_label_escape(f, n->name);
					fputs("\",camera=\"", f);
					httpd_label_escape(f, c->name);
					fputs("\",line=\"", f);
					httpd_label_escape(f, c->lines[l].name);
					fprintf(f, "\",direction=\"%s\"} %" PRIu64 "\n", d ? "out" : "in",
						d ? c->lines[l].out : c->lines[l].in);
				}
		}
	}
	head(f, "turnstile_site_occupancy", "gauge",
	     "Objects inside the site: in minus out, never below zero.");
	fprintf(f, "turnstile_site_occupancy %" PRId64 "\n", s->t.occupancy);
	head(f, "turnstile_site_node_occupancy", "gauge", "Objects inside, by node.");
	for (int i = 0; i < s->nnodes; i++)
		per_node(f, "turnstile_site_node_occupancy", s->nodes[i].name, s->nodes[i].t.occupancy);
	head(f, "turnstile_site_corrections_total", "counter",
	     "Exits counted at the site while its occupancy was zero (a missed entry).");
	fprintf(f, "turnstile_site_corrections_total %" PRIu64 "\n", s->t.corrections);
	head(f, "turnstile_site_node_corrections_total", "counter",
	     "Exits counted while a node's occupancy was zero, by node.");
	for (int i = 0; i < s->nnodes; i++)
		per_node(f, "turnstile_site_node_corrections_total", s->nodes[i].name,
			 (int64_t)s->nodes[i].t.corrections);
	head(f, "turnstile_site_events_received_total", "counter",
	     "Events that came from the broker since this aggregator started, repeats included.");
	fprintf(f, "turnstile_site_events_received_total %" PRIu64 "\n", st->received);
	head(f, "turnstile_site_repeats_dropped_total", "counter",
	     "Events dropped as repeats of one already counted (same node and seq), by node.");
	for (int i = 0; i < s->nnodes; i++)
		per_node(f, "turnstile_site_repeats_dropped_total", s->nodes[i].name,
			 (int64_t)s->nodes[i].repeats);
	head(f, "turnstile_site_gaps_total", "counter",
	     "Events that came before an earlier one of their node (that node was asked to send "
	     "again), by node.");
	for (int i = 0; i < s->nnodes; i++)
		per_node(f, "turnstile_site_gaps_total", s->nodes[i].name, (int64_t)s->nodes[i].gaps);
	head(f, "turnstile_site_node_last_seq", "gauge",
	     "The last sequence number counted from each node (-1: none).");
	for (int i = 0; i < s->nnodes; i++)
		per_node(f, "turnstile_site_node_last_seq", s->nodes[i].name, s->nodes[i].last);
	head(f, "turnstile_site_bad_events_total", "counter",
	     "Messages on an events topic that were not turnstile's JSON, ignored.");
	fprintf(f, "turnstile_site_bad_events_total %" PRIu64 "\n", st->bad);
	head(f, "turnstile_site_broker_connected", "gauge", "1 while connected to the broker.");
	fprintf(f, "turnstile_site_broker_connected %d\n", st->connected ? 1 : 0);
}

/* ------------------------------------------------------------------ */
/* The page */

static const char page_head[] =
	"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>turnstile site</title>"
	"<style>body{font-family:sans-serif;background:#111;color:#eee;margin:1em}"
	"a{color:#8cf}#site{font-size:1.3em;margin:.5em 0}td,th{padding:2px 10px;text-align:left}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}tr.node td{font-weight:bold;"
	"border-top:1px solid #444}</style></head><body><h1>turnstile site</h1>";

/* Rebuilds the table from /api/v1/status every second; names go in as
 * text, never as markup. */
static const char page_script[] =
	"<script>\n"
	"function row(b,cl,a){let r=document.createElement('tr');r.className=cl;"
	"a.forEach((x,i)=>{let d=document.createElement('td');d.textContent=x;if(i>2)d.className='n';"
	"r.appendChild(d);});b.appendChild(r);}\n"
	"function tick(){fetch('/api/v1/status').then(r=>r.json()).then(s=>{\n"
	" ['in','out','occupancy','corrections'].forEach(k=>"
	"document.getElementById('s_'+k).textContent=s.site[k]);\n"
	" let b=document.createElement('tbody');b.id='rows';\n"
	" s.nodes.forEach(n=>{row(b,'node',[n.node,'','',n.in,n.out,n.occupancy,n.corrections]);\n"
	"  n.cameras.forEach(c=>{row(b,'camera',[n.node,c.camera,'',c.in,c.out,c.occupancy,"
	"c.corrections]);\n"
	"   c.lines.forEach(l=>row(b,'line',[n.node,c.camera,l.line,l.in,l.out,'','']));});});\n"
	" document.getElementById('rows').replaceWith(b);}).catch(()=>{});}\n"
	"setInterval(tick,1000);\n"
	"</script>";

static void page_row(FILE *f, const char *cls, const char *node, const char *cam,
		     const char *line, uint64_t in, uint64_t out, const struct totals *t)
{
	fprintf(f, "<tr class=\"%s\"><td>", cls);
	httpd_html_escape(f, node);
	fputs("</td><td>", f);
	httpd_html_escape(f, cam);
	fputs("</td><td>", f);
	httpd_html_escape(f, line);
	fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td>", in, out);
	if (t)
		fprintf(f, "<td class=\"n\">%" PRId64 "</td><td class=\"n\">%" PRIu64 "</td></tr>",
			t->occupancy, t->corrections);
	else
		fputs("<td class=\"n\"></td><td class=\"n\"></td></tr>", f);
}

void site_http_page(FILE *f, const struct site *s)
{
	fputs(page_head, f);
	fprintf(f, "<div id=\"site\">site: in <b id=\"s_in\">%" PRIu64 "</b> out <b id=\"s_out\">%"
		   PRIu64 "</b> occupancy <b id=\"s_occupancy\">%" PRId64 "</b> corrections <b "
		   "id=\"s_corrections\">%" PRIu64 "</b></div>",
		s->t.in, s->t.out, s->t.occupancy, s->t.corrections);
	fputs("<table><thead><tr><th>node</th><th>camera</th><th>line</th><th>in</th><th>out</th>"
	      "<th>occupancy</th><th>corrections</th></tr></thead><tbody id=\"rows\">",
	      f);
	for (int i = 0; i < s->nnodes; i++) {
		const struct site_node *n = &s->nodes[i];
		page_row(f, "node", n->name, "", "", n->t.in, n->t.out, &n->t);
		for (int k = 0; k < n->ncameras; k++) {
			const struct site_camera *c = &n->cams[k];
			page_row(f, "camera", n->name, c->name, "", c->t.in, c->t.out, &c->t);
			for (int l = 0; l < c->nlines; l++)
				page_row(f, "line", n->name, c->name, c->lines[l].name, c->lines[l].in,
					 c->lines[l].out, NULL);
		}
	}
	fprintf(f, "</tbody></table><p><a href=\"/api/v1/status\">status</a> · <a href=\"/metrics\">"
		   "metrics</a></p>%s</body></html>\n",
		page_script);
}

/* ------------------------------------------------------------------ */
/* Routes */

typedef void (*render_fn)(FILE *f, const struct site *s, const struct site_status *st);

static void render_json(FILE *f, const struct site *s, const struct site_status *st)
{
	(void)st;
	site_report_json(f, s);
}

static void render_page(FILE *f, const struct site *s, const struct site_status *st)
{
	(void)st;
	site_http_page(f, s);
}

/* Takes a copy of the site and renders it into a page of type. */
static enum MHD_Result send_rendered(struct site_http *h, struct MHD_Connection *conn,
				     render_fn render, const char *type)
{
	struct site copy = {0};
	struct site_status st = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (h->c.snapshot(h->c.ctx, &copy, &st) < 0)
		return httpd_send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	f = open_memstream(&buf, &len);
	if (!f) {
		site_free(&copy);
		return httpd_send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	render(f, &copy, &st);
	site_free(&copy);
	return httpd_send_stream(conn, f, &buf, &len, type);
}

static enum MHD_Result route_index(void *ctx, struct MHD_Connection *conn, const char *rest)
{
	(void)rest;
	return send_rendered(ctx, conn, render_page, "text/html; charset=utf-8");
}

static enum MHD_Result route_status(void *ctx, struct MHD_Connection *conn, const char *rest)
{
	(void)rest;
	return send_rendered(ctx, conn, render_json, "application/json");
}

static enum MHD_Result route_metrics(void *ctx, struct MHD_Connection *conn, const char *rest)
{
	(void)rest;
	return send_rendered(ctx, conn, site_http_metrics, "text/plain; version=0.0.4; charset=utf-8");
}

static const struct httpd_route routes[] = {
	{"/", false, route_index},
	{"/api/v1/status", false, route_status},
	{"/metrics", false, route_metrics},
};

int site_http_start(const struct site_http_config *cfg, struct site_http **out, char *err,
		    size_t errlen)
{
	struct site_http *h = calloc(1, sizeof(*h));
	int rc;

	*out = NULL;
	if (!h) {
		snprintf(err, errlen, "--http: out of memory");
		return -ENOMEM;
	}
	h->c = *cfg;
	struct httpd_config hc = {
		.listen = cfg->listen,
		.routes = routes,
		.nroutes = (int)(sizeof(routes) / sizeof(routes[0])),
		.ctx = h,
	};
	rc = httpd_start(&hc, &h->srv, err, errlen);
	if (rc) {
		free(h);
		return rc;
	}
	*out = h;
	return 0;
}

void site_http_stop(struct site_http *h)
{
	if (!h)
		return;
	httpd_stop(h->srv);
	free(h);
}
