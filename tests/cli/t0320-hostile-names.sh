#!/usr/bin/env bash
test_description='nothing outside the source is ever read: local folder, SFTP and HTTPS refuse hostile entries, links and redirects, and the partitions holding them fail'
. "$(dirname "$0")/../lib/test-lib.sh"

# A drop whose every hostile entry points at a secret outside it:
#   L1/20240404  one good file and hostile neighbours: a name with a line break, a name
#                with a backslash, a link to /etc/passwd, a link that climbs out of the
#                root, a dangling link, and a link that stays inside (read);
#   loc2/20240404  a date folder that is a link to a folder outside (the issue's recipe);
#   L2           a location folder that is a link to /etc;
#   L3           a location folder that is a link to a drop outside;
#   L4/20240404  a date folder that is a relative link climbing to the root and down
#                again (read: it never leaves the root).
make_hostile_drop() {
	local d=$1
	mkdir -p "$d/L1/20240404" "$d/loc2" "$d/L4/real" outside/20240404 &&
	printf 'Order Id,Amount\n1,2.50\n' >"$d/L1/20240404/Good.csv" &&
	printf 'Order Id,Amount\n666,evil\n' >"$d/L1/20240404/$(printf 'evil\nname.csv')" &&
	printf 'Order Id,Amount\n667,evil\n' >"$d/L1/20240404/back\\slash.csv" &&
	ln -s /etc/passwd "$d/L1/20240404/passwd.csv" &&
	printf 'Order Id,Amount\n668,evil\n' >outside/secret.csv &&
	ln -s ../../../outside/secret.csv "$d/L1/20240404/climb.csv" &&
	ln -s nowhere.csv "$d/L1/20240404/dangling.csv" &&
	ln -s Good.csv "$d/L1/20240404/Inside.csv" &&
	printf 'secret,value\nroot,hunter2\n' >outside/20240404/Other.csv &&
	ln -s "$PWD/outside/20240404" "$d/loc2/20240404" &&
	ln -s /etc "$d/L2" &&
	ln -s "$PWD/outside" "$d/L3" &&
	mkdir -p "$d/L4/real/20240404" &&
	printf 'Order Id,Amount\n4,4.00\n' >"$d/L4/real/20240404/Four.csv" &&
	ln -s ../L4/real/20240404 "$d/L4/20240404"
}

# no_secret OUT: nothing of what lies outside the drop reached the output
no_secret() {
	! grep -e '"evil"' -e '"66[678]"' -e hunter2 -e "root:" -e '"secret"' "$1"
}

# state_of OUT LOC: the STATE line of LOC on 2024-04-04
state_of() {
	grep "\"type\":\"STATE\"" "$1" | grep "\"location\":\"$2\",\"date\":\"2024-04-04\""
}

# check_refused OUT ERR: only what lies inside was read; every partition holding a
# hostile entry failed, naming each entry and why
check_refused() {
	local out=$1 err=$2
	no_secret "$out" &&
	state_of "$out" L1 | grep "\"status\":\"failed\"" &&
	state_of "$out" L1 | grep "\"unreadable\":5," &&
	state_of "$out" L1 | grep "\"exit_code\":1" &&
	grep "L1/20240404/\"evil\\\\nname.csv\": refused: an unsafe name" "$err" &&
	grep "L1/20240404/\"back\\\\\\\\slash.csv\": refused: an unsafe name" "$err" &&
	grep "L1/20240404/passwd.csv: refused: a link that leads outside the source" "$err" &&
	grep "L1/20240404/climb.csv: refused: a link that leads outside the source" "$err" &&
	grep "L1/20240404/dangling.csv: refused: a link that leads nowhere" "$err" &&
	! grep "Inside.csv: refused" "$err" &&
	state_of "$out" loc2 | grep "\"status\":\"failed\",\"folder\":\"unreadable\"" &&
	grep "loc2/20240404: refused: a link that leads outside the source" "$err" &&
	state_of "$out" L2 | grep "\"status\":\"failed\"" &&
	state_of "$out" L3 | grep "\"status\":\"failed\"" &&
	state_of "$out" L4 | grep "\"status\":\"ok\",\"folder\":\"present\",\"file_count\":1" &&
	grep "\"_bf_location\":\"L4\",\"_bf_source\":\"L4/20240404/Four.csv\"" "$out" || {
		echo "check_refused: $out and $err were:"
		cat "$out" "$err"
		return 1
	}
}

