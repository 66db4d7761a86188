#!/usr/bin/env bash
test_description='bf-closure learns the activity stream and the amount column of exports that are not Toast'"'"'s, and never closes a day that traded'
. "$(dirname "$0")/../lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/vendor-drops.sh"

# verdicts DB [WHERE]: location, date, verdict and reason of every partition, in order
verdicts() {
	sqlite3 -separator ' ' "$1" "select location, date, verdict, coalesce(reason, '-') from closures ${2:-} order by 1, 2"
}

# expected DATES LOC SKIP [FEW_DAYS REASON]: every date of the drop open but the skipped
# ones (no_files) and the FEW_DAYS ones (REASON)
expected() {
	awk -v loc="$2" -v skip="$3" -v few="${4:-}" -v reason="${5:-}" 'BEGIN {
		n = split(skip, a, ","); for (k = 1; k <= n; k++) s[a[k]] = 1
		n = split(few, a, ","); for (k = 1; k <= n; k++) f[a[k]] = 1
	}
	{
		i = NR - 1
		d = substr($1, 1, 4) "-" substr($1, 5, 2) "-" substr($1, 7, 2)
		print loc, d, (i in s) || (i in f) ? "closed" : "open", (i in s) ? "no_files" : (i in f) ? reason : "-"
	}' "$1"
}

# a pizzeria's year: 358 trading days of 27 to 138 orders, 7 days without a folder
PIZZA_SKIP=43,98,184,225,326,358,359

test_expect_success SQLITE3 'a pizzeria (Orders, OrderLines): exactly the 7 days without a folder are closed' '
	vendor_drop pizza pizzeria 1 2023-01-01 365 27 138 $PIZZA_SKIP &&
	test "$(ls pizza/1 | wc -l)" = 358 &&
	bf-extract --source pizza --all >pizza.ndjson &&
	bf-closure --today 2024-02-01 <pizza.ndjson >pizza.out 2>err &&
	test ! -s err &&
	expected pizza.dates 1 $PIZZA_SKIP >expect &&
	verdicts "$BF_STATE" >actual &&
	test_cmp expect actual &&
	test "$(grep -c " open -$" actual)" = 358
'

test_expect_success SQLITE3 'pizzeria: no real row flagged in the target, one marker per stream on each closed day' '
	bf-load --target pizza.db <pizza.out >/dev/null &&
	for t in orders order_lines; do
		test "$(sqlite3 pizza.db "select count(*) from $t where closure_indicator = 1 and _bf_source <> '\''closure'\''")" = 0 &&
		test "$(sqlite3 pizza.db "select count(*) from $t where _bf_source = '\''closure'\''")" = 7 || return 1
	done &&
	test "$(sqlite3 pizza.db "select count(distinct _bf_date) from orders where not closure_indicator")" = 358
'

test_expect_success SQLITE3 'pizzeria: every verdict names the learned stream and column, and why' '
	q="select json_extract(evidence, '\''\$.thresholds.activity_stream'\''), json_extract(evidence, '\''\$.thresholds.amount_column'\''),
	          json_extract(evidence, '\''\$.learned.activity_how'\''), json_extract(evidence, '\''\$.learned.amount_how'\''), count(*)
	   from closures group by 1, 2, 3, 4" &&
	sqlite3 "$BF_STATE" "$q" >actual &&
	echo "orders|orders.total|well_known_name|money_name|365" >expect &&
	test_cmp expect actual &&
	sqlite3 "$BF_STATE" "select json_extract(evidence, '\''\$.learned.activity_why'\''), json_extract(evidence, '\''\$.learned.amount_why'\'')
		from closures where date = '\''2023-06-01'\''" >why &&
	grep "^orders is a well-known activity stream name, there on 56 of 56 days|total is a money column name; [0-9]* of [0-9]* values parse as money$" why &&
	test "$(sqlite3 "$BF_STATE" "select json_extract(evidence, '\''\$.observed.activity_rows'\'') between 27 and 138 from closures where date = '\''2023-06-01'\''")" = 1
