#!/usr/bin/env bash
test_description='dir: target: a BigQuery and a Snowflake schema file beside each stream'"'"'s NDJSON files'
. "$(dirname "$0")/../lib/test-lib.sh"

test_expect_success JQ 'setup: one partition of a stream with a column of every type' '
	printf "%s\n" \
	  "{\"type\":\"SCHEMA\",\"stream\":\"sales\",\"schema\":{\"properties\":{\"id\":{\"type\":\"integer\"},\"amt\":{\"type\":\"number\"},\"ok\":{\"type\":\"boolean\"},\"day\":{\"type\":\"string\",\"format\":\"date\"},\"at\":{\"type\":\"string\",\"format\":\"date-time\"},\"utc\":{\"type\":\"string\"},\"meta\":{\"type\":\"object\"},\"emb\":{\"type\":\"array\",\"items\":{\"type\":\"number\"}},\"note\":{\"type\":\"string\"}}}}" \
	  "{\"type\":\"RECORD\",\"stream\":\"sales\",\"record\":{\"id\":\"1\",\"amt\":\"12.50\",\"ok\":\"true\",\"day\":\"2024-04-04\",\"at\":\"2024-04-04 10:00:00\",\"utc\":\"2024-04-04 10:00:00Z\",\"meta\":{\"a\":1},\"emb\":[0.5,1],\"note\":\"hi\",\"_bf_date\":\"2024-04-04\",\"_bf_location\":\"7\",\"_bf_line\":2}}" \
	  "{\"type\":\"STATE\",\"value\":{\"bf\":{\"source\":\"s\",\"location\":\"7\",\"date\":\"2024-04-04\"}}}" >in.ndjson &&
	bf-load --target dir:out --type sales.utc=timestamptz <in.ndjson >states &&
	test_line_count = 1 states &&
	test_line_count = 1 out/sales/2024-04-04/7.ndjson
'

test_expect_success JQ 'the BigQuery schema: a JSON array of {name, type, mode} in column order, bf types mapped' '
	jq -e "type == \"array\" and length == 13 and all(.[]; (keys == [\"mode\", \"name\", \"type\"]))" \
		out/sales/_schema.bigquery.json &&
	jq -r ".[] | \"\(.name) \(.type) \(.mode)\"" out/sales/_schema.bigquery.json >got &&
	cat >expect <<-\EOS &&
	id INT64 NULLABLE
	amt BIGNUMERIC NULLABLE
	ok BOOL NULLABLE
	day DATE NULLABLE
	at DATETIME NULLABLE
	utc TIMESTAMP NULLABLE
	meta JSON NULLABLE
	emb FLOAT64 REPEATED
	note STRING NULLABLE
	_bf_date DATE NULLABLE
	_bf_location STRING NULLABLE
	_bf_source STRING NULLABLE
	_bf_line INT64 NULLABLE
	EOS
	test_cmp expect got &&
	# every member of the data files is a column of the schema, and nothing more
	jq -c "keys" out/sales/2024-04-04/7.ndjson >data.keys &&
	jq -c "[.[].name] | sort" out/sales/_schema.bigquery.json >schema.keys &&
	test_cmp data.keys schema.keys
'

test_expect_success 'the Snowflake table: every column with its type, and the COPY INTO of the files' '
	grep -qx "CREATE TABLE IF NOT EXISTS \"sales\" (" out/sales/_schema.snowflake.sql &&
	grep -qx "  \"amt\" NUMBER(38,12)," out/sales/_schema.snowflake.sql &&
	grep -qx "  \"utc\" TIMESTAMP_TZ," out/sales/_schema.snowflake.sql &&
	grep -qx "  \"meta\" VARIANT," out/sales/_schema.snowflake.sql &&
	grep -qx "  \"_bf_line\" NUMBER(38,0)" out/sales/_schema.snowflake.sql &&
	test "$(grep -c "^  \"" out/sales/_schema.snowflake.sql)" = 13 &&
	grep -q "^-- COPY INTO \"sales\" FROM @bf_stage/sales/" out/sales/_schema.snowflake.sql &&
	grep -q "MATCH_BY_COLUMN_NAME = CASE_SENSITIVE" out/sales/_schema.snowflake.sql
'

test_expect_success 'a loader that reads *.ndjson never sees the schema files; a new SCHEMA rewrites them' '
	test "$(find out/sales -name "*.ndjson" | wc -l)" = 1 &&
	test -z "$(find out -name ".*tmp*")" &&
	printf "%s\n" "{\"type\":\"SCHEMA\",\"stream\":\"sales\",\"schema\":{\"properties\":{\"id\":{\"type\":\"string\"}}}}" \
	  "{\"type\":\"RECORD\",\"stream\":\"sales\",\"record\":{\"id\":\"x\",\"_bf_date\":\"2024-04-05\",\"_bf_location\":\"7\",\"_bf_line\":2}}" \
	  "{\"type\":\"STATE\",\"value\":{\"bf\":{\"source\":\"s\",\"location\":\"7\",\"date\":\"2024-04-05\"}}}" |
	bf-load --target dir:out >/dev/null &&
	jq -e ".[0] == {\"name\": \"id\", \"type\": \"STRING\", \"mode\": \"NULLABLE\"}" out/sales/_schema.bigquery.json
'

test_done
