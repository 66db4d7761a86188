#!/usr/bin/env bash
test_description='bf-report: summary, dates, closures, metrics, calendar, Prometheus, against the state file of a real backfill'
. "$(dirname "$0")/../lib/test-lib.sh"

S=$TRASH_DIRECTORY/state.db

# q SQL: one value from the state file
q() { sqlite3 -batch -readonly -noheader "$S" "$1"; }

# the state file must never change: its sha256 after every report
check_unchanged() {
	echo "$(sha256sum <"$S")" >sum.now &&
	test_cmp sum.before sum.now
}

test_expect_success SQLITE3,JQ 'setup: a 60-date backfill with bad rows and one corrupt date' '
	# bad rows (ragged, invalid UTF-8) are quarantined; their dates still load
	bf-sample --out drop --seed 7 --days 60 --orders-per-day 20 --locations 1 --quiet \
		--defects ragged,invalid_utf8 &&
	# 2024-01-17: a gzip file cut short, bf-extract exits 65 for that date
	rm drop/185129/20240117/OrderDetails.csv &&
	printf "\037\213\010\000garbage" >drop/185129/20240117/OrderDetails.csv.gz &&
	test_expect_code 1 bf-run --source drop --target w.db --all --batch-size 1 --state "$S" --log run.json -q &&
	jq -e ".failed_dates == [\"2024-01-17\"]" run.json &&
	test "$(q "select count(*) from partitions")" = 60 &&
	test "$(q "select count(*) from partitions where status = '\''failed'\''")" = 1 &&
	test "$(q "select count(*) from partitions where status = '\''closed'\''")" -ge 1 &&
	test "$(q "select count(*) from quarantine")" -ge 2 &&
	echo "$(sha256sum <"$S")" >sum.before
'

test_expect_success SQLITE3,JQ 'summary --json: counts, rows, quarantine and errors as in the state file' '
	bf-report --state "$S" summary --json >sum.json &&
	for st in loaded closed failed pending; do
		want=$(q "select count(*) from partitions where status = '\''$st'\''") &&
		jq -e --argjson w "$want" ".overall.$st == \$w" sum.json || return 1
	done &&
	jq -e ".overall.dates == 60 and .overall.missing == 0 and .overall.processed == 60" sum.json &&
	jq -e --argjson w "$(q "select count(*) from partitions where status in ('\''loaded'\'','\''closed'\'')")" \
		".overall.successful == \$w" sum.json &&
	jq -e ".overall.failed_pct == 1.7 and .from == \"2024-01-01\" and .to == \"2024-02-29\"" sum.json &&
	jq -e --argjson w "$(q "select sum(loaded_rows) from partitions")" ".overall.rows_loaded == \$w" sum.json &&
	jq -e --argjson w "$(q "select sum(rows) from partitions")" ".overall.rows_extracted == \$w" sum.json &&
	jq -e --argjson w "$(q "select count(*) from quarantine")" ".overall.quarantined_rows == \$w and \$w > 0" sum.json &&
	jq -e --argjson w "$(q "select count(*) from errors")" ".overall.errors == \$w and \$w >= 1" sum.json &&
	jq -e --argjson w "$(q "select count(*) from runs where stage = '\''run'\''")" \
		".overall.runs == \$w and (.runs | length) == \$w" sum.json &&
	run=$(q "select run_id from runs where stage = '\''run'\''") &&
	jq -e --argjson id "$run" \
		--argjson kids "$(q "select count(*) from runs where parent_run = $run")" \
		--argjson rows "$(q "select sum(rows) from run_dates where run_id = $run")" \
		--argjson quar "$(q "select count(*) from quarantine where run_id in (select run_id from runs where parent_run = $run)")" \
		".runs[0] | .run_id == \$id and .child_runs == \$kids and .rows_loaded == \$rows and .dates == 60
		 and .quarantined_rows == \$quar and \$quar > 0
		 and .failed == 1 and .exit_code == 1 and .duration_s > 0" sum.json &&
	check_unchanged
'

test_expect_success SQLITE3 'summary as text' '
	bf-report --state "$S" summary >sum.txt &&
	grep -E "^  failed +1 +1\.7%$" sum.txt &&
	grep -E "^  dates +60$" sum.txt &&
	grep -E "^  rows loaded +$(q "select sum(loaded_rows) from partitions")$" sum.txt &&
	grep -E "^ +$(q "select run_id from runs where stage = '\''run'\''") +[0-9T:Z-]+ +1 " sum.txt &&
	bf-report --state "$S" >default.txt &&
	test_cmp sum.txt default.txt &&
	check_unchanged
