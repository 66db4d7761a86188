#!/usr/bin/env bash
test_description='bf-report --html: one self-contained page, its calendar checked in headless Chromium'
. "$(dirname "$0")/../lib/test-lib.sh"

S=$TRASH_DIRECTORY/state.db

q() { sqlite3 -batch -readonly -noheader "$S" "$1"; }

# dom FILE OUT: the page as Chromium parsed it
dom() {
	chromium --headless --no-sandbox --disable-gpu --user-data-dir="$TRASH_DIRECTORY/chromium" \
		--dump-dom "file://$TRASH_DIRECTORY/$1" >"$2" 2>chromium.err &&
	test -s "$2"
}

# rects DOM STATUS: calendar cells of that status in the parsed page
rects() { grep -o "<rect class=\"day $2\" data-status=\"$2\"[^>]*>" "$1" | wc -l; }

test_expect_success SQLITE3 'setup: a 60-date backfill with one corrupt date' '
	bf-sample --out drop --seed 7 --days 60 --orders-per-day 20 --locations 1 --quiet &&
	rm drop/185129/20240117/OrderDetails.csv &&
	printf "\037\213\010\000garbage" >drop/185129/20240117/OrderDetails.csv.gz &&
	test_expect_code 1 bf-run --source drop --target w.db --all --batch-size 1 --state "$S" --no-log -q &&
	sha256sum <"$S" >sum.before
'

test_expect_success SQLITE3 '--html writes one page atomically and leaves the state file alone' '
	bf-report --state "$S" --html report.html &&
	test -s report.html &&
	ls >files && ! grep "report.html.tmp" files &&
	sha256sum <"$S" >sum.now && test_cmp sum.before sum.now
'

test_expect_success 'self-contained: no external resource, no script' '
	! grep -Ei "<(script|link|img|iframe)|src=|url\(|@import" report.html &&
	grep -o "https\?://[^\"]*" report.html | sort -u >urls &&
	echo "http://www.w3.org/2000/svg" >want &&
	test_cmp want urls
'

test_expect_success CHROMIUM,SQLITE3 'Chromium: one calendar cell per date, by status, as in the state file' '
	dom report.html dom.html &&
	grep -q "<svg id=\"calendar\"" dom.html &&
	for st in loaded closed failed pending; do
		test "$(rects dom.html $st)" = "$(q "select count(*) from partitions where status = '\''$st'\''")" || return 1
	done &&
	test "$(rects dom.html missing)" = 0 &&
	test "$(grep -o "<rect class=\"day " dom.html | wc -l)" = 60 &&
	grep -q "data-status=\"failed\" data-date=\"2024-01-17\"" dom.html &&
	grep -q "<title>2024-01-17: failed" dom.html &&
	# every cell has its tooltip
	test "$(grep -o "<rect class=\"day [^>]*><title>[0-9-]*: [a-z]*" dom.html | wc -l)" = 60
'

test_expect_success CHROMIUM,SQLITE3 'Chromium: the summary and the daily-rows chart' '
	{ grep -o "<tr data-key=\"[a-z_]*\"><th>[^<]*</th><td>[^<]*</td>" dom.html >&2 || :; } &&
	{ q "select status, count(*) from partitions group by 1" >&2 || :; } &&
	grep -q "<tr data-key=\"failed\"><th>Failed</th><td>1</td><td>1.7%</td></tr>" dom.html &&
	grep -q "<tr data-key=\"rows_loaded\"><th>Rows loaded</th><td>$(q "select sum(loaded_rows) from partitions")</td>" dom.html &&
	grep -q "<svg id=\"rows\"" dom.html &&
	test "$(grep -o "<rect class=\"bar " dom.html | wc -l)" = 60 &&
	grep -q "<title>2024-01-02: $(q "select loaded_rows from partitions where date = '\''2024-01-02'\''") rows loaded" dom.html
'

test_expect_success CHROMIUM,SQLITE3 'Chromium: a wider selection shows the dates never worked on as missing' '
	bf-report --state "$S" --start-date 2023-12-20 --end-date 2024-02-29 --html wide.html &&
	dom wide.html wide.dom &&
	test "$(rects wide.dom missing)" = 12 &&
	test "$(grep -o "<rect class=\"day " wide.dom | wc -l)" = 72 &&
	grep -q "<g class=\"year\" data-year=\"2023\">" wide.dom &&
	sha256sum <"$S" >sum.now && test_cmp sum.before sum.now
'

test_expect_success 'an unwritable --html path: 74, nothing left behind' '
	test_expect_code 74 bf-report --state "$S" --html nodir/r.html &&
	test_expect_code 66 bf-report --state nope.db --html r2.html &&
	! test -e r2.html
'

test_done
