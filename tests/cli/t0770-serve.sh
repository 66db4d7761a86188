#!/usr/bin/env bash
test_description='bf-serve: the HTTP API on loopback (auth, status codes, runs, analytics, load, signals)'
. "$(dirname "$0")/../lib/test-lib.sh"

TOKEN=t0ken-$$-secret
AUTH="Authorization: Bearer $TOKEN"
# The sanitizer run checks memory, not volume.
if [ "${BF_TEST_SANITIZE:-0}" = 1 ]; then
	GETS=2000 LOAD_DAYS=40 LOAD_ORDERS=40
else
	GETS=10000 LOAD_DAYS=120 LOAD_ORDERS=120
fi

q() { sqlite3 -batch -readonly -noheader "$1" "$2"; }

# serve NAME ARGS...: bf-serve on a free loopback port in the background; PORT_<NAME>,
# PID_<NAME> and URL_<NAME> are set, its stderr is in NAME.err.
serve() {
	local name=$1 port
	shift
	port=$(free_port) || return 1
	test_bg bf-serve --listen "127.0.0.1:$port" --token-file token "$@" 2>"$name.err"
	printf -v "PORT_$name" %s "$port"
	printf -v "PID_$name" %s "$TEST_BG_PID"
	printf -v "URL_$name" %s "http://127.0.0.1:$port"
	wait_for_port 127.0.0.1 "$port" 20
}

# api URL METHOD PATH [BODY-FILE]: the status on stdout, the body in out.json
api() {
	local args=(-s -o out.json -w '%{http_code}' -X "$2" -H "$AUTH")
	[ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "@$4")
	curl "${args[@]}" "$1$3"
}

# status URL: GET /api/backfill into st.json
status() { curl -sf -H "$AUTH" "$1/api/backfill" >st.json; }
running() { status "$1" && test "$(jq .running st.json)" = true; }
idle() { status "$1" && test "$(jq .running st.json)" = false; }

test_expect_success SQLITE3,JQ,CURL 'setup: a loaded backfill and a token only its owner reads' '
	bf-sample --out drop --seed 11 --days 40 --orders-per-day 20 --locations 2 --quiet &&
	bf-run --source drop --target w.db --all --state s.db --no-log -q &&
	printf "%s\n" "$TOKEN" >token && chmod 600 token &&
	serve A --source drop --target w.db --state s.db --log-dir . --threads 2
'

test_expect_success 'a token file group or others may read: refused (77), nothing listens' '
	printf "%s\n" "$TOKEN" >open-token && chmod 640 open-token &&
	port=$(free_port) &&
	test_expect_code 77 bf-serve --source drop --target w.db --state s.db --token-file open-token \
		--listen 127.0.0.1:$port 2>err &&
	grep -q "may be read by group or others" err &&
	test_expect_code 64 bf-serve --source drop --target w.db --state s.db 2>err &&
	grep -q -- "--token-file is required" err
'

test_expect_success CURL,JQ 'without the token, or with a wrong one: 401 with a JSON error' '
	test "$(curl -s -o out.json -w "%{http_code}" $URL_A/api/backfill)" = 401 &&
	jq -e ".error | test(\"bearer token\")" out.json &&
	test "$(curl -s -o out.json -w "%{http_code}" -H "Authorization: Bearer wrong" $URL_A/api/backfill)" = 401 &&
	test "$(curl -s -o out.json -w "%{http_code}" -H "Authorization: Bearer ${TOKEN}x" $URL_A/metrics)" = 401 &&
	test "$(curl -s -o out.json -w "%{http_code}" -H "Authorization: Basic $TOKEN" $URL_A/api/backfill)" = 401 &&
	curl -s -D hdr -o /dev/null $URL_A/api/backfill && grep -qi "^WWW-Authenticate: Bearer" hdr &&
	# not even whether a path or a method exists is told without it
	test "$(curl -s -o /dev/null -w "%{http_code}" $URL_A/api/nope)" = 401 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -X DELETE $URL_A/api/backfill)" = 401 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" $URL_A/)" = 200 &&
	test "$(api $URL_A GET /api/backfill)" = 200
'

