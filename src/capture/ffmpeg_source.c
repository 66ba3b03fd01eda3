/* FFmpeg source: any container and codec Debian's libavformat and libavcodec
 * read (MP4, MKV, MPEG-TS, MPEG-PS; H.264, H.265, MPEG-1/2/4, VP8/9, AV1...),
 * from a file, standard input or a URL (rtsp://, rtsps://, http(s)://,
 * udp://, ...), as one more kind in the source vtable.
 *
 * Chosen by source.c for a URL, or for a file none of the faster readers
 * (AVI, raw MJPEG, Y4M) recognises: never by the file's name.
 *
 * What the ring carries: FRAME_GRAY, the decoder's own luma plane (Y of
 * YUV, 8 bits; deeper samples keep their top 8 bits), copied row by row
 * without its stride padding into the slot the ring preallocated. No colour
 * conversion, no scaler: the inference thread box-averages it to the
 * detection width (decode.c, the same code as Y4M). Where the codec has a
 * reduced-resolution IDCT (`lowres`: MJPEG, MPEG-1/2, MPEG-4 part 2, H.263)
 * the plane is already reduced towards the detection width, so the copy and
 * the slot shrink by 4 or 16; H.264 and H.265 have none and give the full
 * plane. Decoding must happen here, on the capture thread, for every packet
 * (inter frames need their references), so the copy is the only extra work
 * and the slots hold at most one luma plane each, sized at open.
 *
 * Files are exact: every frame comes out in presentation order, none is
 * dropped, and pts_ns comes from the stream's own timestamps (variable frame
 * rate included). A packet the decoder refuses, or a frame it flags as
 * damaged, is SOURCE_CORRUPT: counted, skipped, and its index used, like a
 * corrupt JPEG. Files decode with frame threads.
 *
 * Live streams (a URL whose length is unknown) never end: read_frame
 * returns SOURCE_AGAIN while the stream is reopened, with the V4L2 source's
 * rules (v4l2_source.c): no frame for the watchdog time or any read error
 * loses the stream, which is reopened from scratch with backoff from 1 s
 * doubling to 30 s; frames after a reconnect start a new session. RTSP runs
 * over TCP unless the camera asks for UDP. Every blocking libav call runs
 * under an interrupt callback that gives up at the watchdog deadline or when
 * source_interrupt() is called, so no read blocks shutdown or the watchdog.
 *
 * Credentials never reach a log line: src->path is the URL without them,
 * and the URL with them is built here, kept in priv and given only to
 * avformat_open_input; libav's own logging is switched off (its lines may
 * quote the URL), and errors are reported through av_strerror.
 *
 * Threads: opened by the thread that calls source_open (a live stream is
 * connected once there, to learn its size); then read and closed by the one
 * capture thread. source_interrupt may come from any thread. */
#include "source_impl.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>

#include "reconnect.h"
#include "stream.h"
#include "util.h"

#define NAP_SLICE_NS 200000000LL /* longest sleep inside one read_frame */
/* The largest picture the decoder may allocate: 8K UHD. With a slot of one
 * luma plane per ring entry and the decoder's own frame pool this bounds
 * memory whatever the header claims. */
#define FF_MAX_PIXELS (7680LL * 4320)
#define AVIO_BUF_BYTES 65536
#define URL_MAX (PATH_MAX + 512)
/* A file FFmpeg cannot make sense of either: the readers' old words first. */
#define NOT_A_STREAM "not an AVI, MJPEG or Y4M stream, nor one FFmpeg reads: "

struct ff_src {
	AVFormatContext *fmt;
	AVCodecContext *dec;
	AVPacket *pkt;
	AVFrame *frame;
	AVIOContext *avio;      /* standard input: reads through src->in */
	int stream;             /* the video stream's index */
	int lowres;             /* log2 of the reduction the decoder applies */
	bool flushing;          /* the demuxer ended: the decoder is being drained */
	bool is_url, live;
	char url[URL_MAX];      /* with credentials: given to libav only, never logged */

	/* Timestamps (files). */
	AVRational tb;
	bool have_first;
	int64_t first_pts, last_pts_ns, period_ns;

	/* Interrupt: blocking libav calls give up after deadline_ns (0: never)
	 * or once src->interrupted is set. */
	struct source *src;
	int64_t deadline_ns;

