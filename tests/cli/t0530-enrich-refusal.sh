#!/usr/bin/env bash
test_description='bf-enrich: a 4xx answer that echoes the request (the API key too) is kept as its status and a redacted message only'
. "$(dirname "$0")/../lib/test-lib.sh"

test_have_prereq JQ || test_skip_all 'jq is not installed'
test_require_cmd python3 sqlite3

KEY=sk-test-7Qx9Lm2Vb8Nc4Zt6Wd1Rf5
export BF_API_KEY=$KEY

test_expect_success 'setup: a model API that answers 400 with the request echoed' '
	mkdir -p api && echo "echo400 1000" >api/faults &&
	test_bg python3 "$BF_SERVERS/openai.py" --port-file api/port --faults api/faults --dim 4 &&
	wait_for_file api/port &&
	wait_for_port 127.0.0.1 "$(cat api/port)" &&
	{
		echo "{\"type\":\"SCHEMA\",\"stream\":\"wo\",\"schema\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},\"text\":{\"type\":\"string\"}}},\"key_properties\":[\"id\"]}"
		echo "{\"type\":\"RECORD\",\"stream\":\"wo\",\"record\":{\"id\":\"1\",\"text\":\"hello\",\"_bf_date\":\"2024-04-04\",\"_bf_location\":\"1\",\"_bf_source\":\"1/20240404/wo.csv\",\"_bf_line\":2}}"
		echo "{\"type\":\"STATE\",\"value\":{\"bf\":{\"source\":\"t\",\"location\":\"1\",\"date\":\"2024-04-04\",\"status\":\"ok\"}}}"
	} >in.ndjson
'

test_expect_success 'the refusal is reported with its status' '
	test_must_fail bf-enrich --api-base "http://127.0.0.1:$(cat api/port)/v1" --model m --embed wo.text:4 \
		--retries 0 <in.ndjson >out.ndjson 2>err &&
	grep "HTTP 400" err &&
	grep "the API refused the request" err
'

test_expect_success 'nothing of the key anywhere: stderr, the STATE, the state file' '
	sqlite3 "$BF_STATE" .dump >dump &&
	grep "HTTP 400" dump &&
	for f in err out.ndjson dump; do
		! grep -F "${KEY#sk-test-}" "$f" || return 1
		! grep -F "${KEY:8:8}" "$f" || return 1
	done &&
	sqlite3 "$BF_STATE" "SELECT message FROM errors" >errors &&
	test -s errors && ! grep -F "Bearer sk" errors
'

test_expect_success 'the message kept is bounded' '
	sqlite3 "$BF_STATE" "SELECT max(length(message)) FROM errors" >len &&
	test "$(cat len)" -le 150
'

test_done
