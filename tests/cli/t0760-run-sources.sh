#!/usr/bin/env bash
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
test_description='bf-run over SFTP and HTTPS: the source options reach discovery and every bf-extract, and the warehouse is the one a local folder gives'
. "$(dirname "$0")/../lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/drop-fixture.sh"

# mkdrop DIR: two locations, 2024-04-01..05; every date folder that exists has files (an
# HTTPS server cannot tell an empty folder from a missing one); quoted fields, a line break
# inside a field, a date one location lacks.
mkdrop() {
	local d=$1
	mkdir -p "$d/100/20240401" "$d/100/20240402" "$d/100/20240405" "$d/200/20240401" "$d/200/20240403" &&
	printf 'Order Id,Amount,Note\n1001,10.50,first\n1002,,"with, comma"\n1003,7.25,"say ""hi"""\n' \
		>"$d/100/20240401/OrderDetails.csv" &&
	printf 'Check Id,Order Id\n9001,1001\n9002,1002\n' >"$d/100/20240401/CheckDetails.csv" &&
	printf 'Order Id,Amount,Note\n1004,1.00,a\n1005,2.00,b\n' >"$d/100/20240402/OrderDetails.csv" &&
	printf 'Order Id,Amount,Note\n1006,3.00,c\n' >"$d/100/20240405/OrderDetails.csv" &&
	printf 'Order Id,Amount,Note\n2001,3.00,x\n2003,5.00,y\n' >"$d/200/20240401/OrderDetails.csv" &&
	printf 'Order Id,Amount,Note\n2005,8.00,"two\nlines"\n' >"$d/200/20240403/OrderDetails.csv" &&
	printf 'Check Id,Order Id\n9101,2005\n' >"$d/200/20240403/CheckDetails.csv"
}

DATES="--start-date 2024-04-01 --end-date 2024-04-05"
# one worker: bf-closure judges a date by the dates it has seen before it, so the order of
# the dates must be the same in every run that is compared
SEL="--location 100 --location 200 -j 1"
FILES="OrderDetails.csv,CheckDetails.csv"

# q DB SQL
q() { sqlite3 -batch -readonly -noheader "$1" "$2"; }

test_expect_success SQLITE3 'setup: the warehouse from the local folder' '
	mkdrop drop &&
	# shellcheck disable=SC2086
	bf-run --source drop $SEL $DATES --target local.db --state local-state.db --log local.json -q &&
	test "$(q local.db "select count(*) from order_details where order_id is not null")" = 9 &&
	wh_sum local.db >expect
'

test_expect_success SSHD,SQLITE3,JQ 'sftp: key and known_hosts given by flags, no ~/.ssh, no agent' '
	start_sshd &&
	test ! -e "$HOME/.ssh" && test -z "${SSH_AUTH_SOCK:-}" &&
	URL="sftp://$SSH_USER@127.0.0.1:$SSH_PORT$TRASH_DIRECTORY/drop" &&
	# shellcheck disable=SC2086
	bf-run --source "$URL" --known-hosts "$SSH_KNOWN_HOSTS" --identity "$SSH_KEY" $SEL $DATES \
		--source-retries 2 --timeout 20 --target sftp.db --state sftp-state.db --log sftp.json -q &&
	wh_sum sftp.db >actual &&
	test_cmp expect actual &&
	jq -e ".summary.processed == 5 and .summary.failed == 0" sftp.json &&
	test "$(q sftp-state.db "select count(*) from partitions where source = '\''$URL'\''")" = 10 &&
	q sftp-state.db "select args from runs where stage = '\''extract'\''" >extract.args &&
	grep -e "--known-hosts $SSH_KNOWN_HOSTS --identity $SSH_KEY --timeout 20 --retries 2" extract.args &&
	test ! -e "$HOME/.ssh"
'

test_expect_success SSHD 'sftp: --all finds the dates through the same options' '
	# shellcheck disable=SC2086
	bf-run --source "$URL" --known-hosts "$SSH_KNOWN_HOSTS" --identity "$SSH_KEY" --all \
		--target sftp.db --state sftp-state.db --dry-run >plan.out &&
	grep "^plan: 5 dates from $URL" plan.out &&
	grep "^  bf-extract --source $URL --known-hosts $SSH_KNOWN_HOSTS --identity $SSH_KEY --dates" plan.out
