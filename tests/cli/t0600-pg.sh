#!/usr/bin/env bash
test_description='bf-load into PostgreSQL: create, drift, types, quarantine, idempotence, crashes'
. "$(dirname "$0")/../lib/test-lib.sh"

# gen LOC DATE... : messages of stream orders, ROWS rows a date (default 500)
gen() {
	awk -v loc="$1" -v dates="${*:2}" -v rows="${ROWS:-500}" -v extra="${EXTRA:-}" 'BEGIN {
		printf "{\"type\":\"SCHEMA\",\"stream\":\"orders\",\"schema\":{\"type\":\"object\",\"properties\":{"
		printf "\"order_id\":{\"type\":[\"integer\",\"null\"]},\"amount\":{\"type\":[\"number\",\"null\"]},"
		printf "\"paid\":{\"type\":\"boolean\"},\"opened\":{\"type\":\"string\",\"format\":\"date-time\"},"
		printf "\"note\":{\"type\":[\"string\",\"null\"]}%s,", extra ? ",\"" extra "\":{\"type\":\"string\"}" : ""
		printf "\"_bf_date\":{\"type\":\"string\",\"format\":\"date\"},\"_bf_location\":{\"type\":\"string\"},"
		printf "\"_bf_source\":{\"type\":\"string\"},\"_bf_line\":{\"type\":\"integer\"}}},\"key_properties\":[]}\n"
		n = split(dates, d, " ")
		for (k = 1; k <= n; k++) {
			for (i = 1; i <= rows; i++) {
				printf "{\"type\":\"RECORD\",\"stream\":\"orders\",\"record\":{\"order_id\":\"%d%011d\",", 900000 + k, i
				printf "\"amount\":\"%d.%02d\",\"paid\":\"%s\",\"opened\":\"4/%d/24 %d:%02d %s\",", i % 997, i % 100, i % 3 ? "yes" : "0", k, i % 12 + 1, i % 60, i % 2 ? "AM" : "PM"
				printf "\"note\":\"tab\\there, quote \\\" back\\\\slash\\nnewline %d\"%s,", i, extra ? ",\"" extra "\":\"x" i "\"" : ""
				printf "\"_bf_date\":\"%s\",\"_bf_location\":\"%s\",\"_bf_source\":\"f.csv\",\"_bf_line\":%d}}\n", d[k], loc, i + 1
			}
			printf "{\"type\":\"STATE\",\"value\":{\"bf\":{\"source\":\"src\",\"location\":\"%s\",\"date\":\"%s\",\"status\":\"ok\"}}}\n", loc, d[k]
		}
	}'
}

pgsum() { psql -X -At -c "select count(*) || ' ' || md5(coalesce(string_agg(t::text, E'\n' order by t::text), '')) from ${1:-public}.orders t"; }

test_expect_success PG 'set up' '
	start_pg &&
	gen 185129 2024-04-01 2024-04-02 2024-04-03 >three.ndjson &&
	test_line_count = 1504 three.ndjson
'

test_expect_success PG 'a password in the URL is refused with 64 and why' '
	test_expect_code 64 bf-load --target "postgresql://$PGUSER:secret@127.0.0.1:$PGPORT/$PGDATABASE" <three.ndjson 2>err &&
	grep "contains a password" err &&
	test_expect_code 64 bf-load --target "postgresql://$PGUSER@127.0.0.1:$PGPORT/$PGDATABASE?password=x" <three.ndjson
'

test_expect_success PG 'a wrong password is 77' '
	PGPASSWORD=wrong test_expect_code 77 bf-load --target "$BF_PG_URL" <three.ndjson 2>err &&
	grep -i "password" err
'

