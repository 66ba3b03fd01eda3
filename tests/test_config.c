#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "idle.h"

/* Every test writes its INI files into one temporary directory. */
static char tmpdir[] = "/tmp/test_config.XXXXXX";
static char written[96][256];
static int nwritten;

static int group_setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < nwritten; i++)
		unlink(written[i]);
	return rmdir(tmpdir);
}

/* Writes text to a new file and returns its path (valid until teardown). */
static const char *write_ini(const char *text)
{
	char *path;
	FILE *f;

	assert_true(nwritten < (int)(sizeof(written) / sizeof(written[0])));
	path = written[nwritten];
	snprintf(path, sizeof(written[0]), "%s/%d.ini", tmpdir, nwritten);
	nwritten++;
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void assert_line(const struct line *l, float ax, float ay, float bx, float by)
{
	assert_float_equal(l->ax, ax, 1e-6);
	assert_float_equal(l->ay, ay, 1e-6);
	assert_float_equal(l->bx, bx, 1e-6);
	assert_float_equal(l->by, by, 1e-6);
}

static void load_reads_several_cameras_and_lines(void **state)
{
	(void)state;
	struct camera_list list;
	char err[512];
	/* BOM, CRLF, comments, inline comment, blank lines, indented key right
	 * after a header, spaces around '=', no newline at the end. */
	const char *path = write_ini("\xef\xbb\xbf; site: shop\r\n"
				     "[camera door]\r\n"
				     "source = samples/door.avi\r\n"
				     "line = 0,0.4,1,0.6 ; drawn on the mat\r\n"
				     "\r\n"
				     "# back entrance\n"
				     "[camera back-yard_2.cam]\n"
				     "  line=0.8,1,0.8,0\n"
				     "source=/dev/video2\n"
				     "[camera c]\n"
				     "source=-");

	assert_int_equal(config_load(path, NULL, &list, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(list.n, 3);
	assert_string_equal(list.cams[0].name, "door");
	/* Relative to the config file's directory; absolute paths and "-" stay. */
	char want[600];
	snprintf(want, sizeof(want), "%.*s/samples/door.avi", (int)(strrchr(path, '/') - path), path);
	assert_string_equal(list.cams[0].source, want);
	assert_line(&list.cams[0].lines[0].line, 0.0f, 0.4f, 1.0f, 0.6f);
	assert_string_equal(list.cams[1].name, "back-yard_2.cam");
	assert_string_equal(list.cams[1].source, "/dev/video2");
	assert_line(&list.cams[1].lines[0].line, 0.8f, 1.0f, 0.8f, 0.0f);
	assert_string_equal(list.cams[2].name, "c");
	assert_string_equal(list.cams[2].source, "-");
	assert_line(&list.cams[2].lines[0].line, 0.0f, 0.5f, 1.0f, 0.5f);
	config_free(&list);
}

static void load_uses_default_line_when_absent(void **state)
{
	(void)state;
	struct camera_list list;
	struct line def = {0.1f, 0.2f, 0.3f, 0.4f};
	char err[512];
	const char *path = write_ini("[camera a]\nsource=a.avi\n"
				     "[camera b]\nsource=b.avi\nline=0,0,1,1\n");

	assert_int_equal(config_load(path, &def, &list, err, sizeof(err)), 0);
	assert_int_equal(list.n, 2);
	assert_line(&list.cams[0].lines[0].line, 0.1f, 0.2f, 0.3f, 0.4f);
	assert_line(&list.cams[1].lines[0].line, 0.0f, 0.0f, 1.0f, 1.0f);
	config_free(&list);
}

static void load_accepts_41_character_name(void **state)
{
	(void)state;
	struct camera_list list;
	char err[512];
	const char *path = write_ini("[camera abcdefghijklmnopqrstuvwxyz0123456789abcde]\n"
				     "source=x.avi\n");

	assert_int_equal(config_load(path, NULL, &list, err, sizeof(err)), 0);
	assert_int_equal(list.n, 1);
	assert_string_equal(list.cams[0].name, "abcdefghijklmnopqrstuvwxyz0123456789abcde");
	config_free(&list);
}

struct bad_case {
	const char *what;
	const char *text;
	const char *msg; /* after "PATH:" */
};

static const struct bad_case bad_cases[] = {
	{"unknown section type", "[camera a]\nsource=a.avi\n\n[general]\nfoo=1\n",
	 "4: unknown section type 'general' (expected [camera NAME] or [turnstile])"},
	{"bad reset_at", "[turnstile]\nreset_at=24:00\n[camera a]\nsource=a\n",
	 "2: bad value '24:00' for reset_at (expected HH:MM, 00:00 to 23:59)"},
	{"reset_at minutes need two digits", "[turnstile]\nreset_at=4:5\n[camera a]\nsource=a\n",
	 "2: bad value '4:5' for reset_at (expected HH:MM, 00:00 to 23:59)"},
	{"unknown global key", "[camera a]\nsource=a\n[turnstile]\ncolour=red\n",
	 "4: unknown key 'colour' in [turnstile] (expected state=, reset_at=, http=, "
	 "preview_fps=, mqtt=, mqtt_ca=, mqtt_password_file=, node=)"},
	{"camera key in [turnstile]", "[turnstile]\nsource=a.avi\n",
	 "2: unknown key 'source' in [turnstile] (expected state=, reset_at=, http=, "
	 "preview_fps=, mqtt=, mqtt_ca=, mqtt_password_file=, node=)"},
	{"bad http", "[turnstile]\nhttp=localhost:80\n[camera a]\nsource=a\n",
	 "2: bad value 'localhost:80' for http (expected [ADDR:]PORT, IPv4, port 1-65535)"},
	{"http port out of range", "[turnstile]\nhttp=65536\n[camera a]\nsource=a\n",
	 "2: bad value '65536' for http (expected [ADDR:]PORT, IPv4, port 1-65535)"},
	{"bad preview_fps", "[turnstile]\npreview_fps=0\n[camera a]\nsource=a\n",
	 "2: bad value '0' for preview_fps (expected more than 0, at most 60)"},
	{"duplicate state", "[turnstile]\nstate=a\nstate=b\n[camera a]\nsource=a\n",
	 "3: duplicate key 'state' in [turnstile]"},
	{"duplicate mqtt", "[turnstile]\nmqtt=mqtt://a\nmqtt=mqtt://b\n[camera a]\nsource=a\n",
	 "3: duplicate key 'mqtt' in [turnstile]"},
	{"empty node", "[turnstile]\nnode=\n[camera a]\nsource=a\n",
	 "2: node= needs a value (at most 63 characters)"},
	{"empty state", "[turnstile]\nstate=\n[camera a]\nsource=a\n",
	 "2: state= needs a directory (at most 1023 characters)"},
	{"two [turnstile] sections",
	 "[turnstile]\nstate=s\n[camera a]\nsource=a\n[turnstile]\nreset_at=01:00\n",
	 "5: duplicate [turnstile] section (the first is on line 1)"},
	{"unknown key", "[camera a]\nsource=a.avi\ncolour=red\n",
	 "3: unknown key 'colour' (expected source=, line=, line.NAME=, object_size=, "
	 "min_track_age=, band=, learn_seconds=, absorb_seconds=, object_area=, anchor=, roi=, "
	 "mask=, size=, fps=, watchdog=, transport=, credentials=, idle_skip=, max_speed=, shadows=)"},
	{"bad shadows", "[camera a]\nsource=a.avi\nshadows=on\n",
	 "3: bad value 'on' for shadows in camera 'a'"},
	{"bad idle_skip", "[camera a]\nsource=a.avi\nidle_skip=yes\n",
	 "3: bad value 'yes' for idle_skip in camera 'a'"},
	{"max_speed zero", "[camera a]\nsource=a.avi\nmax_speed=0\n",
	 "3: bad value '0' for max_speed in camera 'a'"},
	{"roi of two points", "[camera a]\nsource=a.avi\nroi=0,0,1,1\n",
	 "3: bad roi '0,0,1,1' for camera 'a' (expected X1,Y1,X2,Y2,X3,Y3... : 3 to 16 points in "
	 "0..1 enclosing an area)"},
	{"mask outside the frame", "[camera a]\nsource=a.avi\nmask=0,0,1,0,1,2\n",
	 "3: bad mask '0,0,1,0,1,2' for camera 'a' (expected X1,Y1,X2,Y2,X3,Y3... : 3 to 16 points "
	 "in 0..1 enclosing an area)"},
	{"too many masks", "[camera a]\nsource=a\nmask=0,0,1,0,1,1\nmask=0,0,1,0,1,1\n"
	 "mask=0,0,1,0,1,1\nmask=0,0,1,0,1,1\nmask=0,0,1,0,1,1\nmask=0,0,1,0,1,1\n"
	 "mask=0,0,1,0,1,1\nmask=0,0,1,0,1,1\nmask=0,0,1,0,1,1\n",
	 "11: camera 'a' has more than 8 mask= polygons"},
	{"bad anchor", "[camera a]\nsource=a.avi\nanchor=feet\n",
	 "3: bad value 'feet' for anchor in camera 'a'"},
	{"bad line name", "[camera a]\nsource=a.avi\nline.front door=0,0,1,1\n",
	 "3: bad line name 'front door' (letters, digits, '-', '_', '.')"},
	{"duplicate named line", "[camera a]\nsource=a.avi\nline.x=0,0,1,1\nline.x=0,1,1,0\n",
	 "4: duplicate line 'x' in camera 'a'"},
	{"too many lines", "[camera a]\nsource=a\nline.a=0,0,1,1\nline.b=0,0,1,1\nline.c=0,0,1,1\n"
	 "line.d=0,0,1,1\nline.e=0,0,1,1\nline.f=0,0,1,1\nline.g=0,0,1,1\nline.h=0,0,1,1\n"
	 "line.i=0,0,1,1\n",
	 "11: camera 'a' has more than 8 lines"},
	{"bad object_size order", "[camera a]\nsource=a\nobject_size=0.3,0.1\n",
	 "3: bad value '0.3,0.1' for object_size in camera 'a'"},
	{"bad min_track_age", "[camera a]\nsource=a\nmin_track_age=2.5\n",
	 "3: bad value '2.5' for min_track_age in camera 'a'"},
	{"band out of range", "[camera a]\nsource=a\nband=0.5\n",
	 "3: bad value '0.5' for band in camera 'a'"},
	{"size without height", "[camera a]\nsource=/dev/video0\nsize=640\n",
	 "3: bad value '640' for size in camera 'a' (expected WxH, 16 to 8192)"},
	{"size with junk", "[camera a]\nsource=/dev/video0\nsize=640x480p\n",
	 "3: bad value '640x480p' for size in camera 'a' (expected WxH, 16 to 8192)"},
	{"size signed", "[camera a]\nsource=/dev/video0\nsize=640x-480\n",
	 "3: bad value '640x-480' for size in camera 'a' (expected WxH, 16 to 8192)"},
	{"size too large", "[camera a]\nsource=/dev/video0\nsize=9000x480\n",
	 "3: bad value '9000x480' for size in camera 'a' (expected WxH, 16 to 8192)"},
	{"duplicate size", "[camera a]\nsource=/dev/video0\nsize=640x480\nsize=320x240\n",
	 "4: duplicate key 'size' in camera 'a'"},
	{"fps zero", "[camera a]\nsource=/dev/video0\nfps=0\n",
	 "3: bad value '0' for fps in camera 'a'"},
	{"fps not a number", "[camera a]\nsource=/dev/video0\nfps=fast\n",
	 "3: bad value 'fast' for fps in camera 'a'"},
	{"duplicate fps", "[camera a]\nsource=/dev/video0\nfps=15\nfps=30\n",
	 "4: duplicate key 'fps' in camera 'a'"},
	{"watchdog too short", "[camera a]\nsource=/dev/video0\nwatchdog=0.01\n",
	 "3: bad value '0.01' for watchdog in camera 'a'"},
	{"bad line value", "[camera a]\nsource=a.avi\nline=0,0.5,2,0.5\n",
	 "3: bad line '0,0.5,2,0.5' for camera 'a' (expected X1,Y1,X2,Y2 in 0..1, A != B)"},
	{"missing source", "[camera a]\nline=0,0.5,1,0.5\n[camera b]\nsource=b.avi\n",
	 "1: camera 'a' has no source="},
	{"missing source in last section", "[camera a]\nsource=a\n\n[camera b]\nline=0,0,1,1\n",
	 "4: camera 'b' has no source="},
	{"empty section", "[camera a]\n[camera b]\nsource=b.avi\n",
	 "1: empty section: a camera needs source="},
	{"empty source", "[camera a]\nsource=\n", "2: empty source for camera 'a'"},
	{"duplicate camera name", "[camera a]\nsource=a\n[camera b]\nsource=b\n\n[camera a]\nsource=c\n",
	 "6: duplicate camera name 'a'"},
	{"duplicate camera name, adjacent", "[camera a]\nsource=a\n[camera a]\nsource=b\n",
	 "3: duplicate camera name 'a'"},
	{"name too long", "; 42 characters\n[camera abcdefghijklmnopqrstuvwxyz0123456789abcdef]\nsource=x\n",
	 "2: camera name too long (at most 41 characters)"},
	{"name far too long (cut by libinih)",
	 "[camera abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz]\nsource=x\n",
	 "1: camera name too long (at most 41 characters)"},
	{"bad name characters", "[camera front door]\nsource=x\n",
	 "1: bad camera name 'front door' (letters, digits, '-', '_', '.' only)"},
	{"no name", "[camera]\nsource=x\n", "1: camera section needs a name: [camera NAME]"},
	{"key outside a section", "source=a.avi\n[camera a]\nsource=a.avi\n",
	 "1: key 'source' outside a [camera NAME] section"},
	{"duplicate key", "[camera a]\nsource=a.avi\nline=0,0,1,1\nline=0,0,1,1\n",
	 "4: duplicate line 'main' in camera 'a'"},
	/* libinih takes an indented line after a key as a continuation. */
	{"continuation line", "[camera a]\nsource=a.avi\n  b.avi\n",
	 "3: duplicate key 'source' in camera 'a'"},
	{"indented header after a key is a continuation", "[camera a]\nsource=a.avi\n  [camera b]\n",
	 "3: duplicate key 'source' in camera 'a'"},
	{"no '=' on a key line", "[camera a]\nsource=a\njunk\n",
	 "3: syntax error (expected [camera NAME] or key=value)"},
	{"header without ']'", "[camera a]\nsource=a\n[camera b\nsource=b\n",
	 "3: syntax error (expected [camera NAME] or key=value)"},
};

static void load_reads_capture_keys(void **state)
{
	(void)state;
	struct camera_list list;
	char err[512];
	const char *path = write_ini("[camera door]\nsource=/dev/v4l/by-id/usb-cam-video-index0\n"
				     "size=1280X720\nfps=12.5\nwatchdog=2.5\n"
				     "[camera yard]\nsource=/dev/video2\n");

	assert_int_equal(config_load(path, NULL, &list, err, sizeof(err)), 0);
	assert_int_equal(list.n, 2);
	assert_int_equal(list.cams[0].width, 1280);
	assert_int_equal(list.cams[0].height, 720);
	assert_float_equal(list.cams[0].fps, 12.5, 1e-6);
	assert_float_equal(list.cams[0].watchdog, 2.5, 1e-6);
	/* Absent keys stay 0: the V4L2 source's defaults apply. */
	assert_int_equal(list.cams[1].width, 0);
	assert_int_equal(list.cams[1].height, 0);
	assert_float_equal(list.cams[1].fps, 0, 0);
	assert_float_equal(list.cams[1].watchdog, 0, 0);
	config_free(&list);
}

/* A URL's "user:password@" leaves source= (which is printed: summary, logs,
 * the camera's name) for credentials=, which is not; credentials=FILE is
 * read and URL-encoded; transport=udp. */
static void load_keeps_credentials_out_of_the_source(void **state)
{
	(void)state;
	struct camera_list list;
	char err[512];
	const char *secret = write_ini("bob:p@ss:w/rd\n");
	char text[512];

	snprintf(text, sizeof(text),
		 "[camera gate]\nsource=rtsp://alice:s3cret@cam.local:554/live?x=a@b\n"
		 "[camera yard]\ncredentials=%s\nsource=rtsps://10.0.0.9/h264\ntransport=udp\n",
		 secret);
	const char *path = write_ini(text);
	assert_int_equal(config_load(path, NULL, &list, err, sizeof(err)), 0);
	assert_string_equal(list.cams[0].source, "rtsp://cam.local:554/live?x=a@b");
	assert_string_equal(list.cams[0].credentials, "alice:s3cret");
	assert_false(list.cams[0].rtsp_udp);
	assert_string_equal(list.cams[1].source, "rtsps://10.0.0.9/h264");
	assert_string_equal(list.cams[1].credentials, "bob:p%40ss%3Aw%2Frd");
	assert_true(list.cams[1].rtsp_udp);
	config_free(&list);

	/* On the command line: the camera is named after the URL without them. */
	memset(&list, 0, sizeof(list));
	assert_int_equal(config_add_source(&list, "rtsp://alice:s3cret@cam/stream1", NULL), 0);
	assert_string_equal(list.cams[0].source, "rtsp://cam/stream1");
	assert_string_equal(list.cams[0].credentials, "alice:s3cret");
	assert_string_equal(list.cams[0].name, "stream1");
	config_free(&list);
}

static void load_reads_named_lines_and_tuning(void **state)
{
	(void)state;
	struct camera_list list;
	char err[512];
	const char *path = write_ini("[camera gates]\nsource=g.avi\nline.north=0,0.3,1,0.3\n"
				     "line.south=1,0.8,0,0.8\nobject_size=0.05,0.5\nmin_track_age=5\n"
				     "band=0.05\nlearn_seconds=4\nabsorb_seconds=120\nobject_area=0.02\n"
				     "anchor=bottom\nroi=0,0.2,1,0.2,1,1,0,1\nmask=0.9,0,1,0,1,0.1\n"
				     "mask=0,0,0.1,0,0,0.1\nidle_skip=0\nmax_speed=3\nshadows=1\n"
				     "[camera door]\nsource=d.avi\n");
	struct line def = {0.0f, 0.5f, 1.0f, 0.5f};
	assert_int_equal(config_load(path, &def, &list, err, sizeof(err)), 0);
	assert_int_equal(list.n, 2);
	const struct camera_config *g = &list.cams[0];
	assert_int_equal(g->nlines, 2);
	assert_string_equal(g->lines[0].name, "north");
	assert_line(&g->lines[0].line, 0.0f, 0.3f, 1.0f, 0.3f);
	assert_string_equal(g->lines[1].name, "south");
	assert_line(&g->lines[1].line, 1.0f, 0.8f, 0.0f, 0.8f);
	assert_float_equal(g->tuning.min_object, 0.05f, 1e-6);
	assert_float_equal(g->tuning.max_object, 0.5f, 1e-6);
	assert_int_equal(g->tuning.min_track_age, 5);
	assert_float_equal(g->tuning.band, 0.05f, 1e-6);
	assert_float_equal(g->tuning.learn_seconds, 4.0f, 1e-6);
	assert_float_equal(g->tuning.absorb_seconds, 120.0f, 1e-6);
	assert_float_equal(g->tuning.object_area, 0.02f, 1e-6);
	assert_true(g->tuning.anchor_bottom);
	assert_int_equal(g->regions.nroi, 1);
	assert_int_equal(g->regions.roi[0].n, 4);
	assert_float_equal(g->regions.roi[0].y[1], 0.2f, 1e-6);
	assert_int_equal(g->regions.nmask, 2);
	assert_float_equal(g->regions.mask[1].x[1], 0.1f, 1e-6);
	assert_false(g->idle_skip);
	assert_float_equal(g->max_speed, 3.0f, 1e-6);
	assert_true(g->tuning.shadows);
	assert_false(list.cams[1].tuning.shadows); /* off unless asked for */
	/* A camera without lines gets the default one, named "main", and default tuning. */
	const struct camera_config *d = &list.cams[1];
	assert_int_equal(d->nlines, 1);
	assert_string_equal(d->lines[0].name, "main");
	assert_int_equal(d->tuning.min_track_age, TUNING_DEFAULT.min_track_age);
	assert_int_equal(d->regions.nroi + d->regions.nmask, 0);
	assert_true(d->idle_skip);
	assert_float_equal(d->max_speed, IDLE_MAX_SPEED_DEFAULT, 1e-6);
	config_free(&list);
}

static void load_reads_the_turnstile_section(void **state)
{
	(void)state;
	struct camera_list list;
	char err[512];
	const char *path = write_ini("[turnstile]\nstate = /var/lib/turnstile\nreset_at=04:30\n"
				     "http=0.0.0.0:8080\npreview_fps=2.5\n"
				     "[camera a]\nsource=a.avi\n");

	assert_int_equal(config_load(path, NULL, &list, err, sizeof(err)), 0);
	assert_int_equal(list.n, 1);
	assert_string_equal(list.global.http, "0.0.0.0:8080");
	assert_true(list.global.preview_fps == 2.5f);
	assert_string_equal(list.global.state, "/var/lib/turnstile");
	assert_true(list.global.daily_reset);
	assert_int_equal(list.global.reset_minute, 4 * 60 + 30);
	assert_string_equal(list.global.mqtt, "");
	config_free(&list);

	path = write_ini("[turnstile]\nmqtt=mqtts://counter@broker.lan:8883\nmqtt_ca=/etc/ca.pem\n"
			 "mqtt_password_file=/etc/turnstile/mqtt.pw\nnode=gate-2\n[camera a]\nsource=a\n");
	assert_int_equal(config_load(path, NULL, &list, err, sizeof(err)), 0);
	assert_string_equal(list.global.mqtt, "mqtts://counter@broker.lan:8883");
	assert_string_equal(list.global.mqtt_ca, "/etc/ca.pem");
	assert_string_equal(list.global.mqtt_password_file, "/etc/turnstile/mqtt.pw");
	assert_string_equal(list.global.node, "gate-2");
	config_free(&list);

	/* Anywhere in the file, either key alone; absent, it is all zero. */
	path = write_ini("[camera a]\nsource=a.avi\n[ turnstile ]\nreset_at=0:00\n");
	assert_int_equal(config_load(path, NULL, &list, err, sizeof(err)), 0);
	assert_int_equal(list.n, 1);
	assert_string_equal(list.global.state, "");
	assert_true(list.global.daily_reset);
	assert_int_equal(list.global.reset_minute, 0);
	config_free(&list);
	path = write_ini("[camera a]\nsource=a.avi\n");
	assert_int_equal(config_load(path, NULL, &list, err, sizeof(err)), 0);
	assert_false(list.global.daily_reset);
	assert_string_equal(list.global.state, "");
	config_free(&list);
}

/* A service runs in /: a relative CA or password file in the config must
 * mean the one beside the config, as state= and source= do. The MQTT URL
 * and the node name are not paths and stay as written. */
static void load_resolves_mqtt_files_against_the_config_dir(void **state)
{
	(void)state;
	struct camera_list list;
	char err[512], dir[300], want[600];
	const char *path = write_ini("[turnstile]\nmqtt=mqtts://counter@broker.lan\n"
				     "mqtt_ca=certs/ca.pem\nmqtt_password_file=mqtt.pw\n"
				     "node=gate-2\nstate=state\n[camera a]\nsource=a.avi\n");

	snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(path, '/') - path), path);
	assert_int_equal(config_load(path, NULL, &list, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/certs/ca.pem", dir);
	assert_string_equal(list.global.mqtt_ca, want);
	snprintf(want, sizeof(want), "%s/mqtt.pw", dir);
	assert_string_equal(list.global.mqtt_password_file, want);
	snprintf(want, sizeof(want), "%s/state", dir);
	assert_string_equal(list.global.state, want);
	assert_string_equal(list.global.mqtt, "mqtts://counter@broker.lan");
	assert_string_equal(list.global.node, "gate-2");
	config_free(&list);

	/* Absolute paths stay. */
	path = write_ini("[turnstile]\nmqtt_ca=/etc/ssl/ca.pem\nmqtt_password_file=/run/pw\n"
			 "[camera a]\nsource=a.avi\n");
	assert_int_equal(config_load(path, NULL, &list, err, sizeof(err)), 0);
	assert_string_equal(list.global.mqtt_ca, "/etc/ssl/ca.pem");
	assert_string_equal(list.global.mqtt_password_file, "/run/pw");
	config_free(&list);
}

static void reset_at_parses_hours_and_minutes(void **state)
{
	(void)state;
	const char *bad[] = {"", "4", "24:00", "23:60", "-1:00", "+1:00", " 1:00", "1:00 ", "12:+5",
			     "12: 5", "1:2", "123:00", "12:345", "ab:cd", "12.30"};
	int m = -1;

	assert_int_equal(config_parse_reset_at("00:00", &m), 0);
	assert_int_equal(m, 0);
	assert_int_equal(config_parse_reset_at("23:59", &m), 0);
	assert_int_equal(m, 23 * 60 + 59);
	assert_int_equal(config_parse_reset_at("4:05", &m), 0);
	assert_int_equal(m, 4 * 60 + 5);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = -1;
		print_message("case: '%s'\n", bad[i]);
		assert_int_equal(config_parse_reset_at(bad[i], &m), -EINVAL);
		assert_int_equal(m, -1);
	}
}

static void load_reports_file_and_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		struct camera_list list = {.cams = NULL, .n = 99};
		char err[512], want[512];
		const char *path = write_ini(bc->text);

		snprintf(want, sizeof(want), "%s:%s", path, bc->msg);
		print_message("case: %s\n", bc->what);
		assert_int_equal(config_load(path, NULL, &list, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, want);
		assert_null(list.cams);
		assert_int_equal(list.n, 0);
	}
}

static void load_reports_overlong_line(void **state)
{
	(void)state;
	struct camera_list list;
	char text[512], err[512], want[512];
	const char *path;

	snprintf(text, sizeof(text), "[camera a]\nsource=%0300d\n", 0);
	path = write_ini(text);
	snprintf(want, sizeof(want), "%s:2: line too long (libinih reads at most 198 characters)",
		 path);
	assert_int_equal(config_load(path, NULL, &list, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
}

static void load_reports_no_cameras(void **state)
{
	(void)state;
	const char *texts[] = {"", "; only a comment\n\n"};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct camera_list list;
		char err[512], want[512];
		const char *path = write_ini(texts[i]);

		snprintf(want, sizeof(want), "%s: no [camera NAME] sections", path);
		assert_int_equal(config_load(path, NULL, &list, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, want);
		assert_int_equal(list.n, 0);
	}
}

static void load_reports_missing_file(void **state)
{
	(void)state;
	struct camera_list list;
	char path[300], err[512], want[512];

	snprintf(path, sizeof(path), "%s/no-such.ini", tmpdir);
	snprintf(want, sizeof(want), "cannot open '%s': No such file or directory", path);
	assert_int_equal(config_load(path, NULL, &list, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, want);
	assert_int_equal(list.n, 0);
	assert_null(list.cams);
}

static void add_source_names_after_basename(void **state)
{
	(void)state;
	struct camera_list list = {0};
	struct line l = {0.2f, 0.0f, 0.2f, 1.0f};
	const char *sources[] = {"samples/door.avi", "-", "/dev/video0", "door.mjpeg",
				 "archive.tar.gz", ".hidden", "my cam.avi", "clips/", "other/door.y4m"};
	const char *names[] = {"door", "stdin", "video0", "door-2", "archive.tar", ".hidden",
			       "my_cam", "camera", "door-3"};

	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		assert_int_equal(config_add_source(&list, sources[i], i == 0 ? &l : NULL), 0);
	assert_int_equal(list.n, (int)(sizeof(names) / sizeof(names[0])));
	for (int i = 0; i < list.n; i++) {
		assert_string_equal(list.cams[i].name, names[i]);
		assert_string_equal(list.cams[i].source, sources[i]);
	}
	assert_line(&list.cams[0].lines[0].line, 0.2f, 0.0f, 0.2f, 1.0f);
	assert_line(&list.cams[1].lines[0].line, 0.0f, 0.5f, 1.0f, 0.5f);
	config_free(&list);
}

static void add_source_skips_suffix_already_taken(void **state)
{
	(void)state;
	struct camera_list list = {0};

	assert_int_equal(config_add_source(&list, "door-2.avi", NULL), 0);
	assert_int_equal(config_add_source(&list, "a/door.avi", NULL), 0);
	assert_int_equal(config_add_source(&list, "b/door.avi", NULL), 0);
	assert_int_equal(config_add_source(&list, "-", NULL), 0);
	assert_int_equal(config_add_source(&list, "-", NULL), 0);
	assert_int_equal(list.n, 5);
	assert_string_equal(list.cams[0].name, "door-2");
	assert_string_equal(list.cams[1].name, "door");
	assert_string_equal(list.cams[2].name, "door-3");
	assert_string_equal(list.cams[3].name, "stdin");
	assert_string_equal(list.cams[4].name, "stdin-2");
	config_free(&list);
}

static void add_source_keeps_long_names_in_bounds(void **state)
{
	(void)state;
	struct camera_list list = {0};
	char source[CONFIG_PATH_MAX + 1];

	memset(source, 'x', 200);
	strcpy(source + 200, ".avi");
	assert_int_equal(config_add_source(&list, source, NULL), 0);
	assert_int_equal(config_add_source(&list, source, NULL), 0);
	assert_true(strlen(list.cams[0].name) < CONFIG_NAME_MAX);
	assert_string_not_equal(list.cams[0].name, list.cams[1].name);
	assert_int_equal(strncmp(list.cams[1].name + strlen(list.cams[1].name) - 2, "-2", 2), 0);

	memset(source, 'y', CONFIG_PATH_MAX);
	source[CONFIG_PATH_MAX] = '\0';
	assert_int_equal(config_add_source(&list, source, NULL), -ENAMETOOLONG);
	assert_int_equal(list.n, 2);
	config_free(&list);
}

static void free_zeroes_and_is_repeatable(void **state)
{
	(void)state;
	struct camera_list list = {0};

	assert_int_equal(config_add_source(&list, "a.avi", NULL), 0);
	config_free(&list);
	assert_null(list.cams);
	assert_int_equal(list.n, 0);
	config_free(&list);
	config_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(load_reads_several_cameras_and_lines),
		cmocka_unit_test(load_uses_default_line_when_absent),
		cmocka_unit_test(load_accepts_41_character_name),
		cmocka_unit_test(load_reads_named_lines_and_tuning),
		cmocka_unit_test(load_reads_capture_keys),
		cmocka_unit_test(load_keeps_credentials_out_of_the_source),
		cmocka_unit_test(load_reads_the_turnstile_section),
		cmocka_unit_test(load_resolves_mqtt_files_against_the_config_dir),
		cmocka_unit_test(reset_at_parses_hours_and_minutes),
		cmocka_unit_test(load_reports_file_and_line),
		cmocka_unit_test(load_reports_overlong_line),
		cmocka_unit_test(load_reports_no_cameras),
		cmocka_unit_test(load_reports_missing_file),
		cmocka_unit_test(add_source_names_after_basename),
		cmocka_unit_test(add_source_skips_suffix_already_taken),
		cmocka_unit_test(add_source_keeps_long_names_in_bounds),
		cmocka_unit_test(free_zeroes_and_is_repeatable),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
