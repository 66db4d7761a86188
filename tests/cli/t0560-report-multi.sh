#!/usr/bin/env bash
test_description='bf-report and bf-serve over several state files (shards): the totals of one run'
. "$(dirname "$0")/../lib/test-lib.sh"

TOKEN=t0ken-$$-secret
AUTH="Authorization: Bearer $TOKEN"

# bf-run that may quarantine a ragged row (exit 1), nothing worse
run() { bf-run --no-log -q "$@"; test $? -le 1; }
q() { sqlite3 -batch -readonly -noheader "$1" "$2"; }

# the overall figures that do not depend on how many runs there were
overall() { jq -S '.overall | del(.runs, .duration_s, .rows_per_s)' "$1"; }
# the Prometheus samples of the selection (not of the runs)
counters() { grep -E '^bf_(dates|partitions|rows_extracted_total|rows_loaded_total|quarantined_rows_total|errors_total|alerts_total)' "$1"; }

test_expect_success SQLITE3,JQ 'setup: one run over 60 dates, and three runs over 20 dates each' '
	bf-sample --out drop --seed 7 --days 60 --orders-per-day 10 --locations 2 --quiet \
		--defects ragged &&
	run --source drop --target one.db --all --state one.db.state --no-closure &&
	mkdir shard &&
	run --source drop --target w.db --start-date 2024-01-01 --end-date 2024-01-20 \
		--state shard/1.db --no-closure &&
	run --source drop --target w.db --start-date 2024-01-21 --end-date 2024-02-09 \
		--state shard/2.db --no-closure &&
	run --source drop --target w.db --start-date 2024-02-10 --end-date 2024-02-29 \
		--state shard/3.db --no-closure &&
	test "$(q one.db.state "select count(*) from partitions")" = 120 &&
	test "$(q shard/2.db "select count(*) from partitions")" = 40 &&
	test "$(q one.db.state "select count(*) from quarantine")" -gt 0 &&
	cat shard/*.db | sha256sum >sum.before
'

test_expect_success JQ 'summary over the three files: the totals of the single run' '
	bf-report --state one.db.state summary --json >one.json &&
	bf-report --state shard/1.db --state shard/2.db --state shard/3.db summary --json >three.json &&
	overall one.json >one.overall &&
	overall three.json >three.overall &&
	test_cmp one.overall three.overall &&
	jq -e ".overall.dates == 60 and .overall.partitions.total == 120 and .overall.rows_loaded > 0
	       and .overall.quarantined_rows > 0" three.json &&
	jq -e ".overall.runs == 3 and (.runs | length) == 3 and .conflicts == []" three.json &&
	jq -e "[.runs[].state] == [\"shard/1.db\", \"shard/2.db\", \"shard/3.db\"]" three.json &&
	jq -e "[.runs[].run_id] == [1, 1, 1] and [.runs[].dates] == [20, 20, 20]" three.json &&
	jq -e ".state == [\"shard/1.db\", \"shard/2.db\", \"shard/3.db\"] and .from == \"2024-01-01\" and .to == \"2024-02-29\"" three.json
'

test_expect_success JQ 'a quoted pattern is expanded by bf-report, sorted; the files are never changed' '
	bf-report --state "shard/*.db" summary --json >glob.json &&
	test_cmp three.json glob.json &&
	bf-report --state "shard/[23].db" --state shard/1.db summary --json >order.json &&
	jq -e ".state == [\"shard/2.db\", \"shard/3.db\", \"shard/1.db\"] and .overall.partitions.total == 120" order.json &&
	bf-report --state "shard/*.db" --state shard/2.db summary --json >twice.json &&
	jq -e "(.state | length) == 3 and .conflicts == []" twice.json &&
	test_expect_code 66 bf-report --state "nowhere/*.db" summary 2>err &&
	grep -q "nowhere/\*.db: no state file matches" err &&
	test_expect_code 66 bf-report --state shard/1.db --state missing.db summary 2>err &&
	grep -q "missing.db" err &&
	echo "not a database" >text.db &&
	test_expect_code 65 bf-report --state "shard/*.db" --state text.db summary 2>err &&
	grep -q "text.db" err &&
	cat shard/*.db | sha256sum >sum.after &&
	test_cmp sum.before sum.after
'

test_expect_success 'calendar, dates and Prometheus counters: those of the single run' '
	bf-report --state one.db.state calendar --color never >one.cal &&
	bf-report --state "shard/*.db" calendar --color never >three.cal &&
	test_cmp one.cal three.cal &&
	bf-report --state one.db.state calendar --json >one.calj &&
	bf-report --state "shard/*.db" calendar --json >three.calj &&
	test_cmp one.calj three.calj &&
	bf-report --state one.db.state dates >one.dates &&
	bf-report --state "shard/*.db" dates >three.dates &&
	test_cmp one.dates three.dates &&
	bf-report --state one.db.state --prometheus >one.prom &&
	bf-report --state "shard/*.db" --prometheus >three.prom &&
	counters one.prom >one.c && counters three.prom >three.c &&
	test_line_count = 15 three.c &&
	test_cmp one.c three.c &&
	grep -qx "bf_runs_total 3" three.prom &&
	test "$(grep -c "^bf_run_exit_code{state=" three.prom)" = 3 &&
	test "$(grep -c "^# TYPE bf_run_exit_code gauge" three.prom)" = 1
'

test_expect_success 'text summary: the files, and each run with its file' '
	bf-report --state "shard/*.db" summary >three.txt &&
	grep -q "^state files  shard/1.db$" three.txt &&
	grep -q "^             shard/3.db$" three.txt &&
	test "$(grep -c "  shard/[123].db$" three.txt)" = 6 &&
	bf-report --state one.db.state summary >one.txt &&
	grep -q "^state file   one.db.state$" one.txt &&
	! grep -q "state file$" one.txt
'

test_expect_success JQ 'a partition in two files is a conflict: said, counted once, the later one counts' '
	bf-report --state shard/1.db --state one.db.state summary --json >both.json 2>both.err &&
	jq -e ".overall.partitions.total == 120 and (.conflicts | length) == 40" both.json &&
	jq -e "[.conflicts[].counted] | unique == [\"shard/1.db\"]" both.json &&
	jq -e ".conflicts[0] | .date == \"2024-01-01\" and .states == \"shard/1.db, one.db.state\"" both.json &&
	overall one.json >o1 && overall both.json >o2 && test_cmp o1 o2 &&
	grep -q "2024-01-01 185129 .*: in several state files (shard/1.db, one.db.state); counted: shard/1.db" both.err &&
	grep -q "30 more partitions in several state files" both.err &&
	bf-report --state shard/1.db --state one.db.state summary >both.txt 2>/dev/null &&
	grep -q "^Conflicts" both.txt &&
	bf-report --state "shard/*.db" summary 2>none.err >/dev/null &&
	test ! -s none.err
'

test_expect_success JQ 'closures: the analysis over the files is the sum of theirs' '
	mkdir closed &&
	run --source drop --target c.db --start-date 2024-01-01 --end-date 2024-01-30 --state closed/a.db &&
	run --source drop --target c.db --start-date 2024-01-31 --end-date 2024-02-29 --state closed/b.db &&
	bf-report --state closed/a.db closures --json >ca.json &&
	bf-report --state closed/b.db closures --json >cb.json &&
	bf-report --state "closed/*.db" closures --json >cab.json &&
	a=$(q closed/a.db "select count(*) from closures where verdict = '\''closed'\''") &&
	b=$(q closed/b.db "select count(*) from closures where verdict = '\''closed'\''") &&
	test $((a + b)) -gt 0 &&
	bf-report --state "closed/*.db" summary --json >cs.json &&
	jq -e --argjson n $((a + b)) ".overall.closed_partitions == \$n" cs.json &&
	jq -e ".overall.partitions.total == 120" cs.json &&
	jq -n -e --slurpfile a ca.json --slurpfile b cb.json --slurpfile ab cab.json "
		(\$a[0].partitions.judged + \$b[0].partitions.judged) == \$ab[0].partitions.judged and
		\$ab[0].partitions.judged == 120 and
		(\$a[0].partitions.closed + \$b[0].partitions.closed) == \$ab[0].partitions.closed and
		[range(4) as \$i | \$a[0].by_reason[\$i].count + \$b[0].by_reason[\$i].count] == [\$ab[0].by_reason[].count] and
		([\$ab[0].by_month[].closed] | add) == \$ab[0].partitions.closed"
'

# serve NAME ARGS...: bf-serve on a free loopback port in the background
serve() {
	local name=$1 port
	shift
	port=$(free_port) || return 1
	test_bg bf-serve --listen "127.0.0.1:$port" --token-file token "$@" 2>"$name.err"
	printf -v "URL_$name" %s "http://127.0.0.1:$port"
	wait_for_port 127.0.0.1 "$port" 20
}

test_expect_success CURL,JQ 'bf-serve with two --state: the combined figures over HTTP' '
	printf "%s\n" "$TOKEN" >token && chmod 600 token &&
	serve M --source drop --target w.db --state shard/1.db --state shard/2.db --log-dir . --threads 2 &&
	curl -sf -H "$AUTH" "$URL_M/api/backfill" >st.json &&
	jq -e ".partitions.total == 80 and .partitions.loaded == 80" st.json &&
	jq -e "(.runs | length) == 2 and ([.runs[].state] | sort) == [\"shard/1.db\", \"shard/2.db\"]" st.json &&
	jq -e "[.runs[].run_id] == [1, 1] and ([.runs[].summary.dates] | add) == 40" st.json &&
	curl -sf -H "$AUTH" "$URL_M/metrics" >m.prom &&
	want=$(( $(q shard/1.db "select sum(loaded_rows) from partitions") + $(q shard/2.db "select sum(loaded_rows) from partitions") )) &&
	grep -qx "bf_rows_loaded_total $want" m.prom &&
	grep -qx "bf_runs_total 2" m.prom &&
	curl -sf -H "$AUTH" "$URL_M/" >page.html &&
	grep -q "<th>state file</th>" page.html &&
	grep -q "<td>shard/2.db</td>" page.html &&
	serve C --source drop --target c.db --state "closed/*.db" --log-dir . --threads 2 &&
	curl -sf -H "$AUTH" "$URL_C/api/analytics/closure-summary" >cl.json &&
	n=$(( $(q closed/a.db "select count(*) from closures where verdict = '\''closed'\''") +
	      $(q closed/b.db "select count(*) from closures where verdict = '\''closed'\''") )) &&
	jq -e --argjson n $n ".partitions.judged == 120 and .partitions.closed == \$n and \$n > 0" cl.json
'

test_done
