"""The scale-out kill test's verdicts, each from evidence outside the process that produced it: the worker
processes' JSON logs (who held which run, when), the destinations' files against an undisturbed reference
ferry, and the store's runs table."""

import time
from collections import defaultdict

import datasets
from ferry_server import FerryServer
from scale_out_procs import epoch

# Messages with which a worker lets go of a run it started (the run's own end, or giving it up).
LETTING_GO = ("run finished", "run failed", "run cancelled", "run will retry",
              "lease lost; another worker owns the run", "run released")


def holdings(processes):
    """Every (run, attempt) some process held, as [(run_id, attempt, holder, begin, end)]: from "run started"
    to the line that lets go of the run, or to the moment the process was killed or stopped."""
    return [h[:5] for h in _holdings(processes)]


def landed_kills(processes):
    """Kills that cut a run short: the killed process still held a run."""
    killed = {f"{p.name}#{start}" for p in processes for start in p.killed}
    return len({h[2] for h in _holdings(processes) if h[5] and h[2] in killed})


def holds_a_run(process):
    """The process, alive, has started a run it has not let go of (by its current log)."""
    return process.alive() and any(h[5] for h in _holdings([process], since=process.starts))


def _holdings(processes, since=None):
    """As holdings(), each with a 6th element: True when the run was still held when the log ended."""
    held = []
    for p in processes:
        for start in range(since or 1, p.starts + 1):
            entries = p.log_entries(start)
            death = p.ended.get(start, time.time())
            open_runs = {}
            for e in entries:
                run_id = e.get("run_id")
                if not run_id:
                    continue
                msg = str(e.get("msg", ""))
                if msg == "run started":
                    if run_id in open_runs:  # started again without letting go: the first hold ends here
                        attempt, begin = open_runs.pop(run_id)
                        held.append((run_id, attempt, f"{p.name}#{start}", begin, epoch(e["ts"]), False))
                    open_runs[run_id] = (e.get("attempt"), epoch(e["ts"]))
                elif run_id in open_runs and msg.startswith(LETTING_GO):
                    attempt, begin = open_runs.pop(run_id)
                    held.append((run_id, attempt, f"{p.name}#{start}", begin, epoch(e["ts"]), False))
            for run_id, (attempt, begin) in open_runs.items():
                held.append((run_id, attempt, f"{p.name}#{start}", begin, death, True))
    return held


def claim_problems(held):
    """No run held by two processes at overlapping times; each attempt number claimed by one process only."""
    problems = []
    by_run = defaultdict(list)
    for run_id, attempt, holder, begin, end in held:
        by_run[run_id].append((begin, end, holder, attempt))
    for run_id, spans in by_run.items():
        attempts = defaultdict(set)
        for begin, end, holder, attempt in spans:
            attempts[attempt].add(holder)
        for attempt, holders in attempts.items():
            if len(holders) > 1 or sum(1 for s in spans if s[3] == attempt) > 1:
                problems.append(f"run {run_id} attempt {attempt} claimed more than once: {sorted(holders)}")
        spans.sort()
        for (b1, e1, h1, a1), (b2, e2, h2, a2) in zip(spans, spans[1:]):
            if b2 < e1:
                problems.append(f"run {run_id} held at once by {h1} (attempt {a1}, until {e1:.3f}) and "
                                f"{h2} (attempt {a2}, from {b2:.3f})")
    return problems


class Reference:
    """The sample source's truth: each config synced once by a single undisturbed ferry (SQLite store)."""

    def __init__(self, binary, workdir, configs):
        self.dests = {}
        server = FerryServer(binary, workdir, lease_seconds=60)
        server.create_tenant("reference")
        server.start()
        try:
            runs = {}
            for config in configs:
                name = f"ref-{config['seed']}-{config['size']}"
                conn = server.api("POST", "/v1/connections", {"name": name, "source_type": "sample",
                                                              "config": config})
                sync = server.api("POST", "/v1/syncs", {"connection_id": conn["id"],
                                                        "destination": {"type": "sqlite",
                                                                        "config": {"path": f"{name}.db"}}})
                runs[self.key(config)] = server.api("POST", f"/v1/syncs/{sync['id']}/runs")["id"]
                self.dests[self.key(config)] = datasets.SqliteDest(server.tenant_dir() / f"{name}.db")
            for key, run_id in runs.items():
                while True:
                    run = server.api("GET", f"/v1/runs/{run_id}")
                    if run["status"] in ("complete", "failed", "cancelled"):
                        break
                    time.sleep(0.2)
                if run["status"] != "complete":
                    raise RuntimeError(f"the reference run of {key} ended {run['status']}: {run.get('error')}")
        finally:
            server.stop()

    @staticmethod
    def key(config):
        return (config["seed"], config["size"])

    def compare(self, config, dest_path, models):
        """(rows compared, rows wrong, [problems]) for one destination file against its config's reference."""
        ref = self.dests[self.key(config)]
        dest = datasets.SqliteDest(dest_path)
        compared, wrong, problems = 0, 0, []
        for model in models:
            columns = ref.columns(model)
            want, got = ref.rows(model, columns), dest.rows(model, columns)
            compared += sum(len(v) for v in got.values())
            if not want:
                wrong += 1
                problems.append(f"{dest_path.name} {model}: the reference has no rows")
            if got != want:
                missing = len(set(want) - set(got))
                extra = len(set(got) - set(want))
                dupes = sum(1 for v in got.values() if len(v) > 1)
                differ = sum(1 for k in set(want) & set(got) if want[k] != got[k])
                wrong += max(1, missing + extra + dupes + differ)
                problems.append(f"{dest_path.name} {model}: {missing} missing, {extra} extra, {dupes} duplicated, "
                                f"{differ} different of {len(want)}")
        return compared, wrong, problems
