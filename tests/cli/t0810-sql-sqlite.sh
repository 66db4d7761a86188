#!/usr/bin/env bash
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
test_description='bf-extract from SQLite, natively (read-only) and through its ODBC driver: values, zones, quarantine'
. "$(dirname "$0")/../lib/test-lib.sh"

records() { jq -c 'select(.type=="RECORD") | .record' "$@"; }
states() { jq -c 'select(.type=="STATE") | .value.bf' "$@"; }

db_sql() {
	cat <<'EOF'
CREATE TABLE "Work Orders" (id INTEGER, site TEXT, at TIMESTAMPTZ, plain DATETIME, day DATE,
  amount NUMERIC, ok BOOLEAN, doc JSON, pic BLOB, note TEXT);
INSERT INTO "Work Orders" VALUES
 (9007199254740993, 'n', '2024-03-10T04:59:59Z', '2024-03-09 23:59:59', '2024-03-09', '-1234.50', 1,
  '{"a":[1,2]}', x'00ff10', 'quote " back\slash	tab
newline é 中文 😀'),
 (2, 'n', '2024-03-10 05:00:00+00:00', '2024-03-10T00:00:00', '2024-03-10', 0.1, 0, NULL, x'', ''),
 (3, 's', '2024-03-10T14:59:59-05:00', '2024-03-10 14:59:59', '2024-03-10', NULL, NULL, '[]', NULL, NULL),
 (4, 's', '2024-03-11 04:00:00Z', '2024-03-11 00:00:00', '2024-03-11', 3, NULL, NULL, NULL, CAST(x'ff41' AS TEXT));
EOF
}

test_expect_success SQLITE3,JQ 'set up' '
	db_sql | sqlite3 src.db &&
	sqlite_checksum src.db "SELECT * FROM \"Work Orders\"" >src.sum &&
	stat -c %Y src.db >src.mtime
'

test_expect_success SQLITE3,JQ 'native: values as stored, base64, booleans, JSON, business dates in a zone' '
	test_expect_code 1 bf-extract --source sqlite:src.db --table "Work Orders" --date-column at --location-column site \
		--time-zone America/New_York --all >out 2>err &&
	records out | jq -c "[.id, ._bf_date, ._bf_location, .amount, .ok, .doc, .pic, .at, .plain]" >got &&
	cat >expect <<-\EOF &&
	["9007199254740993","2024-03-09","n","-1234.5","true",{"a":[1,2]},"AP8Q","2024-03-10T04:59:59+00:00","2024-03-09T23:59:59"]
	["2","2024-03-10","n","0.1","false",null,"","2024-03-10T05:00:00+00:00","2024-03-10T00:00:00"]
	["3","2024-03-10","s",null,null,[],null,"2024-03-10T14:59:59-05:00","2024-03-10T14:59:59"]
	EOF
	test_cmp expect got &&
	records out | jq -j "select(.id == \"9007199254740993\") | .note" >got &&
	sqlite3 src.db "SELECT note FROM \"Work Orders\" WHERE id = 9007199254740993" | head -c -1 >expect &&
	test_cmp expect got &&
	test "$(jq -r "select(.type==\"SCHEMA\") | .stream" out)" = work_orders
'

test_expect_success SQLITE3,JQ 'a row that is not UTF-8 is quarantined, counted, exit 1' '
	grep "invalid UTF-8 in column note (quarantined)" err &&
	test "$(states out | jq -r "select(.date == \"2024-03-11\" and .location == \"s\") | .quarantined")" = 1 &&
	test "$(sqlite3 "$BF_STATE" "SELECT reason, hex(raw) FROM quarantine")" = "invalid UTF-8 in column note|FF41" &&
	test_expect_code 1 bf-extract --source sqlite:src.db --table "Work Orders" --date-column at \
		--location-column site --time-zone America/New_York --all --force >/dev/null 2>&1 &&
	test_expect_code 65 bf-extract --source sqlite:src.db --table "Work Orders" --date-column at \
		--location-column site --time-zone America/New_York --date 2024-03-11 --force --strict >/dev/null 2>&1
'

test_expect_success SQLITE3,JQ 'the file is opened read-only: never written, never created' '
	test "$(sqlite_checksum src.db "SELECT * FROM \"Work Orders\"")" = "$(cat src.sum)" &&
	test "$(stat -c %Y src.db)" = "$(cat src.mtime)" &&
	test_expect_code 66 bf-extract --source sqlite:missing.db --table t --date-column d --all 2>err &&
	! test -e missing.db &&
	test_expect_code 66 bf-extract --source sqlite:src.db --table nosuch --date-column d --all 2>err &&
	grep "no such table" err
'

test_expect_success SQLITE3,JQ 'naive dates and --query through SQLite' '
	test_expect_code 1 bf-extract --source sqlite:src.db --table "Work Orders" --date-column day --all --force >out 2>/dev/null &&
	records out | jq -r "\"\(.id) \(._bf_date)\"" >got &&
	printf "%s\n" "9007199254740993 2024-03-09" "2 2024-03-10" "3 2024-03-10" >expect &&
	test_cmp expect got &&
	test "$(states out | jq -r "select(.quarantined > 0) | .date")" = 2024-03-11 &&
	bf-extract --source sqlite:src.db --query "SELECT id, day FROM \"Work Orders\" WHERE day >= :start AND day < :end" \
		--date 2024-03-10 --force >out &&
	test "$(records out | jq -r .id | tr "\n" " ")" = "2 3 "
'

# (SQLite has no zoned type for ODBC to compare as instants: the local column here)
test_expect_success SQLITE3,JQ,ODBC_SQLITE 'through the SQLite ODBC driver: the same rows' '
	odbc_setup &&
	test_expect_code 1 bf-extract --source "odbc:Driver={SQLite3};Database=$PWD/src.db" --table "Work Orders" \
		--date-column plain --location-column site --all --force >odbc.out 2>err &&
	records odbc.out | jq -c "[.id, ._bf_date, ._bf_location, .amount, .pic, .at, .note]" >got &&
	test_expect_code 1 bf-extract --source sqlite:src.db --table "Work Orders" --date-column plain --location-column site \
		--all --force >native.out 2>/dev/null &&
	records native.out | jq -c "[.id, ._bf_date, ._bf_location, .amount, .pic, .at, .note]" >expect &&
	test_line_count = 3 expect &&
	test_cmp expect got &&
	grep "invalid UTF-8" err
'

test_done
