#!/usr/bin/env bash
# bf-serve benchmark: requests per second and p50/p99 latency of GET /api/backfill with 16
# keep-alive connections on loopback (bf-hammer), while the machine is idle and while a
# backfill runs (bf-run with 2 workers), beside the same endpoint served by Python's
# http.server (ThreadingHTTPServer, sqlite3, the same queries: py-backfill-server.py)
# reading the same state file. Targets: bf-serve >= 10x Python's requests/s in both
# periods; bf-serve's p99 < 10 ms while the backfill runs.
# Environment: BF_BUILD (default build/), DAYS (300), ORDERS (400 a day), SECS (5 s per
# measurement). Prints one "name value unit" line per figure; exits 1 when a target is
# missed.
# Usage: tests/bench/b90-serve.sh [WORKDIR]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${BF_BUILD:-$src/build}
days=${DAYS:-300} orders=${ORDERS:-400} secs=${SECS:-5}
if [ $# -ge 1 ]; then
	work=$1
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/bf-b90.XXXXXX")
fi
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || :; done
	wait 2>/dev/null || :
	[ $# -ge 1 ] || rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export LC_ALL=C TZ=UTC PATH="$build:$PATH"
. "$src/tests/servers/freeport.sh"
fail=0
token=bench-$$-token
printf '%s\n' "$token" >token && chmod 600 token

echo "# b90-serve: $days days x $orders orders/day, 2 locations; ${secs}s per measurement, 16 connections"
bf-sample --out drop --seed 1 --days "$days" --orders-per-day "$orders" --locations 2 --quiet
bf-run --source drop --target w.db --all --state idle.db --no-log -q
src_canon=$(cd drop && pwd -P)

# hammer URL: one measurement, its JSON line on stdout
hammer() { bf-hammer -c 16 -n 100000000 -t "$secs" -H "Authorization: Bearer $token" "$1/api/backfill" || :; }
num() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1"; }
start_bf() {  # start_bf STATE [bf-serve args]: sets BF_URL
	local port state=$1
	shift
	port=$(free_port)
	bf-serve --listen "127.0.0.1:$port" --token-file token --source drop --target w.db --state "$state" \
		--log-dir . -q "$@" &
	pids+=($!)
	BF_PID=$!
	BF_URL=http://127.0.0.1:$port
	wait_for_port 127.0.0.1 "$port" 20
}
start_py() {  # start_py STATE: sets PY_URL
	local port
	port=$(free_port)
	python3 "$src/tests/bench/py-backfill-server.py" "$port" "$1" token "$src_canon" &
	pids+=($!)
	PY_PID=$!
	PY_URL=http://127.0.0.1:$port
	wait_for_port 127.0.0.1 "$port" 20
}
report() {  # report NAME FILE
	echo "$1_rps $(num "$2" rps) req/s"
	echo "$1_p50 $(num "$2" p50_ms) ms"
	echo "$1_p99 $(num "$2" p99_ms) ms"
	echo "$1_errors $(num "$2" errors) requests"
}

# idle: the finished backfill's state file
start_bf idle.db
start_py idle.db
hammer "$BF_URL" >bf-idle.json
hammer "$PY_URL" >py-idle.json
kill "$BF_PID" "$PY_PID"
report serve_idle bf-idle.json
report python_idle py-idle.json

# during a backfill: each server's own fresh state file, a bf-run working on it meanwhile
cp -r drop drop2
busy() {  # busy STATE URL OUT: runs a backfill into STATE while hammering URL
	rm -f "$1"-busy.db
	bf-run --source drop --target "busy-$1.db" --all --state "$1" --no-log -q --force &
	local run=$!
	pids+=($run)
	# measure once the run has started its pipelines
	for _ in $(seq 100); do [ -s "$1" ] && break; sleep 0.05; done
	sleep 1
	hammer "$2" >"$3"
	kill -0 "$run" 2>/dev/null || echo "# warning: the backfill ended before the measurement did" >&2
	wait "$run" || :
}
cp idle.db bf-busy.db && rm -f bf-busy.db-wal bf-busy.db-shm
cp idle.db py-busy.db && rm -f py-busy.db-wal py-busy.db-shm
start_bf bf-busy.db
busy bf-busy.db "$BF_URL" bf-busy.json
start_py py-busy.db
busy py-busy.db "$PY_URL" py-busy.json
kill "$BF_PID" "$PY_PID"
report serve_backfill bf-busy.json
report python_backfill py-busy.json

ratio() { echo "scale=1; $(num "$1" rps) / $(num "$2" rps)" | bc; }
ri=$(ratio bf-idle.json py-idle.json)
rb=$(ratio bf-busy.json py-busy.json)
echo "ratio_idle $ri x"
echo "ratio_backfill $rb x"
p99=$(num bf-busy.json p99_ms)
[ "$(echo "$ri >= 10" | bc)" = 1 ] || { echo "# target missed: idle ratio $ri < 10"; fail=1; }
[ "$(echo "$rb >= 10" | bc)" = 1 ] || { echo "# target missed: backfill ratio $rb < 10"; fail=1; }
[ "$(echo "$p99 < 10" | bc)" = 1 ] || { echo "# target missed: p99 during the backfill $p99 ms >= 10"; fail=1; }
for f in bf-idle.json bf-busy.json; do
	[ "$(num $f errors)" = 0 ] || { echo "# errors in $f"; fail=1; }
done
exit $fail