test_expect_success PG 'creates typed tables and loads every row through COPY' '
	bf-load --target "$BF_PG_URL" <three.ndjson >out &&
	test_line_count = 3 out &&
	grep "\"load\":{\"rows\":500,\"quarantined\":0}" out &&
	psql -X -At -c "select column_name || chr(32) || data_type from information_schema.columns where table_name = \$\$orders\$\$ order by ordinal_position" >types &&
	printf "%s\n" "order_id bigint" "amount numeric" "paid boolean" "opened timestamp without time zone" \
		"note text" "_bf_date date" "_bf_location text" "_bf_source text" "_bf_line bigint" >expect &&
	test_cmp expect types &&
	test "$(psql -X -At -c "select count(*) from orders")" = 1500 &&
	test "$(psql -X -At -c "select order_id from orders where _bf_date = \$\$2024-04-02\$\$ and _bf_line = 8")" = 90000200000000007 &&
	test "$(psql -X -At -c "select amount::text from orders where _bf_date = \$\$2024-04-02\$\$ and _bf_line = 11")" = 10.10 &&
	test "$(psql -X -At -c "select opened from orders where _bf_date = \$\$2024-04-03\$\$ and _bf_line = 2")" = "2024-04-03 02:01:00" &&
	test "$(psql -X -At -c "select count(*) from orders where not paid")" = 498 &&
	psql -X -At -c "select note from orders where _bf_line = 2 and _bf_date = \$\$2024-04-01\$\$" >note &&
	printf "tab\there, quote \" back\\\\slash\nnewline 1\n" >expect &&
	test_cmp expect note &&
	test "$(psql -X -At -c "select count(*) from _bf_loads where status = \$\$loaded\$\$ and rows = 500")" = 3 &&
	test "$(sqlite3 "$BF_STATE" "select count(*) from partitions where status = \"loaded\" and loaded_rows = 500")" = 3
'

test_expect_success PG 're-running leaves exactly one copy' '
	pgsum >before &&
	bf-load --target "$BF_PG_URL" <three.ndjson >/dev/null &&
	bf-load --target "$BF_PG_URL" <three.ndjson >/dev/null &&
	pgsum >after &&
	test_cmp before after
'

test_expect_success PG 'drift: a new column is added and the views still work' '
	EXTRA=tip gen 185129 2024-04-03 >drift.ndjson &&
	bf-load --target "$BF_PG_URL" <drift.ndjson >/dev/null &&
	test "$(psql -X -At -c "select count(tip) from orders")" = 500 &&
	test "$(psql -X -At -c "select count(*) from orders")" = 1500 &&
	test "$(psql -X -At -c "select count(tip) from orders_open")" = 500 &&
	test "$(psql -X -At -c "select sum(rows) from orders_daily")" = 1500
'

test_expect_success PG 'a value that does not fit is quarantined, not loaded' '
	gen 185129 2024-04-05 | sed -e "s/\"amount\":\"5.05\"/\"amount\":\"five\"/" \
		-e "s/\"order_id\":\"90000100000000009\"/\"order_id\":\"9.5\"/" >bad.ndjson &&
	test_expect_code 1 bf-load --target "$BF_PG_URL" <bad.ndjson >out 2>err &&
	grep "\"load\":{\"rows\":498,\"quarantined\":2}" out &&
	test "$(psql -X -At -c "select count(*) from orders where _bf_date = \$\$2024-04-05\$\$")" = 498 &&
	sqlite3 "$BF_STATE" "select reason from quarantine where stage = \"load\" order by line" >reasons &&
	grep "^amount (number): not a number: \"five\"$" reasons &&
	grep "^order_id (integer): not an integer: \"9.5\"$" reasons &&
	test "$(sqlite3 "$BF_STATE" "select count(*) from quarantine where stage = \"load\" and instr(cast(raw as text), \"five\") > 0")" = 1
'

# wait_copy: until a COPY into orders is running on the server
copy_running() {
	test "$(psql -X -At -c "select count(*) from pg_stat_activity where query like \$\$COPY %orders%\$\$ and state = \$\$active\$\$")" -ge 1
}
wait_copy() { wait_until copy_running; }

