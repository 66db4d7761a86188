#!/usr/bin/env bash
test_description=SIGKILL\ of\ bf-load\ mid-load\,\ then\ a\ re-run\,\ gives\ the\ warehouse\ of\ one\ clean\ run
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd jq sqlite3

. "$TEST_DIRECTORY/lib/drop-fixture.sh"

test_expect_success 'setup: messages and one clean run' '
	if command -v bf-sample >/dev/null; then
		bf-sample --out drop --seed 3 --days 12 --orders-per-day 60 --locations 2 --defects all >/dev/null
	else
		make_drop drop
	fi &&
	{ bf-extract --source drop --all --state ex.db >msgs 2>/dev/null || test $? = 1; } &&
	bf-load --target clean.w --state clean.db <msgs >/dev/null &&
	wh_sum clean.w >clean.sum &&
	nstates=$(grep -c "\"type\":\"STATE\"" msgs) &&
	test "$nstates" -ge 8
'

# kill_after_states N DIR: starts bf-load on msgs, SIGKILLs it once N STATE lines are on its
# stdout (i.e. N partitions committed), then re-runs it on all of msgs.
kill_after_states() {
	local n=$1 d=$2
	mkdir -p "$d" &&
	mkfifo "$d/out" &&
	{ bf-load --target "$d/w" --state "$d/s.db" <msgs >"$d/out" 2>/dev/null & } &&
	pid=$! &&
	{ head -n "$n" >"$d/seen" && kill -9 $pid; } <"$d/out" &&
	{ wait $pid; test $? = 137; } &&
	test "$(wc -l <"$d/seen")" = "$n" &&
	bf-load --target "$d/w" --state "$d/s.db" <msgs >/dev/null &&
	test "$(wh_sum "$d/w")" = "$(cat clean.sum)"
}

test_expect_success 'killed after the first STATE' 'kill_after_states 1 k1'
test_expect_success 'killed after three STATEs' 'kill_after_states 3 k3'
test_expect_success 'killed after all but one STATE' 'kill_after_states $((nstates - 1)) klast'

# kill_at_byte OFFSET DIR: feeds bf-load the first OFFSET bytes of msgs through a pipe held
# open, waits until it has read them, SIGKILLs it, then re-runs it on everything.
kill_at_byte() {
	local off=$1 d=$2
	mkdir -p "$d" &&
	mkfifo "$d/in" &&
	{ bf-load --target "$d/w" --state "$d/s.db" <"$d/in" >/dev/null 2>&1 & } &&
	pid=$! &&
	exec 7>"$d/in" &&
	head -c "$off" msgs >&7 &&
	# wait until bf-load has read everything we wrote (its read offset on the fifo is gone;
	# poll its rchar instead)
	for i in $(seq 1 200); do
		test "$(sed -n "s/^rchar: //p" /proc/$pid/io 2>/dev/null || echo 0)" -ge "$off" && break
		sleep 0.05
	done &&
	kill -9 $pid &&
	exec 7>&- &&
	{ wait $pid; test $? = 137; } &&
	bf-load --target "$d/w" --state "$d/s.db" <msgs >/dev/null &&
	test "$(wh_sum "$d/w")" = "$(cat clean.sum)"
}

test_expect_success 'killed at random byte offsets of its input' '
	size=$(stat -c %s msgs) &&
	RANDOM=42 &&
	for k in 1 2 3 4 5; do
		off=$(( (RANDOM * 32768 + RANDOM) % size )) &&
		kill_at_byte $off b$k || return 1
	done
'

test_expect_success 'killed mid-load and re-run through bf-extract --force as well' '
	mkdir -p kx && mkfifo kx/out &&
	{ bf-load --target kx/w --state kx/s.db <msgs >kx/out 2>/dev/null & } &&
	pid=$! &&
	{ head -n 2 >/dev/null && kill -9 $pid; } <kx/out &&
	{ wait $pid || true; } &&
	{ bf-extract --source drop --all --force --state kx/s.db 2>/dev/null || test $? = 1; } |
		bf-load --target kx/w --state kx/s.db >/dev/null &&
	test "$(wh_sum kx/w)" = "$(cat clean.sum)"
'

test_done
