#!/usr/bin/env bash
# PostgreSQL -> PostgreSQL: ferry's full and incremental sync against the psql binary COPY pipe and pgloader,
# all on one throwaway cluster in the same run.
#   bench/pg_to_pg.sh [rows] [rss_rows]   (defaults 1000000 and 5000000; rss_rows=0 skips the RSS check)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
rss_rows=${2:-5000000}
command -v pgloader >/dev/null || {
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends pgloader >/dev/null
}
scripts/setup.sh build-bench -DFERRY_BENCH=ON >/dev/null
work=$(mktemp -d)
cluster="$work/cluster"
trap 'tests/fakes/postgres/pg_cluster.sh stop "$cluster"; rm -rf "$work"' EXIT
admin=$(tests/fakes/postgres/pg_cluster.sh start "$cluster")
base=${admin%/postgres}
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }

table_ddl="CREATE TABLE t (id bigint PRIMARY KEY, account_id int, kind text, amount numeric(12,2),
  payload jsonb, updated_at timestamptz)"
# ~100-byte jsonb payloads; distinct values so nothing compresses away. The source indexes its cursor column, as
# any table synced incrementally by one should: without it every incremental read is a full scan.
make_source() {  # db rows
  q "$admin" -c "CREATE DATABASE $1"
  q "$base/$1" -c "$table_ddl" -c "INSERT INTO t SELECT g, g % 5000, (ARRAY['invoice','refund','payment','fee'])[1 + g % 4],
    round((g % 100000) * 1.37, 2), jsonb_build_object('ref', md5(g::text), 'seq', g, 'tags', jsonb_build_array('a', g % 7)),
    timestamptz '2026-01-01' + g * interval '1 second' FROM generate_series(1, $2) g" \
    -c "CREATE INDEX t_updated_at ON t (updated_at)" -c "VACUUM ANALYZE t"
}
q "$admin" -c "ALTER SYSTEM SET max_wal_size = '4GB'" -c "SELECT pg_reload_conf()" >/dev/null
make_source src "$rows"
echo "rows=$rows (id bigint pk, account_id int, kind text, amount numeric(12,2), payload jsonb ~100 B, updated_at timestamptz; source index on updated_at)"

# reference: psql binary COPY pipe into an empty table with the same primary key
q "$admin" -c "CREATE DATABASE ref"
q "$base/ref" -c "$table_ddl"
q "$admin" -c "CHECKPOINT"
start=$(now)
psql -X -q "$base/src" -c "COPY t TO STDOUT (FORMAT binary)" | psql -X -q "$base/ref" -c "COPY t FROM STDIN (FORMAT binary)"
ref_s=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
ref_rate=$(rate "$rows" "$ref_s")
echo "psql_pipe_seconds=$ref_s psql_pipe_rows_per_s=$ref_rate"

# pgloader, data only, into a truncated table with the same schema
q "$admin" -c "CREATE DATABASE pgl"
q "$base/pgl" -c "$table_ddl"
cat >"$work/load.pgl" <<PGL
LOAD DATABASE FROM $base/src INTO $base/pgl
  WITH data only, truncate
  INCLUDING ONLY TABLE NAMES MATCHING 't' IN SCHEMA 'public';
PGL
q "$admin" -c "CHECKPOINT"
start=$(now)
# pgloader sometimes exhausts its own heap (about 1 run in 4 here): that reference then reports as failed and
# ferry's figures still print.
pgl_rate=""
if pgloader "$work/load.pgl" >"$work/pgloader.log" 2>&1; then
  pgl_s=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
  pgl_rows=$(psql -X -tA "$base/pgl" -c "SELECT count(*) FROM t")
  if [ "$pgl_rows" = "$rows" ]; then
    pgl_rate=$(rate "$rows" "$pgl_s")
    echo "pgloader_seconds=$pgl_s pgloader_rows_per_s=$pgl_rate"
  else
    echo "pgloader_reference=failed (loaded $pgl_rows of $rows rows; log: tail below)"
    tail -5 "$work/pgloader.log"
  fi
else
  echo "pgloader_reference=failed (pgloader exited non-zero; log: tail below)"
  tail -5 "$work/pgloader.log"
fi
q "$admin" -c "DROP DATABASE pgl"

# ferry: full sync, then 1% changes and an incremental run
q "$admin" -c "CREATE DATABASE dst"
mkdir -p "$work/ferry"
build-bench/ferry_bench_pg_to_pg "$work/ferry" "$base/src" "$base/dst" "$rows" >"$work/ferry.out" 2>"$work/ferry.log" ||
  { cat "$work/ferry.out"; tail -20 "$work/ferry.log"; exit 1; }
cat "$work/ferry.out"
# the destination equals the source: an aggregate checksum over every column on both sides
sum="SELECT count(*), sum(hashtextextended(t::text, 0)) FROM t"
[ "$(psql -X -tA "$base/src" -c "$sum")" = "$(psql -X -tA "$base/dst" -c "SELECT count(*), sum(hashtextextended(row(id, account_id, kind, amount, payload, updated_at)::text, 0)) FROM t")" ] ||
  { echo "destination differs from source"; exit 1; }
echo "checksum: destination equals source"
. <(grep = "$work/ferry.out")
echo "ratio_ferry_vs_psql_pipe=$(awk -v f="$ferry_full_rows_per_s" -v r="$ref_rate" 'BEGIN { printf "%.2f", f / r }') (target >= 0.7)"
if [ -n "$pgl_rate" ]; then
  echo "ratio_ferry_vs_pgloader=$(awk -v f="$ferry_full_rows_per_s" -v r="$pgl_rate" 'BEGIN { printf "%.2f", f / r }') (target >= 2)"
else
  echo "ratio_ferry_vs_pgloader=n/a (the pgloader reference failed this run)"
fi
echo "incremental_fraction_of_full=$(awk -v i="$ferry_incremental_seconds" -v f="$ferry_full_seconds" 'BEGIN { printf "%.3f", i / f }') (1% updates+inserts, median of three runs of $ferry_incremental_rounds s; target <= 0.05)"
echo "incremental_with_deletes_fraction_of_full=$(awk -v i="$ferry_incremental_with_deletes_seconds" -v f="$ferry_full_seconds" 'BEGIN { printf "%.3f", i / f }') (1% updates+inserts+deletes: the key sweep runs)"
echo "ferry_peak_rss_mb_at_${rows}=$ferry_peak_rss_mb"

if [ "$rss_rows" != 0 ]; then
  q "$admin" -c "DROP DATABASE src" -c "DROP DATABASE dst"
  make_source src "$rss_rows"
  q "$admin" -c "CREATE DATABASE dst"
  rm -rf "$work/ferry" && mkdir -p "$work/ferry"
  build-bench/ferry_bench_pg_to_pg "$work/ferry" "$base/src" "$base/dst" "$rss_rows" full-only >"$work/ferry5.out" 2>"$work/ferry5.log" ||
    { cat "$work/ferry5.out"; tail -20 "$work/ferry5.log"; exit 1; }
  echo "ferry_peak_rss_mb_at_${rss_rows}=$(grep ferry_peak_rss_mb "$work/ferry5.out" | cut -d= -f2) (target < 150 and flat)"
  grep ferry_full_rows_per_s "$work/ferry5.out" | sed "s/^/at_${rss_rows}_/"
fi
