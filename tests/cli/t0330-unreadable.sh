#!/usr/bin/env bash
test_description='an entry that cannot or may not be read fails its date (never a closed day), or with --skip-unreadable is quarantined and counted'
. "$(dirname "$0")/../lib/test-lib.sh"

# unpriv CMD...: runs CMD as a user that file permissions apply to (nobody, when root)
test_lazy_prereq UNPRIV '[ "$(id -u)" -ne 0 ] || { command -v runuser && id nobody; }'
unpriv() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

# The drop, location A:
#   20240101  a good file
#   20240102  a FIFO, the date's only file
#   20240103  a good file, and one whose name holds a tab
#   20240104  a good file, and one whose name holds an escape
#   20240105  a good file, and a folder named like a file
make_drop() {
	local d=$1 day
	for day in 20240101 20240102 20240103 20240104 20240105; do
		mkdir -p "$d/A/$day"
	done &&
	for day in 20240101 20240103 20240104 20240105; do
		printf 'Order Id,Amount\n1,2.50\n2,3.00\n' >"$d/A/$day/Orders.csv" || return 1
	done &&
	mkfifo "$d/A/20240102/Orders.csv" &&
	printf 'Order Id,Amount\n9,9.99\n' >"$d/A/20240103/$(printf 'tab\tname.csv')" &&
	printf 'Order Id,Amount\n9,9.99\n' >"$d/A/20240104/$(printf 'esc\033name.csv')" &&
	mkdir "$d/A/20240105/Folder.csv"
}

# state_of OUT DATE: the STATE of location A on DATE
state_of() {
	grep "\"type\":\"STATE\"" "$1" | grep "\"date\":\"$2\""
}

test_expect_success 'setup' '
	make_drop drop
'

test_expect_success 'a FIFO that is its date'\''s only file fails the date (exit 1), never hangs' '
	test_expect_code 1 timeout 30 bf-extract --source drop --date 2024-01-02 >fifo.out 2>fifo.err &&
	state_of fifo.out 2024-01-02 | grep "\"status\":\"failed\",\"folder\":\"present\",\"file_count\":0," &&
	state_of fifo.out 2024-01-02 | grep "\"unreadable\":1,\"unreadable_entries\":\[{\"name\":\"Orders.csv\",\"reason\":\"refused: a FIFO, neither a regular file nor a folder\"}\]" &&
	state_of fifo.out 2024-01-02 | grep "\"exit_code\":1" &&
	grep "^bf-extract: A/20240102/Orders.csv: refused: a FIFO, neither a regular file nor a folder$" fifo.err
'

test_expect_success SQLITE3 'the entry and the reason are in the errors table, the partition is failed' '
	test "$(sqlite3 "$BF_STATE" "SELECT exit_code, message FROM errors WHERE date = '\''2024-01-02'\''")" = \
		"1|A/20240102/Orders.csv: refused: a FIFO, neither a regular file nor a folder" &&
	test "$(sqlite3 "$BF_STATE" "SELECT status, last_error FROM partitions WHERE date = '\''2024-01-02'\''")" = \
		"failed|A/20240102/Orders.csv: refused: a FIFO, neither a regular file nor a folder"
'

test_expect_success SQLITE3 'bf-closure does not judge the failed day, bf-load loads nothing of it: not a closed day' '
	rm -f w.db &&
	bf-closure <fifo.out >closed.out &&
	! grep closure_indicator closed.out &&
	! grep "\"closure\"" closed.out &&
	test "$(sqlite3 "$BF_STATE" "SELECT count(*) FROM closures WHERE date = '\''2024-01-02'\''")" = 0 &&
	test_expect_code 1 bf-load --target w.db <closed.out >loaded.out 2>load.err &&
	test "$(sqlite3 "$BF_STATE" "SELECT status FROM partitions WHERE date = '\''2024-01-02'\''")" = failed
'

