#!/usr/bin/env bash
test_description='bf-extract on local drops: one STATE per partition, row counts, quarantine, --strict, skipping and --force'
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd jq sqlite3

. "$TEST_DIRECTORY/lib/drop-fixture.sh"

test_expect_success 'setup: a hand-made drop' '
	make_drop drop
'

test_expect_success '--all: exactly one STATE per (location, date), missing and empty folders included' '
	test_expect_code 1 bf-extract --source drop --all --state s.db >out 2>err &&
	states out >actual &&
	cat >expect <<-\EOF &&
	100 2024-04-01 present 5 0
	200 2024-04-01 present 3 1
	100 2024-04-02 present 2 0
	200 2024-04-02 missing 0 0
	100 2024-04-03 missing 0 0
	200 2024-04-03 present 1 0
	100 2024-04-04 empty 0 0
	200 2024-04-04 missing 0 0
	100 2024-04-05 present 0 0
	200 2024-04-05 missing 0 0
	EOF
	test_cmp expect actual
'

test_expect_success 'every line is a message; records come before their STATE and carry lineage' '
	jq -e -s "all(.[]; .type == \"SCHEMA\" or .type == \"RECORD\" or .type == \"STATE\")" out &&
	test "$(jq -c "select(.type == \"RECORD\")" out | wc -l)" = 11 &&
	jq -c "select(.type == \"RECORD\" and .record.order_id == \"2005\") | .record" out >r &&
	jq -e ".note == \"two\nlines\" and ._bf_date == \"2024-04-03\" and ._bf_location == \"200\" and
		._bf_source == \"200/20240403/OrderDetails.csv\" and ._bf_line == 2" r &&
	jq -c "select(.type == \"RECORD\" and .record.order_id == \"1002\") | .record" out >r &&
	jq -e ".amount == null and .note == \"with, comma\"" r &&
	jq -c "select(.type == \"RECORD\" and .record.order_id == \"1003\") | .record.note" out >r &&
	test "$(cat r)" = "\"say \\\"hi\\\"\"" &&
	jq -c "select(.type == \"RECORD\" and .record.order_id == \"2001\") | .record" out >r &&
	jq -e ".order_id == \"2001\" and .note == \"x\" and ._bf_line == 2" r &&
	jq -r "if .type == \"STATE\" then \"S \(.value.bf.location)/\(.value.bf.date)\"
		elif .type == \"RECORD\" then \"R \(.record._bf_location)/\(.record._bf_date)\" else empty end" out |
		uniq | awk "{ if (\$1 == \"R\") open[\$2] = 1; else { if (\$2 in done) exit 1; done[\$2] = 1 }
			 if (\$1 == \"R\" && (\$2 in done)) exit 1 }"
'

test_expect_success 'SCHEMA: snake_case columns with the original header as title, before the records' '
	jq -c "select(.type == \"SCHEMA\") | .stream" out | sort -u >streams &&
	printf "\"check_details\"\n\"order_details\"\n" >expect &&
	test_cmp expect streams &&
	test "$(jq -r "select(.type == \"SCHEMA\" and .stream == \"order_details\") |
		.schema.properties.order_id.title" out | sort -u)" = "Order Id" &&
	first_schema=$(grep -n "\"type\":\"SCHEMA\",\"stream\":\"order_details\"" out | head -1 | cut -d: -f1) &&
	first_record=$(grep -n "\"type\":\"RECORD\",\"stream\":\"order_details\"" out | head -1 | cut -d: -f1) &&
	test "$first_schema" -lt "$first_record"
'

test_expect_success 'row counts equal what the files hold, per stream and per file' '
	jq -r "select(.type == \"STATE\") | .value.bf.rows | to_entries[] | \"\(.key) \(.value)\"" out |
		awk "{ s[\$1] += \$2 } END { for (k in s) print k, s[k] }" | sort >actual &&
	printf "check_details 2\norder_details 9\n" >expect &&
	test_cmp expect actual &&
	test "$(sqlite3 s.db "SELECT sum(rows) FROM files")" = 11 &&
	test "$(sqlite3 s.db "SELECT count(*) FROM files")" = 6
'

test_expect_success 'the state file records every file read: size, mtime, sha256, header fingerprint' '
	sqlite3 s.db "SELECT name, size, sha256, rows, bad_rows FROM files ORDER BY name" >files &&
	grep "^100/20240401/OrderDetails.csv|$(stat -c %s drop/100/20240401/OrderDetails.csv)|$(sha256sum <drop/100/20240401/OrderDetails.csv | cut -d" " -f1)|3|0$" files &&
	grep "^100/20240402/OrderDetails.csv.gz|$(stat -c %s drop/100/20240402/OrderDetails.csv.gz)|" files &&
	grep "^200/20240401/OrderDetails.csv|.*|3|1$" files &&
	test "$(sqlite3 s.db "SELECT count(*) FROM files WHERE mtime IS NULL OR header_fingerprint IS NULL")" = 0 &&
	test "$(sqlite3 s.db "SELECT count(DISTINCT header_fingerprint) FROM files WHERE stream = \"order_details\"")" = 1
'

test_expect_success 'the bad row is quarantined with file, line, reason and raw bytes, and reported' '
	sqlite3 s.db "SELECT stage, location, date, file, line, reason, hex(raw) FROM quarantine" >q &&
	echo "extract|200|2024-04-01|200/20240401/OrderDetails.csv|3|ragged row (2 fields, header has 3)|$(printf "2002,4.00" | od -An -tx1 | tr -d " \n" | tr a-f A-F)" >expect &&
	test_cmp expect q &&
	grep "^bf-extract: 200/20240401/OrderDetails.csv:3: ragged row (2 fields, header has 3)" err &&
	test "$(sqlite3 s.db "SELECT quarantined FROM partitions WHERE location = \"200\" AND date = \"2024-04-01\"")" = 1
