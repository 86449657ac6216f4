#!/usr/bin/env bash
# Ferry's REST source pulling N records from the fake SaaS API vs a plain libcurl client walking the same
# pages, same run; then the whole engine into SQLite (informational).
#   bench/rest_pull.sh [records] [rounds]   (default 200000 3)
# FERRY_BENCH_BUILD_DIR picks the build directory (default build-bench, shared with the other benches).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${FERRY_BENCH_BUILD_DIR:-build-bench}
# Same build type as scripts/setup.sh ships (RelWithDebInfo, -O2): measure what users run.
scripts/setup.sh "$build_dir" -DFERRY_BENCH=ON >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$build_dir"/ferry_bench_rest_pull "$dir" "${1:-200000}" "${2:-3}"