test_expect_success 'names with a tab or an escape fail their date, shown escaped' '
	test_expect_code 1 bf-extract --source drop --dates 2024-01-03,2024-01-04 --force >names.out 2>names.err &&
	state_of names.out 2024-01-03 | grep "\"status\":\"failed\"" &&
	state_of names.out 2024-01-04 | grep "\"status\":\"failed\"" &&
	grep "^bf-extract: A/20240103/\"tab\\\\tname.csv\": refused: an unsafe name" names.err &&
	grep "^bf-extract: A/20240104/\"esc\\\\u001bname.csv\": refused: an unsafe name" names.err &&
	! grep "\"9\"" names.out
'

test_expect_success 'a folder named like a file fails its date' '
	test_expect_code 1 bf-extract --source drop --date 2024-01-05 --force >folder.out 2>folder.err &&
	state_of folder.out 2024-01-05 | grep "\"status\":\"failed\"" &&
	grep "A/20240105/Folder.csv: refused: a folder, not a file" folder.err
'

test_expect_success ROOT 'a device fails its date, and is never opened' '
	mkdir -p dev/A/20240101 &&
	printf "Order Id,Amount\n1,2.50\n" >dev/A/20240101/Orders.csv &&
	mknod dev/A/20240101/Zero.csv c 1 5 &&
	test_expect_code 1 timeout 30 bf-extract --source dev --all --state dev.db >dev.out 2>dev.err &&
	grep "A/20240101/Zero.csv: refused: a device, neither a regular file nor a folder" dev.err &&
	grep "\"status\":\"failed\"" dev.out
'

test_expect_success UNPRIV 'a file that cannot be opened and a folder that cannot be listed fail their dates' '
	mkdir -p perm/A/20240101 perm/A/20240102 st &&
	printf "Order Id,Amount\n1,2.50\n" >perm/A/20240101/Orders.csv &&
	printf "Order Id,Amount\n1,2.50\n" >perm/A/20240101/Locked.csv &&
	printf "Order Id,Amount\n1,2.50\n" >perm/A/20240102/Orders.csv &&
	chmod 000 perm/A/20240101/Locked.csv perm/A/20240102 &&
	test_when_finished "chmod 755 perm/A/20240102" &&
	if [ "$(id -u)" -eq 0 ]; then chown nobody st && chmod 755 . ; fi &&
	test_expect_code 1 unpriv bf-extract --source perm --dates 2024-01-01,2024-01-02 --state st/s.db \
		>perm.out 2>perm.err &&
	grep "A/20240101/Locked.csv: cannot open: Permission denied" perm.err &&
	grep "A/20240102: cannot list: Permission denied" perm.err &&
	state_of perm.out 2024-01-01 | grep "\"status\":\"failed\"" &&
	state_of perm.out 2024-01-02 | grep "\"status\":\"failed\",\"folder\":\"unreadable\"" &&
	test_expect_code 1 unpriv bf-extract --source perm --dates 2024-01-01,2024-01-02 --state st/s.db \
		--skip-unreadable >perm2.out 2>perm2.err &&
	state_of perm2.out 2024-01-01 | grep "\"status\":\"ok\",\"folder\":\"present\",\"file_count\":1," &&
	state_of perm2.out 2024-01-01 | grep "\"unreadable\":1," &&
	state_of perm2.out 2024-01-02 | grep "\"status\":\"ok\",\"folder\":\"unreadable\"" &&
	grep "Locked.csv: cannot open: Permission denied (skipped: --skip-unreadable)" perm2.err
'

test_expect_success SQLITE3 'with --skip-unreadable the FIFO is quarantined and counted, and the day is never judged closed' '
	test_expect_code 1 timeout 30 bf-extract --source drop --date 2024-01-02 --force --skip-unreadable >skip.out 2>skip.err &&
	state_of skip.out 2024-01-02 | grep "\"status\":\"ok\",\"folder\":\"present\",\"file_count\":0," &&
	state_of skip.out 2024-01-02 | grep "\"unreadable\":1," &&
	grep "bf-extract: done, but 1 entries could not be read" skip.err &&
	test "$(sqlite3 "$BF_STATE" "SELECT file, coalesce(line, '\''-'\''), reason FROM quarantine WHERE date = '\''2024-01-02'\''")" = \
		"A/20240102/Orders.csv|-|refused: a FIFO, neither a regular file nor a folder" &&
	bf-closure <skip.out >skip-closed.out &&
	! grep closure_indicator skip-closed.out &&
	! grep "\"verdict\":\"closed\"" skip-closed.out &&
	test "$(sqlite3 "$BF_STATE" "SELECT count(*) FROM closures WHERE date = '\''2024-01-02'\'' AND verdict = '\''closed'\''")" = 0
