#!/usr/bin/env bash
test_description='bf-search on PostgreSQL: real[] vectors exact against a reference, tsvector text, filters, replaced partitions'
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd jq python3
. "$TEST_DIRECTORY/lib/search-fixture.sh"

test_expect_success PG 'setup: a generated set loaded into PostgreSQL' '
	start_pg &&
	{
		for d in 01 02 03 04; do
			wo_gen 120 2024-02-$d 10 $d && wo_gen 80 2024-02-$d 20 $((d + 50))
		done
	} | bf-enrich --embed work_orders.description:32 >gen.ndjson &&
	bf-load --target "$BF_PG_URL" <gen.ndjson >/dev/null &&
	test "$(psql -X -At -c "select count(*) from work_orders")" = 800 &&
	test "$(psql -X -At -c "select embedding from _bf_columns where \"column\" = \$\$description_embedding\$\$")" = \
		"{\"method\":\"hash\",\"dim\":32,\"columns\":[\"description\"]}"
'

pg_vectors() {
	psql -X -At -F "	" -c "select id, description_embedding from work_orders where description_embedding is not null ${1:-} order by ctid"
}

test_expect_success PG 'exact against a brute-force reference' '
	pg_vectors >vec.tsv &&
	for q in wo-2024-02-01-10-7 wo-2024-02-03-20-42 wo-2024-02-04-10-120; do
		text=$(psql -X -At -c "select description from work_orders where id = \$\$$q\$\$") &&
		search_ref vectors-tsv vec.tsv "$q" 20 >ref &&
		bf-search --target "$BF_PG_URL" --json -k 20 "$text" >got &&
		search_ref check ref got || return 1
	done
'

test_expect_success PG 'filters against the reference; records without the vectors' '
	pg_vectors "and _bf_date between \$\$2024-02-02\$\$ and \$\$2024-02-03\$\$ and _bf_location = \$\$20\$\$" >vf.tsv &&
	q=wo-2024-02-03-20-5 &&
	text=$(psql -X -At -c "select description from work_orders where id = \$\$$q\$\$") &&
	search_ref vectors-tsv vf.tsv "$q" 10 >ref &&
	bf-search --target "$BF_PG_URL" --json -k 10 --start-date 2024-02-02 --end-date 2024-02-03 --location 20 "$text" >got &&
	search_ref check ref got &&
	jq -e "(.record | has(\"description_embedding\") | not) and .record._bf_location == \"20\"" got >/dev/null
'

test_expect_success PG 'text hits equal a word match on the same column' '
	for w in freezer thermostat; do
		bf-search --target "$BF_PG_URL" --json --mode text -k 100000 "$w" | jq -r .record.id | sort >got &&
		psql -X -At -c "select id from work_orders where description ~* \$\$(^| )$w( |\$)\$\$" | sort >expect &&
		test -s expect && test_cmp expect got || return 1
	done &&
	psql -X -At -c "select count(*) from pg_indexes where indexname like \$\$_bf_search_text_%\$\$" >n &&
	echo 1 >expect && test_cmp expect n
'

test_expect_success PG 'a replaced partition: no stale hit' '
	text=$(psql -X -At -c "select description from work_orders where id = \$\$wo-2024-02-02-10-3\$\$") &&
	wo_gen 5 2024-02-02 10 99 new | bf-enrich --embed work_orders.description:32 | bf-load --target "$BF_PG_URL" >/dev/null &&
	bf-search --target "$BF_PG_URL" --json -k 50 "$text" | jq -r .record.id >got &&
	! grep "^wo-2024-02-02-10-" got &&
	bf-search --target "$BF_PG_URL" --json --mode hybrid -k 50 "$text" | jq -r .record.id >got &&
	! grep "^wo-2024-02-02-10-" got
'

test_expect_success PG 'no embedding column: the error names the streams with one' '
	echo "{\"type\":\"SCHEMA\",\"stream\":\"orders\",\"schema\":{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"string\"}}},\"key_properties\":[]}" |
		bf-load --target "$BF_PG_URL" >/dev/null &&
	test_expect_code 64 bf-search --target "$BF_PG_URL" --stream orders "x" 2>err &&
	grep "streams with one: work_orders (description_embedding)" err
'

test_expect_success PG,CURL 'bf-serve searches PostgreSQL on a read-only connection: bf-search'\''s results, nothing made' '
	mkdir -p nodrop && printf "t0ken-%s\n" $$ >token && chmod 600 token &&
	port=$(free_port) &&
	test_bg bf-serve --listen 127.0.0.1:$port --token-file token --source nodrop \
		--target "$BF_PG_URL" --state serve.db --log-dir . 2>serve.err &&
	wait_for_port 127.0.0.1 $port 20 &&
	get() { curl -s -o out.json -w "%{http_code}" -H "Authorization: Bearer $(cat token)" "http://127.0.0.1:$port$1"; } &&
	bf-search --target "$BF_PG_URL" --json -k 7 --location 20 "door seal leak" | jq -c . >expect &&
	test_line_count = 7 expect &&
	psql -X -At -c "select indexname from pg_indexes order by 1" >indexes.before &&
	status=$(get "/api/search?q=door%20seal%20leak&k=7&location=20") &&
	{ test "$status" = 200 || { cat out.json; false; }; } &&
	jq -c ".results[]" out.json >got && test_cmp expect got &&
	bf-search --target "$BF_PG_URL" --json -k 5 --mode hybrid "door" | jq -c . >expect &&
	test "$(get "/api/search?q=door&mode=hybrid&k=5")" = 200 &&
	jq -c ".results[]" out.json >got && test_cmp expect got &&
	psql -X -At -c "select indexname from pg_indexes order by 1" >indexes.after &&
	test_cmp indexes.before indexes.after
'

test_expect_success PG 'bf-search'\''s own indexes and tables in the warehouse: bf-load goes on loading into it' '
	bf-search --target "$BF_PG_URL" --index &&
	test "$(psql -X -At -c "select count(*) from pg_indexes where indexname like \$\$_bf_search_%\$\$")" -gt 0 &&
	wo_gen 5 2024-02-05 10 77 | bf-enrich --embed work_orders.description:32 | bf-load --target "$BF_PG_URL" >/dev/null 2>err &&
	! grep "did not create" err &&
	printf "%s\n" "{\"type\":\"SCHEMA\",\"stream\":\"work_orders\",\"schema\":{\"properties\":{\"id\":{\"type\":\"string\"},\"description\":{\"type\":\"string\"},\"urgency\":{\"type\":\"string\"}}},\"key_properties\":[]}" \
		"{\"type\":\"RECORD\",\"stream\":\"work_orders\",\"record\":{\"id\":\"x-1\",\"description\":\"freezer door\",\"urgency\":\"high\",\"_bf_date\":\"2024-02-06\",\"_bf_location\":\"10\"}}" \
		"{\"type\":\"SCHEMA\",\"stream\":\"parts\",\"schema\":{\"properties\":{\"p\":{\"type\":\"string\"}}},\"key_properties\":[]}" \
		"{\"type\":\"RECORD\",\"stream\":\"parts\",\"record\":{\"p\":\"hinge\",\"_bf_date\":\"2024-02-06\",\"_bf_location\":\"10\"}}" \
		"{\"type\":\"STATE\",\"value\":{\"bf\":{\"location\":\"10\",\"date\":\"2024-02-06\",\"source\":\"t\"}}}" |
		bf-load --target "$BF_PG_URL" >/dev/null &&
	test "$(psql -X -At -c "select urgency from work_orders where id = \$\$x-1\$\$")" = high &&
	test "$(psql -X -At -c "select count(*) from work_orders where _bf_date = \$\$2024-02-05\$\$")" = 5 &&
	bf-search --target "$BF_PG_URL" --index &&
	bf-search --target "$BF_PG_URL" --json --mode text -k 100000 "freezer" | jq -r .record.id >got &&
	grep "^x-1$" got
'

test_done