'

test_expect_success 'bf-closure -v: what a day is measured by, said when it changes, and each verdict' '
	bf-closure -v --state v.db --today 2024-02-01 <pizza.ndjson >/dev/null 2>verbose &&
	grep -c "activity orders (orders is a well-known activity stream name" verbose >n &&
	echo 1 >expect && test_cmp expect n &&
	grep "^bf-closure: 1/2023-01-01: activity orders (.*); amount orders.total (total is a money column name; [0-9]* of [0-9]* values parse as money)$" verbose &&
	grep "^bf-closure: 1/2023-06-01: open; orders [0-9]* rows, orders.total [0-9]*\.[0-9][0-9]$" verbose &&
	grep "^bf-closure: 1/2023-12-25: closed no_files" verbose
'

test_expect_success SQLITE3,JQ 'bf-report closures and bf-closure --report: what the verdicts were measured by' '
	bf-report closures >report.txt &&
	grep "^Measured by" report.txt &&
	grep "^  1  *orders  *well_known_name  *orders.total  *365  2023-01-01  2023-12-31$" report.txt &&
	grep "^Judged on files only (no activity stream): 0; without sales (no amount column): 0$" report.txt &&
	bf-closure --report --json >report.json &&
	jq -e ".measures == [{\"source\": \"$PWD/pizza\", \"location\": \"1\", \"activity_stream\": \"orders\",
		\"activity_how\": \"well_known_name\", \"amount_column\": \"orders.total\", \"verdicts\": 365,
		\"first\": \"2023-01-01\", \"last\": \"2023-12-31\"}]" report.json &&
	jq -e ".not_judged == {\"activity\": 0, \"sales\": 0} and .provisional.count == 0" report.json
'

test_expect_success SQLITE3 'a stream the export does not have is no evidence of a closure; said once on stderr' '
	bf-closure --state o.db --today 2024-02-01 --activity-stream order_details <pizza.ndjson >/dev/null 2>err &&
	expected pizza.dates 1 $PIZZA_SKIP >expect &&
	verdicts o.db >actual &&
	test_cmp expect actual &&
	test_line_count = 1 err &&
	grep "1/2023-01-01: no activity stream (given by --activity-stream, but neither this day nor a judged day around it has that stream: low_activity is not judged): only files are judged (no_files, insufficient_files); name the activity with --activity-stream STREAM and the sales with --amount-column STREAM.COLUMN" err &&
	sqlite3 o.db "select json_extract(evidence, '\''\$.thresholds.activity_basis'\''), json_extract(evidence, '\''\$.thresholds.sales_basis'\''), count(*)
		from closures where verdict = '\''open'\'' group by 1, 2" >actual &&
	echo "skipped|skipped|358" >expect &&
	test_cmp expect actual &&
	bf-report --state o.db closures >r.txt &&
	grep "^Judged on files only (no activity stream): 358; without sales (no amount column): 358$" r.txt
'

test_expect_success SQLITE3 '--activity-stream orders: the same verdicts, the stream given, its amount learned' '
	bf-closure --state g.db --today 2024-02-01 --activity-stream orders <pizza.ndjson >/dev/null &&
	verdicts g.db >actual &&
	verdicts "$BF_STATE" >expect &&
	test_cmp expect actual &&
	test "$(sqlite3 g.db "select distinct json_extract(evidence, '\''\$.learned.activity_how'\'') || '\'' '\'' || json_extract(evidence, '\''\$.thresholds.amount_column'\'') from closures")" = "option orders.total"
'

