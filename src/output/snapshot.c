/* Snapshot files; snapshot.h. The thread owns one preview per camera; a
 * failing write is logged once per camera per change of state. */
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preview.h"
#include "util.h"

#define SNAPSHOT_PERIOD_NS 1000000000LL

struct snapshot {
	struct snapshot_config c;
	struct preview **pv;
	bool *failing;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop; /* under lock */
};

/* A file name from a camera name: '/' and a leading '.' would leave DIR. */
static void file_name(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/", dir);
	for (size_t i = 0; name[i] && (size_t)n + 5 < size; i++)
		buf[n++] = name[i] == '/' || (i == 0 && name[i] == '.') ? '_' : name[i];
	snprintf(buf + n, size - (size_t)n, ".jpg");
}

static void write_one(struct snapshot *s, int i, int timeout_ms)
{
	char path[CONFIG_PATH_MAX + CONFIG_NAME_MAX + 16], tmp[sizeof(path) + 8];
	const struct preview_opts o = {0};
	const uint8_t *jpeg;
	size_t len;
	bool ok = false;

	if (!s->pv[i] || preview_render(s->pv[i], &o, timeout_ms, &jpeg, &len) != 0)
		return;
	camera_view_request(s->c.cams[i]); /* the next picture, then */
	file_name(path, sizeof(path), s->c.dir, s->c.cfgs[i].name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		ok = write(fd, jpeg, len) == (ssize_t)len;
		ok = close(fd) == 0 && ok;
		ok = ok && rename(tmp, path) == 0;
		if (!ok)
			unlink(tmp);
	}
	if (ok == s->failing[i]) {
		s->failing[i] = !ok;
		if (!ok)
			log_error("snapshot: cannot write '%s': %s", path, strerror(errno));
	}
}

static void *snapshot_main(void *arg)
{
	struct snapshot *s = arg;

	mutex_lock(&s->lock);
	while (!s->stop) {
		mutex_unlock(&s->lock);
		for (int i = 0; i < s->c.ncameras; i++)
			write_one(s, i, 0);
		mutex_lock(&s->lock);
		if (!s->stop)
			cond_timedwait_ns(&s->wake, &s->lock, SNAPSHOT_PERIOD_NS);
	}
	mutex_unlock(&s->lock);
	return NULL;
}

int snapshot_start(const struct snapshot_config *cfg, struct snapshot **out, char *err,
		   size_t errlen)
{
	struct snapshot *s = calloc(1, sizeof(*s));
	struct stat st;
	int rc = -ENOMEM;

	*out = NULL;
	if (!s)
		goto fail;
	s->c = *cfg;
	if (stat(cfg->dir, &st) < 0)
		rc = -errno;
	else if (!S_ISDIR(st.st_mode))
		rc = -ENOTDIR;
	else if (access(cfg->dir, W_OK) < 0)
		rc = -errno;
	else
		rc = 0;
	if (rc) {
		snprintf(err, errlen, "--snapshot: '%s' is not a writable directory: %s", cfg->dir,
			 strerror(-rc));
		free(s);
		return rc;
	}
	rc = -ENOMEM;
	s->pv = calloc((size_t)cfg->ncameras, sizeof(*s->pv));
	s->failing = calloc((size_t)cfg->ncameras, sizeof(*s->failing));
	if (!s->pv || !s->failing || pthread_mutex_init(&s->lock, NULL) != 0)
		goto fail_free;
	if (cond_init_monotonic(&s->wake) != 0) {
		pthread_mutex_destroy(&s->lock);
		goto fail_free;
	}
	for (int i = 0; i < cfg->ncameras; i++) {
		/* A failed camera has no picture: its preview stays NULL. */
		preview_create(cfg->cams[i], &cfg->cfgs[i], cfg->co, i, &s->pv[i]);
		camera_view_request(cfg->cams[i]);
	}
	rc = -pthread_create(&s->thread, NULL, snapshot_main, s);
	if (rc) {
		snprintf(err, errlen, "--snapshot: cannot start its thread: %s", strerror(-rc));
		s->started = false;
		snapshot_destroy(s);
		return rc;
	}
	pthread_setname_np(s->thread, "snap");
	s->started = true;
	*out = s;
	return 0;

fail_free:
	free(s->pv);
	free(s->failing);
	free(s);
	s = NULL;
fail:
	snprintf(err, errlen, "--snapshot: out of memory");
	return rc;
}

void snapshot_stop(struct snapshot *s)
{
	if (!s || !s->started)
		return;
	mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->wake);
	mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	s->started = false;
	for (int i = 0; i < s->c.ncameras; i++)
		write_one(s, i, 0);
}

void snapshot_destroy(struct snapshot *s)
{
	if (!s)
		return;
	snapshot_stop(s);
	for (int i = 0; i < s->c.ncameras; i++)
		preview_destroy(s->pv[i]);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s->pv);
	free(s->failing);
	free(s);
}