'

test_expect_success SQLITE3,JQ 'dates --json: one entry per partition, as in the state file' '
	bf-report --state "$S" dates --json >dates.json &&
	jq -r ".dates[] | [.date, .location, .status, (.rows // \"\"), (.loaded_rows // \"\"), .attempts, (.last_error // \"\")] | join(\"|\")" \
		dates.json >got &&
	q "select date, location, status, ifnull(rows, '\'''\''), ifnull(loaded_rows, '\'''\''), attempts, ifnull(last_error, '\'''\'')
	   from partitions order by date" >want &&
	test_cmp want got &&
	check_unchanged
'

test_expect_success SQLITE3 'dates as text, with the failed date and its error' '
	bf-report --state "$S" dates >dates.txt &&
	test_line_count = 61 dates.txt &&
	grep -E "^2024-01-17  185129 +failed .*gzip data ends early" dates.txt &&
	test "$(grep -cE "^[0-9-]+  [0-9]+ +loaded " dates.txt)" = "$(q "select count(*) from partitions where status = '\''loaded'\''")"
'

test_expect_success SQLITE3,JQ 'a date range wider than the data: dates never worked on are missing' '
	bf-report --state "$S" --start-date 2023-12-30 --end-date 2024-01-05 dates --json >range.json &&
	jq -e "(.dates | length) == 7 and ([.dates[] | select(.status == \"missing\")] | length) == 2" range.json &&
	jq -e ".dates[0] == {date: \"2023-12-30\", source: null, location: null, status: \"missing\", folder: null,
		rows: null, loaded_rows: null, quarantined: null, attempts: 0, duration_ms: null, last_error: null}" range.json &&
	bf-report --state "$S" --start-date 2023-12-30 --end-date 2024-01-05 summary --json >rs.json &&
	jq -e ".overall.dates == 7 and .overall.missing == 2 and .overall.processed == 5" rs.json &&
	bf-report --state "$S" --dates 2024-01-17 2024-01-18 summary --json >two.json &&
	jq -e ".overall.dates == 2 and .overall.failed == 1 and .overall.loaded == 1 and .runs[0].dates == 2" two.json &&
	check_unchanged
'

test_expect_success SQLITE3,JQ '--source (a relative folder) and --location filter; an unknown one selects nothing' '
	bf-report --state "$S" --source drop --location 185129 summary --json >src.json &&
	jq -e ".source == \"$(q "select distinct source from partitions")\" and .overall.dates == 60" src.json &&
	bf-report --state "$S" --source elsewhere summary --json >none.json &&
	jq -e ".overall.dates == 0 and (.runs | length) == 0" none.json &&
	bf-report --state "$S" --location 999 dates --json >nl.json &&
	jq -e ".dates == []" nl.json
'

test_expect_success SQLITE3,JQ 'closures: the closure analysis of the closures table' '
	bf-report --state "$S" closures --json >cl.json &&
	jq -e --argjson c "$(q "select count(*) from closures where verdict = '\''closed'\''")" \
		--argjson o "$(q "select count(*) from closures where verdict = '\''open'\''")" \
		".partitions.closed == \$c and .partitions.open == \$o" cl.json &&
	bf-report --state "$S" closures >cl.txt &&
	grep "^partitions judged: $(q "select count(*) from closures")" cl.txt &&
	check_unchanged
'

