#!/usr/bin/env bash
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
test_description='bf-extract through ODBC: MariaDB (odbc-mariadb) and PostgreSQL (odbc-postgresql); values against the database own output, the password from BF_ODBC_PASSWORD only, exit codes'
. "$(dirname "$0")/../lib/test-lib.sh"

records() { jq -c 'select(.type=="RECORD") | .record' "$@"; }
states() { jq -c 'select(.type=="STATE") | .value.bf' "$@"; }
maria() { MYSQL_PWD=$MARIADB_PASSWORD mariadb --no-defaults --default-character-set=utf8mb4 -h 127.0.0.1 \
	-P "$MARIADB_PORT" -u "$MARIADB_USER" "$MARIADB_DATABASE" "$@"; }

maria_sql() {
	cat <<'EOF'
CREATE TABLE work_orders (id BIGINT PRIMARY KEY, site VARCHAR(20), opened DATETIME(6), due DATE,
  amount DECIMAL(20,4), credit DECIMAL(12,2), urgent BOOLEAN, meta JSON, photo VARBINARY(64),
  note VARCHAR(300), body TEXT);
INSERT INTO work_orders VALUES
 (9223372036854775807, 'north', '2024-03-09 23:59:59.250000', '2024-03-11', 1234567890123456.7891, -0.01,
  TRUE, '{"a": [1, 2]}', x'00ff10', 'quote " back\\slash\ttab\nnewline é ü 中文 😀', REPEAT('long ', 3000)),
 (-9223372036854775808, 'north', '2024-03-10 00:00:00', NULL, -1, -99999.99, FALSE, NULL, x'', '', NULL),
 (3, 'south', '2024-03-10 23:59:59.999999', NULL, NULL, NULL, NULL, '[]', NULL, NULL, '');
EOF
}

pg_sql() {
	cat <<'EOF'
CREATE TABLE instants (id int, site text, at timestamptz, amount numeric, note text);
INSERT INTO instants VALUES
 (1, 'a', '2024-03-10 04:59:59+00', -0.01, E'tab\t中文 😀'),
 (2, 'a', '2024-03-10 05:00:00+00', 12345678901234567890.5, NULL),
 (3, 'a', '2024-03-11 03:59:59+00', 0, ''),
 (4, 'a', '2024-03-11 04:00:00+00', 1, 'x');
EOF
}

test_expect_success MARIADB,ODBC_MARIADB,JQ 'set up MariaDB' '
	start_mariadb &&
	odbc_setup &&
	maria_sql | maria &&
	CS="odbc:Driver={MariaDB};Server=127.0.0.1;Port=$MARIADB_PORT;Database=$MARIADB_DATABASE;Uid=$MARIADB_USER"
'

test_expect_success MARIADB,ODBC_MARIADB,JQ 'MariaDB: numbers, dates and text as mariadb prints them' '
	BF_ODBC_PASSWORD=$MARIADB_PASSWORD bf-extract --source "$CS" --table work_orders --date-column opened \
		--location-column site --all >out &&
	maria -B -N -e "SELECT id, site, DATE_FORMAT(opened, \"%Y-%m-%dT%H:%i:%s.%f\"), IFNULL(due, \"~\"),
		IFNULL(amount, \"~\"), IFNULL(credit, \"~\"), IFNULL(urgent, \"~\"), IFNULL(TO_BASE64(photo), \"~\")
		FROM work_orders" | sort >expect &&
	records out | jq -r "[.id, .site, .opened, .due // \"~\", .amount // \"~\", .credit // \"~\", .urgent // \"~\",
		.photo // \"~\"] | join(\"\t\")" | sort >got &&
	test_cmp expect got &&
	maria -B -N -r -e "SELECT note FROM work_orders WHERE id = 9223372036854775807" >expect &&
	records out | jq -j "select(.id == \"9223372036854775807\") | .note" >got && echo >>got &&
	test_cmp expect got &&
	test "$(records out | jq -r "select(.id == \"9223372036854775807\") | .body | length")" = 15000 &&
	test "$(records out | jq -c "select(.id == \"3\") | [.body, .note, .meta]")" = "[\"\",null,\"[]\"]" &&
	states out | jq -r "\"\(.location) \(.date) \(.total_rows)\"" >got &&
	printf "%s\n" "north 2024-03-09 1" "south 2024-03-09 0" "north 2024-03-10 1" "south 2024-03-10 1" >expect &&
	test_cmp expect got
'

test_expect_success MARIADB,ODBC_MARIADB 'the password comes from BF_ODBC_PASSWORD, never the command line' '
	rm -f "$BF_STATE" &&
	test_expect_code 64 bf-extract --source "$CS;PWD=$MARIADB_PASSWORD" --table work_orders --date-column opened --all 2>err &&
	grep "contains a password" err &&
	! grep "$MARIADB_PASSWORD" err &&
	test_expect_code 64 bf-extract --source "$CS;password={x}" --table work_orders --date-column opened --all &&
	test_expect_code 64 bf-extract --source "$CS;PRIV_KEY_FILE_PWD=x" --table work_orders --date-column opened --all &&
	! test -e "$BF_STATE" &&
	test_expect_code 77 bf-extract --source "$CS" --table work_orders --date-column opened --all 2>err &&
	grep -i "denied" err &&
	BF_ODBC_PASSWORD="wrong}pw" test_expect_code 77 bf-extract --source "$CS" --table work_orders \
		--date-column opened --all 2>err &&
	! grep "wrong" err &&
	! grep -i "pwd=" "$BF_STATE"
'

test_expect_success MARIADB,ODBC_MARIADB 'missing table 66, missing column 65, server down 69' '
	export BF_ODBC_PASSWORD=$MARIADB_PASSWORD &&
	test_expect_code 66 bf-extract --source "$CS" --table nosuch --date-column opened --all 2>err &&
	grep -i "nosuch" err &&
	test_expect_code 65 bf-extract --source "$CS" --table work_orders --date-column nosuch --date 2024-03-10 2>err &&
	grep -i "nosuch" err &&
	port=$(free_port) &&
	test_expect_code 69 bf-extract --retries 0 --source "odbc:Driver={MariaDB};Server=127.0.0.1;Port=$port;Uid=x" \
		--table work_orders --date-column opened --all 2>err &&
	unset BF_ODBC_PASSWORD
'

test_expect_success PG,ODBC_PG,JQ 'PostgreSQL through its ODBC driver: zoned instants, business dates, values' '
	start_pg &&
	odbc_setup &&
	pg_sql | psql -X -q -v ON_ERROR_STOP=1 &&
	PCS="odbc:Driver={PostgreSQL};Server=127.0.0.1;Port=$PGPORT;Database=$PGDATABASE;Uid=$PGUSER" &&
	BF_ODBC_PASSWORD=$PGPASSWORD bf-extract --source "$PCS" --table instants --date-column at \
		--time-zone America/New_York --all >out &&
	records out | jq -c "[.id, ._bf_date, .at, .amount, .note]" >got &&
	cat >expect <<-\EOF &&
	["1","2024-03-09","2024-03-10T04:59:59+00:00","-0.01","tab\t中文 😀"]
	["2","2024-03-10","2024-03-10T05:00:00+00:00","12345678901234567890.5",null]
	["3","2024-03-10","2024-03-11T03:59:59+00:00","0",""]
	["4","2024-03-11","2024-03-11T04:00:00+00:00","1","x"]
	EOF
	test_cmp expect got &&
	test "$(states out | jq -r "select(.date == \"2024-03-10\") | .window.end")" = "2024-03-11 00:00:00-04:00"
'

test_done
