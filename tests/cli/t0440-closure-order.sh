#!/usr/bin/env bash
test_description='bf-closure with partitions in any order: the learned measure does not depend on it; a verdict judged before its baseline window is provisional, and final once judged again in date order'
. "$(dirname "$0")/../lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/vendor-drops.sh"

test_lazy_prereq SAMPLE 'test -x "$BF_BUILD/bf-sample"'

verdicts() {
	sqlite3 -separator ' ' "$1" "select location, date, verdict, coalesce(reason, '-') from closures order by 1, 2"
}

# judge_batches STATE N: the drop's 120 dates in batches of 15, the last batch first (as
# bf-run --newest-first or a second worker can take them)
judge_batches() {
	local k s e
	for k in 7 6 5 4 3 2 1 0; do
		s=$(date -u -d "2024-01-01 +$((k * 15)) days" +%F) &&
		e=$(date -u -d "2024-01-01 +$((k * 15 + 14)) days" +%F) &&
		bf-extract --source s --start-date "$s" --end-date "$e" |
		bf-closure --state "$1" --today 2024-05-10 >/dev/null || return 1
	done
}

test_expect_success SAMPLE,SQLITE3,JQ 'in date order: the manifest verdicts, none provisional' '
	bf-sample --out s --seed 7 --days 120 --orders-per-day 20 --locations 2 -q &&
	bf-extract --source s --all | bf-closure --state serial.db --today 2024-05-10 >/dev/null &&
	jq -r ".partitions[] | \"\(.location) \(.date) \(if .closed then \"closed\" else \"open\" end) \(.reason // \"-\")\"" \
		s/manifest.json | sort >want &&
	verdicts serial.db | sort >serial &&
	test_cmp want serial &&
	bf-closure --report --json --state serial.db >r.json &&
	jq -e ".provisional == {\"count\": 0, \"rejudge_from\": null, \"rejudge_to\": null, \"verdicts\": []}" r.json
'

test_expect_success SAMPLE,SQLITE3,JQ 'the last dates first: every verdict that differs is listed provisional' '
	judge_batches shuffled.db &&
	verdicts shuffled.db | sort >shuffled &&
	! cmp -s serial shuffled &&
	bf-closure --report --json --state shuffled.db >r.json &&
	jq -r ".provisional.verdicts[] | \"\(.location) \(.date)\"" r.json | sort >provisional &&
	comm -13 serial shuffled | cut -d" " -f1,2 | sort >differ &&
	test -s differ &&
	comm -23 differ provisional >not_listed &&
	test ! -s not_listed &&
	test "$(sqlite3 shuffled.db "select distinct json_extract(evidence, '\''\$.thresholds.activity_stream'\'') || '\'' '\'' || json_extract(evidence, '\''\$.thresholds.amount_column'\'') from closures")" = "order_details order_details.amount" &&
	bf-closure --report --state shuffled.db >r.txt &&
	grep "^Provisional (judged before open days of their baseline window were): [1-9]" r.txt &&
	grep "^  Judged again in date order from $(jq -r .provisional.rejudge_from r.json) to 2024-04-29, every verdict is final$" r.txt
'

test_expect_success SAMPLE,SQLITE3,JQ 'judged again in date order from the first provisional date: final, the verdicts of the ordered run' '
	from=$(jq -r .provisional.rejudge_from r.json) &&
	to=$(jq -r .provisional.rejudge_to r.json) &&
	bf-extract --source s --start-date "$from" --end-date "$to" | bf-closure --state shuffled.db --today 2024-05-10 >/dev/null &&
	verdicts shuffled.db | sort >again &&
	test_cmp serial again &&
	bf-closure --report --json --state shuffled.db >r2.json &&
	jq -e ".provisional.count == 0" r2.json
'

test_expect_success SAMPLE,SQLITE3,JQ 'bf-run with two workers, the newest first; then as the report says' '
	bf-run --source s --target run.db --state run-state.db --all --max-workers 2 --batch-size 10 --newest-first \
		--no-enrich --closure-arg --today --closure-arg 2024-05-10 --no-log -q &&
	verdicts run-state.db | sort >run &&
	bf-closure --report --json --state run-state.db >r3.json &&
	jq -r ".provisional.verdicts[] | \"\(.location) \(.date)\"" r3.json | sort >provisional &&
	comm -13 serial run | cut -d" " -f1,2 | sort >differ &&
	comm -23 differ provisional >not_listed &&
	test ! -s not_listed &&
	if jq -e ".provisional.count > 0" r3.json >/dev/null; then
		bf-run --source s --target run.db --state run-state.db --force --max-workers 1 \
			--start-date "$(jq -r .provisional.rejudge_from r3.json)" --end-date "$(jq -r .provisional.rejudge_to r3.json)" \
			--no-enrich --closure-arg --today --closure-arg 2024-05-10 --no-log -q
	fi &&
	verdicts run-state.db | sort >run2 &&
	test_cmp serial run2 &&
	bf-closure --report --json --state run-state.db | jq -e ".provisional.count == 0"
'

test_expect_success SQLITE3 'two processes at once, dates in any order: the same measure for every day' '
	vendor_drop pizza pizzeria 1 2023-01-01 120 27 138 10,50,90 &&
	bf-extract --source pizza --start-date 2023-03-01 --end-date 2023-04-30 >late.ndjson &&
	bf-extract --source pizza --start-date 2023-01-01 --end-date 2023-02-28 >early.ndjson &&
	{ bf-closure --state p.db --today 2023-06-01 <late.ndjson >/dev/null & } &&
	bf-closure --state p.db --today 2023-06-01 <early.ndjson >/dev/null &&
	wait &&
	sqlite3 p.db "select json_extract(evidence, '\''\$.thresholds.activity_stream'\''), json_extract(evidence, '\''\$.thresholds.amount_column'\''), verdict, coalesce(reason, '\''-'\''), count(*)
		from closures group by 1, 2, 3, 4" >actual &&
	cat >expect <<-\EOF &&
	orders|orders.total|closed|no_files|3
	orders|orders.total|open|-|117
	EOF
	test_cmp expect actual
'

test_done
