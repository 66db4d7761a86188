#!/usr/bin/env bash
test_description='bf-extract over SFTP from a real sshd on loopback'
. "$(dirname "$0")/../lib/test-lib.sh"

# make_drop DIR: two locations, a missing date and an empty date folder, a gzipped
# file, quoted fields with commas and line breaks.
make_drop() {
	local d=$1
	mkdir -p "$d/185129/20240404" "$d/185129/20240405" "$d/185129/20240407" \
		"$d/200001/20240404" "$d/200001/20240406" &&
	printf 'Order Id,Amount,Note\n1,2.50,plain\n2,3.00,"with, comma"\n3,4,"two\nlines"\n' \
		>"$d/185129/20240404/OrderDetails.csv" &&
	printf 'Item,Qty\nfries,2\nsoda,\n' >"$d/185129/20240404/Items.csv" &&
	printf 'Order Id,Amount,Note\n4,1.00,x\n' | gzip -n >"$d/185129/20240405/OrderDetails.csv.gz" &&
	printf 'Order Id,Amount,Note\n5,9.99,y\n' >"$d/200001/20240404/OrderDetails.csv" &&
	awk 'BEGIN { print "Item,Qty"; for (i = 0; i < 5000; i++) printf "item %d,%d\n", i, i % 7 }' \
		>"$d/200001/20240406/Items.csv"
}

# norm FILE: the messages without what differs between sources (time, source name)
norm() {
	sed -e 's/,"time_extracted":"[^"]*"//' -e 's/"source":"[^"]*",//' "$1"
}

# peak_kb FILE: peak RSS in kB from /usr/bin/time -v output
peak_kb() {
	sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$1"
}

test_lazy_prereq TIMEV '/usr/bin/time -v true'
test_lazy_prereq NOSAN '! grep -q __asan_init "$(command -v bf-extract)"'

# bg_extract OUT ERR RC ARGS...: bf-extract in the background, its status into RC
bg_extract() {
	local out=$1 err=$2 rcf=$3
	shift 3
	{ bf-extract "$@" >"$out" 2>"$err"; echo $? >"$rcf"; } &
}

ssh_run() {
	bf-extract --source "$URL" --known-hosts "$SSH_KNOWN_HOSTS" --identity "$SSH_KEY" "$@"
}

test_expect_success SSHD 'setup: sshd and a drop' '
	start_sshd &&
	make_drop drop &&
	URL="sftp://$SSH_USER@127.0.0.1:$SSH_PORT$TRASH_DIRECTORY/drop" &&
	bf-extract --source drop --all --state local.db >local.out &&
	test_line_count -gt 10 local.out
'

test_expect_success SSHD 'sftp --all gives the local-folder result' '
	ssh_run --all >sftp.out 2>err &&
	norm local.out >expect &&
	norm sftp.out >actual &&
	test_cmp expect actual
'

test_expect_success SSHD 'missing and empty date folders are told apart' '
	grep "\"location\":\"185129\",\"date\":\"2024-04-06\",\"status\":\"ok\",\"folder\":\"missing\"" sftp.out &&
	grep "\"location\":\"185129\",\"date\":\"2024-04-07\",\"status\":\"ok\",\"folder\":\"empty\"" sftp.out &&
	grep "\"location\":\"185129\",\"date\":\"2024-04-05\",\"status\":\"ok\",\"folder\":\"present\"" sftp.out
'

test_expect_success SSHD,SQLITE3 'the state file names the source without credentials' '
	echo "sftp://$SSH_USER@127.0.0.1:$SSH_PORT$TRASH_DIRECTORY/drop" >expect &&
	sqlite3 "$BF_STATE" "select distinct source from partitions" >actual &&
	test_cmp expect actual
'

test_expect_success SSHD 'one SSH session for every date and file of a run' '
	before=$(grep -c "Accepted publickey" "$SSH_DIR/sshd.log") &&
	ssh_run --all --force >/dev/null &&
	after=$(grep -c "Accepted publickey" "$SSH_DIR/sshd.log") &&
	test $((after - before)) -eq 1
'

test_expect_success SSHD 'an unknown host key is refused (77) with its fingerprint' '
	fp=$(ssh-keygen -lf "$SSH_DIR/ssh_host_ed25519_key.pub" | cut -d" " -f2) &&
	: >empty_kh &&
	test_expect_code 77 bf-extract --source "$URL" --known-hosts empty_kh --identity "$SSH_KEY" \
		--all --force >out 2>err &&
	grep "unknown host key ssh-ed25519 $fp" err &&
	grep -e "--accept-new-host-key" err &&
	test ! -s empty_kh &&
	test ! -s out
