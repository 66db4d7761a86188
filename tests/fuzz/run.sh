#!/usr/bin/env bash
# Runs each fuzz target named on the command line for $FUZZ_SECONDS (default 20) from
# its seeds (tests/fuzz/seeds/<name>/, and a dictionary tests/fuzz/<name>.dict if there
# is one), keeping the corpus it grows in $BF_BUILD/fuzz/corpus/<name>/. A target that
# finds a failing input fails the run; the input is kept as
# $BF_BUILD/fuzz/findings/<name>-crash-*, to replay with $BF_BUILD/fuzz/<name> FILE.
# `make fuzz` calls this with every target it built.
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd -P)
build=${BF_BUILD:-$src/build}
seconds=${FUZZ_SECONDS:-20}
[ $# -gt 0 ] || { echo "usage: $0 fuzz_NAME..." >&2; exit 2; }

mkdir -p "$build/fuzz/findings" "$build/fuzz/logs"
failed=()
for name in "$@"; do
	bin=$build/fuzz/$name
	[ -x "$bin" ] || { echo "fuzz: $bin is not built" >&2; exit 2; }
	corpus=$build/fuzz/corpus/$name
	seeds=$src/tests/fuzz/seeds/$name
	log=$build/fuzz/logs/$name.log
	mkdir -p "$corpus"
	args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
		-artifact_prefix="$build/fuzz/findings/$name-")
	[ -f "$src/tests/fuzz/$name.dict" ] && args+=(-dict="$src/tests/fuzz/$name.dict")
	dirs=("$corpus")
	[ -d "$seeds" ] && dirs+=("$seeds")
	if "$bin" "${args[@]}" "${dirs[@]}" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
		printf 'fuzz: %-16s ok  %8s runs in %ss, %s, corpus %s\n' "$name" "${runs:-?}" \
			"$seconds" "${cov:-cov: ?}" "$(find "$corpus" -type f | wc -l)"
	else
		failed+=("$name")
		printf 'fuzz: %-16s FAILED (log: %s)\n' "$name" "$log"
		grep -v '^#[0-9]' "$log" | tail -n 40 | sed 's/^/    /'
	fi
done
if [ "${#failed[@]}" -gt 0 ]; then
	echo "fuzz: failed: ${failed[*]}; findings in $build/fuzz/findings/" >&2
	exit 1
fi
