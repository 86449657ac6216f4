#!/usr/bin/env bash
# `ferry demo --once` must sync, apply a generation of changes, sync incrementally and exit 0 — and do it
# again when run a second time in the same --dir: the second demo starts clean (same tenant, a fresh
# connection, sync, API key and destination file), so it too inserts everything, then reports the changes.
# The server's JSON log lines go to ferry.log in --dir (appended), never to the terminal the demo draws on.
set -euo pipefail
ferry_bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

# Runs the demo as time number $1 and checks its output; prints the destination path it used.
run_demo() {
  local n=$1 out="out$1.txt" log="log$1.txt"
  "$ferry_bin" demo --once --size 20000 --dir "$dir/data" --listen 127.0.0.1:0 > "$out" 2> "$log" || {
    echo "demo #$n exited non-zero" >&2; cat "$out" >&2; tail -20 "$log" >&2; exit 1; }
  cat "$out" >&2
  grep -q "inserted 20000, updated 0, deleted 0" "$out" || { echo "demo #$n: first run did not insert 20000 records" >&2; exit 1; }
  grep -qE "run [0-9a-f-]+ complete in .*inserted [1-9][0-9]*, updated [1-9][0-9]*, deleted [1-9][0-9]*" "$out" ||
    { echo "demo #$n: incremental run did not report inserts, updates and deletes" >&2; exit 1; }
  grep -qE "^Dashboard: http://127\.0\.0\.1:[0-9]+/ " "$out" || { echo "demo #$n does not print the dashboard's URL" >&2; exit 1; }
  grep -q "starts clean" "$out" || { echo "demo #$n does not say that each demo starts clean" >&2; exit 1; }
  # The server's log goes to a file the demo names, not into its progress line and tables.
  grep -qF "server log: $dir/data/ferry.log" "$out" || { echo "demo #$n does not say where its log is" >&2; exit 1; }
  if grep -q '"msg":' "$out" "$log"; then
    echo "demo #$n: JSON log lines on the terminal:" >&2; grep -h '"msg":' "$out" "$log" | head -5 >&2; exit 1; fi
  [ "$(grep -c '"msg":"run finished"' "$dir/data/ferry.log")" -eq $((2 * n)) ] ||
    { echo "demo #$n: ferry.log does not hold a line for each finished run so far" >&2; exit 1; }
  if grep -q '"msg":"model failed"' "$dir/data/ferry.log"; then echo "demo #$n: a model failed" >&2; grep '"msg":"model failed"' "$dir/data/ferry.log" >&2; exit 1; fi
  # The destination lives in the demo tenant's data directory; the demo prints the sqlite3 command to query it.
  local destination
  destination=$(grep -oE "sqlite3 [^ ]+/demo-destination.db" "$out" | head -1 | cut -d' ' -f2)
  case "$destination" in "$dir"/data/data/*/demo-destination.db) ;; *)
    echo "demo #$n: the destination is not in the tenant's data directory: '$destination'" >&2; exit 1 ;; esac
  local rows
  rows=$(sqlite3 "$destination" 'SELECT count(*) FROM "hris.Employee"')
  [ "$rows" -gt 7900 ] || { echo "demo #$n: destination has $rows employees" >&2; exit 1; }
  echo "$destination"
}

first=$(run_demo 1)
second=$(run_demo 2)
[ "$first" = "$second" ] || { echo "the second demo changed tenant: $first vs $second"; exit 1; }
# The first demo's API key was revoked when the second started clean; the second's works.
key1=$(grep -oE "FERRY_KEY=[^ ]+" out1.txt | cut -d= -f2)
key2=$(grep -oE "FERRY_KEY=[^ ]+" out2.txt | cut -d= -f2)
[ "$key1" != "$key2" ] || { echo "the second demo printed the first demo's key"; exit 1; }
tenant=$(cat "$dir/data/demo-tenant")
live=$(sqlite3 "$dir/data/ferry.db" "SELECT count(*) FROM api_keys WHERE tenant_id = '$tenant' AND revoked_at IS NULL")
syncs=$(sqlite3 "$dir/data/ferry.db" "SELECT count(*) FROM syncs WHERE tenant_id = '$tenant'")
[ "$live" = 1 ] && [ "$syncs" = 1 ] ||
  { echo "after two demos the tenant has $live live keys and $syncs syncs (want 1 and 1)"; exit 1; }
echo "demo --once passed twice in one directory"
