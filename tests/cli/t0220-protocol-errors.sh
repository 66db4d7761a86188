#!/usr/bin/env bash
test_description=bf-load:\ every\ kind\ of\ broken\ protocol\ input\ exits\ 65\ with\ a\ line-numbered\ error\ and\ commits\ nothing\ of\ the\ unfinished\ date
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd jq sqlite3

. "$TEST_DIRECTORY/lib/drop-fixture.sh"

SCHEMA='{"type":"SCHEMA","stream":"t","schema":{"type":"object","properties":{"x":{"type":["string","null"]}}},"key_properties":[]}'
REC1='{"type":"RECORD","stream":"t","record":{"x":"1","_bf_date":"2024-05-01","_bf_location":"9"}}'
REC2='{"type":"RECORD","stream":"t","record":{"x":"2","_bf_date":"2024-05-02","_bf_location":"9"}}'
STATE1='{"type":"STATE","value":{"bf":{"source":"s","location":"9","date":"2024-05-01"}}}'

# broken NAME LINE4 MESSAGE: a good first date, then a record of the second date, then
# LINE4 on line 4; bf-load must exit 65 naming line 4, keep date 1 and nothing of date 2.
broken() {
	local name=$1 line=$2 msg=$3
	printf '%s\n%s\n%s\n%s\n%s\n' "$SCHEMA" "$REC1" "$STATE1" "$REC2" "$line" >"$name.in" &&
	test_expect_code 65 bf-load --target "$name.db" --state s.db <"$name.in" >"$name.out" 2>"$name.err" &&
	grep "^bf-load: stdin: line 5: .*$msg" "$name.err" &&
	test "$(wc -l <"$name.err")" = 1 &&
	test "$(sqlite3 "$name.db" "SELECT group_concat(x) FROM t")" = 1 &&
	test "$(jq -r .value.bf.date "$name.out")" = 2024-05-01
}

test_expect_success 'not JSON' 'broken notjson "this is not json" "invalid JSON"'
test_expect_success 'not an object' 'broken array "[1,2]" "not a JSON object"'
test_expect_success 'a string' 'broken string "\"RECORD\"" "not a JSON object"'
test_expect_success 'no type' 'broken notype "{\"stream\":\"t\",\"record\":{}}" "no \"type\""'
test_expect_success 'type not a string' 'broken typenum "{\"type\":3}" "not a string"'
test_expect_success 'leading zero (cJSON would accept it)' \
	'broken lz "{\"type\":\"RECORD\",\"stream\":\"t\",\"record\":{\"x\":01,\"_bf_date\":\"2024-05-02\",\"_bf_location\":\"9\"}}" "leading zero"'
test_expect_success 'a number like "2." (cJSON would accept it)' \
	'broken dot "{\"type\":\"RECORD\",\"stream\":\"t\",\"record\":{\"x\":2.}}" "invalid JSON"'
test_expect_success 'a raw control character in a string (cJSON would accept it)' \
	"broken ctl '{\"type\":\"STATE\",\"value\":\"a$(printf '\001')b\"}' 'control character'"
test_expect_success 'a bad \u escape (cJSON would accept it)' \
	'broken uesc "{\"type\":\"STATE\",\"value\":\"\\u12G4\"}" "invalid"'
test_expect_success 'invalid UTF-8' "broken utf8 '{\"type\":\"STATE\",\"value\":\"caf$(printf '\351')\"}' 'invalid UTF-8'"
test_expect_success 'trailing garbage' 'broken trail "{\"type\":\"STATE\",\"value\":1} x" "trailing characters"'
test_expect_success 'RECORD without a record' 'broken norec "{\"type\":\"RECORD\",\"stream\":\"t\"}" "without a \"record\""'
test_expect_success 'SCHEMA without a schema' 'broken nosch "{\"type\":\"SCHEMA\",\"stream\":\"t\"}" "without a \"schema\""'
test_expect_success 'RECORD before its SCHEMA' \
	'broken before "{\"type\":\"RECORD\",\"stream\":\"other\",\"record\":{\"_bf_date\":\"2024-05-02\",\"_bf_location\":\"9\"}}" "before its SCHEMA"'
test_expect_success 'a record of another date before the STATE' \
	'broken interleave "{\"type\":\"RECORD\",\"stream\":\"t\",\"record\":{\"x\":\"3\",\"_bf_date\":\"2024-05-03\",\"_bf_location\":\"9\"}}" "before the STATE"'

test_expect_success 'a truncated last line' '
	printf "%s\n%s\n%s\n%s\n%s" "$SCHEMA" "$REC1" "$STATE1" "$REC2" "{\"type\":\"STATE\",\"val" >trunc.in &&
	test_expect_code 65 bf-load --target trunc.db --state s.db <trunc.in >trunc.out 2>trunc.err &&
	grep "^bf-load: stdin: line 5: truncated" trunc.err &&
	test "$(sqlite3 trunc.db "SELECT group_concat(x) FROM t")" = 1
'

test_expect_success 'input that ends before the STATE of the open date' '
	printf "%s\n%s\n%s\n%s\n" "$SCHEMA" "$REC1" "$STATE1" "$REC2" >nostate.in &&
	test_expect_code 65 bf-load --target nostate.db --state s.db <nostate.in 2>nostate.err &&
	grep "before the STATE of 9/2024-05-02" nostate.err &&
	test "$(sqlite3 nostate.db "SELECT group_concat(x) FROM t")" = 1
'

test_expect_success 'an over-long line' '
	{ printf "%s\n%s\n%s\n%s\n" "$SCHEMA" "$REC1" "$STATE1" "$REC2" &&
	  printf "{\"type\":\"STATE\",\"value\":\"%s\"}\n" "$(head -c 5000 /dev/zero | tr "\0" x)"; } >long.in &&
	test_expect_code 65 bf-load --target long.db --state s.db --max-line-bytes 4096 <long.in 2>long.err &&
	grep "^bf-load: stdin: line 5: longer than 4096 bytes" long.err &&
	test "$(sqlite3 long.db "SELECT group_concat(x) FROM t")" = 1
'

test_expect_success 'the state file does not mark the unfinished date' '
	test "$(sqlite3 s.db "SELECT count(*) FROM partitions WHERE date = \"2024-05-02\" AND status = \"loaded\"")" = 0 &&
	test "$(sqlite3 s.db "SELECT count(*) FROM partitions WHERE date = \"2024-05-01\" AND status = \"loaded\"")" = 1
'

test_expect_success 'unknown message types pass without harm' '
	printf "%s\n{\"type\":\"ACTIVATE_VERSION\",\"stream\":\"t\",\"version\":1}\n%s\n%s\n" "$SCHEMA" "$REC1" "$STATE1" >other.in &&
	bf-load --target other.db --state s.db <other.in >/dev/null &&
	test "$(sqlite3 other.db "SELECT count(*) FROM t")" = 1
'

test_done
