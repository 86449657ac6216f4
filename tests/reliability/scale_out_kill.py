#!/usr/bin/env python3
"""Scale-out kill test (issue 18): 2 `ferry serve --workers 0` and 3 `ferry worker` processes on one PostgreSQL
store. Syncs of several tenants are triggered all at once through all five surfaces (/v1, Merge, Stuut,
Airweave, Polytomic) on both serves, while workers are SIGKILLed at seeded random moments and restarted.
Then: every trigger made exactly one run and it ended `complete`; every destination equals an undisturbed
reference sync of the same sample config; no run was held by two processes at once and no attempt number was
claimed twice (from the workers' JSON logs); the per-tenant cap held in every sample of the runs table.
Last, the serve leading the scheduler is SIGKILLed as schedules come due: the other serve takes the lead, and
every due slot fires exactly once.
    tests/reliability/scale_out_kill.py --syncs 60 --kills 10        (ctest scale_out_kill)
    tests/reliability/scale_out_kill.py                              (the long variant: 200 syncs)
Needs FERRY_BIN and FERRY_TEST_PG_STATE. Timing is never judged: outcomes are awaited with generous deadlines."""

import argparse
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale_out_checks import Reference, claim_problems, holdings, holds_a_run, landed_kills  # noqa: E402
from scale_out_procs import Cluster, request  # noqa: E402
from scale_out_scheduler import leader_kill_phase  # noqa: E402

SURFACES = ["v1", "merge", "stuut", "airweave", "polytomic"]
# Small batches: every batch is a commit and a checkpoint, so a run lasts long enough for kills to land in it.
CONFIGS = [{"seed": 7, "size": 1000, "batch_size": 10}, {"seed": 8, "size": 2500, "batch_size": 20},
           {"seed": 11, "size": 5000, "batch_size": 25}]
MODELS = {"hris": ["hris.Employee", "hris.Team"], "ats": ["ats.Candidate", "ats.Application"]}
STUCK_SECONDS = 900  # no run ended for this long: something is stuck (a deadline, not a timing judgement)


class Failures(list):
    def check(self, ok, message):
        if not ok:
            self.append(message)
            print(f"FAIL: {message}", flush=True)


