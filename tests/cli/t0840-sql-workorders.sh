#!/usr/bin/env bash
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
test_description='the work-order recipe end to end: medical work orders in PostgreSQL -> bf-run (bf-extract by business date | bf-enrich offline embedding | bf-closure | bf-load) into PostgreSQL and SQLite; killed at random and resumed = one clean run'
. "$(dirname "$0")/../lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/workorders.sh"

SEEDS=${BF_TEST_SEEDS:-3}
[ "${BF_TEST_SANITIZE:-0}" = 1 ] && SEEDS=${BF_TEST_SEEDS:-1}

# the bf-run of the recipe (docs/sources.md) into TARGET, its stage options included;
# recipe_args sets them in $args (so that bf-run itself can run in the background)
recipe_args() {
	local target=$1
	shift
	args=(--source "$BF_PG_URL" --table work_orders --date-column opened --location-column site
		--time-zone America/New_York --all --target "$target" --batch-size 4 --no-log -q
		--enrich-arg --no-auto --enrich-arg --embed --enrich-arg work_orders.description:16
		--closure-arg --activity-stream=work_orders --closure-arg --amount-column=work_orders.cost
		--closure-arg --void-column= "$@")
}
recipe() {
	recipe_args "$@" && bf-run "${args[@]}"
}

# the loaded rows, whatever order they came in
lite_sum() {
	sqlite_checksum "$1" "SELECT _bf_date, _bf_location, _bf_line, id, opened, department, description, cost,
		credit, closed, hex(description_embedding), closure_indicator, closure_reason FROM work_orders"
}
pg_sum() {
	psql -X -At -c "SELECT count(*) || ' ' || md5(string_agg(t::text, E'\n' ORDER BY t::text)) FROM (
		SELECT _bf_date, _bf_location, _bf_line, id, opened, department, description, cost, credit, closed,
		description_embedding, closure_indicator, closure_reason FROM $1.work_orders) t"
}

# killer SEED: SIGKILLs a stage or bf-run at random moments, six times at most, then lets
# the try finish (about half of the tries do, a slow, sanitized build's too)
killer() {
	local seed=$1 victims n=0
	RANDOM=$seed
	while kill -0 "$runpid" 2>/dev/null && [ $n -lt 6 ]; do
		n=$((n + 1))
		sleep "0.$((RANDOM % 2))$((RANDOM % 9 + 1))"
		if [ $((RANDOM % 10)) -eq 0 ]; then
			kill -KILL "$runpid" 2>/dev/null
			return 0
		fi
		# the stages only: under the sanitizer bf-run's other child is LeakSanitizer's
		# tracer at exit, which bf-run would wait for forever
		victims=$(pgrep -P "$runpid" -x "bf-extract|bf-enrich|bf-closure|bf-load" 2>/dev/null) || continue
		set -- $victims
		[ $# -gt 0 ] || continue
		shift $((RANDOM % $#))
		kill -KILL "$1" 2>/dev/null
	done
	return 0
}

test_expect_success PG,SQLITE3 'set up: 6,000 work orders over 10 days, three sites, east closed on 2024-03-05' '
	start_pg &&
	workorders_pg 6000 10 | PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 &&
	psql -X -q -c "DELETE FROM work_orders WHERE site = \$\$east\$\$ AND (opened AT TIME ZONE \$\$America/New_York\$\$)::date = \$\$2024-03-05\$\$"
'

# (the last rows fall on 2024-03-11 in New York, a day with too few of them: closed too)
test_expect_success PG,SQLITE3 'one clean run into SQLite: every date accounted for, the closed days marked' '
	BF_STATE=$PWD/clean.state recipe clean.db &&
	test "$(sqlite3 clean.db "SELECT count(*) FROM work_orders WHERE _bf_line > 0")" = 5800 &&
	test "$(sqlite3 clean.db "SELECT count(DISTINCT _bf_date || _bf_location) FROM work_orders")" = 33 &&
	sqlite3 clean.db "SELECT DISTINCT _bf_date, _bf_location, closure_reason FROM work_orders WHERE closure_indicator
		ORDER BY 1, 2" >closed &&
	printf "%s\n" "2024-03-05|east|low_activity" "2024-03-11|east|low_activity" "2024-03-11|north|low_activity" \
		"2024-03-11|south|low_activity" >expect &&
	test_cmp expect closed &&
	test "$(sqlite3 clean.db "SELECT count(*) FROM work_orders WHERE _bf_line = 0")" = 1 &&
	test "$(sqlite3 clean.db "SELECT count(*) FROM work_orders WHERE length(description_embedding) = 64")" = 5800 &&
	test "$(sqlite3 clean.state "SELECT status, count(*) FROM partitions GROUP BY 1 ORDER BY 1" | tr "\n" " ")" = \
		"closed|4 loaded|29 " &&
	test "$(sqlite3 clean.state "SELECT json_extract(evidence, char(36) || \".thresholds.files_basis\") FROM closures LIMIT 1")" = \
		"not_applicable" &&
	lite_sum clean.db >clean.sum
'

test_expect_success PG 'one clean run into PostgreSQL (schema clean): typed columns' '
	BF_STATE=$PWD/pgclean.state recipe "$BF_PG_URL" --load-arg --pg-schema=clean &&
	test "$(psql -X -At -c "SELECT data_type FROM information_schema.columns WHERE table_schema = \$\$clean\$\$
		AND table_name = \$\$work_orders\$\$ AND column_name IN (\$\$id\$\$, \$\$cost\$\$, \$\$closed\$\$, \$\$opened\$\$)
		ORDER BY column_name" | tr "\n" " ")" = "boolean numeric bigint timestamp without time zone " &&
	test "$(psql -X -At -c "SELECT count(*) FROM clean.work_orders w JOIN public.work_orders s USING (id)
		WHERE w.cost = s.cost AND w.opened = (s.opened AT TIME ZONE \$\$UTC\$\$)
		AND w.credit IS NOT DISTINCT FROM s.credit AND w.description = s.description")" = 5800 &&
	pg_sum clean >pgclean.sum
'

for seed in $(seq 1 "$SEEDS"); do
	test_expect_success PG,SQLITE3 "seed $seed: killed at random, resumed until done, the same targets as one clean run" '
		rm -f k.state* k.db* kpg.state* &&
		psql -X -q -c "DROP SCHEMA IF EXISTS k CASCADE" &&
		tries=0 &&
		while :; do
			tries=$((tries + 1)) &&
			recipe_args k.db &&
			{ BF_STATE=$PWD/k.state bf-run "${args[@]}" & runpid=$!; } &&
			killer $((seed * 31 + tries)) &&
			rc=0 && wait $runpid || rc=$? ;
			[ "$rc" = 0 ] && break;
			[ $tries -lt 40 ] || { echo "not done after $tries tries"; false; } || return 1
		done &&
		BF_STATE=$PWD/k.state recipe k.db &&
		lite_sum k.db >k.sum &&
		test_cmp clean.sum k.sum &&
		tries=0 &&
		while :; do
			tries=$((tries + 1)) &&
			recipe_args "$BF_PG_URL" --load-arg --pg-schema=k &&
			{ BF_STATE=$PWD/kpg.state bf-run "${args[@]}" & runpid=$!; } &&
			killer $((seed * 17 + tries)) &&
			rc=0 && wait $runpid || rc=$? ;
			[ "$rc" = 0 ] && break;
			[ $tries -lt 40 ] || { echo "not done after $tries tries"; false; } || return 1
		done &&
		pg_sum k >kpg.sum &&
		test_cmp pgclean.sum kpg.sum
	'
done

test_done
