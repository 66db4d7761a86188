#!/usr/bin/env bash
test_description='bf-search on SQLite: nearest neighbours, exactness, text, hybrid, filters, errors'
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd jq sqlite3 python3
. "$TEST_DIRECTORY/lib/search-fixture.sh"

test_expect_success 'setup: a hand-made set and a generated one, embedded offline' '
	cat >hand.ndjson <<-\EOF &&
	{"type":"SCHEMA","stream":"work_orders","schema":{"type":"object","properties":{"id":{"type":"string"},"description":{"type":["string","null"]}}},"key_properties":["id"]}
	{"type":"RECORD","stream":"work_orders","record":{"id":"a","description":"ventilator alarm","_bf_date":"2024-01-01","_bf_location":"1"}}
	{"type":"RECORD","stream":"work_orders","record":{"id":"b","description":"ventilator alarm keeps sounding","_bf_date":"2024-01-01","_bf_location":"1"}}
	{"type":"RECORD","stream":"work_orders","record":{"id":"c","description":"alarm","_bf_date":"2024-01-01","_bf_location":"1"}}
	{"type":"RECORD","stream":"work_orders","record":{"id":"d","description":"leaking faucet","_bf_date":"2024-01-01","_bf_location":"1"}}
	{"type":"RECORD","stream":"work_orders","record":{"id":"e","description":"Caf\u00e9 cr\u00e8me machine","_bf_date":"2024-01-01","_bf_location":"1"}}
	{"type":"RECORD","stream":"work_orders","record":{"id":"f","description":null,"_bf_date":"2024-01-01","_bf_location":"1"}}
	{"type":"SCHEMA","stream":"orders","schema":{"type":"object","properties":{"order_id":{"type":"string"}}},"key_properties":[]}
	{"type":"RECORD","stream":"orders","record":{"order_id":"1","_bf_date":"2024-01-01","_bf_location":"1"}}
	{"type":"STATE","value":{"bf":{"location":"1","date":"2024-01-01","source":"t"}}}
	EOF
	bf-enrich --embed work_orders.description:64 <hand.ndjson | bf-load --target hand.db >/dev/null &&
	{
		for d in 01 02 03 04 05 06; do
			wo_gen 150 2024-02-$d 10 $d && wo_gen 100 2024-02-$d 20 $((d + 50))
		done
	} >gen.ndjson &&
	bf-enrich --embed work_orders.description:32 <gen.ndjson | bf-load --target gen.db >/dev/null &&
	test "$(sqlite3 gen.db "select count(*) from work_orders")" = 1500 &&
	cp gen.db ro.db && chmod 444 ro.db
'

test_expect_success 'bf-load records how the column was embedded' '
	sqlite3 gen.db "select type, embedding from _bf_columns where stream = \"work_orders\" and \"column\" = \"description_embedding\"" >got &&
	echo "vector|{\"method\":\"hash\",\"dim\":32,\"columns\":[\"description\"]}" >expect &&
	test_cmp expect got
'

test_expect_success 'known nearest neighbours on the hand-made set' '
	bf-search --target hand.db --json "ventilator alarm" >out &&
	jq -r ".record.id" out >got &&
	printf "a\nb\nc\n" >expect && head -n 3 got >top && test_cmp expect top &&
	jq -r "select(.rank == 1) | .score" out >s1 && test "$(cat s1)" = 1 &&
	jq -r "select(.record.id == \"f\" or .record.id == \"d\") | .score" out >zero &&
	! grep -v "^0$" zero &&
	jq -s -e ".[0] | .stream == \"work_orders\" and (.record | has(\"description_embedding\") | not)" out
'

test_expect_success 'exact against a brute-force reference on the generated set' '
	for q in wo-2024-02-01-10-7 wo-2024-02-03-20-42 wo-2024-02-06-10-150; do
		text=$(sqlite3 gen.db "select description from work_orders where id = \"$q\"") &&
		search_ref vectors gen.db "$q" 25 >ref &&
		bf-search --target gen.db --json -k 25 "$text" >got &&
		search_ref check ref got || return 1
		bf-search --target gen.db --json -k 25 --threads 1 "$text" >got1 &&
		test_cmp got got1 || return 1
	done
'

test_expect_success 'filters: dates and location, against the reference' '
	q=wo-2024-02-04-20-3 &&
	text=$(sqlite3 gen.db "select description from work_orders where id = \"$q\"") &&
	search_ref vectors gen.db "$q" 15 "_bf_date BETWEEN \"2024-02-02\" AND \"2024-02-04\" AND _bf_location = \"20\"" >ref &&
	bf-search --target gen.db --json -k 15 --start-date 2024-02-02 --end-date 20240204 --location 20 "$text" >got &&
	search_ref check ref got &&
	jq -r ".record._bf_date + \" \" + .record._bf_location" got | sort -u >dl &&
	! grep -v -E "^2024-02-0[234] 20$" dl
'