def setup_syncs(cluster, args, rng):
    tenants = [cluster.create_tenant(f"scale-{t}") for t in range(args.tenants)]
    syncs = []

    def make(i):
        tenant_id, key = tenants[i % len(tenants)]
        serve = cluster.serves[i % len(cluster.serves)]
        config = CONFIGS[i % len(CONFIGS)]
        auth = {"Authorization": f"Bearer {key}"}
        conn = request(serve.base, "POST", "/v1/connections", auth,
                       {"name": f"c{i}", "source_type": "sample", "config": config,
                        "account_token": f"scale-out-{os.getpid()}-{i:05d}"})
        sync = request(serve.base, "POST", "/v1/syncs", auth,
                       {"connection_id": conn["id"], "max_attempts": 20,
                        "destination": {"type": "sqlite", "config": {"path": f"dest-{i}.db"}}})
        surface = SURFACES[i % len(SURFACES)]
        category = ["hris", "ats"][(i // len(SURFACES)) % 2]
        return {"i": i, "tenant": tenant_id, "key": key, "config": config, "connection": conn, "id": sync["id"],
                "surface": surface, "category": category, "triggers": 0, "run_ids": [],
                "dest": cluster.data_root / tenant_id / f"dest-{i}.db",
                "models": MODELS[category] if surface == "merge" else MODELS["hris"] + MODELS["ats"]}

    with ThreadPoolExecutor(max_workers=8) as pool:
        syncs = list(pool.map(make, range(args.syncs)))
    return tenants, syncs


def trigger(serve, sync, full):
    """Start one run of the sync through its surface (a full refresh where the surface can ask for one: every
    round after the first re-reads everything, so runs last long enough for kills to land in them); the
    run's id when the surface answers it."""
    key, conn = sync["key"], sync["connection"]
    bearer = {"Authorization": f"Bearer {key}"}
    surface = sync["surface"]
    if surface == "v1":
        return request(serve.base, "POST", f"/v1/syncs/{sync['id']}/runs", bearer, {"full_refresh": full})["id"]
    if surface == "merge":
        request(serve.base, "POST", f"/api/{sync['category']}/v1/sync-status/resync",
                {**bearer, "X-Account-Token": conn["account_token"]})
        return None
    if surface == "stuut":
        records = request(serve.base, "POST", f"/v2/integrations/connections/{conn['id']}/sync", bearer)
        return records[0]["batch_id"]
    if surface == "airweave":
        return request(serve.base, "POST", f"/source-connections/{conn['id']}/run?force_full_sync={str(full).lower()}",
                       {"x-api-key": key})["id"]
    return request(serve.base, "POST", f"/api/syncs/{sync['id']}/executions", bearer,
                   {"resync": full})["data"]["id"]


def trigger_all(cluster, syncs, rng, full):
    order = list(syncs)
    rng.shuffle(order)
    barrier = threading.Barrier(min(16, len(order)))

    def fire(index_and_sync):
        index, sync = index_and_sync
        if index < barrier.parties:
            barrier.wait()  # the first wave leaves together: the triggers really overlap
        run_id = trigger(cluster.serves[index % len(cluster.serves)], sync, full)
        sync["triggers"] += 1
        if run_id:
            sync["run_ids"].append(run_id)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(fire, enumerate(order)))


class Chaos:
    """Kills a random worker process at random moments while runs are live, restarts it, and samples the
    per-tenant count of running runs in the store."""

    def __init__(self, cluster, args, rng):
        self.cluster, self.args, self.rng = cluster, args, rng
        self.kills = 0
        self.samples = 0
        self.max_running = 0
        self.over_cap = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.kill_loop, daemon=True),
                        threading.Thread(target=self.sample_loop, daemon=True)]
        self.error = None

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()

    def running_runs(self):
        return int(self.cluster.sql("SELECT count(*) FROM runs WHERE state = 'running'")[0][0])

    def kill_loop(self):
        try:
            while not self.stop.is_set() and self.kills < self.args.kills:
                if self.running_runs() == 0:  # a kill between rounds tests nothing: wait for runs
                    self.stop.wait(0.05)
                    continue
                if self.stop.wait(self.rng.uniform(0.0, 1.0)):
                    break
                # A worker that holds a run, when one does: its kill cuts that run short.
                holding = [w for w in self.cluster.workers if holds_a_run(w)]
                victim = self.rng.choice(holding or self.cluster.workers)
                victim.kill()
                self.kills += 1
                print(f"  kill {self.kills}: {victim.name} (start {victim.starts})", flush=True)
                self.stop.wait(self.rng.uniform(0.0, 1.5))
                victim.start()
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            self.error = e

    def sample_loop(self):
        cap = self.args.tenant_max_running
        while not self.stop.wait(0.2):
            rows = self.cluster.sql("SELECT tenant_id, count(*) FROM runs WHERE state IN ('running','cancelling') "
                                    "GROUP BY tenant_id")
            self.samples += 1
            for tenant, count in rows:
                self.max_running = max(self.max_running, int(count))
                if int(count) > cap:
                    self.over_cap.append((tenant, int(count)))


def wait_runs_end(cluster, chaos):
    last, last_change = None, time.monotonic()
    while True:
        if chaos.error:
            raise chaos.error
        rows = cluster.sql("SELECT state, count(*) FROM runs GROUP BY state")
        states = {s: int(n) for s, n in rows}
        active = sum(n for s, n in states.items() if s not in ("complete", "failed", "cancelled"))
        if active == 0:
            return states
        if states != last:
            last, last_change = states, time.monotonic()
        elif time.monotonic() - last_change > STUCK_SECONDS:
            raise RuntimeError(f"runs stuck for {STUCK_SECONDS} s: {states}")
        time.sleep(0.5)


