#!/usr/bin/env bash
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
test_description='what bf-run and bf-report say is what happened: quarantined rows, closures per location-day, rows extracted and loaded with closure markers, a partly loaded date, the calendar and the closure analysis'
. "$(dirname "$0")/../lib/test-lib.sh"

S=$TRASH_DIRECTORY/state.db
q() { sqlite3 -batch -readonly -noheader "$S" "$1"; }

test_expect_success SQLITE3,JQ 'setup: two locations, 60 days, closures, bad rows, and one location of one date corrupt' '
	bf-sample --out drop --seed 7 --days 60 --orders-per-day 20 --locations 2 --quiet --defects ragged,invalid_utf8 &&
	rm drop/185130/20240117/OrderDetails.csv &&
	printf "\037\213\010\000garbage" >drop/185130/20240117/OrderDetails.csv.gz &&
	test_expect_code 1 bf-run --source drop --target w.db --all --state "$S" --log run.json >run.out 2>run.err &&
	test "$(q "select count(*) from partitions where status = '\''closed'\''")" -ge 4 &&
	test "$(q "select count(*) from quarantine")" -ge 2
'

test_expect_success SQLITE3,JQ 'quarantined rows: exit 1, counted in the summary and the log, in total and per date' '
	jq -e --argjson n "$(q "select count(*) from quarantine")" \
		--argjson d "$(q "select count(distinct date) from quarantine")" \
		".summary.quarantined_rows == \$n and .summary.quarantined_dates == \$d and \$n > 0" run.json &&
	q "select date, count(*) from quarantine group by date order by date" | tr "|" " " >want &&
	jq -r ".dates[] | select(.quarantined > 0) | \"\(.date) \(.quarantined)\"" run.json >got &&
	test_cmp want got &&
	grep -E "^bf-run: $(q "select count(*) from quarantine") rows quarantined, in $(q "select count(distinct date) from quarantine") dates" run.err
'

test_expect_success 'quarantined rows alone are exit 1 too, and said' '
	bf-sample --out clean --seed 7 --days 4 --orders-per-day 10 --locations 1 --quiet --defects ragged &&
	test_expect_code 1 bf-run --source clean --target c.db --all --state c-state.db --log c.json 2>c.err &&
	jq -e ".summary.failed == 0 and .summary.quarantined_rows > 0 and .exit_code == 1" c.json &&
	grep "rows were quarantined" c.err
'

test_expect_success SQLITE3,JQ 'closures per location-day in the summary line and the log; dates closed everywhere apart' '
	closed=$(q "select count(*) from partitions where status = '\''closed'\''") &&
	everywhere=$(q "select count(*) from (select date from partitions group by date having sum(status = '\''closed'\'') = count(*))") &&
	test "$closed" -gt "$everywhere" &&
	jq -e --argjson c "$closed" --argjson e "$everywhere" \
		".summary.closed_partitions == \$c and .summary.dates_closed_everywhere == \$e and .summary.closed == \$e" run.json &&
	jq -e --argjson c "$closed" "[.dates[].closed] | add == \$c" run.json &&
	grep -E "^bf-run: [0-9]+ partitions \(location-days\) committed, $closed of them closed$" run.err &&
	grep -E "; $everywhere dates closed at every location$" run.err
'

test_expect_success SQLITE3,JQ 'rows extracted and loaded, closure markers counted, the same in bf-run and bf-report' '
	markers=0 &&
	for t in $(sqlite3 w.db "select stream from _bf_streams"); do
		markers=$((markers + $(sqlite3 w.db "select count(*) from \"$t\" where _bf_source = '\''closure'\''"))) || return 1
	done &&
	test "$markers" -gt 0 &&
	loaded=$(q "select sum(loaded_rows) from partitions") &&
	jq -e --argjson m "$markers" --argjson l "$loaded" \
		--argjson x "$(q "select sum(rows) from partitions where status in ('\''loaded'\'', '\''closed'\'')")" \
		".summary.marker_rows == \$m and .summary.rows_loaded == \$l and .summary.rows_extracted == \$x" run.json &&
	bf-report --state "$S" summary --json >sum.json &&
	jq -e --argjson m "$markers" --argjson l "$loaded" \
		".overall.rows_loaded == \$l and .overall.marker_rows == \$m" sum.json &&
	grep -E "^bf-run: $loaded rows loaded \([0-9]+ rows/s\), $markers of them closure marker rows; [0-9]+ rows extracted" run.err &&
	bf-report --state "$S" summary >sum.txt &&
	grep -E "^  rows loaded +$loaded$" sum.txt &&
	grep -E "^    closure markers +$markers  \(of the rows loaded" sum.txt
'

test_expect_success SQLITE3,JQ 'a failed date that one location committed is reported as partly loaded' '
	jq -e ".failed_dates == [\"2024-01-17\"] and .summary.partly_loaded == 1" run.json &&
	jq -e ".errors[0].partly_loaded == [\"185129\"]" run.json &&
	test "$(q "select status from partitions where date = '\''2024-01-17'\'' and location = '\''185129'\''")" = loaded &&
	grep "2024-01-17: partly loaded: 185129 ($(q "select loaded_rows from partitions where date = '\''2024-01-17'\'' and location = '\''185129'\''") rows) committed before the failure" run.err &&
	grep "(1 of them partly loaded)" run.err &&
	jq -e --argjson r "$(q "select loaded_rows from partitions where date = '\''2024-01-17'\'' and location = '\''185129'\''")" \
		".dates[] | select(.date == \"2024-01-17\") | .outcome == \"failed\" and .rows_loaded == \$r and .partitions_committed == 1" run.json
