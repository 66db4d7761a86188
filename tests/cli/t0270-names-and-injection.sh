#!/usr/bin/env bash
test_description=hostile\ headers\ and\ names:\ SQL\ in\ a\ header\ is\ only\ a\ column\ name\;\ colliding\ headers\ stay\ distinct
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd jq sqlite3

. "$TEST_DIRECTORY/lib/drop-fixture.sh"

test_expect_success 'setup: headers that try SQL injection and collide' '
	mkdir -p drop/1/20240101 drop/1/20240102 &&
	printf "%s\n" "id,\"x\"\"; DROP TABLE y; --\",Order Id,OrderId,order_id,_bf_date,closure_reason,\"a\"\"b\",\"\"" >drop/1/20240101/Evil.csv &&
	printf "%s\n" "1,boom,o1,o2,o3,not-a-date,r,q," >>drop/1/20240101/Evil.csv &&
	printf "id\n2\n" >drop/1/20240102/Evil.csv &&
	printf "Robert\x27); DROP TABLE students;--\n1\n" >"drop/1/20240101/students.csv" &&
	bf-extract --source drop --all --state s.db >msgs &&
	sqlite3 w.db "CREATE TABLE y (keep TEXT); INSERT INTO y VALUES (\"still here\")" &&
	bf-load --target w.db --state s.db <msgs >/dev/null
'

test_expect_success 'a header like x"; DROP TABLE y; -- is just a column' '
	test "$(sqlite3 w.db "SELECT keep FROM y")" = "still here" &&
	test "$(sqlite3 w.db "SELECT x_drop_table_y FROM evil WHERE id = \"1\"")" = boom &&
	jq -r "select(.type == \"SCHEMA\" and .stream == \"evil\") | .schema.properties.x_drop_table_y.title" msgs |
		head -1 >title &&
	printf "%s\n" "x\"; DROP TABLE y; --" >want &&
	test_cmp want title
'

test_expect_success 'colliding headers get distinct columns, reserved names are not overwritten' '
	sqlite3 w.db "SELECT order_id, order_id_2, order_id_3, bf_date, closure_reason_2, a_b, column_9 FROM evil WHERE id = \"1\"" >got &&
	echo "o1|o2|o3|not-a-date|r|q|" >want &&
	test_cmp want got &&
	test "$(sqlite3 w.db "SELECT _bf_date FROM evil WHERE id = \"1\"")" = 2024-01-01
'

test_expect_success 'a table named after a hostile file stem is only a table' '
	test "$(sqlite3 w.db "SELECT count(*) FROM students")" = 1 &&
	test "$(sqlite3 w.db "SELECT robert_drop_table_students FROM students")" = 1
'

test_expect_success 'a hostile stream name in a foreign message is quoted too' '
	cat >hostile.ndjson <<-\EOF &&
	{"type":"SCHEMA","stream":"t\"; DROP TABLE y; --","schema":{"type":"object","properties":{"c\"); DROP TABLE y; --":{"type":["string","null"]}}},"key_properties":[]}
	{"type":"RECORD","stream":"t\"; DROP TABLE y; --","record":{"c\"); DROP TABLE y; --":"v"}}
	{"type":"STATE","value":{"x":1}}
	EOF
	bf-load --target w.db --state s.db <hostile.ndjson >/dev/null 2>err || cat err &&
	test "$(sqlite3 w.db "SELECT keep FROM y")" = "still here" &&
	test "$(sqlite3 w.db "SELECT count(*) FROM sqlite_master WHERE type = \"table\" AND name LIKE \"t%DROP%\"")" -le 1
'

test_expect_success 'file and folder names that are not safe are refused, not followed: their date fails' '
	mkdir -p drop2/1/20240101 &&
	printf "a\n1\n" >drop2/1/20240101/ok.csv &&
	printf "a\n2\n" >"drop2/1/20240101/bad$(printf "\001")name.csv" &&
	ln -s /etc drop2/1/20240101/escape.csv &&
	test_expect_code 1 bf-extract --source drop2 --all --state s2.db >m2 2>e2 &&
	test "$(jq -c "select(.type == \"RECORD\") | .record.a" m2 | tr -d "\n")" = "" &&
	test "$(jq -c "select(.type == \"STATE\") | [.value.bf.status, .value.bf.unreadable]" m2)" = "[\"failed\",2]" &&
	test_expect_code 1 bf-extract --source drop2 --all --state s2.db --skip-unreadable >m3 2>e3 &&
	test "$(jq -c "select(.type == \"RECORD\") | .record.a" m3 | tr -d "\n")" = "\"1\""
'

test_done
