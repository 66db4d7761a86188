#!/usr/bin/env bash
# bf-extract from database tables against the databases' own export tools, same rows,
# same run:
#   PostgreSQL (libpq):        bf-extract --source postgresql://... --all  vs
#                              psql -c "\copy (select ...) to stdout csv"
#   MariaDB (unixODBC driver): bf-extract --source odbc:Driver={MariaDB};... --all  vs
#                              mariadb -B -e 'select ...'
# Data: the generated work-order table (tests/lib/workorders.sh), ROWS rows (default
# 1,000,000) over DAYS business days (default 30, America/New_York). Target: ratio of
# rows/s >= 0.80 each. Each side runs REPS times (default 3), alternating; medians of
# wall and CPU time, and the peak RSS of each side, are printed. bf-extract reads each
# business day as its own window (one query per day) and checksums the rows; the peers
# read the table in one query.
# Usage: tests/bench/b80-sql.sh [WORKDIR]   (BF_BUILD: the build directory)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${BF_BUILD:-$src/build}
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/bf-b80.XXXXXX")}
mkdir -p "$work"
chmod 755 "$work"
rows=${ROWS:-1000000}
days=${DAYS:-30}
reps=${REPS:-3}
cd "$work"
export BF_STATE=$work/state.db LC_ALL=C
# shellcheck source=tests/lib/workorders.sh
. "$src/tests/lib/workorders.sh"
# shellcheck source=tests/servers/freeport.sh
. "$src/tests/servers/freeport.sh"

echo "# b80-sql: $rows work orders over $days days in $work"
cols="id, site, opened, department, priority, description, cost, credit, closed"

# timed NAME CMD...: runs CMD (stdout to /dev/null), appends "wall cpu rss_kb" to NAME.times
timed() {
	local name=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o t.out "$@" >/dev/null
	awk '{ printf "%s %.2f %d\n", $1, $2 + $3, $4 }' t.out >>"$name.times"
}
med() { awk -v f="$2" '{ print $f }' "$1.times" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rate() { echo "scale=0; $rows / $1" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }
line() { # line LABEL NAME [BASE]: median wall, rows/s, cpu, peak RSS, ratios against BASE
	local w c
	w=$(med "$2" 1)
	c=$(med "$2" 2)
	printf '%-30s %7.2f s  %9d rows/s  cpu %6.2f s  rss %4d MB' "$1" "$w" "$(rate "$w")" "$c" \
		"$(($(med "$2" 3) / 1024))"
	[ -n "${3:-}" ] && printf '  ratio %s (cpu %s)' "$(ratio "$(med "$3" 1)" "$w")" "$(ratio "$(med "$3" 2)" "$c")"
	printf '\n'
}
stop_servers() {
	"$src/tests/servers/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
	"$src/tests/servers/mariadb.sh" stop "$work/mariadb" >/dev/null 2>&1 || true
}
trap stop_servers EXIT
rm -f ./*.times

if [ -x "$src/tests/servers/pg.sh" ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	"$src/tests/servers/pg.sh" start "$work/pg" >/dev/null
	# shellcheck disable=SC1091
	. "$work/pg/env"
	workorders_pg "$rows" "$days" | PGOPTIONS="-c client_min_messages=warning" psql -X -q
	# the server's CPU: its backends' time, which the postmaster collects as each exits
	pm=$(head -1 "$work/pg/data/postmaster.pid")
	srv_cpu() {
		sleep 0.3
		awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($16 + $17) / hz }' "/proc/$pm/stat"
	}
	for r in $(seq "$reps"); do
		s0=$(srv_cpu)
		timed copy psql -X -c "\\copy (SELECT $cols FROM work_orders) TO STDOUT WITH (FORMAT csv)"
		s1=$(srv_cpu)
		rm -f state.db*
		timed pg "$build/bf-extract" -q --source "$BF_PG_URL" --table work_orders --date-column opened \
			--time-zone America/New_York --all
		s2=$(srv_cpu)
		test "$(sqlite3 state.db "select sum(rows) from partitions")" = "$rows"
		echo "$s0 $s1" | awk '{ printf "0 %.2f 0\n", $2 - $1 }' >>copy-server.times
		echo "$s1 $s2" | awk '{ printf "0 %.2f 0\n", $2 - $1 }' >>pg-server.times
	done
	echo "# medians of $reps runs; ratio = bf-extract rows/s / peer rows/s (wall; cpu: peer cpu / bf-extract cpu)"
	line 'psql \copy CSV' copy
	line 'bf-extract <- PostgreSQL' pg copy
	echo '  (target: ratio >= 0.80)'
	printf 'server cpu: \\copy %.2f s, bf-extract %.2f s\n' "$(med copy-server 2)" "$(med pg-server 2)"
else
	echo "# PostgreSQL not installed: PostgreSQL comparison skipped"
fi

drv=""
for f in /usr/lib/*/odbc/libmaodbc.so; do [ -f "$f" ] && drv=$f; done
if [ -n "$drv" ] && command -v mariadb >/dev/null && [ -x "$src/tests/servers/mariadb.sh" ]; then
	"$src/tests/servers/mariadb.sh" start "$work/mariadb" >/dev/null
	# shellcheck disable=SC1091
	. "$work/mariadb/env"
	mkdir -p odbc
	printf '[MariaDB]\nDriver=%s\n' "$drv" >odbc/odbcinst.ini
	: >odbc/odbc.ini
	export ODBCSYSINI=$work/odbc ODBCINSTINI=odbcinst.ini ODBCINI=$work/odbc/odbc.ini
	maria() { MYSQL_PWD=$MARIADB_PASSWORD mariadb --no-defaults --default-character-set=utf8mb4 \
		-h 127.0.0.1 -P "$MARIADB_PORT" -u "$MARIADB_USER" "$MARIADB_DATABASE" "$@"; }
	workorders_mariadb "$rows" "$days" | maria
	cs="Driver={MariaDB};Server=127.0.0.1;Port=$MARIADB_PORT;Database=$MARIADB_DATABASE;Uid=$MARIADB_USER"
	for r in $(seq "$reps"); do
		timed mcli env MYSQL_PWD="$MARIADB_PASSWORD" mariadb --no-defaults --default-character-set=utf8mb4 \
			-h 127.0.0.1 -P "$MARIADB_PORT" -u "$MARIADB_USER" "$MARIADB_DATABASE" -B -e "SELECT $cols FROM work_orders"
		rm -f state.db*
		timed odbc env BF_ODBC_PASSWORD="$MARIADB_PASSWORD" "$build/bf-extract" -q --source "odbc:$cs" \
			--table work_orders --date-column opened --all
		test "$(sqlite3 state.db "select sum(rows) from partitions")" = "$rows"
	done
	line "mariadb -B -e 'select ...'" mcli
	line 'bf-extract <- MariaDB (ODBC)' odbc mcli
	echo '  (target: ratio >= 0.80)'
else
	echo "# MariaDB or its ODBC driver not installed: MariaDB comparison skipped"
fi