	/* Live: the watchdog and the reconnect state (reconnect.h). */
	int64_t watchdog_ns, last_frame_ns;
	struct reconnect rc;
	bool connected;
	bool read_error_logged;
};

static int64_t mono_ns(void)
{
	return now_ns(CLOCK_MONOTONIC);
}

static void quiet_libav(void)
{
	/* libav's messages can quote a URL with its password, and would
	 * repeat for every damaged packet: turnstile reports in its own lines. */
	av_log_set_level(AV_LOG_QUIET);
}

/* source_interrupt was called, or the camera's stop flag (source_opts'
 * cancel) is up: every wait gives up. */
static bool stopping(const struct source *src)
{
	return atomic_load(&src->interrupted) || (src->opts.cancel && atomic_load(src->opts.cancel));
}

static int interrupt_cb(void *opaque)
{
	struct ff_src *f = opaque;

	return stopping(f->src) || (f->deadline_ns && mono_ns() > f->deadline_ns);
}

static const char *averr(int rc, char *buf, size_t len)
{
	av_strerror(rc, buf, len);
	return buf;
}

/* libav's AVERROR(e) is -e for errno codes; its own codes (INVALIDDATA,
 * EOF...) have no errno: those become EPROTO. */
static int to_errno(int rc)
{
	return rc < 0 && rc > -4096 ? rc : -EPROTO;
}

/* The URL's scheme, when path is one: letters, digits, '+', '-', '.' then
 * "://". */
bool ffmpeg_is_url(const char *path)
{
	const char *p = path;

	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return false;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '+' || *p == '-' || *p == '.')
		p++;
	return strncmp(p, "://", 3) == 0;
}

static bool has_scheme(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);

	return strncasecmp(url, scheme, n) == 0 && strncmp(url + n, "://", 3) == 0;
}

/* "scheme://" + credentials + "@" + the rest. */
static int build_url(struct ff_src *f, const char *path, const char *cred)
{
	const char *rest = strstr(path, "://");
	int n;

	if (!f->is_url)
		/* "file:": a name with a colon is not a protocol. */
		n = snprintf(f->url, sizeof(f->url), "file:%s", path);
	else if (!cred || !cred[0] || !rest)
		n = snprintf(f->url, sizeof(f->url), "%s", path);
	else
		n = snprintf(f->url, sizeof(f->url), "%.*s%s@%s", (int)(rest + 3 - path), path, cred,
			     rest + 3);
	return n < 0 || (size_t)n >= sizeof(f->url) ? -ENAMETOOLONG : 0;
}

static int avio_read_stream(void *opaque, uint8_t *buf, int size)
{
	struct source *src = opaque;
	ssize_t n = stream_read(src->in, buf, (size_t)size);

	if (n < 0)
		return AVERROR(-(int)n);
	return n == 0 ? AVERROR_EOF : (int)n;
}

static void disconnect(struct ff_src *f)
{
	avcodec_free_context(&f->dec);
	avformat_close_input(&f->fmt);
	if (f->avio) {
		av_freep(&f->avio->buffer);
		avio_context_free(&f->avio);
	}
	f->connected = false;
	f->flushing = false;
}

/* A pixel format whose first plane is luma (Y of YUV, or gray), little
 * endian integers of 8 to 16 bits. */
static bool has_luma_plane(const AVPixFmtDescriptor *d)
{
	return d && !(d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BE |
				  AV_PIX_FMT_FLAG_FLOAT | AV_PIX_FMT_FLAG_BITSTREAM |
				  AV_PIX_FMT_FLAG_HWACCEL)) &&
	       d->nb_components >= 1 && d->comp[0].plane == 0 && d->comp[0].depth >= 8 &&
	       d->comp[0].depth <= 16 && d->comp[0].step == (d->comp[0].depth > 8 ? 2 : 1);
}

/* The reduced-resolution IDCT's factor: the largest the codec has whose
 * output is still at least the detection width (decode.c box-averages the
 * rest, as the JPEG path's scaled IDCT does). */
static int pick_lowres(const AVCodec *codec, int width, int detect_width)
{
	int l = 0;

	if (detect_width <= 0)
		return 0;
	while (l < codec->max_lowres && AV_CEIL_RSHIFT(width, l + 1) >= detect_width)
		l++;
	return l;
}

