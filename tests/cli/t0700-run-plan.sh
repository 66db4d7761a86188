#!/usr/bin/env bash
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
test_description='bf-run: plan, dry run, skipping done dates, retries, --retry-failed, the JSON log'
. "$(dirname "$0")/../lib/test-lib.sh"

# mkdrop DIR NDATES: two locations, one small CSV a day from 2024-01-01
mkdrop() {
	local loc i d r
	for loc in 101 202; do
		for i in $(seq 0 $(($2 - 1))); do
			d=$(date -u -d "2024-01-01 +$i day" +%Y%m%d)
			mkdir -p "$1/$loc/$d"
			{
				echo "OrderId,Total,Note"
				for r in $(seq 1 $((i % 5 + 3))); do echo "$loc$d$r,$r.50,n$r"; done
			} >"$1/$loc/$d/Orders.csv"
		done
	done
}

# fake stages: bf-extract fails (65) for dates listed in fail-dates; bf-load exits 69
# while the file unavailable holds a number above 0 (counting down)
mkfakes() {
	mkdir -p fake &&
	cat >fake/bf-extract <<-FAKE &&
	#!/bin/sh
	for d in \$(cat "$TRASH_DIRECTORY/fail-dates" 2>/dev/null); do
		case " \$* " in *"\$d"*) echo "bf-extract: \$d: injected failure" >&2; exit 65 ;; esac
	done
	exec "$BF_BUILD/bf-extract" "\$@"
	FAKE
	cat >fake/bf-load <<-FAKE &&
	#!/bin/sh
	n=\$(cat "$TRASH_DIRECTORY/unavailable" 2>/dev/null || echo 0)
	if [ "\$n" -gt 0 ]; then
		echo \$((n - 1)) >"$TRASH_DIRECTORY/unavailable"
		cat >/dev/null
		echo "bf-load: warehouse: injected outage" >&2
		exit 69
	fi
	exec "$BF_BUILD/bf-load" "\$@"
	FAKE
	chmod +x fake/bf-extract fake/bf-load
}

test_expect_success 'setup' '
	mkdrop src 12 &&
	mkfakes
'

test_expect_success 'usage errors exit 64' '
	test_expect_code 64 bf-run --source src --all &&
	test_expect_code 64 bf-run --target w.db --all &&
	test_expect_code 64 bf-run --source src --target w.db &&
	test_expect_code 64 bf-run --source src --target w.db --all --max-workers 0 &&
	bf-run --help >help.out &&
	grep -e "--retry-failed" help.out && grep "^  75" help.out
'

test_expect_success 'a dry run on a fresh state file creates nothing' '
	bf-run --source src --target w.db --all --dry-run >plan.out &&
	grep "12 dates" plan.out && grep "12 new" plan.out &&
	test $(grep -c "  new      run" plan.out) = 12 &&
	test ! -e state.db && test ! -e w.db
'

test_expect_success SQLITE3,JQ 'a run loads every date and writes its log' '
	bf-run --source src --target w.db --all --no-closure --log run1.json 2>err &&
	jq -e ".summary.processed == 12 and .summary.successful == 12 and .summary.failed == 0" run1.json &&
	jq -e ".failed_dates == []" run1.json &&
	test "$(sqlite3 state.db "select count(*) from partitions where status = '\''loaded'\''")" = 24 &&
	test "$(sqlite3 state.db "select count(*) from claims")" = 0 &&
	test "$(sqlite3 state.db "select count(distinct parent_run) from runs where stage = '\''extract'\''")" = 1 &&
	grep "12 dates processed" err &&
	rows=$(sqlite3 state.db "select sum(loaded_rows) from partitions") &&
	jq -e ".summary.rows_loaded == $rows" run1.json
'

test_expect_success SQLITE3 'dry run: plan says done, state file checksum unchanged' '
	before=$(sha256sum <state.db) &&
	bf-run --source src --target w.db --all --dry-run >plan2.out &&
	bf-run --source src --target w.db --all --dry-run --json >plan2.json &&
	test "$(sha256sum <state.db)" = "$before" &&
	grep "12 done" plan2.out &&
	jq -e ".counts.done == 12 and .counts.to_run == 0 and (.dates | length) == 12" plan2.json
'

test_expect_success SQLITE3,JQ 'a second run skips the done dates' '
	bf-run --source src --target w.db --all --no-closure --log run2.json &&
	jq -e ".summary.processed == 0 and .summary.skipped == 12" run2.json
