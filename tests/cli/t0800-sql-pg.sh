#!/usr/bin/env bash
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
test_description='bf-extract from a PostgreSQL table: values as the database prints them, business dates in a zone across DST, --query, secrets, exit codes, a server restarting mid-date'
. "$(dirname "$0")/../lib/test-lib.sh"

Z=America/New_York

q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
# the records of a stream as one JSON object a line
records() { jq -c 'select(.type=="RECORD") | .record' "$@"; }
states() { jq -c 'select(.type=="STATE") | .value.bf' "$@"; }

# the tables, outside the single-quoted test bodies
tables_sql() {
	cat <<'EOF'
CREATE TABLE kinds (
    id bigint, amount numeric(30,10), credit numeric, ratio double precision, ok boolean,
    day date, at timestamp, ts timestamptz, doc jsonb, raw json, pic bytea, note text,
    site text);
INSERT INTO kinds VALUES
 (9223372036854775807, 12345678901234567890.0123456789, -0.01, 0.1, true, '2024-03-10',
  '2024-03-10 23:59:59.999999', '2024-03-10 12:00:00.123456+00', '{"k": "é", "n": [1, 2.50]}',
  E'{\n  "a" : 1\n}', '\x000102ff', E'quote " back\\slash\ttab\nnewline\r é ü 中文 😀', 'n'),
 (-9223372036854775808, -99999999999999999999.9999999999, -1234567.891, -1e-300, false,
  '2024-03-10', '2024-03-10 00:00:00', '2024-03-10 06:00:00+00', '[]', 'null', '\x', '', 'n'),
 (3, NULL, NULL, NULL, NULL, '2024-03-10', NULL, '2024-03-10 07:00:00+00', NULL, NULL, NULL, NULL, 'n');
CREATE TABLE instants (id int, site text, at timestamptz, naive timestamp, d date);
INSERT INTO instants VALUES
 (1, 'a', '2024-03-10 04:59:59+00', '2024-03-09 23:59:59', '2024-03-09'),
 (2, 'a', '2024-03-10 05:00:00+00', '2024-03-10 00:00:00', '2024-03-10'),
 (3, 'a', '2024-03-11 03:59:59+00', '2024-03-10 23:59:59', '2024-03-10'),
 (4, 'a', '2024-03-11 04:00:00+00', '2024-03-11 00:00:00', '2024-03-11'),
 (5, 'b', '2024-11-03 03:59:59+00', '2024-11-02 23:59:59', '2024-11-02'),
 (6, 'b', '2024-11-03 04:00:00+00', '2024-11-03 00:00:00', '2024-11-03'),
 (7, 'b', '2024-11-04 04:59:59+00', '2024-11-03 23:59:59', '2024-11-03'),
 (8, 'b', '2024-11-04 05:00:00+00', '2024-11-04 00:00:00', '2024-11-04');
EOF
}

test_expect_success PG,JQ 'set up: a table of every value kind, and one of instants around DST' '
	start_pg &&
	tables_sql | q
'

test_expect_success PG,JQ 'text, numbers, NULLs and base64 are byte-exact against the database own output' '
	bf-extract --source "$BF_PG_URL" --table kinds --date-column day --date 2024-03-10 >out &&
	states out >st &&
	test "$(jq -r .kind st)" = table &&
	test "$(jq -r .total_rows st)" = 3 &&
	q -F "|" -c "SELECT id::text, coalesce(amount::text, \$\$~\$\$), coalesce(credit::text, \$\$~\$\$),
		coalesce(ratio::text, \$\$~\$\$), coalesce(replace(encode(pic, \$\$base64\$\$), chr(10), \$\$\$\$), \$\$~\$\$)
		FROM kinds ORDER BY id" >expect &&
	records out | jq -r "[.id, .amount // \"~\", .credit // \"~\", .ratio // \"~\", .pic // \"~\"] | join(\"|\")" |
		sort -n >got0 && sort -n expect >expect0 &&
	test_cmp expect0 got0 &&
	q -c "SELECT note FROM kinds WHERE id = 9223372036854775807" >expect &&
	records out | jq -j "select(.id == \"9223372036854775807\") | .note" >got && echo >>got &&
	test_cmp expect got &&
	test "$(records out | jq -c "select(.id == \"3\") | [.amount, .note, .ok, .doc, .pic]")" = "[null,null,null,null,null]"