test_expect_success SQLITE3,JQ 'metrics: per-stage rows, timings and percentiles from the metrics table' '
	bf-report --state "$S" metrics --json >m.json &&
	jq -e --argjson w "$(q "select sum(value) from metrics where stage = '\''load'\'' and name = '\''loaded_rows'\''")" \
		".stages[] | select(.stage == \"load\") | .rows == \$w and .timing == \"load_ms\"" m.json &&
	jq -e --argjson w "$(q "select count(*) from metrics where stage = '\''load'\'' and name = '\''load_ms'\''")" \
		".stages[] | select(.stage == \"load\") | .ms_per_date.count == \$w and .ms_per_date.p50 <= .ms_per_date.p95" m.json &&
	jq -e --argjson w "$(q "select sum(value) from metrics where stage = '\''extract'\'' and name = '\''rows'\''")" \
		".series[] | select(.stage == \"extract\" and .name == \"rows\") | .sum == \$w" m.json &&
	jq -e --argjson w "$(q "select max(value) from metrics where stage = '\''run'\'' and name = '\''pipeline_ms'\''")" \
		".series[] | select(.stage == \"run\" and .name == \"pipeline_ms\") | .max == \$w" m.json &&
	bf-report --state "$S" metrics >m.txt &&
	# failed: a bf-load bf-run stopped is marked interrupted (75) by the next run
	grep -E "^  load +[0-9]+ +$(q "select count(*) from runs where stage = '\''load'\'' and exit_code > 0 and run_id in (select run_id from metrics)") +[0-9]+ +[0-9]+ +[0-9]+ " m.txt &&
	check_unchanged
'

# cells of the text calendar (lines starting with a weekday), one character per date
cal_count() { grep -E "^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) " "$2" | cut -c5- | tr -cd "$1" | wc -c; }

test_expect_success SQLITE3,JQ 'calendar: one cell per date, by status, with a legend' '
	bf-report --state "$S" calendar >cal.txt &&
	test "$(cal_count "#" cal.txt)" = "$(q "select count(*) from partitions where status = '\''loaded'\''")" &&
	test "$(cal_count "-" cal.txt)" = "$(q "select count(*) from partitions where status = '\''closed'\''")" &&
	test "$(cal_count "X" cal.txt)" = 1 &&
	test "$(cal_count "#X?.-" cal.txt)" = 60 &&
	# 2024-01-17 is a Wednesday in the third week (2024-01-01 is a Monday)
	test "$(grep "^Wed " cal.txt | cut -c7)" = X &&
	grep -E "^legend: .*X failed 1" cal.txt &&
	! grep -q "$(printf "\033")" cal.txt &&
	bf-report --state "$S" --start-date 2023-12-25 --end-date 2024-02-29 calendar >cal2.txt &&
	test "$(cal_count "." cal2.txt)" = 7 &&
	grep "^2023$" cal2.txt && grep "^2024$" cal2.txt &&
	bf-report --state "$S" calendar --json >cal.json &&
	jq -e --argjson w "$(q "select count(*) from partitions where status = '\''closed'\''")" \
		"(.days | length) == 60 and .counts.closed == \$w and .counts.failed == 1" cal.json &&
	jq -e ".days[] | select(.date == \"2024-01-17\") | .status == \"failed\" and .weekday == 3" cal.json &&
	check_unchanged
'

test_expect_success 'calendar colours: only with --color always or on a terminal without NO_COLOR' '
	bf-report --state "$S" calendar --color always >col.txt &&
	grep -q "$(printf "\033")\[" col.txt &&
	bf-report --state "$S" calendar --color never >nocol.txt &&
	! grep -q "$(printf "\033")" nocol.txt &&
	if command -v script >/dev/null; then
		script -qec "bf-report --state $S calendar" /dev/null >tty.txt &&
		grep -q "$(printf "\033")\[" tty.txt &&
		NO_COLOR=1 script -qec "bf-report --state $S calendar" /dev/null >tty2.txt &&
		! grep -q "$(printf "\033")" tty2.txt
	fi
'