test_expect_success PG 'SIGKILL mid-COPY, then a re-run, equals one clean run' '
	ROWS=3000 gen 42 2024-05-01 2024-05-02 >big.ndjson &&
	bf-load --target "$BF_PG_URL" --pg-schema clean <big.ndjson >/dev/null &&
	pgsum clean >expect &&
	head -n 3500 big.ndjson >first &&
	mkfifo pipe &&
	{ bf-load --target "$BF_PG_URL" <pipe >/dev/null 2>&1 & } &&
	pid=$! &&
	exec 7>pipe &&
	cat first >&7 &&
	wait_copy &&
	kill -9 $pid &&
	{ wait $pid || true; } &&
	exec 7>&- &&
	test "$(psql -X -At -c "select count(*) from orders where _bf_location = \$\$42\$\$ and _bf_date = \$\$2024-05-02\$\$")" = 0 &&
	test "$(psql -X -At -c "select count(*) from orders where _bf_location = \$\$42\$\$ and _bf_date = \$\$2024-05-01\$\$")" = 3000 &&
	bf-load --target "$BF_PG_URL" <big.ndjson >/dev/null &&
	psql -X -At -c "select count(*) || chr(32) || md5(coalesce(string_agg(t::text, chr(10) order by t::text), chr(32))) from (select order_id, amount, paid, opened, note, _bf_date, _bf_location, _bf_source, _bf_line from orders where _bf_location = \$\$42\$\$) t" >got &&
	psql -X -At -c "select count(*) || chr(32) || md5(coalesce(string_agg(t::text, chr(10) order by t::text), chr(32))) from (select order_id, amount, paid, opened, note, _bf_date, _bf_location, _bf_source, _bf_line from clean.orders) t" >want &&
	test_cmp want got
'

test_expect_success PG 'the server stopped mid-date: exit 69, the date rolled back and not marked' '
	ROWS=3000 gen 77 2024-06-01 >one.ndjson &&
	head -n 1500 one.ndjson >part1 &&
	tail -n +1501 one.ndjson >part2 &&
	rm -f pipe2 && mkfifo pipe2 &&
	{ bf-load --target "$BF_PG_URL" <pipe2 >/dev/null 2>err69 & } &&
	pid=$! &&
	exec 8>pipe2 &&
	cat part1 >&8 &&
	wait_copy &&
	"$BF_SERVERS/pg.sh" stop "$PG_SOCKET_DIR" &&
	{ cat part2 >&8 || true; } &&
	exec 8>&- &&
	{ wait $pid; echo $? >code; } &&
	test "$(cat code)" = 69 &&
	grep -i "connection" err69 &&
	"$BF_SERVERS/pg.sh" start "$PG_SOCKET_DIR" &&
	. "$PG_SOCKET_DIR/env" &&
	test "$(psql -X -At -c "select count(*) from orders where _bf_location = \$\$77\$\$")" = 0 &&
	test "$(psql -X -At -c "select count(*) from _bf_loads where location = \$\$77\$\$")" = 0 &&
	test "$(sqlite3 "$BF_STATE" "select count(*) from partitions where location = \"77\" and status = \"loaded\"")" = 0
'

test_expect_success PG 'embeddings become real[] castable to a vector' '
	cat >emb.ndjson <<-\EOS &&
	{"type":"SCHEMA","stream":"items","schema":{"properties":{"name":{"type":"string"},"embedding":{"type":"array","items":{"type":"number"}}}}}
	{"type":"RECORD","stream":"items","record":{"name":"fries","embedding":[0.5,-1.25,3e2],"_bf_date":"2024-04-04","_bf_location":"1","_bf_line":2}}
	{"type":"RECORD","stream":"items","record":{"name":"shake","embedding":"[1, 2]","_bf_date":"2024-04-04","_bf_location":"1","_bf_line":3}}
	{"type":"STATE","value":{"bf":{"source":"s","location":"1","date":"2024-04-04"}}}
	EOS
	bf-load --target "$BF_PG_URL" <emb.ndjson >/dev/null &&
	test "$(psql -X -At -c "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = \$\$items\$\$::regclass and attname = \$\$embedding\$\$")" = "real[]" &&
	test "$(psql -X -At -c "select embedding from items order by name")" = "{0.5,-1.25,300}
{1,2}"
'

