#!/usr/bin/env bash
test_description='bf-load and names: reserved names get a "_" in front, tables bf-load did not create are never touched, the streams of one run are bounded'
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd sqlite3

# msgs STREAM...: one record of each stream in partition 1/2024-01-01, then its STATE
msgs() {
	local s
	for s in "$@"; do
		printf '{"type":"SCHEMA","stream":"%s","schema":{"properties":{"a":{"type":"string"}}},"key_properties":[]}\n' "$s"
		printf '{"type":"RECORD","stream":"%s","record":{"a":"x","_bf_date":"2024-01-01","_bf_location":"1","_bf_source":"1/20240101/f.csv","_bf_line":2}}\n' "$s"
	done
	printf '{"type":"STATE","value":{"bf":{"source":"s","location":"1","date":"2024-01-01","status":"ok"}}}\n'
}

test_expect_success 'a file named SqliteMaster.csv loads into _sqlite_master' '
	mkdir -p drop/1/20240101 &&
	printf "a,b\n1,2\n" >drop/1/20240101/SqliteMaster.csv &&
	{ bf-extract -q --source drop --all --state s.db >m || test $? = 1; } &&
	bf-load --target w.db --state s.db <m >out 2>err &&
	test "$(sqlite3 w.db "SELECT a || b FROM _sqlite_master")" = 12 &&
	test "$(sqlite3 w.db "SELECT count(*) FROM _sqlite_master_daily")" = 1
'

test_expect_success 'sqlite_*, pg_* and _bf_* streams, any case, get a "_" in front' '
	msgs SQLITE_stat1 pg_class _bf_loads other >r.ndjson &&
	bf-load -q --target r.db --state s.db <r.ndjson >/dev/null &&
	sqlite3 r.db "SELECT stream FROM _bf_streams ORDER BY stream" >got &&
	printf "%s\n" _SQLITE_stat1 __bf_loads _pg_class other >want &&
	test_cmp want got &&
	test "$(sqlite3 r.db "SELECT count(*) FROM _bf_loads")" = 1
'

test_expect_success 'a stream named like a table bf-load did not create: 78, that table untouched' '
	sqlite3 u.db "CREATE TABLE orders (keep TEXT); INSERT INTO orders VALUES (\"mine\")" &&
	msgs orders >o.ndjson &&
	test_expect_code 78 bf-load --target u.db --state s.db <o.ndjson >out 2>err &&
	grep "stream orders: a table or view orders is there that bf-load did not create; it is never written to" err &&
	test "$(sqlite3 u.db "SELECT group_concat(name) FROM pragma_table_info(\"orders\")")" = keep &&
	test "$(sqlite3 u.db "SELECT keep FROM orders")" = mine &&
	test ! -s out
'

test_expect_success '... also when the names differ only in case' '
	msgs ORDERS >o2.ndjson &&
	test_expect_code 78 bf-load --target u.db --state s.db <o2.ndjson 2>err &&
	grep "did not create" err &&
	test "$(sqlite3 u.db "SELECT group_concat(name) FROM pragma_table_info(\"orders\")")" = keep
'

test_expect_success 'a table holding the name of a view bf-load keeps: the view is not made, the table untouched' '
	sqlite3 v.db "CREATE TABLE items_open (keep TEXT)" &&
	msgs items >i.ndjson &&
	bf-load --target v.db --state s.db <i.ndjson >/dev/null 2>err &&
	grep "view items_open not made: a table of that name is there" err &&
	test "$(sqlite3 v.db "SELECT type FROM sqlite_master WHERE name = \"items_open\"")" = table &&
	test "$(sqlite3 v.db "SELECT count(*) FROM items_daily")" = 1
'

test_expect_success 'two streams that would share a table are refused (65)' '
	msgs Orders orders >c.ndjson &&
	test_expect_code 65 bf-load --target c.db --state s.db <c.ndjson 2>err &&
	grep "streams \"Orders\" and \"orders\" would share the table orders" err
'

test_expect_success 'more streams than --max-streams: 65, nothing of the partition committed' '
	msgs s1 s2 s3 >three.ndjson &&
	test_expect_code 65 bf-load --max-streams 2 --target m.db --state s.db <three.ndjson >out 2>err &&
	grep "line 5: stream \"s3\" is one more than the 2 streams one run takes (--max-streams)" err &&
	test "$(sqlite3 m.db "SELECT count(*) FROM _bf_loads")" = 0 &&
	bf-load -q --max-streams 3 --target m.db --state s.db <three.ndjson >/dev/null &&
	test "$(sqlite3 m.db "SELECT count(*) FROM _bf_loads")" = 1 &&
	test_expect_code 64 bf-load --max-streams 0 --target m.db </dev/null 2>err &&
	bf-load --help | grep -- "--max-streams N"
'

test_expect_success 'the default bound is 1000 streams' '
	msgs s1 | head -n 2 >many.ndjson &&
	awk "BEGIN { for (i = 2; i <= 1001; i++) printf \"{\\\"type\\\":\\\"SCHEMA\\\",\\\"stream\\\":\\\"s%d\\\",\\\"schema\\\":{},\\\"key_properties\\\":[]}\\n\", i }" >>many.ndjson &&
	test_expect_code 65 bf-load --target many.db --state s.db <many.ndjson 2>err &&
	grep "line 1002: stream \"s1001\" is one more than the 1000 streams" err &&
	test "$(sqlite3 many.db "SELECT count(*) FROM _bf_streams")" = 1
'

test_expect_success PG 'PostgreSQL: pg_* streams get a "_" in front; a table bf-load did not create: 78, untouched' '
	start_pg &&
	msgs pg_class >p.ndjson &&
	bf-load -q --target "$BF_PG_URL" --state s.db <p.ndjson >/dev/null &&
	test "$(psql -X -At -c "SELECT a FROM public._pg_class")" = x &&
	psql -X -q -c "CREATE TABLE orders (keep text); INSERT INTO orders VALUES (\$\$mine\$\$)" &&
	test_expect_code 78 bf-load --target "$BF_PG_URL" --state s.db <o.ndjson 2>err &&
	grep "a relation public.orders is there that bf-load did not create" err &&
	test "$(psql -X -At -c "SELECT string_agg(column_name, \$\$,\$\$) FROM information_schema.columns WHERE table_name = \$\$orders\$\$")" = keep
'

test_done
