/* The aggregator's JSON; site_report.h. */
#include "site_report.h"

#include <inttypes.h>

#include "json.h"

static void totals_json(FILE *f, const struct totals *t)
{
	fprintf(f, "\"in\":%" PRIu64 ",\"out\":%" PRIu64 ",\"occupancy\":%" PRId64
		",\"corrections\":%" PRIu64, t->in, t->out, t->occupancy, t->corrections);
}

void site_report_json(FILE *f, const struct site *s)
{
	fputs("{\"site\":{", f);
	totals_json(f, &s->t);
	fputs("},\"nodes\":[", f);
	for (int i = 0; i < s->nnodes; i++) {
		const struct site_node *n = &s->nodes[i];
		fprintf(f, "%s{\"node\":", i ? "," : "");
		json_write_string(f, n->name);
		fprintf(f, ",\"last_seq\":%" PRId64 ",", n->last);
		totals_json(f, &n->t);
		fprintf(f, ",\"repeats\":%" PRIu64 ",\"gaps\":%" PRIu64 ",\"cameras\":[", n->repeats,
			n->gaps);
		for (int k = 0; k < n->ncameras; k++) {
			const struct site_camera *c = &n->cams[k];
			fprintf(f, "%s{\"camera\":", k ? "," : "");
			json_write_string(f, c->name);
			fputc(',', f);
			totals_json(f, &c->t);
			fputs(",\"lines\":[", f);
			for (int l = 0; l < c->nlines; l++) {
				fprintf(f, "%s{\"line\":", l ? "," : "");
				json_write_string(f, c->lines[l].name);
				fprintf(f, ",\"in\":%" PRIu64 ",\"out\":%" PRIu64 "}", c->lines[l].in,
					c->lines[l].out);
			}
			fputs("]}", f);
		}
		fputs("]}", f);
	}
	fputs("]}\n", f);
}

uint64_t site_report_repeats(const struct site *s)
{
	uint64_t r = 0;

	for (int i = 0; i < s->nnodes; i++)
		r += s->nodes[i].repeats;
	return r;
}
