#!/usr/bin/env bash
test_description='bf-enrich with an OpenAI-compatible API: batches, order, cache, cost'
. "$(dirname "$0")/../lib/test-lib.sh"

test_have_prereq JQ || test_skip_all 'jq is not installed'
test_require_cmd python3 sqlite3

# gen N DATE: SCHEMA, N work orders, STATE.
gen() {
	echo '{"type":"SCHEMA","stream":"work_orders","schema":{"type":"object","properties":{"id":{"type":"string"},"description":{"type":["string","null"]}}},"key_properties":["id"]}'
	awk -v n="$1" -v d="$2" 'BEGIN { split("leaking faucet|broken freezer door|light bulb out in dining room|grease trap cleaning|new menu boards", w, "|");
		for (i = 1; i <= n; i++) printf "{\"type\":\"RECORD\",\"stream\":\"work_orders\",\"record\":{\"id\":\"%s-%d\",\"description\":\"%s number %d on %s\",\"_bf_date\":\"%s\",\"_bf_location\":\"1\"}}\n", d, i, w[i % 5 + 1], i, d, d }'
	printf '{"type":"STATE","value":{"bf":{"location":"1","date":"%s","source":"t"}}}\n' "$2"
}

test_expect_success 'setup: API and input' '
	start_openai api --dim 8 --jitter 30 &&
	{ gen 50 2024-04-04 && gen 30 2024-04-05; } >in.ndjson &&
	test_line_count = 84 in.ndjson
'

test_expect_success 'embeddings: many inputs per request, in input order' '
	bf-enrich --api-base "$API" --model m --embed work_orders.description --batch-size 8 \
		--concurrency 4 <in.ndjson >out.ndjson &&
	test_line_count = 84 out.ndjson &&
	jq -r "select(.type==\"RECORD\") | .record.id" in.ndjson >ids.in &&
	jq -r "select(.type==\"RECORD\") | .record.id" out.ndjson >ids.out &&
	test_cmp ids.in ids.out &&
	jq -c "select(.type) | .type" in.ndjson >types.in && jq -c ".type" out.ndjson >types.out &&
	test_cmp types.in types.out &&
	jq -r "select(.type==\"RECORD\") | .record.description_embedding | length" out.ndjson | sort -u >got &&
	echo 8 >expect && test_cmp expect got &&
	# 50 = 6x8+2, 30 = 3x8+6: a partial batch goes when its STATE comes
	test_line_count = 11 api/requests.log &&
	awk "{ n += \$5 } END { print n }" api/requests.log >got && echo 80 >expect && test_cmp expect got
'

test_expect_success 'the same text gets the same vector as the server computes' '
	jq -c "select(.record.id==\"2024-04-04-1\") | .record.description_embedding" out.ndjson >a &&
	jq -c "select(.record.id==\"2024-04-04-1\") | .record.description_embedding" out.ndjson >b &&
	test_cmp a b && test -s a
'

test_expect_success 'a re-run is answered by the cache: zero requests, same output' '
	: >api/requests.log &&
	bf-enrich --api-base "$API" --model m --embed work_orders.description --batch-size 8 <in.ndjson >again.ndjson &&
	test_cmp <(jq -c "del(.value.bf.enrich)" out.ndjson) <(jq -c "del(.value.bf.enrich)" again.ndjson) &&
	test ! -s api/requests.log &&
	jq -c "select(.type==\"STATE\") | .value.bf.enrich.cached" again.ndjson >got &&
	printf "50\n30\n" >expect && test_cmp expect got
'

test_expect_success 'another model is not answered from the cache' '
	: >api/requests.log &&
	bf-enrich --api-base "$API" --model other --embed work_orders.description --batch-size 40 <in.ndjson >/dev/null &&
	test_line_count = 3 api/requests.log
'

test_expect_success 'order under concurrency with random latency, classification' '
	: >api/requests.log &&
	bf-enrich --api-base "$API" --model m --classify "work_orders.description=faucet|freezer|bulb|other" \
		--concurrency 16 <in.ndjson >cls.ndjson &&
	jq -r "select(.type==\"RECORD\") | .record.id" cls.ndjson >ids.out &&
	test_cmp ids.in ids.out &&
	jq -r "select(.type==\"RECORD\") | .record.description_label" cls.ndjson | head -n 5 >got &&
	printf "freezer\nbulb\nfaucet\nfaucet\nfaucet\n" >expect && test_cmp expect got &&
	test_line_count = 80 api/requests.log &&
	jq -c "select(.type==\"SCHEMA\") | .schema.properties.description_label.type" cls.ndjson | sort -u >got &&
	echo "[\"string\",\"null\"]" >expect && test_cmp expect got
'

test_expect_success 'a prompt template with JSON answers' '
	bf-enrich --api-base "$API" --model m --prompt "work_orders.summary:json=Summarise: {description} ({id})" \
		<in.ndjson >p.ndjson &&
	jq -c "select(.record.id==\"2024-04-05-3\") | .record.summary" p.ndjson >got &&
	echo "{\"summary\":\"Summarise: grease trap cleaning number 3\",\"words\":9}" >expect &&
	test_cmp expect got
'

test_expect_success 'usage and cost are recorded per run, date and model' '
	rm -f "$BF_STATE" && : >api/requests.log &&
	bf-enrich --api-base "$API" --model m --embed work_orders.description --batch-size 8 \
		--price-per-1k-tokens 0.5 <in.ndjson >/dev/null &&
	sqlite3 "$BF_STATE" "SELECT date, model, requests, inputs, cached, prompt_tokens FROM enrich_usage ORDER BY date" >got &&
	jq -r "select(.type==\"RECORD\") | [.record._bf_date, (.record.description | split(\" \") | length)] | @tsv" in.ndjson |
		awk "{ w[\$1] += \$2 } END { for (d in w) print d \"|m|\" (d == \"2024-04-04\" ? 7 : 4) \"|\" (d == \"2024-04-04\" ? 50 : 30) \"|0|\" w[d] }" | sort >expect &&
	test_cmp expect got &&
	sqlite3 "$BF_STATE" "SELECT printf(\"%.6f\", sum(cost)) = printf(\"%.6f\", sum(prompt_tokens) / 1000.0 * 0.5) FROM enrich_usage" >got &&
	echo 1 >expect && test_cmp expect got &&
	sqlite3 "$BF_STATE" "SELECT count(*) FROM enrich_cache" >got && echo 80 >expect && test_cmp expect got
'

test_expect_success 'the key comes from BF_API_KEY, not argv' '
	test_expect_code 64 bf-enrich --api-key x --api-base "$API" --model m --embed work_orders.description <in.ndjson
'

test_expect_success 'classification without an API is a usage error' '
	test_expect_code 64 bf-enrich --classify "work_orders.description=a|b" <in.ndjson
'

test_done
