#!/usr/bin/env python3
"""A loopback OpenAI-compatible model API for tests (python3 standard library only).

  openai.py --port-file FILE [--port N] [--faults FILE] [--log FILE] [--dim D]
            [--latency MS] [--jitter MS]

Answers POST /v1/embeddings (deterministic vectors of --dim numbers per input) and
POST /v1/chat/completions (the label is the first of the labels listed in the system
message that occurs in the user text, else the first label; a JSON answer
{"summary": ...} when a JSON object is asked for; otherwise the upper-cased text).
Usage: prompt_tokens = words in the inputs, completion_tokens = 1 per chat answer.

Every answer leaves --latency ms (+ random 0..--jitter ms) after its request arrived
(the time spent computing it included).

Faults: before each request the --faults file is read; each line is "KIND COUNT [ARG]";
the first line with COUNT > 0 applies and its COUNT is decreased (the file rewritten):
  429 COUNT [SECS]   answer 429 with Retry-After: SECS (default 1)
  500 COUNT          answer 500
  slow COUNT [SECS]  wait SECS (default 5) before answering normally
  malformed COUNT    answer 200 with a body that is not JSON
  dims COUNT [D]     answer embeddings of D numbers (default dim + 1)
  badlabel COUNT     answer a label that is not in the set
  nan COUNT          answer an embedding holding 1e999 (infinite)
  401 COUNT          answer 401
  echo400 COUNT      answer 400 with the request echoed: its headers (Authorization, with
                     the API key, first) in the error message and the whole request
                     beside it, as some servers do
Lines starting with # are ignored.

The --log file gets one line per request: "T PATH STATUS FAULT N MODEL AUTH" with T the
arrival time in seconds (float, time.time()), N the number of inputs, MODEL the model
asked for and AUTH "bearer" when an Authorization: Bearer header came, else "-".
GET /__health__ answers "ok" (not logged, no faults).
"""

import argparse
import hashlib
import http.server
import json
import math
import random
import re
import socketserver
import sys
import threading
import time


class Faults:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def take(self):
        if not self.path:
            return None
        with self.lock:
            try:
                with open(self.path, encoding="utf-8") as f:
                    lines = f.read().splitlines()
            except FileNotFoundError:
                return None
            chosen, out = None, []
            for line in lines:
                w = line.split()
                if chosen is None and w and not w[0].startswith("#"):
                    try:
                        count = int(w[1]) if len(w) > 1 else 1
                    except ValueError:
                        count = 0
                    if count > 0:
                        chosen = (w[0], w[2] if len(w) > 2 else None)
                        if count - 1 > 0:
                            out.append(" ".join([w[0], str(count - 1)] + w[2:]))
                        continue
                    if count == 0:
                        continue
                out.append(line)
            if chosen is not None:
                with open(self.path + ".tmp", "w", encoding="utf-8") as f:
                    f.write("".join(l + "\n" for l in out))
                import os
                os.replace(self.path + ".tmp", self.path)
            return chosen


