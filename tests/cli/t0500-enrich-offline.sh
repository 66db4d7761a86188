#!/usr/bin/env bash
test_description='bf-enrich without a network: derived fields, hashed embeddings, order'
. "$(dirname "$0")/../lib/test-lib.sh"

schema='{"type":"SCHEMA","stream":"order_details","schema":{"type":"object","properties":{"order_id":{"type":["string","null"]},"opened":{"type":["string","null"]},"amount":{"type":["string","null"]},"duration_opened_to_paid":{"type":["string","null"]},"server":{"type":["string","null"]},"_bf_date":{"type":"string"},"_bf_location":{"type":"string"}}},"key_properties":["order_id"]}'
rec() { # id opened amount duration
	printf '{"type":"RECORD","stream":"order_details","record":{"order_id":"%s","opened":%s,"amount":%s,"duration_opened_to_paid":%s,"server":"Ann","_bf_date":"2024-04-04","_bf_location":"185129","_bf_line":%s}}\n' "$1" "$2" "$3" "$4" "$1"
}

test_expect_success 'setup input' '
	{
		echo "$schema" &&
		rec 1 "\"4/4/24 11:32 AM\"" "\"12.50\"" "\"1:23:05\"" &&
		echo "{\"type\":\"ACTIVATE_VERSION\",\"stream\":\"order_details\",\"version\":1}" &&
		rec 2 "\"04/04/2024 18:05:09\"" "\"\$1,234.5\"" "\"2 minutes and 52 seconds\"" &&
		rec 3 "\"not a time\"" null "\"soon\"" &&
		echo "{\"type\":\"RECORD\",\"stream\":\"menu\",\"record\":{\"opened\":\"4/4/24 11:32 AM\"}}" &&
		echo "{\"type\":\"STATE\",\"value\":{\"bf\":{\"location\":\"185129\",\"date\":\"2024-04-04\",\"source\":\"s\"}}}"
	} >in.ndjson
'

test_expect_success JQ 'with no options the well-known POS columns are derived' '
	bf-enrich <in.ndjson >out.ndjson 2>err &&
	test_line_count = 7 out.ndjson &&
	jq -c "select(.type==\"RECORD\" and .stream==\"order_details\") | .record | [.order_id, .opened_iso, .opened_weekday, .opened_hour, .opened_daypart, .amount_cents, .duration_opened_to_paid_seconds]" out.ndjson >got &&
	cat >expect <<-\EOF &&
	["1","2024-04-04T11:32:00","Thursday",11,"lunch",1250,4985]
	["2","2024-04-04T18:05:09","Thursday",18,"dinner",123450,172]
	["3",null,null,null,null,null,null]
	EOF
	test_cmp expect got
'

test_expect_success JQ 'values stay as they were and unparseable ones are counted in the STATE' '
	jq -c "select(.type==\"RECORD\" and .record.order_id==\"3\") | .record | [.opened, .amount, .duration_opened_to_paid]" out.ndjson >got &&
	echo "[\"not a time\",null,\"soon\"]" >expect &&
	test_cmp expect got &&
	jq -c "select(.type==\"STATE\") | .value.bf.enrich" out.ndjson >got &&
	echo "{\"records\":3,\"unparsed\":2,\"unparsed_by_column\":{\"order_details.opened\":1,\"order_details.duration_opened_to_paid\":1}}" >expect &&
	test_cmp expect got &&
	grep "2 values could not be derived" err
'

test_expect_success JQ 'the SCHEMA declares the new fields' '
	jq -c "select(.type==\"SCHEMA\") | .schema.properties | [.opened_iso.type, .opened_hour.type, .amount_cents.type, .duration_opened_to_paid_seconds.type]" out.ndjson >got &&
	echo "[[\"string\",\"null\"],[\"integer\",\"null\"],[\"integer\",\"null\"],[\"integer\",\"null\"]]" >expect &&
	test_cmp expect got
'

test_expect_success 'other messages and streams pass unchanged and in order' '
	sed -n 3p in.ndjson >expect && sed -n 3p out.ndjson >got && test_cmp expect got &&
	sed -n 6p in.ndjson >expect && sed -n 6p out.ndjson >got && test_cmp expect got &&
	cut -c1-40 in.ndjson >expect && cut -c1-40 out.ndjson >got && test_cmp expect got
'

test_expect_success 'a record is not re-printed: its original bytes come first' '
	in=$(sed -n 2p in.ndjson) && out=$(sed -n 2p out.ndjson) &&
	case "$out" in "${in%\}\}},\"opened_iso\""*) ;; *) false ;; esac
'

test_expect_success JQ '--timezone gives offsets: fixed and IANA with daylight saving' '
	bf-enrich --timezone -05:00 <in.ndjson | jq -r "select(.record.order_id==\"1\") | .record.opened_iso" >got &&
	echo 2024-04-04T11:32:00-05:00 >expect && test_cmp expect got &&
	if [ -f /usr/share/zoneinfo/America/New_York ]; then
		bf-enrich --timezone America/New_York <in.ndjson | jq -r "select(.record.order_id==\"1\") | .record.opened_iso" >got &&
		echo 2024-04-04T11:32:00-04:00 >expect && test_cmp expect got
	fi
'

test_expect_success 'a bad time zone or spec is a usage error' '
	test_expect_code 64 bf-enrich --timezone Nowhere/Atlantis <in.ndjson &&
	test_expect_code 64 bf-enrich --derive order_details.opened=colour <in.ndjson &&
	test_expect_code 64 bf-enrich --derive opened <in.ndjson &&
	test_expect_code 64 bf-enrich --classify order_details.server=only <in.ndjson &&
	test_expect_code 64 bf-enrich --classify "order_details.server=a|b" <in.ndjson