# values the server reads from binary COPY must equal its own parse of the same text
test_expect_success PG 'binary COPY: each value is what the server makes of its text' '
	sch="{\"type\":\"SCHEMA\",\"stream\":\"vals\",\"schema\":{\"properties\":{\"n\":{\"type\":\"number\"},\"ts\":{\"type\":\"string\",\"format\":\"date-time\"},\"tz\":{\"type\":\"string\"},\"d\":{\"type\":\"string\",\"format\":\"date\"},\"rn\":{\"type\":\"string\"},\"rts\":{\"type\":\"string\"},\"rd\":{\"type\":\"string\"},\"i\":{\"type\":\"integer\"},\"b\":{\"type\":\"boolean\"},\"j\":{\"type\":\"object\"},\"e\":{\"type\":\"array\",\"items\":{\"type\":\"number\"}},\"t\":{\"type\":\"string\"}}}}" &&
	row() { printf "{\"type\":\"RECORD\",\"stream\":\"vals\",\"record\":{\"n\":\"%s\",\"rn\":\"%s\",\"ts\":\"%s\",\"tz\":\"%s\",\"rts\":\"%s\",\"d\":\"%s\",\"rd\":\"%s\",\"_bf_date\":\"%s\",\"_bf_location\":\"v1\",\"_bf_line\":%s}}\n" "$1" "$1" "$2" "$2" "$2" "$3" "$3" "$4" "$5"; } &&
	{
		echo "$sch" &&
		row 12.50 "2024-04-04 11:32:00" 2024-04-04 2024-04-04 2 &&
		row -0.00 "2024-02-29 23:59:59.9999999" 0001-01-01 2024-04-04 3 &&
		row 1.5e3 "2024-01-01 10:00:00.1234565" 9999-12-31 2024-04-04 4 &&
		row 0.10000000000000000001 "1899-12-31 12:00:00.0000005" 2000-02-29 2024-04-04 5 &&
		row -123456789012345678901234567890.0123456789e-7 "0001-01-01 00:00:00.000001" 1999-12-31 2024-04-04 6 &&
		row 1E-5 "9999-12-31 23:59:59.999999" 1970-01-01 2024-04-04 7 &&
		row 100e-1 "2024-01-01 10:00:00.0000025" 1900-02-28 2024-04-04 8 &&
		row 0.5e0000000000000000001 "2024-01-01 10:00" 2000-03-01 2024-04-04 9 &&
		printf "{\"type\":\"RECORD\",\"stream\":\"vals\",\"record\":{\"i\":\"-9223372036854775808\",\"b\":\"yes\",\"j\":{\"a\":[1,\"x\"]},\"e\":[0.1,-2.5e-3,3e38],\"t\":\"tab\\\\there \\\\\\\\N\",\"_bf_date\":\"2024-04-04\",\"_bf_location\":\"v1\",\"_bf_line\":10}}\n" &&
		echo "{\"type\":\"STATE\",\"value\":{\"bf\":{\"source\":\"s\",\"location\":\"v1\",\"date\":\"2024-04-04\"}}}" &&
		row 1e1001 "2024-01-01 00:00:00" 2024-01-01 2024-04-05 2 &&
		row 7.25 "2024-01-01 10:00:00.0000015" 2024-01-02 2024-04-05 3 &&
		echo "{\"type\":\"STATE\",\"value\":{\"bf\":{\"source\":\"s\",\"location\":\"v1\",\"date\":\"2024-04-05\"}}}"
	} >vals.ndjson &&
	bf-load --target "$BF_PG_URL" --type vals.tz=timestamptz <vals.ndjson >/dev/null &&
	test "$(psql -X -At -c "select count(*) from vals where rn is not null")" = 10 &&
	test "$(PGTZ=UTC psql -X -At -c "select count(*) from vals where rn is not null and (n::text, ts::text, tz::text, d::text) is not distinct from (rn::numeric::text, rts::timestamp::text, rts::timestamptz::text, rd::date::text)")" = 10 &&
	test "$(psql -X -At -c "select i || chr(32) || b || chr(32) || j::text || chr(32) || e::text || chr(32) || t from vals where _bf_line = 10")" = "-9223372036854775808 true {\"a\": [1, \"x\"]} {0.1,-0.0025,3e+38} tab	here \\N"