test_expect_success CURL,JQ 'unknown paths 404, wrong methods 405 (with Allow), all as JSON errors' '
	test "$(api $URL_A GET /api/nope)" = 404 && jq -e .error out.json &&
	test "$(api $URL_A GET /api/backfill/runs/abc)" = 404 &&
	test "$(api $URL_A GET /api/backfill/runs/999)" = 404 &&
	test "$(api $URL_A POST /api/backfill)" = 405 && jq -e .error out.json &&
	test "$(api $URL_A GET /api/backfill/run)" = 405 &&
	test "$(api $URL_A DELETE /metrics)" = 405 &&
	curl -s -D hdr -o /dev/null -X PUT -H "$AUTH" $URL_A/api/backfill/run && grep -qi "^Allow: POST" hdr
'

test_expect_success CURL,JQ 'a malformed body 400, an oversized one 413, a bad request 400' '
	printf "{\"all\": tru}" >bad.json &&
	test "$(api $URL_A POST /api/backfill/run bad.json)" = 400 && jq -e ".error | test(\"not JSON\")" out.json &&
	printf "{\"all\":true} x" >bad2.json &&
	test "$(api $URL_A POST /api/backfill/run bad2.json)" = 400 &&
	printf "{\"dates\":[\"2024-02-30\"]}" >bad3.json &&
	test "$(api $URL_A POST /api/backfill/run bad3.json)" = 400 &&
	printf "{\"all\":true,\"shell\":\"rm -rf /\"}" >bad4.json &&
	test "$(api $URL_A POST /api/backfill/run bad4.json)" = 400 && jq -e ".error | test(\"unknown member\")" out.json &&
	printf "{}" >bad5.json &&
	test "$(api $URL_A POST /api/backfill/run bad5.json)" = 400 &&
	head -c 1048577 /dev/zero | tr "\\0" " " >big.json &&
	test "$(api $URL_A POST /api/backfill/run big.json)" = 413 && jq -e ".error | test(\"over\")" out.json &&
	# the same without a Content-Length (chunked): read up to the limit, then refused
	test "$(curl -s -o out.json -w "%{http_code}" -H "$AUTH" -H "Transfer-Encoding: chunked" \
		--data-binary @big.json $URL_A/api/backfill/run)" = 413 &&
	test "$(api $URL_A GET /api/analytics/daily-trends?start_date=yesterday)" = 400 &&
	idle $URL_A
'

test_expect_success SQLITE3,JQ 'GET /api/backfill: partitions by status and the last run, as in the state file' '
	status $URL_A &&
	for st in loaded closed failed pending running; do
		test "$(jq .partitions.$st st.json)" = "$(q s.db "select count(*) from partitions where status = '\''$st'\''")" || return 1
	done &&
	test "$(jq .partitions.total st.json)" = "$(q s.db "select count(*) from partitions")" &&
	test "$(jq ".runs[0].run_id" st.json)" = "$(q s.db "select max(run_id) from runs where stage = '\''run'\''")" &&
	test "$(jq ".runs[0].exit_code" st.json)" = 0 &&
	test "$(jq ".runs[0].summary.rows_loaded" st.json)" = "$(q s.db "select sum(loaded_rows) from partitions")" &&
	test "$(jq .current st.json)" = null
'

