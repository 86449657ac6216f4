"""A real `ferry serve` the kill harness can start, SIGKILL and restart on one store, and its /v1 API.

Only the public surfaces are used: the `ferry admin` command line to make a tenant, the HTTP API, and the
JSON log lines on stderr (kept in one file per start, so a failure can be read afterwards)."""

import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


class ApiError(RuntimeError):
    pass


def read_json_log(path):
    """The JSON lines of a ferry log file (a torn last line, as a SIGKILL leaves it, is skipped)."""
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return []
    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:
            pass
    return entries


def tail_of(path, lines=30):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


class FerryServer:
    def __init__(self, binary, workdir, lease_seconds, extra_args=()):
        self.binary = str(binary)
        self.workdir = Path(workdir)
        self.db = self.workdir / "ferry.db"
        self.data_root = self.workdir / "data"
        self.lease_seconds = lease_seconds
        self.extra_args = list(extra_args)
        self.proc = None
        self.base = None
        self.key = None
        self.tenant_id = None
        self.starts = 0

    def create_tenant(self, name):
        out = subprocess.run([self.binary, "admin", "create-tenant", name, "--db", str(self.db)],
                             check=True, capture_output=True, text=True).stdout
        self.tenant_id = re.search(r"\(([0-9a-f-]{36})\)", out).group(1)
        self.key = out.strip().splitlines()[-1]
        self.tenant_dir().mkdir(parents=True, exist_ok=True)
        return self.tenant_id

    def tenant_dir(self):
        return self.data_root / self.tenant_id

    def log_path(self, start=None):
        return self.workdir / f"serve-{self.starts if start is None else start}.log"

    def start(self, timeout=120):
        self.starts += 1
        log = open(self.log_path(), "wb")
        args = [self.binary, "serve", "--db", str(self.db), "--listen", "127.0.0.1:0", "--workers", "1",
                "--lease-seconds", str(self.lease_seconds), "--rate-limit", "0",
                "--allow-egress", "127.0.0.1/32", *self.extra_args]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            address = self._listening_address()
            if address:
                self.base = f"http://{address}"
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"ferry exited with {self.proc.returncode}:\n{self.log_tail()}")
            time.sleep(0.02)
        raise RuntimeError(f"ferry did not listen within {timeout} s:\n{self.log_tail()}")

    def _listening_address(self):
        for entry in self.log_entries():
            if entry.get("msg") == "listening":
                return entry.get("address")
        return None

    def log_entries(self, start=None):
        return read_json_log(self.log_path(start))

    def log_tail(self, lines=30):
        return tail_of(self.log_path(), lines)

    def kill(self):
        """SIGKILL: no handler runs, nothing is flushed; whatever was committed is all that survives."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self, timeout=120):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise RuntimeError(f"ferry did not stop within {timeout} s of SIGTERM")
        self.proc = None

    def api(self, method, path, body=None, expect=(200, 201, 204)):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.key}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for attempt in range(5):
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    status, text = response.status, response.read().decode()
                break
            except urllib.error.HTTPError as e:
                status, text = e.code, e.read().decode()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if attempt == 4:
                    raise
                time.sleep(0.5)  # the server is busy (2 shared cores): ask again, never judge by time
        if status not in expect:
            raise ApiError(f"{method} {path} -> {status}: {text}")
        return json.loads(text) if text else None
