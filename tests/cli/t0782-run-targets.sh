#!/usr/bin/env bash
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
test_description='done means done in that target: one state file backfills a second warehouse; a state file of version 1 is migrated by the documented rule'
. "$(dirname "$0")/../lib/test-lib.sh"

. "$TEST_DIRECTORY/lib/run-fixture.sh"

test_expect_success SQLITE3 'setup: warehouse A backfilled' '
	run_drop src 6 "101 202" "i % 3 + 2" &&
	bf-run --source src --target a.db --all --no-closure -q --log a.json &&
	test "$(sqlite3 a.db "select count(*) from orders")" = 36
'

test_expect_success SQLITE3,JQ 'the same state file backfills warehouse B: every date is new there, and loaded' '
	bf-run --source src --target b.db --all --no-closure --dry-run >plan.out &&
	grep "into b.db: 6 new, 0 failed before, 0 done, 0 pending" plan.out &&
	bf-run --source src --target b.db --all --no-closure -q --log b.json &&
	jq -e ".summary.processed == 6 and .summary.skipped == 0 and .summary.rows_loaded == 36" b.json &&
	test "$(sqlite3 b.db "select count(*) from orders")" = 36 &&
	test "$(q "select count(distinct target) from loads")" = 2 &&
	test "$(q "select count(*) from loads where target = '\''sqlite:$TRASH_DIRECTORY/b.db'\''")" = 12
'

test_expect_success SQLITE3,JQ 'each warehouse is done: a rerun of either, from another spelling of its path, does nothing' '
	bf-run --source src --target a.db --all --no-closure -q --log a2.json &&
	jq -e ".summary.processed == 0 and .summary.skipped == 6" a2.json &&
	mkdir -p sub && (cd sub && bf-run --source ../src --target ../b.db --all --no-closure -q --log ../b2.json) &&
	jq -e ".summary.processed == 0 and .summary.skipped == 6" b2.json &&
	bf-run --source src --target "sqlite:$TRASH_DIRECTORY/b.db" --all --no-closure --dry-run >plan2.out &&
	grep "6 done" plan2.out
'

test_expect_success SQLITE3 'bf-extract alone: --target skips what is done there; without it, what is done anywhere' '
	bf-extract --source src --all --target c.db | bf-load --target c.db >/dev/null &&
	test "$(sqlite3 c.db "select count(*) from orders")" = 36 &&
	bf-extract --source src --all 2>skip.err | bf-load --target d.db >/dev/null &&
	grep "skipped 12 partitions already done" skip.err &&
	test "$(sqlite3 d.db "select count(*) from _bf_loads")" = 0
'

test_expect_success SQLITE3,JQ 'a date redone for B that fails is not done for A either: the next run of A does it again' '
	printf "#!/bin/sh\necho \"bf-extract: injected\" >&2\nexit 65\n" >bad-extract &&
	mkdir -p bad && mv bad-extract bad/bf-extract && chmod +x bad/bf-extract &&
	test_expect_code 1 bf-run --source src --target b.db --dates 2024-01-02 --force --no-closure \
		--exec-path bad -q --log bad.json &&
	bf-run --source src --target a.db --all --no-closure --dry-run >plan3.out &&
	grep "^2024-01-02  failed   retry" plan3.out &&
	bf-run --source src --target a.db --all --no-closure -q --log a3.json &&
	jq -e ".summary.processed == 1" a3.json
'

# a state file of version 1: its schema, and partitions loaded before loads were recorded
test_expect_success SQLITE3,JQ 'a version-1 state file: its loads count for every target; the migration keeps them' '
	sqlite3 old.db <"$BF_SRC/state/001_init.sql" &&
	src=$(cd src && pwd -P) &&
	for loc in 101 202; do
		for d in 2024-01-01 2024-01-02; do
			sqlite3 old.db "insert into partitions (source, location, date, status, attempts, rows, loaded_rows, updated_at)
				values ('\''$src'\'', '\''$loc'\'', '\''$d'\'', '\''loaded'\'', 1, 2, 2, '\''2024-01-05T00:00:00Z'\'')" || return 1
		done
	done &&
	sqlite3 old.db "pragma user_version = 1" &&
	cp old.db old-copy.db &&
	bf-run --source src --target e.db --all --no-closure --state old.db --dry-run >old.plan &&
	grep "into e.db: 4 new, 0 failed before, 2 done, 0 pending" old.plan &&
	cmp old.db old-copy.db &&
	bf-run --source src --target e.db --all --no-closure --state old.db -q --log e.json &&
	test "$(sqlite3 old.db "pragma user_version")" -ge 2 &&
	test "$(sqlite3 old.db "select count(*) from loads where target = '\'''\''")" = 4 &&
	jq -e ".summary.processed == 4 and .summary.skipped == 2" e.json &&
	bf-run --source src --target e.db --all --no-closure --state old.db --force -q --log e2.json &&
	jq -e ".summary.processed == 6" e2.json &&
	test "$(sqlite3 e.db "select count(*) from orders")" = 36
'

test_expect_success PG,JQ 'PostgreSQL: two schemas of one database are two targets; four loaders create the tables at once' '
	start_pg &&
	bf-run --source src --target "$BF_PG_URL" --load-arg --pg-schema --load-arg one --all --no-closure \
		-j 4 --batch-size 1 -q --log one.json &&
	bf-run --source src --target "$BF_PG_URL" --load-arg --pg-schema=two --all --no-closure \
		-j 4 --batch-size 1 -q --log two.json &&
	jq -e ".summary.processed == 6 and .summary.failed == 0" one.json &&
	jq -e ".summary.processed == 6 and .summary.failed == 0" two.json &&
	test "$(psql -X -At -c "select count(*) from one.orders")" = 36 &&
	test "$(psql -X -At -c "select count(*) from two.orders")" = 36 &&
	test "$(q "select count(*) from loads where target like '\''postgresql://%#two'\''")" = 12
'

test_done
