#!/usr/bin/env bash
test_description='bf-load as a Singer target: streams without bf lineage upserted by key_properties (SQLite, PostgreSQL), key changes refused, typed values kept, STATE after the commit'
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd sqlite3

# A tap's incremental output, shaped like singer-io tap-mysql's (SCHEMA with inclusion,
# maxLength and bookmark_properties; ACTIVATE_VERSION; RECORDs with version and
# time_extracted; STATE with bookmarks and currently_syncing; Python's ", " and ": "),
# made by hand: a first sync of ids 1-3, then a second one that sends id 1 again, updated,
# and a new id 4.
TAP=$TEST_DIRECTORY/fixtures/tap-mysql-incremental.ndjson
T='"shop-customers"'

rows() { sqlite3 "$1" "SELECT id, name, balance, vip, prefs, tags, updated_at FROM $T ORDER BY id"; }

test_expect_success 'a tap stream without bf lineage loads, its STATEs passed on as they came' '
	bf-load --target w.db --state s.db <"$TAP" >out &&
	grep "\"type\": \"STATE\"" "$TAP" >want &&
	test_cmp want out &&
	test "$(sqlite3 w.db "SELECT count(*) FROM $T")" = 4 &&
	test "$(sqlite3 w.db "SELECT count(*) FROM _bf_loads")" = 0
'

test_expect_success 'the record sent again after an update is one row with the latest values' '
	rows w.db >got &&
	cat >want <<-\EOF &&
	1|Ada Lovelace|12.00|1|{"lang": "fr"}|["new", "vip"]|2024-01-02 08:15:00.000000
	2|Grace "G" Hopper|0|1||[]|2024-01-01 08:30:00.000000
	3||12345678901234567.25||{"nested": {"a": [1, 2.5e3, null]}}||2024-01-01 11:00:00.000000
	4|Linus|-3.75|0|{}|["b"]|2024-01-02 09:00:00.000000
	EOF
	test_cmp want got
'

test_expect_success 'loaded twice: still one row per id, the same values' '
	bf-load -q --target w.db --state s.db <"$TAP" >/dev/null &&
	rows w.db >again && test_cmp got again &&
	sqlite3 w.db "SELECT key_properties FROM _bf_streams WHERE stream = \"shop-customers\"" >keys &&
	echo "[\"id\"]" >want && test_cmp want keys
'

test_expect_success 'typed values are kept as sent: integers and booleans typed, numbers exact text, JSON as sent' '
	sqlite3 w.db "SELECT typeof(id), typeof(vip), typeof(balance), typeof(prefs) FROM $T WHERE id = 1" >types &&
	echo "integer|integer|text|text" >want && test_cmp want types &&
	test "$(sqlite3 w.db "SELECT json_extract(prefs, \"\$.nested.a[1]\") FROM $T WHERE id = 3")" = 2500.0
'

test_expect_success 'a STATE comes out only once the records before it are committed' '
	mkfifo in &&
	{ bf-load --target st.db --state s.db <in >st.out & } && pid=$! &&
	exec 7>in &&
	sed -n "1,6p" "$TAP" >&7 &&
	wait_until "test -s st.out" &&
	test "$(sqlite3 st.db "SELECT count(*) FROM $T" 2>/dev/null || echo 0)" = 0 &&
	sed -n "7p" "$TAP" >&7 &&
	wait_until "test \$(wc -l <st.out) = 2" &&
	test "$(sqlite3 st.db "SELECT count(*) FROM $T")" = 3 &&
	exec 7>&- && wait $pid
'

test_expect_success 'killed between two STATEs, then run again: one row per key' '
	rm -f in && mkfifo in &&
	{ bf-load --target k.db --state s.db <in >k.out & } && pid=$! &&
	exec 7>in &&
	sed -n "1,11p" "$TAP" >&7 &&
	wait_until "test \$(wc -l <k.out) = 4" &&
	kill -9 $pid && { wait $pid || true; } && exec 7>&- &&
	test "$(sqlite3 k.db "SELECT name FROM $T WHERE id = 1")" = Ada &&
	bf-load -q --target k.db --state s.db <"$TAP" >/dev/null &&
	rows k.db >killed && test_cmp got killed &&
	test "$(sqlite3 s.db "SELECT count(*) FROM runs WHERE exit_code IS NULL")" = 0
'

test_expect_success 'a SCHEMA that changes the key is refused (65), the table left as it was' '
	sed "s/\"key_properties\": \[\"id\"\]/\"key_properties\": [\"id\", \"balance\"]/" "$TAP" >rekey.ndjson &&
	test_expect_code 65 bf-load --target w.db --state s.db <rekey.ndjson >out 2>err &&
	grep "line 1: .*key_properties \[\"id\",\"balance\"\], but table shop-customers was loaded by the key \[\"id\"\]" err &&
	grep -- "--rebuild-keys" err &&
	test ! -s out &&
	rows w.db >after && test_cmp got after
