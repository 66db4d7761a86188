#!/usr/bin/env bash
test_description='the target is the truth: its commit is on disk before the state file marks the partition; a partition the state file calls loaded but the target lacks is loaded again'
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd sqlite3

. "$TEST_DIRECTORY/lib/drop-fixture.sh"

INJECT=$BF_BUILD/tests/inject-io.so
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"

loads() { sqlite3 "$1" "SELECT location, date, rows, status FROM _bf_loads ORDER BY 1, 2"; }
same_as_clean() { test "$(wh_sum "$1")" = "$(cat want.sum)" && loads "$1" >got.loads && test_cmp want.loads got.loads; }

test_expect_success 'setup: a drop and a clean load of it' '
	bf-sample --out drop --seed 11 --days 6 --orders-per-day 30 --locations 2 --quiet &&
	{ bf-extract -q --source drop --all --state clean-s.db | bf-load -q --target clean.db --state clean-s.db >/dev/null ||
		test $? = 1; } &&
	wh_sum clean.db >want.sum && loads clean.db >want.loads && test_line_count = 12 want.loads &&
	{ bf-extract -q --source drop --all --state x.db >msgs || test $? = 1; }
'

test_expect_success 'each partition commit is synced before its STATE comes out' '
	rm -rf c count && mkdir c &&
	LD_PRELOAD=$INJECT BF_INJECT_MATCH=$PWD/c/w.db-wal BF_INJECT_COUNT=$PWD/count \
		bf-load -q --target "$PWD/c/w.db" --state c/s.db <msgs >c/out &&
	read -r _ W _ F _ C <count &&
	echo "$F syncs of the WAL for $(wc -l <c/out) partitions" &&
	test "$F" -ge "$(wc -l <c/out)"
'

test_expect_success 'a committed date removed behind bf'\''s back: bf-load marks it pending when it starts' '
	{ bf-extract -q --source drop --all --state s.db | bf-load -q --target w.db --state s.db >/dev/null ||
		test $? = 1; } &&
	same_as_clean w.db &&
	gone=$(sqlite3 w.db "SELECT location || \" \" || date FROM _bf_loads ORDER BY date, location LIMIT 1 OFFSET 3") &&
	set -- $gone && loc=$1 day=$2 &&
	for t in $(sqlite3 w.db "SELECT stream FROM _bf_streams"); do
		sqlite3 w.db "DELETE FROM \"$t\" WHERE _bf_date = \"$day\" AND _bf_location = \"$loc\"" || return 1
	done &&
	sqlite3 w.db "DELETE FROM _bf_loads WHERE date = \"$day\" AND location = \"$loc\"" &&
	bf-load --target w.db --state s.db </dev/null >/dev/null 2>err &&
	grep "$loc/$day of .* is marked done in the state file but missing here" err &&
	sqlite3 s.db "SELECT status, last_error FROM partitions WHERE location = \"$loc\" AND date = \"$day\"" >st &&
	grep "^pending|marked done, but w.db does not have it" st &&
	test "$(sqlite3 s.db "SELECT count(*) FROM partitions WHERE status = \"pending\"")" = 1
'

test_expect_success '... and a plain re-run loads it: the warehouse is the clean one again' '
	{ bf-extract -q --source drop --all --state s.db | bf-load -q --target w.db --state s.db >out || test $? = 1; } &&
	test_line_count = 1 out &&
	same_as_clean w.db
'

test_expect_success 'a date removed behind bf'\''s back is found by a plain re-run, loaded by the next one' '
	sqlite3 w.db "DELETE FROM _bf_loads WHERE date = \"$day\" AND location = \"$loc\"" &&
	{ bf-extract -q --source drop --all --state s.db >m1 || test $? = 1; } &&
	bf-load --target w.db --state s.db <m1 >/dev/null 2>err &&
	grep "marked done in the state file but missing here" err &&
	{ bf-extract -q --source drop --all --state s.db | bf-load -q --target w.db --state s.db >out || test $? = 1; } &&
	test_line_count = 1 out && same_as_clean w.db
'

test_expect_success 'the state file of another target: only the sources a target holds are corrected' '
	cp clean-s.db s2.db &&
	printf "%s\n" "{\"type\":\"SCHEMA\",\"stream\":\"t\",\"schema\":{\"properties\":{\"a\":{\"type\":\"string\"}}},\"key_properties\":[]}" \
		"{\"type\":\"RECORD\",\"stream\":\"t\",\"record\":{\"a\":\"1\",\"_bf_date\":\"2024-01-01\",\"_bf_location\":\"x\"}}" \
		"{\"type\":\"STATE\",\"value\":{\"bf\":{\"source\":\"elsewhere\",\"location\":\"x\",\"date\":\"2024-01-01\"}}}" >other.ndjson &&
	bf-load -q --target other.db --state s2.db <other.ndjson >/dev/null &&
	bf-load -q --target other.db --state s2.db </dev/null >/dev/null &&
	test "$(sqlite3 s2.db "SELECT count(*) FROM partitions WHERE status = \"pending\"")" = 0
'

