#!/usr/bin/env bash
test_description='bf-enrich against a failing model API: retries, spacing, breaker, no record lost'
. "$(dirname "$0")/../lib/test-lib.sh"

test_have_prereq JQ || test_skip_all 'jq is not installed'
test_require_cmd python3 sqlite3

gen() {
	echo '{"type":"SCHEMA","stream":"wo","schema":{"type":"object","properties":{"id":{"type":"string"},"text":{"type":["string","null"]}}},"key_properties":["id"]}'
	awk -v n="$1" -v d="$2" -v salt="$3" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"type\":\"RECORD\",\"stream\":\"wo\",\"record\":{\"id\":\"%d\",\"text\":\"item %d %s\",\"_bf_date\":\"%s\",\"_bf_location\":\"1\"}}\n", i, i, salt, d }'
	printf '{"type":"STATE","value":{"bf":{"location":"1","date":"%s","source":"t"}}}\n' "$2"
}

# run SALT ARGS...: fresh input (nothing cached), enrich, keep the exit code in $code.
run() {
	local salt=$1
	shift
	gen 20 2024-04-04 "$salt" >in.ndjson &&
	: >api/requests.log &&
	{ bf-enrich --api-base "$API" --model m --embed wo.text:4 --batch-size 5 --retry-base-ms 20 "$@" \
		<in.ndjson >out.ndjson 2>err; code=$?; } && cat err
}

# every record out, same ids, same order
no_record_lost() {
	jq -r "select(.type==\"RECORD\") | .record.id" in.ndjson >ids.in &&
	jq -r "select(.type==\"RECORD\") | .record.id" out.ndjson >ids.out &&
	test_cmp ids.in ids.out &&
	test "$(wc -l <out.ndjson)" = "$(wc -l <in.ndjson)"
}

test_expect_success 'setup' '
	start_openai api --dim 4
'

test_expect_success '429 with Retry-After: retried no sooner than asked' '
	echo "429 2 1" >api/faults &&
	run a --concurrency 1 &&
	test "$code" = 0 && no_record_lost &&
	test "$(grep -c " 429 " api/requests.log)" = 2 &&
	awk "\$3 == 200 { n += \$5 } END { exit n != 20 }" api/requests.log &&
	head -n 3 api/requests.log | awk "NR > 1 && \$1 - prev < 0.95 { bad = 1 } { prev = \$1 } END { exit bad }" &&
	jq -r "select(.type==\"RECORD\") | .record.text_embedding | length" out.ndjson | sort -u >got &&
	echo 4 >expect && test_cmp expect got
'

test_expect_success '500, malformed JSON, wrong dimensions, infinite numbers: retried, then fine' '
	printf "500 2\nmalformed 1\ndims 1\nnan 1\n" >api/faults &&
	run b --concurrency 1 --retries 6 --batch-size 20 &&
	test "$code" = 0 && no_record_lost &&
	test_line_count = 6 api/requests.log &&
	test "$(grep -c " 200 - " api/requests.log)" = 1 &&
	jq -r "select(.type==\"RECORD\") | .record.text_embedding | length" out.ndjson | sort -u >got &&
	echo 4 >expect && test_cmp expect got
'

test_expect_success 'backoff grows: retries of 500s are spaced by full jitter under the ceiling' '
	printf "500 3\n" >api/faults &&
	run c --concurrency 1 --retry-base-ms 300 --batch-size 20 &&
	test "$code" = 0 && test_line_count = 4 api/requests.log &&
	awk "NR > 1 { d = \$1 - prev; if (d > 0.3 * 2 ^ (NR - 2) + 0.25) bad = 1 } { prev = \$1 } END { exit bad }" api/requests.log
'

test_expect_success 'a timeout is retried' '
	echo "slow 1 1.5" >api/faults &&
	run d --concurrency 1 --timeout 0.5 &&
	test "$code" = 0 && no_record_lost &&
	test_line_count = 5 api/requests.log
