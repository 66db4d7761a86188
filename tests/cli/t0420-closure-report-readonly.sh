#!/usr/bin/env bash
test_description='bf-closure --report reads the state file and never creates or changes it, as bf-report closures'
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd sqlite3

# A state file with verdicts: one location, ten days, the fifth without orders.
test_expect_success 'a state file with closures' '
	for i in 1 2 3 4 5 6 7 8 9 10; do
		d=$(printf "2024-04-%02d" "$i") &&
		printf "%s\n" "{\"type\":\"SCHEMA\",\"stream\":\"order_details\",\"schema\":{\"type\":\"object\",\"properties\":{\"amount\":{\"type\":[\"string\",\"null\"]}}}}" &&
		if [ "$i" != 5 ]; then
			printf "%s\n" "{\"type\":\"RECORD\",\"stream\":\"order_details\",\"record\":{\"amount\":\"10.00\",\"_bf_date\":\"$d\",\"_bf_location\":\"7\"}}"
		fi &&
		printf "%s\n" "{\"type\":\"STATE\",\"value\":{\"bf\":{\"source\":\"s\",\"location\":\"7\",\"date\":\"$d\"}}}" || return 1
	done >in.ndjson &&
	bf-closure --today 2024-05-01 --state st.db <in.ndjson >/dev/null &&
	test "$(sqlite3 st.db "SELECT count(*) FROM closures WHERE verdict = '\''closed'\''")" = 1
'

test_expect_success 'a missing state file: exit 66, and no file made' '
	test_expect_code 66 bf-closure --report --state none.db >out 2>err &&
	grep "^bf-closure: none.db: no such state file" err &&
	test ! -e none.db && test ! -e none.db-wal && test ! -s out &&
	BF_STATE=$PWD/none2.db test_expect_code 66 bf-closure --report --json 2>err &&
	test ! -e none2.db
'

test_expect_success 'an existing file is left as it is (journal mode, schema version, bytes)' '
	cp st.db ro.db &&
	sqlite3 ro.db "PRAGMA journal_mode=DELETE" >/dev/null &&
	sqlite3 ro.db "PRAGMA user_version" >version &&
	cksum <ro.db >before &&
	bf-closure --report --state ro.db >report.txt &&
	bf-closure --report --json --state ro.db >report.json &&
	cksum <ro.db >after &&
	test_cmp before after &&
	test "$(sqlite3 ro.db "PRAGMA journal_mode")" = delete &&
	sqlite3 ro.db "PRAGMA user_version" >version2 && test_cmp version version2 &&
	grep -i "closed" report.txt &&
	grep "\"closed\":1" report.json
'

test_expect_success 'the same report as bf-report closures' '
	bf-report --state ro.db closures >bf-report.txt &&
	test_cmp bf-report.txt report.txt
'

test_expect_success 'not a state file: exit 65' '
	printf "not sqlite at all, just some text to be long enough for a header\n" >junk.db &&
	test_expect_code 65 bf-closure --report --state junk.db 2>err &&
	grep "^bf-closure: junk.db: " err &&
	: >empty.db &&
	test_expect_code 65 bf-closure --report --state empty.db 2>err &&
	test ! -s empty.db
'

test_expect_success 'a file that cannot be written is read' '
	cp ro.db locked.db && chmod 444 locked.db && own_unprivileged locked.db &&
	run_unprivileged bf-closure --report --state locked.db >locked.txt &&
	test_cmp report.txt locked.txt
'

test_expect_success 'a WAL file in a folder that cannot be written is read; beside a -wal file it is refused' '
	mkdir walro && cp st.db walro/st.db &&
	test "$(sqlite3 walro/st.db "PRAGMA journal_mode")" = wal &&
	test ! -e walro/st.db-wal &&
	own_unprivileged walro/st.db && chmod 555 walro &&
	test_when_finished "chmod 755 walro" &&
	run_unprivileged bf-closure --report --state walro/st.db >wal.txt &&
	test_cmp report.txt wal.txt &&
	test ! -e walro/st.db-shm &&
	chmod 755 walro && : >walro/st.db-wal && chmod 555 walro &&
	test_expect_code 74 run_unprivileged bf-closure --report --state walro/st.db 2>err &&
	grep "^bf-closure: walro/st.db: cannot read: a writer.s -wal file is beside it" err
'

test_done