/* Opens the input and its decoder; fills *w, *h (the decoded size), *fps.
 * On failure msg says why (never with the URL: the caller names the
 * source). */
static int connect_input(struct source *src, struct ff_src *f, int *w, int *h, double *fps,
			 char *msg, size_t msglen)
{
	const struct source_opts *o = &src->opts;
	AVDictionary *opt = NULL;
	const AVCodec *codec = NULL;
	char e[128];
	int rc;

	f->fmt = avformat_alloc_context();
	if (!f->fmt) {
		rc = -ENOMEM;
		snprintf(msg, msglen, "%s", strerror(ENOMEM));
		goto fail;
	}
	f->fmt->interrupt_callback = (AVIOInterruptCB){.callback = interrupt_cb, .opaque = f};
	if (src->in) {
		uint8_t *buf = av_malloc(AVIO_BUF_BYTES);

		f->avio = buf ? avio_alloc_context(buf, AVIO_BUF_BYTES, 0, src, avio_read_stream,
						   NULL, NULL)
			      : NULL;
		if (!f->avio) {
			av_free(buf);
			rc = -ENOMEM;
			snprintf(msg, msglen, "%s", strerror(ENOMEM));
			goto fail;
		}
		f->fmt->pb = f->avio;
		f->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
	}
	if (has_scheme(f->url, "rtsp") || has_scheme(f->url, "rtsps"))
		av_dict_set(&opt, "rtsp_transport", o->rtsp_udp ? "udp" : "tcp", 0);
	f->deadline_ns = f->is_url ? mono_ns() + f->watchdog_ns : 0;
	rc = avformat_open_input(&f->fmt, src->in ? "" : f->url, NULL, &opt);
	av_dict_free(&opt);
	if (rc >= 0) {
		/* A live stream arrives at its own pace: probing FFmpeg's default
		 * 5 s of it would take 5 s. One second tells the codec and size. */
		if (f->is_url)
			f->fmt->max_analyze_duration = AV_TIME_BASE;
		rc = avformat_find_stream_info(f->fmt, NULL);
		/* Probing that ran into the deadline may still succeed with what
		 * it had, but the interrupt stays in the I/O context and would
		 * end the first read: that is a failed attempt. */
		if (rc >= 0 && interrupt_cb(f))
			rc = AVERROR_EXIT;
	}
	if (rc < 0) {
		snprintf(msg, msglen, "%s%s", f->is_url ? "cannot open: " : NOT_A_STREAM,
			 rc == AVERROR_EXIT ? "no answer within the watchdog time"
					    : averr(rc, e, sizeof(e)));
		rc = f->is_url || rc == AVERROR(ENOMEM) ? to_errno(rc) : -EPROTO;
		goto fail;
	}
	f->deadline_ns = 0;
	/* HTTP with no length: an MJPEG or HLS live stream, not a recording
	 * (decided before the decoder opens: its threading differs). */
	if (f->is_url && f->fmt->duration == AV_NOPTS_VALUE)
		f->live = true;
	rc = av_find_best_stream(f->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
	if (rc < 0) {
		snprintf(msg, msglen, "%s%s", f->is_url ? "" : NOT_A_STREAM,
			 rc == AVERROR_DECODER_NOT_FOUND ? "no decoder for its video stream"
							 : "no video stream");
		rc = -EPROTO;
		goto fail;
	}
	f->stream = rc;
	for (unsigned i = 0; i < f->fmt->nb_streams; i++)
		if ((int)i != f->stream)
			f->fmt->streams[i]->discard = AVDISCARD_ALL;
	AVStream *st = f->fmt->streams[f->stream];
	const AVCodecParameters *par = st->codecpar;
	if (par->width < 1 || par->height < 1) {
		snprintf(msg, msglen, "%sno picture size in its video stream",
			 f->is_url ? "" : NOT_A_STREAM);
		rc = -EPROTO;
		goto fail;
	}
	if (par->width > SOURCE_MAX_DIM ||
	    par->height > SOURCE_MAX_DIM || (int64_t)par->width * par->height > FF_MAX_PIXELS) {
		snprintf(msg, msglen, "bad frame size %dx%d (1 to %d a side, at most 8K UHD)",
			 par->width, par->height, SOURCE_MAX_DIM);
		rc = -EPROTO;
		goto fail;
	}
	if (par->format >= 0 && !has_luma_plane(av_pix_fmt_desc_get(par->format))) {
		snprintf(msg, msglen, "pixel format %s has no luma plane turnstile can read",
			 av_get_pix_fmt_name(par->format) ? av_get_pix_fmt_name(par->format) : "?");
		rc = -EPROTO;
		goto fail;
	}
	f->dec = avcodec_alloc_context3(codec);
	if (!f->dec) {
		rc = -ENOMEM;
		snprintf(msg, msglen, "%s", strerror(ENOMEM));
		goto fail;
	}
	rc = avcodec_parameters_to_context(f->dec, par);
	if (rc < 0) {
		snprintf(msg, msglen, "bad codec parameters: %s", averr(rc, e, sizeof(e)));
		rc = to_errno(rc);
		goto fail;
	}
	f->dec->pkt_timebase = st->time_base;
	f->dec->max_pixels = FF_MAX_PIXELS;
	f->lowres = pick_lowres(codec, par->width, o->detect_width);
	f->dec->lowres = f->lowres;
	/* Files: frame threads, as many as cores (a frame or two of delay
	 * costs nothing). Live: slices only, so frames are not held back. */
	f->dec->thread_count = 0;
	f->dec->thread_type = f->live ? FF_THREAD_SLICE : FF_THREAD_FRAME | FF_THREAD_SLICE;
#if defined(__SANITIZE_THREAD__)
	/* Debian's libavcodec is not built with ThreadSanitizer: its frame
	 * threads hand frames over through atomics TSan cannot see, and every
	 * handover would be reported. The TSan build checks turnstile's own
	 * threads, with the decoder on the capture thread alone. */
	f->dec->thread_count = 1;
#endif
	rc = avcodec_open2(f->dec, codec, NULL);
	if (rc < 0) {
		snprintf(msg, msglen, "cannot open the %s decoder: %s", codec->name,
			 averr(rc, e, sizeof(e)));
		rc = to_errno(rc);
		goto fail;
	}
	*w = AV_CEIL_RSHIFT(par->width, f->lowres);
	*h = AV_CEIL_RSHIFT(par->height, f->lowres);
	AVRational r = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
	*fps = r.num > 0 && r.den > 0 ? av_q2d(r) : 0;
	if (*fps > SOURCE_MAX_FPS || *fps < SOURCE_MIN_FPS)
		*fps = 0;
	f->tb = st->time_base;
	f->connected = true;
	f->flushing = false;
	return 0;

fail:
	f->deadline_ns = 0;
	disconnect(f);
	return rc;
}

/* --- live streams: lose, back off, reopen (v4l2_source.c's rules) --- */

static void lose(struct source *src, struct ff_src *f, const char *why)
{
	disconnect(f);
	reconnect_lost(&f->rc, src, why, mono_ns());
}

static void fail_attempt(struct source *src, struct ff_src *f, int rc, const char *why)
{
	disconnect(f);
	reconnect_failed(&f->rc, src, rc, why, mono_ns());
}

static int restart(struct source *src, struct ff_src *f)
{
	char msg[256], why[320];
	double fps;
	int w, h, rc;

	if (reconnect_pause(&f->rc, mono_ns(), NAP_SLICE_NS))
		return SOURCE_AGAIN;
	rc = connect_input(src, f, &w, &h, &fps, msg, sizeof(msg));
	if (stopping(src))
		return SOURCE_AGAIN;
	if (rc == 0 && (w != src->info.width || h != src->info.height)) {
		/* The ring and decoder were sized at the first connection. */
		snprintf(why, sizeof(why), "came back at %dx%d, not %dx%d as at start", w, h,
			 src->info.width, src->info.height);
		fail_attempt(src, f, -EPROTO, why);
		return SOURCE_AGAIN;
	}
	if (rc < 0) {
		fail_attempt(src, f, rc, msg);
		return SOURCE_AGAIN;
	}
	reconnect_up(&f->rc, src, NULL, mono_ns());
	f->last_frame_ns = mono_ns();
	return SOURCE_AGAIN;
}

/* --- frames --- */

/* The decoded luma plane into the slot, stride removed; samples deeper
 * than 8 bits keep their top 8. Returns 0, SOURCE_CORRUPT (damaged or of
 * another size) or -EPROTO (no luma plane: RGB or palette codecs). */
static int copy_luma(struct source *src, const AVFrame *fr, struct frame *slot, char *err,
		     size_t errlen)
{
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fr->format);
	const int w = src->info.width, h = src->info.height;

	if (!has_luma_plane(d)) {
		source_error(src, err, errlen, "pixel format %s has no luma plane turnstile can read",
			     d ? d->name : "?");
		return -EPROTO;
	}
	if (fr->width != w || fr->height != h || (size_t)w * h > slot->cap)
		return SOURCE_CORRUPT;
	const int shift = d->comp[0].depth - 8;
	for (int y = 0; y < h; y++) {
		const uint8_t *row = fr->data[0] + (ptrdiff_t)y * fr->linesize[0];
		uint8_t *dst = slot->data + (size_t)y * w;
		if (shift == 0) {
			memcpy(dst, row, (size_t)w);
			continue;
		}
		for (int x = 0; x < w; x++)
			dst[x] = (uint8_t)((row[2 * x] | (unsigned)row[2 * x + 1] << 8) >> shift);
	}
	slot->len = (size_t)w * h;
	return 0;
}

