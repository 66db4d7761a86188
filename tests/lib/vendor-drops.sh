# shellcheck shell=bash
# Drops in the shapes of other point-of-sale and work-order exports than Toast's, for the
# closure tests. Written with awk from the arguments only: the same arguments give the
# same bytes. Sourced by a test script after test-lib.sh.
#
#	vendor_drop DIR SHAPE LOC START DAYS MIN MAX [SKIP [FEW]]
#		DIR/LOC/YYYYMMDD/*.csv for DAYS dates from START (YYYY-MM-DD), each day with
#		between MIN and MAX transactions (spread by a fixed hash of the day);
#		SKIP: day numbers (0 = START) without a folder, comma-separated;
#		FEW: day:count pairs, comma-separated, for days with that many (0: header only).
#		SHAPE and its files (stream: the activity, then the other):
#		  pizzeria    Orders.csv (Total, Subtotal), OrderLines.csv (Price)
#		  square      Transactions.csv (Gross Sales, Net Sales, Total Collected as
#		              "$12.50"), Items.csv (Gross Sales)
#		  lightspeed  Sales.csv (Subtotal, Total), SaleLines.csv (Unit Price, Line Total)
#		  workorders  WorkOrders.csv (Labor, Parts, Invoice Total)
#		  unnamed     Ventes.csv (Montant), Lignes.csv (Prix): no name bf knows
#	workorder_table START DAYS MIN MAX [FEW]
#		the messages a SQL-table source sends for the table work_orders, one partition
#		per date (location ""): SCHEMA, RECORDs, and a STATE that says kind "table" and
#		its rows, with no folder and no files; on stdout.
#	vendor_dates START DAYS
#		the dates, YYYYMMDD, one a line.

vendor_dates() {
	seq 0 $(($2 - 1)) | sed "s/.*/$1 +& days/" | date -u -f - +%Y%m%d
}

# The awk part shared by the generators: the day's count of transactions.
_vendor_awk_count='
function count(i) {
	if (i in few)
		return few[i]
	return min + (i * 7919 + 104729) % (max - min + 1)
}
function setup(   n, k, a, p) {
	n = split(skip_list, a, ",")
	for (k = 1; k <= n; k++)
		if (a[k] != "")
			skip[a[k]] = 1
	n = split(few_list, a, ",")
	for (k = 1; k <= n; k++)
		if (split(a[k], p, ":") == 2)
			few[p[1]] = p[2]
}
function iso(d) {
	return substr(d, 1, 4) "-" substr(d, 5, 2) "-" substr(d, 7, 2)
}
function money(c) {
	return sprintf("%d.%02d", int(c / 100), c % 100)
}
'

