/* vivid_ctl DEVICE CONTROL_ID VALUE: sets one control with VIDIOC_S_CTRL,
 * as `v4l2-ctl -c NAME=VALUE` would, so the vivid test can pull vivid's
 * fault-injection levers (disconnect is 0x00f0f041) in a guest that has no
 * v4l-utils. Plain ioctl, no libv4l2: nothing to convert. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/videodev2.h>

int main(int argc, char **argv)
{
	struct v4l2_control c;
	int fd, rc;

	if (argc != 4) {
		fprintf(stderr, "usage: vivid_ctl DEVICE CONTROL_ID VALUE\n");
		return 2;
	}
	c.id = (unsigned)strtoul(argv[2], NULL, 0);
	c.value = (int)strtol(argv[3], NULL, 0);
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "vivid_ctl: cannot open '%s': %s\n", argv[1], strerror(errno));
		return 1;
	}
	do {
		rc = ioctl(fd, VIDIOC_S_CTRL, &c);
	} while (rc < 0 && errno == EINTR);
	if (rc < 0)
		fprintf(stderr, "vivid_ctl: '%s': VIDIOC_S_CTRL 0x%08x: %s\n", argv[1], c.id,
			strerror(errno));
	close(fd);
	return rc < 0;
}
