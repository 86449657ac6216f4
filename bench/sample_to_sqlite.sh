#!/usr/bin/env bash
# Sample -> SQLite full sync through the engine vs plain SQLite inserts of the same records, same run.
#   bench/sample_to_sqlite.sh [records]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
# Same build type as scripts/setup.sh ships (RelWithDebInfo, -O2): measure what users run.
scripts/setup.sh build-bench -DFERRY_BENCH=ON >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
build-bench/ferry_bench_sample_to_sqlite "$dir" "${1:-1000000}"
