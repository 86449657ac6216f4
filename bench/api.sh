#!/usr/bin/env bash
# The control plane's read throughput: wrk against /healthz and the status routes of all five surfaces
# (native, Merge, Stuut, Airweave, Polytomic) while a sync runs, each route's req/s and p99 beside /healthz's
# measured in the same run.
#   bench/api.sh                      builds build-bench/ (RelWithDebInfo, -DFERRY_BENCH=ON) and measures it
#   FERRY_BIN=/path/to/ferry bench/api.sh   measures that binary instead (same CLI)
#   WRK_DURATION=8s WRK_CONNECTIONS=32 WRK_THREADS=2   wrk's settings (defaults shown)
#   WRK_DISTINCT=1 bench/api.sh       every request carries a header of its own (X-Bench-Request: n), so none
#                                     is answered from the response cache (src/api/response_cache.h): what a
#                                     poll costs when the cache misses. By default each route repeats one
#                                     request, as an SDK polling one sync does, and the cache answers all but
#                                     the first after each commit (the running sync commits every 50 ms).
#   PERF_DIR=DIR bench/api.sh         also records `perf record -g` of ferry during each route, DIR/<n>.data
#                                     (PERF_ARGS="--call-graph dwarf" for stacks through code without frame pointers)
# The sync that runs is a REST connection to a local pager that answers each page of 100 records after
# 50 ms, so the run stays `running` (committing a batch, its counts and a heartbeat to the store every page)
# for the whole measurement without taking a core from the HTTP threads. Before it, one run of the same sync
# completed, so every status route renders a finished run and an active one.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

duration=${WRK_DURATION:-8s}
connections=${WRK_CONNECTIONS:-32}
threads=${WRK_THREADS:-2}

if ! command -v wrk >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1 ||
  ! command -v curl >/dev/null 2>&1; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends wrk python3 curl \
    >/dev/null
fi

if [ -z "${FERRY_BIN:-}" ]; then
  scripts/setup.sh build-bench -DFERRY_BENCH=ON >/dev/null
  FERRY_BIN="$repo/build-bench/ferry"
