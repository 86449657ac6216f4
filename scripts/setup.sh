#!/usr/bin/env bash
# Installs what ferry needs to build and test (Debian 12), idempotently, then configures and builds.
#   scripts/setup.sh [build-dir] [extra cmake args...]
# FERRY_EXTRA_PACKAGES: more Debian packages to install (scripts/test.sh: the dashboard test's chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build pkg-config libboost-dev libcurl4-openssl-dev nlohmann-json3-dev
          libsimdjson-dev libspdlog-dev libfmt-dev libcli11-dev libsodium-dev libsqlite3-dev libpq-dev
          libgtest-dev libgmock-dev libbenchmark-dev sqlite3 postgresql postgresql-client
          libtomlplusplus-dev libgoogle-perftools-dev bubblewrap python3 python3-yaml
          ${FERRY_EXTRA_PACKAGES:-})
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build_dir=${1:-build}
shift || true
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
