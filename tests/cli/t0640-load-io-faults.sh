#!/usr/bin/env bash
test_description='bf-load on a failing disk: a failed write or sync is exit 74, never 0; the run is recorded as finished or marked interrupted by the next run; a plain re-run recovers'
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd sqlite3

. "$TEST_DIRECTORY/lib/drop-fixture.sh"

INJECT=$BF_BUILD/tests/inject-io.so
test -f "$INJECT" || test_skip_all "no $INJECT (make builds it)"
# the library is not instrumented: let it come before the sanitizer's runtime
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"

loads() { sqlite3 "$1" "SELECT location, date, rows, status FROM _bf_loads ORDER BY 1, 2"; }

# load_with OP:N ...: bf-load of msgs into f/ with those faults on f/'s files; exit code in $code
load_with() {
	rm -rf f && mkdir f &&
	{ LD_PRELOAD=$INJECT BF_INJECT_MATCH=$PWD/f/ BF_INJECT_FAIL=$1 \
		bf-load -q --target "$PWD/f/w.db" --state "$PWD/f/s.db" <msgs >f/out 2>f/err; code=$?; }
}

# after_fault OP:N: the outcome of load_with OP:N is one bf-load may have
after_fault() {
	local run
	run=$(sqlite3 f/s.db "SELECT coalesce(exit_code, 'null') FROM runs WHERE stage = 'load'" 2>/dev/null)
	case $code in
	0)
		test "$(wh_sum f/w.db)" = "$(cat want.sum)" && loads f/w.db | cmp -s - want.loads &&
			test "$run" = 0 && test_line_count = "$(wc -l <want.out)" f/out ||
			{ echo "$1: exit 0 but the warehouse or the run differs (run: $run)"; return 1; }
		;;
	74)
		# recorded as 74, or not at all (no row yet, or no end: the next run marks it), or,
		# when only the state file's last sync failed, as it was written before that sync
		grep -q "^bf-load: " f/err && case "$run" in "" | 74 | null) ;; 0) grep -q "s.db:" f/err ;; *) false ;; esac ||
			{ echo "$1: exit 74, run recorded as '$run'"; cat f/err; return 1; }
		;;
	*)
		echo "$1: exit $code"
		cat f/err
		return 1
		;;
	esac
}

# recovered: a plain re-run without faults marks a run left open and loads everything
recovered() {
	bf-load -q --target "$PWD/f/w.db" --state "$PWD/f/s.db" <msgs >/dev/null &&
	test "$(sqlite3 f/s.db "SELECT count(*) FROM runs WHERE exit_code IS NULL")" = 0 &&
	test "$(wh_sum f/w.db)" = "$(cat want.sum)" && loads f/w.db | cmp -s - want.loads
}

test_expect_success 'setup: a drop, its messages, a clean load, the calls a load makes' '
	bf-sample --out drop --seed 7 --days 5 --orders-per-day 40 --locations 2 --quiet &&
	{ bf-extract -q --source drop --all --state ext.db >msgs || test $? = 1; } &&
	bf-load -q --target clean.db --state clean-s.db <msgs >want.out &&
	wh_sum clean.db >want.sum && loads clean.db >want.loads &&
	test_line_count = 10 want.loads &&
	mkdir c &&
	LD_PRELOAD=$INJECT BF_INJECT_MATCH=$PWD/c/ BF_INJECT_COUNT=$PWD/count \
		bf-load -q --target "$PWD/c/w.db" --state "$PWD/c/s.db" <msgs >/dev/null &&
	read -r _ W _ F _ C <count && echo "$W writes, $F syncs, $C closes" &&
	test "$W" -gt 100 && test "$F" -gt 10
'

test_expect_success 'a write failing at any point: exit 74 or a complete load, never exit 0 with less' '
	read -r _ W _ F _ C <count &&
	n=1 && step=1 && fails=0 &&
	while [ "$n" -le "$W" ]; do
		load_with "write:$n" && after_fault "write:$n" || return 1
		if [ "$code" = 74 ]; then fails=$((fails + 1)); fi
		n=$((n + step)) && step=$((step * 3 / 2 + 1))
	done &&
	for n in $((W - 2)) $((W - 1)) "$W"; do
		load_with "write:$n" && after_fault "write:$n" || return 1
		if [ "$code" = 74 ]; then fails=$((fails + 1)); fi
	done &&
	echo "$fails runs failed with 74" && test "$fails" -gt 5
'

test_expect_success 'a sync failing at any point, the last ones included (the checkpoint, the run record)' '
	read -r _ W _ F _ C <count &&
	fails=0 &&
	for n in $(seq 1 "$F"); do
		load_with "fsync:$n" && after_fault "fsync:$n" || return 1
		if [ "$code" = 74 ]; then fails=$((fails + 1)); fi
	done &&
	echo "$fails of $F runs failed with 74" && test "$fails" = "$F"
'

test_expect_success 'the run record itself failing: exit 74, and the next run marks it interrupted' '
	read -r _ W _ F _ C <count &&
	n=$W && open=0 &&
	while [ "$n" -gt $((W - 20)) ] && [ "$open" != 1 ]; do
		load_with "write:$n" && test "$code" = 74 || return 1
		open=$(sqlite3 f/s.db "SELECT count(*) FROM runs WHERE stage = \"load\" AND exit_code IS NULL") &&
		n=$((n - 1))
	done &&
	echo "the end of the run not written at write:$((n + 1))" && test "$open" = 1 &&
	recovered &&
	sqlite3 f/s.db "SELECT exit_code, finished_at IS NOT NULL FROM runs ORDER BY run_id" >runs &&
	printf "75|1\n0|1\n" >want && test_cmp want runs &&
	sqlite3 f/s.db "SELECT stage, exit_code, message FROM errors" >errors &&
	grep "^load|75|interrupted" errors
'

test_expect_success 'after any fault a plain re-run loads everything and leaves no run open' '
	read -r _ W _ F _ C <count &&
	for f in write:1 write:40 "write:$((W / 2))" "write:$((W - 3))" fsync:1 "fsync:$((F / 2))" "fsync:$F"; do
		load_with "$f" && recovered || { echo "after $f"; return 1; }
	done
'

test_expect_success 'closes failing: what SQLite closes after its syncs loses nothing (exit 0, all there)' '
	read -r _ W _ F _ C <count &&
	for n in $(seq 1 "$C"); do
		load_with "close:$n" && after_fault "close:$n" || return 1
	done
'

test_expect_success 'standard output failing to be written or closed is 74' '
	{ LD_PRELOAD=$INJECT BF_INJECT_MATCH=$PWD/o.out BF_INJECT_FAIL=write:1 \
		bf-load -q --target o1.db --state o.db <msgs >o.out 2>err; code=$?; } &&
	test "$code" = 74 && grep -i "stdout" err &&
	{ LD_PRELOAD=$INJECT BF_INJECT_MATCH=$PWD/o.out BF_INJECT_FAIL=close:1 \
		bf-load -q --target o2.db --state o.db <msgs >o.out 2>err; code=$?; } &&
	test "$code" = 74 && grep -i "stdout" err
'

test_done
