#!/usr/bin/env bash
test_description='--shard on one machine: bf-extract and bf-run take their share, auto from the scheduler, closures judged again'
. "$(dirname "$0")/../lib/test-lib.sh"

# states FILE: location and date of every partition bf-extract closed, sorted
states() {
	grep '"type":"STATE"' "$1" | sed 's/.*"location":"\([^"]*\)","date":"\([^"]*\)".*/\1 \2/' | sort
}

verdicts() {
	local db
	for db in "$@"; do
		sqlite3 "$db" "select location, date, verdict, ifnull(reason, '') from closures"
	done | sort
}

test_expect_success 'setup: a drop of three locations' '
	bf-sample --out drop --seed 7 --days 70 --orders-per-day 15 --locations 3 --quiet
'

test_expect_success 'bf-extract --shard K/3: the three shares make the whole, with nothing twice' '
	bf-extract --source drop --all --state all.db >all.out &&
	states all.out >expect &&
	test_line_count = 210 expect &&
	for k in 1 2 3; do
		bf-extract --source drop --all --state "x$k.db" --shard "$k/3" >"x$k.out" &&
		states "x$k.out" >"x$k.parts" || return 1
	done &&
	sort x1.parts x2.parts x3.parts >actual &&
	test_cmp expect actual &&
	test "$(sort -u actual | wc -l)" = 210
'

test_expect_success 'the same partition goes to the same shard whatever the date selection' '
	bf-extract --source drop --start-date 2024-01-20 --end-date 2024-01-31 --state sub.db --shard 2/3 >sub.out &&
	states sub.out >sub.parts &&
	test_line_count -gt 0 sub.parts &&
	awk "\$2 >= \"2024-01-20\" && \$2 <= \"2024-01-31\"" x2.parts >expect &&
	test_cmp expect sub.parts
'

test_expect_success '--shard auto from a Slurm array task and a Kubernetes Indexed Job, said on stderr' '
	SLURM_ARRAY_TASK_ID=12 SLURM_ARRAY_TASK_MIN=10 SLURM_ARRAY_TASK_COUNT=3 \
		bf-extract --source drop --all --state s.db --shard auto >s.out 2>err &&
	grep "shard 3 of 3 (Slurm array task 12" err &&
	states s.out >actual &&
	test_cmp x3.parts actual &&
	JOB_COMPLETION_INDEX=0 bf-run --source drop --target w.db --all --state k.db --shard auto/3 \
		--dry-run >plan 2>err &&
	grep "shard 1 of 3 (Kubernetes JOB_COMPLETION_INDEX 0 (0-based) of 3)" err &&
	grep "^shard 1 of 3 (Kubernetes" plan &&
	test_expect_code 64 bf-run --source drop --target w.db --all --shard auto 2>err &&
	grep "no scheduler" err &&
	test_expect_code 64 bf-run --source drop --target w.db --all --shard 0/3 2>err &&
	grep "numbered from 1" err &&
	test_expect_code 64 bf-extract --source drop --all --shard 4/3
'

test_expect_success 'bf-run --shard --dry-run: the shard share of each date' '
	bf-run --source drop --target w.db --all --state p.db --shard 2/3 --dry-run >plan &&
	grep "^shard 2 of 3: $(wc -l <x2.parts) of the dates" plan &&
	grep -- "--shard 2/3 --dates D" plan &&
	grep -c "of 3 locations)" plan >n &&
	test "$(cat n)" -gt 0
'

test_expect_success JQ 'the JSON log names the shard; a shell pipeline has it in $BF_SHARD' '
	bf-run --source drop --target w.db --dates 2024-01-05 --state l.db --shard 1/1 --log one.json -q &&
	jq -e "has(\"shard\") | not" one.json &&
	bf-run --source drop --target w.db --dates 2024-01-05,2024-01-07 --state l.db --shard 3/3 --log three.json \
		-q --force &&
	jq -e ".shard == \"3/3\"" three.json &&
	{ bf-run --source drop --all --state sh.db --shard 2/3 --no-log -q \
		--shell-pipeline "echo \"\$BF_SHARD\" >>\"$TRASH_DIRECTORY/seen\"" || :; } &&
	sort -u seen >actual &&
	echo 2/3 >expect &&
	test_cmp expect actual
'

test_expect_success 'three shards into one SQLite target; their verdicts judged again are the single run'\''s' '
	bf-run --source drop --target one.db --all --state one.st --max-workers 1 --no-log -q &&
	for k in 1 2 3; do
		bf-run --source drop --target three.db --all --state "s$k.st" --shard "$k/3" --no-log -q || return 1
	done &&
	verdicts one.st >expect &&
	bf-closure --rejudge --history h.db s1.st s2.st s3.st >changed.tsv &&
	verdicts h.db >actual &&
	test_cmp expect actual &&
	verdicts s1.st s2.st s3.st >pass1 &&
	comm -13 expect pass1 | cut -d"|" -f1,2 >differs &&
	awk -F"\t" "{ print \$3 \"|\" \$4 }" changed.tsv | sort >listed &&
	test_cmp differs listed &&
	test_line_count -gt 0 differs
'

test_expect_success 'the fix-up runs only the changed dates, and then rows and verdicts are the single run'\''s' '
	for k in 1 2 3; do
		dates=$(awk -F"\t" -v f="s$k.st" "\$1 == f { print \$4 }" changed.tsv | sort -u | paste -sd, -) &&
		if [ -n "$dates" ]; then
			bf-run --source drop --target three.db --dates "$dates" --state "s$k.st" --shard "$k/3" \
				--force --closure-arg --history=h.db --no-log -q || return 1
		fi
	done &&
	verdicts s1.st s2.st s3.st >actual &&
	test_cmp expect actual &&
	for t in order_details all_items_report; do
		sqlite3 one.db "select * from $t order by _bf_location, _bf_date, _bf_line" >"$t.one" &&
		sqlite3 three.db "select * from $t order by _bf_location, _bf_date, _bf_line" >"$t.three" &&
		test_cmp "$t.one" "$t.three" || return 1
	done
'

test_expect_success 'bf-closure --rejudge needs --history and state files' '
	test_expect_code 64 bf-closure --rejudge s1.st &&
	test_expect_code 64 bf-closure --rejudge --history h.db &&
	test_expect_code 66 bf-closure --rejudge --history h2.db missing.st
'

test_done
