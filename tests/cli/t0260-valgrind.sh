#!/usr/bin/env bash
test_description=valgrind\ finds\ no\ leak\ and\ no\ error\ in\ a\ small\ end-to-end\ run
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd jq sqlite3

. "$TEST_DIRECTORY/lib/drop-fixture.sh"

test_require_cmd valgrind

# under `make SANITIZE=1 test`: the plain build's binaries (ASan covers the others)
valgrind_plain_build bf-extract

VG="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99"

test_expect_success 'setup' '
	make_drop drop
'

test_expect_success 'bf-extract under valgrind' '
	$VG bf-extract --source drop --all --state s.db >msgs 2>vg1; rc=$?;
	test $rc = 1 || { cat vg1; false; } &&
	! grep "==[0-9]*==" vg1 &&
	test "$(grep -c "\"type\":\"STATE\"" msgs)" = 10
'

test_expect_success 'bf-load under valgrind' '
	$VG bf-load --target w.db --state s.db <msgs >out 2>vg2 || { cat vg2; false; } &&
	! grep "==[0-9]*==" vg2 &&
	test "$(sqlite3 w.db "SELECT count(*) FROM order_details")" = 9
'

test_expect_success 'bf-load under valgrind: a Singer stream upserted twice, a key change rebuilt, a refused key' '
	tap=$TEST_DIRECTORY/fixtures/tap-mysql-incremental.ndjson &&
	$VG bf-load --target u.db --state s.db <"$tap" >/dev/null 2>vg7 || { cat vg7; false; } &&
	$VG bf-load --target u.db --state s.db <"$tap" >/dev/null 2>>vg7 || { cat vg7; false; } &&
	sed "s/\"key_properties\": \[\"id\"\]/\"key_properties\": [\"id\", \"balance\"]/" "$tap" >rekey.ndjson &&
	{ $VG bf-load --target u.db --state s.db <rekey.ndjson >/dev/null 2>>vg7; test $? = 65; } &&
	$VG bf-load --rebuild-keys --target u.db --state s.db <rekey.ndjson >/dev/null 2>>vg7 &&
	! grep "==[0-9]*==" vg7 &&
	test "$(sqlite3 u.db "SELECT count(*) FROM \"shop-customers\"")" = 5
'

test_expect_success 'error paths under valgrind: --strict, broken input, usage' '
	{ $VG bf-extract --source drop --all --force --strict --state s.db >/dev/null 2>vg3; test $? = 65; } &&
	! grep "==[0-9]*==" vg3 &&
	{ printf "%s\nnot json\n" "$(head -1 msgs)" | $VG bf-load --target w.db --state s.db >/dev/null 2>vg4; test $? = 65; } &&
	! grep "==[0-9]*==" vg4 &&
	{ $VG bf-extract --source drop --dates 2024-04-01 --location 1 --bogus 2>vg5; test $? = 64; } &&
	! grep "==[0-9]*==" vg5 &&
	{ $VG bf-extract --source drop 2>vg5; test $? = 64; } &&
	! grep "==[0-9]*==" vg5 &&
	{ $VG bf-load --bogus 2>vg5; test $? = 64; } &&
	! grep "==[0-9]*==" vg5 &&
	{ $VG bf-extract --source drop --all --force --state s.db >/dev/full 2>vg6; test $? = 74; } &&
	! grep "==[0-9]*==" vg6
'

test_done
