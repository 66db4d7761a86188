#!/usr/bin/env bash
test_description='bf-search never answers from stale data: partitions replaced, --force, a kill mid-load; the compact index'
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd jq sqlite3

# wo_csv DIR DATE TEXT...: a WorkOrders.csv of location 100 with one row per TEXT
wo_csv() {
	local d=$1/100/$2 i=0
	shift 2
	mkdir -p "$d" && printf 'Id,Description\n' >"$d/WorkOrders.csv" &&
	for t in "$@"; do
		i=$((i + 1)) && printf '%s-%d,%s\n' "$(basename "$d")" "$i" "$t" >>"$d/WorkOrders.csv"
	done
}

pipeline() {
	bf-extract --source drop "$@" | bf-enrich --embed work_orders.description:64 | bf-load --target w.db >/dev/null
}

# top TEXT [options]: "id score" of the best hit
top() {
	local t=$1
	shift
	bf-search --target w.db --json -k 1 "$@" "$t" | jq -r '"\(.record.id) \(.score)"'
}

test_expect_success 'setup: three days loaded, the indexes made' '
	wo_csv drop 20240301 "ventilator alarm keeps sounding" "grease trap cleaning" "broken freezer door" &&
	wo_csv drop 20240302 "cold room compressor failed after a power cut" "light bulb out in dining room" &&
	wo_csv drop 20240303 "leaking faucet in the kitchen" "noisy walk-in cooler fan" &&
	pipeline --all &&
	test "$(sqlite3 w.db "select count(*) from work_orders")" = 7 &&
	bf-search --target w.db --index -v 2>note &&
	grep "3 partitions indexed, 0 were current" note &&
	test "$(sqlite3 w.db "select sum(n) from _bf_search_int8")" = 7
'

test_expect_success 'queries go through the compact index, with exact scores' '
	top "cold room compressor failed after a power cut" -v >got 2>note &&
	echo "20240302-1 1" >expect && test_cmp expect got &&
	grep "answered through the compact index" note &&
	top "cold room compressor failed after a power cut" --exact -v >got 2>note &&
	test_cmp expect got && ! grep "compact index" note
'

test_expect_success 'a partition replaced with --force: no stale hit, vector or text, index or not' '
	wo_csv drop 20240302 "ice machine leaking water" "light bulb out in dining room" &&
	pipeline --dates 2024-03-02 --force &&
	test "$(sqlite3 w.db "select count(*) from work_orders")" = 7 &&
	top "ice machine leaking water" -v >got 2>note &&
	echo "20240302-1 1" >expect && test_cmp expect got &&
	grep "answered through the compact index" note &&
	top "cold room compressor failed after a power cut" >got &&
	! grep " 1$" got &&
	bf-search --target w.db --json --mode text compressor >hits &&
	test ! -s hits &&
	bf-search --target w.db --json --mode text "ice" | jq -r .record.id >got &&
	echo 20240302-1 >expect && test_cmp expect got &&
	bf-search --target w.db --json --mode hybrid -k 10 "compressor power cut" | jq -r .record.description >all &&
	! grep compressor all
'

test_expect_success '--index again: only the replaced partition is indexed anew' '
	bf-search --target w.db --index -v 2>note &&
	grep "1 partitions indexed, 2 were current" note &&
	top "ice machine leaking water" >got &&
	echo "20240302-1 1" >expect && test_cmp expect got
'

test_expect_success 'a new partition is found before the index knows it' '
	wo_csv drop 20240304 "thermostat sensor fault" &&
	pipeline --dates 2024-03-04 &&
	top "thermostat sensor fault" >got &&
	echo "20240304-1 1" >expect && test_cmp expect got
'

