#!/usr/bin/env bash
test_description='names from a source are untrusted: local folder and SFTP refuse the same hostile entries'
. "$(dirname "$0")/../lib/test-lib.sh"

# A date folder with one good file and hostile neighbours: a name with a line break,
# a name with a backslash, a link to /etc/passwd, a link that climbs out of the root,
# a dangling link, and a location folder that is a link to /etc.
make_hostile_drop() {
	local d=$1
	mkdir -p "$d/L1/20240404" outside &&
	printf 'Order Id,Amount\n1,2.50\n' >"$d/L1/20240404/Good.csv" &&
	printf 'Order Id,Amount\n666,evil\n' >"$d/L1/20240404/$(printf 'evil\nname.csv')" &&
	printf 'Order Id,Amount\n667,evil\n' >"$d/L1/20240404/back\\slash.csv" &&
	ln -s /etc/passwd "$d/L1/20240404/passwd.csv" &&
	printf 'Order Id,Amount\n668,evil\n' >outside/secret.csv &&
	ln -s ../../../outside/secret.csv "$d/L1/20240404/climb.csv" &&
	ln -s nowhere.csv "$d/L1/20240404/dangling.csv" &&
	ln -s /etc "$d/L2"
}

# check_refused OUT ERR: only the good file was read, every hostile one reported
check_refused() {
	local out=$1 err=$2
	grep "\"location\":\"L1\",\"date\":\"2024-04-04\",\"status\":\"ok\",\"folder\":\"present\",\"file_count\":1" "$out" &&
	grep "\"name\":\"Good.csv\"" "$out" &&
	! grep -e '"evil"' -e '"66[678]"' -e "root:" "$out" &&
	! grep "\"location\":\"L2\"" "$out" &&
	grep "refused entry with an unsafe name \"evil\\\\nname.csv\"" "$err" &&
	grep "refused entry with an unsafe name \"back\\\\\\\\slash.csv\"" "$err" &&
	grep "refused link passwd.csv" "$err" &&
	grep "refused link climb.csv" "$err" &&
	grep "refused link dangling.csv" "$err" &&
	grep "refused link L2" "$err" || {
		echo "check_refused: $out and $err were:"
		cat "$out" "$err"
		return 1
	}
}

test_expect_success 'setup: a drop with hostile names' '
	make_hostile_drop drop &&
	touch marker &&
	ls drop/L1/20240404 >listing &&
	test_line_count -ge 6 listing
'

test_expect_success 'local folder: hostile entries refused and reported, the rest read' '
	bf-extract --source drop --all >local.out 2>local.err &&
	check_refused local.out local.err
'

test_expect_success SSHD 'sftp: the same entries refused and reported' '
	start_sshd &&
	touch marker &&
	bf-extract --source "sftp://$SSH_USER@127.0.0.1:$SSH_PORT$TRASH_DIRECTORY/drop" \
		--known-hosts "$SSH_KNOWN_HOSTS" --identity "$SSH_KEY" --all >sftp.out 2>sftp.err &&
	check_refused sftp.out sftp.err
'

test_expect_success SSHD 'sftp: nothing is written outside bf'\''s own files' '
	find . -newer marker -type f ! -path "./sshd/*" ! -name "state.db*" ! -name "sftp.*" ! -name written ! -name .test-output >written &&
	test_line_count = 0 written &&
	test ! -e outside/evil && test "$(ls outside)" = secret.csv
'

test_expect_success HTTPS 'https: unsafe names in --files are refused before any request' '
	mkdir -p www &&
	start_https www &&
	test_expect_code 64 bf-extract --source "$BF_HTTPS_URL/" --ca-file "$HTTPS_CA" \
		--files "Good.csv,../secret.csv" --location L1 --date 2024-04-04 2>err &&
	grep "unsafe file name" err &&
	test ! -s "$HTTPS_LOG"
'

test_done
