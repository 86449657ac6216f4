#!/usr/bin/env bash
# Sets up, builds and runs every test: the unit tests under ASan+UBSan (build-asan/), then every test,
# unit and integration (real HTTP server on loopback, node clients, the demo), in the release build (build/).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0

scripts/setup.sh build-asan -DFERRY_SANITIZE=ON -DFERRY_UNIT_ONLY=ON -DCMAKE_BUILD_TYPE=Debug || exit 1
# The million-row PostgreSQL sync runs in the release build only: under ASan it costs minutes and adds
# nothing the smaller PostgreSQL tests don't already check for memory errors.
echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)" -E 'MillionRow' || status=1

scripts/setup.sh build || exit 1
# The vendors' SDKs (pinned in tests/clients/package.json) drive ferry in the client suites.
(cd tests/clients && npm install --no-audit --no-fund --loglevel=error) || exit 1
echo "== all tests (release build)"
ctest --test-dir build --output-on-failure -j "$(nproc)" || status=1
exit $status