'

test_expect_success 'truncated last line and invalid UTF-8 are quarantined too' '
	mkdir -p bad/1/20240101 &&
	printf "a,b,c\n1,2,3\nx,caf\351,z\n4,5" >bad/1/20240101/T.csv &&
	test_expect_code 1 bf-extract --source bad --date 2024-01-01 --state b.db >bout 2>berr &&
	sqlite3 b.db "SELECT line, reason FROM quarantine ORDER BY line" >q &&
	printf "3|invalid UTF-8 at byte 6\n4|truncated last line (2 fields, header has 3)\n" >expect &&
	test_cmp expect q &&
	test "$(sqlite3 b.db "SELECT hex(raw) FROM quarantine WHERE line = 3")" = 782C636166E92C7A &&
	states bout >actual &&
	echo "1 2024-01-01 present 1 2" >expect &&
	test_cmp expect actual
'

test_expect_success '--strict: the first bad row is fatal (65)' '
	test_expect_code 65 bf-extract --source bad --date 2024-01-01 --state strict.db --strict >sout 2>serr &&
	grep "T.csv:3: invalid UTF-8" serr &&
	test "$(jq -r "select(.type == \"STATE\") | .value.bf.status" sout)" = failed
'

test_expect_success 'extracted but unloaded dates are redone; loaded ones skipped; --force redoes them' '
	bf-extract --source drop --all --state s.db >out1 2>err1 || test $? = 1 &&
	test "$(states out1 | wc -l)" = 10 &&
	sqlite3 s.db "UPDATE partitions SET status = \"loaded\" WHERE date <= \"2024-04-02\"" &&
	bf-extract --source drop --all --state s.db >out2 2>err2 || test $? = 1 &&
	states out2 >after &&
	cat >expect <<-\EOF &&
	100 2024-04-03 missing 0 0
	200 2024-04-03 present 1 0
	100 2024-04-04 empty 0 0
	200 2024-04-04 missing 0 0
	100 2024-04-05 present 0 0
	200 2024-04-05 missing 0 0
	EOF
	test_cmp expect after &&
	grep "skipped 4 partitions" err2 &&
	test_expect_code 1 bf-extract --source drop --all --state s.db --force >out3 2>err3 &&
	test "$(states out3 | wc -l)" = 10
'

test_expect_success '--date, --dates, --start-date/--end-date (both spellings), --location' '
	bf-extract --source drop --date 20240403 --state d1.db >o1 &&
	states o1 >a1 &&
	printf "100 2024-04-03 missing 0 0\n200 2024-04-03 present 1 0\n" >e1 &&
	test_cmp e1 a1 &&
	bf-extract --source drop --dates 2024-04-05 20240404 --state d2.db >o2 &&
	test "$(states o2 | cut -d" " -f2 | uniq | tr "\n" " ")" = "2024-04-04 2024-04-05 " &&
	bf-extract --source drop --start-date 2024-04-02 --end-date 20240404 --location 100 --state d3.db >o3 &&
	test "$(states o3 | cut -d" " -f1,2 | tr "\n" " ")" = "100 2024-04-02 100 2024-04-03 100 2024-04-04 " &&
	bf-extract --source drop --date 2024-04-01 --location 999 --state d4.db >o4 &&
	test "$(states o4)" = "999 2024-04-01 missing 0 0"