'

test_expect_success PG 'a table column of another type than the stream gets text COPY' '
	printf "%s\n" "{\"type\":\"SCHEMA\",\"stream\":\"other\",\"schema\":{\"properties\":{\"i\":{\"type\":\"integer\"},\"n\":{\"type\":\"number\"}}}}" \
		"{\"type\":\"RECORD\",\"stream\":\"other\",\"record\":{\"i\":\"42\",\"n\":\"1.50\",\"_bf_date\":\"2024-04-04\",\"_bf_location\":\"v1\",\"_bf_line\":2}}" \
		"{\"type\":\"STATE\",\"value\":{\"bf\":{\"source\":\"s\",\"location\":\"v1\",\"date\":\"2024-04-04\"}}}" >other.ndjson &&
	bf-load --target "$BF_PG_URL" <other.ndjson >/dev/null &&
	psql -X -q -c "DROP VIEW other_open, other_daily; ALTER TABLE other ALTER COLUMN i TYPE text" &&
	bf-load --target "$BF_PG_URL" <other.ndjson >/dev/null &&
	test "$(psql -X -At -c "select pg_typeof(i) from other")" = text &&
	test "$(psql -X -At -c "select i || chr(32) || n::text || chr(32) || pg_typeof(n)::text from other")" = "42 1.50 numeric"
'

test_expect_success PG 'a new member mid-partition and two streams taking turns in one partition' '
	cat >mix.awk <<-\EOS &&
	function rec(stream, body, d, line) {
		printf "{\"type\":\"RECORD\",\"stream\":\"%s\",\"record\":{%s,\"_bf_date\":\"2024-08-0%d\",\"_bf_location\":\"m\",\"_bf_line\":%d}}\n", stream, body, d, line
	}
	BEGIN {
		print "{\"type\":\"SCHEMA\",\"stream\":\"mix\",\"schema\":{\"properties\":{\"id\":{\"type\":\"integer\"}}}}"
		print "{\"type\":\"SCHEMA\",\"stream\":\"mix_items\",\"schema\":{\"properties\":{\"n\":{\"type\":\"number\"}}}}"
		for (d = 1; d <= 2; d++) {
			for (i = 1; i <= 600; i++) {
				rec("mix", "\"id\":" i (i >= 10 ? ",\"tip\":\"" i "\"" : ""), d, i + 1)
				if (i % 50 == 0)
					for (j = 1; j <= 7; j++)
						rec("mix_items", "\"n\":\"" j ".5\"", d, i * 10 + j)
			}
			printf "{\"type\":\"STATE\",\"value\":{\"bf\":{\"source\":\"s\",\"location\":\"m\",\"date\":\"2024-08-0%d\"}}}\n", d
		}
	}
	EOS
	awk -f mix.awk >mix.ndjson &&
	test_line_count = 1372 mix.ndjson &&
	bf-load --target "$BF_PG_URL" <mix.ndjson >out &&
	test_line_count = 2 out &&
	test "$(psql -X -At -c "select _bf_date || chr(32) || count(*) || chr(32) || count(tip) || chr(32) || sum(id) || chr(32) || sum(tip::int) from mix group by _bf_date order by _bf_date")" = "2024-08-01 600 591 180300 180255
