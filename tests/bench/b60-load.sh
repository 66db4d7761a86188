#!/usr/bin/env bash
# bf-load throughput against the practical ceilings, same rows, same run:
#   SQLite:     bf-load --target PATH.db (typed columns)  vs  sqlite3 .import --csv
#   PostgreSQL: bf-load --target postgresql://...         vs  psql \copy ... CSV
# Data: a synthetic order stream, ORDERS a day (default 3000) x DAYS dates (default 432),
# 14 columns, lineage included. Targets: SQLite >= 70%, PostgreSQL >= 80%.
# Each side runs REPS times (default 3), alternating; medians of wall time and of CPU
# time (user+sys, so that a busy machine can still be judged) are printed.
# The peers load into a table of the same shape as bf-load's: the same column types and the
# (_bf_date, _bf_location) index bf-load keeps to replace a date in place.
# Usage: tests/bench/b60-load.sh [WORKDIR]   (BF_BUILD: the build directory)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${BF_BUILD:-$src/build}
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/bf-b60.XXXXXX")}
mkdir -p "$work"
chmod 755 "$work"
days=${DAYS:-432}
orders=${ORDERS:-3000}
cd "$work"
export BF_STATE=$work/state.db LC_ALL=C

echo "# b60-load: $orders orders/day x $days days in $work"
awk -v days="$days" -v n="$orders" 'BEGIN {
	cols = "order_id,order_number,opened,guests,server,dining_option,discount_amount,amount,tax,tip,total,voided,_bf_date,_bf_location,_bf_source,_bf_line"
	print cols > "orders.csv"
	printf "{\"type\":\"SCHEMA\",\"stream\":\"orders\",\"schema\":{\"type\":\"object\",\"properties\":{" > "orders.ndjson"
	printf "\"order_id\":{\"type\":\"integer\"},\"order_number\":{\"type\":\"integer\"},\"opened\":{\"type\":\"string\"}," > "orders.ndjson"
	printf "\"guests\":{\"type\":\"integer\"},\"server\":{\"type\":\"string\"},\"dining_option\":{\"type\":\"string\"}," > "orders.ndjson"
	printf "\"discount_amount\":{\"type\":\"number\"},\"amount\":{\"type\":\"number\"},\"tax\":{\"type\":\"number\"}," > "orders.ndjson"
	printf "\"tip\":{\"type\":\"number\"},\"total\":{\"type\":\"number\"},\"voided\":{\"type\":\"boolean\"}," > "orders.ndjson"
	printf "\"_bf_date\":{\"type\":\"string\",\"format\":\"date\"},\"_bf_location\":{\"type\":\"string\"}," > "orders.ndjson"
	printf "\"_bf_source\":{\"type\":\"string\"},\"_bf_line\":{\"type\":\"integer\"}}},\"key_properties\":[]}\n" > "orders.ndjson"
	t = 1704067200
	for (d = 0; d < days; d++) {
		date = strftime("%Y-%m-%d", t + d * 86400, 1)
		ymd = strftime("%Y%m%d", t + d * 86400, 1)
		for (i = 1; i <= n; i++) {
			id = 100000000000000000 + d * 100000 + i
			a = (i * 7919) % 10000
			opened = sprintf("%s %02d:%02d:00", date, 10 + i % 12, i % 60)
			src = "185129/" ymd "/OrderDetails.csv"
			printf "%d,%d,%s,%d,Server %d,Dine In,0.00,%d.%02d,%d.%02d,%d.%02d,%d.%02d,false,%s,185129,%s,%d\n", \
				id, i, opened, i % 6 + 1, i % 9, a / 100, a % 100, a / 1000, a % 100, a / 500, i % 100, a / 90, a % 100, date, src, i + 1 > "orders.csv"
			printf "{\"type\":\"RECORD\",\"stream\":\"orders\",\"record\":{\"order_id\":\"%d\",\"order_number\":\"%d\",\"opened\":\"%s\",\"guests\":\"%d\",\"server\":\"Server %d\",\"dining_option\":\"Dine In\",\"discount_amount\":\"0.00\",\"amount\":\"%d.%02d\",\"tax\":\"%d.%02d\",\"tip\":\"%d.%02d\",\"total\":\"%d.%02d\",\"voided\":\"false\",\"_bf_date\":\"%s\",\"_bf_location\":\"185129\",\"_bf_source\":\"%s\",\"_bf_line\":%d}}\n", \
				id, i, opened, i % 6 + 1, i % 9, a / 100, a % 100, a / 1000, a % 100, a / 500, i % 100, a / 90, a % 100, date, src, i + 1 > "orders.ndjson"
		}
		printf "{\"type\":\"STATE\",\"value\":{\"bf\":{\"source\":\"bench\",\"location\":\"185129\",\"date\":\"%s\",\"status\":\"ok\"}}}\n", date > "orders.ndjson"
	}
}'
rows=$((days * orders))
echo "# $rows rows; csv $(stat -c %s orders.csv) bytes, ndjson $(stat -c %s orders.ndjson) bytes"

