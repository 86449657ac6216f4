#!/usr/bin/env python3
"""Trigger -> running latency and scaling on runs that do real work, with real ferry processes.

  queue_latency.py FERRY_BIN STORE WORKDIR PROCESSES...

STORE is `sqlite` (one `ferry serve --workers P`: a SQLite store has one process) or a postgres:// URL of an
empty database (`ferry serve --workers 0` + P `ferry worker --workers 1`). For each P it prints:
  - trigger -> running p50/p99: a run triggered through the API while every worker is idle, from just before
    the POST to the run's started_at (stamped by the claim); 100 runs one after another;
  - real work: 8 full syncs of 200,000 sample records into SQLite files, over 4 tenants, triggered at once:
    runs/s from the first POST to the last completion, and the cores the processes running the work kept busy
    meanwhile (their user + system CPU time over the wall time);
  - API-bound work: 8 full syncs, over 4 tenants, each reading 3,000 records through ferry's REST connector
    from a fake SaaS API (tests/reliability/fake_saas.py, in a process of its own, threaded) whose every page
    of 100 records takes 40 ms to answer, into SQLite files: runs/s from the first POST to the last
    completion and the busy cores, as above. Most of ferry's real work waits on such APIs, not on a core.
    Every run must complete with every record in its destination file, or the bench fails without a figure.
The scaling lines divide the 2-process rate by the 1-process one, and also per busy core: on a machine whose
cores are all taken (2 cores shared by the workers, the API process, PostgreSQL and this script), the first
says what the machine allows, the second whether the queue costs the work anything as processes are added.
On PostgreSQL each worker process runs one run at a time (`--workers 1`): the 2-process figure is what a
process adds.
"""
import datetime
import json
import math
import multiprocessing
import os
import pathlib
import re
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import closing

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests" / "reliability"))
import fake_saas  # noqa: E402

LATENCY_RUNS = 100
WORK_RUNS = 8
WORK_TENANTS = 4
WORK_RECORDS = 200_000
API_RUNS = 8
API_TENANTS = 4
API_RECORDS = 3_000
API_PAGE_SIZE = 100
API_PAGE_LATENCY = 0.040  # seconds per page, as a SaaS API answers
API_MODEL = "crm.items"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, port, key):
        self.base = f"http://127.0.0.1:{port}"
        self.key = key

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Authorization": f"Bearer {self.key}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def wait_healthy(port, process):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"ferry exited early ({process.returncode})")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit("ferry did not become healthy")


class Cluster:
    """serve (+ workers) on one store, started for one process count."""

    def __init__(self, ferry, store, workdir, processes):
        self.ferry, self.workdir = ferry, workdir
        self.postgres = store.startswith("postgres")
        self.db = store if self.postgres else str(workdir / "ferry.db")
        self.env = dict(os.environ)
        common = ["--db", self.db, "--data-root", str(workdir / "data"), "--tenant-max-running", "64",
                  "--allow-egress", "127.0.0.1/32"]  # the fake SaaS API listens on loopback
        self.port = free_port()
        serve_workers = "0" if self.postgres else str(processes)
        self.processes = [self.spawn(["serve", *common, "--workers", serve_workers,
                                      "--listen", f"127.0.0.1:{self.port}"])]
        wait_healthy(self.port, self.processes[0])
        if self.postgres:
            for _ in range(processes):
                port = free_port()
                worker = self.spawn(["worker", *common, "--workers", "1", "--listen", f"127.0.0.1:{port}"])
                wait_healthy(port, worker)
                self.processes.append(worker)

    def spawn(self, args):
        log = open(self.workdir / f"ferry-{len(getattr(self, 'processes', []))}-{args[0]}.log", "ab")
        return subprocess.Popen([self.ferry, *args], env=self.env, stdout=log, stderr=log)

    def tenant(self, name):
        out = subprocess.run([self.ferry, "admin", "create-tenant", name, "--db", self.db], env=self.env,
                             capture_output=True, text=True, check=True).stdout
        api = Api(self.port, out.strip().splitlines()[-1])
        api.data_dir = self.workdir / "data" / re.search(r"\(([0-9a-f-]{36})\)", out).group(1)
        return api

    def stop(self):
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            process.wait(timeout=60)


def make_syncs(api, count, records, prefix):
    connection = api.call("POST", "/v1/connections",
                          {"name": prefix, "source_type": "sample", "config": {"size": records}})
    syncs = []
    for i in range(count):
        sync = api.call("POST", "/v1/syncs", {"connection_id": connection["id"],
                                              "destination": {"type": "sqlite",
                                                              "config": {"path": f"{prefix}-{i}.db"}},
                                              "models": ["hris.Employee"]})
        syncs.append(sync["id"])
    return syncs


