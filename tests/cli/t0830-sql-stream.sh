#!/usr/bin/env bash
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
test_description='bf-extract streams a big table: peak memory flat (under 64 MB) whatever the rows, from PostgreSQL and through ODBC from MariaDB'
. "$(dirname "$0")/../lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/workorders.sh"

# 1,000,000 rows from PostgreSQL and 300,000 through ODBC; the sanitizer run checks
# memory handling, not volume, with fewer
PG_ROWS=${BF_TEST_SQL_ROWS:-1000000}
MARIA_ROWS=${BF_TEST_SQL_ODBC_ROWS:-300000}
if [ "${BF_TEST_SANITIZE:-0}" = 1 ]; then
	PG_ROWS=${BF_TEST_SQL_ROWS:-100000}
	MARIA_ROWS=${BF_TEST_SQL_ODBC_ROWS:-30000}
fi
LIMIT_KB=$((64 * 1024))

# rss_ok NAME: the peak RSS /usr/bin/time wrote to NAME.time is under the limit
rss_ok() {
	local kb
	kb=$(cat "$1.time")
	echo "# $1: peak RSS $((kb / 1024)) MB" >&2
	[ "$kb" -gt 0 ] && [ "$kb" -lt $LIMIT_KB ]
}

test_expect_success PG,SQLITE3 "PostgreSQL: $PG_ROWS rows over 3 days, one of them a third of all, RSS < 64 MB" '
	start_pg &&
	workorders_pg "$PG_ROWS" 3 | PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 &&
	/usr/bin/time -f %M -o pg.time bf-extract -q --source "$BF_PG_URL" --table work_orders --date-column opened \
		--location-column site --time-zone America/New_York --all | grep -c "^{\"type\":\"RECORD\"" >n &&
	test "$(cat n)" = "$PG_ROWS" &&
	rss_ok pg &&
	test "$(sqlite3 "$BF_STATE" "SELECT sum(rows), count(*) FROM files")" = "$PG_ROWS|9"
'

test_expect_success MARIADB,ODBC_MARIADB,SQLITE3 "MariaDB through ODBC: $MARIA_ROWS rows in block fetches, RSS < 64 MB" '
	start_mariadb &&
	odbc_setup &&
	workorders_mariadb "$MARIA_ROWS" 2 | MYSQL_PWD=$MARIADB_PASSWORD mariadb --no-defaults --default-character-set=utf8mb4 \
		-h 127.0.0.1 -P "$MARIADB_PORT" -u "$MARIADB_USER" "$MARIADB_DATABASE" &&
	BF_ODBC_PASSWORD=$MARIADB_PASSWORD /usr/bin/time -f %M -o maria.time bf-extract -q \
		--source "odbc:Driver={MariaDB};Server=127.0.0.1;Port=$MARIADB_PORT;Database=$MARIADB_DATABASE;Uid=$MARIADB_USER" \
		--table work_orders --date-column opened --all | grep -c "^{\"type\":\"RECORD\"" >n &&
	test "$(cat n)" = "$MARIA_ROWS" &&
	rss_ok maria
'

test_done
