#!/usr/bin/env bash
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
test_description='bf-run: two runs on one state file share the work and never take the same date'
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd sqlite3 jq

test_expect_success 'setup' '
	for loc in 101 202; do
		for i in $(seq 0 29); do
			d=$(date -u -d "2024-03-01 +$i day" +%Y%m%d) &&
			mkdir -p src/$loc/$d &&
			printf "OrderId,Total\n${loc}${d}1,1.00\n${loc}${d}2,2.00\n" >src/$loc/$d/Orders.csv || return 1
		done
	done
'

test_expect_success 'two concurrent runs: each date done once, by one of them' '
	{ bf-run --source src --target w.db --all -j 2 --log a.json -q & a=$!; } &&
	{ bf-run --source src --target w.db --all -j 2 --newest-first --log b.json -q & b=$!; } &&
	wait $a && wait $b &&
	test "$(sqlite3 state.db "select count(*) from partitions where attempts <> 1")" = 0 &&
	test "$(sqlite3 state.db "select count(*) from partitions")" = 60 &&
	pa=$(jq .summary.processed a.json) && pb=$(jq .summary.processed b.json) &&
	test $((pa + pb)) = 30 &&
	test "$(sqlite3 state.db "select count(*) from (select date from run_dates group by date having count(*) > 1)")" = 0 &&
	test "$(sqlite3 w.db "select count(*) from orders")" = 120
'

test_expect_success 'a dead holder'\''s claim does not block the date' '
	sqlite3 state.db "update partitions set status = '\''failed'\'' where date = '\''2024-03-05'\'';
		insert into claims values ((select source from partitions limit 1), '\''2024-03-05'\'', 1, 999999, '\''$(hostname)'\'', '\''x'\'', strftime('\''%s'\'', '\''now'\'') + 600)" &&
	bf-run --source src --target w.db --all --log c.json -q &&
	jq -e ".summary.processed == 1" c.json
'

test_expect_success 'a live holder'\''s claim is respected until it expires' '
	sleep 60 & holder=$! &&
	sqlite3 state.db "update partitions set status = '\''failed'\'' where date = '\''2024-03-06'\'';
		insert into claims values ((select source from partitions limit 1), '\''2024-03-06'\'', 1, $holder, '\''$(hostname)'\'', '\''x'\'', strftime('\''%s'\'', '\''now'\'') + 2)" &&
	bf-run --source src --target w.db --all -n >plan &&
	grep "2024-03-06.*claimed by another run" plan &&
	bf-run --source src --target w.db --all --log d.json -q &&
	kill $holder &&
	jq -e ".summary.processed == 1" d.json
'

test_done