'

test_expect_success '--rebuild-keys makes the unique index on the new key' '
	bf-load -q --rebuild-keys --target w.db --state s.db <rekey.ndjson >/dev/null &&
	sqlite3 w.db "SELECT sql FROM sqlite_master WHERE name = \"shop-customers__bf_key\"" >ix &&
	grep "(\"id\", \"balance\")" ix &&
	test "$(sqlite3 w.db "SELECT key_properties FROM _bf_streams")" = "[\"id\",\"balance\"]" &&
	sqlite3 w.db "SELECT id, balance, name FROM $T ORDER BY id, balance" >rk &&
	printf "%s\n" "1|10.50|Ada" "1|12.00|Ada Lovelace" "2|0|Grace \"G\" Hopper" "3|12345678901234567.25|" "4|-3.75|Linus" >want &&
	test_cmp want rk
'

test_expect_success 'a record without its key, or with a null one, is refused with its line; nothing of the open transaction is committed' '
	cat >nokey.ndjson <<-\EOF &&
	{"type":"SCHEMA","stream":"items","schema":{"properties":{"id":{"type":"integer"},"v":{"type":"string"}}},"key_properties":["id"]}
	{"type":"RECORD","stream":"items","record":{"id":1,"v":"a"}}
	{"type":"STATE","value":{"n":1}}
	{"type":"RECORD","stream":"items","record":{"id":2,"v":"b"}}
	{"type":"RECORD","stream":"items","record":{"v":"c"}}
	{"type":"STATE","value":{"n":2}}
	EOF
	test_expect_code 65 bf-load --target nk.db --state s.db <nokey.ndjson >out 2>err &&
	grep "line 5: RECORD of items without its key \"id\"" err &&
	echo "{\"type\":\"STATE\",\"value\":{\"n\":1}}" >want && test_cmp want out &&
	test "$(sqlite3 nk.db "SELECT group_concat(id) FROM items")" = 1 &&
	sed "5s/{\"v\":\"c\"}/{\"id\":null,\"v\":\"c\"}/" nokey.ndjson >nullkey.ndjson &&
	test_expect_code 65 bf-load --target nk.db --state s.db <nullkey.ndjson 2>err &&
	grep "line 5: RECORD of items without its key \"id\" (missing or null)" err &&
	test "$(sqlite3 nk.db "SELECT group_concat(id) FROM items")" = 1
'

test_expect_success 'a stream with neither key_properties nor bf lineage is appended' '
	cat >plain.ndjson <<-\EOF &&
	{"type":"SCHEMA","stream":"events","schema":{"properties":{"e":{"type":"string"}}},"key_properties":[]}
	{"type":"RECORD","stream":"events","record":{"e":"x"}}
	{"type":"STATE","value":{}}
	EOF
	bf-load -q --target ap.db --state s.db <plain.ndjson >/dev/null &&
	bf-load -q --target ap.db --state s.db <plain.ndjson >/dev/null &&
	test "$(sqlite3 ap.db "SELECT count(*) FROM events")" = 2 &&
	test "$(sqlite3 ap.db "SELECT key_properties FROM _bf_streams")" = "[]"
'

test_expect_success 'bf partitions keep replace-the-partition, whatever their key_properties' '
	cat >part.ndjson <<-\EOF &&
	{"type":"SCHEMA","stream":"od","schema":{"properties":{"id":{"type":"integer"}}},"key_properties":["id"]}
	{"type":"RECORD","stream":"od","record":{"id":1,"_bf_date":"2024-01-01","_bf_location":"1","_bf_source":"f","_bf_line":2}}
	{"type":"RECORD","stream":"od","record":{"id":1,"_bf_date":"2024-01-01","_bf_location":"1","_bf_source":"f","_bf_line":3}}
	{"type":"STATE","value":{"bf":{"source":"s","location":"1","date":"2024-01-01","status":"ok"}}}
	EOF
	bf-load -q --target pt.db --state s.db <part.ndjson >/dev/null &&
	bf-load -q --target pt.db --state s.db <part.ndjson >/dev/null &&
	test "$(sqlite3 pt.db "SELECT count(*) FROM od")" = 2 &&
	test "$(sqlite3 pt.db "SELECT key_properties IS NULL FROM _bf_streams")" = 1 &&
	test "$(sqlite3 pt.db "SELECT count(*) FROM sqlite_master WHERE name = \"od__bf_key\"")" = 0
'

test_expect_success 'the dir: target appends the records of a keyed stream, in the order they came' '
	bf-load -q --target dir:out-dir --state s.db <"$TAP" >/dev/null &&
	cat out-dir/shop-customers/_appended/*.ndjson | sed -n "s/.*\"id\":\([0-9]*\).*\"name\":\([^,]*\),.*/\1 \2/p" >dir.got &&
	cat >dir.want <<-\EOF &&
	1 "Ada"
	2 "Grace \"G\" Hopper"
	3 null
	1 "Ada Lovelace"
	4 "Linus"
	EOF
	test_cmp dir.want dir.got