def wait_finished(api, run_ids):
    pending = set(run_ids)
    while pending:
        for run_id in list(pending):
            run = api.call("GET", f"/v1/runs/{run_id}")
            if run["status"] in ("complete", "failed", "cancelled"):
                if run["status"] != "complete":
                    sys.exit(f"run {run_id} ended {run['status']}: {run['error']}")
                pending.discard(run_id)
        time.sleep(0.02)


def latency(api):
    syncs = make_syncs(api, 4, 10, "latency")
    samples = []
    for i in range(LATENCY_RUNS):
        sync = syncs[i % len(syncs)]
        before = time.time()
        run = api.call("POST", f"/v1/syncs/{sync}/runs", {})
        wait_finished(api, [run["id"]])
        started = api.call("GET", f"/v1/runs/{run['id']}")["started_at"]
        samples.append((parse_time(started) - before) * 1000)
        time.sleep(0.05)  # every worker idle again, waiting
    samples.sort()
    return statistics.median(samples), samples[math.ceil(0.99 * len(samples)) - 1]


def cpu_seconds(process):
    fields = pathlib.Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def real_work(cluster):
    """runs/s, and the cores the processes that run the work kept busy meanwhile."""
    workers = cluster.processes[1:] if cluster.postgres else cluster.processes
    apis = [cluster.tenant(f"work-{t}") for t in range(WORK_TENANTS)]
    syncs = []
    for t, api in enumerate(apis):
        syncs += [(api, s) for s in make_syncs(api, WORK_RUNS // WORK_TENANTS, WORK_RECORDS, f"work{t}")]
    start = time.monotonic()
    cpu_before = sum(cpu_seconds(p) for p in workers)
    runs = [(api, api.call("POST", f"/v1/syncs/{sync}/runs", {})["id"]) for api, sync in syncs]
    for api, run_id in runs:
        wait_finished(api, [run_id])
    elapsed = time.monotonic() - start
    return len(runs) / elapsed, (sum(cpu_seconds(p) for p in workers) - cpu_before) / elapsed


def serve_fake_saas(pipe):
    """The fake SaaS API's process: a process of its own, so its threads never wait on this script's GIL."""
    records = {i: {"id": i, "name": f"n{i}", "qty": i % 1000, "price": i / 100, "active": i % 2 == 0,
                   "modified_us": i * 1_000_000, "deleted": False} for i in range(1, API_RECORDS + 1)}
    fake = fake_saas.FakeSaas({"/items": records}, page_latency=API_PAGE_LATENCY)
    fake.start()
    pipe.send(fake.base_url)
    while pipe.recv() == "requests":
        with fake.lock:
            pipe.send(fake.requests)
    fake.stop()


class FakeApi:
    def __enter__(self):
        self.pipe, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("fork").Process(target=serve_fake_saas, args=(child,),
                                                                   daemon=True)
        self.process.start()
        self.base_url = self.pipe.recv()
        return self

    def requests(self):
        self.pipe.send("requests")
        return self.pipe.recv()

    def __exit__(self, *exc):
        self.pipe.send("stop")
        self.process.join(timeout=30)

    def connection(self, name):
        fields = [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"},
                  {"name": "qty", "type": "integer"}, {"name": "price", "type": "number"},
                  {"name": "active", "type": "boolean"}, {"name": "modified_at", "type": "timestamp"},
                  {"name": "remote_was_deleted", "type": "boolean"}]
        model = {"model_id": API_MODEL, "path": "/items", "records": "/results", "primary_key": "id",
                 "cursor_field": "modified_at", "fields": fields,
                 "incremental": {"param": "modified_after", "lookback_seconds": 60},
                 "deleted_flag": "remote_was_deleted",
                 "pagination": {"style": "cursor_body", "cursor_path": "/next", "cursor_param": "cursor",
                                "page_size_param": "page_size", "page_size": API_PAGE_SIZE}}
        definition = {"name": "bench_saas", "base_url": self.base_url, "auth": {"type": "bearer"},
                      "models": [model]}
        return {"name": name, "source_type": "rest",
                "config": {"definition": definition, "credentials": {"token": fake_saas.TOKEN}}}


def api_bound_work(cluster, fake):
    """runs/s and busy cores for syncs that wait on a SaaS API; fails unless every run landed every record."""
    workers = cluster.processes[1:] if cluster.postgres else cluster.processes
    apis = [cluster.tenant(f"api-{t}") for t in range(API_TENANTS)]
    syncs = []
    for t, api in enumerate(apis):
        connection = api.call("POST", "/v1/connections", fake.connection(f"saas{t}"))
        for i in range(API_RUNS // API_TENANTS):
            path = f"api{t}-{i}.db"
            sync = api.call("POST", "/v1/syncs", {"connection_id": connection["id"],
                                                  "destination": {"type": "sqlite", "config": {"path": path}},
                                                  "models": [API_MODEL]})
            syncs.append((api, sync["id"], api.data_dir / path))
    requests_before = fake.requests()
    start = time.monotonic()
    cpu_before = sum(cpu_seconds(p) for p in workers)
    runs = [(api, api.call("POST", f"/v1/syncs/{sync}/runs", {})["id"], dest) for api, sync, dest in syncs]
    for api, run_id, _ in runs:
        wait_finished(api, [run_id])  # exits on a run that did not complete
    elapsed = time.monotonic() - start
    cores = (sum(cpu_seconds(p) for p in workers) - cpu_before) / elapsed
    for _, run_id, dest in runs:
        with closing(sqlite3.connect(f"file:{dest}?mode=ro", uri=True)) as db:
            rows = db.execute(f'SELECT count(*) FROM "{API_MODEL}"').fetchone()[0]
        if rows != API_RECORDS:
            sys.exit(f"run {run_id}: {dest} holds {rows} rows, not {API_RECORDS}")
    pages = fake.requests() - requests_before
    if pages < len(runs) * math.ceil(API_RECORDS / API_PAGE_SIZE):
        sys.exit(f"the fake SaaS API served {pages} pages: fewer than {len(runs)} full reads take")
    return len(runs) / elapsed, cores


def main():
    ferry, store, workdir = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
    os.environ.setdefault("FERRY_MASTER_KEY", secrets.token_hex(32))
    kind = "postgres" if store.startswith("postgres") else "sqlite"
    rates, cores_used, api_rates, api_cores = {}, {}, {}, {}
    for processes in [int(p) for p in sys.argv[4:]]:
        run_dir = workdir / f"{kind}-{processes}"
        run_dir.mkdir(parents=True, exist_ok=True)
        url = store
        if kind == "postgres":  # a fresh database per process count
            name = f"queue_{processes}_{secrets.token_hex(3)}"
            subprocess.run(["psql", "-X", "-q", store, "-c", f"CREATE DATABASE {name}"], check=True)
            url = store.rsplit("/", 1)[0] + "/" + name
        cluster = Cluster(ferry, url, run_dir, processes)
        try:
            p50, p99 = latency(cluster.tenant("latency"))
            rate, cores = real_work(cluster)
            rates[processes], cores_used[processes] = rate, cores
            with FakeApi() as fake:
                api_rates[processes], api_cores[processes] = api_bound_work(cluster, fake)
        finally:
            cluster.stop()
        label = "worker process" if kind == "postgres" else "worker thread"
        print(f"latency {kind:<9} {processes} {label}{'es' if processes > 1 and kind == 'postgres' else 's' if processes > 1 else ''}: trigger->running "
              f"p50 {p50:6.1f} ms  p99 {p99:6.1f} ms   real work {rate:5.2f} runs/s on {cores:4.2f} cores", flush=True)
        print(f"api-bound {kind:<9} {processes} {label}{'es' if processes > 1 and kind == 'postgres' else 's' if processes > 1 else ''}: "
              f"{api_rates[processes]:5.2f} runs/s on {api_cores[processes]:4.2f} cores ({API_RUNS} syncs of "
              f"{API_RECORDS:,} records, pages of {API_PAGE_SIZE} taking {API_PAGE_LATENCY * 1000:.0f} ms)", flush=True)
    if 1 in rates and 2 in rates:
        per_core = (rates[2] / cores_used[2]) / (rates[1] / cores_used[1])
        print(f"scaling {kind:<9} 1 -> 2: {rates[2] / rates[1]:.2f}x on real work (target >= 1.6x for worker "
              f"processes on PostgreSQL); per busy core {per_core:.2f}x", flush=True)
        per_core = (api_rates[2] / api_cores[2]) / (api_rates[1] / api_cores[1])
        print(f"scaling {kind:<9} 1 -> 2: {api_rates[2] / api_rates[1]:.2f}x on API-bound work (target >= 1.6x "
              f"for worker processes on PostgreSQL); per busy core {per_core:.2f}x", flush=True)


if __name__ == "__main__":
    main()
