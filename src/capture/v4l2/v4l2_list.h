/* turnstile --list-cameras: every V4L2 capture node with its stable names,
 * card and bus, and the sizes and rates of each format, in a compact table
 * (what v4l2-ctl --list-formats-ext shows). Main thread only. */
#ifndef TURNSTILE_V4L2_LIST_H
#define TURNSTILE_V4L2_LIST_H

#include <stdio.h>

/* Lists the capture nodes devdir/videoN (stable names from devdir/v4l/by-id
 * and by-path) through the V4L2 seam. Nodes that are not video capture
 * (UVC metadata nodes, outputs) are left out. Returns the number listed, or
 * -errno when devdir cannot be read. */
int v4l2_list_cameras(FILE *out, const char *devdir);

#endif
