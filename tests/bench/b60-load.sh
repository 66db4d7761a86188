#!/usr/bin/env bash
# bf-load throughput against the practical ceilings, same rows, same run:
#   SQLite:     bf-load --target PATH.db (typed columns)  vs  sqlite3 .import --csv
#   PostgreSQL: bf-load --target postgresql://...         vs  psql \copy ... CSV
# Data: a synthetic order stream, ORDERS a day (default 3000) x DAYS dates (default 432),
# 14 columns, lineage included. Targets: SQLite >= 70%, PostgreSQL >= 80%.
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

# seconds CMD...: wall time of CMD in seconds (stdout to /dev/null)
seconds() {
	local s e
	s=$(date +%s.%N)
	"$@" >/dev/null
	e=$(date +%s.%N)
	echo "$e - $s" | bc -l
}
rate() { echo "scale=0; $rows / $1" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }

cat >import.sql <<'SQL'
CREATE TABLE orders (order_id INTEGER, order_number INTEGER, opened TEXT, guests INTEGER, server TEXT,
  dining_option TEXT, discount_amount TEXT, amount TEXT, tax TEXT, tip TEXT, total TEXT, voided INTEGER,
  _bf_date TEXT, _bf_location TEXT, _bf_source TEXT, _bf_line INTEGER);
.import --csv --skip 1 orders.csv orders
SQL
rm -f import.db load.db*
t_import=$(seconds sqlite3 import.db <import.sql)
t_load=$(seconds "$build/bf-load" -q --target load.db <orders.ndjson)
test "$(sqlite3 load.db 'select count(*) from orders')" = "$rows"
r_import=$(rate "$t_import")
r_load=$(rate "$t_load")
printf 'sqlite3 .import --csv   %8.2f s  %9d rows/s\n' "$t_import" "$r_import"
printf 'bf-load -> SQLite       %8.2f s  %9d rows/s  ratio %s (target >= 0.70)\n' "$t_load" "$r_load" "$(ratio "$r_load" "$r_import")"

if [ -x "$src/tests/servers/pg.sh" ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	"$src/tests/servers/pg.sh" start "$work/pg" >/dev/null
	trap '"$src/tests/servers/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true' EXIT
	# shellcheck disable=SC1091
	. "$work/pg/env"
	psql -X -q -c "CREATE TABLE copy_orders (order_id bigint, order_number bigint, opened timestamp, guests bigint,
	  server text, dining_option text, discount_amount numeric, amount numeric, tax numeric, tip numeric,
	  total numeric, voided boolean, _bf_date date, _bf_location text, _bf_source text, _bf_line bigint)"
	t_copy=$(seconds psql -X -q -c "\\copy copy_orders FROM 'orders.csv' WITH (FORMAT csv, HEADER true)")
	t_pg=$(seconds "$build/bf-load" -q --target "$BF_PG_URL" --type orders.opened=date-time <orders.ndjson)
	test "$(psql -X -At -c 'select count(*) from orders')" = "$rows"
	r_copy=$(rate "$t_copy")
	r_pg=$(rate "$t_pg")
	printf 'psql \\copy CSV          %8.2f s  %9d rows/s\n' "$t_copy" "$r_copy"
	printf 'bf-load -> PostgreSQL   %8.2f s  %9d rows/s  ratio %s (target >= 0.80)\n' "$t_pg" "$r_pg" "$(ratio "$r_pg" "$r_copy")"
else
	echo "# PostgreSQL not installed: PostgreSQL comparison skipped"
fi
