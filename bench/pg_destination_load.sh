#!/usr/bin/env bash
# The PostgreSQL destination's load speed against psql's binary COPY on one throwaway cluster.
#   bench/pg_destination_load.sh BUILD_DIR [rows] [batch]   (BUILD_DIR holds the libferry_*.a layers; 1000000, 10000)
# Prints ferry's three full passes (empty table, all unchanged, 1% changed), then psql loading the same rows
# (dumped with COPY … TO binary) into an empty table with the same primary key, and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: pg_destination_load.sh BUILD_DIR [rows] [batch]}
rows=${2:-1000000}
batch=${3:-10000}
work=$(mktemp -d)
cluster="$work/cluster"
trap 'tests/fakes/postgres/pg_cluster.sh stop "$cluster"; rm -rf "$work"' EXIT
g++ -std=c++20 -O2 -DFMT_SHARED -DSPDLOG_COMPILED_LIB -DSPDLOG_FMT_EXTERNAL -DSPDLOG_SHARED_LIB -I src \
  -isystem /usr/include/postgresql bench/pg_destination_load.cpp "$build/libferry_connectors.a" "$build/libferry_db.a" "$build/libferry_core.a" \
  -lpq -lsqlite3 -lcurl -lsodium -lfmt -lspdlog -lsimdjson -lpthread -o "$work/pg_destination_load"
admin=$(tests/fakes/postgres/pg_cluster.sh start "$cluster")
base=${admin%/postgres}
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }
q "$admin" -c "ALTER SYSTEM SET max_wal_size = '4GB'" -c "SELECT pg_reload_conf()" >/dev/null
q "$admin" -c "CREATE DATABASE dest"

echo "rows=$rows batch=$batch"
"$work/pg_destination_load" "$base/dest" "$rows" "$batch" | tee "$work/ferry.out"
ferry_s=$(sed -n 's/.*first_pass_empty_table_seconds=\([0-9.]*\).*/\1/p' "$work/ferry.out")

q "$base/dest" -c "COPY (SELECT id, account_id, kind, amount, payload, updated_at FROM t ORDER BY id) TO STDOUT (FORMAT binary)" >"$work/t.bin"
ddl="CREATE TABLE t (id bigint PRIMARY KEY, account_id int, kind text, amount numeric(12,2), payload jsonb, updated_at timestamptz)"
for attempt in 1 2; do
  q "$admin" -c "CREATE DATABASE ref$attempt"
  q "$base/ref$attempt" -c "$ddl"
  start=$(now)
  q "$base/ref$attempt" -c "COPY t FROM STDIN (FORMAT binary)" <"$work/t.bin"
  ref_s=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
  awk -v n="$rows" -v r="$ref_s" -v f="$ferry_s" 'BEGIN {
    printf "psql_copy_from_binary_seconds=%.3f psql_rows_per_s=%.0f ferry_first_pass_ratio=%.2f\n", r, n / r, r / f }'
done