vendor_drop() {
	local dir=$1 shape=$2 loc=$3 start=$4 days=$5 min=$6 max=$7 skip=${8:-} few=${9:-}
	vendor_dates "$start" "$days" >"$dir.dates" &&
	awk -v skip_list="$skip" -v dir="$dir/$loc" 'BEGIN { n = split(skip_list, a, ","); for (k = 1; k <= n; k++) s[a[k]] = 1 }
		!((NR - 1) in s) { print dir "/" $1 }' "$dir.dates" | xargs mkdir -p &&
	awk -v skip_list="$skip" -v few_list="$few" -v min="$min" -v max="$max" -v dir="$dir/$loc" \
		-v shape="$shape" "$_vendor_awk_count"'
	BEGIN { setup() }
	{
		i = NR - 1
		if (i in skip)
			next
		d = $1
		n = count(i)
		p = dir "/" d
		if (shape == "pizzeria") {
			a = p "/Orders.csv"; b = p "/OrderLines.csv"
			print "Order Number,Order Date,Order Type,Customer,Subtotal,Tax,Total,Payment" >a
			print "Order Number,Line,Item,Quantity,Price" >b
		} else if (shape == "square") {
			a = p "/Transactions.csv"; b = p "/Items.csv"
			print "Date,Time,Time Zone,Gross Sales,Discounts,Net Sales,Tax,Tip,Total Collected,Transaction ID,Card Brand" >a
			print "Date,Time,Category,Item,Qty,Gross Sales,Discounts,Net Sales,Transaction ID" >b
		} else if (shape == "lightspeed") {
			a = p "/Sales.csv"; b = p "/SaleLines.csv"
			print "Sale ID,Date,Register,Employee,Customer,Subtotal,Discount,Tax,Total,Status" >a
			print "Sale ID,Line,Item,Qty,Unit Price,Line Total" >b
		} else if (shape == "workorders") {
			a = p "/WorkOrders.csv"; b = ""
			print "WO Number,Opened,Customer,Technician,Status,Labor,Parts,Invoice Total" >a
		} else {
			a = p "/Ventes.csv"; b = p "/Lignes.csv"
			print "Numero,Date,Montant" >a
			print "Numero,Ligne,Article,Prix" >b
		}
		for (o = 1; o <= n; o++) {
			id = d * 1000 + o
			lines = 1 + (o * 31 + i) % 4
			sub_c = 0
			for (l = 1; l <= lines; l++) {
				price = 450 + ((o * 97 + l * 53 + i) % 20) * 75
				sub_c += price
				if (shape == "pizzeria")
					printf "%d,%d,Pizza %d,1,%s\n", id, l, (o + l) % 9, money(price) >b
				else if (shape == "square")
					printf "%s,12:%02d,Category %d,Item %d,1,$%s,$0.00,$%s,T%d\n", iso(d), o % 60, l % 3,
						(o + l) % 9, money(price), money(price), id >b
				else if (shape == "lightspeed")
					printf "%d,%d,Item %d,1,%s,%s\n", id, l, (o + l) % 9, money(price), money(price) >b
				else if (shape == "unnamed")
					printf "%d,%d,Article %d,%s\n", id, l, (o + l) % 9, money(price) >b
			}
			tax = int(sub_c * 8 / 100)
			tot = sub_c + tax
			if (shape == "pizzeria")
				printf "%d,%s,%s,Guest %d,%s,%s,%s,%s\n", id, iso(d), (o % 3 ? "Delivery" : "Pickup"), o % 40,
					money(sub_c), money(tax), money(tot), (o % 2 ? "Card" : "Cash") >a
			else if (shape == "square")
				printf "%s,12:%02d,UTC,$%s,-$0.00,$%s,$%s,$0.00,$%s,T%d,%s\n", iso(d), o % 60, money(sub_c),
					money(sub_c), money(tax), money(tot), id, (o % 2 ? "Visa" : "MasterCard") >a
			else if (shape == "lightspeed")
				printf "%d,%s,Register 1,Staff %d,Customer %d,%s,0.00,%s,%s,COMPLETED\n", id, iso(d), o % 5,
					o % 30, money(sub_c), money(tax), money(tot) >a
			else if (shape == "workorders")
				printf "WO-%d,%s 09:%02d,Customer %d,Tech %d,Closed,%s,%s,%s\n", id, iso(d), o % 60, o % 50,
					o % 4, money(sub_c), money(tax), money(tot) >a
			else
				printf "%d,%s,%s\n", id, iso(d), money(tot) >a
		}
		close(a)
		if (b != "")
			close(b)
	}' "$dir.dates"
}

workorder_table() {
	local start=$1 days=$2 min=$3 max=$4 few=${5:-}
	vendor_dates "$start" "$days" |
	awk -v few_list="$few" -v min="$min" -v max="$max" "$_vendor_awk_count"'
	BEGIN {
		setup()
		printf "{\"type\":\"SCHEMA\",\"stream\":\"work_orders\",\"schema\":{\"type\":\"object\",\"properties\":{"
		printf "\"wo_number\":{\"type\":[\"string\",\"null\"]},\"customer\":{\"type\":[\"string\",\"null\"]},"
		printf "\"invoice_total\":{\"type\":[\"string\",\"null\"]},\"_bf_date\":{\"type\":\"string\",\"format\":\"date\"},"
		printf "\"_bf_location\":{\"type\":\"string\"},\"_bf_source\":{\"type\":\"string\"},\"_bf_line\":{\"type\":\"integer\"}}},"
		printf "\"key_properties\":[\"_bf_source\",\"_bf_line\"]}\n"
	}
	{
		i = NR - 1
		n = count(i)
		for (o = 1; o <= n; o++)
			printf "{\"type\":\"RECORD\",\"stream\":\"work_orders\",\"record\":{\"wo_number\":\"WO-%d\",\"customer\":\"Customer %d\",\"invoice_total\":\"%s\",\"_bf_date\":\"%s\",\"_bf_location\":\"\",\"_bf_source\":\"work_orders\",\"_bf_line\":%d}}\n",
				$1 * 1000 + o, o % 50, money(9000 + (o * 137 + i) % 40000), iso($1), o
		printf "{\"type\":\"STATE\",\"value\":{\"bf\":{\"source\":\"db\",\"location\":\"\",\"date\":\"%s\",\"status\":\"ok\",\"kind\":\"table\",\"table\":\"work_orders\",\"rows\":{\"work_orders\":%d},\"total_rows\":%d}}}\n",
			iso($1), n, n
	}'
}
