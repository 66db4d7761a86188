#!/usr/bin/env bash
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
test_description='bf-run: stages and bf-run itself killed at random moments, re-run until done, same target'
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd sqlite3

# 20 seeds; the sanitizer run (BF_TEST_SANITIZE=1) checks memory, not volume, with 5.
SEEDS=${BF_TEST_SEEDS:-20}
[ "${BF_TEST_SANITIZE:-0}" = 1 ] && SEEDS=${BF_TEST_SEEDS:-5}

mkdrop() {
	local loc i d r
	for loc in 101 202; do
		for i in $(seq 0 $(($2 - 1))); do
			d=$(date -u -d "2024-01-01 +$i day" +%Y%m%d)
			mkdir -p "$1/$loc/$d"
			{
				echo "OrderId,Total,Note"
				for r in $(seq 1 $((i % 7 + 20))); do echo "$loc$d$r,$r.50,n$r"; done
			} >"$1/$loc/$d/Orders.csv"
		done
	done
}

# the target's content, whatever the order rows were loaded in
target_sum() {
	sqlite_checksum "$1" "select _bf_location, _bf_date, order_id, total, note from orders"
}

test_expect_success 'setup: 60 dates, one clean run' '
	mkdrop src 60 &&
	BF_STATE=$PWD/clean-state.db bf-run --source src --target clean.db --all --batch-size 20 --no-log -q &&
	target_sum clean.db >clean.sum &&
	test "$(sqlite3 clean.db "select count(distinct _bf_date) from orders")" = 60
'

# killer SEED STATE: SIGKILLs stages (and bf-run) at random moments until bf-run is gone
killer() {
	local seed=$1 n=0 victims
	RANDOM=$seed
	while kill -0 "$runpid" 2>/dev/null; do
		sleep "0.0$((RANDOM % 9 + 1))"
		n=$((n + 1))
		if [ $((RANDOM % 12)) -eq 0 ]; then
			kill -KILL "$runpid" 2>/dev/null
			return 0
		fi
		victims=$(pgrep -P "$runpid" 2>/dev/null) || continue
		set -- $victims
		[ $# -gt 0 ] || continue
		shift $((RANDOM % $#))
		kill -KILL "$1" 2>/dev/null
	done
	return 0
}

for seed in $(seq 1 "$SEEDS"); do
	test_expect_success "seed $seed: killed at random, re-run until done, same target" '
		rm -f state.db* t.db* &&
		tries=0 &&
		while :; do
			tries=$((tries + 1)) &&
			{ bf-run --source src --target t.db --all -j 3 --batch-size $((seed % 3 * 5 + 10)) \
				--no-log -q & runpid=$!; } &&
			if [ $tries -le 3 ]; then killer $((seed * 100 + tries)); fi &&
			if wait $runpid; then break; fi &&
			test $tries -lt 15 || return 1
		done &&
		test "$(target_sum t.db)" = "$(cat clean.sum)" &&
		test "$(sqlite3 -cmd ".timeout 30000" state.db "select count(*) from partitions where status not in ('\''loaded'\'','\''closed'\'','\''pending'\'')")" = 0 &&
		echo "seed $seed: $tries runs"
	'
done

test_expect_success 'a bf-run killed outright is ended by the next run like any run: exit 75, its time to its last progress, its progress finished' '
	k=$PWD/k-state.db &&
	{ bf-run --state "$k" --source src --target k.db --all -j 1 --batch-size 1 --no-log -q & runpid=$!; } &&
	wait_until "test \"\$(sqlite3 \"$k\" \"select max(partitions_done) from run_progress\" 2>/dev/null)\" -ge 4" 60 &&
	kill -KILL $runpid; wait $runpid;
	wait_until "! pgrep -f \"$k\" >/dev/null" 60 &&
	id=$(sqlite3 -cmd ".timeout 30000" "$k" "select run_id from runs where stage = \"run\"") &&
	test "$(sqlite3 -cmd ".timeout 30000" "$k" "select count(*) from runs where run_id = $id and exit_code is null")" = 1 &&
	bf-run --state "$k" --source src --target k.db --all --no-log -q &&
	test "$(sqlite3 -cmd ".timeout 30000" "$k" "select exit_code, duration_ms > 0, finished_at >= started_at from runs where run_id = $id")" = "75|1|1" &&
	test "$(sqlite3 -cmd ".timeout 30000" "$k" "select state from run_progress where run_id = $id")" = finished &&
	test "$(sqlite3 -cmd ".timeout 30000" "$k" "select count(*) from errors where run_id = $id and exit_code = 75")" = 1 &&
	test "$(target_sum k.db)" = "$(cat clean.sum)"
'

test_done
