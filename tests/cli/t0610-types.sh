#!/usr/bin/env bash
test_description='bf-load column types in SQLite: casts, overrides, quarantine, embeddings'
. "$(dirname "$0")/../lib/test-lib.sh"

test_expect_success 'setup' '
	cat >in.ndjson <<-\EOS
	{"type":"SCHEMA","stream":"t","schema":{"properties":{"id":{"type":"integer"},"amt":{"type":"number"},"ok":{"type":"boolean"},"day":{"type":"string","format":"date"},"at":{"type":"string"},"emb":{"type":"array","items":{"type":"number"}}}}}
	{"type":"RECORD","stream":"t","record":{"id":"12345678901234567","amt":"12.50","ok":"yes","day":"2024-04-04","at":"4/4/24 11:32 AM","emb":[0.5,-2],"_bf_date":"2024-04-04","_bf_location":"1","_bf_line":2}}
	{"type":"RECORD","stream":"t","record":{"id":"-9","amt":"0.10000000000000000001","ok":"0","day":"4/5/2024","at":"2024-04-04T23:30:00-02:00","emb":"[1]","_bf_date":"2024-04-04","_bf_location":"1","_bf_line":3}}
	{"type":"RECORD","stream":"t","record":{"id":"","amt":null,"ok":"FALSE","day":"20240406","at":"2024-04-04 08:00","emb":null,"_bf_date":"2024-04-04","_bf_location":"1","_bf_line":4}}
	{"type":"RECORD","stream":"t","record":{"id":"7","amt":"1","ok":"maybe","_bf_date":"2024-04-04","_bf_location":"1","_bf_source":"x.csv","_bf_line":5}}
	{"type":"RECORD","stream":"t","record":{"id":"99999999999999999999","_bf_date":"2024-04-04","_bf_location":"1","_bf_line":6}}
	{"type":"RECORD","stream":"t","record":{"id":"8","day":"2024-02-30","_bf_date":"2024-04-04","_bf_location":"1","_bf_line":7}}
	{"type":"RECORD","stream":"t","record":{"id":"9","emb":["a"],"_bf_date":"2024-04-04","_bf_location":"1","_bf_line":8}}
	{"type":"RECORD","stream":"t","record":{"id":"10","at":"13/45/24 99:00","_bf_date":"2024-04-04","_bf_location":"1","_bf_line":9}}
	{"type":"STATE","value":{"bf":{"source":"s","location":"1","date":"2024-04-04"}}}
	EOS
'

test_expect_success 'types become SQLite column types' '
	test_expect_code 1 bf-load --target w.db --type t.at=date-time <in.ndjson >out 2>err &&
	sqlite3 w.db "select name || \" \" || type from pragma_table_info(\"t\")" >types &&
	printf "%s\n" "id INTEGER" "amt TEXT" "ok INTEGER" "day TEXT" "at TEXT" "emb BLOB" \
		"_bf_date TEXT" "_bf_location TEXT" "_bf_source TEXT" "_bf_line INTEGER" >expect &&
	test_cmp expect types
'

test_expect_success 'values are cast exactly' '
	sqlite3 -separator "|" w.db "select id, typeof(id), amt, ok, day, at, hex(emb) from t order by _bf_line" >rows &&
	cat >expect <<-\EOS &&
	12345678901234567|integer|12.50|1|2024-04-04|2024-04-04 11:32:00|0000003F000000C0
	-9|integer|0.10000000000000000001|0|2024-04-05|2024-04-05 01:30:00|0000803F
	|null||0|2024-04-06|2024-04-04 08:00:00|
	EOS
	test_cmp expect rows
'

test_expect_success 'what does not fit is quarantined with its reason and raw record' '
	grep "\"load\":{\"rows\":3,\"quarantined\":5}" out &&
	sqlite3 "$BF_STATE" "select line || \": \" || reason from quarantine where stage = \"load\" order by line" >reasons &&
	cat >expect <<-\EOS &&
	5: ok (boolean): not a boolean: "maybe"
	6: id (integer): integer out of 64-bit range: "99999999999999999999"
	7: day (date): not a date: "2024-02-30"
	8: emb (vector): not an array of numbers: "["a"]"
	9: at (date-time): not a date-time: "13/45/24 99:00"
	EOS
	test_cmp expect reasons &&
	test "$(sqlite3 "$BF_STATE" "select file from quarantine where line = 5")" = x.csv &&
	test "$(sqlite3 "$BF_STATE" "select cast(raw as text) from quarantine where line = 6")" = \
		"{\"id\":\"99999999999999999999\",\"_bf_date\":\"2024-04-04\",\"_bf_location\":\"1\",\"_bf_line\":6}" &&
	test "$(sqlite3 "$BF_STATE" "select quarantined || \" \" || loaded_rows from partitions")" = "5 3" &&
	grep "quarantined" err
'

test_expect_success 'a re-run replaces the quarantine of the partition' '
	test_expect_code 1 bf-load --target w.db --type t.at=date-time <in.ndjson >/dev/null 2>&1 &&
	test "$(sqlite3 "$BF_STATE" "select count(*) from quarantine where stage = \"load\"")" = 5 &&
	test "$(sqlite3 w.db "select count(*) from t")" = 3
'

test_expect_success 'a bad --type is a usage error' '
	test_expect_code 64 bf-load --target w.db --type t.at=money <in.ndjson &&
	test_expect_code 64 bf-load --target w.db --type nodot=integer <in.ndjson
'

test_done