/* The stream's presentation time, from the first frame; a frame without
 * one, or not after the last, is one period after the last. */
static int64_t stamp(struct ff_src *f, const AVFrame *fr)
{
	int64_t ts = fr->best_effort_timestamp, ns;

	if (ts == AV_NOPTS_VALUE) {
		ns = f->have_first ? f->last_pts_ns + f->period_ns : 0;
	} else {
		if (!f->have_first)
			f->first_pts = ts;
		ns = av_rescale_q(ts - f->first_pts, f->tb, (AVRational){1, 1000000000});
		if (f->have_first && ns <= f->last_pts_ns)
			ns = f->last_pts_ns + f->period_ns;
	}
	f->have_first = true;
	f->last_pts_ns = ns;
	return ns;
}

static int deliver(struct source *src, struct ff_src *f, struct frame *slot, char *err,
		   size_t errlen)
{
	AVFrame *fr = f->frame;
	int rc;

	if (fr->decode_error_flags || (fr->flags & AV_FRAME_FLAG_CORRUPT))
		rc = SOURCE_CORRUPT;
	else
		rc = copy_luma(src, fr, slot, err, errlen);
	if (f->live) {
		f->last_frame_ns = mono_ns();
		slot->pts_ns = f->last_frame_ns;
	} else {
		slot->pts_ns = stamp(f, fr);
	}
	av_frame_unref(fr);
	return rc;
}

