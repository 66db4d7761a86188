#!/usr/bin/env bash
test_description=valgrind\ finds\ no\ leak\ and\ no\ error\ in\ a\ small\ end-to-end\ run
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

test_require_cmd valgrind

# valgrind cannot run sanitizer builds: under `make SANITIZE=1 test` it checks the plain
# build's binaries (built by the same `make` run of CI), ASan covers the others.
if ldd "$(command -v bf-extract)" 2>/dev/null | grep -q libasan; then
	plain=$BF_SRC/build
	if [ -x "$plain/bf-extract" ] && ! ldd "$plain/bf-extract" | grep -q libasan; then
		PATH=$plain:$PATH
	else
		test_skip_all "sanitizer build and no plain build in $plain for valgrind"
	fi
fi

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