fi
echo "binary: $FERRY_BIN${WRK_DISTINCT:+ (WRK_DISTINCT=$WRK_DISTINCT: no request repeats)}"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# ---- the pager the running sync reads: fast until /slow is called, then one page per 50 ms, endless ----
cat >"$work/pager.py" <<'PY'
import json, sys, time, threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlparse, parse_qs
FAST_PAGES, PAGE = 3, 100
slow = threading.Event()
class Pager(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/slow":
            slow.set()
            body = b"{}"
        else:
            page = int(parse_qs(url.query).get("page", ["1"])[0])
            if slow.is_set():
                time.sleep(0.05)
                last = 10**6
            else:
                last = FAST_PAGES
            first = (page - 1) * PAGE + 1
            rows = [] if page > last else [{"id": i, "name": f"employee-{i}"} for i in range(first, first + PAGE)]
            body = json.dumps({"results": rows}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", 0), Pager)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
python3 "$work/pager.py" >"$work/pager.port" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/pager.port" ] && break; sleep 0.05; done
pager="http://127.0.0.1:$(cat "$work/pager.port")"

# ---- ferry, a tenant and its key ----
db="$work/ferry.db"
key=$("$FERRY_BIN" admin create-tenant bench --db "$db" | tail -n1)
"$FERRY_BIN" serve --db "$db" --listen 127.0.0.1:0 --workers 1 --rate-limit 0 \
  --allow-egress 127.0.0.1/32 --shutdown-timeout 2 2>"$work/ferry.log" &
pids+=($!)
ferry_pid=$!
for _ in $(seq 200); do grep -q '"listening"' "$work/ferry.log" 2>/dev/null && break; sleep 0.05; done
address=$(grep -o '"address":"[^"]*"' "$work/ferry.log" | head -n1 | cut -d'"' -f4)
[ -n "$address" ] || { cat "$work/ferry.log"; exit 1; }
base="http://$address"

api() {  # METHOD PATH [BODY] -> the response body; fails on a non-2xx
  curl -sS --fail-with-body -X "$1" "$base$2" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' ${3:+--data "$3"}
}
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

definition='{"name":"pager","base_url":"http://127.0.0.1:1","auth":{"type":"none"},
  "models":[{"model_id":"hris.Employee","path":"/items","records":"/results","primary_key":"id",
    "fields":[{"name":"id","type":"integer"},{"name":"name","type":"string"}],
    "pagination":{"style":"page","page_param":"page","page_size_param":"page_size","page_size":100,
      "start_page":1}}]}'
connection=$(api POST /v1/connections "{\"name\":\"bench\",\"source_type\":\"rest\",
  \"config\":{\"definition\":$definition,\"base_url\":\"$pager\",\"timeout_seconds\":60}}")
connection_id=$(field "['id']" <<<"$connection")
account_token=$(field "['account_token']" <<<"$connection")
sync_id=$(api POST /v1/syncs "{\"connection_id\":\"$connection_id\",
  \"destination\":{\"type\":\"sqlite\",\"config\":{\"path\":\"bench.db\"}}}" | field "['id']")

run_state() { api GET "/v1/runs/$1" | field "['status']"; }
wait_for() {  # RUN_ID STATE...
  local run=$1 state
  shift
  for _ in $(seq 600); do
    state=$(run_state "$run")
    for wanted in "$@"; do [ "$state" = "$wanted" ] && return 0; done
    sleep 0.1
  done
  echo "run $run did not reach $* (it is $state)" >&2
  exit 1
}
first=$(api POST "/v1/syncs/$sync_id/runs" | field "['id']")
wait_for "$first" complete
curl -sS "$pager/slow" >/dev/null
running=$(api POST "/v1/syncs/$sync_id/runs" | field "['id']")
wait_for "$running" running

# ---- wrk, one route at a time ----
cat >"$work/count.lua" <<'LUA'
-- Counts the responses that are not 2xx, per wrk thread, and prints the total after the run. With
-- WRK_DISTINCT set, every request carries a header no other request carries.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end
function init(args)
  non2xx = 0
  sent = 0
end
if os.getenv("WRK_DISTINCT") == "1" then
  function request()
    sent = sent + 1
    wrk.headers["X-Bench-Request"] = thread_id .. "-" .. sent
    return wrk.format()
  end
end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("non2xx") end
  io.write(string.format("NON2XX %d\n", total))
  io.write(string.format("P99US %d\n", latency:percentile(99)))
  io.write(string.format("RPS %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("REQUESTS %d\n", summary.requests))
end
LUA

bearer="Authorization: Bearer $key"
routes=(
  "healthz|/healthz|"
  "native sync|/v1/syncs/$sync_id|$bearer"
  "native sync status|/v1/syncs/$sync_id/status|$bearer"
  "Merge sync-status|/api/hris/v1/sync-status|$bearer|X-Account-Token: $account_token"
  "Stuut syncs list|/v2/integrations/connections/$connection_id/syncs|$bearer"
  "Airweave jobs|/source-connections/$connection_id/jobs|x-api-key: $key"
  "Polytomic sync status|/api/syncs/$sync_id/status|$bearer|X-Polytomic-Version: 2024-02-08"
)

# ferry's CPU time per request (user + system, from /proc) is steadier than req/s on a shared machine:
# it says what a request costs, whatever else the cores were doing.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$ferry_pid/stat"; }
ticks_per_second=$(getconf CLK_TCK)
printf '%-24s %10s %9s %8s %8s %12s\n' route req/s p99_ms ratio non2xx cpu_us/req
healthz_rps=0
for spec in "${routes[@]}"; do
  IFS='|' read -r name path header1 header2 <<<"$spec"
  headers=()
  [ -n "$header1" ] && headers+=(-H "$header1")
  [ -n "${header2:-}" ] && headers+=(-H "$header2")
  # Every route must answer 2xx before it is measured: a fast error is not a fast read.
  status=$(curl -s -o "$work/probe" -w '%{http_code}' "${headers[@]}" "$base$path")
  [[ "$status" == 2* ]] || { echo "$name: $path answered $status $(cat "$work/probe")" >&2; exit 1; }
  perf_pid=""
  if [ -n "${PERF_DIR:-}" ]; then
    mkdir -p "$PERF_DIR"
    # shellcheck disable=SC2086 # PERF_ARGS is a list of options
    perf record -q ${PERF_ARGS:--g} -p "$ferry_pid" -o "$PERF_DIR/$(tr -c 'a-zA-Z0-9\n' _ <<<"$name").data" 2>/dev/null &
    perf_pid=$!
  fi
  ticks_before=$(cpu_ticks)
  out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$work/count.lua" "${headers[@]}" \
    "$base$path")
  ticks_after=$(cpu_ticks)
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" || true
  fi
  rps=$(awk '/^RPS/ {print $2}' <<<"$out")
  p99=$(awk '/^P99US/ {printf "%.2f", $2 / 1000}' <<<"$out")
  non2xx=$(awk '/^NON2XX/ {print $2}' <<<"$out")
  [ "$name" = healthz ] && healthz_rps=$rps
  ratio=$(awk -v a="$rps" -v b="$healthz_rps" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
  requests=$(awk '/^REQUESTS/ {print $2}' <<<"$out")
  cpu_us=$(awk -v t=$((ticks_after - ticks_before)) -v hz="$ticks_per_second" -v n="$requests" \
    'BEGIN {printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0)}')
  printf '%-24s %10s %9s %8s %8s %12s\n' "$name" "$rps" "$p99" "$ratio" "$non2xx" "$cpu_us"
done
state=$(run_state "$running")
echo "the sync's run was $state throughout (run $running)"
[ "$state" = running ] || echo "warning: the run is no longer running; the figures above were not all taken beside it" >&2
