# Fixtures shared by the bf-extract / bf-load CLI tests (sourced after test-lib.sh).

# make_drop DIR: a small hand-made drop, two locations, dates 2024-04-01..05:
#   100/20240401  OrderDetails.csv (3 rows), CheckDetails.csv (2 rows)
#   100/20240402  OrderDetails.csv.gz (2 rows)
#   100/20240404  (empty folder)
#   100/20240405  OrderDetails.csv (header only)
#   200/20240401  OrderDetails.csv: BOM, CRLF, 3 good rows, 1 ragged row (line 3)
#   200/20240403  OrderDetails.csv: 1 row with an embedded newline
# 3 + 2 + 3 + 1 = 9 good order_details rows, 2 check_details rows, 1 bad row.
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