reps=${REPS:-3}
# timed NAME CMD...: runs CMD (stdout to /dev/null), appends "wall cpu" (seconds; cpu is
# user+sys of CMD and its children) to NAME.times
timed() {
	local name=$1
	shift
	/usr/bin/time -f "%e %U %S" -o t.out "$@" >/dev/null
	awk '{ printf "%s %.2f\n", $1, $2 + $3 }' t.out >>"$name.times"
}
# med NAME FIELD: the median of field 1 (wall) or 2 (cpu) of NAME.times
med() { awk -v f="$2" '{ print $f }' "$1.times" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rate() { echo "scale=0; $rows / $1" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }
line() { # line LABEL NAME [BASE]: median wall, rows/s, median cpu, ratios against BASE
	local w c
	w=$(med "$2" 1)
	c=$(med "$2" 2)
	printf '%-24s %7.2f s  %9d rows/s  cpu %6.2f s' "$1" "$w" "$(rate "$w")" "$c"
	[ -n "${3:-}" ] && printf '  ratio %s (cpu %s)' "$(ratio "$(med "$3" 1)" "$w")" "$(ratio "$(med "$3" 2)" "$c")"
	printf '\n'
}
rm -f ./*.times

cat >import.sql <<'SQL'
CREATE TABLE orders (order_id INTEGER, order_number INTEGER, opened TEXT, guests INTEGER, server TEXT,
  dining_option TEXT, discount_amount TEXT, amount TEXT, tax TEXT, tip TEXT, total TEXT, voided INTEGER,
  _bf_date TEXT, _bf_location TEXT, _bf_source TEXT, _bf_line INTEGER);
CREATE INDEX orders_partition ON orders (_bf_date, _bf_location);
.import --csv --skip 1 orders.csv orders
SQL
# the two sides alternate, REPS times, so that both see the same machine
for r in $(seq "$reps"); do
	rm -f import.db load.db*
	timed import sqlite3 import.db <import.sql
	timed load "$build/bf-load" -q --target load.db <orders.ndjson
	test "$(sqlite3 load.db 'select count(*) from orders')" = "$rows"
done
echo "# medians of $reps runs; ratio = bf-load rows/s / peer rows/s (wall; cpu: peer cpu / bf-load cpu)"
line 'sqlite3 .import --csv' import
line 'bf-load -> SQLite' load import
echo '  (target: ratio >= 0.70)'

if [ -x "$src/tests/servers/pg.sh" ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	"$src/tests/servers/pg.sh" start "$work/pg" >/dev/null
	trap '"$src/tests/servers/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true' EXIT
	# shellcheck disable=SC1091
	. "$work/pg/env"
	# CPU of the server side: the backends' time, which the postmaster collects when
	# each one exits (waited for: only this session's backend left)
	pm=$(head -1 "$work/pg/data/postmaster.pid")
	srv_cpu() {
		local i
		for i in $(seq 50); do
			[ "$(psql -X -At -c "select count(*) from pg_stat_activity where backend_type = 'client backend'")" = 1 ] && break
			sleep 0.1
		done
		awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($16 + $17) / hz }' "/proc/$pm/stat"
	}
	for r in $(seq "$reps"); do
		psql -X -q -c "DROP TABLE IF EXISTS copy_orders; DROP TABLE IF EXISTS orders CASCADE;
		  DROP TABLE IF EXISTS _bf_loads; DROP TABLE IF EXISTS _bf_streams" 2>/dev/null
		psql -X -q -c "CREATE TABLE copy_orders (order_id bigint, order_number bigint, opened timestamp, guests bigint,
		  server text, dining_option text, discount_amount numeric, amount numeric, tax numeric, tip numeric,
		  total numeric, voided boolean, _bf_date date, _bf_location text, _bf_source text, _bf_line bigint);
		  CREATE INDEX ON copy_orders (_bf_date, _bf_location)"
		rm -f state.db*
		s0=$(srv_cpu)
		timed copy psql -X -q -c "\\copy copy_orders FROM 'orders.csv' WITH (FORMAT csv, HEADER true)"
		s1=$(srv_cpu)
		timed pg "$build/bf-load" -q --target "$BF_PG_URL" --type orders.opened=date-time <orders.ndjson
		s2=$(srv_cpu)
		test "$(psql -X -At -c 'select count(*) from orders')" = "$rows"
		echo "$s0 $s1" | awk '{ printf "0 %.2f\n", $2 - $1 }' >>copy-server.times
		echo "$s1 $s2" | awk '{ printf "0 %.2f\n", $2 - $1 }' >>pg-server.times
	done
	line 'psql \copy CSV' copy
	line 'bf-load -> PostgreSQL' pg copy
	echo '  (target: ratio >= 0.80)'
	printf 'server cpu: \\copy %.2f s, bf-load %.2f s; client + server cpu ratio %s\n' \
		"$(med copy-server 2)" "$(med pg-server 2)" \
		"$(ratio "$(echo "$(med copy 2) + $(med copy-server 2)" | bc -l)" "$(echo "$(med pg 2) + $(med pg-server 2)" | bc -l)")"
else
	echo "# PostgreSQL not installed: PostgreSQL comparison skipped"
fi
