#!/usr/bin/env bash
test_description=re-running\ a\ date\ or\ a\ range\ leaves\ exactly\ one\ copy\ of\ each\ row
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

test_expect_success 'setup: one clean run' '
	make_drop drop &&
	{ bf-extract --source drop --all --state clean.db 2>/dev/null || test $? = 1; } |
		bf-load --target clean.w --state clean.db >/dev/null &&
	wh_sum clean.w >clean.sum &&
	test "$(sqlite3 clean.w "SELECT count(*) FROM order_details")" = 9
'

test_expect_success 're-running the whole range with --force changes nothing' '
	{ bf-extract --source drop --all --state clean.db --force 2>/dev/null || test $? = 1; } |
		bf-load --target clean.w --state clean.db >/dev/null &&
	test "$(wh_sum clean.w)" = "$(cat clean.sum)"
'

test_expect_success 're-running without --force skips everything and changes nothing' '
	bf-extract --source drop --all --state clean.db >none 2>err &&
	test ! -s none &&
	grep "skipped 10 partitions" err &&
	bf-load --target clean.w --state clean.db <none >/dev/null &&
	test "$(wh_sum clean.w)" = "$(cat clean.sum)"
'

test_expect_success 'date by date, some twice, in another order, gives the same warehouse' '
	for d in 2024-04-03 2024-04-01 2024-04-05 2024-04-01 2024-04-02 2024-04-04 2024-04-03; do
		{ bf-extract --source drop --date $d --force --state step.db 2>/dev/null || test $? = 1; } |
			bf-load --target step.w --state step.db >/dev/null || return 1
	done &&
	test "$(wh_sum step.w)" = "$(cat clean.sum)"
'

test_expect_success 'overlapping ranges give the same warehouse' '
	{ bf-extract --source drop --start-date 2024-04-01 --end-date 2024-04-03 --state r.db 2>/dev/null || test $? = 1; } |
		bf-load --target r.w --state r.db >/dev/null &&
	{ bf-extract --source drop --start-date 2024-04-02 --end-date 2024-04-05 --force --state r.db 2>/dev/null || test $? = 1; } |
		bf-load --target r.w --state r.db >/dev/null &&
	test "$(wh_sum r.w)" = "$(cat clean.sum)"
'

test_expect_success 'loading the same saved messages twice gives the same warehouse' '
	{ bf-extract --source drop --all --state saved.db >saved 2>/dev/null || test $? = 1; } &&
	bf-load --target saved.w --state saved.db <saved >/dev/null &&
	bf-load --target saved.w --state saved.db <saved >/dev/null &&
	test "$(wh_sum saved.w)" = "$(cat clean.sum)"
'

test_done
