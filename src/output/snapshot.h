/* --snapshot DIR: each camera's annotated picture written to DIR/NAME.jpg
 * (by rename, so a reader never sees half a file) once a second by the
 * thread "snap", and once more at snapshot_stop, so even a one-frame run
 * leaves a picture of where its lines are. Main thread calls everything. */
#ifndef TURNSTILE_SNAPSHOT_H
#define TURNSTILE_SNAPSHOT_H

#include <stddef.h>

#include "camera.h"
#include "coord.h"

struct snapshot_config {
	const char *dir;
	int ncameras;
	struct camera **cams;
	const struct camera_config *cfgs;
	struct coord *co;
};

struct snapshot;

/* Checks that dir is a writable directory, asks every camera for a
 * picture and starts the thread. Returns 0, or -errno with one line in err
 * naming dir. Call before the cameras start, so the first frame is kept. */
int snapshot_start(const struct snapshot_config *cfg, struct snapshot **out, char *err,
		   size_t errlen);
/* Stops the thread and writes every camera's last picture. After the
 * cameras are joined, so the last frames are in. NULL is fine. */
void snapshot_stop(struct snapshot *s);
void snapshot_destroy(struct snapshot *s);

#endif