'

test_expect_success 'the API stays down: the date fails with 69, recorded, every record still there' '
	echo "500 1000" >api/faults &&
	run e --retries 2 --breaker 0 &&
	test "$code" = 69 && no_record_lost &&
	jq -r "select(.type==\"STATE\") | .value.bf.status" out.ndjson >got &&
	echo failed >expect && test_cmp expect got &&
	sqlite3 "$BF_STATE" "SELECT exit_code, date FROM errors WHERE stage = \"enrich\" ORDER BY id DESC LIMIT 1" >got &&
	echo "69|2024-04-04" >expect && test_cmp expect got &&
	: >api/faults
'

test_expect_success 'invalid answers after the retries: 65' '
	echo "dims 1000" >api/faults &&
	run f --retries 1 &&
	test "$code" = 65 && no_record_lost &&
	grep "embedding dimension" err &&
	: >api/faults
'

test_expect_success '--on-error=pass: records pass with _bf_enrich_error, counted, exit 0' '
	echo "500 1000" >api/faults &&
	run g --retries 1 --breaker 0 --on-error pass &&
	test "$code" = 0 && no_record_lost &&
	test "$(jq -r "select(.type==\"RECORD\") | .record._bf_enrich_error | select(.)" out.ndjson | wc -l)" = 20 &&
	jq -r "select(.type==\"STATE\") | .value.bf.enrich.passed_with_error" out.ndjson >got &&
	echo 20 >expect && test_cmp expect got &&
	grep "20 records passed" err &&
	: >api/faults
'

test_expect_success 'the breaker opens after N consecutive failures: no more requests' '
	echo "500 1000" >api/faults &&
	run h --concurrency 1 --retries 10 --breaker 3:0.5 --on-error pass &&
	test "$code" = 0 && no_record_lost &&
	test "$(grep -c " 500 " api/requests.log)" = 4 &&
	grep " 500 " api/requests.log | tail -n 2 | awk "NR == 2 && \$1 - prev < 0.45 { bad = 1 } { prev = \$1 } END { exit bad }" &&
	grep "circuit breaker open" out.ndjson >/dev/null &&
	: >api/faults
'

test_expect_success 'the breaker probes after its cool-down and closes when the probe succeeds' '
	echo "500 3" >api/faults &&
	run i --concurrency 1 --retries 10 --retry-base-ms 200 --breaker 3:0.3 --on-error pass &&
	test "$code" = 0 && no_record_lost &&
	test "$(jq -r "select(.type==\"RECORD\") | .record.text_embedding | length" out.ndjson | sort -u)" = 4 &&
	test "$(grep -c " 500 " api/requests.log)" = 3 &&
	awk "\$3 == 200 { n += \$5 } END { exit n != 20 }" api/requests.log &&
	grep " 500 " api/requests.log | tail -n 1 >last500 &&
	grep " 200 " api/requests.log | head -n 1 >first200 &&
	awk "{ print \$1 }" last500 first200 | awk "NR == 2 && \$1 - prev < 0.28 { bad = 1 } { prev = \$1 } END { exit bad }"
'

test_expect_success 'a refused key is 77' '
	echo "401 1000" >api/faults &&
	run j &&
	test "$code" = 77 &&
	: >api/faults
'

test_expect_success 'faults under concurrency: order kept and nothing lost' '
	printf "500 3\n429 2 0.2\nmalformed 2\nslow 1 1\n" >api/faults &&
	gen 300 2024-04-06 k >in.ndjson &&
	bf-enrich --api-base "$API" --model m --embed wo.text --batch-size 7 --concurrency 8 \
		--retry-base-ms 20 --retries 8 --breaker 0 <in.ndjson >out.ndjson &&
	no_record_lost &&
	test "$(jq -r "select(.type==\"RECORD\") | .record.text_embedding | length" out.ndjson | sort -u)" = 4
'

test_done