test_expect_success JQ 'closure summary: the numbers of bf-report closures --json, with total and weekends' '
	test "$(api $URL_A GET /api/analytics/closure-summary)" = 200 &&
	bf-report --state s.db --source drop closures --json >want.json &&
	jq -S "del(.total, .weekends, .holiday_periods)" out.json >got.json &&
	jq -S . want.json >want.sorted &&
	test_cmp want.sorted got.json &&
	test "$(jq .total out.json)" = "$(q s.db "select count(*) from closures where verdict = '\''closed'\''")" &&
	test "$(jq .total out.json)" -gt 0 &&
	test "$(jq .weekends.closed out.json)" = "$(jq "[.by_weekday[] | select(.weekday == \"Sat\" or .weekday == \"Sun\") | .closed] | add" want.json)" &&
	jq -e ".holiday_periods == .holiday_like" out.json
'

test_expect_success SQLITE3,JQ 'daily trends: open location-days only, rows, orders and sales from the warehouse' '
	test "$(api $URL_A GET /api/analytics/daily-trends)" = 200 &&
	jq -r ".days[] | [.date, .location, .rows, .orders] | @csv" out.json | tr -d "\"" >got &&
	q w.db "select date, location, rows, rows from order_details_daily where not closed order by 1, 2" | tr "|" , >want &&
	test_cmp want got &&
	test -s got &&
	# no closed location-day is in it
	q w.db "select date || \",\" || location from order_details_daily where closed" >closed &&
	test -s closed &&
	jq -r ".days[] | .date + \",\" + .location" out.json >days &&
	! grep -F -x -f closed days &&
	test "$(jq "[.days[].sales] | add * 100 | round" out.json)" = \
	     "$(q w.db "select cast(round(sum(amount) * 100) as integer) from order_details_daily where not closed")" &&
	d=$(head -1 got | cut -d, -f1) && l=$(head -1 got | cut -d, -f2) &&
	test "$(api $URL_A GET "/api/analytics/daily-trends?start_date=$d&end_date=$d&location=$l")" = 200 &&
	test "$(jq ".days | length" out.json)" = 1
'

test_expect_success PG,JQ 'daily trends from a PostgreSQL warehouse: the same days as from SQLite' '
	start_pg &&
	# one worker: two bf-loads creating the same PostgreSQL table at once can collide
	bf-run --source drop --target "$BF_PG_URL" --all --state sp.db --no-log -q --max-workers 1 &&
	serve G --source drop --target "$BF_PG_URL" --state sp.db --log-dir . &&
	test "$(api $URL_G GET /api/analytics/daily-trends)" = 200 &&
	jq -c "[.days[] | [.date, .location, .rows, .orders, (.sales * 100 | round)]]" out.json >pg.days &&
	curl -sf -H "$AUTH" $URL_A/api/analytics/daily-trends |
		jq -c "[.days[] | [.date, .location, .rows, .orders, (.sales * 100 | round)]]" >lite.days &&
	test_cmp lite.days pg.days &&
	test "$(jq length pg.days)" -gt 0 &&
	d=$(jq -r ".[0][0]" pg.days) &&
	test "$(api $URL_G GET "/api/analytics/daily-trends?start_date=$d&end_date=$d")" = 200 &&
	test "$(jq ".days | length" out.json)" = "$(jq "[.[] | select(.[0] == \"$d\")] | length" pg.days)"
'

test_expect_success SQLITE3,JQ,CURL 'GET /api/search: the results of bf-search --json, in-process; bad arguments 400' '
	bf-extract --source drop --all --state se.db 2>/dev/null |
	bf-enrich --embed item_selection_details.menu_item:32 |
	bf-load --target sw.db --state se.db >/dev/null &&
	serve S --source drop --target sw.db --state se.db --log-dir . &&
	# the server never writes to the warehouse: bf-search --index makes the text index
	sqlite3 sw.db "select name from sqlite_master order by name" >objects.before &&
	test "$(api $URL_S GET "/api/search?q=burger&k=5")" = 200 &&
	test "$(jq ".results | length" out.json)" = 5 &&
	test "$(api $URL_S GET "/api/search?q=burger&mode=text")" = 503 &&
	jq -e ".error | test(\"bf-search --index\")" out.json &&
	sqlite3 sw.db "select name from sqlite_master order by name" >objects.after &&
	test_cmp objects.before objects.after &&
	bf-search --target sw.db --index 2>/dev/null &&
	for mode in vector text hybrid; do
		bf-search --target sw.db --json -k 5 --mode $mode --location 185130 "burger" | jq -c . >expect &&
		test_line_count = 5 expect &&
		test "$(api $URL_S GET "/api/search?q=burger&k=5&mode=$mode&location=185130")" = 200 &&
		jq -c ".results[]" out.json >got &&
		test_cmp expect got &&
		test "$(jq -r .mode out.json)" = $mode &&
		test "$(jq -r .stream out.json)" = item_selection_details || return 1
	done &&
	test "$(jq -r .column out.json)" = menu_item_embedding &&
	bf-search --target sw.db --json -k 3 --start-date 2024-01-10 --end-date 2024-01-12 "salad" | jq -c . >expect &&
	test "$(api $URL_S GET "/api/search?q=salad&k=3&start_date=2024-01-10&end_date=2024-01-12")" = 200 &&
	jq -c ".results[]" out.json >got && test_cmp expect got &&
	jq -r ".results[].record._bf_date" out.json | sort -u >dates &&
	awk "\$0 < \"2024-01-10\" || \$0 > \"2024-01-12\" { bad = 1 } END { exit bad }" dates &&
	test "$(api $URL_S GET "/api/search?q=x%20y&stream=item_selection_details&exact=1")" = 200 &&
	test "$(jq -r .used_index out.json)" = false &&
	test "$(api $URL_S GET /api/search)" = 400 && jq -e ".error | test(\"q:\")" out.json &&
	test "$(api $URL_S GET "/api/search?q=x&k=0")" = 400 &&
	test "$(api $URL_S GET "/api/search?q=x&k=abc")" = 400 &&
	test "$(api $URL_S GET "/api/search?q=x&mode=fuzzy")" = 400 &&
	test "$(api $URL_S GET "/api/search?q=x&start_date=2024-13-01")" = 400 &&
	test "$(api $URL_S GET "/api/search?q=x&stream=nope")" = 400 && jq -e ".error | test(\"no stream nope\")" out.json &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "$URL_S/api/search?q=x")" = 401 &&
	# the state warehouse of server A has no embedding column: said, not a crash
	test "$(api $URL_A GET "/api/search?q=x")" = 400 && jq -e .error out.json
'

test_expect_success 'GET /metrics is bf-report --prometheus' '
	curl -sf -H "$AUTH" $URL_A/metrics >got.prom &&
	bf-report --state s.db --source drop --prometheus >want.prom &&
	test_cmp want.prom got.prom &&
	grep -q "^bf_dates{status=\"loaded\"}" got.prom
'

test_expect_success CHROMIUM,SQLITE3 'the page at / renders in Chromium and its numbers are the state file'"'"'s' '
	chromium --headless --no-sandbox --disable-gpu --user-data-dir="$TRASH_DIRECTORY/chromium" \
		--dump-dom "$URL_A/" >dom.html 2>chromium.err &&
	grep -q "<svg id=\"calendar\"" dom.html &&
	test "$(grep -o "<rect class=\"day " dom.html | wc -l)" = 40 &&
	grep -q "<tr data-key=\"rows_loaded\"><th>Rows loaded</th><td>$(q s.db "select sum(loaded_rows) from partitions")</td>" dom.html &&
	bf-report --state s.db --source drop summary --json >sum.json &&
	# a date closed at some locations only is loaded, drawn as a class of its own
	partly=$(jq .overall.dates_partly_closed sum.json) &&
	test "$(grep -o "<rect class=\"day partly" dom.html | wc -l)" = "$partly" &&
	for st in loaded closed failed pending missing; do
		want=$(jq .overall.$st sum.json) &&
		cells=$(grep -o "<rect class=\"day $st\"" dom.html | wc -l || :) &&
		if [ $st = loaded ]; then cells=$((cells + partly)); fi &&
		test "$cells" = "$want" &&
		grep -q "<tr data-key=\"$st\"><th>[^<]*</th><td>$want</td>" dom.html || return 1
	done