static int ff_read_frame(struct source *src, struct frame *slot, char *err, size_t errlen)
{
	struct ff_src *f = src->priv;
	char e[128], why[192];
	int rc;

	if (f->live && !f->connected)
		return restart(src, f);
	for (;;) {
		rc = avcodec_receive_frame(f->dec, f->frame);
		if (rc == 0)
			return deliver(src, f, slot, err, errlen);
		if (rc == AVERROR_EOF) {
			if (!f->live)
				return SOURCE_EOF;
			lose(src, f, "the stream ended");
			return SOURCE_AGAIN;
		}
		if (rc != AVERROR(EAGAIN))
			return SOURCE_CORRUPT; /* a frame the decoder gave up on */
		if (stopping(src))
			return SOURCE_AGAIN;
		if (f->live && mono_ns() - f->last_frame_ns >= f->watchdog_ns) {
			snprintf(why, sizeof(why), "no frame for %.1f s",
				 (mono_ns() - f->last_frame_ns) / 1e9);
			lose(src, f, why);
			return SOURCE_AGAIN;
		}
		f->deadline_ns = f->live ? f->last_frame_ns + f->watchdog_ns : 0;
		rc = av_read_frame(f->fmt, f->pkt);
		f->deadline_ns = 0;
		if (rc == AVERROR(EAGAIN))
			continue;
		if (rc < 0) {
			if (stopping(src))
				return SOURCE_AGAIN;
			if (f->live) {
				/* The interrupt fired at the watchdog; a packet
				 * the demuxer still held may have come out since. */
				if (rc == AVERROR_EXIT)
					snprintf(why, sizeof(why), "no data for %.1f s",
						 f->watchdog_ns / 1e9);
				else
					snprintf(why, sizeof(why), "%s", averr(rc, e, sizeof(e)));
				lose(src, f, why);
				return SOURCE_AGAIN;
			}
			if (rc != AVERROR_EOF && !f->read_error_logged) {
				/* Frames decoded so far still come out. */
				log_error("camera '%s': '%s' ends early at a read error: %s", src->name,
					  src->path, averr(rc, e, sizeof(e)));
				f->read_error_logged = true;
			}
			if (f->flushing)
				return SOURCE_EOF;
			f->flushing = true;
			avcodec_send_packet(f->dec, NULL);
			continue;
		}
		if (f->pkt->stream_index != f->stream) {
			av_packet_unref(f->pkt);
			continue;
		}
		rc = avcodec_send_packet(f->dec, f->pkt);
		av_packet_unref(f->pkt);
		if (rc < 0 && rc != AVERROR(EAGAIN))
			return SOURCE_CORRUPT; /* the packet held a frame that is lost */
	}
}