'

test_expect_success PG,JQ 'booleans, dates, JSON values and the SCHEMA types' '
	records out | jq -c "[.id, .ok, .day, .doc, .raw]" | sort >got &&
	cat >expect <<-\EOF &&
	["-9223372036854775808","false","2024-03-10",[],null]
	["3",null,"2024-03-10",null,null]
	["9223372036854775807","true","2024-03-10",{"k":"é","n":[1,2.5]},{"a":1}]
	EOF
	test_cmp expect got &&
	grep -F "\"doc\":{\"k\": \"é\", \"n\": [1, 2.50]},\"raw\":{   \"a\" : 1 }," out &&
	jq -c "select(.type==\"SCHEMA\") | .schema.properties | [.id.type[0], .amount.type[0], .ok.type[0],
		.day.format, .at.format, .ts.format, .doc.type[0], .pic.contentEncoding, .note.type[0]]" out >got &&
	echo "[\"integer\",\"number\",\"boolean\",\"date\",\"date-time\",\"date-time\",\"object\",\"base64\",\"string\"]" >expect &&
	test_cmp expect got
'

test_expect_success PG,JQ 'timestamps are ISO 8601 and a zoned one denotes the same instant' '
	records out | jq -r "select(.at) | .at" | sort >got &&
	printf "%s\n" 2024-03-10T00:00:00 2024-03-10T23:59:59.999999 >expect &&
	test_cmp expect got &&
	bf-extract --source "$BF_PG_URL" --table kinds --date-column day --date 2024-03-10 --time-zone Asia/Kolkata \
		--force >out2 &&
	records out2 | jq -r "select(.id == \"9223372036854775807\") | .ts" >got &&
	echo 2024-03-10T17:30:00.123456+05:30 >expect &&
	test_cmp expect got &&
	for v in $(records out out2 | jq -r .ts); do
		echo "$v|$(q -c "SELECT extract(epoch FROM \$\$$v\$\$::timestamptz)")"
	done | sort -u | cut -d"|" -f2 | sort -u >epochs &&
	q -c "SELECT extract(epoch FROM ts) FROM kinds" | sort -u >expect &&
	test_cmp expect epochs
'

test_expect_success PG,JQ 'DST: a row belongs to the business date it has in the zone' '
	bf-extract --source "$BF_PG_URL" --table instants --date-column at --time-zone $Z --all >out &&
	records out | jq -r "\"\(.id) \(._bf_date)\"" >got &&
	printf "%s\n" "1 2024-03-09" "2 2024-03-10" "3 2024-03-10" "4 2024-03-11" \
		"5 2024-11-02" "6 2024-11-03" "7 2024-11-03" "8 2024-11-04" >expect &&
	test_cmp expect got &&
	states out | jq -r "select(.date == \"2024-03-10\" or .date == \"2024-11-03\") | \"\(.date) \(.window.start) \(.window.end)\"" >got &&
	printf "%s\n" "2024-03-10 2024-03-10 00:00:00-05:00 2024-03-11 00:00:00-04:00" \
		"2024-11-03 2024-11-03 00:00:00-04:00 2024-11-04 00:00:00-05:00" >expect &&
	test_cmp expect got &&
	test "$(states out | jq -r .date | sort -u | wc -l)" = 241
'

test_expect_success PG,JQ 'naive timestamps and dates are already local; every location gets every date' '
	for col in naive d; do
		bf-extract --source "$BF_PG_URL" --table instants --date-column $col --location-column site \
			--time-zone $Z --force --dates 2024-03-09,2024-03-10,2024-03-11,2024-11-02,2024-11-03,2024-11-04 \
			>out.$col &&
		records out.$col | jq -r "\"\(.id) \(._bf_date) \(._bf_location)\"" >got.$col || return 1
	done &&
	printf "%s\n" "1 2024-03-09 a" "2 2024-03-10 a" "3 2024-03-10 a" "4 2024-03-11 a" \
		"5 2024-11-02 b" "6 2024-11-03 b" "7 2024-11-03 b" "8 2024-11-04 b" >expect &&
	sort -k2 got.naive >g1 && sort -k2 expect >e1 && test_cmp e1 g1 &&
	sort -k2 got.d >g2 && test_cmp e1 g2 &&
	test "$(states out.naive | jq -r .location | sort | uniq -c | awk "{print \$1}" | sort -u)" = 6 &&
	test "$(states out.naive | jq -r "select(.location == \"b\" and .total_rows > 0) | .date" | wc -l)" = 3