2024-08-02 600 591 180300 180255" &&
	test "$(psql -X -At -c "select count(*) || chr(32) || sum(n) from mix_items")" = "168 756.0" &&
	bf-load --target "$BF_PG_URL" <mix.ndjson >/dev/null &&
	test "$(psql -X -At -c "select count(*) from mix")" = 1200 &&
	test "$(psql -X -At -c "select count(*) from mix_items")" = 168
'


test_expect_success PG 'a committed date is marked while the input waits; a crash before the mark is redone once' '
	ROWS=300 gen 55 2024-07-01 2024-07-02 >two.ndjson &&
	BF_STATE=clean55.db bf-load --target "$BF_PG_URL" --pg-schema clean55 <two.ndjson >/dev/null &&
	pgsum clean55 >expect &&
	head -n 302 two.ndjson >day1 &&
	tail -n +303 two.ndjson >day2 &&
	rm -f in55 lock55 && mkfifo in55 lock55 &&
	{ bf-load --target "$BF_PG_URL" --pg-schema s55 <in55 >out55 2>err55 & } &&
	pid=$! &&
	exec 7>in55 &&
	cat day1 >&7 &&
	# the input waits: the first date is marked and its STATE passed on meanwhile
	wait_for_file out55 &&
	grep -q "\"date\":\"2024-07-01\"" out55 &&
	test "$(sqlite3 "$BF_STATE" "select status from partitions where location = \"55\" and date = \"2024-07-01\"")" = loaded &&
	# the state file locked: the second date gets committed but cannot be marked
	{ sqlite3 "$BF_STATE" <lock55 >lockout 2>&1 & } &&
	lockpid=$! &&
	exec 9>lock55 &&
	echo "BEGIN IMMEDIATE; SELECT 1;" >&9 &&
	wait_for_file lockout &&
	test_must_fail sqlite3 "$BF_STATE" "BEGIN IMMEDIATE" 2>/dev/null &&
	cat day2 >&7 &&
	wait_until "test \"\$(psql -X -At -c \"select count(*) from s55._bf_loads where date = \\\$\\\$2024-07-02\\\$\\\$\")\" = 1" &&
	kill -9 $pid &&
	{ wait $pid || true; } &&
	exec 7>&- 9>&- &&
	{ wait $lockpid || true; } &&
	test_line_count = 1 out55 &&
	test "$(psql -X -At -c "select count(*) from s55.orders where _bf_date = \$\$2024-07-02\$\$")" = 300 &&
	test "$(sqlite3 "$BF_STATE" "select count(*) from partitions where location = \"55\" and date = \"2024-07-02\" and status = \"loaded\"")" = 0 &&
	bf-load --target "$BF_PG_URL" --pg-schema s55 <two.ndjson >out55b &&
	test_line_count = 2 out55b &&
	pgsum s55 >got &&
	test_cmp expect got &&
	test "$(psql -X -At -c "select count(*) from s55._bf_loads")" = 2 &&
	test "$(sqlite3 "$BF_STATE" "select count(*) from partitions where location = \"55\" and status = \"loaded\"")" = 2
'

test_expect_success PG 'a commit refused by the server: that date is neither loaded nor marked, the one before is' '
	ROWS=300 gen 66 2024-07-01 >d1.ndjson &&
	bf-load --target "$BF_PG_URL" --pg-schema s66 <d1.ndjson >/dev/null &&
	psql -X -q -c "CREATE FUNCTION s66.refuse() RETURNS trigger LANGUAGE plpgsql AS \$f\$ BEGIN IF NEW._bf_date = DATE \$\$2024-07-02\$\$ THEN RAISE EXCEPTION \$\$refused at commit\$\$; END IF; RETURN NULL; END \$f\$" &&
	psql -X -q -c "CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON s66.orders DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION s66.refuse()" &&
	sqlite3 "$BF_STATE" "delete from partitions where location = \"66\"" &&
	ROWS=300 gen 66 2024-07-01 2024-07-02 2024-07-03 >d3.ndjson &&
	test_must_fail bf-load --target "$BF_PG_URL" --pg-schema s66 <d3.ndjson >out66 2>err66 &&
	grep "refused at commit" err66 &&
	test_line_count = 1 out66 &&
	grep -q "\"date\":\"2024-07-01\"" out66 &&
	test "$(psql -X -At -c "select _bf_date || chr(32) || count(*) from s66.orders group by _bf_date order by _bf_date")" = "2024-07-01 300" &&
	test "$(psql -X -At -c "select date from s66._bf_loads")" = 2024-07-01 &&
	test "$(sqlite3 "$BF_STATE" "select date || \" \" || status from partitions where location = \"66\"")" = "2024-07-01 loaded"