'

test_expect_success 'bf-closure never judges a STATE that counts unreadable entries' '
	printf "%s\n" "{\"type\":\"STATE\",\"value\":{\"bf\":{\"source\":\"s\",\"location\":\"X\",\"date\":\"2024-03-01\",\"status\":\"ok\",\"folder\":\"present\",\"file_count\":0,\"files\":[],\"rows\":{},\"total_rows\":0,\"quarantined\":0,\"unreadable\":1}}}" >u.ndjson &&
	bf-closure --state u.db <u.ndjson >u.out &&
	test_cmp u.ndjson u.out &&
	sed "s/\"unreadable\":1/\"unreadable\":0/" u.ndjson >z.ndjson &&
	bf-closure --state u.db <z.ndjson >z.out &&
	grep "\"verdict\":\"closed\",\"reason\":\"no_files\"" z.out
'

test_expect_success SSHD 'sftp: a FIFO on the server fails its date too, without hanging' '
	start_sshd &&
	test_expect_code 1 timeout 60 bf-extract --source "sftp://$SSH_USER@127.0.0.1:$SSH_PORT$TRASH_DIRECTORY/drop" \
		--known-hosts "$SSH_KNOWN_HOSTS" --identity "$SSH_KEY" --date 2024-01-02 --force \
		--state sftp.db >sftp.out 2>sftp.err &&
	state_of sftp.out 2024-01-02 | grep "\"status\":\"failed\"" &&
	grep "A/20240102/Orders.csv: refused: a FIFO, neither a regular file nor a folder" sftp.err
'

test_expect_success SQLITE3,JQ 'bf-run counts such a date as failed (exit 1), and does the others' '
	rm -f w.db run.db &&
	test_expect_code 1 bf-run --source drop --target w.db --dates 2024-01-01,2024-01-02 --state run.db \
		--log run.json -q 2>run.err &&
	jq -e ".failed_dates == [\"2024-01-02\"]" run.json &&
	test "$(sqlite3 run.db "SELECT status FROM partitions WHERE date = '\''2024-01-02'\''")" = failed &&
	test "$(sqlite3 run.db "SELECT status IN ('\''loaded'\'', '\''closed'\'') FROM partitions WHERE date = '\''2024-01-01'\''")" = 1 &&
	sqlite3 run.db "SELECT message FROM errors WHERE date = '\''2024-01-02'\''" >run.errors &&
	grep "A/20240102/Orders.csv: refused: a FIFO" run.errors &&
	test "$(sqlite3 run.db "SELECT count(*) FROM closures WHERE date = '\''2024-01-02'\'' AND verdict = '\''closed'\''")" = 0
'

test_expect_success SQLITE3,JQ 'bf-run with --skip-unreadable for bf-extract: the day is loaded with its count, never closed, exit 1' '
	rm -f w.db run.db &&
	test_expect_code 1 bf-run --source drop --target w.db --dates 2024-01-02 --state run.db \
		--extract-arg --skip-unreadable --log run2.json -q 2>run2.err &&
	test "$(sqlite3 run.db "SELECT status FROM partitions WHERE date = '\''2024-01-02'\''")" = loaded &&
	test "$(sqlite3 run.db "SELECT count(*) FROM quarantine WHERE date = '\''2024-01-02'\''")" = 1 &&
	test "$(sqlite3 run.db "SELECT count(*) FROM closures WHERE date = '\''2024-01-02'\'' AND verdict = '\''closed'\''")" = 0
'

test_done