def vector(text, dim):
    h = hashlib.sha256(text.encode("utf-8")).digest()
    v = [((h[i % 32] + i * 7) % 251) / 125.0 - 1.0 for i in range(dim)]
    n = math.sqrt(sum(x * x for x in v)) or 1.0
    return [round(x / n, 6) for x in v]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # connections are kept alive
    # Headers and body go out in one write (wfile is buffered and flushed after each
    # request), without Nagle: otherwise the body waits for the client's delayed ACK
    # of the headers, about 40 ms per answer on loopback.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def parse_request(self):
        self.arrived = time.time()   # before the headers are parsed
        return super().parse_request()

    def send(self, status, body, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def do_GET(self):
        if self.path == "/__health__":
            self.send(200, b"ok")
        else:
            self.send(404, {"error": {"message": "not found"}})

    def log(self, t, status, fault, n):
        # called just before answering: the answer leaves its latency after the request
        # arrived, the time spent computing it included (not added to it)
        due = getattr(self, "due", None)
        if due is not None:
            self.due = None
            left = due - time.time()
            if left > 0:
                time.sleep(left)
        with self.server.log_lock:
            if self.server.log_file:
                self.server.log_file.write("%.6f %s %d %s %d %s %s\n" % (
                    t, self.path, status, fault, n, getattr(self, "model", "-") or "-",
                    "bearer" if self.headers.get("Authorization", "").startswith("Bearer ") else "-"))
                self.server.log_file.flush()

    def do_POST(self):
        t = self.arrived
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        srv = self.server
        try:
            req = json.loads(raw)
        except ValueError:
            self.log(t, 400, "-", 0)
            self.send(400, {"error": {"message": "bad json"}})
            return
        self.model = str(req.get("model", "-")).replace(" ", "_") if isinstance(req, dict) else "-"
        fault = srv.faults.take()
        kind, arg = fault if fault else ("-", None)
        n = len(req.get("input", [])) if self.path.endswith("/embeddings") else 1
        lat = srv.latency + (random.random() * srv.jitter if srv.jitter else 0)
        if kind == "slow":
            lat = float(arg or 5) * 1000
        self.due = t + lat / 1000.0
        if kind == "429":
            self.log(t, 429, kind, n)
            self.send(429, {"error": {"message": "rate limited"}}, {"Retry-After": arg or "1"})
            return
        if kind in ("500", "401"):
            self.log(t, int(kind), kind, n)
            self.send(int(kind), {"error": {"message": "fault " + kind}})
            return
        if kind == "echo400":
            self.log(t, 400, kind, n)
            items = sorted(self.headers.items(), key=lambda kv: kv[0].lower() != "authorization")
            headers = "; ".join("%s: %s" % (k, v) for k, v in items)
            self.send(400, {"error": {"message": "bad request: " + headers + " body: " +
                                      raw.decode("utf-8", "replace"), "type": "invalid_request_error"},
                            "request": {"headers": dict(self.headers.items()),
                                        "body": raw.decode("utf-8", "replace")}})
            return
        if kind == "malformed":
            self.log(t, 200, kind, n)
            self.send(200, b'{"data": [ this is not json')
            return
        if self.path.endswith("/embeddings"):
            inputs = req.get("input", [])
            if isinstance(inputs, str):
                inputs = [inputs]
            dim = srv.dim
            if kind == "dims":
                dim = int(arg) if arg else srv.dim + 1
            data = []
            for i, s in enumerate(inputs):
                v = vector(s, dim)
                data.append({"object": "embedding", "index": i, "embedding": v})
            words = sum(len(s.split()) for s in inputs)
            body = json.dumps({"object": "list", "data": data, "model": req.get("model"),
                               "usage": {"prompt_tokens": words, "total_tokens": words}})
            if kind == "nan":
                body = body.replace(str(data[0]["embedding"][0]), "1e999", 1)
            self.log(t, 200, kind, n)
            self.send(200, body.encode())
            return
        if self.path.endswith("/chat/completions"):
            msgs = req.get("messages", [])
            system = next((m["content"] for m in msgs if m.get("role") == "system"), "")
            user = next((m["content"] for m in msgs if m.get("role") == "user"), "")
            m = re.search(r"labels: (.*)\. Answer", system)
            if m:
                labels = [l.strip() for l in m.group(1).split(",")]
                ans = next((l for l in labels if l.lower() in user.lower()), labels[0])
                if kind == "badlabel":
                    ans = "certainly-not-a-label"
            elif (req.get("response_format") or {}).get("type") == "json_object":
                ans = json.dumps({"summary": user[:40], "words": len(user.split())})
            else:
                ans = user.upper()
            words = len(user.split()) + len(system.split())
            self.log(t, 200, kind, n)
            self.send(200, {"id": "x", "object": "chat.completion", "model": req.get("model"),
                            "choices": [{"index": 0, "finish_reason": "stop",
                                         "message": {"role": "assistant", "content": ans}}],
                            "usage": {"prompt_tokens": words, "completion_tokens": 1,
                                      "total_tokens": words + 1}})
            return
        self.log(t, 404, "-", 0)
        self.send(404, {"error": {"message": "not found"}})


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--faults")
    ap.add_argument("--log")
    ap.add_argument("--dim", type=int, default=8)
    ap.add_argument("--latency", type=float, default=0)
    ap.add_argument("--jitter", type=float, default=0)
    a = ap.parse_args()
    # a thread whose answer is due gets the interpreter within 0.5 ms, not 5 ms, of
    # another thread computing an answer
    sys.setswitchinterval(0.0005)
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.faults = Faults(a.faults)
    # opened once, each line flushed before its answer leaves
    srv.log_file = open(a.log, "a", encoding="utf-8") if a.log else None
    srv.log_lock = threading.Lock()
    srv.dim = a.dim
    srv.latency = a.latency
    srv.jitter = a.jitter
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    import os
    os.replace(a.port_file + ".tmp", a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
