#!/usr/bin/env bash
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
test_description='smaller truths: --dry-run fails where the run would, the throughput alert leaves closed days out, run times below a second, bf-run --help'
. "$(dirname "$0")/../lib/test-lib.sh"

. "$TEST_DIRECTORY/lib/run-fixture.sh"

test_expect_success 'setup' '
	run_drop src 8 101 300 20240106
'

test_expect_success '--dry-run refuses a state file the run cannot open, with the same exit code' '
	echo hello >garbage.db && mkdir dir.db &&
	for s in garbage.db dir.db nodir/state.db; do
		{ bf-run --source src --target w.db --all --state "$s" --no-log -q 2>real.err; real=$?; } &&
		{ bf-run --source src --target w.db --all --state "$s" --dry-run >plan.out 2>dry.err; dry=$?; } &&
		echo "$s: run $real, dry run $dry" &&
		test "$real" -ne 0 && test "$dry" = "$real" &&
		! grep "new" plan.out || return 1
	done &&
	test "$(cat garbage.db)" = hello && test ! -e nodir
'

test_expect_success SQLITE3,JQ 'the throughput alert leaves closed and empty days out' '
	bf-run --source src --target w.db --all -j 1 --batch-size 1 --alert-throughput-drop 97 --log tp.json 2>tp.err &&
	test "$(sqlite3 "$BF_STATE" "select status from partitions where date = '\''2024-01-06'\''")" = closed &&
	jq -e "[.alerts[] | select(.kind == \"throughput_drop\")] == []" tp.json &&
	! grep "throughput dropped" tp.err
'

test_expect_success SQLITE3,JQ 'bf-report shows a run of less than a second as it was, not 0.0 s' '
	bf-run --source src --target w.db --dates 2024-01-02 --force --no-closure --no-enrich -q --log short.json &&
	ms=$(sqlite3 "$BF_STATE" "select duration_ms from runs where run_id = (select max(run_id) from runs where stage = '\''run'\'')") &&
	test "$ms" -gt 0 &&
	bf-report summary --json >sum.json &&
	jq -e --argjson ms "$ms" ".runs[-1].duration_s == (\$ms / 1000)" sum.json &&
	bf-report summary >sum.txt &&
	want=$(awk -v ms="$ms" "BEGIN { printf \"%.1fs\", ms / 1000 }") &&
	grep -E "^ +$(jq .runs[-1].run_id sum.json) +[0-9T:Z-]+ +0 +$want " sum.txt
'

test_expect_success 'bf-run --help: PCT% as it is, the exit codes once, examples' '
	bf-run --help >help.out &&
	grep -F -- "--alert-failure-rate PCT     alert when PCT% of processed dates failed" help.out &&
	! grep -F "%%" help.out &&
	test "$(grep -c "^  75 " help.out)" = 1 &&
	! grep -i "^exit status [0-9]" help.out &&
	grep "^Examples:" help.out &&
	grep "^  bf-run --source .*--dry-run$" help.out &&
	grep -e "--breaker-failures N" help.out && grep -e "--batch-seconds S" help.out
'

test_done