def check_runs(cluster, syncs, failures):
    rows = cluster.sql("SELECT sync_id, id, state, trigger FROM runs")
    by_sync = {}
    for sync_id, run_id, state, trig in rows:
        by_sync.setdefault(sync_id, []).append((run_id, state, trig))
    runs = 0
    for sync in syncs:
        mine = by_sync.get(sync["id"], [])
        runs += len(mine)
        failures.check(len(mine) == sync["triggers"],
                       f"sync {sync['i']} ({sync['surface']}): {sync['triggers']} trigger(s) made {len(mine)} run(s)")
        for run_id, state, trig in mine:
            failures.check(state == "complete", f"sync {sync['i']} ({sync['surface']}) run {run_id} ended {state}")
        ids = {r[0] for r in mine}
        for run_id in sync["run_ids"]:
            failures.check(run_id in ids, f"sync {sync['i']}: the {sync['surface']} answer's run {run_id} is not its run")
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--syncs", type=int, default=200)
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--tenants", type=int, default=4)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--serves", type=int, default=2)
    parser.add_argument("--worker-processes", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="worker threads per worker process")
    parser.add_argument("--lease-seconds", type=int, default=3)
    parser.add_argument("--tenant-max-running", type=int, default=2)
    parser.add_argument("--max-rounds", type=int, default=6, help="trigger rounds until --kills landed")
    parser.add_argument("--leader-kills", type=int, default=2)
    parser.add_argument("--scheduled-syncs", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the work directory and the database")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print(f"scale_out_kill: seed {seed} (replay with --seed {seed})", flush=True)
    rng = random.Random(seed)
    binary = os.environ.get("FERRY_BIN") or str(Path(__file__).resolve().parents[2] / "build" / "ferry")
    pg_state = os.environ["FERRY_TEST_PG_STATE"]
    workdir = Path(tempfile.mkdtemp(prefix="ferry-scale-out-"))
    started = time.monotonic()
    failures = Failures()
    cluster = None
    try:
        print("reference: one undisturbed ferry syncs each sample config", flush=True)
        reference = Reference(binary, workdir / "reference", CONFIGS)
        cluster = Cluster(binary, pg_state, workdir / "cluster", args)
        cluster.start()
        tenants, syncs = setup_syncs(cluster, args, rng)
        print(f"{len(syncs)} syncs of {len(tenants)} tenants; {len(cluster.serves)} serves, "
              f"{len(cluster.workers)} workers x {args.threads} threads; cap {args.tenant_max_running}", flush=True)
        rounds = 0
        with Chaos(cluster, args, rng) as chaos:
            while rounds == 0 or (chaos.kills < args.kills and rounds < args.max_rounds):
                rounds += 1
                print(f"round {rounds}: triggering {len(syncs)} syncs through {', '.join(SURFACES)}", flush=True)
                trigger_all(cluster, syncs, rng, full=rounds > 1)
                states = wait_runs_end(cluster, chaos)
                print(f"round {rounds}: runs ended {states}; {chaos.kills} kills so far", flush=True)
        if chaos.error:
            raise chaos.error
        for w in cluster.workers:
            if not w.alive():
                w.start()
        failures.check(chaos.kills >= args.kills, f"only {chaos.kills} kills landed in {rounds} rounds")
        runs = check_runs(cluster, syncs, failures)
        landed = landed_kills(cluster.workers)
        print(f"{chaos.kills} kills, {landed} of them cut a run short", flush=True)
        for problem in claim_problems(holdings(cluster.workers)):
            failures.check(False, problem)
        failures.check(chaos.samples > 0, "the cap was never sampled")
        for tenant, count in chaos.over_cap[:10]:
            failures.check(False, f"tenant {tenant} had {count} runs running (cap {args.tenant_max_running})")
        compared, wrong = 0, 0
        for sync in syncs:
            n, bad, problems = reference.compare(sync["config"], sync["dest"], sync["models"])
            compared += n
            wrong += bad
            for p in problems:
                failures.check(False, p)
        print(f"claims, cap (max {chaos.max_running} running per tenant in {chaos.samples} samples) and "
              f"destinations checked", flush=True)
        fired = leader_kill_phase(cluster, tenants, args, rng, failures)
        elapsed = time.monotonic() - started
        print(f"summary: syncs {len(syncs)}, kills {chaos.kills}, runs {runs}, rows compared {compared}, "
              f"wrong {wrong}, kills that cut a run {landed}, leader kills {args.leader_kills}, scheduled slots {fired}, "
              f"failures {len(failures)}, {elapsed:.0f} s", flush=True)
    except Exception:
        traceback.print_exc()
        failures.append("the test did not finish")
        if cluster:
            for p in cluster.processes():
                print(f"--- {p.name} (start {p.starts}) log tail:\n{p.log_tail()}", file=sys.stderr)
    finally:
        if cluster:
            cluster.close(args.keep or bool(failures))
        if args.keep or failures:
            print(f"work directory kept: {workdir}" + (f", database {cluster.url}" if cluster else ""))
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        print(f"scale_out_kill: FAILED ({len(failures)} problem(s), seed {seed})")
        return 1
    print("scale_out_kill: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
