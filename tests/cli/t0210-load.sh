#!/usr/bin/env bash
test_description=bf-load\ into\ SQLite:\ one\ table\ per\ stream\,\ column\ drift\,\ replacement\ of\ a\ partition
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd jq sqlite3

. "$TEST_DIRECTORY/lib/drop-fixture.sh"

test_expect_success 'setup' '
	make_drop drop &&
	{ bf-extract --source drop --all --state s.db >msgs 2>/dev/null || test $? = 1; }
'

test_expect_success 'one table per stream, every record loaded, STATE lines echoed when committed' '
	bf-load --target w.db --state s.db <msgs >committed &&
	test "$(sqlite3 w.db "SELECT count(*) FROM order_details")" = 9 &&
	test "$(sqlite3 w.db "SELECT count(*) FROM check_details")" = 2 &&
	grep "\"type\":\"STATE\"" msgs | jq -c ".value.bf | [.location, .date]" >want &&
	jq -c ".value.bf | [.location, .date]" committed >got &&
	test_cmp want got &&
	test "$(sqlite3 s.db "SELECT count(*) FROM partitions WHERE status = \"loaded\"")" = 10
'

test_expect_success 'values are kept as strings, empty cells as NULL, lineage columns filled' '
	test "$(sqlite3 w.db "SELECT typeof(order_id) || amount FROM order_details WHERE order_id = \"1001\"")" = text10.50 &&
	test "$(sqlite3 w.db "SELECT amount IS NULL FROM order_details WHERE order_id = \"1002\"")" = 1 &&
	test "$(sqlite3 w.db "SELECT _bf_date || \" \" || _bf_location || \" \" || _bf_source || \" \" || _bf_line FROM order_details WHERE order_id = \"2005\"")" = "2024-04-03 200 200/20240403/OrderDetails.csv 2"
'

test_expect_success 'column drift: a later file with a new column adds it' '
	mkdir -p drift/1/20240101 drift/1/20240102 &&
	printf "A,B\n1,2\n" >drift/1/20240101/T.csv &&
	printf "B,New Col,A\n3,4,5\n" >drift/1/20240102/T.csv &&
	bf-extract --source drift --all --state d.db | bf-load --target d.db.w --state d.db >/dev/null &&
	sqlite3 -csv d.db.w "SELECT a, b, new_col FROM t ORDER BY _bf_date" >got &&
	printf "1,2,\n5,3,4\n" >want &&
	test_cmp want got
'

test_expect_success 're-loading the same messages leaves one copy of each row' '
	before=$(wh_sum w.db) &&
	bf-load --target w.db --state s.db <msgs >/dev/null &&
	test "$(wh_sum w.db)" = "$before" &&
	test "$(sqlite3 w.db "SELECT count(*) FROM order_details")" = 9
'

test_expect_success 'a partition re-extracted with fewer rows replaces the old rows' '
	printf "Order Id,Amount,Note\n1001,10.50,first\n" >drop/100/20240401/OrderDetails.csv &&
	bf-extract --source drop --date 2024-04-01 --location 100 --force --state s.db |
		bf-load --target w.db --state s.db >/dev/null &&
	test "$(sqlite3 w.db "SELECT count(*) FROM order_details WHERE _bf_date = \"2024-04-01\" AND _bf_location = \"100\"")" = 1 &&
	test "$(sqlite3 w.db "SELECT count(*) FROM order_details")" = 7
'

test_expect_success 'a STATE of a failed upstream partition loads nothing and exits 1' '
	cat >failed.ndjson <<-\EOF &&
	{"type":"SCHEMA","stream":"t","schema":{"type":"object","properties":{"x":{"type":["string","null"]}}},"key_properties":[]}
	{"type":"RECORD","stream":"t","record":{"x":"1","_bf_date":"2024-05-01","_bf_location":"9"}}
	{"type":"STATE","value":{"bf":{"source":"s","location":"9","date":"2024-05-01","status":"failed","error":"boom"}}}
	EOF
	test_expect_code 1 bf-load --target f.db --state s.db <failed.ndjson >out 2>err &&
	test "$(sqlite3 f.db "SELECT count(*) FROM t")" = 0 &&
	grep "failed upstream" err
'

test_expect_success 'a foreign Singer stream (no bf lineage) is appended and its STATE passed on' '
	cat >singer.ndjson <<-\EOF &&
	{"type":"SCHEMA","stream":"users","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"]}
	{"type":"RECORD","stream":"users","record":{"id":1}}
	{"type":"RECORD","stream":"users","record":{"id":2}}
	{"type":"STATE","value":{"bookmarks":{"users":2}}}
	EOF
	bf-load --target singer.db --state s.db <singer.ndjson >out &&
	test "$(sqlite3 singer.db "SELECT count(*) FROM users")" = 2 &&
	test "$(cat out)" = "{\"type\":\"STATE\",\"value\":{\"bookmarks\":{\"users\":2}}}"
'

test_expect_success 'two loaders starting on one empty warehouse: no DDL race, every partition once' '
	bf-sample --out race --seed 3 --days 12 --orders-per-day 20 --locations 1 --quiet &&
	bf-extract -q --source race --start-date 2024-01-01 --end-date 2024-01-06 --state r.db >ra.ndjson &&
	bf-extract -q --source race --start-date 2024-01-07 --end-date 2024-01-12 --state r.db >rb.ndjson &&
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rm -f rw.db* &&
		{ bf-load -q --target rw.db --state r2.db <ra.ndjson >/dev/null & } &&
		bf-load -q --target rw.db --state r2.db <rb.ndjson >/dev/null &&
		wait $! &&
		test "$(sqlite3 rw.db "SELECT count(*) FROM _bf_loads")" = 12 || return 1
	done
'

test_done