'

test_expect_success SQLITE3,JQ 'failures are recorded with the stage error line and the run goes on' '
	echo "2024-01-03 2024-01-07" >fail-dates &&
	test_expect_code 1 bf-run --source src --target w.db --all --force --no-closure \
		--exec-path fake --log run3.json 2>err &&
	jq -r ".failed_dates[]" run3.json >failed &&
	printf "2024-01-03\n2024-01-07\n" >expect &&
	test_cmp expect failed &&
	jq -e ".summary.successful == 10 and .summary.failed == 2" run3.json &&
	jq -e ".errors[0].stage == \"bf-extract\" and .errors[0].exit_code == 65" run3.json &&
	jq -r ".errors[0].error" run3.json | grep "injected failure" &&
	sqlite3 state.db "select distinct date, last_error from partitions where status = '\''failed'\''" >pf &&
	grep "2024-01-03|bf-extract: 2024-01-03: injected failure" pf &&
	test "$(sqlite3 state.db "select count(*) from errors where stage = '\''run'\''")" -ge 2 &&
	grep "failed 2024-01-07" err
'

test_expect_success SQLITE3 'dry run shows the failed dates' '
	bf-run --source src --target w.db --all --dry-run >plan3.out &&
	grep "2 failed before" plan3.out &&
	grep "^2024-01-03  failed   retry" plan3.out
'

test_expect_success SQLITE3,JQ 'retryable exits are retried with backoff, then succeed' '
	: >fail-dates &&
	echo 2 >unavailable &&
	bf-run --source src --target w.db --retry-failed --no-closure --exec-path fake \
		--retry-delay 10 --log run4.json &&
	jq -e ".summary.processed == 2 and .summary.successful == 2" run4.json &&
	test "$(cat unavailable)" = 0 &&
	test "$(sqlite3 state.db "select count(*) from partitions where status <> '\''loaded'\''")" = 0
'

test_expect_success SQLITE3,JQ 'retries run out: the date fails with 69' '
	echo 100 >unavailable &&
	test_expect_code 1 bf-run --source src --target w.db --date 2024-01-04 --force --no-closure \
		--exec-path fake --retries 2 --retry-delay 1 --log run5.json &&
	test "$(cat unavailable)" = 97 &&
	jq -e ".errors[0].exit_code == 69 and .errors[0].tries == 3" run5.json &&
	echo 0 >unavailable
'

test_expect_success SQLITE3,JQ 'bf-run --dates $(jq failed_dates) redoes exactly those' '
	bf-run --source src --target w.db --no-closure --log run6.json \
		--dates $(jq -r ".failed_dates[]" run5.json) &&
	jq -e ".summary.processed == 1 and .summary.successful == 1" run6.json
'

test_expect_success SQLITE3,JQ '--retry-failed with nothing failed does nothing' '
	bf-run --source src --target w.db --all --retry-failed --no-closure --log run7.json &&
	jq -e ".summary.processed == 0" run7.json
'

test_expect_success SQLITE3,JQ '--newest-first and --batch-size shape the pipelines' '
	bf-run --source src --target w.db --all --force --newest-first --batch-size 5 --no-closure \
		--dry-run --json >plan4.json &&
	jq -e ".pipelines == 3 and .dates[0].date == \"2024-01-12\"" plan4.json &&
	bf-run --source src --target w.db --all --force --batch-size 5 --no-closure --log run8.json &&
	jq -e ".summary.successful == 12" run8.json &&
	test "$(sqlite3 state.db "select count(*) from runs where stage = '\''extract'\'' and parent_run = (select max(run_id) from runs where stage = '\''run'\'')")" = 3
'

test_expect_success SQLITE3,JQ 'a failed batch: its other dates are rerun one by one and only the bad one fails' '
	echo "2024-01-03" >fail-dates &&
	test_expect_code 1 bf-run --source src --target w.db --all --force --batch-size 4 --no-closure -v \
		--exec-path fake --log run10.json 2>err10 &&
	jq -r ".failed_dates[]" run10.json >failed &&
	echo 2024-01-03 >expect &&
	test_cmp expect failed &&
	jq -e ".summary.successful == 11 and .errors[0].tries == 1 and .errors[0].exit_code == 65" run10.json &&
	test "$(grep -c "running it on its own" err10)" = 4 &&
	test "$(sqlite3 state.db "select count(*) from partitions where status = '\''loaded'\''")" = 22 &&
	: >fail-dates
