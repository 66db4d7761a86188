#!/usr/bin/env bash
# bf-run --shard's overhead: the same drop (DAYS dates, ORDERS orders a day, 1 location)
# backfilled into one SQLite target by 1, 2 and 3 shards running at once on this machine,
# each with its own state file. On a 2-core machine there is no speed-up to expect past
# the cores; the point is the total work: the CPU seconds (user + system, every process)
# of the sharded runs against the single run's (target: within 10%). The single run has
# WORKERS pipelines at once, each shard WORKERS / N (at least 1). Then bf-closure
# --rejudge over the three shards' state files (the closure pass of docs/DESIGN.md 1.3):
# its time, and how many verdicts it changed.
# Environment: BF_BUILD (default build/), DAYS (432), ORDERS (3000), WORKERS (2),
# SHARDS ("1 2 3"). Prints one "name value unit" line per figure; exits 1 when a sharded
# run's CPU is more than 10% over the single run's.
# Usage: tests/bench/b75-shard.sh [WORKDIR]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${BF_BUILD:-$src/build}
days=${DAYS:-432} orders=${ORDERS:-3000} workers=${WORKERS:-2} shards=${SHARDS:-1 2 3}
if [ $# -ge 1 ]; then
	work=$1
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/bf-b75.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi
cd "$work"
export LC_ALL=C TZ=UTC
unset BF_EXEC_PATH
fail=0

echo "# b75-shard: $days days x $orders orders/day, 1 location, $workers workers in all, in $work"
if [ ! -f drop/manifest.json ] || [ "$(jq -r '.days' drop/manifest.json)" != "$days" ] ||
	[ "$(jq -r '.orders_per_day' drop/manifest.json)" != "$orders" ]; then
	rm -rf drop
	"$build/bf-sample" --out drop --seed 1 --days "$days" --orders-per-day "$orders" --locations 1 --quiet
fi

# run N: N shards at once into w.db, each its own state file; prints "wall user sys"
run() {
	local n=$1 j k
	j=$((workers / n))
	[ "$j" -ge 1 ] || j=1
	rm -f w.db* s*.db* time.out
	if [ "$n" = 1 ]; then
		/usr/bin/time -f '%e %U %S' -o time.out "$build/bf-run" --source drop --target w.db --all \
			--max-workers "$j" --state s1.db --no-log -q
	else
		# shellcheck disable=SC2016
		/usr/bin/time -f '%e %U %S' -o time.out bash -c '
			n=$1 j=$2 b=$3; st=0
			for k in $(seq 1 "$n"); do
				"$b/bf-run" --source drop --target w.db --all --max-workers "$j" --shard "$k/$n" \
					--state "s$k.db" --no-log -q &
			done
			for k in $(seq 1 "$n"); do wait -n || st=$?; done
			exit $st' bash "$n" "$j" "$build"
	fi
	cat time.out
}

base_cpu=
for n in $shards; do
	read -r wall user sys < <(run "$n" | tail -1)
	rows=$(sqlite3 w.db "select sum(rows) from _bf_loads")
	parts=0
	for k in $(seq 1 "$n"); do
		parts=$((parts + $(sqlite3 "s$k.db" "select count(*) from partitions where status in ('loaded', 'closed')")))
	done
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	[ -n "$base_cpu" ] || base_cpu=$cpu
	awk -v n="$n" -v w="$wall" -v c="$cpu" -v b="$base_cpu" -v r="$rows" -v p="$parts" 'BEGIN {
		printf "shards_%d cpu %.2f s (%.3f of 1 shard), wall %.2f s, %d rows, %d partitions\n",
			n, c, c / b, w, r, p }'
	awk -v c="$cpu" -v b="$base_cpu" 'BEGIN { exit c > 1.10 * b }' || fail=1
	if [ "$n" -gt 1 ]; then
		files=()
		for k in $(seq 1 "$n"); do files+=("s$k.db"); done
		/usr/bin/time -f '%e %U %S' -o time.out "$build/bf-closure" --rejudge --history h.db "${files[@]}" \
			>changed.tsv 2>/dev/null
		read -r rw ru rs <time.out
		awk -v n="$n" -v w="$rw" -v u="$ru" -v s="$rs" -v c="$(wc -l <changed.tsv)" -v p="$parts" 'BEGIN {
			printf "rejudge_%d %.2f s wall, %.2f s cpu, %d of %d verdicts changed\n", n, w, u + s, c, p }'
	fi
done
exit $fail
