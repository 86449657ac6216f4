#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, from Debian's `postgresql` package.
#   pg_cluster.sh start STATE_DIR   initdb in a fresh temp dir, start on a free loopback port, write the
#                                   superuser's URL to STATE_DIR/url and print it
#   pg_cluster.sh stop STATE_DIR    stop the server and remove the cluster and STATE_DIR
# fsync is off: the cluster dies with the tests. The cluster lives under /tmp (any user can traverse it), and
# as root the server runs as the `postgres` user (initdb refuses root). The superuser `ferry` has password
# `ferry` over TCP (scram), so tests can also prove that a wrong password is refused.
set -euo pipefail
cmd=${1:?start|stop}
state=${2:?state directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$bin/initdb" ]] || { echo "pg_cluster: Debian's postgresql package is not installed" >&2; exit 1; }

as_owner() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
  if [[ -f "$state/cluster" ]]; then
    local cluster
    cluster=$(cat "$state/cluster")
    if [[ -f "$cluster/data/postmaster.pid" ]]; then
      as_owner "$bin/pg_ctl" -D "$cluster/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$cluster"
  fi
  rm -rf "$state"
}

case "$cmd" in
start)
  stop  # a cluster left behind by an interrupted run
  mkdir -p "$state"
  cluster=$(mktemp -d "${TMPDIR:-/tmp}/ferry-pg.XXXXXX")
  echo "$cluster" >"$state/cluster"
  echo ferry >"$cluster/pwfile"
  [[ $(id -u) == 0 ]] && chown -R postgres: "$cluster"
  as_owner "$bin/initdb" -D "$cluster/data" -U ferry --pwfile="$cluster/pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$cluster/initdb.log" 2>&1 ||
    { cat "$cluster/initdb.log" >&2; exit 1; }
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if as_owner "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 30 start \
      -o "-p $port -k $cluster -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
          -c full_page_writes=off -c max_connections=300 -c shared_buffers=128MB" >/dev/null 2>&1; then
      url="postgresql://ferry:ferry@127.0.0.1:$port/postgres"
      echo "$url" >"$state/url"
      echo "$url"
      exit 0
    fi
  done
  cat "$cluster/server.log" >&2
  exit 1
  ;;
stop)
  stop
  ;;
*)
  echo "usage: pg_cluster.sh start|stop STATE_DIR" >&2
  exit 2
  ;;
esac