'

test_expect_success CURL 'a slow client that never finishes its request does not block others' '
	for i in 1 2 3 4 5 6 7 8; do
		eval "exec {fd$i}<>/dev/tcp/127.0.0.1/$PORT_A" &&
		eval "printf \"GET /api/backfill HTTP/1.1\\r\\nHost: x\\r\\nAuthorization: Bea\" >&\$fd$i" || return 1
	done &&
	printf "{\"all\":true}" >slow.json &&
	exec {fdb}<>/dev/tcp/127.0.0.1/$PORT_A &&
	printf "POST /api/backfill/run HTTP/1.1\r\nHost: x\r\n%s\r\nContent-Length: 100\r\n\r\n{\"al" "$AUTH" >&$fdb &&
	for i in 1 2 3 4 5; do
		test "$(curl -s -o /dev/null -w "%{http_code}" --max-time 2 -H "$AUTH" $URL_A/api/backfill)" = 200 || return 1
	done &&
	for i in 1 2 3 4 5 6 7 8; do eval "exec {fd$i}>&-"; done && exec {fdb}>&-
'

test_expect_success SQLITE3,JQ 'POST run: 202 with the run id, 409 while it runs, its log when it ends' '
	bf-sample --out drop2 --seed 5 --days 30 --orders-per-day 30 --locations 2 --quiet &&
	mkdir logs &&
	serve B --source drop2 --target w2.db --state s2.db --log-dir logs -- --batch-size 1 &&
	printf "{\"start_date\":\"2024-01-01\",\"end_date\":\"2024-01-30\",\"max_workers\":1}" >run.json &&
	test "$(api $URL_B POST /api/backfill/run run.json)" = 202 &&
	id=$(jq .run_id out.json) && test "$id" -ge 1 &&
	test "$(jq .dates_to_run out.json)" = 30 &&
	jq -e ".argv | index(\"--source\") and index(\"--log\")" out.json &&
	test "$(api $URL_B POST /api/backfill/run run.json)" = 409 && jq -e ".error | test(\"is going\")" out.json &&
	running $URL_B && test "$(jq .current.run_id st.json)" = "$id" &&
	test "$(jq .current.dates.total st.json)" = 30 &&
	# once bf-run recorded its progress, the figures are its own (run_progress)
	wait_until "status $URL_B && jq -e \".current.partitions.done >= 2\" st.json" 60 &&
	test "$(q s2.db "select partitions_planned from run_progress where run_id = $id")" = 60 &&
	test "$(jq -r "[.current.state, .current.partitions.planned] | join(\"|\")" st.json)" = "running|60" &&
	wait_until "idle $URL_B" 120 &&
	test "$(jq .runs[0].exit_code st.json)" = 0 &&
	test "$(jq .runs[0].summary.dates st.json)" = 30 &&
	test "$(api $URL_B GET /api/backfill/runs/$id)" = 200 &&
	test "$(jq .run_id out.json)" = "$id" && test "$(jq .exit_code out.json)" = 0 &&
	test "$(jq .summary.processed out.json)" = 30 &&
	cmp out.json "$(ls logs/bf-run-*.json)" &&
	grep -q "bf-run (pid [0-9]*, run $id) ended: exit 0" B.err