'

test_expect_success SQLITE3,JQ 'the default batch grows with the plan: a quarter of a worker'\''s share, 16 at most' '
	mkdrop big 100 &&
	bf-run --source big --target b.db --all -j 2 --dry-run --json >p1.json &&
	jq -e ".batch_size == 12 and .pipelines == 9" p1.json &&
	bf-run --source big --target b.db --all -j 1 --dry-run --json >p2.json &&
	jq -e ".batch_size == 16" p2.json &&
	bf-run --source big --target b.db --dates 2024-01-01,2024-01-02 --dry-run --json >p3.json &&
	jq -e ".batch_size == 1" p3.json
'

test_expect_success SQLITE3,JQ 'a pipeline string runs with a shell when asked: dates in "$@" and $BF_DATES' '
	cat >upper <<-\EOS &&
	#!/bin/sh
	# a user filter: the notes upper-cased; it fails on 2024-01-05
	case "$BF_DATES" in *2024-01-05*) echo "upper: 2024-01-05: cannot do that one" >&2; exit 65 ;; esac
	exec sed "s/\"n\([0-9]\)\"/\"N\1\"/g"
	EOS
	chmod +x upper &&
	p="set -o pipefail; test \$# -ge 1 && bf-extract --source src --dates \"\$BF_DATES\" \${BF_FORCE:+--force} | ./upper | bf-load --target s.db" &&
	bf-run --source src --all --force --shell /bin/bash --shell-pipeline "$p" --dry-run >plan5.out &&
	grep -F -- "/bin/bash -c '\''set -o pipefail; test" plan5.out &&
	grep "into the shell pipeline" plan5.out &&
	test_expect_code 1 bf-run --source src --all --force --shell /bin/bash --shell-pipeline "$p" \
		--log run11.json 2>err11 &&
	jq -e ".summary.successful == 11 and .failed_dates == [\"2024-01-05\"]" run11.json &&
	jq -e ".errors[0].stage == \"shell\" and .errors[0].exit_code == 65" run11.json &&
	jq -r ".errors[0].error" run11.json | grep "upper: 2024-01-05: cannot do that one" &&
	test "$(sqlite3 s.db "select count(*) from orders where note glob '\''N*'\''")" -gt 0 &&
	test "$(sqlite3 s.db "select count(*) from orders where note glob '\''n*'\''")" = 0 &&
	test "$(sqlite3 s.db "select count(distinct _bf_date) from orders")" = 11 &&
	test_expect_code 64 bf-run --source src --target w.db --all --shell /bin/bash 2>usage.err &&
	grep "goes with --shell-pipeline" usage.err
'

test_expect_success SQLITE3,JQ 'alerts: failure rate and error burst, with a command fed the JSON' '
	echo "2024-01-02 2024-01-03 2024-01-04 2024-01-05" >fail-dates &&
	cat >alert.sh <<-\EOS &&
	#!/bin/sh
	cat >>"$1"
	EOS
	chmod +x alert.sh &&
	test_expect_code 1 bf-run --source src --target w.db --all --force --no-closure --exec-path fake \
		-j 1 --alert-failure-rate 30 --alert-error-burst 3/60 \
		--alert-command ./alert.sh alerts.ndjson ";" --log run9.json 2>err &&
	grep "alert: failure rate" err && grep "alert: 3 failures" err &&
	test "$(sqlite3 state.db "select count(*) from alerts")" -ge 2 &&
	jq -s -e "map(.kind) | index(\"failure_rate\") != null" alerts.ndjson &&
	jq -e "(.alerts | length) >= 2" run9.json &&
	: >fail-dates
'

test_expect_success SQLITE3 'a log that cannot be written: 74 and one message, the dates stay done' '
	test -w /dev/full &&
	test_expect_code 74 bf-run --source src --target w.db --dates 2024-01-02 --force --no-closure \
		--log /dev/full 2>full.err &&
	test "$(grep -c "/dev/full: cannot write the log: No space left on device" full.err)" = 1 &&
	! grep -i "double free" full.err &&
	test "$(sqlite3 state.db "select status from partitions where date = '\''2024-01-02'\'' and location = '\''101'\''")" = loaded
'

test_done