test_expect_success 'setup: a drop with hostile names and links' '
	make_hostile_drop drop &&
	touch marker &&
	ls drop/L1/20240404 >listing &&
	test_line_count -ge 7 listing
'

test_expect_success 'local folder: nothing outside is read, the partitions holding hostile entries fail (exit 1)' '
	test_expect_code 1 bf-extract --source drop --all --state local.db >local.out 2>local.err &&
	check_refused local.out local.err
'

test_expect_success SQLITE3 'local folder: each refused entry is in the errors table, each failed partition in partitions' '
	sqlite3 local.db "SELECT message FROM errors WHERE location = '\''L1'\''" >errs &&
	test_line_count = 5 errs &&
	grep "^L1/20240404/climb.csv: refused: a link that leads outside the source$" errs &&
	test "$(sqlite3 local.db "SELECT group_concat(location) FROM (SELECT location FROM partitions WHERE status = '\''failed'\'' ORDER BY location)")" = "L1,L2,L3,loc2"
'

test_expect_success 'the issue'\''s recipe: a date folder linked outside is refused, not read' '
	mkdir -p o/20240101 d/loc2 &&
	printf "secret,value\nroot,hunter2\n" >o/20240101/Other.csv &&
	ln -s "$PWD/o/20240101" d/loc2/20240101 &&
	test_expect_code 1 bf-extract --source d --all --state recipe.db >recipe.out 2>recipe.err &&
	no_secret recipe.out &&
	grep "\"location\":\"loc2\",\"date\":\"2024-01-01\",\"status\":\"failed\"" recipe.out &&
	grep "bf-extract: loc2/20240101: refused: a link that leads outside the source" recipe.err
'

test_expect_success 'a location folder linked outside and named with --location is refused' '
	test_expect_code 1 bf-extract --source drop --location L3 --all --state l3.db >l3.out 2>l3.err &&
	no_secret l3.out &&
	grep "L3: refused: a link that leads outside the source; no date folder is known" l3.err &&
	test_expect_code 1 bf-extract --source drop --location L3 --date 2024-04-04 --state l3.db >l3d.out 2>l3d.err &&
	no_secret l3d.out &&
	grep "\"location\":\"L3\",\"date\":\"2024-04-04\",\"status\":\"failed\"" l3d.out
'

test_expect_success 'a --location that is a path (../outside, a/b) is a usage error, before anything is read' '
	test_expect_code 64 bf-extract --source drop --location ../outside --date 2024-04-04 --state p.db >p.out 2>p.err &&
	grep "bf-extract: --location: \"../outside\" is not a folder name" p.err &&
	test ! -s p.out &&
	test_expect_code 64 bf-extract --source drop --location L1/../../outside --all --state p.db >p.out 2>p.err &&
	test_expect_code 64 bf-run --source drop --target w.db --location .. --all --state p.db >p.out 2>p.err &&
	grep "\"..\" is not a folder name" p.err
'

test_expect_success 'with --skip-unreadable the hostile entries are quarantined and counted, the rest is read' '
	test_expect_code 1 bf-extract --source drop --all --skip-unreadable --state skip.db >skip.out 2>skip.err &&
	no_secret skip.out &&
	state_of skip.out L1 | grep "\"status\":\"ok\",\"folder\":\"present\",\"file_count\":2," &&
	state_of skip.out L1 | grep "\"unreadable\":5,\"unreadable_entries\":\[{\"name\":\"back\\\\\\\\slash.csv\"" &&
	grep "\"_bf_source\":\"L1/20240404/Good.csv\"" skip.out &&
	grep "climb.csv: refused: a link that leads outside the source (skipped: --skip-unreadable)" skip.err &&
	grep "bf-extract: done, but 8 entries could not be read" skip.err
'

test_expect_success SSHD 'sftp: the same entries refused and reported, nothing outside read' '
	start_sshd &&
	touch marker &&
	test_expect_code 1 bf-extract --source "sftp://$SSH_USER@127.0.0.1:$SSH_PORT$TRASH_DIRECTORY/drop" \
		--known-hosts "$SSH_KNOWN_HOSTS" --identity "$SSH_KEY" --all --state sftp.db >sftp.out 2>sftp.err &&
	check_refused sftp.out sftp.err
'