'

test_expect_success SSHD 'sftp: without them, discovery refuses the unknown host (77) and starts nothing' '
	# shellcheck disable=SC2086
	test_expect_code 77 bf-run --source "$URL" --identity "$SSH_KEY" $SEL $DATES --target none.db \
		--state none-state.db --no-log 2>err &&
	grep "unknown host key" err &&
	test ! -e none.db
'

test_expect_success SSHD,ROOT,SQLITE3 'sftp: a password from a file or BF_SFTP_PASSWORD, never written anywhere' '
	PWURL="sftp://$SSH_PW_USER@127.0.0.1:$SSH_PORT$TRASH_DIRECTORY/drop" &&
	(umask 077 && printf "%s\n" "$SSH_PASSWORD" >pwfile) &&
	# shellcheck disable=SC2086
	bf-run --source "$PWURL" --known-hosts "$SSH_KNOWN_HOSTS" --password-file pwfile $SEL $DATES \
		--target pw1.db --state pw1-state.db --log pw1.json 2>pw1.err &&
	wh_sum pw1.db >actual &&
	test_cmp expect actual &&
	BF_SFTP_PASSWORD=$SSH_PASSWORD bf-run --source "$PWURL" --known-hosts "$SSH_KNOWN_HOSTS" \
		$SEL $DATES --target pw2.db --state pw2-state.db --log pw2.json 2>pw2.err &&
	wh_sum pw2.db >actual &&
	test_cmp expect actual &&
	for f in pw1.err pw2.err pw1.json pw2.json pw1-state.db pw2-state.db pw1.db pw2.db; do
		! grep -aF "$SSH_PASSWORD" "$f" || return 1
	done
'

test_expect_success HTTPS,SQLITE3,JQ 'https: --ca-file and --files reach discovery and every bf-extract' '
	start_https drop &&
	# shellcheck disable=SC2086
	bf-run --source "$BF_HTTPS_URL/" --ca-file "$HTTPS_CA" --files "$FILES" $SEL $DATES \
		--target https.db --state https-state.db --log https.json -q &&
	wh_sum https.db >actual &&
	test_cmp expect actual &&
	jq -e ".summary.processed == 5 and .summary.failed == 0" https.json &&
	grep "GET /200/20240403/CheckDetails.csv 200" "$HTTPS_LOG"
'

test_expect_success HTTPS,SQLITE3 'https: --url-template places the files' '
	mkdir -p flat &&
	for f in drop/*/*/*.csv; do
		loc=${f#drop/} && loc=${loc%%/*} &&
		day=${f#drop/*/} && day=${day%%/*} &&
		cp "$f" "flat/$loc-${day:0:4}-${day:4:2}-${day:6:2}-$(basename "$f")" || return 1
	done &&
	"$BF_SERVERS/https.sh" stop "$HTTPS_DIR" &&
	start_https . &&
	# shellcheck disable=SC2086
	bf-run --source "$BF_HTTPS_URL/flat" --ca-file "$HTTPS_CA" --files "$FILES" \
		--url-template "{location}-{date}-{file}" $SEL $DATES \
		--target flat.db --state flat-state.db --log flat.json -q &&
	grep "GET /flat/100-2024-04-01-OrderDetails.csv 200" "$HTTPS_LOG" &&
	wh_sum flat.db >actual &&
	test_cmp expect actual
'

test_expect_success HTTPS 'https: with an unknown CA every date fails (77 in the stage); without --files bf-run says so (64)' '
	# shellcheck disable=SC2086
	test_expect_code 1 bf-run --source "$BF_HTTPS_URL/flat" --ca-file "$HTTPS_WRONG_CA" --files "$FILES" \
		--url-template "{location}-{date}-{file}" $SEL $DATES --target wrong.db \
		--state wrong-state.db --no-log 2>err &&
	grep "TLS verification failed" err &&
	test_expect_code 64 bf-run --source "$BF_HTTPS_URL/" $SEL $DATES --target wrong.db \
		--state wrong-state.db --no-log 2>err &&
	grep -e "--files" err
'

test_done
