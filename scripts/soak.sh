#!/usr/bin/env bash
# The long kill harness: at least 20 SIGKILLs per scenario on larger tables, every connector pair
# (tests/reliability/kill_harness.py; ctest's reliability_kill is the short variant).
#   scripts/soak.sh [build-dir] [harness args...]     e.g. scripts/soak.sh build --seed 1234
# Starts a throwaway PostgreSQL cluster unless FERRY_TEST_PG_STATE names a running one. Takes 15-30 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
shift || true
[[ -x "$build_dir/ferry" ]] || { echo "soak: $build_dir/ferry not built (scripts/setup.sh)" >&2; exit 1; }

if [[ -z "${FERRY_TEST_PG_STATE:-}" ]]; then
  export FERRY_TEST_PG_STATE
  FERRY_TEST_PG_STATE=$(mktemp -d "${TMPDIR:-/tmp}/ferry-soak-pg.XXXXXX")
  tests/fakes/postgres/pg_cluster.sh start "$FERRY_TEST_PG_STATE" >/dev/null
  trap 'tests/fakes/postgres/pg_cluster.sh stop "$FERRY_TEST_PG_STATE"' EXIT
fi
python3 tests/reliability/kill_harness.py --ferry "$build_dir/ferry" --kills 20 --kills-per-run 4 --rows 50000 "$@"
