#!/usr/bin/env bash
# Runs the API fuzzer (tests/api/api_fuzz_test.cpp) longer than CI does, under ASan+UBSan.
#   scripts/fuzz.sh [seconds=600] [build-dir=build-asan]
# FERRY_FUZZ_SEED=N replays one sequence; a finding prints the request that showed it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
build_dir=${2:-build-asan}

if [ ! -f "$build_dir/build.ninja" ]; then
  scripts/setup.sh "$build_dir" -DFERRY_SANITIZE=ON -DFERRY_UNIT_ONLY=ON -DCMAKE_BUILD_TYPE=Debug
fi
cmake --build "$build_dir" -j "$(nproc)" --target ferry_api_tests
# Each call is allowed 30 s under the sanitizers; a slower one is reported as a hang.
FERRY_FUZZ_SECONDS=$seconds FERRY_FUZZ_CALL_MS=${FERRY_FUZZ_CALL_MS:-30000} \
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$build_dir/ferry_api_tests" --gtest_filter='ApiFuzz.*'