test_expect_success SSHD 'sftp: the recipe and a linked location named with --location are refused too' '
	test_expect_code 1 bf-extract --source "sftp://$SSH_USER@127.0.0.1:$SSH_PORT$TRASH_DIRECTORY/d" \
		--known-hosts "$SSH_KNOWN_HOSTS" --identity "$SSH_KEY" --all --state sftp-r.db >sr.out 2>sr.err &&
	no_secret sr.out &&
	grep "loc2/20240101: refused: a link that leads outside the source" sr.err &&
	test_expect_code 1 bf-extract --source "sftp://$SSH_USER@127.0.0.1:$SSH_PORT$TRASH_DIRECTORY/drop" \
		--known-hosts "$SSH_KNOWN_HOSTS" --identity "$SSH_KEY" --location L3 --date 2024-04-04 \
		--state sftp-l3.db >sl.out 2>sl.err &&
	no_secret sl.out &&
	grep "\"location\":\"L3\",\"date\":\"2024-04-04\",\"status\":\"failed\"" sl.out
'

test_expect_success SSHD 'sftp: nothing is written outside bf'\''s own files' '
	find . -newer marker -type f ! -path "./sshd/*" ! -name "*.db*" ! -name "s*.out" ! -name "s*.err" ! -name written ! -name .test-output >written &&
	test_line_count = 0 written &&
	test ! -e outside/evil && test "$(ls outside)" = "20240404
secret.csv"
'

test_expect_success HTTPS 'https: unsafe names in --files and --location are refused before any request' '
	mkdir -p www &&
	start_https www &&
	test_expect_code 64 bf-extract --source "$BF_HTTPS_URL/" --ca-file "$HTTPS_CA" \
		--files "Good.csv,../secret.csv" --location L1 --date 2024-04-04 2>err &&
	grep "unsafe file name" err &&
	test_expect_code 64 bf-extract --source "$BF_HTTPS_URL/" --ca-file "$HTTPS_CA" \
		--files Good.csv --location .. --date 2024-04-04 2>err &&
	grep "\"..\" is not a folder name" err &&
	test ! -s "$HTTPS_LOG"
'

test_expect_success HTTPS 'https: a redirect to another host is refused, never followed, its query kept out of the logs' '
	mkdir -p www/base/L1/20240404 www/elsewhere &&
	printf "Order Id,Amount\n1,2.50\n" >www/base/L1/20240404/Good.csv &&
	printf "Item,Qty\nfries,2\n" >www/base/L1/20240404/Items.csv &&
	printf "secret,value\nroot,hunter2\n" >www/elsewhere/Other.csv &&
	: >"$HTTPS_LOG" &&
	printf "redirect 1 https://other.example/drop/Other.csv?token=s3cr3t\n" >"$HTTPS_FAULTS" &&
	test_expect_code 1 bf-extract --source "$BF_HTTPS_URL/base" --ca-file "$HTTPS_CA" --files Good.csv,Items.csv \
		--location L1 --date 2024-04-04 --state https.db >h.out 2>h.err &&
	no_secret h.out &&
	grep "bf-extract: L1/20240404/Good.csv: refused: HTTP 302 redirects to https://other.example/drop/Other.csv (bf follows no redirect)" h.err &&
	! grep s3cr3t h.err h.out https.db &&
	grep "\"location\":\"L1\",\"date\":\"2024-04-04\",\"status\":\"failed\"" h.out &&
	test_line_count = 1 "$HTTPS_LOG"
'

test_expect_success HTTPS 'https: a redirect outside the base path is refused; with --skip-unreadable it is counted, the rest read' '
	: >"$HTTPS_LOG" &&
	printf "redirect 1 /elsewhere/Other.csv\n" >"$HTTPS_FAULTS" &&
	test_expect_code 1 bf-extract --source "$BF_HTTPS_URL/base" --ca-file "$HTTPS_CA" --files Good.csv,Items.csv \
		--location L1 --date 2024-04-04 --skip-unreadable --state https2.db >h2.out 2>h2.err &&
	no_secret h2.out &&
	grep "L1/20240404/Good.csv: refused: HTTP 302 redirects to https://127.0.0.1:$HTTPS_PORT/elsewhere/Other.csv" h2.err &&
	grep "\"status\":\"ok\",\"folder\":\"present\",\"file_count\":1," h2.out &&
	grep "\"unreadable\":1," h2.out &&
	grep "\"_bf_source\":\"L1/20240404/Items.csv\"" h2.out &&
	! grep "GET /elsewhere" "$HTTPS_LOG" &&
	test_line_count = 2 "$HTTPS_LOG"
'

test_done
