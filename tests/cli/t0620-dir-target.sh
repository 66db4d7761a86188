#!/usr/bin/env bash
test_description='bf-load --target dir:PATH: NDJSON per stream and partition, atomic, replaced'
. "$(dirname "$0")/../lib/test-lib.sh"

schema() { printf '{"type":"SCHEMA","stream":"%s","schema":{"properties":{"id":{"type":"integer"},"amt":{"type":"number"}}}}\n' "$1"; }
rec() { printf '{"type":"RECORD","stream":"%s","record":{"id":"%s","amt":"%s","_bf_date":"%s","_bf_location":"7","_bf_line":%s}}\n' "$@"; }
state() { printf '{"type":"STATE","value":{"bf":{"source":"s","location":"7","date":"%s"}}}\n' "$1"; }

test_expect_success 'one file per stream and partition, values as cast' '
	{ schema a && schema b &&
	  rec a 12345678901234567 12.50 2024-04-04 2 && rec a 2 0.1 2024-04-04 3 && rec b 3 1 2024-04-04 2 &&
	  state 2024-04-04 &&
	  rec a 4 4 2024-04-05 2 && state 2024-04-05; } >in.ndjson &&
	bf-load --target dir:out <in.ndjson >states &&
	test_line_count = 2 states &&
	cat >expect <<-\EOS &&
	{"id":12345678901234567,"amt":"12.50","_bf_date":"2024-04-04","_bf_location":"7","_bf_source":null,"_bf_line":2}
	{"id":2,"amt":"0.1","_bf_date":"2024-04-04","_bf_location":"7","_bf_source":null,"_bf_line":3}
	EOS
	test_cmp expect out/a/2024-04-04/7.ndjson &&
	test_line_count = 1 out/b/2024-04-04/7.ndjson &&
	test_line_count = 1 out/a/2024-04-05/7.ndjson &&
	test ! -e out/b/2024-04-05/7.ndjson &&
	test -s out/_bf_loads/2024-04-04/7.json &&
	test -z "$(find out -name ".*tmp*")" &&
	jq -e . out/a/2024-04-04/7.ndjson >/dev/null
'

test_expect_success 'a re-run replaces the files; a stream without rows loses its old file' '
	{ schema a && schema b && rec a 9 9 2024-04-04 2 && state 2024-04-04; } >rerun.ndjson &&
	bf-load --target dir:out <rerun.ndjson >/dev/null &&
	test_line_count = 1 out/a/2024-04-04/7.ndjson &&
	grep "\"id\":9," out/a/2024-04-04/7.ndjson &&
	test ! -e out/b/2024-04-04/7.ndjson &&
	test_line_count = 1 out/a/2024-04-05/7.ndjson
'

test_expect_success 'an unfinished partition leaves the old file and no temporary file' '
	cp out/a/2024-04-04/7.ndjson before &&
	{ schema a && rec a 10 1 2024-04-04 2 && rec a 11 1 2024-04-04 3; } >cut.ndjson &&
	test_expect_code 65 bf-load --target dir:out <cut.ndjson &&
	test_cmp before out/a/2024-04-04/7.ndjson &&
	test -z "$(find out -name ".*tmp*")"
'

test_expect_success 'SIGKILL mid-partition: old file intact, a re-run finishes it' '
	{ schema a && for i in $(seq 1 20000); do rec a $i 1.5 2024-04-04 $i; done; } >big.ndjson &&
	mkfifo pipe &&
	{ bf-load --target dir:out <pipe >/dev/null 2>&1 & } &&
	pid=$! &&
	exec 7>pipe &&
	cat big.ndjson >&7 &&
	wait_for_file out/a/2024-04-04/.7.ndjson.tmp 10 &&
	kill -9 $pid && { wait $pid || true; } && exec 7>&- &&
	test_cmp before out/a/2024-04-04/7.ndjson &&
	{ cat big.ndjson && state 2024-04-04; } | bf-load --target dir:out >/dev/null &&
	test_line_count = 20000 out/a/2024-04-04/7.ndjson &&
	test ! -e out/a/2024-04-04/.7.ndjson.tmp
'

test_done