'

test_expect_success 'a date outside the drop is still accounted for' '
	bf-extract --source drop --date 2023-01-01 --state d5.db >o5 &&
	printf "100 2023-01-01 missing 0 0\n200 2023-01-01 missing 0 0\n" >e5 &&
	states o5 >a5 &&
	test_cmp e5 a5
'

test_expect_success 'a header-only file and an empty file give no rows and no error' '
	mkdir -p hdr/1/20240101 &&
	printf "a,b\n" >hdr/1/20240101/H.csv &&
	: >hdr/1/20240101/E.csv &&
	bf-extract --source hdr --all --state h.db >hout &&
	test "$(states hout)" = "1 2024-01-01 present 0 0"
'

test_expect_success 'another layout and --include' '
	mkdir -p lay/exports/2024/04/04 &&
	printf "x\n1\n" >lay/exports/2024/04/04/A.csv &&
	printf "x\n2\n" >lay/exports/2024/04/04/B.txt &&
	bf-extract --source lay --layout "exports/{yyyy}/{mm}/{dd}" --all --state l.db >lout &&
	test "$(states lout)" = " 2024-04-04 present 1 0" &&
	bf-extract --source lay --layout "exports/{yyyy}/{mm}/{dd}" --all --include "*.txt" --force --state l.db >lout2 &&
	test "$(jq -r "select(.type == \"RECORD\") | .stream" lout2)" = b
'

test_expect_success SQLITE3 'a lone CR ends a line: (_bf_source, _bf_line) stays a key, a bad row keeps only its own bytes' '
	mkdir -p cr/L/20240101 &&
	printf "a,b\n1,x\ry,w\n2,z\n" >cr/L/20240101/Lf.csv &&
	printf "a,b\r1,2\r3,4,5\r6,7\r" >cr/L/20240101/Cr.csv &&
	test_expect_code 1 bf-extract --source cr --all --state cr.db >crout 2>crerr &&
	test "$(jq -r "select(.type == \"RECORD\") | \"\(.stream) \(.record._bf_line) \(.record.a)\"" crout | tr "\n" " ")" = \
		"cr 2 1 cr 4 6 lf 2 1 lf 3 y lf 4 2 " &&
	test "$(jq -r "select(.type == \"RECORD\") | \"\(.record._bf_source) \(.record._bf_line)\"" crout | sort | uniq -d | wc -l)" = 0 &&
	test "$(sqlite3 cr.db "SELECT line, hex(raw) FROM quarantine")" = "3|$(printf "3,4,5" | od -An -tx1 | tr -d " \n" | tr a-f A-F)"
'

test_lazy_prereq BF_SAMPLE 'command -v bf-sample'

test_expect_success BF_SAMPLE 'on a generated drop: one STATE per partition and row counts equal the manifest' '
	bf-sample --out gen --seed 7 --days 20 --orders-per-day 40 --locations 2 --defects all >/dev/null &&
	bf-extract --source gen --all --state g.db >gout 2>gerr || test $? = 1 &&
	jq -r ".partitions[] | \"\(.location) \(.date)\"" gen/manifest.json | sort >want-parts &&
	jq -r "select(.type == \"STATE\") | \"\(.value.bf.location) \(.value.bf.date)\"" gout | sort >got-parts &&
	test_cmp want-parts got-parts &&
	test "$(sort got-parts | uniq -d | wc -l)" = 0 &&
	jq -r ".partitions[] | \"\(.location) \(.date) \([(.files // {})[] | .rows] | add // 0) \([(.files // {})[] | .bad_rows] | add // 0)\"" \
		gen/manifest.json | sort >want-rows &&
	jq -r "select(.type == \"STATE\") | .value.bf | \"\(.location) \(.date) \(.total_rows) \(.quarantined)\"" gout |
		sort >got-rows &&
	test_cmp want-rows got-rows &&
	test "$(jq -c "select(.type == \"RECORD\")" gout | wc -l)" = "$(jq "[.partitions[] | (.files // {})[] | .rows] | add" gen/manifest.json)"
'

test_done