'

test_expect_success PG,JQ '--query with :start and :end bound (not in a string or after ::), --stream, --columns' '
	bf-extract --source "$BF_PG_URL" --query "SELECT id, site, \$\$:start\$\$ AS lit, :start::date AS s
		FROM instants WHERE at >= :start AND at < :end -- :end" --stream Ins --time-zone $Z \
		--date 2024-03-10 >out &&
	records out | jq -c "[.id, .lit, .s, ._bf_source]" >got &&
	test "$(wc -l <got)" = 2 &&
	grep -F "[\"2\",\":start\",\"2024-03-10\",\"query:" got &&
	test "$(jq -r "select(.type==\"SCHEMA\") | .stream" out)" = Ins &&
	bf-extract --source "$BF_PG_URL" --table instants --date-column at --columns id,at --stream ins \
		--date 2024-03-10 --force >out &&
	records out | jq -c "keys" | sort -u >got &&
	echo "[\"_bf_date\",\"_bf_line\",\"_bf_location\",\"_bf_source\",\"at\",\"id\"]" >expect &&
	test_cmp expect got
'

test_expect_success PG,JQ 'the state file: one files row per partition with the window, rows and a checksum' '
	rm -f "$BF_STATE" &&
	bf-extract --source "$BF_PG_URL" --table instants --date-column at --time-zone $Z --date 2024-03-10 >o1 &&
	sqlite3 "$BF_STATE" "SELECT name, stream, rows, length(sha256) FROM files" >got &&
	echo "instants [2024-03-10 00:00:00-05:00, 2024-03-11 00:00:00-04:00)|instants|2|64" >expect &&
	test_cmp expect got &&
	sqlite3 "$BF_STATE" "SELECT sha256 FROM files" >sum1 &&
	bf-extract --source "$BF_PG_URL" --table instants --date-column at --time-zone $Z --date 2024-03-10 --force >o2 &&
	sqlite3 "$BF_STATE" "SELECT sha256 FROM files" >sum2 &&
	test_cmp sum1 sum2 &&
	q -c "UPDATE instants SET site = \$\$c\$\$ WHERE id = 2" &&
	bf-extract --source "$BF_PG_URL" --table instants --date-column at --time-zone $Z --date 2024-03-10 --force >o3 &&
	sqlite3 "$BF_STATE" "SELECT sha256 FROM files" >sum3 &&
	! test_cmp sum1 sum3 &&
	test "$(sqlite3 "$BF_STATE" "SELECT source, location, folder IS NULL, rows FROM partitions")" = \
		"$BF_PG_URL#instants|instants|1|2"
'

test_expect_success PG,JQ 'loaded partitions are skipped, --force redoes them; empty dates still get a STATE' '
	rm -f "$BF_STATE" wh.db &&
	bf-extract --source "$BF_PG_URL" --table instants --date-column at --time-zone $Z \
		--start-date 2024-03-09 --end-date 2024-03-12 | bf-load --target wh.db >/dev/null &&
	test "$(sqlite3 wh.db "SELECT count(*) FROM instants")" = 4 &&
	test "$(sqlite3 wh.db "SELECT count(*) FROM _bf_loads")" = 4 &&
	bf-extract --source "$BF_PG_URL" --table instants --date-column at --time-zone $Z \
		--start-date 2024-03-09 --end-date 2024-03-12 >again 2>err &&
	test_line_count = 0 again &&
	grep "skipped 4 partitions" err &&
	bf-extract --source "$BF_PG_URL" --table instants --date-column at --time-zone $Z \
		--start-date 2024-03-09 --end-date 2024-03-12 --force >again &&
	test "$(states again | jq -r .total_rows | tr "\n" " ")" = "1 2 1 0 "
