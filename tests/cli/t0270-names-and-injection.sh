#!/usr/bin/env bash
test_description=hostile\ headers\ and\ names:\ SQL\ in\ a\ header\ is\ only\ a\ column\ name\;\ colliding\ headers\ stay\ distinct
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd jq sqlite3

# make_drop DIR: a small hand-made drop, two locations, dates 2024-04-01..05:
#   100/20240401  OrderDetails.csv (3 rows), CheckDetails.csv (2 rows)
#   100/20240402  OrderDetails.csv.gz (2 rows)
#   100/20240404  (empty folder)
#   100/20240405  OrderDetails.csv (header only)
#   200/20240401  OrderDetails.csv: BOM, CRLF, 3 good rows, 1 ragged row (line 3)
#   200/20240403  OrderDetails.csv: 1 row with an embedded newline
# 7 + 2 + 3 + 1 = 13 good rows (order_details 11, check_details 2), 1 bad row.
make_drop() {
	local d=$1
	mkdir -p "$d/100/20240401" "$d/100/20240402" "$d/100/20240404" "$d/100/20240405" \
		"$d/200/20240401" "$d/200/20240403" &&
	printf 'Order Id,Amount,Note\n1001,10.50,first\n1002,,"with, comma"\n1003,7.25,"say ""hi"""\n' \
		>"$d/100/20240401/OrderDetails.csv" &&
	printf 'Check Id,Order Id\n9001,1001\n9002,1002\n' >"$d/100/20240401/CheckDetails.csv" &&
	printf 'Order Id,Amount,Note\n1004,1.00,a\n1005,2.00,b\n' | gzip -c >"$d/100/20240402/OrderDetails.csv.gz" &&
	printf 'Order Id,Amount,Note\n' >"$d/100/20240405/OrderDetails.csv" &&
	printf '\357\273\277Order Id,Amount,Note\r\n2001,3.00,x\r\n2002,4.00\r\n2003,5.00,y\r\n2004,6.00,z\r\n' \
		>"$d/200/20240401/OrderDetails.csv" &&
	printf 'Order Id,Amount,Note\n2005,8.00,"two\nlines"\n' >"$d/200/20240403/OrderDetails.csv"
}

# wh_sum DB: one checksum of the sorted rows of every data table of a warehouse.
wh_sum() {
	local db=$1 t
	for t in $(sqlite3 -readonly "$db" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\_bf\_%' ESCAPE '\\' ORDER BY name"); do
		printf '%s %s\n' "$t" "$(sqlite_checksum "$db" "SELECT * FROM \"$t\"")" || return 1
	done | sha256sum | cut -d' ' -f1
}

# states FILE: the "location date folder rows quarantined" of each STATE line.
states() {
	jq -r 'select(.type == "STATE") | .value.bf | "\(.location) \(.date) \(.folder) \(.total_rows) \(.quarantined)"' "$1"
}

test_expect_success 'setup: headers that try SQL injection and collide' '
	mkdir -p drop/1/20240101 drop/1/20240102 &&
	printf "%s\n" "id,\"x\"\"; DROP TABLE y; --\",Order Id,OrderId,order_id,_bf_date,closure_reason,\"a\"\"b\",\"\"" >drop/1/20240101/Evil.csv &&
	printf "%s\n" "1,boom,o1,o2,o3,not-a-date,r,q," >>drop/1/20240101/Evil.csv &&
	printf "id\n2\n" >drop/1/20240102/Evil.csv &&
	printf "Robert\x27); DROP TABLE students;--\n1\n" >"drop/1/20240101/y.csv" &&
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
	test "$(sqlite3 w.db "SELECT count(*) FROM y")" = 2 ||
	test "$(sqlite3 w.db "SELECT count(*) FROM sqlite_master WHERE name = \"y\"")" = 1
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

test_expect_success 'file and folder names that are not safe are refused, not followed' '
	mkdir -p drop2/1/20240101 &&
	printf "a\n1\n" >drop2/1/20240101/ok.csv &&
	printf "a\n2\n" >"drop2/1/20240101/bad$(printf "\001")name.csv" &&
	ln -s /etc drop2/1/20240101/escape.csv &&
	{ bf-extract --source drop2 --all --state s2.db >m2 2>e2 || true; } &&
	test "$(jq -c "select(.type == \"RECORD\") | .record.a" m2 | tr -d "\n")" = "\"1\""
'

test_done
