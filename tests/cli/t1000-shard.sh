#!/usr/bin/env bash
test_description='bf-run --shard across three hosts (three sshd on loopback) under GNU parallel --sshlogin, into one PostgreSQL'
. "$(dirname "$0")/../lib/test-lib.sh"

# pg_rows SCHEMA: every loaded row of every table of the schema, one sorted line each
# (the columns in name order, the table's name first)
pg_rows() {
	local t
	for t in $(psql -X -At -c "select table_name from information_schema.tables where table_schema = '$1' and table_name not like '\\_bf\\_%' and table_type = 'BASE TABLE' order by 1"); do
		psql -X -At -c "select '$t', t::text from \"$1\".\"$t\" t" | sort
	done
}

# verdicts DB...: (location, date, verdict, reason) of the closures tables, sorted
verdicts() {
	local db
	for db in "$@"; do
		sqlite3 "$db" "select location, date, verdict, ifnull(reason, '') from closures"
	done | sort
}

# parts DB...: the partitions of the state files, sorted
parts() {
	local db
	for db in "$@"; do
		sqlite3 "$db" "select location || ' ' || date from partitions"
	done | sort
}

# on_host K CMD...: CMD on host K (its sshd), through ssh
on_host() {
	local k=$1
	shift
	ssh -F "$TRASH_DIRECTORY/ssh_config" "h$k" "$@"
}

test_expect_success SSHD,PG,PARALLEL 'setup: a drop, one PostgreSQL, three hosts' '
	bf-sample --out drop --seed 7 --days 70 --orders-per-day 15 --locations 3 --quiet &&
	start_pg &&
	: >ssh_config && : >known_hosts &&
	for k in 1 2 3; do
		start_sshd "$TRASH_DIRECTORY/sshd$k" &&
		cat "$SSH_DIR/known_hosts" >>known_hosts &&
		printf "Host h%s\n\tHostName 127.0.0.1\n\tPort %s\n\tUser %s\n\tIdentityFile %s\n" \
			"$k" "$SSH_PORT" "$SSH_USER" "$SSH_KEY" >>ssh_config &&
		printf "\tIdentitiesOnly yes\n\tIdentityAgent none\n\tBatchMode yes\n\tLogLevel ERROR\n" >>ssh_config &&
		printf "\tUserKnownHostsFile %s\n\tGlobalKnownHostsFile /dev/null\n" \
			"$TRASH_DIRECTORY/known_hosts" >>ssh_config &&
		printf "\tStrictHostKeyChecking yes\n\tCheckHostIP no\n" >>ssh_config &&
		mkdir -p "host$k" || return 1
	done &&
	on_host 2 true &&
	# what every host runs: in its own working folder, its own state file, the shared target
	{
		printf "BFRUN=%q\nDROP=%q\nPGPASSFILE=%q\nTARGET=%q\n" "$(command -v bf-run)" \
			"$TRASH_DIRECTORY/drop" "$PG_PASSFILE" "$BF_PG_URL" &&
		printf "export PGPASSFILE\n"
	} >host.env &&
	cat >shard.sh <<-\EOF &&
	#!/bin/sh
	# shard.sh DIR K N [bf-run options]: run on a host, in DIR, as shard K of N
	here=$(dirname "$0")
	. "$here/host.env"
	dir=$1 k=$2 n=$3
	shift 3
	mkdir -p "$here/$dir" && cd "$here/$dir" || exit 1
	echo "$SSH_CONNECTION" >ssh_connection
	echo $$ >pid
	all=--all
	case " $* " in *" --dates "*) all= ;; esac
	exec "$BFRUN" --source "$DROP" --target "$TARGET" $all --shard "$k/$n" --state state.db \
		--no-log -q "$@"
	EOF
	# the fix-up: a shard runs again the dates whose verdicts bf-closure --rejudge changed,
	# with the history it wrote
	cat >fixup.sh <<-\EOF &&
	#!/bin/sh
	# fixup.sh DIR [shard.sh arguments]
	here=$(dirname "$0")
	dates=$(awk -F"\t" -v f="$1/state.db" "\$1 == f { print \$4 }" "$here/changed.tsv" | sort -u | paste -sd, -)
	shift
	[ -n "$dates" ] || exit 0
	exec "$here/shard.sh" "$@" --force --dates "$dates" --closure-arg --history="$here/history.db"
	EOF
	chmod +x shard.sh fixup.sh
'

test_expect_success SSHD,PG,PARALLEL 'the single-machine run (verdicts in date order)' '
	PGPASSFILE=$PG_PASSFILE bf-run --source drop --target "$BF_PG_URL" --load-arg --pg-schema=one \
		--all --max-workers 1 --state one.db --no-log -q &&
	pg_rows one >one.rows &&
	test_line_count -gt 1000 one.rows &&
	test "$(sqlite3 one.db "select count(*) from closures where verdict = '\''closed'\''")" -gt 0
'

test_expect_success SSHD,PG,PARALLEL 'bf-run --shard {%}/3 on three hosts through parallel --sshlogin' '
	parallel --ssh "ssh -F $TRASH_DIRECTORY/ssh_config" -S 1/h1,1/h2,1/h3 -j1 \
		"$TRASH_DIRECTORY/shard.sh host{%} {%} 3 --load-arg --pg-schema=three" ::: a b c &&
	# three sshd served one shard each
	for k in 1 2 3; do cut -d" " -f4 "host$k/ssh_connection"; done | sort -u >ports &&
	test_line_count = 3 ports
'

