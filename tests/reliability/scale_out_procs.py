"""The scale-out kill test's cluster: `ferry serve --workers 0` and `ferry worker` processes on one PostgreSQL
store, each started, SIGKILLed and restarted by the test, with one JSON log file per start (an "incarnation":
a process that lived once), the store read with psql, and the HTTP surfaces spoken to with plain requests."""

import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

from ferry_server import read_json_log, tail_of


def psql(url, sql):
    out = subprocess.run(["psql", url, "-X", "-q", "-tA", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def epoch(ts):
    return datetime.fromisoformat(str(ts).replace("Z", "+00:00")).timestamp()


class FerryProcess:
    """One `ferry serve` or `ferry worker`: started, killed and restarted under the same name."""

    def __init__(self, name, binary, args, workdir, env):
        self.name, self.binary, self.args, self.workdir, self.env = name, str(binary), list(args), Path(workdir), env
        self.proc = None
        self.base = None
        self.starts = 0
        self.ended = {}  # start number -> wall time it was killed or stopped
        self.killed = set()  # start numbers ended by SIGKILL

    def log_path(self, start):
        return self.workdir / f"{self.name}-{start}.log"

    def start(self, timeout=300):
        self.starts += 1
        with open(self.log_path(self.starts), "wb") as log:
            self.proc = subprocess.Popen([self.binary, *self.args], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=log, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in self.log_entries(self.starts):
                if entry.get("msg") == "listening":
                    self.base = f"http://{entry['address']}"
                    return
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not listen within {timeout} s:\n{self.log_tail()}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL: nothing is flushed or withdrawn; whatever was committed is all that survives."""
        if self.alive():
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.ended[self.starts] = time.time()
            self.killed.add(self.starts)
        self.proc = None

    def stop(self, timeout=120):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return
            self.ended[self.starts] = time.time()
        self.proc = None

    def log_entries(self, start):
        return read_json_log(self.log_path(start))

    def log_tail(self, lines=30):
        return tail_of(self.log_path(self.starts), lines)


def request(base, method, path, headers=None, body=None, expect=(200, 201, 204)):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for attempt in range(8):
        try:
            with urllib.request.urlopen(req, timeout=300) as response:
                status, text = response.status, response.read().decode()
            break
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
            if status == 429 and attempt < 7:  # connectors_busy on a loaded machine: ask again
                time.sleep(1)
                continue
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if attempt == 7:
                raise
            time.sleep(1)  # the server is busy (2 shared cores): ask again, never judge by time
    if status not in expect:
        raise RuntimeError(f"{method} {base}{path} -> {status}: {text}")
    return json.loads(text) if text else None


class Cluster:
    """2 serves (API + scheduler, no workers) and 3 workers on one fresh database of the test cluster."""

    def __init__(self, binary, pg_state, workdir, args):
        admin = (Path(pg_state) / "url").read_text().strip()
        self.admin = admin
        self.dbname = f"scale_out_{os.getpid()}"
        psql(admin, f"DROP DATABASE IF EXISTS {self.dbname}")
        psql(admin, f"CREATE DATABASE {self.dbname}")
        self.url = admin.rsplit("/", 1)[0] + "/" + self.dbname
        self.binary = binary
        self.workdir = Path(workdir)
        self.data_root = self.workdir / "data"
        self.data_root.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ, FERRY_MASTER_KEY=os.urandom(32).hex())
        common = ["--db", self.url, "--listen", "127.0.0.1:0", "--lease-seconds", str(args.lease_seconds),
                  "--data-root", str(self.data_root), "--tenant-max-running", str(args.tenant_max_running)]
        self.serves = [FerryProcess(f"serve{i}", binary, ["serve", *common, "--workers", "0", "--rate-limit", "0"],
                                    self.workdir, self.env) for i in range(args.serves)]
        self.workers = [FerryProcess(f"worker{i}", binary, ["worker", *common, "--workers", str(args.threads)],
                                     self.workdir, self.env) for i in range(args.worker_processes)]

    def processes(self):
        return self.serves + self.workers

    def start(self):
        for p in self.processes():
            p.start()

    def create_tenant(self, name):
        out = subprocess.run([self.binary, "admin", "create-tenant", name, "--db", self.url], env=self.env,
                             check=True, capture_output=True, text=True).stdout
        tenant_id = re.search(r"\(([0-9a-f-]{36})\)", out).group(1)
        key = out.strip().splitlines()[-1]
        (self.data_root / tenant_id).mkdir(parents=True, exist_ok=True)
        return tenant_id, key

    def sql(self, statement):
        return psql(self.url, statement)

    def close(self, keep):
        for p in self.processes():
            p.kill()
        if not keep:
            psql(self.admin, f"DROP DATABASE IF EXISTS {self.dbname} WITH (FORCE)")
