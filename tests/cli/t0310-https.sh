#!/usr/bin/env bash
test_description='bf-extract over HTTPS from a real TLS server on loopback'
. "$(dirname "$0")/../lib/test-lib.sh"

# make_drop DIR: two locations; 185129 has no 2024-04-06 at all and only one of the
# two files on 2024-04-05.
make_drop() {
	local d=$1
	mkdir -p "$d/185129/20240404" "$d/185129/20240405" "$d/200001/20240404" "$d/200001/20240406" &&
	printf 'Order Id,Amount,Note\n1,2.50,plain\n2,3.00,"with, comma"\n3,4,"two\nlines"\n' \
		>"$d/185129/20240404/OrderDetails.csv" &&
	printf 'Item,Qty\nfries,2\nsoda,\n' >"$d/185129/20240404/Items.csv" &&
	printf 'Order Id,Amount,Note\n4,1.00,x\n' >"$d/185129/20240405/OrderDetails.csv" &&
	printf 'Order Id,Amount,Note\n5,9.99,y\n' >"$d/200001/20240404/OrderDetails.csv" &&
	awk 'BEGIN { print "Item,Qty"; for (i = 0; i < 200000; i++) printf "item %d,%d\n", i, i % 7 }' \
		>"$d/200001/20240406/Items.csv"
}

norm() {
	sed -e 's/,"time_extracted":"[^"]*"//' -e 's/"source":"[^"]*",//' "$1"
}

peak_kb() {
	sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$1"
}

test_lazy_prereq TIMEV '/usr/bin/time -v true'
test_lazy_prereq NOSAN '! grep -q __asan_init "$(command -v bf-extract)"'

DATES="--start-date 2024-04-04 --end-date 2024-04-06"
LOCS="--location 185129 --location 200001"

https_run() {
	# shellcheck disable=SC2086
	bf-extract --source "$BF_HTTPS_URL/" --ca-file "$HTTPS_CA" --files OrderDetails.csv,Items.csv \
		$LOCS $DATES "$@"
}

test_expect_success HTTPS 'setup: HTTPS server and a drop' '
	make_drop drop &&
	start_https drop &&
	# shellcheck disable=SC2086
	bf-extract --source drop $LOCS $DATES --state local.db >local.out &&
	test_line_count -gt 10 local.out
'

test_expect_success HTTPS 'https gives the local-folder result' '
	https_run >https.out 2>err &&
	norm local.out >expect &&
	norm https.out >actual &&
	test_cmp expect actual
'

test_expect_success HTTPS 'a 404 is a missing file, and a date with every file 404 is a missing folder' '
	grep "GET /185129/20240405/Items.csv 404" "$HTTPS_LOG" &&
	grep "\"location\":\"185129\",\"date\":\"2024-04-05\",\"status\":\"ok\",\"folder\":\"present\",\"file_count\":1" https.out &&
	grep "\"location\":\"185129\",\"date\":\"2024-04-06\",\"status\":\"ok\",\"folder\":\"missing\",\"file_count\":0" https.out
'

test_expect_success HTTPS 'the URL template places the files' '
	mkdir -p drop/flat &&
	cp drop/185129/20240404/OrderDetails.csv drop/flat/185129-2024-04-04-OrderDetails.csv &&
	bf-extract --source "$BF_HTTPS_URL/flat" --ca-file "$HTTPS_CA" --files OrderDetails.csv \
		--url-template "{location}-{date}-{file}" --location 185129 --date 2024-04-04 >flat.out &&
	grep "GET /flat/185129-2024-04-04-OrderDetails.csv 200" "$HTTPS_LOG" &&
	grep "\"total_rows\":3" flat.out
'

test_expect_success HTTPS 'TLS is verified: an unknown CA is refused (77)' '
	test_expect_code 77 https_run --force --ca-file "$HTTPS_WRONG_CA" >out 2>err &&
	grep "TLS verification failed" err &&
	! grep "\"status\":\"ok\",\"folder\":\"present\"" out
'

test_expect_success HTTPS '5xx answers and a reset mid-body are retried, resuming with a Range' '
	: >"$HTTPS_LOG" &&
	printf "503 2\nreset 1\n" >"$HTTPS_FAULTS" &&
	bf-extract --source "$BF_HTTPS_URL/" --ca-file "$HTTPS_CA" --files Items.csv \
		--location 200001 --date 2024-04-06 --force >faults.out 2>err &&
	grep -c " 503 503$" "$HTTPS_LOG" >n503 && echo 2 >expect && test_cmp expect n503 &&
	grep "GET /200001/20240406/Items.csv 200 reset" "$HTTPS_LOG" &&
	grep "GET /200001/20240406/Items.csv 206 -" "$HTTPS_LOG" &&
	grep "resuming" err &&
	bf-extract --source drop --location 200001 --date 2024-04-06 --state l2.db >expect.raw &&
	norm expect.raw >expect &&
	norm faults.out >actual &&
	test_cmp expect actual
