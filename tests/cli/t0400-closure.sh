#!/usr/bin/env bash
test_description='bf-closure: verdicts, closure columns and markers, pending dates, thresholds, spilling, report'
. "$(dirname "$0")/../lib/test-lib.sh"

# make_drop DIR: two locations (small: 20 orders a day, big: 300), 2024-01-01..2024-02-09,
# with closures on both: 01-11 folder missing, 01-12 folder empty, 01-13 one order,
# 01-14 orders worth nothing (or voided), 01-15 no PaymentDetails file.
make_drop() {
	local dir=$1 loc n i d day amt
	for loc in 100 200; do
		n=20
		[ "$loc" = 200 ] && n=300
		for i in $(seq 0 39); do
			d=$(date -u -d "2024-01-01 +$i days" +%Y%m%d)
			day=$dir/$loc/$d
			[ "$i" = 10 ] && continue
			mkdir -p "$day"
			[ "$i" = 11 ] && continue
			k=$n
			[ "$i" = 12 ] && k=1
			amt=1012.50
			[ "$i" = 13 ] && amt=0.00
			awk -v n="$k" -v amt="$amt" -v i="$i" 'BEGIN {
				print "Order Id,Amount,Voided"
				for (r = 0; r < n; r++)
					printf "%d,%s,%s\n", r, (i == 13 && r % 2 ? "15.00" : amt), (i == 13 && r % 2 ? "true" : "false")
			}' >"$day/OrderDetails.csv"
			[ "$i" = 14 ] && continue
			awk -v n="$k" 'BEGIN { print "Payment Id,Amount"; for (r = 0; r < n; r++) printf "%d,1\n", r }' \
				>"$day/PaymentDetails.csv"
		done
	done
}

verdicts() {
	sqlite3 -separator ' ' "$BF_STATE" \
		"select location, date, verdict, coalesce(reason, '-') from closures where date between '2024-01-10' and '2024-01-16' order by 1, 2"
}

test_expect_success SQLITE3,JQ 'verdicts of a drop with every kind of closure' '
	make_drop drop &&
	bf-extract --source drop --all >in.ndjson &&
	bf-closure --today 2024-02-09 <in.ndjson >out.ndjson &&
	cat >expect <<-\EOF &&
	100 2024-01-10 open -
	100 2024-01-11 closed no_files
	100 2024-01-12 closed no_files
	100 2024-01-13 closed low_activity
	100 2024-01-14 closed low_sales
	100 2024-01-15 closed insufficient_files
	100 2024-01-16 open -
	200 2024-01-10 open -
	200 2024-01-11 closed no_files
	200 2024-01-12 closed no_files
	200 2024-01-13 closed low_activity
	200 2024-01-14 closed low_sales
	200 2024-01-15 closed insufficient_files
	200 2024-01-16 open -
	EOF
	verdicts >actual &&
	test_cmp expect actual &&
	test "$(sqlite3 "$BF_STATE" "select count(*) from closures where verdict = '\''pending'\''")" = 2 &&
	test "$(sqlite3 "$BF_STATE" "select count(*) from closures where verdict = '\''closed'\''")" = 10
'

test_expect_success JQ 'every record gets the closure columns, spliced in place' '
	jq -c "select(.type == \"RECORD\" and .record._bf_date == \"2024-01-10\") | [.record.closure_indicator, .record.closure_reason]" \
		out.ndjson | sort -u >actual &&
	echo "[false,null]" >expect &&
	test_cmp expect actual &&
	jq -c "select(.type == \"RECORD\" and .record._bf_date == \"2024-01-13\" and .record._bf_source != \"closure\") | [.record.closure_indicator, .record.closure_reason]" \
		out.ndjson | sort | uniq -c >actual &&
	grep "^ *4 \[true,\"low_activity\"\]$" actual &&
	test_line_count = 1 actual &&
	grep -c "\"type\":\"RECORD\"" in.ndjson >n.in &&
	jq -c "select(.type == \"RECORD\" and .record._bf_source != \"closure\")" out.ndjson | wc -l >n.out &&
	test "$(cat n.in)" = "$(cat n.out)" &&
	# the rest of each record is byte for byte what came in
	grep -m1 "RECORD.*\"_bf_date\":\"2024-01-10\"" in.ndjson >one.in &&
	grep -F "$(sed "s/},\"time_extracted.*//" one.in)" out.ndjson >one.out &&
	test_line_count = 1 one.out
