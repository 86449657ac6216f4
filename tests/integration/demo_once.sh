#!/usr/bin/env bash
# `ferry demo --once` must sync, apply a generation of changes, sync incrementally and exit 0.
set -euo pipefail
ferry_bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
"$ferry_bin" demo --once --size 20000 --dir "$dir/data" --listen 127.0.0.1:0 > out.txt 2> log.txt || {
  echo "demo exited non-zero"; cat out.txt; tail -20 log.txt; exit 1; }
cat out.txt
grep -q "inserted 20000" out.txt || { echo "first run did not insert 20000 records"; exit 1; }
grep -qE "run [0-9a-f-]+ complete in .*inserted [1-9][0-9]*, updated [1-9][0-9]*, deleted [1-9][0-9]*" out.txt ||
  { echo "incremental run did not report inserts, updates and deletes"; exit 1; }
# The destination lives in the demo tenant's data directory; the demo prints the sqlite3 command to query it.
destination=$(grep -oE "sqlite3 [^ ]+/demo-destination.db" out.txt | head -1 | cut -d' ' -f2)
case "$destination" in "$dir"/data/data/*/demo-destination.db) ;; *)
  echo "the destination is not in the tenant's data directory: '$destination'"; exit 1 ;; esac
rows=$(sqlite3 "$destination" 'SELECT count(*) FROM "hris.Employee"')
[ "$rows" -gt 7900 ] || { echo "destination has $rows employees"; exit 1; }
grep -q '"msg":"run finished"' log.txt || { echo "no JSON log line for the finished run"; exit 1; }
echo "demo --once passed"