'

test_expect_success SQLITE3,JQ 'bf-report summary counts closed partitions, dates closed everywhere and at some locations' '
	closed=$(q "select count(*) from partitions where status = '\''closed'\''") &&
	partly=$(q "select count(*) from (select date from partitions group by date having sum(status = '\''closed'\'') between 1 and count(*) - 1 and sum(status = '\''loaded'\'') + sum(status = '\''closed'\'') = count(*))") &&
	test "$partly" -gt 0 &&
	jq -e --argjson c "$closed" --argjson p "$partly" \
		".overall.closed_partitions == \$c and .overall.partitions.closed == \$c and .overall.dates_partly_closed == \$p" sum.json &&
	grep -E "^  closed +$closed  location-days \(partitions\)" sum.txt
'

cal_count() { grep -E "^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) " "$2" | cut -c5- | tr -cd "$1" | wc -c; }

test_expect_success SQLITE3,JQ 'the calendar: a date closed at some locations has a cell of its own; closed location-days counted' '
	bf-report --state "$S" calendar >cal.txt &&
	test "$(cal_count "+" cal.txt)" = "$partly" &&
	test "$(cal_count "-" cal.txt)" = "$(q "select count(*) from (select date from partitions group by date having sum(status = '\''closed'\'') = count(*))")" &&
	grep -E "^closed location-days \(partitions\): $closed;" cal.txt &&
	bf-report --state "$S" calendar --json >cal.json &&
	jq -e --argjson c "$closed" --argjson p "$partly" \
		".counts.closed_partitions == \$c and .counts.partly_closed == \$p and ([.days[].closed] | add) == \$c" cal.json
'

# dom FILE OUT: the page as Chromium laid it out in a window 900 px wide
dom() {
	chromium --headless --no-sandbox --disable-gpu --user-data-dir="$TRASH_DIRECTORY/chromium" \
		--window-size=900,1000 --dump-dom "file://$TRASH_DIRECTORY/$1" >"$2" 2>chromium.err &&
	test -s "$2"
}

test_expect_success SQLITE3 'HTML: closed location-days, tooltips naming locations and reasons, month labels only over dates' '
	bf-report --state "$S" --start-date 2023-10-01 --end-date 2024-02-29 --html report.html &&
	grep -o "data-closed=\"[0-9]*\"" report.html | awk -F"\"" "{ s += \$2 } END { print s }" >sum &&
	echo "$closed" >want && test_cmp want sum &&
	grep -F "<b data-count=\"closed_partitions\">$closed</b>" report.html &&
	test "$(grep -c "<rect class=\"day partly_closed\" data-status=\"loaded\"" report.html)" = "$partly" &&
	d=$(q "select date from partitions where status = '\''closed'\'' and date in (select date from partitions group by date having sum(status = '\''loaded'\'') > 0) order by date limit 1") &&
	l=$(q "select location from partitions where status = '\''closed'\'' and date = '\''$d'\''") &&
	r=$(q "select reason from closures where date = '\''$d'\'' and location = '\''$l'\''") &&
	grep -F "<title>$d: loaded; closed at 1 of 2 locations: $l ($r);" report.html &&
	# 2023: Oct Nov Dec, 2024: Jan Feb; no label over the months without dates
	test "$(grep -o "class=\"ml\">[A-Z][a-z]*<" report.html | tr "\n" " ")" = "class=\"ml\">Oct< class=\"ml\">Nov< class=\"ml\">Dec< class=\"ml\">Jan< class=\"ml\">Feb< "
'

test_expect_success CHROMIUM,SQLITE3 'HTML: nothing wider than a window of 900 px' '
	sed "s|</body>|<script>document.body.setAttribute(\"data-width\", document.documentElement.scrollWidth)</script></body>|" \
		report.html >measure.html &&
	dom measure.html measure.dom &&
	w=$(grep -o "data-width=\"[0-9]*\"" measure.dom | grep -o "[0-9]*") &&
	test -n "$w" && test "$w" -le 900
'

test_expect_success SQLITE3,JQ 'the closure analysis: weekends, holiday periods, longest runs closed at every location' '
	bf-report --state "$S" closures --json >cl.json &&
	jq -e --argjson w "$(q "select count(*) from closures where verdict = '\''closed'\'' and strftime('\''%w'\'', date) in ('\''0'\'', '\''6'\'')")" \
		--argjson j "$(q "select count(*) from closures where verdict <> '\''pending'\'' and strftime('\''%w'\'', date) in ('\''0'\'', '\''6'\'')")" \
		".periods.weekend.closed == \$w and .periods.weekend.judged == \$j" cl.json &&
	jq -e --argjson e "$(q "select count(*) from (select date from closures where verdict <> '\''pending'\'' group by date having sum(verdict = '\''closed'\'') = count(*))")" \
		".periods.dates_closed_everywhere == \$e and ([.periods.longest_runs_everywhere[].days] | add // 0) == \$e" cl.json &&
	# every holiday date is closed at most locations
	for d in $(jq -r ".periods.holiday_periods[] | .start" cl.json); do
		test "$(q "select 2 * sum(verdict = '\''closed'\'') > count(*) from closures where date = '\''$d'\''")" = 1 || return 1
	done &&
	jq -e ".periods.holiday_dates >= 1" cl.json &&
	bf-report --state "$S" closures >cl.txt &&
	grep "^Weekends and weekdays:" cl.txt &&
	grep "^Holiday periods (closed at most locations on a weekday normally open): " cl.txt &&
	grep "^Longest runs closed at every location" cl.txt
'

test_done
