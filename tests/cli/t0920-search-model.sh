#!/usr/bin/env bash
test_description='bf-search embeds the query through the model API the column was embedded with'
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd jq python3 sqlite3

test_expect_success 'setup: work orders embedded by the model API, loaded' '
	start_openai api --dim 16 &&
	{
		echo "{\"type\":\"SCHEMA\",\"stream\":\"work_orders\",\"schema\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},\"description\":{\"type\":\"string\"}}},\"key_properties\":[]}" &&
		for i in 1 2 3 4 5 6 7 8; do
			echo "{\"type\":\"RECORD\",\"stream\":\"work_orders\",\"record\":{\"id\":\"w$i\",\"description\":\"work order number $i\",\"_bf_date\":\"2024-04-01\",\"_bf_location\":\"1\"}}"
		done &&
		echo "{\"type\":\"STATE\",\"value\":{\"bf\":{\"location\":\"1\",\"date\":\"2024-04-01\",\"source\":\"t\"}}}"
	} >in.ndjson &&
	BF_API_KEY=k1 bf-enrich --api-base "$API" --model embed-small --embed work_orders.description <in.ndjson |
		bf-load --target w.db >/dev/null &&
	sqlite3 w.db "select embedding from _bf_columns where \"column\" = \"description_embedding\"" >got &&
	echo "{\"method\":\"model\",\"model\":\"embed-small\",\"api_base\":\"$API\",\"columns\":[\"description\"]}" >expect &&
	test_cmp expect got &&
	! grep k1 w.db
'

test_expect_success 'the query goes to the recorded API and model, with the key of the environment' '
	: >api/requests.log &&
	BF_API_KEY=k1 bf-search --target w.db --json -k 3 "work order number 5" >out &&
	jq -r "\"\(.record.id) \(.score)\"" out | head -n 1 >got &&
	echo "w5 1" >expect && test_cmp expect got &&
	test_line_count = 3 out &&
	test_line_count = 1 api/requests.log &&
	awk "{ print \$2, \$3, \$5, \$6, \$7 }" api/requests.log >got &&
	echo "/v1/embeddings 200 1 embed-small bearer" >expect && test_cmp expect got
'

test_expect_success 'without a key none is sent' '
	: >api/requests.log &&
	bf-search --target w.db --json -k 1 "work order number 2" | jq -r .record.id >got &&
	echo w2 >expect && test_cmp expect got &&
	awk "{ print \$7 }" api/requests.log >got && echo - >expect && test_cmp expect got
'

test_expect_success 'the API down: 69; the key refused: 77' '
	echo "500 10" >api/faults &&
	test_expect_code 69 bf-search --target w.db "work order" 2>err &&
	grep "embedding the query" err &&
	echo "401 1" >api/faults &&
	test_expect_code 77 bf-search --target w.db "work order" &&
	: >api/faults
'

test_expect_success 'text mode needs no API' '
	echo "500 10" >api/faults &&
	bf-search --target w.db --json --mode text "number 7" | jq -r .record.id >got &&
	head -n 1 got >top && echo w7 >expect && test_cmp expect top &&
	: >api/faults
'

test_done