'

test_expect_success PG,HTTPS 'TLS is verified by default for a server not on this machine' '
	mkdir tls &&
	(
		cd tls && umask 077 &&
		ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes" &&
		openssl req -x509 $ec -keyout ca.key -out ca.pem -days 2 -subj "/CN=bf pg test CA" \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null &&
		openssl req -x509 $ec -keyout wrong.key -out wrong.pem -days 2 -subj "/CN=bf other CA" \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null &&
		openssl req -new $ec -keyout server.key -out server.csr -subj "/CN=db.test" 2>/dev/null &&
		echo "subjectAltName = DNS:db.test" >server.ext &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -sha256 \
			-extfile server.ext -out server.pem 2>/dev/null
	) &&
	cp tls/server.pem tls/server.key "$PG_SOCKET_DIR/" &&
	chown --reference="$PG_SOCKET_DIR" "$PG_SOCKET_DIR/server.pem" "$PG_SOCKET_DIR/server.key" &&
	admin() { psql -X -q -At -h "$PG_SOCKET_DIR" -U "$PG_ADMIN_USER" -d postgres -c "$1"; } &&
	admin "ALTER SYSTEM SET ssl_cert_file = \$\$$PG_SOCKET_DIR/server.pem\$\$" &&
	admin "ALTER SYSTEM SET ssl_key_file = \$\$$PG_SOCKET_DIR/server.key\$\$" &&
	admin "ALTER SYSTEM SET ssl = on" &&
	admin "SELECT pg_reload_conf()" >/dev/null &&
	wait_until "test \"\$(admin \"SHOW ssl\")\" = on" &&
	ROWS=20 gen 88 2024-09-01 >tls.ndjson &&
	url="postgresql://$PGUSER@db.test:$PGPORT/$PGDATABASE?hostaddr=127.0.0.1" &&
	test_expect_code 78 bf-load --target "$url" <tls.ndjson 2>err &&
	grep "root certificate" err && grep "TLS is verified" err &&
	test_expect_code 78 bf-load --target "$url&sslrootcert=$PWD/tls/wrong.pem" <tls.ndjson 2>err &&
	grep "certificate verify failed" err &&
	test_expect_code 78 bf-load --target "postgresql://$PGUSER@other.test:$PGPORT/$PGDATABASE?hostaddr=127.0.0.1&sslrootcert=$PWD/tls/ca.pem" <tls.ndjson 2>err &&
	grep "does not match host name" err &&
	test "$(psql -X -At -c "select count(*) from orders where _bf_location = \$\$88\$\$")" = 0 &&
	bf-load --target "$url&sslrootcert=$PWD/tls/ca.pem" <tls.ndjson >out &&
	test_line_count = 1 out &&
	test "$(psql -X -At -c "select count(*) from orders where _bf_location = \$\$88\$\$")" = 20 &&
	PGSSLMODE=disable bf-load --target "$url" <tls.ndjson >/dev/null &&
	bf-load --target "$url&sslmode=require" <tls.ndjson >/dev/null &&
	test "$(psql -X -At -c "select count(*) from orders where _bf_location = \$\$88\$\$")" = 20
'

test_done
