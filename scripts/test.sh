#!/usr/bin/env bash
# Sets up, builds and runs every test: the unit tests under ASan+UBSan (build-asan/), then every test,
# unit and integration (real HTTP server on loopback, node clients, the demo), in the release build (build/).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0

# Line tables only (-g1): stack traces keep file and line, and each file compiles about a quarter faster than
# with full debug info (tests/engine/sync_run_test.cpp: 11.2 s -> 8.0 s under ASan, 10.3 s -> 8.0 s at -O2), which
# on 2 cores is most of this script's time.
scripts/setup.sh build-asan -DFERRY_SANITIZE=ON -DFERRY_UNIT_ONLY=ON -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG=-g1 || exit 1
# The million-row PostgreSQL sync runs in the release build only: under ASan it costs minutes and adds
# nothing the smaller PostgreSQL tests don't already check for memory errors.
echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
# One process per core, each a shard of the tests (scripts/run_shards.sh): a sanitizer binary takes seconds
# to start, so one process per test spent most of this stage starting. The release run below still gives
# every test a process of its own.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
scripts/run_shards.sh build-asan/ferry_unit_tests '-*MillionRow*' || status=1
FERRY_FUZZ_SECONDS=60 scripts/run_shards.sh build-asan/ferry_api_tests || status=1
unset ASAN_OPTIONS UBSAN_OPTIONS

# Debian's chromium, for the dashboard's browser test (tests/dashboard/, playwright-core); the demo needs none.
FERRY_EXTRA_PACKAGES=chromium scripts/setup.sh build "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" || exit 1
# The vendors' SDKs (pinned in tests/clients/package.json) drive ferry in the client suites.
(cd tests/clients && npm install --no-audit --no-fund --loglevel=error) || exit 1
# playwright-core (pinned in tests/dashboard/package.json) drives Debian's chromium in the dashboard test.
(cd tests/dashboard && npm install --no-audit --no-fund --loglevel=error) || exit 1
echo "== all tests (release build)"
ctest --test-dir build --output-on-failure -j "$(nproc)" || status=1
exit $status