test_expect_success SSHD,PG,PARALLEL 'every partition in exactly one shard, each shard near a third' '
	parts one.db >expect &&
	parts host1/state.db host2/state.db host3/state.db >actual &&
	test_cmp expect actual &&
	total=$(wc -l <expect) &&
	for k in 1 2 3; do
		n=$(parts "host$k/state.db" | wc -l) &&
		test $((n * 3 * 10)) -ge $((total * 7)) && test $((n * 3 * 10)) -le $((total * 13)) || return 1
	done
'

test_expect_success SSHD,PG,PARALLEL 'bf-closure --rejudge over the shards gives the single run'\''s verdicts' '
	bf-closure --rejudge --history history.db host1/state.db host2/state.db host3/state.db >changed.tsv 2>err &&
	grep "210 verdicts judged again over 3 state files" err &&
	verdicts one.db >expect &&
	verdicts history.db >actual &&
	test_cmp expect actual &&
	# what it lists as changed is exactly where a shard, judging on its third of the
	# history, differs from the single run
	verdicts host1/state.db host2/state.db host3/state.db >pass1 &&
	comm -13 expect pass1 | cut -d"|" -f1,2 >differs &&
	awk -F"\t" "{ print \$3 \"|\" \$4 }" changed.tsv | sort >listed &&
	test_cmp differs listed &&
	echo "# pass 1 verdicts that differ from the single run: $(wc -l <differs)" >&5
'

test_expect_success SSHD,PG,PARALLEL 'the fix-up on the hosts: the union of the shards is the single run' '
	parallel --ssh "ssh -F $TRASH_DIRECTORY/ssh_config" -S 1/h1,1/h2,1/h3 -j1 \
		"$TRASH_DIRECTORY/fixup.sh host{%} host{%} {%} 3 --load-arg --pg-schema=three" ::: a b c &&
	verdicts one.db >expect &&
	verdicts host1/state.db host2/state.db host3/state.db >actual &&
	test_cmp expect actual &&
	pg_rows three >three.rows &&
	test_cmp one.rows three.rows
'

test_expect_success SSHD,PG,PARALLEL,JQ 'a shard run again has nothing to do; its dry run shows its share' '
	on_host 2 "$TRASH_DIRECTORY/shard.sh" host2 2 3 --load-arg --pg-schema=three --dry-run --json >plan.json &&
	jq -e ".shard.index == 2 and .shard.count == 3 and .counts.to_run == 0" plan.json &&
	test "$(jq ".shard.partitions" plan.json)" = "$(parts host2/state.db | wc -l)"
'

# the report over the three state files: bf-report --state A --state B --state C prints
# the single run's totals, and the sum of each shard's own
test_expect_success SSHD,PG,PARALLEL,JQ,SQLITE3 'the report over the three state files has the single run'\''s totals' '
	fields="partitions.total partitions.loaded partitions.closed rows_loaded marker_rows rows_extracted" &&
	bf-report --state one.db summary --json >one.json &&
	for f in $fields; do echo "$f $(jq ".overall.$f" one.json)" || return 1; done >expect &&
	bf-report --state host1/state.db --state host2/state.db --state host3/state.db summary --json >all.json &&
	for f in $fields; do echo "$f $(jq ".overall.$f" all.json)" || return 1; done >actual &&
	test_cmp expect actual &&
	for db in host1/state.db host2/state.db host3/state.db; do
		sqlite3 "$db" "select count(*), sum(status = '\''loaded'\''), sum(status = '\''closed'\''),
			sum(loaded_rows), sum(marker_rows), sum(rows) from partitions" || return 1
	done | awk -F"|" -v names="$fields" "{ for (i = 1; i <= NF; i++) s[i] += \$i }
		END { split(names, n, \" \"); for (i = 1; i <= 6; i++) print n[i], s[i] }" >summed &&
	test_cmp expect summed &&
	jq -e ".conflicts | type == \"array\" and length == 0" all.json
'

test_expect_success SSHD,PG,PARALLEL 'a shard killed and run again completes only its share' '
	{ on_host 2 "$TRASH_DIRECTORY/shard.sh" kill2 2 3 --load-arg --pg-schema=kill --max-workers 1 \
		--batch-size 1 --grace 0 >/dev/null 2>&1 & } &&
	wait_until "test \"\$(sqlite3 kill2/state.db \"select count(*) from loads\" 2>/dev/null)\" -ge 3" 60 &&
	kill -TERM "$(cat kill2/pid)" &&
	wait_until "! kill -0 $(cat kill2/pid) 2>/dev/null" 30 &&
	sqlite3 kill2/state.db "select location, date, loaded_at from loads order by 1, 2" >before &&
	test_line_count -ge 3 before &&
	parts host2/state.db >share &&
	test "$(wc -l <before)" -lt "$(wc -l <share)" &&
	on_host 2 "$TRASH_DIRECTORY/shard.sh" kill2 2 3 --load-arg --pg-schema=kill &&
	# what the first run committed was not done again ...
	sqlite3 kill2/state.db "select location, date, loaded_at from loads order by 1, 2" >after &&
	while read -r line; do grep -qxF "$line" after || return 1; done <before &&
	# ... and together they are the shard share, nothing more
	sqlite3 kill2/state.db "select location || '\'' '\'' || date from loads" | sort >done &&
	test_cmp share done &&
	psql -X -At -c "select distinct _bf_location || '\'' '\'' || _bf_date from kill.order_details" | sort >loaded &&
	comm -23 loaded share >foreign &&
	test_line_count = 0 foreign
'

test_done
