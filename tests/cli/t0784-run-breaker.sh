#!/usr/bin/env bash
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
test_description='the circuit breaker: a PostgreSQL stopped mid-run pauses bf-run, which probes and resumes once it is back, or stops with 69 without spending every date'\''s retries'
. "$(dirname "$0")/../lib/test-lib.sh"

. "$TEST_DIRECTORY/lib/run-fixture.sh"

PGDIR=$TRASH_DIRECTORY/pg
# the load runs a bf-run started
loads() { sqlite3 -batch -noheader "$BF_STATE" "select count(*) from runs where stage = 'load' and parent_run = (select max(run_id) from runs where stage = 'run')"; }

test_expect_success PG,SQLITE3 'setup: PostgreSQL, a drop of 10 dates, a bf-extract that stops the server at 2024-01-04' '
	start_pg "$PGDIR" &&
	run_drop src 10 101 3 &&
	mkdir -p fake &&
	cat >fake/bf-extract <<-EOF &&
	#!/bin/sh
	case " \$* " in
	*2024-01-04*) if [ ! -e "$TRASH_DIRECTORY/stopped" ]; then
		echo 1 >"$TRASH_DIRECTORY/stopped"
		"$BF_SERVERS/pg.sh" stop "$PGDIR" >/dev/null 2>&1
	fi ;;
	esac
	exec "$BF_BUILD/bf-extract" "\$@"
	EOF
	# the alert command: keeps the alert, and on the breaker'\''s brings the server back
	cat >restart <<-EOF &&
	#!/bin/sh
	cat >>"$TRASH_DIRECTORY/alerts.ndjson"
	"$BF_SERVERS/pg.sh" restart "$PGDIR" >/dev/null 2>&1
	EOF
	chmod +x fake/bf-extract restart
'

test_expect_success PG,SQLITE3,JQ 'the server stops mid-run: bf-run pauses, probes, and resumes once it is back' '
	bf-run --source src --target "$BF_PG_URL" --all --no-closure --no-enrich -j 1 --batch-size 1 \
		--exec-path fake --retries 3 --retry-delay 50 --breaker-failures 2 --breaker-cooldown 1 \
		--breaker-probes 20 --alert-command ./restart ";" --log resume.json 2>resume.err &&
	test -e stopped &&
	jq -e ".exit_code == 0 and .summary.processed == 10 and .summary.failed == 0" resume.json &&
	jq -e ".breaker.opened == 1 and .breaker.stopped == false and .breaker.cause == \"bf-load exit 69\"" resume.json &&
	grep "alert: circuit breaker: bf-load exit 69" resume.err &&
	grep "circuit breaker: a date was done again: resuming" resume.err &&
	jq -s -e "map(.kind) == [\"breaker_open\"]" alerts.ndjson &&
	test "$(psql -X -At -c "select count(distinct _bf_date) from orders")" = 10 &&
	# no date spent its retries: each was tried at most twice
	jq -e "[.dates[].tries] | max <= 2" resume.json
'

test_expect_success PG,SQLITE3,JQ 'the server stays down: bf-run stops with 69 and one message, the dates left for the next run' '
	"$BF_SERVERS/pg.sh" stop "$PGDIR" &&
	test_expect_code 69 bf-run --source src --target "$BF_PG_URL" --all --force --no-closure --no-enrich \
		-j 1 --batch-size 1 --retries 3 --retry-delay 50 --breaker-failures 2 --breaker-cooldown 0.5 \
		--breaker-probes 2 --log down.json 2>down.err &&
	test "$(grep -c "stopped by the circuit breaker: bf-load exit 69" down.err)" = 1 &&
	jq -e ".exit_code == 69 and .breaker.stopped == true and .summary.failed == 0" down.json &&
	jq -e ".summary.processed == 0 and .summary.left == 10" down.json &&
	# without the breaker: 10 dates x 4 tries
	test "$(loads)" -le 6 &&
	test "$(sqlite3 "$BF_STATE" "select count(*) from partitions where status = '\''failed'\''")" = 0 &&
	bf-run --source src --target "$BF_PG_URL" --all --force --no-closure --no-enrich --dry-run --json >left.json &&
	jq -e ".counts.failed == 0" left.json
'

test_expect_success PG,SQLITE3,JQ 'back again: the next run finishes the dates left' '
	"$BF_SERVERS/pg.sh" restart "$PGDIR" &&
	bf-run --source src --target "$BF_PG_URL" --all --no-closure --no-enrich -q --log again.json &&
	jq -e ".exit_code == 0 and .summary.failed == 0 and .summary.processed >= 2" again.json
'

test_expect_success SQLITE3,JQ '--breaker-failures 0: no breaker, the retries as before' '
	mkdir -p down &&
	printf "#!/bin/sh\ncat >/dev/null\necho \"bf-load: warehouse: down\" >&2\nexit 69\n" >down/bf-load &&
	chmod +x down/bf-load &&
	test_expect_code 1 bf-run --source src --target w.db --dates 2024-01-01,2024-01-02,2024-01-03 --no-closure \
		--no-enrich --exec-path down -j 1 --batch-size 1 --retries 1 --retry-delay 1 --breaker-failures 0 \
		--log off.json &&
	jq -e ".summary.failed == 3 and .breaker.opened == 0 and ([.errors[].tries] | max) == 2" off.json
'

test_done