test_expect_success 'a load killed mid-partition changes nothing the search sees' '
	wo_csv drop2 20240301 "zebra crossing sign repainted" "grease trap cleaning" &&
	bf-extract --source drop2 --dates 2024-03-01 --state x.db | bf-enrich --embed work_orders.description:64 |
		grep -v "\"type\":\"STATE\"" >part.ndjson &&
	test_line_count = 3 part.ndjson &&
	mkfifo in &&
	{ bf-load --target w.db --state k.db <in >/dev/null 2>&1 & } &&
	pid=$! &&
	exec 7>in &&
	cat part.ndjson >&7 &&
	size=$(stat -c %s part.ndjson) &&
	for i in $(seq 1 200); do
		test "$(sed -n "s/^rchar: //p" /proc/$pid/io 2>/dev/null || echo 0)" -ge "$size" && break
		sleep 0.05
	done &&
	kill -9 $pid && exec 7>&- &&
	{ wait $pid; test $? = 137; } &&
	top "zebra crossing sign repainted" >got && ! grep " 1$" got &&
	top "ventilator alarm keeps sounding" -v >got 2>note &&
	echo "20240301-1 1" >expect && test_cmp expect got &&
	grep "answered through the compact index" note &&
	bf-search --target w.db --json --mode text zebra >hits && test ! -s hits
'

test_expect_success 'a partition deleted by hand is left out (vector, index, text)' '
	sqlite3 w.db "delete from work_orders where _bf_date = \"2024-03-03\"; delete from _bf_loads where date = \"2024-03-03\"" &&
	top "leaking faucet in the kitchen" >got && ! grep "^20240303" got &&
	bf-search --target w.db --json --mode text faucet >hits && test ! -s hits
'

test_expect_success 'ids that moved under the index are caught: the query is answered exactly' '
	sqlite3 w.db "create table t2 as select * from work_orders order by rowid desc; delete from work_orders;
		insert into work_orders select * from t2; drop table t2" &&
	test "$(sqlite3 w.db "select rowid from work_orders where id = \"20240301-1\"")" != 1 &&
	top "ventilator alarm keeps sounding" -v >got 2>note &&
	echo "20240301-1 1" >expect && test_cmp expect got &&
	! grep "answered through the compact index" note &&
	grep "does not match the table" note &&
	bf-search --target w.db --index &&
	top "ventilator alarm keeps sounding" -v >got 2>note &&
	test_cmp expect got &&
	grep "answered through the compact index" note
'

test_expect_success 'bf-search'\''s own tables and triggers in the warehouse: bf-load goes on loading into it' '
	bf-search --target w.db --index &&
	bf-search --target w.db --mode text "freezer" >/dev/null &&
	test "$(sqlite3 w.db "select count(*) from sqlite_master where type = \"trigger\"")" -gt 0 &&
	wo_csv drop 20240306 "walk-in freezer alarm" &&
	pipeline --dates 2024-03-06 2>err && ! grep "did not create" err &&
	pipeline --dates 2024-03-01 --force 2>err && ! grep "did not create" err &&
	printf "%s\n" "{\"type\":\"SCHEMA\",\"stream\":\"work_orders\",\"schema\":{\"properties\":{\"id\":{\"type\":\"string\"},\"description\":{\"type\":\"string\"},\"priority\":{\"type\":\"string\"}}},\"key_properties\":[]}" \
		"{\"type\":\"RECORD\",\"stream\":\"work_orders\",\"record\":{\"id\":\"x-1\",\"description\":\"freezer door\",\"priority\":\"high\",\"_bf_date\":\"2024-03-05\",\"_bf_location\":\"100\"}}" \
		"{\"type\":\"SCHEMA\",\"stream\":\"parts\",\"schema\":{\"properties\":{\"p\":{\"type\":\"string\"}}},\"key_properties\":[]}" \
		"{\"type\":\"RECORD\",\"stream\":\"parts\",\"record\":{\"p\":\"hinge\",\"_bf_date\":\"2024-03-05\",\"_bf_location\":\"100\"}}" \
		"{\"type\":\"STATE\",\"value\":{\"bf\":{\"location\":\"100\",\"date\":\"2024-03-05\",\"source\":\"drop\"}}}" |
		bf-load --target w.db --state k.db >/dev/null &&
	test "$(sqlite3 w.db "select count(*) from work_orders where _bf_date >= \"2024-03-05\"")" = 2 &&
	test "$(sqlite3 w.db "select priority from work_orders where id = \"x-1\"")" = high &&
	bf-search --target w.db --index &&
	bf-search --target w.db --json --mode text -k 10 "freezer" | jq -r .record.id | sort >got &&
	printf "20240301-3\n20240306-1\nx-1\n" >expect && test_cmp expect got
'

test_done
