#!/usr/bin/env bash
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
test_description='bf-run: the first SIGINT/SIGTERM lets running dates finish, a second stops at once'
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd sqlite3 jq

mkdrop() {
	local loc i d r
	for loc in 101 202; do
		for i in $(seq 0 $(($2 - 1))); do
			d=$(date -u -d "2024-01-01 +$i day" +%Y%m%d)
			mkdir -p "$1/$loc/$d"
			{ echo "OrderId,Total"; for r in 1 2 3; do echo "$loc$d$r,$r.50"; done; } >"$1/$loc/$d/Orders.csv"
		done
	done
}

# a slow bf-load: the run is caught with pipelines in flight
test_expect_success 'setup' '
	mkdrop src 20 &&
	mkdir fake &&
	printf "#!/bin/sh\n: >\"%s/started.\$\$\"\nsleep \${SLOW:-1}\nexec \"%s/bf-load\" \"\$@\"\n" "$PWD" "$BF_BUILD" >fake/bf-load &&
	chmod +x fake/bf-load
'

loaded() { sqlite3 state.db "select count(distinct date) from partitions where status = 'loaded'"; }

# until N slow bf-loads have started (each leaves a started.PID file)
wait_started() { wait_until "test \"\$(find . -maxdepth 1 -name \"started.*\" | wc -l)\" -ge $1" 20; }

test_expect_success 'first SIGTERM: running dates finish, no new ones start, exit 75' '
	rm -f started.* &&
	{ SLOW=1 bf-run --source src --target w.db --all -j 2 --batch-size 1 --no-closure --no-enrich --exec-path fake \
		--log sig1.json 2>err1 & pid=$!; } &&
	wait_started 2 &&
	kill -TERM $pid &&
	test_expect_code 75 wait $pid &&
	jq -e ".summary.successful == 2 and .summary.failed == 0 and .exit_code == 75" sig1.json &&
	test "$(loaded)" = 2 &&
	grep "starting no more" err1 &&
	test "$(sqlite3 state.db "select count(*) from claims")" = 0
'

test_expect_success 'first signal with --grace: running dates are stopped and marked interrupted' '
	rm -f started.* &&
	{ SLOW=3 bf-run --source src --target w.db --all -j 2 --batch-size 1 --no-closure --no-enrich --exec-path fake \
		--grace 0.2 --log sig2.json 2>err2 & pid=$!; } &&
	wait_started 2 &&
	kill -INT $pid &&
	test_expect_code 75 wait $pid &&
	jq -e ".summary.interrupted == 2 and (.interrupted_dates | length) == 2" sig2.json &&
	test "$(loaded)" = 2 &&
	test "$(sqlite3 state.db "select count(*) from partitions where last_error = '\''interrupted by bf-run'\''")" = 4
'

test_expect_success 'dates left pending by an interruption are not done when the next pipeline fails before touching them' '
	mkdir failing &&
	printf "#!/bin/sh\necho \"bf-extract: src: refused\" >&2\nexit 65\n" >failing/bf-extract &&
	printf "#!/bin/sh\ncat >/dev/null\n" >failing/bf-load &&
	chmod +x failing/bf-extract failing/bf-load &&
	test "$(sqlite3 state.db "select count(*) from partitions where status = '\''pending'\''")" = 4 &&
	test_expect_code 1 bf-run --source src --target w.db --dates 2024-01-03 2024-01-04 -j 2 --batch-size 1 \
		--no-closure --no-enrich --exec-path failing --log fail.json 2>errf &&
	jq -e ".summary.successful == 0 and .summary.failed == 2" fail.json &&
	test "$(loaded)" = 2
'

test_expect_success 'a second signal stops at once' '
	rm -f started.* &&
	{ SLOW=5 bf-run --source src --target w.db --all -j 2 --batch-size 1 --no-closure --no-enrich --exec-path fake \
		--log sig3.json 2>err3 & pid=$!; } &&
	wait_started 2 &&
	kill -INT $pid && sleep 0.2 && kill -INT $pid &&
	start=$(date +%s) &&
	test_expect_code 75 wait $pid &&
	test $(( $(date +%s) - start )) -lt 4 &&
	jq -e ".summary.interrupted == 2" sig3.json &&
	test "$(loaded)" = 2
'

test_expect_success 'the next run does only what is left, and the target has whole dates' '
	bf-run --source src --target w.db --all -j 4 --no-closure --no-enrich --log rest.json &&
	jq -e ".summary.processed == 18 and .summary.skipped == 2" rest.json &&
	test "$(sqlite3 w.db "select count(*) from orders")" = 120
'

test_done
