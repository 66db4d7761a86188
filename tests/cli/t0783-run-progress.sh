#!/usr/bin/env bash
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
test_description='progress moves with every committed partition (and is in the state file for its readers); the batch follows the time per date'
. "$(dirname "$0")/../lib/test-lib.sh"

. "$TEST_DIRECTORY/lib/run-fixture.sh"

test_expect_success 'setup' '
	run_drop src 12 "101 202" 3
'

test_expect_success SQLITE3 'the first partition of a batch is counted as it commits, while its pipeline still runs' '
	# the pipeline passes bf-load'\''s first STATE on, then holds until told to go on
	p="bf-extract --source src --dates \"\$BF_DATES\" | bf-load --target w.db |
	   { IFS= read -r l; printf \"%s\\n\" \"\$l\"; echo 1 >one-committed; while [ ! -e go ]; do sleep 0.05; done; cat; }" &&
	test_when_finished ": >go" &&
	{ bf-run --source src --target w.db --dates 2024-01-01,2024-01-02,2024-01-03 --batch-size 3 \
		--shell-pipeline "$p" --log held.json -q & pid=$!; } &&
	wait_for_file one-committed 20 &&
	wait_until "test \"\$(sqlite3 \"$BF_STATE\" \"select partitions_done from run_progress\")\" = 1" 20 &&
	q "select state, dates_planned, partitions_planned, dates_done, rows_loaded, eta_s is not null from run_progress" >progress &&
	echo "running|3|6|0|3|1" >want &&
	test_cmp want progress &&
	: >go &&
	wait $pid &&
	q "select state, dates_done, partitions_done, rows_loaded, eta_s from run_progress" >progress &&
	echo "finished|3|6|18|0.0" >want &&
	test_cmp want progress
'

test_lazy_prereq SCRIPT 'command -v script'

test_expect_success SQLITE3,SCRIPT 'on a terminal, the progress line moves with the committed partitions too' '
	rm -f one-committed go &&
	p="bf-extract --source src --dates \"\$BF_DATES\" --force | bf-load --target w.db |
	   { IFS= read -r l; printf \"%s\\n\" \"\$l\"; echo 1 >one-committed; while [ ! -e go ]; do sleep 0.05; done; cat; }" &&
	printf "%s\n" "$p" >pipeline &&
	test_when_finished ": >go" &&
	{ script -qec "bf-run --source src --target w.db --dates 2024-01-04,2024-01-05 --batch-size 2 --force \
		--shell-pipeline \"\$(cat pipeline)\" --no-log" /dev/null >tty.out & pid=$!; } &&
	wait_for_file one-committed 20 &&
	wait_until "tr \"\\r\" \"\\n\" <tty.out | grep -q \"0/2 dates (0 done, 0 failed), 1/4 partitions\"" 20 &&
	: >go &&
	wait $pid
'

test_expect_success SQLITE3 'fast dates: the batch starts at one date and grows' '
	bf-run --source src --target b.db --all -j 1 --no-closure -q --log grow.json &&
	q "select args from runs where stage = '\''extract'\'' and parent_run = (select max(run_id) from runs where stage = '\''run'\'') order by run_id" |
		sed "s/.*--dates \([^ ]*\).*/\1/" | awk -F, "{ print NF }" >sizes &&
	test "$(head -1 sizes)" = 1 &&
	test "$(sort -n sizes | tail -1)" -gt 1 &&
	test "$(awk "{ s += \$1 } END { print s }" sizes)" = 12
'

test_expect_success SQLITE3 'slow dates: the batch stays small, the pipelines near --batch-seconds' '
	mkdir -p slow &&
	printf "#!/bin/sh\nsleep 0.6\nexec \"%s/bf-extract\" \"\$@\"\n" "$BF_BUILD" >slow/bf-extract &&
	chmod +x slow/bf-extract &&
	bf-run --source src --target s.db --all -j 1 --no-closure --exec-path slow --batch-seconds 1 -q --log slow.json &&
	q "select args from runs where stage = '\''extract'\'' and parent_run = (select max(run_id) from runs where stage = '\''run'\'') order by run_id" |
		sed "s/.*--dates \([^ ]*\).*/\1/" | awk -F, "{ print NF }" >sizes &&
	test "$(sort -n sizes | tail -1)" -le 2 &&
	test "$(awk "{ s += \$1 } END { print s }" sizes)" = 12
'

test_expect_success SQLITE3 '--batch-size fixes it' '
	bf-run --source src --target f.db --all -j 1 --batch-size 4 --no-closure -q --log fixed.json &&
	q "select args from runs where stage = '\''extract'\'' and parent_run = (select max(run_id) from runs where stage = '\''run'\'') order by run_id" |
		sed "s/.*--dates \([^ ]*\).*/\1/" | awk -F, "{ print NF }" | sort -u >sizes &&
	echo 4 >want && test_cmp want sizes
'

test_done