test_expect_success JQ 'two targets: a partition deleted from A but held by B stays loaded for B and is run again for A' '
	for w in A B; do
		{ bf-run -q --source drop --target $w.db --state ab.db --all --no-closure --log $w.json ||
			test $? = 1; } || return 1
	done &&
	test "$(wh_sum A.db)" = "$(wh_sum B.db)" &&
	test "$(sqlite3 ab.db "SELECT count(DISTINCT target) FROM loads")" = 2 &&
	set -- $(sqlite3 -separator " " A.db "SELECT location, date FROM _bf_loads ORDER BY date, location LIMIT 1 OFFSET 5") &&
	loc=$1 day=$2 &&
	for t in $(sqlite3 A.db "SELECT stream FROM _bf_streams"); do
		sqlite3 A.db "DELETE FROM \"$t\" WHERE _bf_date = \"$day\" AND _bf_location = \"$loc\"" || return 1
	done &&
	sqlite3 A.db "DELETE FROM _bf_loads WHERE date = \"$day\" AND location = \"$loc\"" &&
	sqlite3 ab.db .dump >before.sql &&
	bf-run --source drop --target A.db --state ab.db --all --no-closure --dry-run >planA 2>errA &&
	grep "$loc/$day of .* missing here: a run would load it again" errA &&
	grep "^$day  pending  resume" planA &&
	test "$(grep -c "  done  *skip (done)" planA)" = 5 &&
	sqlite3 ab.db .dump >after.sql && test_cmp before.sql after.sql &&
	bf-run --source drop --target B.db --state ab.db --all --no-closure --dry-run >planB 2>errB &&
	test "$(grep -c "  done  *skip (done)" planB)" = 6 && ! grep "missing here" errB &&
	bf-load --target A.db --state ab.db </dev/null >/dev/null 2>errL &&
	grep "$loc/$day of .* missing here: another target holds it" errL &&
	q="SELECT target LIKE \"%/B.db\" FROM loads WHERE location = \"$loc\" AND date = \"$day\"" &&
	test "$(sqlite3 ab.db "$q")" = 1 &&
	test "$(sqlite3 ab.db "SELECT status FROM partitions WHERE location = \"$loc\" AND date = \"$day\"")" = loaded &&
	{ bf-run -q --source drop --target A.db --state ab.db --all --no-closure --log A2.json || test $? = 1; } &&
	jq -e ".summary.processed == 1 and .summary.skipped == 5" A2.json &&
	test "$(wh_sum A.db)" = "$(wh_sum B.db)" &&
	{ bf-run -q --source drop --target B.db --state ab.db --all --no-closure --log B2.json || test $? = 1; } &&
	jq -e ".summary.processed == 0 and .summary.skipped == 6" B2.json
'

test_expect_success JQ 'bf-run alone corrects the state file before it plans: the date missing in A is run again' '
	for t in $(sqlite3 A.db "SELECT stream FROM _bf_streams"); do
		sqlite3 A.db "DELETE FROM \"$t\" WHERE _bf_date = \"$day\" AND _bf_location = \"$loc\"" || return 1
	done &&
	sqlite3 A.db "DELETE FROM _bf_loads WHERE date = \"$day\" AND location = \"$loc\"" &&
	{ bf-run --source drop --target A.db --state ab.db --all --no-closure --log A3.json 2>errR || test $? = 1; } &&
	grep "$loc/$day of .* missing here: another target holds it" errR &&
	jq -e ".summary.processed == 1 and .summary.skipped == 5" A3.json &&
	test "$(wh_sum A.db)" = "$(wh_sum B.db)"
'

test_expect_success 'power cut mid-load: the files as of their last sync; a plain re-run equals a clean run' '
	rm -rf pc && mkdir -p pc/snap && mkfifo pc/fifo &&
	export LD_PRELOAD=$INJECT BF_INJECT_MATCH=$PWD/pc/ BF_INJECT_SNAPSHOT=$PWD/pc/snap &&
	{ bf-extract -q --source drop --all --state "$PWD/pc/s.db" >pc/fifo 2>/dev/null & } &&
	xpid=$! &&
	{ bf-load -q --target "$PWD/pc/w.db" --state "$PWD/pc/s.db" <pc/fifo >pc/out & } &&
	lpid=$! &&
	wait_until "test \$(wc -l <pc/out) -ge 5" 30 &&
	kill -9 $lpid $xpid 2>/dev/null; wait $lpid $xpid 2>/dev/null;
	# another process syncs the state file before the power goes (any bf stage may)
	sqlite3 "$PWD/pc/s.db" "PRAGMA wal_checkpoint" >/dev/null &&
	unset LD_PRELOAD BF_INJECT_MATCH BF_INJECT_SNAPSHOT &&
	test "$(sqlite3 pc/snap/s.db "SELECT count(*) FROM partitions WHERE status IN (\"loaded\", \"closed\")")" -ge 5 &&
	for f in w.db w.db-wal s.db s.db-wal; do
		rm -f "pc/$f" && { ! test -f "pc/snap/$f" || cp "pc/snap/$f" "pc/$f"; } || return 1
	done &&
	rm -f pc/*-shm &&
	{ bf-extract -q --source drop --all --state pc/s.db | bf-load -q --target pc/w.db --state pc/s.db >/dev/null ||
		test $? = 1; } &&
	same_as_clean pc/w.db
'

test_done
