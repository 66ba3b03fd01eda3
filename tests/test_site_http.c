/* The aggregator's reports (site_report.c, site_http.c): the JSON of
 * --json and /api/v1/status, /metrics and the page, over a site whose
 * names hold what must be escaped, and a copy of a site (site_copy) that
 * stays whole when the original changes. Names from the broker are only
 * ever [A-Za-z0-9._-] (site_name_ok); these are set by hand, so the
 * writers' escaping is what is tested. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "site.h"
#include "site_http.h"
#include "site_report.h"

#define NODE "n\"<&>1"
#define CAM "cam\"<b>&amp;"
#define LINE "l\\\"</script>"

static void make_site(struct site *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(site_apply(s, "n1", 0, -1, "cam", "main", DIR_IN), SITE_COUNTED);
	assert_int_equal(site_apply(s, "n1", 1, 0, "cam", "main", DIR_OUT), SITE_COUNTED);
	assert_int_equal(site_apply(s, "n1", 2, 1, "cam", "main", DIR_OUT), SITE_COUNTED);
	assert_int_equal(site_apply(s, "n1", 2, 1, "cam", "main", DIR_OUT), SITE_REPEAT);
	strcpy(s->nodes[0].name, NODE);
	strcpy(s->nodes[0].cams[0].name, CAM);
	strcpy(s->nodes[0].cams[0].lines[0].name, LINE);
}

/* What the writer put in f (an open_memstream), NUL-terminated; the
 * caller frees it. */
static char *render(void (*fn)(FILE *, const struct site *, const struct site_status *),
		    const struct site *s, const struct site_status *st, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	fn(f, s, st);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void json_of(FILE *f, const struct site *s, const struct site_status *st)
{
	(void)st;
	site_report_json(f, s);
}

static void page_of(FILE *f, const struct site *s, const struct site_status *st)
{
	(void)st;
	site_http_page(f, s);
}

static void status_json_escapes_names(void **state)
{
	struct site s;
	size_t len;
	(void)state;

	make_site(&s);
	char *j = render(json_of, &s, NULL, &len);
	assert_non_null(strstr(j, "\"node\":\"n\\\"<&>1\""));
	assert_non_null(strstr(j, "\"camera\":\"cam\\\"<b>&amp;\""));
	assert_non_null(strstr(j, "\"line\":\"l\\\\\\\"</script>\""));
	assert_non_null(strstr(j, "{\"site\":{\"in\":1,\"out\":2,\"occupancy\":0,\"corrections\":1}"));
	assert_non_null(strstr(j, "\"repeats\":1,"));
	free(j);
	site_free(&s);
}

static void metrics_escape_label_values(void **state)
{
	struct site s;
	struct site_status st = {.received = 4, .connected = true};
	size_t len;
	(void)state;

	make_site(&s);
	char *m = render(site_http_metrics, &s, &st, &len);
	assert_non_null(strstr(m, "turnstile_site_crossings_total{node=\"n\\\"<&>1\","
				  "camera=\"cam\\\"<b>&amp;\",line=\"l\\\\\\\"</script>\","
				  "direction=\"out\"} 2\n"));
	assert_non_null(strstr(m, "turnstile_site_repeats_dropped_total{node=\"n\\\"<&>1\"} 1\n"));
	assert_non_null(strstr(m, "\nturnstile_site_corrections_total 1\n"));
	assert_non_null(strstr(m, "\nturnstile_site_events_received_total 4\n"));
	assert_non_null(strstr(m, "\nturnstile_site_broker_connected 1\n"));
	free(m);
	site_free(&s);
}

static void page_escapes_names(void **state)
{
	struct site s;
	size_t len;
	(void)state;

	make_site(&s);
	char *p = render(page_of, &s, NULL, &len);
	assert_non_null(strstr(p, "<td>n&quot;&lt;&amp;&gt;1</td>"));
	assert_non_null(strstr(p, "<td>cam&quot;&lt;b&gt;&amp;amp;</td>"));
	assert_non_null(strstr(p, "<td>l\\&quot;&lt;/script&gt;</td>"));
	assert_null(strstr(p, "<b>&amp;"));
	assert_null(strstr(p, "</script>\""));
	assert_null(strstr(p, NODE));
	/* One script element only: the page's own. */
	assert_non_null(strstr(p, "</script>"));
	assert_ptr_equal(strstr(p, "</script>"), strstr(p, "</script></body>"));
	free(p);
	site_free(&s);
}

static void a_copy_is_whole_and_apart(void **state)
{
	struct site s = {0}, c = {0};
	size_t la, lb;
	(void)state;

	assert_int_equal(site_apply(&s, "a", 0, -1, "x", "main", DIR_IN), SITE_COUNTED);
	assert_int_equal(site_apply(&s, "b", 0, -1, "y", "l1", DIR_IN), SITE_COUNTED);
	assert_int_equal(site_apply(&s, "b", 1, 0, "y", "l2", DIR_OUT), SITE_COUNTED);
	assert_int_equal(site_copy(&c, &s), 0);
	char *ja = render(json_of, &s, NULL, &la), *jb = render(json_of, &c, NULL, &lb);
	assert_string_equal(ja, jb);
	/* The original changes and grows (its arrays move): the copy does not. */
	for (int i = 0; i < 50; i++) {
		char cam[16];
		snprintf(cam, sizeof(cam), "c%d", i);
		assert_int_equal(site_apply(&s, "b", 2 + (uint64_t)i, 1 + i, cam, "main", DIR_IN),
				 SITE_COUNTED);
	}
	char *jc = render(json_of, &c, NULL, &lb);
	assert_string_equal(ja, jc);
	free(ja);
	free(jb);
	free(jc);
	site_free(&c);
	site_free(&s);
	/* An empty site copies to an empty one. */
	assert_int_equal(site_copy(&c, &s), 0);
	assert_int_equal(c.nnodes, 0);
	assert_null(c.nodes);
	site_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(status_json_escapes_names),
		cmocka_unit_test(metrics_escape_label_values),
		cmocka_unit_test(page_escapes_names),
		cmocka_unit_test(a_copy_is_whole_and_apart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
