#!/usr/bin/env bash
# Runs a GoogleTest binary as one process per core, each taking a shard of its tests (GoogleTest's own
# sharding), against one throwaway PostgreSQL cluster; prints each shard's summary and, for a failure, the
# output of the tests that failed. For the sanitizer build, whose binaries take seconds to start: one process
# per test spent most of that stage starting processes.
#   scripts/run_shards.sh BINARY [GTEST_FILTER]
# Exit status 0 only when every shard passed.
set -uo pipefail
binary=$(realpath "${1:?test binary}")
filter=${2:-*}
cd "$(dirname "$0")/.."
shards=$(nproc)
work=$(mktemp -d)
pg_state="$work/pg"
trap 'tests/fakes/postgres/pg_cluster.sh stop "$pg_state" >/dev/null 2>&1; rm -rf "$work"' EXIT
tests/fakes/postgres/pg_cluster.sh start "$pg_state" >/dev/null || exit 1
pids=()

for ((i = 0; i < shards; i++)); do
  # A hung test must not hang CI: a shard gets 25 minutes, far more than its tests need.
  FERRY_TEST_PG_STATE="$pg_state" GTEST_TOTAL_SHARDS=$shards GTEST_SHARD_INDEX=$i \
    timeout --signal=ABRT --kill-after=30 1500 "$binary" --gtest_filter="$filter" >"$work/shard$i.log" 2>&1 &
  pids[i]=$!
done

status=0
for ((i = 0; i < shards; i++)); do
  wait "${pids[i]}"
  rc=$?
  log="$work/shard$i.log"
  summary=$(grep -E '^\[==========\] [0-9]+ tests? from' "$log" | tail -n 1)
  echo "shard $((i + 1))/$shards of $(basename "$binary"): ${summary:-no summary} (exit $rc)"
  if [[ $rc -ne 0 ]]; then
    status=1
    # Each failed test's output; a shard that died (a sanitizer report, a timeout) also shows its end.
    awk '/^\[ RUN      \]/ {block = ""} {block = block $0 "\n"} /^\[  FAILED  \] .*\([0-9]+ ms\)$/ {printf "%s", block}' "$log"
    grep -qE '^\[  (PASSED|FAILED)  \]' "$log" || tail -n 150 "$log"
    grep -E '^\[  FAILED  \] [^ ]+$|^\[  FAILED  \] [^(]+$' "$log"
  fi
done
exit $status