'

test_expect_success PG 'a password in the URL is refused with 64 before anything is recorded' '
	rm -f "$BF_STATE" &&
	test_expect_code 64 bf-extract --source "postgresql://$PGUSER:secret@127.0.0.1:$PGPORT/$PGDATABASE" \
		--table instants --date-column at --all 2>err &&
	grep "contains a password" err &&
	! grep secret err &&
	test_expect_code 64 bf-extract --source "$BF_PG_URL?password=secret" --table instants --date-column at --all &&
	test_expect_code 64 bf-run --source "postgresql://u:secret@127.0.0.1:$PGPORT/db" --table instants \
		--date-column at --all --target x.db --no-log &&
	! test -e "$BF_STATE"
'

test_expect_success PG 'usage: --table or --query, --date-column, a known zone' '
	test_expect_code 64 bf-extract --source "$BF_PG_URL" --date-column at --all 2>err &&
	grep "needs --table or --query" err &&
	test_expect_code 64 bf-extract --source "$BF_PG_URL" --table instants --all 2>err &&
	grep "needs --date-column" err &&
	test_expect_code 64 bf-extract --source "$BF_PG_URL" --table instants --date-column at --time-zone Mars/Olympus --all 2>err &&
	grep "unknown time zone" err
'

test_expect_success PG 'exit codes: wrong password 77, missing table 66, missing column 65, server down 69' '
	PGPASSWORD=wrong test_expect_code 77 bf-extract --source "$BF_PG_URL" --table instants --date-column at --all 2>err &&
	grep -i password err &&
	test_expect_code 66 bf-extract --source "$BF_PG_URL" --table nosuch --date-column at --all 2>err &&
	grep "nosuch" err && grep "does not exist" err &&
	test_expect_code 65 bf-extract --source "$BF_PG_URL" --table instants --date-column nosuch --date 2024-03-10 2>err &&
	grep "nosuch" err &&
	port=$(free_port) &&
	test_expect_code 69 bf-extract --source "postgresql://$PGUSER@127.0.0.1:$port/$PGDATABASE" --retries 0 \
		--table instants --date-column at --all 2>err
'

test_expect_success PG,JQ 'a server restarting mid-date: that date fails (nothing of it loaded), the next reconnects, 69' '
	ROWS=60000 &&
	[ "${BF_TEST_SANITIZE:-0}" != 1 ] || ROWS=40000 &&
	q -c "CREATE TABLE big AS SELECT g AS id, (DATE \$\$2024-01-01\$\$ + (g > $ROWS)::int) AS d,
		repeat(\$\$x\$\$, 200) AS pad FROM generate_series(1, $ROWS + 10) g" &&
	rm -f "$BF_STATE" big.db &&
	{ bf-extract --source "$BF_PG_URL" --table big --date-column d --start-date 2024-01-01 --end-date 2024-01-02 \
		--retries 8 2>err; echo $? >rc; } | { for i in 1 2 3; do IFS= read -r l && printf "%s\n" "$l"; done >first &&
		"$BF_SERVERS/pg.sh" restart "$TRASH_DIRECTORY/pg" && cat >rest; } &&
	test "$(cat rc)" = 69 &&
	cat first rest >all &&
	test_expect_code 1 bf-load --target big.db <all >committed &&
	states first rest >st &&
	test "$(jq -r "select(.date == \"2024-01-01\") | \"\(.status) \(.exit_code)\"" st)" = "failed 69" &&
	test "$(jq -r "select(.date == \"2024-01-02\") | \"\(.status) \(.total_rows)\"" st)" = "ok 10" &&
	test "$(sqlite3 big.db "SELECT _bf_date, count(*) FROM big GROUP BY 1")" = "2024-01-02|10" &&
	bf-extract --source "$BF_PG_URL" --table big --date-column d --start-date 2024-01-01 --end-date 2024-01-02 |
		bf-load --target big.db >/dev/null &&
	test "$(sqlite3 big.db "SELECT count(*) FROM big")" = $((ROWS + 10))
'

test_done