# prom_check FILE: every sample line is "name{labels} value", each metric has HELP and TYPE first
prom_check() {
	awk '
	/^# HELP / { help[$3] = 1; next }
	/^# TYPE / { if (!help[$3]) { print "TYPE before HELP: " $3; bad = 1 }; type[$3] = $4; next }
	/^#/ { next }
	{
		if ($0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? -?[0-9.eE+-]+$/) {
			print "bad sample: " $0; bad = 1
		}
		name = $1; sub(/\{.*/, "", name); base = name; sub(/_(sum|count)$/, "", base)
		if (!type[name] && !type[base]) { print "no TYPE for " name; bad = 1 }
	}
	END { exit bad }' "$1"
}

# prom FILE SAMPLE: the value of one sample
prom() { awk -v s="$2" 'index($0, s " ") == 1 { print $NF }' "$1"; }

test_expect_success SQLITE3 'Prometheus text: well formed, values as in the state file' '
	bf-report --state "$S" --prometheus >p.prom &&
	prom_check p.prom &&
	for st in loaded closed failed pending running; do
		test "$(prom p.prom "bf_partitions{status=\"$st\"}")" = \
			"$(q "select count(*) from partitions where status = '\''$st'\''")" || return 1
	done &&
	test "$(prom p.prom bf_rows_loaded_total)" = "$(q "select sum(loaded_rows) from partitions")" &&
	test "$(prom p.prom bf_quarantined_rows_total)" = "$(q "select count(*) from quarantine")" &&
	test "$(prom p.prom bf_errors_total)" = "$(q "select count(*) from errors")" &&
	test "$(prom p.prom bf_run_exit_code)" = 1 &&
	test "$(prom p.prom "bf_dates{status=\"failed\"}")" = 1 &&
	d=$(prom p.prom bf_run_duration_seconds) && test "${d%%.*}" -ge 1 &&
	grep "^# TYPE bf_rows_loaded_total counter$" p.prom &&
	grep "^# TYPE bf_stage_date_duration_seconds summary$" p.prom &&
	test "$(prom p.prom "bf_stage_date_duration_seconds_count{stage=\"load\"}")" = \
		"$(q "select count(*) from metrics where stage = '\''load'\'' and name = '\''load_ms'\''")" &&
	check_unchanged
'

test_expect_success 'Prometheus --output FILE: written whole through a temporary file' '
	mkdir -p textfile &&
	bf-report --state "$S" --prometheus --output textfile/bf.prom &&
	bf-report --state "$S" --prometheus >p2.prom &&
	test_cmp p2.prom textfile/bf.prom &&
	ls textfile >files && echo bf.prom >want && test_cmp want files &&
	test_expect_code 74 bf-report --state "$S" --prometheus --output nodir/bf.prom &&
	check_unchanged
'

test_expect_success '--output FILE writes what stdout would, with the subcommand'\''s own options' '
	for sub in summary dates metrics calendar; do
		bf-report --state "$S" $sub --json --output out.json &&
		bf-report --state "$S" $sub --json >std.json &&
		test_cmp std.json out.json || return 1
	done &&
	bf-report --state "$S" calendar --color always --output col.out &&
	test_cmp col.txt col.out &&
	bf-report --state "$S" dates -o dates.out &&
	bf-report --state "$S" dates >dates.std &&
	test_cmp dates.std dates.out &&
	check_unchanged
'

test_expect_success 'missing state file: 66, and nothing is created' '
	test_expect_code 66 bf-report --state nope.db summary 2>err &&
	grep "nope.db: no such state file" err &&
	! test -e nope.db &&
	BF_STATE=$TRASH_DIRECTORY/nope2.db test_expect_code 66 bf-report calendar &&
	! test -e nope2.db
'

test_expect_success SQLITE3 'not a state file: 65; a state file from a newer bf: 78' '
	echo "hello" >text.db &&
	test_expect_code 65 bf-report --state text.db summary &&
	sqlite3 other.db "create table t(x)" &&
	test_expect_code 65 bf-report --state other.db summary &&
	cp "$S" newer.db &&
	sqlite3 newer.db "pragma user_version = 999" &&
	test_expect_code 78 bf-report --state newer.db summary 2>err &&
	grep "newer than this bf" err
'

test_expect_success 'usage errors: 64' '
	test_expect_code 64 bf-report --state "$S" bogus &&
	test_expect_code 64 bf-report --state "$S" summary dates &&
	test_expect_code 64 bf-report --state "$S" summary --prometheus &&
	test_expect_code 64 bf-report --state "$S" --prometheus --json &&
	test_expect_code 64 bf-report --state "$S" --html x.html --output y &&
	test_expect_code 64 bf-report --state "$S" --date 2024-13-01 summary &&
	test_expect_code 64 bf-report --state "$S" --start-date 2024-01-01 summary &&
	test_expect_code 64 bf-report --state "$S" calendar --color sometimes &&
	test_expect_code 64 bf-report --state "$S" --no-such-option &&
	bf-report --help >help.out && grep "^  calendar" help.out && grep "^  66" help.out &&
	bf-report --dates 2024-01-01 2024-01-02 --state "$S" dates >two.txt &&
	test_line_count = 3 two.txt &&
	check_unchanged
'

test_expect_success 'a failed write of stdout is 74' '
	if test -w /dev/full; then
		test_expect_code 74 bf-report --state "$S" dates >/dev/full
	fi
'

test_done