'

test_expect_success SSHD 'a changed host key is refused (77), even with --accept-new-host-key' '
	cp "$SSH_KNOWN_HOSTS_BAD" bad_kh &&
	test_expect_code 77 bf-extract --source "$URL" --known-hosts bad_kh --identity "$SSH_KEY" \
		--accept-new-host-key --all --force >out 2>err &&
	grep "HOST KEY CHANGED" err &&
	grep "$fp" err &&
	test_cmp "$SSH_KNOWN_HOSTS_BAD" bad_kh
'

test_expect_success SSHD '--accept-new-host-key records an unknown key in ~/.ssh/known_hosts' '
	test ! -e "$HOME/.ssh/known_hosts" &&
	bf-extract --source "$URL" --identity "$SSH_KEY" --accept-new-host-key --all --force \
		>out 2>err &&
	grep "added the new host key ssh-ed25519 $fp" err &&
	grep "^\[127.0.0.1\]:$SSH_PORT ssh-ed25519 " "$HOME/.ssh/known_hosts" &&
	bf-extract --source "$URL" --identity "$SSH_KEY" --all --force >out 2>err &&
	! grep "added" err &&
	test_line_count = 1 "$HOME/.ssh/known_hosts"
'

test_expect_success SSHD 'hashed known_hosts entries are understood' '
	cp "$SSH_KNOWN_HOSTS" hashed_kh &&
	ssh-keygen -H -f hashed_kh >/dev/null 2>&1 &&
	grep "^|1|" hashed_kh &&
	! grep 127.0.0.1 hashed_kh &&
	bf-extract --source "$URL" --known-hosts hashed_kh --identity "$SSH_KEY" --all --force >out &&
	cp "$SSH_KNOWN_HOSTS_BAD" hashed_bad &&
	ssh-keygen -H -f hashed_bad >/dev/null 2>&1 &&
	test_expect_code 77 bf-extract --source "$URL" --known-hosts hashed_bad --identity "$SSH_KEY" \
		--all --force >out 2>err &&
	grep "HOST KEY CHANGED" err
'

test_expect_success SSHD 'a key the server does not know is refused (77)' '
	ssh-keygen -q -t ed25519 -N "" -f stranger &&
	test_expect_code 77 bf-extract --source "$URL" --known-hosts "$SSH_KNOWN_HOSTS" \
		--identity stranger --all --force >out 2>err &&
	grep "authentication refused" err
'

test_expect_success SSHD 'a key with a passphrase needs BF_SFTP_PASSPHRASE' '
	test_expect_code 77 bf-extract --source "$URL" --known-hosts "$SSH_KNOWN_HOSTS" \
		--identity "$SSH_KEY_PW" --all --force >out 2>err &&
	BF_SFTP_PASSPHRASE=wrong test_expect_code 77 bf-extract --source "$URL" \
		--known-hosts "$SSH_KNOWN_HOSTS" --identity "$SSH_KEY_PW" --all --force >out 2>err &&
	BF_SFTP_PASSPHRASE=$SSH_KEY_PASSPHRASE bf-extract --source "$URL" \
		--known-hosts "$SSH_KNOWN_HOSTS" --identity "$SSH_KEY_PW" --all --force >out &&
	norm out >actual &&
	norm local.out >expect &&
	test_cmp expect actual
'

test_expect_success SSHD,ROOT 'password logins: from a file or BF_SFTP_PASSWORD; a wrong one is 77' '
	PWURL="sftp://$SSH_PW_USER@127.0.0.1:$SSH_PORT$TRASH_DIRECTORY/drop" &&
	(umask 077 && printf "%s\n" "$SSH_PASSWORD" >pwfile) &&
	bf-extract --source "$PWURL" --known-hosts "$SSH_KNOWN_HOSTS" --password-file pwfile \
		--all --force >out &&
	norm out >actual &&
	norm local.out >expect &&
	test_cmp expect actual &&
	BF_SFTP_PASSWORD=$SSH_PASSWORD bf-extract --source "$PWURL" --known-hosts "$SSH_KNOWN_HOSTS" \
		--all --force >out &&
	BF_SFTP_PASSWORD=not-the-password test_expect_code 77 bf-extract --source "$PWURL" \
		--known-hosts "$SSH_KNOWN_HOSTS" --all --force >out 2>err &&
	grep "authentication refused" err &&
	! grep -F "$SSH_PASSWORD" err &&
	! grep -aF "$SSH_PASSWORD" "$BF_STATE"