test_expect_success 'closure markers are left out unless asked for' '
	{
		echo "{\"type\":\"SCHEMA\",\"stream\":\"work_orders\",\"schema\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},\"description\":{\"type\":[\"string\",\"null\"]},\"closure_indicator\":{\"type\":[\"boolean\",\"null\"]}}},\"key_properties\":[]}" &&
		echo "{\"type\":\"RECORD\",\"stream\":\"work_orders\",\"record\":{\"id\":\"z\",\"description\":\"ventilator alarm\",\"closure_indicator\":true,\"_bf_date\":\"2024-01-02\",\"_bf_location\":\"1\"}}" &&
		echo "{\"type\":\"STATE\",\"value\":{\"bf\":{\"location\":\"1\",\"date\":\"2024-01-02\",\"source\":\"t\"}}}"
	} | bf-enrich --embed work_orders.description:64 | bf-load --target hand.db >/dev/null &&
	bf-search --target hand.db --json "ventilator alarm" | jq -r .record.id >got &&
	! grep -x z got &&
	bf-search --target hand.db --json --include-closures "ventilator alarm" | jq -r .record.id >got &&
	grep -x z got &&
	bf-search --target hand.db --json --mode text "ventilator" | jq -r .record.id >got &&
	! grep -x z got
'

test_expect_success 'text hits equal a word match on the same column' '
	for w in freezer thermostat leaking; do
		bf-search --target gen.db --json --mode text -k 100000 "$w" | jq -r .record.id | sort >got &&
		sqlite3 gen.db "select id, description from work_orders" |
			awk -F"|" -v w="$w" "{ n = split(tolower(\$2), t, /[^a-z0-9]+/); for (i = 1; i <= n; i++) if (t[i] == w) { print \$1; break } }" |
			sort >expect &&
		test -s expect && test_cmp expect got || return 1
	done
'

test_expect_success 'text: case and accents do not matter; several words rank by BM25' '
	bf-search --target hand.db --json --mode text "CAFE creme" | jq -r .record.id >got &&
	echo e >expect && test_cmp expect got &&
	bf-search --target hand.db --json --mode text "ventilator sounding" | jq -r .record.id >got &&
	head -n 1 got >top && echo b >expect && test_cmp expect top
'

test_expect_success 'hybrid: distinct records, fused ranks (k = 60)' '
	bf-search --target gen.db --json --mode hybrid -k 20 "leaking faucet freezer door" >h &&
	test_line_count = 20 h &&
	jq -r .record.id h | sort | uniq -d >dups && test ! -s dups &&
	jq -r .score h >s && sort -g -r s >sorted && test_cmp sorted s &&
	top=$(head -n 1 s) &&
	test "$(echo "$top <= 2 / 61 + 0.000001" | bc -l)" = 1
'

test_expect_success 'a table on the terminal, 80 columns' '
	bf-search --target gen.db -k 5 "cold room" >table &&
	test_line_count = 6 table &&
	head -n 1 table | grep "^RANK  SCORE" &&
	awk "length > 80 { bad = 1 } END { exit bad }" table
'

test_expect_success 'no embedding column: the error names the streams that have one' '
	test_expect_code 64 bf-search --target hand.db --stream orders "x" 2>err &&
	grep "orders has no embedding column; streams with one: work_orders (description_embedding)" err &&
	test_expect_code 64 bf-search --target hand.db --stream nope "x" 2>err &&
	grep "no stream nope" err &&
	bf-search --target hand.db --stream orders --mode text --json "1" | jq -r .record.order_id >got &&
	echo 1 >expect && test_cmp expect got
'

test_expect_success 'usage and exit codes' '
	test_expect_code 64 bf-search "x" &&
	test_expect_code 64 bf-search --target hand.db &&
	test_expect_code 64 bf-search --target hand.db --mode nope x &&
	test_expect_code 64 bf-search --target hand.db --k 0 x &&
	test_expect_code 64 bf-search --target hand.db --start-date 2024-13-01 x &&
	test_expect_code 64 bf-search --target dir:x x &&
	test_expect_code 66 bf-search --target missing.db x &&
	test_expect_code 64 bf-search --target hand.db "!!!" &&
	bf-search --help >help && grep "^Usage: bf-search" help && grep "^Exit status" help &&
	bf-search --version | grep "^bf-search "
'

test_expect_success 'a read-only warehouse: vectors are searched, the text index is asked for' '
	own_unprivileged ro.db &&
	run_unprivileged bf-search --target ro.db --json -k 3 "cold room" >ro &&
	test_line_count = 3 ro &&
	test_expect_code 66 run_unprivileged bf-search --target ro.db --mode text "cold" 2>err &&
	grep "bf-search --index" err
'

test_expect_success 'the man page renders in 80 columns without warnings' '
	MANWIDTH=80 man --warnings -l "$BF_SRC/bin/bf-search.1" >man.txt 2>warn &&
	test ! -s warn && grep "EXIT STATUS" man.txt &&
	awk "length > 80 { bad = 1 } END { exit bad }" man.txt
'

test_done
