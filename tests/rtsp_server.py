#!/usr/bin/python3
"""A real RTSP server for the live test: GStreamer's gst-rtsp-server (Debian
gir1.2-gst-rtsp-server-1.0, python3-gi, gstreamer1.0-plugins-ugly for
x264enc) serving a raw I420 clip, looped for ever and encoded as H.264, at
rtsp://127.0.0.1:PORT/live behind HTTP basic authentication.

Usage: rtsp_server.py PORT CLIP.yuv WIDTH HEIGHT FPS USER PASSWORD
Prints "ready" once listening; runs until killed.
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main():
    port, clip, w, h, fps, user, password = sys.argv[1:8]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)

    factory = GstRtspServer.RTSPMediaFactory()
    # multifilesrc loop=true reads the clip again at its end; rawvideoparse
    # cuts it into frames and numbers them on, so the stream never ends.
    factory.set_launch(
        f"( multifilesrc location={clip} loop=true "
        f"! rawvideoparse width={w} height={h} format=i420 framerate={fps}/1 "
        f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} "
        f"! rtph264pay name=pay0 pt=96 config-interval=1 )")
    factory.set_shared(True)

    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", "user")
    auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
    server.set_auth(auth)
    perms = GstRtspServer.RTSPPermissions()
    perms.add_role_from_structure(Gst.Structure.new_from_string(
        "user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"))
    factory.set_permissions(perms)

    server.get_mount_points().add_factory("/live", factory)
    if server.attach(None) == 0:
        sys.exit(f"rtsp_server: cannot listen on 127.0.0.1:{port}")
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