'

test_expect_success SQLITE3,JQ "$GETS GETs from 16 connections while a backfill runs: no error, the same result as bf-run" '
	bf-sample --out drop3 --seed 9 --days $LOAD_DAYS --orders-per-day $LOAD_ORDERS --locations 2 --quiet &&
	serve C --source drop3 --target w3.db --state s3.db --log-dir . &&
	printf "{\"all\":true,\"max_workers\":2}" >all.json &&
	test "$(api $URL_C POST /api/backfill/run all.json)" = 202 &&
	running $URL_C &&
	bf-hammer -c 16 -n $GETS -t 120 -H "$AUTH" $URL_C/api/backfill >load.json &&
	cat load.json >&2 &&
	test "$(jq .errors load.json)" = 0 && test "$(jq .ok load.json)" = $GETS &&
	wait_until "idle $URL_C" 300 &&
	test "$(jq .runs[0].exit_code st.json)" = 0 &&
	bf-run --source drop3 --target plain.db --all --state plain-state.db --no-log -q &&
	test "$(sqlite_checksum w3.db "select * from order_details")" = "$(sqlite_checksum plain.db "select * from order_details")" &&
	test "$(sqlite_checksum w3.db "select * from payment_details")" = "$(sqlite_checksum plain.db "select * from payment_details")" &&
	test "$(sqlite_checksum s3.db "select location, date, status, rows, loaded_rows from partitions")" = \
	     "$(sqlite_checksum plain-state.db "select location, date, status, rows, loaded_rows from partitions")"
'

