#!/usr/bin/env bash
test_description=re-running\ a\ date\ or\ a\ range\ leaves\ exactly\ one\ copy\ of\ each\ row
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd jq sqlite3

. "$TEST_DIRECTORY/lib/drop-fixture.sh"

test_expect_success 'setup: one clean run' '
	make_drop drop &&
	{ bf-extract --source drop --all --state clean.db 2>/dev/null || test $? = 1; } |
		bf-load --target clean.w --state clean.db >/dev/null &&
	wh_sum clean.w >clean.sum &&
	test "$(sqlite3 clean.w "SELECT count(*) FROM order_details")" = 9
'

test_expect_success 're-running the whole range with --force changes nothing' '
	{ bf-extract --source drop --all --state clean.db --force 2>/dev/null || test $? = 1; } |
		bf-load --target clean.w --state clean.db >/dev/null &&
	test "$(wh_sum clean.w)" = "$(cat clean.sum)"
'

test_expect_success 're-running without --force skips everything and changes nothing' '
	bf-extract --source drop --all --state clean.db >none 2>err &&
	test ! -s none &&
	grep "skipped 10 partitions" err &&
	bf-load --target clean.w --state clean.db <none >/dev/null &&
	test "$(wh_sum clean.w)" = "$(cat clean.sum)"
'

test_expect_success 'date by date, some twice, in another order, gives the same warehouse' '
	for d in 2024-04-03 2024-04-01 2024-04-05 2024-04-01 2024-04-02 2024-04-04 2024-04-03; do
		{ bf-extract --source drop --date $d --force --state step.db 2>/dev/null || test $? = 1; } |
			bf-load --target step.w --state step.db >/dev/null || return 1
	done &&
	test "$(wh_sum step.w)" = "$(cat clean.sum)"
'

test_expect_success 'overlapping ranges give the same warehouse' '
	{ bf-extract --source drop --start-date 2024-04-01 --end-date 2024-04-03 --state r.db 2>/dev/null || test $? = 1; } |
		bf-load --target r.w --state r.db >/dev/null &&
	{ bf-extract --source drop --start-date 2024-04-02 --end-date 2024-04-05 --force --state r.db 2>/dev/null || test $? = 1; } |
		bf-load --target r.w --state r.db >/dev/null &&
	test "$(wh_sum r.w)" = "$(cat clean.sum)"
'

test_expect_success 'loading the same saved messages twice gives the same warehouse' '
	{ bf-extract --source drop --all --state saved.db >saved 2>/dev/null || test $? = 1; } &&
	bf-load --target saved.w --state saved.db <saved >/dev/null &&
	bf-load --target saved.w --state saved.db <saved >/dev/null &&
	test "$(wh_sum saved.w)" = "$(cat clean.sum)"
'

test_done
