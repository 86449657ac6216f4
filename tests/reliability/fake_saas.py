"""A fake SaaS REST API for the kill harness: seeded records served as paginated JSON, the shape the `rest`
connector's `cursor_body` pagination, `modified_after` incremental reads and `remote_was_deleted` tombstones
expect (as connectors/definitions/fake_saas.json does against tests/fakes/fake_saas).

Pages are in (modified_at, id) order and the cursor names the last record served, so a resumed read that asks
again for a page gets the same records. Deleted records stay, flagged, with a new modified_at.

`page_latency` (seconds, default none) makes every answered page take that long, as a real SaaS API's do:
each request has its own thread (ThreadingHTTPServer) and sleeps holding no lock, so concurrent readers
wait side by side and the fake is never what they queue behind (bench/queue_latency.py's API-bound work)."""

import bisect
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
TOKEN = "kill-harness-token"


def rfc3339(micros):
    return (EPOCH + timedelta(microseconds=micros)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_rfc3339(text):
    moment = datetime.fromisoformat(text.replace(" ", "+"))  # a '+' in a query string may arrive as ' '
    return (moment - EPOCH) // timedelta(microseconds=1)


class FakeSaas:
    def __init__(self, models, page_latency=0.0):
        """`models`: {path: {id: record}}; each record has `modified_us` (micros after EPOCH) and `deleted`."""
        self.models = models
        self.page_latency = page_latency
        self.lock = threading.Lock()
        self.requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.order = {}
        for path in models:
            self.reindex(path)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def reindex(self, path):
        with self.lock:
            records = self.models[path]
            self.order[path] = sorted((r["modified_us"], r["id"]) for r in records.values())

    def page(self, path, query):
        size = int(query.get("page_size", ["100"])[0])
        with self.lock:
            order = self.order[path]
            start = 0
            if "modified_after" in query:
                start = bisect.bisect_left(order, (parse_rfc3339(query["modified_after"][0]), -1))
            if "cursor" in query:
                micros, ident = (int(x) for x in query["cursor"][0].split(":"))
                start = max(start, bisect.bisect_right(order, (micros, ident)))
            chosen = order[start:start + size]
            records = [self.render(self.models[path][ident]) for _, ident in chosen]
            more = start + size < len(order)
        next_cursor = f"{chosen[-1][0]}:{chosen[-1][1]}" if more and chosen else None
        return {"results": records, "next": next_cursor}

    @staticmethod
    def render(record):
        out = {k: v for k, v in record.items() if k not in ("modified_us", "deleted")}
        out["modified_at"] = rfc3339(record["modified_us"])
        out["remote_was_deleted"] = record["deleted"]
        return out

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlparse(self.path)
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self.reply(401, {"error": "unauthorized"})
                if url.path not in fake.models:
                    return self.reply(404, {"error": "no such resource"})
                with fake.lock:
                    fake.requests += 1
                if fake.page_latency > 0:
                    time.sleep(fake.page_latency)  # outside the lock: other requests' sleeps overlap this one
                self.reply(200, fake.page(url.path, parse_qs(url.query)))

            def reply(self, status, body):
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # ferry was killed while its page was on the way: the harness's own doing

            def log_message(self, *args):
                pass

        return Handler
