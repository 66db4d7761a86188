#!/usr/bin/env bash
test_description='bf-enrich, bf-closure and bf-load read a stream name (and the lineage) written with JSON escapes as its text: the same output as for the plain name'
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd sqlite3

# One day of one location, three orders; plain.ndjson names the stream order_details,
# escaped.ndjson writes the same messages with escapes in the stream names (differently
# in the SCHEMA and the records) and in one record's location.
write_day() {
	local s1=$1 s2=$2 loc=$3
	printf '%s\n' \
		"{\"type\":\"SCHEMA\",\"stream\":\"$s1\",\"schema\":{\"type\":\"object\",\"properties\":{\"order_id\":{\"type\":[\"string\",\"null\"]},\"opened\":{\"type\":[\"string\",\"null\"]},\"amount\":{\"type\":[\"string\",\"null\"]},\"_bf_date\":{\"type\":\"string\",\"format\":\"date\"},\"_bf_location\":{\"type\":\"string\"},\"_bf_source\":{\"type\":\"string\"},\"_bf_line\":{\"type\":\"integer\"}}},\"key_properties\":[\"_bf_source\",\"_bf_line\"]}" \
		"{\"type\":\"RECORD\",\"stream\":\"$s2\",\"record\":{\"order_id\":\"1\",\"opened\":\"4/4/24 11:32 AM\",\"amount\":\"12.50\",\"_bf_date\":\"2024-04-04\",\"_bf_location\":\"100\",\"_bf_source\":\"100/20240404/OrderDetails.csv\",\"_bf_line\":2}}" \
		"{\"type\":\"RECORD\",\"stream\":\"$s2\",\"record\":{\"order_id\":\"2\",\"opened\":\"4/4/24 7:05 PM\",\"amount\":\"8.00\",\"_bf_date\":\"2024-04-04\",\"_bf_location\":\"$loc\",\"_bf_source\":\"100/20240404/OrderDetails.csv\",\"_bf_line\":3}}" \
		"{\"type\":\"RECORD\",\"stream\":\"$s1\",\"record\":{\"order_id\":\"3\",\"opened\":\"4/4/24 9:40 PM\",\"amount\":\"21.25\",\"_bf_date\":\"2024-04-04\",\"_bf_location\":\"100\",\"_bf_source\":\"100/20240404/OrderDetails.csv\",\"_bf_line\":4}}" \
		'{"type":"STATE","value":{"bf":{"source":"drop","location":"100","date":"2024-04-04","status":"ok","folder":"present","files":[{"name":"OrderDetails.csv","stream":"order_details","rows":3}],"rows":{"order_details":3},"quarantined":0}}}'
}

# the escaped spellings back to the plain ones (lines that were passed on, not re-printed)
unescape() {
	sed -e 's/"order\\u005Fdetails"/"order_details"/g' -e 's/"ord\\u0065r_details"/"order_details"/g' \
		-e 's/"1\\u00300"/"100"/g'
}

test_expect_success 'the two inputs' '
	write_day order_details order_details 100 >plain.ndjson &&
	write_day "order\\u005Fdetails" "ord\\u0065r_details" "1\\u00300" >escaped.ndjson &&
	grep -c "u005F\|u0065r\|u0030" escaped.ndjson >n && test "$(cat n)" = 4 &&
	unescape <escaped.ndjson >back && test_cmp plain.ndjson back
'

test_expect_success 'bf-enrich: the same derived fields and STATE counts' '
	bf-enrich <plain.ndjson >enrich.plain &&
	bf-enrich <escaped.ndjson >enrich.escaped &&
	grep -c "\"amount_cents\":[0-9]" enrich.plain >n && test "$(cat n)" = 3 &&
	grep "\"enrich\":{\"records\":3," enrich.plain &&
	unescape <enrich.escaped >enrich.back &&
	test_cmp enrich.plain enrich.back
'

test_expect_success 'bf-closure: the same activity, sales and verdict' '
	bf-closure --today 2024-05-01 --state cp.db <plain.ndjson >closure.plain &&
	bf-closure --today 2024-05-01 --state ce.db <escaped.ndjson >closure.escaped &&
	grep "\"verdict\":\"open\"" closure.plain &&
	grep "\"activity_rows\":3,\"sales\":41.75" closure.plain &&
	unescape <closure.escaped >closure.back &&
	test_cmp closure.plain closure.back
'

test_expect_success 'bf-load: the same rows in the same table' '
	bf-load --target lp.db --state lp-state.db <plain.ndjson >load.plain &&
	bf-load --target le.db --state le-state.db <escaped.ndjson >load.escaped &&
	test_cmp load.plain load.escaped &&
	sqlite3 lp.db "SELECT order_id, amount, _bf_location FROM order_details ORDER BY 1" >rows.plain &&
	sqlite3 le.db "SELECT order_id, amount, _bf_location FROM order_details ORDER BY 1" >rows.escaped &&
	test_line_count = 3 rows.plain &&
	test_cmp rows.plain rows.escaped
'

test_expect_success 'the three through pipes: the same warehouse' '
	BF_STATE=pp.db bf-enrich <plain.ndjson | BF_STATE=pp.db bf-closure --today 2024-05-01 |
		BF_STATE=pp.db bf-load --target wp.db >/dev/null &&
	BF_STATE=pe.db bf-enrich <escaped.ndjson | BF_STATE=pe.db bf-closure --today 2024-05-01 |
		BF_STATE=pe.db bf-load --target we.db >/dev/null &&
	q="SELECT order_id, amount_cents, opened_iso, opened_daypart, closure_indicator, _bf_location FROM order_details ORDER BY 1" &&
	sqlite3 wp.db "$q" >wh.plain &&
	sqlite3 we.db "$q" >wh.escaped &&
	test_line_count = 3 wh.plain &&
	grep "^1|1250|2024-04-04T11:32:00|lunch|0|100$" wh.plain &&
	test_cmp wh.plain wh.escaped
'

test_done
