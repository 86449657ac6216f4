#!/usr/bin/env bash
# Sets up, builds and runs `ferry demo` on embedded SQLite. Extra arguments go to `ferry demo` (e.g. --once).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
exec build/ferry demo "$@"