'

test_expect_success JQ 'closed days get one marker per expected stream without rows' '
	jq -c "select(.type == \"RECORD\" and .record._bf_source == \"closure\") | [.record._bf_location, .record._bf_date, .stream, .record.closure_reason, .record._bf_line]" \
		out.ndjson >actual &&
	cat >expect <<-\EOF &&
	["100","2024-01-11","order_details","no_files",0]
	["100","2024-01-11","payment_details","no_files",0]
	["200","2024-01-11","order_details","no_files",0]
	["200","2024-01-11","payment_details","no_files",0]
	["100","2024-01-12","order_details","no_files",0]
	["100","2024-01-12","payment_details","no_files",0]
	["200","2024-01-12","order_details","no_files",0]
	["200","2024-01-12","payment_details","no_files",0]
	["100","2024-01-15","payment_details","insufficient_files",0]
	["200","2024-01-15","payment_details","insufficient_files",0]
	EOF
	test_cmp expect actual
'

test_expect_success JQ 'SCHEMA declares the closure columns; STATE carries the verdict and evidence' '
	jq -c "select(.type == \"SCHEMA\") | [.schema.properties.closure_indicator.type, .schema.properties.closure_reason.type]" \
		out.ndjson | sort -u >actual &&
	echo "[\"boolean\",[\"string\",\"null\"]]" >expect &&
	test_cmp expect actual &&
	jq -c "select(.type == \"STATE\" and .value.bf.date == \"2024-01-14\" and .value.bf.location == \"200\") | .value.bf.closure |
		[.verdict, .reason, .evidence.observed.activity_rows, .evidence.observed.sales, .evidence.observed.voided_rows,
		 .evidence.baseline.basis, .evidence.thresholds.sales_basis, .evidence.thresholds.sales > .evidence.observed.sales]" \
		out.ndjson >actual &&
	echo "[\"closed\",\"low_sales\",300,0,150,\"weekday\",\"fraction_of_median\",true]" >expect &&
	test_cmp expect actual &&
	test "$(grep -c "\"type\":\"STATE\"" out.ndjson)" = 80
'

test_expect_success SQLITE3 'bf-load: closed and pending partitions, flagged rows in the target' '
	bf-load --target w.db <out.ndjson >/dev/null &&
	echo "closed|10" >expect &&
	sqlite3 "$BF_STATE" "select status, count(*) from partitions where status = '\''closed'\'' group by 1" >actual &&
	test_cmp expect actual &&
	sqlite3 "$BF_STATE" "select date from partitions where status = '\''pending'\'' and location = '\''100'\''" >actual &&
	echo 2024-02-09 >expect &&
	test_cmp expect actual &&
	sqlite3 w.db "select count(*), sum(closure_indicator) from order_details where _bf_date = '\''2024-01-14'\'' and _bf_source <> '\''closure'\''" >actual &&
	echo "320|320" >expect &&
	test_cmp expect actual &&
	sqlite3 w.db "select count(*) from (select distinct _bf_location, _bf_date from payment_details)" >actual &&
	echo 80 >expect &&
	test_cmp expect actual
'

