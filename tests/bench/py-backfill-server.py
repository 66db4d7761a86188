#!/usr/bin/env python3
"""The usual quick dashboard back end, for b90-serve.sh to compare bf-serve with:
Python's standard library only (http.server's ThreadingHTTPServer, HTTP/1.1 keep-alive,
sqlite3 with a read-only connection per thread), serving GET /api/backfill from the same
state file with the same queries and the same bearer token check.

    py-backfill-server.py PORT STATE TOKEN-FILE SOURCE
"""
import hmac
import json
import os
import sqlite3
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, STATE, TOKEN_FILE, SOURCE = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
with open(TOKEN_FILE) as f:
    TOKEN = f.readline().strip()
local = threading.local()


def db():
    if not hasattr(local, "db"):
        local.db = sqlite3.connect("file:%s?mode=ro" % STATE, uri=True, timeout=10)
    return local.db


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except PermissionError:
        return True
    except (OSError, TypeError):
        return False


def backfill():
    c = db()
    current = None
    for run_id, pid, started in c.execute(
            "SELECT run_id, pid, started_at FROM runs WHERE stage = 'run' AND finished_at IS NULL"
            " ORDER BY run_id DESC LIMIT 8"):
        if alive(pid):
            d = {"processed": 0, "done": 0, "closed": 0, "failed": 0, "interrupted": 0}
            rows = 0
            for outcome, n, r in c.execute(
                    "SELECT outcome, count(*), sum(rows) FROM run_dates WHERE run_id = ? GROUP BY outcome",
                    (run_id,)):
                if outcome == "interrupted":
                    d["interrupted"] += n
                    continue
                d["processed"] += n
                d["failed" if outcome == "failed" else "done"] += n
                if outcome == "closed":
                    d["closed"] += n
                rows += r or 0
            secs = max(0, time.time() - time.mktime(time.strptime(started, "%Y-%m-%dT%H:%M:%SZ")) + time.timezone)
            current = {"run_id": run_id, "pid": pid, "started_at": started, "dates": d, "rows": rows,
                       "rows_per_s": round(rows / secs) if secs > 0 else 0, "elapsed_s": secs}
            break
    runs = []
    for run_id, s, f, ec, pid, args in c.execute(
            "SELECT run_id, started_at, finished_at, exit_code, pid, args FROM runs WHERE stage = 'run'"
            " ORDER BY run_id DESC LIMIT 10"):
        sm = {"dates": 0, "loaded": 0, "closed": 0, "pending": 0, "failed": 0, "interrupted": 0, "rows_loaded": 0}
        for outcome, n, r in c.execute(
                "SELECT outcome, count(*), coalesce(sum(rows), 0) FROM run_dates WHERE run_id = ? GROUP BY outcome",
                (run_id,)):
            sm[outcome] = sm.get(outcome, 0) + n
            sm["dates"] += n
            sm["rows_loaded"] += r
        runs.append({"run_id": run_id, "started_at": s, "finished_at": f, "exit_code": ec,
                     "running": f is None and alive(pid), "args": args or "", "summary": sm})
    parts = {"pending": 0, "running": 0, "loaded": 0, "closed": 0, "failed": 0}
    for st, n in c.execute("SELECT status, count(*) FROM partitions WHERE source = ? GROUP BY status", (SOURCE,)):
        parts[st] = n
    parts["total"] = sum(parts.values())
    return {"source": SOURCE, "running": current is not None, "current": current, "runs": runs,
            "partitions": parts}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, obj):
        body = (json.dumps(obj, separators=(",", ":")) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        if not (auth.startswith("Bearer ") and hmac.compare_digest(auth[7:].strip(), TOKEN)):
            return self.reply(401, {"error": "missing or wrong bearer token"})
        if self.path != "/api/backfill":
            return self.reply(404, {"error": "no such path"})
        self.reply(200, backfill())

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
