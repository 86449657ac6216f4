#!/usr/bin/env python3
"""Kill harness: a real `ferry serve` is killed with SIGKILL at seeded random moments of its runs (just after
a claim, mid-read, during the key sweep or the full pass, at the final checkpoint) and restarted, until each
run completes; then the destination must equal the source row for row, the counts must be the changes made,
no run may be left active, and ferry's store must pass `PRAGMA integrity_check`.

It talks only to ferry's public API (/v1), the `ferry admin` command, and the databases and files.
    tests/reliability/kill_harness.py --kills 3                         (the CI variant, ctest reliability_kill)
    tests/reliability/kill_harness.py --kills 20 --rows 50000           (scripts/soak.sh)
    tests/reliability/kill_harness.py --seed 1234 --scenarios sqlite-file    (replay one scenario's choices)
Timing is never judged: a kill that comes after the run finished is a miss and another run is tried."""

import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

import datasets
from ferry_server import FerryServer

HERE = Path(__file__).resolve().parent
TERMINAL = {"complete", "failed", "cancelled"}
ACTIVE = {"scheduled", "queued", "running", "cancelling", "pending_retry"}
STUCK_SECONDS = 900  # a run that neither finishes nor is reclaimed in this long is stuck (no timing judged)


class ScenarioFailure(AssertionError):
    pass


def require(condition, message):
    if not condition:
        raise ScenarioFailure(message)


def integrity_of_copy(path, scratch):
    """`PRAGMA integrity_check` on a copy of a SQLite file and its WAL, so the file ferry will reopen after
    the kill is left exactly as the kill left it."""
    scratch.mkdir(parents=True, exist_ok=True)
    target = scratch / "copy.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
        source = Path(str(path) + suffix)
        if source.exists():
            shutil.copyfile(source, str(target) + suffix)
    with sqlite3.connect(target) as db:
        result = [r[0] for r in db.execute("PRAGMA integrity_check")]
    return result == ["ok"], result


# ---------------------------------------------------------------------------------------------- scenarios

class Scenario:
    """A source, a destination and their pairing: what to create through the API and how to read both."""

    def __init__(self, name, server, args, rng, pg):
        self.name, self.server, self.args, self.pg = name, server, args, pg
        src, dst = name.split("-")
        self.source = self._source(src, rng)
        self.destination, self.reader, self.sqlite_files = self._destination(dst)
        self.reference = None  # the sample source's truth: a second sync run without kills

    def _source(self, kind, rng):
        if kind == "sample":
            return datasets.SampleSource(self.args.rows)
        if kind == "sqlite":
            return datasets.SqliteSourceDb(self.server.tenant_dir() / "source.db", rng)
        if kind == "rest":
            return datasets.RestSource(rng)
        return datasets.PostgresSourceDb(self.pg.database(self.name, "src"), rng)

    def _destination(self, kind):
        tenant = self.server.tenant_dir()
        if kind == "sqlite":
            path = tenant / "dest.db"
            return {"type": "sqlite", "config": {"path": "dest.db"}}, datasets.SqliteDest(path), [path]
        if kind == "file":
            state = tenant / "export" / ".ferry-state.sqlite"
            return ({"type": "file", "config": {"directory": "export", "format": "jsonl"}},
                    datasets.FileDest(tenant / "export"), [state])
        url = self.pg.database(self.name, "dst")
        return {"type": "postgres", "config": {"url": url}}, datasets.PostgresDest(url), []

    def create_source(self):
        if isinstance(self.source, datasets.SampleSource):
            return
        self.source.create(self.args.rows)

    def connection_body(self):
        if isinstance(self.source, datasets.SqliteSourceDb):
            return self.source.connection("source.db")
        return self.source.connection()

    def columns(self, model):
        if isinstance(self.source, datasets.SampleSource):
            return self.reference.columns(model)
        if isinstance(self.source, datasets.RestSource):
            return datasets.REST_COLUMNS
        return datasets.COLUMNS

    def truth(self, model):
        if isinstance(self.source, datasets.SampleSource):
            rows = self.reference.rows(model, self.columns(model))
            return {k: v[0] for k, v in rows.items()}
        return self.source.rows(model)

    def close(self):
        if isinstance(self.source, datasets.RestSource):
            self.source.close()