test_expect_success SQLITE3 'pending: today and dates not yet due are not judged' '
	rm -f "$BF_STATE" &&
	bf-closure --today 2024-01-13 --due-days 2 <in.ndjson >p.ndjson &&
	sqlite3 "$BF_STATE" "select date, verdict from closures where location = '\''100'\'' and date >= '\''2024-01-10'\'' order by date limit 5" >actual &&
	cat >expect <<-\EOF &&
	2024-01-10|open
	2024-01-11|closed
	2024-01-12|pending
	2024-01-13|pending
	2024-01-14|pending
	EOF
	test_cmp expect actual &&
	! grep "2024-01-12.*closure_indicator\":true" p.ndjson &&
	bf-load --target p.db <p.ndjson >/dev/null &&
	test "$(sqlite3 "$BF_STATE" "select status from partitions where location = '\''100'\'' and date = '\''2024-01-12'\''")" = pending
'

test_expect_success SQLITE3 'absolute thresholds' '
	rm -f "$BF_STATE" &&
	bf-closure --today 2024-02-09 --min-rows 25 <in.ndjson >/dev/null &&
	test "$(sqlite3 "$BF_STATE" "select count(*) from closures where location = '\''100'\'' and reason = '\''low_activity'\''")" = 37 &&
	test "$(sqlite3 "$BF_STATE" "select count(*) from closures where location = '\''200'\'' and reason = '\''low_activity'\''")" = 1 &&
	rm -f "$BF_STATE" &&
	# every day of 100 is closed: no open history, so the floor of 1 row applies to its
	# one-order day, which is then closed for its sales
	bf-closure --today 2024-02-09 --min-sales 100000 --min-files 1 <in.ndjson >/dev/null &&
	sqlite3 "$BF_STATE" "select location, reason, count(*) from closures where verdict = '\''closed'\'' group by 1, 2" >actual &&
	cat >expect <<-\EOF &&
	100|low_sales|37
	100|no_files|2
	200|low_activity|1
	200|low_sales|1
	200|no_files|2
	EOF
	test_cmp expect actual &&
	sqlite3 "$BF_STATE" "select json_extract(evidence, '\''$.thresholds.sales_basis'\''), json_extract(evidence, '\''$.thresholds.files_basis'\'') from closures where date = '\''2024-01-20'\'' limit 1" >actual &&
	echo "min_sales|min_files" >expect &&
	test_cmp expect actual
'

test_expect_success JQ '--expect-streams: a marker, after its SCHEMA, for a stream never seen' '
	rm -f "$BF_STATE" &&
	bf-closure --today 2024-02-09 --expect-files 2 --expect-streams order_details,payment_details,refunds <in.ndjson >e.ndjson &&
	jq -c "select(.stream == \"refunds\") | [.type, .record._bf_date]" e.ndjson >actual &&
	head -3 actual >first &&
	cat >expect <<-\EOF &&
	["SCHEMA",null]
	["RECORD","2024-01-11"]
	["RECORD","2024-01-11"]
	EOF
	test_cmp expect first &&
	test "$(grep -c RECORD actual)" = 10
'

test_expect_success 'spilling to a temporary file changes nothing in the output' '
	rm -f "$BF_STATE" &&
	mkdir -p tmp &&
	TMPDIR=$PWD/tmp bf-closure -v --today 2024-02-09 --max-memory 4096 <in.ndjson >s.ndjson 2>s.err &&
	grep "spilled" s.err &&
	test -z "$(ls tmp)" &&
	sed "s/\"time_extracted\":\"[^\"]*\"//; s/,\"spilled_bytes\":[0-9]*//" s.ndjson >s.cmp &&
	sed "s/\"time_extracted\":\"[^\"]*\"//" out.ndjson >o.cmp &&
	test_cmp o.cmp s.cmp
'

