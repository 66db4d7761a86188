#!/usr/bin/env bash
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
test_description='secrets: a URL or connection string with a password is refused before anything is recorded; planted secrets reach no file or stream a run produces'
. "$(dirname "$0")/../lib/test-lib.sh"

# planted secrets, each one unlike anything else the run writes
TPW=tgtPw9c41e77
KEY=apiKey5d0b3f1a
export BF_API_KEY=$KEY

# leaves FILE...: none of the planted secrets (and the test servers' passwords) is in any
leaves() {
	local f s
	for f in "$@"; do
		for s in "$TPW" "$KEY" "${PGPASSWORD:-$TPW}" "${SSH_PASSWORD:-$TPW}"; do
			if grep -aqF -e "$s" "$f"; then
				echo "secret found in $f: $(grep -aoF -e "$s" "$f" | head -1)"
				return 1
			fi
		done
	done
}

test_expect_success 'setup' '
	bf-sample --out drop --seed 3 --days 3 --orders-per-day 5 --locations 2 --quiet
'

test_expect_success 'bf-run refuses a password in --target or --source: 64, no state file, no log' '
	for t in "postgresql://etl:$TPW@127.0.0.1:1/wh" "postgresql://etl@127.0.0.1:1/wh?sslmode=disable&password=$TPW" \
		"host=127.0.0.1 password=$TPW dbname=wh"; do
		test_expect_code 64 bf-run --source drop --target "$t" --all --log refused.json >out 2>err &&
		grep "contains a password or token" err &&
		grep -F "***" err &&
		leaves out err || return 1
	done &&
	test_expect_code 64 bf-run --source "sftp://pos:$TPW@127.0.0.1:1/drop" --target w.db --all 2>err &&
	test_expect_code 64 bf-run --source drop --target w.db --all --load-arg "--target=postgresql://a:$TPW@h/d" 2>>err &&
	test_expect_code 64 bf-run --source drop --all --shell-pipeline "bf-load --target postgresql://a:$TPW@h/d" 2>>err &&
	leaves err &&
	test ! -e "$BF_STATE" && test ! -e refused.json && test ! -e w.db
'

test_expect_success 'so do bf-extract, bf-load, bf-report, bf-closure and bf-enrich' '
	test_expect_code 64 bf-extract --source "https://u:$TPW@files.example/x/" --all >out 2>err &&
	test_expect_code 64 bf-extract --source "sftp://u:$TPW@files.example/x" --all >>out 2>>err &&
	test_expect_code 64 bf-load --target "postgresql://u:$TPW@127.0.0.1:1/d" </dev/null >>out 2>>err &&
	test_expect_code 64 bf-closure --report --source "sftp://u:$TPW@h/x" >>out 2>>err &&
	test_expect_code 64 bf-enrich --api-base "https://u:$TPW@api.example/v1" --model m </dev/null >>out 2>>err &&
	test "$(grep -c "contains a password or token" err)" = 5 &&
	leaves out err &&
	test ! -e "$BF_STATE" &&
	bf-run --source drop --target w.db --all --no-enrich -q --no-log &&
	test_expect_code 64 bf-report --source "sftp://u:$TPW@h/x" summary >out 2>err &&
	leaves out err
'

test_expect_success SQLITE3 'a state file written before: args with a secret are shown masked by bf-report' '
	cp "$BF_STATE" old.db &&
	sqlite3 old.db "insert into runs (stage, started_at, args) values (\"run\", \"2024-01-01T00:00:00Z\", \"--target postgresql://a:$TPW@h/d\")" &&
	bf-report --state old.db summary --json >sum.json &&
	leaves sum.json &&
	grep -F "postgresql://a:***@h/d" sum.json
'

