#!/usr/bin/env bash
test_description='bf-closure on generated drops of a small and a large business, and on a million-row day'
. "$(dirname "$0")/../lib/test-lib.sh"

test_lazy_prereq SAMPLE 'test -x "$BF_BUILD/bf-sample"'
test_lazy_prereq GNUTIME '/usr/bin/time -f %M true'

# verdicts_match DROP: the closures table says what the drop's manifest says, partition
# for partition.
verdicts_match() {
	jq -r '.partitions[] | "\(.location) \(.date) \(if .closed then "closed" else "open" end) \(.reason // "-")"' \
		"$1/manifest.json" | sort >"$1.want" &&
	sqlite3 -separator ' ' "$BF_STATE" \
		"select location, date, verdict, coalesce(reason, '-') from closures order by 1, 2" >"$1.got" &&
	test_cmp "$1.want" "$1.got" &&
	jq -e '[.partitions[] | select(.closed) | .reason] | unique | length == 4' "$1/manifest.json" >/dev/null
}

# rows_flagged DROP DB: every real row of a closed day is in the target, flagged; no row
# of an open day is; and every (location, date) has at least one row in every table.
rows_flagged() {
	local want got t n parts
	want=$(jq '[.partitions[] | select(.closed) | .files[]?.rows] | add // 0' "$1/manifest.json") &&
	parts=$(jq '.partitions | length' "$1/manifest.json") &&
	got=0 &&
	for t in $(sqlite3 "$2" "select stream from _bf_streams"); do
		n=$(sqlite3 "$2" "select count(*) from \"$t\" where closure_indicator = 1 and _bf_source <> 'closure'") &&
		got=$((got + n)) &&
		test "$(sqlite3 "$2" "select count(*) from \"$t\" where closure_indicator is null or (closure_indicator = 0 and closure_reason is not null)")" = 0 &&
		test "$(sqlite3 "$2" "select count(*) from (select distinct _bf_location, _bf_date from \"$t\")")" = "$parts" ||
		return 1
	done &&
	echo "closed-day rows: manifest $want, target $got" &&
	test "$want" = "$got" &&
	test "$(sqlite3 "$2" "select count(*) from _bf_streams")" -ge 7
}

# The sanitizer run (BF_TEST_SANITIZE=1) checks memory, not volume: a smaller large business.
large=5000
[ "${BF_TEST_SANITIZE:-0}" = 1 ] && large=1000
for size in 20 $large; do
	test_expect_success SAMPLE,SQLITE3,JQ "$size orders a day: default verdicts match the manifest" "
		bf-sample --out s$size --seed 7 --days 120 --orders-per-day $size --locations 2 -q &&
		rm -f \"\$BF_STATE\" &&
		bf-extract --source s$size --all | bf-closure | bf-load --target w$size.db >/dev/null &&
		verdicts_match s$size
	"
	test_expect_success SAMPLE,SQLITE3,JQ "$size orders a day: closed-day rows flagged, every (date, stream) has a row" "
		rows_flagged s$size w$size.db &&
		test \"\$(sqlite3 \"\$BF_STATE\" \"select count(*) from partitions where status = 'closed'\")\" = \
			\"\$(jq '[.partitions[] | select(.closed)] | length' s$size/manifest.json)\"
	"
	rm -rf "s$size" "w$size.db"
done

# ASan's shadow memory inflates RSS: the bounds are checked by the plain run only.
test_expect_success GNUTIME 'a day of a million rows: memory stays flat' '
	mkdir -p big/1/20240102 tmp &&
	awk "BEGIN { print \"Order Id,Amount,Note\"; for (i = 0; i < 1000000; i++) printf \"%d,%d.50,row %d of a busy day\n\", i, i % 100, i }" \
		>big/1/20240102/OrderDetails.csv &&
	rm -f "$BF_STATE" &&
	bf-extract --source big --date 2024-01-02 >big.ndjson &&
	TMPDIR=$PWD/tmp /usr/bin/time -f %M -o rss bf-closure -v --today 2024-02-01 <big.ndjson >big.out 2>err &&
	echo "peak RSS $(cat rss) KB" &&
	{ test "${BF_TEST_SANITIZE:-0}" = 1 || test "$(cat rss)" -lt 100000; } &&
	grep spilled err &&
	test -z "$(ls tmp)" &&
	test "$(grep -c "\"closure_indicator\":false,\"closure_reason\":null}" big.out)" = 1000000 &&
	TMPDIR=$PWD/tmp /usr/bin/time -f %M -o rss8 bf-closure --max-memory 8M --today 2024-02-01 <big.ndjson >big8.out &&
	echo "peak RSS with --max-memory 8M: $(cat rss8) KB" &&
	{ test "${BF_TEST_SANITIZE:-0}" = 1 || test "$(cat rss8)" -lt 40000; } &&
	# the same messages; only the STATE'"'"'s evidence says how much was spilled
	head -n -1 big.out >a && head -n -1 big8.out >b && cmp a b && rm -f a b &&
	rm -f big.ndjson big.out big8.out
'

test_done
