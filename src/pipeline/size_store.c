/* The learnt object sizes on disk:
 *
 *   turnstile-sizes 1
 *   line NAME COUNT
 *   AREA WIDTH LENGTH      (COUNT lines, oldest first)
 *   ...
 *
 * Loading replays the samples through objsize_learn in their order, so the
 * model comes back exactly as it was saved. */
#include "size_store.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "turnstile-sizes 1"

static int store_path(char *out, size_t len, const char *dir, const char *name, const char *suffix)
{
	int n = snprintf(out, len, "%s/%s.sizes%s", dir, name, suffix);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static bool sample_ok(float v)
{
	return isfinite(v) && v > 0.0f && v <= 2.0f; /* extents may exceed the frame side on a diagonal */
}

int size_store_load(const char *dir, const struct camera_config *cfg, struct counter *const *cnt)
{
	char path[CONFIG_PATH_MAX + CONFIG_NAME_MAX + 16], text[256];
	struct objsize sizes[TURNSTILE_MAX_LINES];
	bool seen[TURNSTILE_MAX_LINES] = {false};
	int rc = store_path(path, sizeof(path), dir, cfg->name, "");
	if (rc)
		return rc;
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	rc = -EINVAL;
	if (!fgets(text, sizeof(text), f) || strcmp(text, MAGIC "\n") != 0)
		goto out;
	while (fgets(text, sizeof(text), f)) {
		char name[CONFIG_NAME_MAX];
		int count, l;
		if (sscanf(text, "line %63s %d", name, &count) != 2 || count < 0 ||
		    count > OBJSIZE_HISTORY)
			goto out;
		for (l = 0; l < cfg->nlines && strcmp(cfg->lines[l].name, name) != 0; l++)
			;
		struct objsize scratch, *s = l < cfg->nlines ? &sizes[l] : &scratch;
		if (l < cfg->nlines && seen[l])
			goto out; /* a line twice: not a file we wrote */
		objsize_init(s, 0.0f);
		for (int i = 0; i < count; i++) {
			float a, w, len;
			if (!fgets(text, sizeof(text), f) ||
			    sscanf(text, "%f %f %f", &a, &w, &len) != 3 || !sample_ok(a) ||
			    !sample_ok(w) || !sample_ok(len))
				goto out;
			objsize_learn(s, a, w, len);
		}
		if (l < cfg->nlines)
			seen[l] = true;
	}
	if (ferror(f)) {
		rc = -EIO;
		goto out;
	}
	for (int l = 0; l < cfg->nlines; l++)
		if (seen[l])
			counter_set_objsize(cnt[l], &sizes[l]);
	rc = 0;
out:
	fclose(f);
	return rc;
}

int size_store_save(const char *dir, const struct camera_config *cfg, struct counter *const *cnt,
		    char *buf, size_t buflen)
{
	char path[CONFIG_PATH_MAX + CONFIG_NAME_MAX + 16], tmp[sizeof(path)];
	size_t len = 0;
	int rc = store_path(path, sizeof(path), dir, cfg->name, "");
	if (rc == 0)
		rc = store_path(tmp, sizeof(tmp), dir, cfg->name, ".tmp");
	if (rc)
		return rc;

#define PUT(...)                                                                        \
	do {                                                                            \
		int n_ = snprintf(buf + len, buflen - len, __VA_ARGS__);                \
		if (n_ < 0 || (size_t)n_ >= buflen - len)                               \
			return -ENOBUFS;                                                \
		len += (size_t)n_;                                                      \
	} while (0)
	PUT(MAGIC "\n");
	for (int l = 0; l < cfg->nlines; l++) {
		const struct objsize *s = counter_objsize(cnt[l]);
		PUT("line %s %d\n", cfg->lines[l].name, s->n);
		for (int k = 0; k < s->n; k++) {
			int i = (s->next - s->n + k + OBJSIZE_HISTORY) % OBJSIZE_HISTORY;
			PUT("%.9g %.9g %.9g\n", s->area[i], s->width[i], s->length[i]);
		}
	}
#undef PUT

	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			close(fd);
			unlink(tmp);
			return rc;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		rc = -errno;
		unlink(tmp);
		return rc;
	}
	return 0;
}
