#!/usr/bin/env bash
# The run queue across processes: claims/s, trigger -> running latency (p50/p99) and scaling on runs that do
# real work, with 1, 2 and 4 worker processes on the PostgreSQL store, beside the SQLite store (one serve
# process with 1, 2 and 4 worker threads) measured in the same run. Real work is two scenarios: CPU-bound
# (8 full syncs of 200k sample records into SQLite files) and API-bound (8 full syncs of 3,000 records read
# through the REST connector from a fake SaaS API whose every page of 100 takes 40 ms, into SQLite files;
# tests/reliability/fake_saas.py). Each worker process runs one run at a time (--workers 1).
#   bench/queue.sh                       builds build-bench/ (RelWithDebInfo, -DFERRY_BENCH=ON) and measures it
#   CLAIM_RUNS=20000 bench/queue.sh      runs queued for the claims part (default 10000, over 20 tenants)
#   BATCH=16 bench/queue.sh              PostgreSQL's batch claims take up to 16 runs per call (default 32):
#                                        what a process whose 32 worker threads are idle does when a burst of
#                                        runs is queued (Store::claim_batch); CAP=N sets a per-tenant cap
# Targets (issue 18): >= 5,000 claims/s on PostgreSQL; trigger -> running p99 < 100 ms with an idle worker;
# >= 1.6x from 1 to 2 worker processes on real work.
set -euo pipefail
cd "$(dirname "$0")/.."
claim_runs=${CLAIM_RUNS:-10000}
scripts/setup.sh build-bench -DFERRY_BENCH=ON >/dev/null
work=$(mktemp -d)
cluster="$work/cluster"
trap 'tests/fakes/postgres/pg_cluster.sh stop "$cluster" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
admin=$(tests/fakes/postgres/pg_cluster.sh start "$cluster")
FERRY_MASTER_KEY=$(python3 -c "import secrets; print(secrets.token_hex(32))")
export FERRY_MASTER_KEY
echo "machine: $(nproc) cores; PostgreSQL: throwaway cluster (fsync off) on loopback"

echo "== claims: claim + complete until $claim_runs queued runs are gone, N processes at once"
mkdir -p "$work/claims"
BATCH=1 build-bench/ferry_bench_queue_claims "$work/claims/ferry.db" "$claim_runs" 20 1 2 4
psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE DATABASE claims"
BATCH=1 build-bench/ferry_bench_queue_claims "${admin%/postgres}/claims" "$claim_runs" 20 1 2 4
psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE DATABASE claims_batch"
BATCH=${BATCH:-32} build-bench/ferry_bench_queue_claims "${admin%/postgres}/claims_batch" "$claim_runs" 20 1 2 4

echo "== trigger -> running, and real work: CPU-bound (8 syncs of 200k sample records) and API-bound (8 syncs from a fake SaaS API, 40 ms a page), into SQLite files"
python3 bench/queue_latency.py build-bench/ferry sqlite "$work/latency" 1 2 4
python3 bench/queue_latency.py build-bench/ferry "$admin" "$work/latency" 1 2 4