static void ff_close(struct source *src)
{
	struct ff_src *f = src->priv;

	if (!f)
		return;
	disconnect(f);
	av_packet_free(&f->pkt);
	av_frame_free(&f->frame);
	free(f);
	src->priv = NULL;
}

static int ff_open(struct source *src, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const struct source_opts *o = &src->opts;
	struct ff_src *f = calloc(1, sizeof(*f));
	char msg[256];
	double fps = 0;
	int w = 0, h = 0, rc;

	pthread_once(&once, quiet_libav);
	if (!f) {
		source_error(src, err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	src->priv = f;
	f->src = src;
	f->is_url = ffmpeg_is_url(src->path);
	f->watchdog_ns = reconnect_watchdog_ns(src, 0);
	reconnect_init(&f->rc, src, LOG_PRI_ERR, LOG_PRI_ERR);
	f->pkt = av_packet_alloc();
	f->frame = av_frame_alloc();
	if (!f->pkt || !f->frame) {
		source_error(src, err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	rc = build_url(f, src->path, o->credentials);
	if (rc < 0) {
		source_error(src, err, errlen, "URL too long");
		return rc;
	}
	/* A URL to a stream of known length (a recorded file over HTTP) is a
	 * file; anything else over the network is live: by scheme here, by
	 * the length once the HTTP stream is open (connect_input). */
	f->live = f->is_url && !has_scheme(f->url, "file") && !has_scheme(f->url, "http") &&
		  !has_scheme(f->url, "https");
	rc = connect_input(src, f, &w, &h, &fps, msg, sizeof(msg));
	if (rc < 0) {
		source_error(src, err, errlen, "%s", msg);
		return rc;
	}
	src->info.format = FRAME_GRAY;
	src->info.width = w;
	src->info.height = h;
	src->info.fps = fps;
	src->info.live = f->live;
	src->info.max_frame_bytes = (size_t)w * h;
	f->period_ns = fps > 0 ? (int64_t)(1e9 / fps) : 40000000;
	if (f->live) {
		/* Connected once here: a later loss is a reconnect. */
		reconnect_up(&f->rc, src, NULL, mono_ns());
		f->last_frame_ns = mono_ns();
		f->watchdog_ns = reconnect_watchdog_ns(src, fps);
		log_error("camera '%s': '%s' (%s, %s): %dx%d%s at %.4g fps", src->name, src->path,
			  f->fmt->iformat->name, f->dec->codec->name, w << f->lowres, h << f->lowres,
			  has_scheme(f->url, "rtsp") || has_scheme(f->url, "rtsps")
				  ? (o->rtsp_udp ? " over UDP" : " over TCP")
				  : "",
			  fps);
	}
	return 0;
}

/* Chosen by source.c as the last resort for content and for any URL, so
 * it claims nothing by sniffing. */
static bool ff_sniff(const uint8_t *head, size_t n)
{
	(void)head;
	(void)n;
	return false;
}

const struct source_ops ffmpeg_source_ops = {
	.kind = "ffmpeg",
	.sniff = ff_sniff,
	.open = ff_open,
	.read_frame = ff_read_frame,
	.close = ff_close,
	.own_timestamps = true,
};