'

test_expect_success HTTPS 'a stalled answer times out and is retried' '
	echo "slow 1 4" >"$HTTPS_FAULTS" &&
	bf-extract --source "$BF_HTTPS_URL/" --ca-file "$HTTPS_CA" --files OrderDetails.csv \
		--location 185129 --date 2024-04-04 --force --timeout 1 >slow.out 2>err &&
	grep "retry 1 of" err &&
	grep "\"total_rows\":3" slow.out
'

test_expect_success HTTPS '--retries 0 means no retry: one request, then 69; the default stays 5' '
	: >"$HTTPS_LOG" &&
	echo "503 9" >"$HTTPS_FAULTS" &&
	test_expect_code 69 bf-extract --source "$BF_HTTPS_URL/" --ca-file "$HTTPS_CA" --files OrderDetails.csv \
		--location 185129 --date 2024-04-04 --force --retries 0 >r0.out 2>err &&
	grep "server unavailable after 0 retries: HTTP 503" err &&
	! grep "retry 1 of" err &&
	test_line_count = 1 "$HTTPS_LOG" &&
	: >"$HTTPS_LOG" &&
	echo "503 9" >"$HTTPS_FAULTS" &&
	test_expect_code 69 bf-extract --source "$BF_HTTPS_URL/" --ca-file "$HTTPS_CA" \
		--files OrderDetails.csv --location 185129 --date 2024-04-04 --force >r5.out 2>err &&
	grep "retry 5 of 5" err &&
	test_line_count = 6 "$HTTPS_LOG" &&
	: >"$HTTPS_FAULTS"
'

test_expect_success HTTPS,SQLITE3 'server down for good: 69 after the retries and a failed date in the state file' '
	"$BF_SERVERS/https.sh" stop "$HTTPS_DIR" &&
	test_expect_code 69 bf-extract --source "$BF_HTTPS_URL/" --ca-file "$HTTPS_CA" \
		--files OrderDetails.csv --location 185129 --date 2024-04-04 --force --retries 2 \
		>down.out 2>err &&
	grep "server unavailable after 2 retries" err &&
	grep "\"status\":\"failed\".*\"exit_code\":69" down.out &&
	echo failed >expect &&
	sqlite3 "$BF_STATE" "select status from partitions where source = '\''$BF_HTTPS_URL/'\'' and location = '\''185129'\'' and date = '\''2024-04-04'\''" >actual &&
	test_cmp expect actual
'

test_expect_success HTTPS 'https needs --files, and refuses unsafe names and credentials in the URL' '
	test_expect_code 64 bf-extract --source "$BF_HTTPS_URL/" --location 1 --date 2024-04-04 2>err &&
	grep -e "--files" err &&
	test_expect_code 64 bf-extract --source "$BF_HTTPS_URL/" --files ../../etc/passwd \
		--location 1 --date 2024-04-04 2>err &&
	grep "unsafe file name" err &&
	test_expect_code 64 bf-extract --source "https://u:pw@127.0.0.1/" --files a.csv \
		--location 1 --date 2024-04-04 2>err
'

test_expect_success HTTPS,TIMEV 'a 200 MB file streams with flat memory' '
	"$BF_SERVERS/https.sh" restart "$HTTPS_DIR" &&
	. "$HTTPS_DIR/env" &&
	mkdir -p drop/L9/20240101 &&
	awk "BEGIN { print \"id,name,amount,note\"; for (i = 0; i < 3400000; i++) printf \"%d,item number %d,%d.%02d,some longer text to make the rows wide\n\", i, i % 5000, i % 977, i % 100 }" \
		>drop/L9/20240101/Huge.csv &&
	test $(stat -c %s drop/L9/20240101/Huge.csv) -gt 200000000 &&
	/usr/bin/time -v -o huge.time bf-extract --source "$BF_HTTPS_URL" --ca-file "$HTTPS_CA" \
		--files Huge.csv --location L9 --date 2024-01-01 >huge.out &&
	grep "\"total_rows\":3400000" huge.out &&
	echo "# peak RSS $(peak_kb huge.time) kB" &&
	if test_have_prereq NOSAN; then test "$(peak_kb huge.time)" -lt 32768; fi
'

test_done