test_expect_success SQLITE3 'a day of 3 orders among days of 60 is low_activity with the learned stream' '
	vendor_drop small pizzeria 2 2024-03-01 50 55 65 "" 40:3 &&
	bf-extract --source small --all | bf-closure --state s.db --today 2024-06-01 >/dev/null &&
	expected small.dates 2 "" 40 low_activity >expect &&
	verdicts s.db >actual &&
	test_cmp expect actual &&
	sqlite3 s.db "select json_extract(evidence, '\''\$.observed.activity_rows'\''), json_extract(evidence, '\''\$.thresholds.activity_stream'\''),
		json_extract(evidence, '\''\$.thresholds.activity_basis'\''), json_extract(evidence, '\''\$.learned.activity_stream'\''),
		json_extract(evidence, '\''\$.thresholds.amount_column'\'') from closures where date = '\''2024-04-10'\''" >actual &&
	echo "3|orders|fraction_of_median|orders|orders.total" >expect &&
	test_cmp expect actual
'

test_expect_success SQLITE3 'Square-like (Transactions, Gross Sales as $12.50) and Lightspeed-like (Sales, Total) exports' '
	vendor_drop square square 7 2024-02-01 60 40 90 9,33 &&
	vendor_drop light lightspeed 8 2024-02-01 60 40 90 9,33 &&
	bf-extract --source square --all | bf-closure --state sq.db --today 2024-06-01 >/dev/null &&
	bf-extract --source light --all | bf-closure --state li.db --today 2024-06-01 >/dev/null &&
	expected square.dates 7 9,33 >expect &&
	verdicts sq.db >actual &&
	test_cmp expect actual &&
	expected light.dates 8 9,33 >expect &&
	verdicts li.db >actual &&
	test_cmp expect actual &&
	test "$(sqlite3 sq.db "select distinct json_extract(evidence, '\''\$.thresholds.activity_stream'\'') || '\'' '\'' || json_extract(evidence, '\''\$.thresholds.amount_column'\'') from closures")" = "transactions transactions.gross_sales" &&
	test "$(sqlite3 li.db "select distinct json_extract(evidence, '\''\$.thresholds.activity_stream'\'') || '\'' '\'' || json_extract(evidence, '\''\$.thresholds.amount_column'\'') from closures")" = "sales sales.total" &&
	test "$(sqlite3 sq.db "select count(*) from closures where json_extract(evidence, '\''\$.observed.sales'\'') > 1000")" = 58
'

test_expect_success SQLITE3 'a work-order table: its rows are its activity; no file rules' '
	workorder_table 2023-03-01 42 20 30 20:0,30:1 >wo.ndjson &&
	bf-closure --state wo.db --today 2023-06-01 <wo.ndjson >wo.out &&
	vendor_dates 2023-03-01 42 >wo.dates &&
	expected wo.dates "" "" 20,30 low_activity | sed "s/^ //" >expect &&
	sqlite3 -separator " " wo.db "select date, verdict, coalesce(reason, '\''-'\'') from closures order by 1" >actual &&
	test_cmp expect actual &&
	sqlite3 wo.db "select json_extract(evidence, '\''\$.observed.kind'\''), json_extract(evidence, '\''\$.thresholds.files_basis'\''),
		json_extract(evidence, '\''\$.thresholds.activity_stream'\''), json_extract(evidence, '\''\$.thresholds.amount_column'\''), count(*)
		from closures group by 1, 2, 3, 4" >actual &&
	echo "table|not_applicable|work_orders|work_orders.invoice_total|42" >expect &&
	test_cmp expect actual &&
	grep "\"_bf_date\":\"2023-03-21\".*\"_bf_source\":\"closure\".*\"closure_reason\":\"low_activity\"" wo.out
'

test_expect_success SQLITE3 'the same work orders as files: the same verdicts' '
	vendor_drop wofiles workorders 1 2023-03-01 42 20 30 "" 20:0,30:1 &&
	bf-extract --source wofiles --all | bf-closure --state wf.db --today 2023-06-01 >/dev/null &&
	sqlite3 -separator " " wf.db "select date, verdict, coalesce(reason, '\''-'\'') from closures order by 1" >files &&
	sqlite3 -separator " " wo.db "select date, verdict, coalesce(reason, '\''-'\'') from closures order by 1" >table &&
	test_cmp table files &&
	test "$(sqlite3 wf.db "select distinct json_extract(evidence, '\''\$.thresholds.amount_column'\'') from closures")" = "work_orders.invoice_total"