'

test_expect_success JQ 'explicit --derive replaces the defaults' '
	bf-enrich --derive "order_details.opened=timestamp" <in.ndjson >out2 &&
	jq -c "select(.record.order_id==\"1\") | .record | [has(\"opened_iso\"), has(\"amount_cents\")]" out2 >got &&
	echo "[true,false]" >expect && test_cmp expect got
'

test_expect_success JQ 'hashed embedding: dimension, L2 norm, same text same vector' '
	bf-enrich --no-auto --embed "order_details.server:16" <in.ndjson >out3 &&
	jq -c "select(.type==\"RECORD\" and .stream==\"order_details\") | .record.server_embedding | length" out3 | sort -u >got &&
	echo 16 >expect && test_cmp expect got &&
	jq "select(.record.order_id==\"1\") | [.record.server_embedding[] | .*.] | add | . > 0.9999 and . < 1.0001" out3 >got &&
	echo true >expect && test_cmp expect got &&
	jq -c "select(.type==\"RECORD\" and .stream==\"order_details\") | .record.server_embedding" out3 | sort -u >vecs &&
	test_line_count = 1 vecs &&
	jq -c "select(.type==\"SCHEMA\") | .schema.properties.server_embedding.type" out3 >got &&
	echo "[\"array\",\"null\"]" >expect && test_cmp expect got
'

test_expect_success 'a config file works like the flags' '
	cat >enrich.json <<-\EOF &&
	{"derive": ["order_details.amount=money"], "timezone": "UTC"}
	EOF
	bf-enrich --config enrich.json <in.ndjson >out4 &&
	grep -c "\"amount_cents\":1250" out4 >got && echo 1 >expect && test_cmp expect got &&
	! grep -q opened_iso out4 &&
	echo "{\"derive\": 3}" >bad.json &&
	test_expect_code 78 bf-enrich --config bad.json <in.ndjson &&
	test_expect_code 66 bf-enrich --config missing.json <in.ndjson
'

test_expect_success 'invalid JSON is refused (65), nothing is invented' '
	{ head -n 2 in.ndjson && echo "{\"type\":\"RECORD\",\"stream\":\"x\",\"record\":{\"a\":01}}"; } >bad.ndjson &&
	test_expect_code 65 bf-enrich <bad.ndjson >/dev/null
'

test_expect_success 'a large stream: every record comes out, in order' '
	echo "$schema" >big.ndjson &&
	cat >gen.awk <<-\EOF &&
	BEGIN {
		for (i = 1; i <= 20000; i++)
			printf "{\"type\":\"RECORD\",\"stream\":\"order_details\",\"record\":{\"order_id\":\"%d\",\"opened\":\"4/%d/24 %d:15 PM\",\"amount\":\"%d.%02d\"}}\n", i, i % 28 + 1, i % 12 + 1, i % 90, i % 100
	}
	EOF
	awk -f gen.awk >>big.ndjson &&
	bf-enrich <big.ndjson >bigout.ndjson &&
	test_line_count = 20001 bigout.ndjson &&
	grep -o "\"order_id\":\"[0-9]*\"" big.ndjson >ids.in &&
	grep -o "\"order_id\":\"[0-9]*\"" bigout.ndjson >ids.out &&
	test_cmp ids.in ids.out &&
	test "$(grep -c "\"amount_cents\":[0-9]" bigout.ndjson)" = 20000
'

test_expect_success JQ 'a column of the data named like a derived one is never replaced: the derived one is suffixed' '
	s2="{\"type\":\"SCHEMA\",\"stream\":\"o\",\"schema\":{\"type\":\"object\",\"properties\":{\"opened\":{\"type\":[\"string\",\"null\"]},\"opened_iso\":{\"type\":[\"string\",\"null\"]},\"amount\":{\"type\":[\"string\",\"null\"]}}}}" &&
	{
		echo "$s2" &&
		echo "{\"type\":\"RECORD\",\"stream\":\"o\",\"record\":{\"opened\":\"4/4/24 11:32 AM\",\"opened_iso\":\"the source says so\",\"amount\":\"1.00\",\"_bf_date\":\"2024-04-04\",\"_bf_location\":\"l\"}}"
	} >clash.ndjson &&
	bf-enrich <clash.ndjson >clash.out 2>clash.err &&
	grep -q "the data has a column opened_iso: bf-enrich writes its own as opened_iso_2" clash.err &&
	jq -c "select(.type==\"RECORD\") | .record | [.opened_iso, .opened_iso_2, .amount_cents]" clash.out >got &&
	echo "[\"the source says so\",\"2024-04-04T11:32:00\",100]" >expect &&
	test_cmp expect got &&
	jq -c "select(.type==\"SCHEMA\") | .schema.properties | [.opened_iso.type, .opened_iso_2.\"x-bf-derived\"]" clash.out >got &&
	echo "[[\"string\",\"null\"],\"opened\"]" >expect &&
	test_cmp expect got &&
	# enriched again: its own members are known for its own, not suffixed once more
	bf-enrich <clash.out >again.out 2>again.err &&
	jq -c "select(.type==\"RECORD\") | .record | keys" again.out >got &&
	jq -c "select(.type==\"RECORD\") | .record | keys" clash.out >expect &&
	test_cmp expect got
'

test_done
