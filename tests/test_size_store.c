/* The learnt object sizes across a restart: saved and loaded back they are
 * the same model (same judgement of a merged blob), a damaged or foreign
 * file changes nothing, and lines are matched by name. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "size_store.h"

static char dir[] = "/tmp/turnstile-sizes-XXXXXX";

static void camera(struct camera_config *cfg, const char *first, const char *second)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "door");
	snprintf(cfg->lines[0].name, sizeof(cfg->lines[0].name), "%s", first);
	cfg->lines[0].line = LINE_DEFAULT;
	cfg->nlines = 1;
	if (second) {
		snprintf(cfg->lines[1].name, sizeof(cfg->lines[1].name), "%s", second);
		cfg->lines[1].line = (struct line){0.5f, 0.0f, 0.5f, 1.0f};
		cfg->nlines = 2;
	}
}

static struct counter *counter(void)
{
	struct counter_params p = {.band = 0.03f};
	struct counter *c;
	assert_int_equal(counter_create(&LINE_DEFAULT, &p, &c), 0);
	return c;
}

/* n whole people of area 0.04 (0.2 x 0.2), a little noise, after two fragments. */
static void teach(struct counter *c, int n)
{
	struct objsize s = *counter_objsize(c);
	objsize_learn(&s, 0.01f, 0.1f, 0.1f);
	objsize_learn(&s, 0.012f, 0.1f, 0.12f);
	for (int i = 0; i < n; i++)
		objsize_learn(&s, 0.04f + 0.001f * (float)(i % 3), 0.2f, 0.2f);
	counter_set_objsize(c, &s);
}

static char *path_of(const char *name)
{
	static char p[256];
	snprintf(p, sizeof(p), "%s/%s.sizes", dir, name);
	return p;
}

static void write_file(const char *text)
{
	FILE *f = fopen(path_of("door"), "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void saved_sizes_come_back_the_same(void **state)
{
	(void)state;
	static char buf[SIZE_STORE_BUF];
	struct camera_config cfg;
	camera(&cfg, "main", "side");
	struct counter *a[2] = {counter(), counter()}, *b[2] = {counter(), counter()};
	teach(a[0], 40); /* more than the history: the ring wrapped */
	teach(a[1], 4);
	assert_int_equal(size_store_save(dir, &cfg, a, buf, sizeof(buf)), 0);
	assert_int_equal(size_store_load(dir, &cfg, b), 0);
	for (int l = 0; l < 2; l++) {
		const struct objsize *x = counter_objsize(a[l]), *y = counter_objsize(b[l]);
		assert_int_equal(x->n, y->n);
		for (int k = 0; k < x->n; k++) {
			int i = (x->next - x->n + k + OBJSIZE_HISTORY) % OBJSIZE_HISTORY;
			int j = (y->next - y->n + k + OBJSIZE_HISTORY) % OBJSIZE_HISTORY;
			assert_float_equal(x->area[i], y->area[j], 1e-7);
			assert_float_equal(x->width[i], y->width[j], 1e-7);
			assert_float_equal(x->length[i], y->length[j], 1e-7);
		}
	}
	/* What it is for: after a restart a blob of two people counts two
	 * at once, where a fresh counter would say one. */
	assert_int_equal(objsize_multiple(counter_objsize(b[0]), 0.085f, 0.4f, 0.2f), 2);
	struct counter *fresh = counter();
	assert_int_equal(objsize_multiple(counter_objsize(fresh), 0.085f, 0.4f, 0.2f), 1);
	counter_destroy(fresh);
	for (int l = 0; l < 2; l++) {
		counter_destroy(a[l]);
		counter_destroy(b[l]);
	}
	unlink(path_of("door"));
}

static void lines_are_matched_by_name(void **state)
{
	(void)state;
	static char buf[SIZE_STORE_BUF];
	struct camera_config before, after;
	camera(&before, "main", "side");
	camera(&after, "side", "new"); /* main removed, side moved, new added */
	struct counter *a[2] = {counter(), counter()}, *b[2] = {counter(), counter()};
	teach(a[1], 10);
	assert_int_equal(size_store_save(dir, &before, a, buf, sizeof(buf)), 0);
	assert_int_equal(size_store_load(dir, &after, b), 0);
	assert_int_equal(counter_objsize(b[0])->n, 12); /* side's */
	assert_int_equal(counter_objsize(b[1])->n, 0);  /* new learns afresh */
	for (int l = 0; l < 2; l++) {
		counter_destroy(a[l]);
		counter_destroy(b[l]);
	}
	unlink(path_of("door"));
}

static void damaged_files_change_nothing(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",                                                      /* empty */
		"turnstile-sizes 2\nline main 0\n",                      /* another version */
		"turnstile-sizes 1\nline main 2\n0.04 0.2 0.2\n",        /* cut short */
		"turnstile-sizes 1\nline main 1\n0.04 0.2 nan\n",        /* not a size */
		"turnstile-sizes 1\nline main 1\n-0.04 0.2 0.2\n",       /* negative */
		"turnstile-sizes 1\nline main 99\n",                     /* too many */
		"turnstile-sizes 1\nline main 1\n0.04 0.2 0.2\nline main 0\n", /* twice */
		"turnstile-sizes 1\nline main 1\n0.04 0.2 0.2\ngarbage\n",
	};
	struct camera_config cfg;
	camera(&cfg, "main", NULL);
	struct counter *c[1] = {counter()};
	teach(c[0], 6);
	struct objsize before = *counter_objsize(c[0]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(bad[i]);
		assert_int_equal(size_store_load(dir, &cfg, c), -EINVAL);
		assert_memory_equal(counter_objsize(c[0]), &before, sizeof(before));
	}
	unlink(path_of("door"));
	assert_int_equal(size_store_load(dir, &cfg, c), -ENOENT);
	counter_destroy(c[0]);
}

static void a_full_buffer_is_an_error_not_a_cut_file(void **state)
{
	(void)state;
	char small[64];
	struct camera_config cfg;
	camera(&cfg, "main", NULL);
	struct counter *c[1] = {counter()};
	teach(c[0], 10);
	assert_int_equal(size_store_save(dir, &cfg, c, small, sizeof(small)), -ENOBUFS);
	assert_int_equal(access(path_of("door"), F_OK), -1);
	counter_destroy(c[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(saved_sizes_come_back_the_same),
		cmocka_unit_test(lines_are_matched_by_name),
		cmocka_unit_test(damaged_files_change_nothing),
		cmocka_unit_test(a_full_buffer_is_an_error_not_a_cut_file),
	};
	if (!mkdtemp(dir))
		return 1;
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return rc;
}
