#!/usr/bin/env bash
test_description='bf-load views: <table>_open without closure rows, <table>_daily per date'
. "$(dirname "$0")/../lib/test-lib.sh"

test_expect_success 'setup' '
	cat >in.ndjson <<-\EOS
	{"type":"SCHEMA","stream":"order_details","schema":{"properties":{"order_id":{"type":["string","null"]},"amount":{"type":["string","null"]}}}}
	{"type":"RECORD","stream":"order_details","record":{"order_id":"1","amount":"10.25","_bf_date":"2024-04-04","_bf_location":"7","_bf_line":2}}
	{"type":"RECORD","stream":"order_details","record":{"order_id":"2","amount":"5.50","_bf_date":"2024-04-04","_bf_location":"7","_bf_line":3}}
	{"type":"STATE","value":{"bf":{"source":"s","location":"7","date":"2024-04-04"}}}
	{"type":"SCHEMA","stream":"order_details","schema":{"properties":{"order_id":{"type":["string","null"]},"amount":{"type":["string","null"]},"closure_indicator":{"type":"boolean"},"closure_reason":{"type":["string","null"]}}}}
	{"type":"RECORD","stream":"order_details","record":{"order_id":"3","amount":"1.00","closure_indicator":false,"closure_reason":null,"_bf_date":"2024-04-05","_bf_location":"7","_bf_line":2}}
	{"type":"STATE","value":{"bf":{"source":"s","location":"7","date":"2024-04-05"}}}
	{"type":"RECORD","stream":"order_details","record":{"order_id":null,"amount":null,"closure_indicator":true,"closure_reason":"no_files","_bf_date":"2024-04-06","_bf_location":"7","_bf_source":"closure","_bf_line":0}}
	{"type":"STATE","value":{"bf":{"source":"s","location":"7","date":"2024-04-06","closure":{"verdict":"closed"}}}}
	{"type":"RECORD","stream":"order_details","record":{"order_id":"4","amount":"0.40","closure_indicator":true,"closure_reason":"low_sales","_bf_date":"2024-04-07","_bf_location":"7","_bf_line":2}}
	{"type":"STATE","value":{"bf":{"source":"s","location":"7","date":"2024-04-07","closure":{"verdict":"closed"}}}}
	EOS
	cat >expect.daily <<-\EOS
	2024-04-04|7|2|15.75|0|
	2024-04-05|7|1|1.0|0|
	2024-04-06|7|0||1|no_files
	2024-04-07|7|1|0.4|1|low_sales
	EOS
'

test_expect_success 'SQLite: views follow the columns added on drift' '
	bf-load --target w.db <in.ndjson >/dev/null &&
	sqlite3 w.db "select order_id from order_details_open order by order_id" >open &&
	printf "1\n2\n3\n" >expect &&
	test_cmp expect open &&
	sqlite3 w.db "select date, location, rows, amount, closed, closure_reason from order_details_daily order by date" >daily &&
	test_cmp expect.daily daily &&
	test "$(sqlite3 w.db "select status from _bf_loads where date = \"2024-04-06\"")" = closed
'

test_expect_success 'SQLite: a stream without the amount column has no amount in its daily view' '
	printf "%s\n" "{\"type\":\"SCHEMA\",\"stream\":\"cash\",\"schema\":{\"properties\":{\"x\":{\"type\":\"string\"}}}}" \
		"{\"type\":\"RECORD\",\"stream\":\"cash\",\"record\":{\"x\":\"a\",\"_bf_date\":\"2024-04-04\",\"_bf_location\":\"7\",\"_bf_line\":2}}" \
		"{\"type\":\"STATE\",\"value\":{\"bf\":{\"source\":\"s\",\"location\":\"7\",\"date\":\"2024-04-04\"}}}" >cash.ndjson &&
	bf-load --target w.db <cash.ndjson >/dev/null &&
	sqlite3 -header w.db "select * from cash_daily" >cash &&
	head -n 1 cash >hdr &&
	echo "date|location|rows|closed|closure_reason" >expect &&
	test_cmp expect hdr
'

test_expect_success PG 'PostgreSQL: the same views' '
	start_pg &&
	bf-load --target "$BF_PG_URL" <in.ndjson >/dev/null &&
	psql -X -At -c "select order_id from order_details_open order by order_id" >open &&
	printf "1\n2\n3\n" >expect &&
	test_cmp expect open &&
	psql -X -At -c "select date, location, rows, amount, case when closed then 1 else 0 end, closure_reason from order_details_daily order by date" >daily &&
	sed -e "s/|1.0|0|/|1.00|0|/" -e "s/|0.4|/|0.40|/" expect.daily >expect.pg &&
	test_cmp expect.pg daily
'

test_done
