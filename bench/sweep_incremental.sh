#!/usr/bin/env bash
# Incremental runs that find deletions (the key sweep) into a SQLite destination, from a SQLite and from a
# PostgreSQL source: each run's time as a fraction of the full sync of the same table, in the same run.
#   bench/sweep_incremental.sh [rows]   (default 1000000; 1% updated, 1% inserted, 0.2% deleted)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
scripts/setup.sh build-bench -DFERRY_BENCH=ON >/dev/null
work=$(mktemp -d)
cluster="$work/cluster"
trap 'tests/fakes/postgres/pg_cluster.sh stop "$cluster" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

echo "== sqlite -> sqlite"
mkdir -p "$work/sqlite"
build-bench/ferry_bench_sweep_incremental "$work/sqlite" "$rows"

echo "== postgres -> sqlite"
admin=$(tests/fakes/postgres/pg_cluster.sh start "$cluster")
psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE DATABASE src"
mkdir -p "$work/postgres"
build-bench/ferry_bench_sweep_incremental "$work/postgres" "$rows" "${admin%/postgres}/src"