'

test_expect_success 'ACTIVATE_VERSION and other messages are accepted and not passed on' '
	grep -c ACTIVATE_VERSION "$TAP" &&
	bf-load --target av.db --state s.db <"$TAP" >out 2>err &&
	! grep ACTIVATE_VERSION out && test ! -s err
'

# ---- PostgreSQL ----

pgrows() { psql -X -At -c "SELECT id, name, balance::text, vip, prefs::text, tags::text, updated_at FROM $T ORDER BY id"; }

test_expect_success PG 'PostgreSQL: the tap stream loaded twice is one row per id with the latest values' '
	start_pg &&
	bf-load --target "$BF_PG_URL" --state s.db <"$TAP" >out &&
	grep "\"type\": \"STATE\"" "$TAP" >want && test_cmp want out &&
	bf-load -q --target "$BF_PG_URL" --state s.db <"$TAP" >/dev/null &&
	pgrows >pg.got &&
	cat >want <<-\EOF &&
	1|Ada Lovelace|12.00|t|{"lang": "fr"}|["new", "vip"]|2024-01-02 08:15:00
	2|Grace "G" Hopper|0|t||[]|2024-01-01 08:30:00
	3||12345678901234567.25||{"nested": {"a": [1, 2500, null]}}||2024-01-01 11:00:00
	4|Linus|-3.75|f|{}|["b"]|2024-01-02 09:00:00
	EOF
	test_cmp want pg.got &&
	test "$(psql -X -At -c "SELECT key_properties FROM _bf_streams WHERE stream = \$\$shop-customers\$\$")" = "[\"id\"]"
'

test_expect_success PG 'PostgreSQL: a key repeated in one transaction: the last record wins' '
	cat >dup.ndjson <<-\EOF &&
	{"type":"SCHEMA","stream":"dup","schema":{"properties":{"k":{"type":"string"},"v":{"type":"integer"}}},"key_properties":["k"]}
	{"type":"RECORD","stream":"dup","record":{"k":"a","v":1}}
	{"type":"RECORD","stream":"dup","record":{"k":"a","v":2}}
	{"type":"RECORD","stream":"dup","record":{"k":"b","v":3}}
	{"type":"RECORD","stream":"dup","record":{"k":"a","v":4}}
	{"type":"STATE","value":{}}
	EOF
	bf-load -q --target "$BF_PG_URL" --state s.db <dup.ndjson >/dev/null &&
	test "$(psql -X -At -c "SELECT string_agg(k || v, \$\$,\$\$ ORDER BY k) FROM dup")" = "a4,b3"
'

test_expect_success PG 'PostgreSQL: a changed key is refused (65); --rebuild-keys makes the index again' '
	test_expect_code 65 bf-load --target "$BF_PG_URL" --state s.db <rekey.ndjson >/dev/null 2>err &&
	grep "but table public.shop-customers was loaded by the key \[\"id\"\]" err &&
	pgrows >pg.after && test_cmp pg.got pg.after &&
	bf-load -q --rebuild-keys --target "$BF_PG_URL" --state s.db <rekey.ndjson >/dev/null &&
	psql -X -At -c "SELECT indexdef FROM pg_indexes WHERE indexname = \$\$shop-customers__bf_key\$\$" | grep "(id, balance)"
'

test_expect_success PG 'PostgreSQL: a record without its key: 65 with its line, nothing of the open transaction committed' '
	test_expect_code 65 bf-load --target "$BF_PG_URL" --state s.db <nokey.ndjson >out 2>err &&
	grep "line 5: RECORD of items without its key" err &&
	test "$(psql -X -At -c "SELECT string_agg(id::text, \$\$,\$\$) FROM items")" = 1
'

test_expect_success PG 'PostgreSQL: killed between two STATEs, then run again: one row per key' '
	psql -X -q -c "DROP TABLE $T CASCADE; DELETE FROM _bf_streams WHERE stream = \$\$shop-customers\$\$" &&
	rm -f in && mkfifo in &&
	{ bf-load --target "$BF_PG_URL" --state s.db <in >pk.out & } && pid=$! &&
	exec 7>in &&
	sed -n "1,11p" "$TAP" >&7 &&
	wait_until "test \$(wc -l <pk.out) = 4" &&
	kill -9 $pid && { wait $pid || true; } && exec 7>&- &&
	test "$(psql -X -At -c "SELECT name FROM $T WHERE id = 1")" = Ada &&
	bf-load -q --target "$BF_PG_URL" --state s.db <"$TAP" >/dev/null &&
	pgrows >pg.killed && test_cmp pg.got pg.killed
'

test_done