test_expect_success 'messages of other types and foreign STATEs pass through in order' '
	rm -f "$BF_STATE" &&
	cat >f.ndjson <<-\EOF &&
	{"type":"SCHEMA","stream":"s","schema":{"properties":{"a":{"type":"string"}}},"key_properties":[]}
	{"type":"RECORD","stream":"s","record":{"a":"1"}}
	{"type":"ACTIVATE_VERSION","stream":"s","version":1}
	{"type":"RECORD","stream":"s","record":{"a":"2"}}
	{"type":"STATE","value":{"bookmark":1}}
	{"type":"RECORD","stream":"s","record":{"a":"3"}}
	{"type":"STATE","value":{"bf":{"location":"","date":"2024-01-05","status":"failed","error":"x"}}}
	EOF
	bf-closure --today 2024-02-01 <f.ndjson >f.out &&
	sed 1d f.ndjson >expect &&
	sed 1d f.out >actual &&
	test_cmp expect actual &&
	grep -c closure_indicator f.out >n &&
	echo 1 >expect &&
	test_cmp expect n
'

test_expect_success 'a partition without files in its STATE: judged from its records' '
	rm -f "$BF_STATE" &&
	cat >g.ndjson <<-\EOF &&
	{"type":"SCHEMA","stream":"order_details","schema":{"properties":{"amount":{"type":"string"}}},"key_properties":[]}
	{"type":"RECORD","stream":"order_details","record":{"amount":"$5.00","_bf_date":"2024-01-05"}}
	{"type":"STATE","value":{"bf":{"location":"","date":"2024-01-05"}}}
	{"type":"STATE","value":{"bf":{"location":"","date":"2024-01-06"}}}
	EOF
	bf-closure --today 2024-02-01 <g.ndjson >g.out &&
	grep -c "\"closure_indicator\":false" g.out >n && echo 1 >expect && test_cmp expect n &&
	grep "2024-01-06.*\"verdict\":\"closed\",\"reason\":\"no_files\"" g.out &&
	grep "\"_bf_date\":\"2024-01-06\".*\"_bf_source\":\"closure\"" g.out
'

test_expect_success 'bad input and usage' '
	printf "{\"type\":\"RECORD\",\"stream\":\"s\",\"record\":{\"a\":01}}\n" >bad.ndjson &&
	test_expect_code 65 bf-closure <bad.ndjson >/dev/null &&
	test_expect_code 64 bf-closure --min-rows x </dev/null &&
	test_expect_code 64 bf-closure --amount-column amount </dev/null &&
	test_expect_code 64 bf-closure --today 2024-02-30 </dev/null &&
	test_expect_code 64 bf-closure --max-memory 10 </dev/null &&
	test_expect_code 64 bf-closure --json </dev/null &&
	bf-closure --help >help &&
	grep -- "--expect-streams" help &&
	grep "^ *78" help &&
	test_expect_code 74 bf-closure --today 2024-02-09 <in.ndjson >/dev/full
'

test_expect_success SQLITE3,JQ 'report: by reason, month, weekday, runs, holiday-like' '
	rm -f "$BF_STATE" &&
	bf-closure --today 2024-02-09 <in.ndjson >/dev/null &&
	bf-closure --report >r.txt &&
	grep "^partitions judged: 78 (open 68, closed 10" r.txt &&
	grep "^  no_files  *4  *40.0%" r.txt &&
	grep "^  100  *2024-01-11  2024-01-15  *5 " r.txt &&
	grep "holiday-like): 10" r.txt &&
	bf-closure --report --json >r.json &&
	jq -e ".partitions.closed == 10 and .partitions.pending == 2" r.json &&
	jq -e "[.by_reason[] | select(.reason == \"low_sales\") | .count] == [2]" r.json &&
	jq -e "(.by_month | length) == 2 and .by_month[0].month == \"2024-01\" and .by_month[0].closed == 10" r.json &&
	jq -e "[.by_weekday[] | .closed] | add == 10" r.json &&
	jq -e ".longest_run_per_location | length == 2 and .[0].days == 5" r.json &&
	jq -e ".holiday_like | length == 10" r.json &&
	bf-closure --report --json --source nowhere >r0.json &&
	jq -e ".partitions.judged == 0" r0.json
'

test_done
