"""The scale-out kill test's scheduler phase: the serve leading the scheduler is SIGKILLed right as interval
schedules come due; another serve must take the lead, and every due slot must fire exactly once (the store
keeps one run per (sync, scheduled_for): a slot fired twice or never shows in the runs table)."""

import time

from scale_out_procs import request

DEADLINE_SECONDS = 600  # generous: outcomes are awaited, never timed


def leader_of(serves):
    """The live serve whose latest word on the lead is "scheduler: leading", or None."""
    for serve in serves:
        if not serve.alive():
            continue
        leading = False
        for entry in serve.log_entries(serve.starts):
            msg = entry.get("msg", "")
            if msg == "scheduler: leading":
                leading = True
            elif str(msg).startswith("scheduler: lost the lead"):
                leading = False
        if leading:
            return serve
    return None


def wait_for(what, predicate, deadline=DEADLINE_SECONDS):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise RuntimeError(f"waited {deadline} s for {what}")


def make_scheduled_syncs(cluster, tenants, args, round_no):
    serve = next(s for s in cluster.serves if s.alive())
    syncs = []
    for j in range(args.scheduled_syncs):
        tenant_id, key = tenants[j % len(tenants)]
        auth = {"Authorization": f"Bearer {key}"}
        conn = request(serve.base, "POST", "/v1/connections", auth,
                       {"name": f"sched-{round_no}-{j}", "source_type": "sample",
                        "config": {"seed": 5, "size": 100}})
        # Created paused: nothing fires until the test makes the slot due in the store.
        sync = request(serve.base, "POST", "/v1/syncs", auth,
                       {"connection_id": conn["id"], "status": "paused", "max_attempts": 20,
                        "schedule": {"kind": "interval", "interval_minutes": 1},
                        "destination": {"type": "sqlite", "config": {"path": f"sched-{round_no}-{j}.db"}}})
        syncs.append(sync["id"])
    return syncs


def leader_kill_phase(cluster, tenants, args, rng, failures):
    fired = 0
    for round_no in range(args.leader_kills):
        syncs = make_scheduled_syncs(cluster, tenants, args, round_no)
        leader = wait_for("a scheduler leader", lambda: leader_of(cluster.serves))
        # Slots a few seconds ahead, spread over a second so the kill lands inside a tick.
        base = int((time.time() + 3.0) * 1_000_000)
        slots = {sync_id: base + j * 1_000_000 // max(1, len(syncs)) for j, sync_id in enumerate(syncs)}
        cases = " ".join(f"WHEN '{s}' THEN {slot}" for s, slot in slots.items())
        ids = ", ".join(f"'{s}'" for s in slots)
        cluster.sql(f"UPDATE syncs SET active = 1, next_sync_start = CASE id {cases} END WHERE id IN ({ids})")
        time.sleep(max(0.0, base / 1_000_000 - time.time()) + rng.uniform(0.0, 1.2))
        leader.kill()
        killed_at = time.monotonic()
        print(f"  leader kill {round_no + 1}: {leader.name} (start {leader.starts})", flush=True)
        successor = wait_for("another serve to lead the scheduler", lambda: leader_of(cluster.serves))
        print(f"  {successor.name} leads {time.monotonic() - killed_at:.1f} s after the kill", flush=True)
        failures.check(successor is not leader, "the killed serve still leads")
        leader.start()

        def all_fired():
            rows = cluster.sql(f"SELECT count(DISTINCT sync_id) FROM runs WHERE sync_id IN ({ids}) "
                               f"AND trigger = 'schedule' AND state IN ('complete','failed','cancelled')")
            return int(rows[0][0]) >= len(syncs)

        try:
            wait_for("every made-due slot to fire and end", all_fired)
        except RuntimeError as e:
            failures.check(False, str(e))
        cluster.sql(f"UPDATE syncs SET active = 0 WHERE id IN ({ids})")  # no later slot muddles the count
        rows = cluster.sql(f"SELECT sync_id, scheduled_for, state, trigger FROM runs WHERE sync_id IN ({ids})")
        for sync_id, slot in slots.items():
            mine = [r for r in rows if r[0] == sync_id]
            at_slot = [r for r in mine if r[1] and int(r[1]) == slot]
            failures.check(len(at_slot) == 1, f"scheduled sync {sync_id}: slot {slot} fired {len(at_slot)} times")
            failures.check(all(r[2] == "complete" for r in at_slot), f"scheduled sync {sync_id}: {at_slot}")
            early = [r for r in mine if not r[1] or int(r[1]) < slot]
            failures.check(not early, f"scheduled sync {sync_id}: runs before its slot {early}")
            fired += len(at_slot)
        twice = cluster.sql("SELECT sync_id, scheduled_for, count(*) FROM runs WHERE scheduled_for IS NOT NULL "
                            "GROUP BY 1, 2 HAVING count(*) > 1")
        failures.check(not twice, f"slots fired twice: {twice}")
    return fired