'

test_expect_success SSHD 'a password in the URL is refused' '
	test_expect_code 64 bf-extract --source "sftp://u:secret@127.0.0.1:$SSH_PORT/x" --all 2>err &&
	grep BF_SFTP_PASSWORD err
'

test_expect_success SSHD 'sshd killed in the middle of a file and restarted: the date completes' '
	mkdir -p bigdrop/L1/20240101 &&
	awk "BEGIN { print \"id,name,amount\"; for (i = 0; i < 1000000; i++) printf \"%d,item number %d,%d.%02d\n\", i, i % 5000, i % 977, i % 100 }" \
		>bigdrop/L1/20240101/Big.csv &&
	bf-extract --source bigdrop --all --state bl.db >big.local &&
	BIGURL="sftp://$SSH_USER@127.0.0.1:$SSH_PORT$TRASH_DIRECTORY/bigdrop" &&
	mkfifo pipe &&
	bg_extract pipe kill.err kill.rc --source "$BIGURL" --known-hosts "$SSH_KNOWN_HOSTS" \
		--identity "$SSH_KEY" --all --retries 20 &&
	exec 4<pipe &&
	dd of=big.sftp bs=65536 count=16 iflag=fullblock <&4 2>/dev/null &&
	test ! -e kill.rc &&
	"$BF_SERVERS/sshd.sh" kill "$SSH_DIR" &&
	"$BF_SERVERS/sshd.sh" restart "$SSH_DIR" &&
	cat <&4 >>big.sftp &&
	exec 4<&- &&
	wait &&
	test "$(cat kill.rc)" = 0 &&
	grep "transfer cut at byte" kill.err &&
	norm big.local >expect &&
	norm big.sftp >actual &&
	test_cmp expect actual
'

test_expect_success SSHD,SQLITE3 'server down for good: 69 after the retries, failed date in the state file' '
	rm -f pipe && mkfifo pipe &&
	bg_extract pipe down.err down.rc --source "$BIGURL" --known-hosts "$SSH_KNOWN_HOSTS" \
		--identity "$SSH_KEY" --all --force --retries 2 --timeout 2 &&
	exec 4<pipe &&
	dd of=/dev/null bs=65536 count=16 iflag=fullblock <&4 2>/dev/null &&
	"$BF_SERVERS/sshd.sh" stop "$SSH_DIR" &&
	cat <&4 >down.out &&
	exec 4<&- &&
	wait &&
	test "$(cat down.rc)" = 69 &&
	grep "server unavailable after 2 retries" down.err &&
	grep "\"status\":\"failed\".*\"exit_code\":69" down.out &&
	echo failed >expect &&
	sqlite3 "$BF_STATE" "select status from partitions where source like '\''%bigdrop'\''" >actual &&
	test_cmp expect actual &&
	sqlite3 "$BF_STATE" "select last_error from partitions where source like '\''%bigdrop'\''" >err.db &&
	grep "server unavailable" err.db &&
	test_expect_code 69 bf-extract --source "$BIGURL" --known-hosts "$SSH_KNOWN_HOSTS" \
		--identity "$SSH_KEY" --all --force --retries 1 >/dev/null 2>err &&
	grep "connect" err
'

test_expect_success SSHD,TIMEV 'a 200 MB file streams with flat memory' '
	"$BF_SERVERS/sshd.sh" restart "$SSH_DIR" &&
	. "$SSH_DIR/env" &&
	mkdir -p hugedrop/L1/20240101 &&
	awk "BEGIN { print \"id,name,amount,note\"; for (i = 0; i < 3400000; i++) printf \"%d,item number %d,%d.%02d,some longer text to make the rows wide\n\", i, i % 5000, i % 977, i % 100 }" \
		>hugedrop/L1/20240101/Huge.csv &&
	test $(stat -c %s hugedrop/L1/20240101/Huge.csv) -gt 200000000 &&
	/usr/bin/time -v -o huge.time bf-extract \
		--source "sftp://$SSH_USER@127.0.0.1:$SSH_PORT$TRASH_DIRECTORY/hugedrop" \
		--known-hosts "$SSH_KNOWN_HOSTS" --identity "$SSH_KEY" --all >huge.out &&
	grep "\"total_rows\":3400000" huge.out &&
	echo "# peak RSS $(peak_kb huge.time) kB" &&
	if test_have_prereq NOSAN; then test "$(peak_kb huge.time)" -lt 32768; fi
'

test_done