class Postgres:
    """Databases on the test cluster (FERRY_TEST_PG_STATE), one source and one destination per scenario."""

    def __init__(self, state):
        self.admin = (Path(state) / "url").read_text().strip()
        self.base = self.admin.rsplit("/", 1)[0]
        self.created = []

    def database(self, scenario, role):
        name = f"kill_{os.getpid()}_{scenario.replace('-', '_')}_{role}"
        if name not in self.created:
            datasets.psql(self.admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            datasets.psql(self.admin, f"CREATE DATABASE {name}")
            self.created.append(name)
        return f"{self.base}/{name}"

    def drop_all(self):
        for name in self.created:
            try:
                datasets.psql(self.admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            except Exception:  # noqa: BLE001 - cleanup must not hide the result
                pass


# ------------------------------------------------------------------------------------------ killing runs

class RunDriver:
    """Drives one run to its end, killing and restarting ferry at chosen moments."""

    def __init__(self, scenario, rng, stats, scratch, estimate):
        self.scenario = scenario
        self.server = scenario.server
        self.rng = rng
        self.stats = stats
        self.scratch = scratch
        self.estimate, self.measured = estimate  # seconds a whole uninterrupted run of this kind took (max seen)
        self.eager = False  # every kill just after the claim

    def get(self, run_id):
        return self.server.api("GET", f"/v1/runs/{run_id}")

    def poll_interval(self):
        # An incremental run of a few hundred rows between two SQLite files ends within 20 ms: once kills
        # have missed, the harness looks (and aims) every millisecond.
        return 0.001 if self.eager else 0.02

    def wait_claimed(self, run_id, after_attempt):
        """The run once a live ferry has claimed it (attempt above `after_attempt`), or once it ended."""
        deadline = time.monotonic() + STUCK_SECONDS
        while time.monotonic() < deadline:
            run = self.get(run_id)
            if run["status"] in TERMINAL or (run["status"] == "running" and run["attempt"] > after_attempt):
                return run
            time.sleep(self.poll_interval())
        raise ScenarioFailure(f"run {run_id} stuck: not claimed again in {STUCK_SECONDS} s: {run}")

    def wait_end(self, run_id):
        deadline = time.monotonic() + STUCK_SECONDS
        while time.monotonic() < deadline:
            run = self.get(run_id)
            if run["status"] in TERMINAL:
                return run
            time.sleep(0.05)
        raise ScenarioFailure(f"run {run_id} stuck: not ended in {STUCK_SECONDS} s: {run}")

    def choose_mode(self):
        mode = self.rng.choices(["claim", "uniform", "late"], weights=[2, 5, 3])[0]
        return "claim" if self.eager else mode

    def wait_for_moment(self, run_id, mode, read_targets):
        """Sleeps (polling) until the chosen moment; returns the last run seen, or None if it ended first."""
        if mode == "late":
            return self.wait_after_a_read(run_id, read_targets)
        claim_window = 0.005 if self.eager else 0.05
        delay = self.rng.uniform(0, claim_window) if mode == "claim" else self.rng.uniform(0, self.estimate * 1.1)
        start = time.monotonic()
        while True:
            run = self.get(run_id)
            if run["status"] in TERMINAL:
                return None
            waited = time.monotonic() - start
            if waited >= delay:
                return run
            time.sleep(min(0.03, max(self.poll_interval(), delay - waited)))

    def wait_after_a_read(self, run_id, read_targets):
        """Until a model's read is done (then a short random wait): its key sweep or full pass, its final
        checkpoint, or the step to the next model."""
        delay = self.rng.uniform(0, 0.08)
        done_before = {t["model_id"] for t in self.get(run_id).get("tasks", []) if t["status"] == "complete"}
        read_done_at = None
        while True:
            run = self.get(run_id)
            if run["status"] in TERMINAL:
                return None
            now = time.monotonic()
            fresh = [t for t in run.get("tasks", []) if t["model_id"] not in done_before]
            if read_done_at is None and any_read_done(fresh, read_targets):
                read_done_at = now
            if read_done_at is not None and now - read_done_at >= delay:
                return run
            time.sleep(0.015)

    def drive(self, run_id, kills_wanted, expectation):
        kills = []
        attempt = 0
        while True:
            run = self.wait_claimed(run_id, attempt)
            if run["status"] in TERMINAL:
                return run, kills
            claimed_at = time.monotonic()
            attempt = run["attempt"]
            if len(kills) >= kills_wanted:
                ended = self.wait_end(run_id)
                self.note_duration(ended, claimed_at, kills)
                return ended, kills
            mode = self.choose_mode()
            seen = self.wait_for_moment(run_id, mode, expectation.read_targets)
            if seen is None:
                ended = self.wait_end(run_id)
                self.note_duration(ended, claimed_at, kills)
                self.stats["misses"] += 1
                return ended, kills
            self.server.kill()
            after_kill = self.after_kill_checks()
            committed = self.committed_rows(expectation)
            self.server.start()
            snapshot = self.get(run_id)
            if snapshot["status"] in TERMINAL:  # it ended between the last look and the kill: a miss
                print(f"    kill landed after the run ended ({snapshot['status']})", flush=True)
                self.stats["misses"] += 1
                return snapshot, kills
            if snapshot["attempt"] != attempt:
                snapshot = seen  # already reclaimed: the last state seen before the kill is the best we know
            phase = classify(snapshot, expectation, self.scenario, committed)
            kills.append((mode, phase, round(time.monotonic() - claimed_at, 3), after_kill))
            print(f"    kill #{len(kills)} ({mode}, {kills[-1][2]} s after claim, attempt {attempt}): {phase}",
                  flush=True)

    def committed_rows(self, expectation):
        """With ferry dead: each model's rows in the destination, to tell a sweep cut short from a committed
        one (only where a key sweep may run)."""
        if expectation.kind != "incremental" or not self.scenario.source.sweeps:
            return {}
        out = {}
        for model in self.scenario.source.models:
            try:
                out[model] = self.scenario.reader.count(model)
            except Exception:  # noqa: BLE001 - not created yet
                out[model] = None
        return out

    def note_duration(self, ended, claimed_at, kills):
        """The first whole run measured replaces the guess; later ones can only raise it."""
        if not kills and ended["status"] == "complete":
            took = time.monotonic() - claimed_at
            self.estimate = took if not self.measured else max(self.estimate, took)
            self.measured = True

    def after_kill_checks(self):
        """With ferry dead: the store and the SQLite destination files are sound, the exported files parse."""
        notes = []
        files = [("store", self.server.db)] + [("destination", p) for p in self.scenario.sqlite_files]
        for label, path in files:
            if Path(path).exists():
                ok, result = integrity_of_copy(path, self.scratch)
                require(ok, f"after a kill the {label} {path} fails integrity_check: {result}")
                notes.append(label)
        if isinstance(self.scenario.reader, datasets.FileDest):
            for model in self.scenario.source.models:
                rows = self.scenario.reader.rows(model, self.scenario.columns(model))  # raises if torn
                dupes = [k for k, v in rows.items() if len(v) > 1]
                require(not dupes, f"after a kill {model}.jsonl holds keys twice: {dupes[:5]}")
        return notes


def any_read_done(tasks, read_targets):
    """A model's read is (nearly) done: what follows is its key sweep or full pass and its final checkpoint.
    Polling cannot see a short tail, so 95% counts, and so does a model that finished meanwhile."""
    for task in tasks:
        target = read_targets.get(task["model_id"], 1)
        if task["status"] == "complete" or (task["status"] == "running" and
                                            task["inserted"] + task["updated"] >= 0.95 * target):
            return True
    return False


def classify(run, expectation, scenario, committed):
    """Which phase a kill landed in, from the run as the killed process left it (status, tasks, counts)."""
    if run["status"] == "queued":
        return "queued (not yet claimed)"
    tasks = run.get("tasks", [])
    unfinished = [t for t in tasks if t["status"] not in ("complete", "failed")]
    if not unfinished:
        return "final checkpoint (every model done, run not yet complete)"
    task = unfinished[0]
    model = task["model_id"]
    some_done = len(unfinished) < len(tasks)
    read = task["inserted"] + task["updated"]
    if task["status"] == "pending" or (read == 0 and not task.get("checkpoint")):
        return "between models" if some_done else "claimed, before the first batch"
    if read < expectation.read_targets.get(model, 0):
        return "mid-read (batches committed)"
    if expectation.kind == "incremental" and scenario.source.sweeps and expectation.changes[model].deleted:
        if committed.get(model) == len(scenario.truth(model)):
            return "final checkpoint (sweep committed, model not yet marked done)"
        return "key sweep (read done, deletes not yet committed)"
    if expectation.kind != "incremental":
        return "full pass finish / final checkpoint (read done)"
    return "final checkpoint (read done)"


# ------------------------------------------------------------------------------------------- expectation

class Expectation:
    """What a run must report and leave: its kind, the changes per model, the rows each model's read writes."""

    def __init__(self, kind, changes):
        self.kind = kind  # "full" (empty destination), "full_refresh" or "incremental"
        self.changes = changes  # model -> datasets.Changes, exactly what the run must count
        self.read_targets = {m: c.inserted + c.updated for m, c in changes.items()}


def wrong_rows(truth, landed):
    """Every key whose destination rows are not exactly its one source row: (key, what, detail).
    `truth`: key -> row; `landed`: key -> the rows the destination holds under that key."""
    wrong = []
    for key in truth.keys() | landed.keys():
        got, want = landed.get(key, []), truth.get(key)
        if want is None:
            wrong.append((key, "stale row (not in the source)", got))
        elif not got:
            wrong.append((key, "missing", want))
        elif len(got) > 1:
            wrong.append((key, f"{len(got)} copies", got))
        elif got[0] != want:
            wrong.append((key, "differs", {"source": want, "destination": got[0]}))
    return wrong


def counts_of(run):
    return {t["model_id"]: datasets.Changes(t["inserted"], t["updated"], t["deleted"]) for t in run["tasks"]}


# ------------------------------------------------------------------------------------------ the scenario

class ScenarioRunner:
    def __init__(self, name, args, pg, root, seed):
        self.name, self.args, self.pg = name, args, pg
        self.rng = random.Random(f"{seed}:{name}")
        self.workdir = root / name
        self.workdir.mkdir(parents=True)
        self.server = FerryServer(args.ferry, self.workdir, args.lease_seconds)
        self.stats = Counter()
        self.phases = Counter()
        self.rows_compared = 0
        self.rows_wrong = 0
        guess = 0.2 + args.rows / 100000  # until a run of the kind was seen whole (a short guess still lands)
        self.estimates = {"full": (guess, False), "full_refresh": (guess, False), "incremental": (guess, False)}

    def run(self):
        self.server.create_tenant("kill-harness")
        self.scenario = Scenario(self.name, self.server, self.args, self.rng, self.pg)
        try:
            self.scenario.create_source()
            self.server.start()
            self.setup_syncs()
            self.rounds()
            self.finish()
        finally:
            self.server.kill()
            self.scenario.close()

    def setup_syncs(self):
        api = self.server.api
        self.connection = api("POST", "/v1/connections", {"name": self.name, **self.scenario.connection_body()})
        self.sync = api("POST", "/v1/syncs", {"connection_id": self.connection["id"],
                                               "destination": self.scenario.destination, "max_attempts": 20})
        if isinstance(self.scenario.source, datasets.SampleSource):
            self.ref_sync = api("POST", "/v1/syncs", {"connection_id": self.connection["id"],
                                                       "destination": {"type": "sqlite",
                                                                       "config": {"path": "reference.db"}}})
            self.scenario.reference = datasets.SqliteDest(self.server.tenant_dir() / "reference.db")

    def rounds(self):
        kills = 0
        round_no = 0
        max_rounds = 3 * self.args.kills + 6
        while kills < self.args.kills or round_no < 2:
            require(round_no < max_rounds, f"only {kills} kills landed in {round_no} runs")
            kind = "full" if round_no == 0 else ("full_refresh" if round_no % 4 == 0 else "incremental")
            changes = self.mutate() if round_no else None
            expectation = self.expect(kind, changes)
            wanted = min(self.args.kills_per_run, self.args.kills - kills)
            # Many misses (runs quicker than the kills aimed at them): aim at the claim, which lands.
            eager = round_no >= 2 * self.args.kills or self.stats["misses"] >= self.args.kills
            run_kills = self.one_round(round_no, kind, expectation, wanted, eager)
            kills += run_kills
            round_no += 1
            self.stats["kills"] = kills
            self.stats["runs"] = round_no

    def mutate(self):
        source = self.scenario.source
        if isinstance(source, datasets.SampleSource):
            source.generation += 1
            self.server.api("PATCH", f"/v1/connections/{self.connection['id']}",
                            {"config": {"generation": source.generation}})
            return None
        return source.mutate(self.args.change_fraction)

    def expect(self, kind, changes):
        if isinstance(self.scenario.source, datasets.SampleSource):
            ref = self.server.api("POST", f"/v1/syncs/{self.ref_sync['id']}/runs",
                                  {"full_refresh": kind == "full_refresh"})
            ref = RunDriver(self.scenario, self.rng, self.stats, self.workdir / "scratch", (1, False)).wait_end(ref["id"])
            require(ref["status"] == "complete", f"the reference run (no kills) did not complete: {ref}")
            return Expectation(kind, counts_of(ref))
        if changes is None:  # the first run: everything is an insert
            changes = {m: datasets.Changes(len(self.scenario.truth(m)), 0, 0) for m in self.scenario.source.models}
        return Expectation(kind, changes)

    def one_round(self, round_no, kind, expectation, wanted, eager):
        summary = ", ".join(f"{m} +{c.inserted} ~{c.updated} -{c.deleted}" for m, c in expectation.changes.items())
        print(f"  run {round_no} ({kind}; {summary}): up to {wanted} kill(s)", flush=True)
        run = self.server.api("POST", f"/v1/syncs/{self.sync['id']}/runs", {"full_refresh": kind == "full_refresh"})
        driver = RunDriver(self.scenario, self.rng, self.stats, self.workdir / "scratch", self.estimates[kind])
        driver.eager = eager
        ended, kills = driver.drive(run["id"], wanted, expectation)
        self.estimates[kind] = (driver.estimate, driver.measured)
        for _, phase, _, _ in kills:
            self.phases[f"{kind}: {phase}"] += 1
        self.verify_run(ended, expectation, kills)
        return len(kills)

    def verify_run(self, run, expectation, kills):
        require(run["status"] == "complete", f"run {run['id']} ended {run['status']} after {len(kills)} kill(s): "
                                             f"{run.get('error_category')}: {run.get('error')}")
        counts = counts_of(run)
        for model, want in expectation.changes.items():
            got = counts.get(model)
            require(got == want, f"run {run['id']} counted {model} {got}, the changes made were {want}")
        total = datasets.Changes(*(sum(getattr(c, f) for c in counts.values())
                                   for f in ("inserted", "updated", "deleted")))
        run_total = datasets.Changes(run["counts"]["inserted"], run["counts"]["updated"], run["counts"]["deleted"])
        require(total == run_total, f"run counts {run_total} are not the sum of its models' {total}")
        want_full = expectation.kind != "incremental"
        for task in run["tasks"]:
            require(task["full_refresh"] == want_full,
                    f"{task['model_id']} ran as {'full' if task['full_refresh'] else 'incremental'}, "
                    f"expected {expectation.kind}")
        self.compare_rows()
        self.require_no_active_run()

    def compare_rows(self):
        for model in self.scenario.source.models:
            columns = self.scenario.columns(model)
            truth = self.scenario.truth(model)
            landed = self.scenario.reader.rows(model, columns)
            wrong = wrong_rows(truth, landed)
            self.rows_compared += len(truth)
            self.rows_wrong += len(wrong)
            require(not wrong, f"{model}: {len(wrong)} wrong row(s) of {len(truth)}, e.g. {sorted(wrong, key=str)[:5]}")

    def require_no_active_run(self):
        runs = self.server.api("GET", f"/v1/syncs/{self.sync['id']}/runs?limit=100")["data"]
        active = [r["id"] for r in runs if r["status"] in ACTIVE]
        require(not active, f"runs left active: {active}")
        status = self.server.api("GET", f"/v1/syncs/{self.sync['id']}/status")
        require(status["current_run"] is None, f"sync status still shows a current run: {status['current_run']}")

    def finish(self):
        self.server.stop()
        ok, result = integrity_of_copy(self.server.db, self.workdir / "scratch")
        require(ok, f"the store fails integrity_check: {result}")
        with sqlite3.connect(self.server.db) as db:
            left = db.execute("SELECT count(*) FROM runs WHERE state IN "
                              "('scheduled','queued','running','cancelling','pending_retry')").fetchone()[0]
        require(left == 0, f"{left} run(s) left active in the store")


# ------------------------------------------------------------------------------------------------- main

SCENARIOS = ["sample-sqlite", "sqlite-sqlite", "postgres-postgres", "postgres-sqlite", "rest-postgres",
             "sqlite-file"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=None, help="replay a run's choices (default: random, printed)")
    p.add_argument("--kills", type=int, default=3, help="kills that must land per scenario")
    p.add_argument("--kills-per-run", type=int, default=2, help="most kills aimed at one run")
    p.add_argument("--rows", type=int, default=12000, help="rows of the larger table (the other: a quarter)")
    p.add_argument("--change-fraction", type=float, default=0.02, help="share of rows updated/inserted per run")
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated, of: " + ", ".join(SCENARIOS))
    p.add_argument("--ferry", default=os.environ.get("FERRY_BIN", str(HERE.parents[1] / "build" / "ferry")))
    p.add_argument("--pg-state", default=os.environ.get("FERRY_TEST_PG_STATE"))
    p.add_argument("--lease-seconds", type=int, default=3, help="ferry's --lease-seconds: how soon a kill is reclaimed")
    p.add_argument("--keep", action="store_true", help="keep the work directory even when everything passed")
    return p.parse_args()


def main():
    args = parse_args()
    # A SIGTERM (ctest's timeout) unwinds like an error: ferry is killed and the databases dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
    names = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(names) - set(SCENARIOS)
    if unknown:
        sys.exit(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    if any("postgres" in n for n in names) and not args.pg_state:
        sys.exit("PostgreSQL scenarios need --pg-state or FERRY_TEST_PG_STATE (tests/fakes/postgres/pg_cluster.sh)")
    print(f"kill harness: seed {seed} (replay: --seed {seed}); {args.kills} kill(s) per scenario, {args.rows} rows; "
          f"ferry {args.ferry}", flush=True)
    root = Path(tempfile.mkdtemp(prefix=f"ferry-kill-{seed}-"))
    args.ferry = private_copy(args.ferry, root)
    pg = Postgres(args.pg_state) if args.pg_state else None
    results = []
    try:
        for name in names:
            print(f"== {name}", flush=True)
            runner = ScenarioRunner(name, args, pg, root, seed)
            started = time.monotonic()
            try:
                runner.run()
                error = None
            except Exception as e:  # noqa: BLE001 - every failure is reported with the seed, then the next one runs
                error = f"{type(e).__name__}: {e}"
                if not isinstance(e, ScenarioFailure):
                    traceback.print_exc()
                print(f"   FAILED {name} (seed {seed}): {error}\n   logs: {runner.workdir}", flush=True)
            results.append((name, runner, error, time.monotonic() - started))
    finally:
        if pg:
            pg.drop_all()
    failed = report(results, seed)
    if failed or args.keep:
        print(f"work directory kept: {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


def private_copy(binary, root):
    """A copy of the ferry binary for this harness alone: the build directory is shared, and a rebuild while
    the harness restarts ferry must neither stop it nor change the code under test halfway."""
    target = root / "ferry"
    for _ in range(60):
        try:
            shutil.copy2(binary, target)
            subprocess.run([str(target), "--version"], check=True, capture_output=True)
            return str(target)
        except (OSError, subprocess.CalledProcessError):
            time.sleep(5)  # being relinked right now
    sys.exit(f"cannot run a copy of {binary}")


def report(results, seed):
    print(f"\nkill harness summary (seed {seed})")
    print(f"{'scenario':<20}{'kills':>6}{'runs':>6}{'misses':>8}{'rows compared':>15}{'rows wrong':>12}  result")
    totals = Counter()
    phases = Counter()
    for name, runner, error, seconds in results:
        s = runner.stats
        print(f"{name:<20}{s['kills']:>6}{s['runs']:>6}{s['misses']:>8}{runner.rows_compared:>15}"
              f"{runner.rows_wrong:>12}  {'FAILED' if error else 'ok'} ({seconds:.0f} s)")
        totals.update(kills=s["kills"], compared=runner.rows_compared, wrong=runner.rows_wrong)
        phases.update(runner.phases)
    print(f"{'total':<20}{totals['kills']:>6}{'':>14}{totals['compared']:>15}{totals['wrong']:>12}")
    print("kills by phase: " + "; ".join(f"{p}: {n}" for p, n in phases.most_common()))
    failed = [name for name, _, error, _ in results if error]
    if failed:
        print(f"FAILED: {', '.join(failed)} — replay with --seed {seed} --scenarios {','.join(failed)}")
    return bool(failed)


if __name__ == "__main__":
    sys.exit(main())