test_expect_success SQLITE3,JQ 'SIGTERM: the server stops its backfill the way bf-run stops (75), a bf-run resumes it' '
	bf-sample --out drop4 --seed 13 --days 40 --orders-per-day 30 --locations 1 --quiet &&
	serve D --source drop4 --target w4.db --state s4.db --log-dir . --stop-timeout 20 -- --batch-size 1 &&
	printf "{\"all\":true,\"max_workers\":1}" >all.json &&
	test "$(api $URL_D POST /api/backfill/run all.json)" = 202 &&
	id=$(jq .run_id out.json) &&
	wait_until "status $URL_D && test \$(jq .current.dates.processed st.json) -ge 2" 60 &&
	kill -TERM $PID_D &&
	wait_until "! kill -0 $PID_D 2>/dev/null" 60 &&
	wait $PID_D; test $? = 0 &&
	grep -q "stopping bf-run" D.err &&
	test "$(q s4.db "select exit_code from runs where run_id = $id")" = 75 &&
	test "$(q s4.db "select count(*) from partitions where status = '\''running'\''")" = 0 &&
	test "$(q s4.db "select count(*) from partitions where status in ('\''loaded'\'', '\''closed'\'')")" -lt 40 &&
	bf-run --source drop4 --target w4.db --all --state s4.db --no-log -q &&
	test "$(q s4.db "select count(*) from partitions where status in ('\''loaded'\'', '\''closed'\'')")" = 40
'

test_expect_success SQLITE3,JQ 'a restarted server finds the run it started in the state file' '
	bf-sample --out drop5 --seed 17 --days 30 --orders-per-day 30 --locations 1 --quiet &&
	mkdir logs5 &&
	serve E --source drop5 --target w5.db --state s5.db --log-dir logs5 -- --batch-size 1 &&
	printf "{\"all\":true,\"max_workers\":1}" >all.json &&
	test "$(api $URL_E POST /api/backfill/run all.json)" = 202 &&
	id=$(jq .run_id out.json) && pid=$(jq .pid out.json) &&
	kill -KILL $PID_E && wait_until "! kill -0 $PID_E 2>/dev/null" 10 &&
	test_atexit "kill $pid 2>/dev/null || :" &&
	kill -0 $pid &&
	serve F --source drop5 --target w5.db --state s5.db --log-dir logs5 &&
	running $URL_F && test "$(jq .current.run_id st.json)" = "$id" &&
	test "$(api $URL_F POST /api/backfill/run all.json)" = 409 &&
	wait_until "idle $URL_F" 120 &&
	test "$(jq .runs[0].exit_code st.json)" = 0 &&
	test "$(api $URL_F GET /api/backfill/runs/$id)" = 200 && test "$(jq .exit_code out.json)" = 0 ||
	{ echo "run $id, bf-run pid $pid:" >&2; cat E.err F.err st.json out.json >&2; false; }
'

# valgrind cannot run a sanitizer build: then the plain build's bf-serve (as t0260 does)
SERVE_VG=$(command -v bf-serve)
if ldd "$SERVE_VG" 2>/dev/null | grep libasan >/dev/null; then
	SERVE_VG=$BF_SRC/build/bf-serve
fi
test_lazy_prereq PLAIN_SERVE '[ -x "$SERVE_VG" ] && ! ldd "$SERVE_VG" | grep libasan >/dev/null'
test_expect_success VALGRIND,PLAIN_SERVE,JQ 'valgrind: a short session (every endpoint, a run, SIGTERM) leaks nothing' '
	rm -rf logs6 && mkdir logs6 &&
	port=$(free_port) &&
	test_bg valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
		--log-file=vg.log "$SERVE_VG" --listen 127.0.0.1:$port --token-file token --source drop2 \
		--target w6.db --state s6.db --log-dir logs6 --threads 2 &&
	vg=$TEST_BG_PID && U=http://127.0.0.1:$port &&
	wait_for_port 127.0.0.1 $port 60 &&
	printf "{\"dates\":[\"2024-01-01\",\"2024-01-02\"]}" >two.json &&
	test "$(api $U POST /api/backfill/run two.json)" = 202 &&
	wait_until "idle $U" 120 &&
	bf-search --target w6.db --index --stream order_details 2>/dev/null &&
	for p in /api/backfill /api/backfill/runs/1 /api/analytics/closure-summary /api/analytics/daily-trends /metrics / /nope \
		"/api/search?q=burger" "/api/search?q=burger&stream=order_details&mode=text"; do
		api $U GET "$p" >/dev/null || return 1
	done &&
	test "$(jq -r .mode out.json)" = text &&
	test "$(api $U POST /api/backfill/run bad.json)" = 400 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" $U/api/backfill)" = 401 &&
	kill -TERM $vg && wait_until "! kill -0 $vg 2>/dev/null" 60 &&
	{ wait $vg; code=$?; } ; cat vg.log >&2; test $code = 0 && ! grep -q "lost" vg.log
'

test_done
