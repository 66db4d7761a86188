#!/usr/bin/env python3
"""A small HTTPS file server for tests (python3 standard library only).

Serves the files under --root for GET and HEAD (Content-Length always set,
single byte ranges, Last-Modified/ETag with 304 answers, 404 for anything
missing or not a regular file). Started by tests/servers/https.sh.

Faults: before each request the file given by --faults is read. Each line is
"KIND COUNT [ARG]"; the first line whose COUNT is above zero applies to the
request and its COUNT is decreased (the file is rewritten). Kinds:

  NNN COUNT        answer status NNN (e.g. 500, 503, 404) with a short body
  slow COUNT [S]   wait S seconds (default 5) before answering, then answer
                   normally; use a client timeout below S
  reset COUNT      send the headers and half of the body, then reset the
                   connection (RST)
  drop COUNT       close the connection without answering
  redirect COUNT L answer 302 with "Location: L" (a URL or a path)

Lines starting with # and empty lines are ignored. /__health__ answers 200
"ok", ignores faults and is not logged.

Every request is appended to --log as "METHOD PATH STATUS FAULT" (FAULT is "-"
when none applied).
"""

import argparse
import email.utils
import http.server
import mimetypes
import os
import posixpath
import re
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse

HEALTH_PATH = "/__health__"


class Faults:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def take(self):
        """Return (kind, arg) of the fault for this request, or None."""
        if not self.path:
            return None
        with self.lock:
            try:
                with open(self.path, encoding="utf-8") as f:
                    lines = f.read().splitlines()
            except FileNotFoundError:
                return None
            chosen = None
            out = []
            for line in lines:
                words = line.split()
                if chosen is None and words and not words[0].startswith("#"):
                    try:
                        count = int(words[1]) if len(words) > 1 else 1
                    except ValueError:
                        count = 0
                    if count > 0:
                        chosen = (words[0], words[2] if len(words) > 2 else None)
                        count -= 1
                        if count > 0:
                            out.append(" ".join([words[0], str(count)] + words[2:]))
                        continue
                    if count == 0:
                        continue
                out.append(line)
            if chosen is not None:
                tmp = self.path + ".tmp"
                with open(tmp, "w", encoding="utf-8") as f:
                    f.write("".join(l + "\n" for l in out))
                os.replace(tmp, self.path)
            return chosen


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bf-test-https/1"
    timeout = 60

    def setup(self):
        super().setup()
        # The TLS handshake happens here, in the request's own thread.
        self.connection.do_handshake()

    def finish(self):
        try:
            super().finish()
        except (OSError, ValueError):
            pass

    def log_message(self, format, *args):  # noqa: A002 (BaseHTTPRequestHandler API)
        sys.stderr.write("%s - %s\n" % (self.log_date_time_string(), format % args))

    def log_request_line(self, status, fault):
        if self.path == HEALTH_PATH:
            return
        with self.server.log_lock:
            with open(self.server.request_log, "a", encoding="utf-8") as f:
                f.write("%s %s %s %s\n" % (self.command, self.path, status, fault or "-"))

    def do_GET(self):
        self.serve(head=False)

    def do_HEAD(self):
        self.serve(head=True)

    def send_simple(self, status, text, head, extra=None, fault=None):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(body)
        self.log_request_line(status, fault)

    def reset_connection(self):
        try:
            self.wfile.flush()
        except OSError:
            pass
        sock = self.connection
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            # Close the descriptor itself now (the request's file objects
            # would keep a plain close() from happening), with no TLS
            # close_notify: the client sees a reset in the middle of the body.
            os.close(sock.detach())
        except OSError:
            pass
        self.close_connection = True

    def resolve(self):
        path = urllib.parse.urlsplit(self.path).path
        path = urllib.parse.unquote(path)
        parts = [p for p in posixpath.normpath(path).split("/") if p not in ("", ".")]
        if any(p == ".." for p in parts):
            return None
        full = os.path.join(self.server.root, *parts)
        if not os.path.isfile(full):
            return None
        return full

    def serve(self, head):
        if self.path == HEALTH_PATH:
            self.send_simple(200, "ok\n", head)
            return
        fault = self.server.faults.take()
        kind = fault[0] if fault else None
        fault_name = " ".join(x for x in fault if x) if fault else None
        if kind == "drop":
            self.log_request_line("-", fault_name)
            self.reset_connection()
            return
        if kind == "redirect":
            self.send_simple(302, "moved\n", head, {"Location": fault[1] or "/"}, fault=fault_name)
            return
        if kind == "slow":
            time.sleep(float(fault[1]) if fault[1] else 5.0)
        if kind and re.fullmatch(r"[1-5][0-9][0-9]", kind):
            status = int(kind)
            self.send_simple(status, "injected %d\n" % status, head, fault=fault_name)
            return

        full = self.resolve()
        if full is None:
            self.send_simple(404, "not found\n", head, fault=fault_name)
            return
        st = os.stat(full)
        etag = '"%x-%x"' % (st.st_size, int(st.st_mtime_ns))
        last_modified = email.utils.formatdate(st.st_mtime, usegmt=True)
        common = {"Last-Modified": last_modified, "ETag": etag, "Accept-Ranges": "bytes"}

        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        not_modified = False
        if inm is not None:
            not_modified = etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
        elif ims is not None:
            try:
                not_modified = int(st.st_mtime) <= email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                not_modified = False
        if not_modified:
            self.send_response(304)
            for k, v in common.items():
                self.send_header(k, v)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.log_request_line(304, fault_name)
            return

        size = st.st_size
        start, end, status = 0, size - 1, 200
        rng = self.headers.get("Range")
        if rng is not None:
            m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", rng)
            if m is None or (m.group(1) == "" and m.group(2) == ""):
                m = None
            if m is not None:
                if m.group(1) == "":
                    n = int(m.group(2))
                    start, end = max(0, size - n), size - 1
                else:
                    start = int(m.group(1))
                    end = int(m.group(2)) if m.group(2) else size - 1
                    end = min(end, size - 1)
                if start >= size or start > end:
                    self.send_simple(416, "range not satisfiable\n", head,
                                     {"Content-Range": "bytes */%d" % size}, fault_name)
                    return
                status = 206
        length = max(0, end - start + 1)

        ctype = mimetypes.guess_type(full)[0] or "application/octet-stream"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, size))
        for k, v in common.items():
            self.send_header(k, v)
        self.end_headers()
        if head:
            self.log_request_line(status, fault_name)
            return
        with open(full, "rb") as f:
            f.seek(start)
            if kind == "reset":
                self.wfile.write(f.read(length // 2))
                self.log_request_line(status, fault_name)
                self.reset_connection()
                return
            remaining = length
            while remaining > 0:
                chunk = f.read(min(65536, remaining))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)
        self.log_request_line(status, fault_name)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        sys.stderr.write("connection from %s: %s: %s\n" % (client_address, type(exc).__name__, exc))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0: let the kernel choose")
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--faults", help="fault file, see above")
    ap.add_argument("--log", default=os.devnull, help="request log")
    args = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)

    server = Server((args.host, args.port), Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True,
                                    do_handshake_on_connect=False)
    server.root = os.path.abspath(args.root)
    server.faults = Faults(args.faults)
    server.request_log = args.log
    server.log_lock = threading.Lock()

    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