test_expect_success 'a stage line quoting a URL with a password is recorded masked' '
	p="echo \"bf-load: postgresql://a:$TPW@db/wh: connection refused\" >&2; exit 69" &&
	printf "%s\n" "$p" >pipeline.sh &&
	test_expect_code 1 bf-run --source drop --dates 2024-01-01 --force --shell-pipeline ". ./pipeline.sh" --retries 0 \
		--log masked.json >out 2>err &&
	grep -F "postgresql://a:***@db/wh: connection refused" masked.json &&
	leaves out err masked.json &&
	sqlite3 "$BF_STATE" .dump >dump.sql &&
	grep -F "postgresql://a:***@db/wh" dump.sql &&
	leaves dump.sql
'

test_expect_success 'the JSON log is written 0600, like the state file, even over a file that was not' '
	: >open.json && chmod 644 open.json &&
	bf-run --source drop --target w.db --all -q --log open.json &&
	test "$(stat -c %a open.json)" = 600 &&
	test "$(stat -c %a "$BF_STATE")" = 600 &&
	bf-run --source drop --target w.db --all -q --log fresh.json &&
	test "$(stat -c %a fresh.json)" = 600
'

start_openai() {
	mkdir -p api && : >api/faults && : >api/requests.log &&
	test_bg python3 "$BF_SERVERS/openai.py" --port-file api/port --faults api/faults --log api/requests.log &&
	wait_for_file api/port &&
	API=http://127.0.0.1:$(cat api/port)/v1 &&
	wait_for_port 127.0.0.1 "$(cat api/port)"
}

test_expect_success SSHD,ROOT,PG,SQLITE3 'a run from SFTP (BF_SFTP_PASSWORD) into PostgreSQL (PGPASSWORD) with a model API (BF_API_KEY): no secret in the state file, the log, stdout, stderr or the warehouse' '
	start_sshd && start_pg && start_openai &&
	export BF_SFTP_PASSWORD=$SSH_PASSWORD &&
	test -n "$PGPASSWORD" &&
	URL="sftp://$SSH_PW_USER@127.0.0.1:$SSH_PORT$TRASH_DIRECTORY/drop" &&
	rm -f "$BF_STATE" &&
	bf-run --source "$URL" --known-hosts "$SSH_KNOWN_HOSTS" --target "$BF_PG_URL" --all -v --progress \
		--enrich-arg --api-base --enrich-arg "$API" --enrich-arg --model --enrich-arg m \
		--enrich-arg --embed --enrich-arg all_items_report.menu_item --log run.json >run.out 2>run.err &&
	jq -e ".summary.processed == 3 and .summary.failed == 0" run.json &&
	test "$(psql -X -At -c "select count(*) from all_items_report where menu_item_embedding is not null")" -gt 0 &&
	# failing runs too: the API refuses the key; the warehouse refuses the password
	echo "401 1000" >api/faults &&
	test_expect_code 1 bf-run --source "$URL" --known-hosts "$SSH_KNOWN_HOSTS" --target "$BF_PG_URL" --all \
		--force -v --enrich-arg --api-base --enrich-arg "$API" --enrich-arg --model --enrich-arg m \
		--enrich-arg --embed --enrich-arg all_items_report.menu_group --retries 0 \
		--log fail.json >fail.out 2>fail.err &&
	grep "BF_API_KEY" fail.err &&
	test_expect_code 1 env PGPASSWORD=wrong bf-run --source "$URL" --known-hosts "$SSH_KNOWN_HOSTS" \
		--target "$BF_PG_URL" --all --force --no-enrich --retries 0 -v \
		--log wrongpw.json >wrongpw.out 2>wrongpw.err &&
	sqlite3 "$BF_STATE" .dump >state.sql &&
	"$PG_BINDIR/pg_dump" -h 127.0.0.1 -p "$PGPORT" -U "$PGUSER" "$PGDATABASE" >warehouse.sql &&
	test -s state.sql && test -s warehouse.sql &&
	leaves state.sql warehouse.sql ./*.json ./*.out ./*.err
'

test_done