'

test_expect_success SQLITE3 'a table source that counts its rows in the STATE without sending them: the same verdicts' '
	grep -v "\"type\":\"RECORD\"" wo.ndjson >counts.ndjson &&
	bf-closure --state wc.db --today 2023-06-01 <counts.ndjson >/dev/null &&
	sqlite3 -separator " " wc.db "select date, verdict, coalesce(reason, '\''-'\'') from closures order by 1" >counts &&
	test_cmp table counts &&
	test "$(sqlite3 wc.db "select json_extract(evidence, '\''\$.observed.activity_rows'\'') from closures where date = '\''2023-03-02'\''")" = \
		"$(grep -c "\"_bf_date\":\"2023-03-02\"" wo.ndjson)"
'

test_expect_success SQLITE3 'names bf does not know: files only for the first week, then the stream with rows on most days' '
	vendor_drop unnamed unnamed 3 2024-05-01 21 30 40 "" 2:0,15:0 &&
	bf-extract --source unnamed --all | bf-closure --state u.db --today 2024-06-01 >/dev/null 2>err &&
	sqlite3 -separator " " u.db "select date, verdict, coalesce(reason, '\''-'\''), json_extract(evidence, '\''\$.learned.activity_how'\''),
		coalesce(json_extract(evidence, '\''\$.thresholds.activity_stream'\''), '\''-'\'') from closures where date in ('\''2024-05-03'\'', '\''2024-05-06'\'', '\''2024-05-07'\'', '\''2024-05-16'\'') order by 1" >actual &&
	cat >expect <<-\EOF &&
	2024-05-03 open - none -
	2024-05-06 open - none -
	2024-05-07 open - most_days lignes
	2024-05-16 closed low_activity most_days lignes
	EOF
	test_cmp expect actual &&
	test "$(grep -c "no activity stream" err)" = 1 &&
	test "$(grep -c "no amount column" err)" = 1 &&
	grep "3/2024-05-07: no amount column (no column of lignes with a money name (amount, total, gross_sales, ...) has values that parse as money: low_sales is not judged); name one with --amount-column lignes.COLUMN" err &&
	test "$(sqlite3 u.db "select count(*) from closures where verdict = '\''closed'\''")" = 1
'

test_expect_success SQLITE3 'a partition that failed upstream teaches nothing' '
	bf-extract --source small --all >small.ndjson &&
	{
		echo "{\"type\":\"SCHEMA\",\"stream\":\"junk\",\"schema\":{\"properties\":{\"total\":{\"type\":\"string\"}}},\"key_properties\":[]}" &&
		awk "BEGIN { for (i = 0; i < 500; i++) print \"{\\\"type\\\":\\\"RECORD\\\",\\\"stream\\\":\\\"junk\\\",\\\"record\\\":{\\\"total\\\":\\\"1.00\\\"}}\" }" &&
		echo "{\"type\":\"STATE\",\"value\":{\"bf\":{\"source\":\"$PWD/small\",\"location\":\"2\",\"date\":\"2024-02-29\",\"status\":\"failed\",\"error\":\"unreadable entry\"}}}" &&
		cat small.ndjson
	} >failed.ndjson &&
	bf-closure --state f.db --today 2024-06-01 <failed.ndjson >failed.out &&
	test "$(sqlite3 f.db "select count(*) from closures where date = '\''2024-02-29'\''
		or json_extract(evidence, '\''\$.learned.stream_days.junk'\'') is not null")" = 0 &&
	verdicts f.db >actual &&
	verdicts s.db >expect &&
	test_cmp expect actual &&
	test "$(grep -c "^{\"type\":\"RECORD\",\"stream\":\"junk\",\"record\":{\"total\":\"1.00\"}}$" failed.out)" = 500
'

test_done
