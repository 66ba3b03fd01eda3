/* Site totals across hosts; site.h. Linear lookups: a site has a few
 * nodes, each a few cameras. */
#include "site.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool site_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SITE_NAME_MAX)
		return false;
	for (; *s; s++) {
		char ch = *s;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* Grows *v (of *n elements of size bytes) by one zeroed element. */
static void *grow(void **v, int *n, size_t size)
{
	char *nv = realloc(*v, ((size_t)*n + 1) * size);

	if (!nv)
		return NULL;
	memset(nv + (size_t)*n * size, 0, size);
	*v = nv;
	return nv + (size_t)(*n)++ * size;
}

struct site_node *site_node_get(struct site *s, const char *name, bool create)
{
	struct site_node *n;

	for (int i = 0; i < s->nnodes; i++)
		if (strcmp(s->nodes[i].name, name) == 0)
			return &s->nodes[i];
	if (!create || !site_name_ok(name))
		return NULL;
	n = grow((void **)&s->nodes, &s->nnodes, sizeof(*n));
	if (n) {
		strcpy(n->name, name);
		n->last = -1;
	}
	return n;
}

struct site_camera *site_camera_get(struct site_node *n, const char *name, bool create)
{
	struct site_camera *c;

	for (int i = 0; i < n->ncameras; i++)
		if (strcmp(n->cams[i].name, name) == 0)
			return &n->cams[i];
	if (!create || !site_name_ok(name))
		return NULL;
	c = grow((void **)&n->cams, &n->ncameras, sizeof(*c));
	if (c)
		strcpy(c->name, name);
	return c;
}

struct site_line *site_line_get(struct site_camera *c, const char *name, bool create)
{
	struct site_line *l;

	for (int i = 0; i < c->nlines; i++)
		if (strcmp(c->lines[i].name, name) == 0)
			return &c->lines[i];
	if (!create || !site_name_ok(name))
		return NULL;
	l = grow((void **)&c->lines, &c->nlines, sizeof(*l));
	if (l)
		strcpy(l->name, name);
	return l;
}

enum site_result site_apply(struct site *s, const char *node, uint64_t seq, int64_t prev,
			    const char *camera, const char *line, enum direction dir)
{
	struct site_node *n = site_node_get(s, node, true);
	struct site_camera *c;
	struct site_line *l;

	if (!n || !site_name_ok(camera) || !site_name_ok(line) || seq > INT64_MAX ||
	    (dir != DIR_IN && dir != DIR_OUT))
		return SITE_BAD;
	if ((int64_t)seq <= n->last) {
		n->repeats++;
		return SITE_REPEAT;
	}
	if (prev != n->last) {
		n->gaps++;
		return SITE_GAP;
	}
	c = site_camera_get(n, camera, true);
	l = c ? site_line_get(c, line, true) : NULL;
	if (!l)
		return SITE_BAD;
	totals_add(&s->t, dir);
	totals_add(&n->t, dir);
	totals_add(&c->t, dir);
	if (dir == DIR_IN)
		l->in++;
	else
		l->out++;
	n->last = (int64_t)seq;
	return SITE_COUNTED;
}

void site_free(struct site *s)
{
	for (int i = 0; i < s->nnodes; i++) {
		for (int k = 0; k < s->nodes[i].ncameras; k++)
			free(s->nodes[i].cams[k].lines);
		free(s->nodes[i].cams);
	}
	free(s->nodes);
	memset(s, 0, sizeof(*s));
}

/* A copy of n elements of size bytes; NULL for none (and on failure, with
 * *ok cleared). */
static void *dup_array(const void *v, int n, size_t size, bool *ok)
{
	void *d;

	if (n <= 0)
		return NULL;
	d = malloc((size_t)n * size);
	if (!d) {
		*ok = false;
		return NULL;
	}
	memcpy(d, v, (size_t)n * size);
	return d;
}

int site_copy(struct site *dst, const struct site *src)
{
	bool ok = true;

	*dst = *src;
	dst->nodes = dup_array(src->nodes, src->nnodes, sizeof(*src->nodes), &ok);
	if (!ok)
		dst->nnodes = 0;
	for (int i = 0; i < dst->nnodes; i++) {
		struct site_node *n = &dst->nodes[i];
		n->cams = dup_array(n->cams, n->ncameras, sizeof(*n->cams), &ok);
		if (!n->cams)
			n->ncameras = 0;
		for (int k = 0; k < n->ncameras; k++) {
			struct site_camera *c = &n->cams[k];
			c->lines = dup_array(c->lines, c->nlines, sizeof(*c->lines), &ok);
			if (!c->lines)
				c->nlines = 0;
		}
	}
	if (!ok) {
		site_free(dst);
		return -ENOMEM;
	}
	return 0;
}
