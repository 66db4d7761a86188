#!/usr/bin/env bash
# bf-extract CSV->NDJSON throughput vs Miller, bf-load rows/s vs sqlite3 .import and
# sqlite-utils, peak RSS of each, on a generated drop of about 3,000 orders a day over
# 432 dates at one location. Prints one line per measure, then the ratios and targets.
# BF_BENCH_DIR keeps the data between runs (default: a temporary folder, removed).
set -eu
BF_BUILD=$(cd "${BF_BUILD:-build}" && pwd -P)
PATH=$BF_BUILD:$PATH
DAYS=${BF_BENCH_DAYS:-432}
OPD=${BF_BENCH_ORDERS:-3000}
work=${BF_BENCH_DIR:-}
if [ -z "$work" ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/bf-bench.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
cd "$work"
export LC_ALL=C

# rss_time OUT CMD...: runs CMD, writes "seconds maxrss_kb" to OUT.
rss_time() {
	local out=$1
	shift
	/usr/bin/time -f "%e %M" -o "$out" "$@"
}

if [ ! -f drop/manifest.json ]; then
	rm -rf drop
	bf-sample --out drop --seed 1 --days "$DAYS" --orders-per-day "$OPD" --locations 1 --quiet >/dev/null
fi
find drop -name '*.csv' | sort >files
csv_bytes=$(xargs cat <files | wc -c)
echo "drop: $DAYS dates, $OPD orders/day, $(wc -l <files) CSV files, $csv_bytes bytes"

# --- extract
rm -f st.db*
rss_time t.extract bf-extract --source drop --all --state st.db --quiet >msgs || test $? = 1
read -r ex_s ex_rss <t.extract
records=$(grep -c '"type":"RECORD"' msgs)
ex_mbs=$(awk -v b="$csv_bytes" -v s="$ex_s" 'BEGIN { printf "%.1f", b / 1e6 / (s > 0 ? s : 0.01) }')
echo "bf-extract: $ex_s s, $ex_mbs MB/s of CSV, $records records, peak RSS $ex_rss kB"

mlr_mbs=0
if command -v mlr >/dev/null; then
	# Miller is given the files (per stream, as its header differs by file kind)
	: >mlr.out
	rm -f t.mlr.*
	start=$(date +%s.%N)
	maxrss=0
	for stem in $(sed 's|.*/||; s|\.csv$||' files | sort -u); do
		grep "/$stem.csv\$" files >f.$stem
		rss_time t.mlr.$stem xargs mlr --icsv --ojsonl --allow-ragged-csv-input cat <f.$stem >>mlr.out || true
		r=$(cut -d' ' -f2 t.mlr.$stem)
		[ "$r" -gt "$maxrss" ] && maxrss=$r
	done
	end=$(date +%s.%N)
	mlr_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
	mlr_mbs=$(awk -v b="$csv_bytes" -v s="$mlr_s" 'BEGIN { printf "%.1f", b / 1e6 / s }')
	echo "mlr --icsv --ojsonl cat: $mlr_s s, $mlr_mbs MB/s, $(wc -l <mlr.out) records, peak RSS $maxrss kB"
else
	echo "mlr: not installed"
fi

# --- load
rm -f w.db* ld.db*
cp st.db ld.db
rss_time t.load bf-load --target w.db --state ld.db --quiet <msgs >/dev/null
read -r ld_s ld_rss <t.load
loaded=$(sqlite3 w.db "SELECT sum(rows) FROM _bf_loads")
ld_rps=$(awk -v r="$loaded" -v s="$ld_s" 'BEGIN { printf "%.0f", r / (s > 0 ? s : 0.01) }')
echo "bf-load: $ld_s s, $ld_rps rows/s, $loaded rows, peak RSS $ld_rss kB"

imp_rps=0
if command -v sqlite3 >/dev/null; then
	# the same rows: the CSV files concatenated per table (one header each)
	rm -f imp.db* imp.sql
	for stem in $(sed 's|.*/||; s|\.csv$||' files | sort -u); do
		out=cat.$stem.csv
		first=1
		while read -r f; do
			if [ $first = 1 ]; then sed 's/^\xEF\xBB\xBF//' "$f"; first=0; else tail -n +2 "$f"; fi
		done <f.$stem >"$out"
		echo ".import --csv $out $stem" >>imp.sql
	done
	rss_time t.imp sqlite3 imp.db <imp.sql >/dev/null 2>imp.err || true
	read -r imp_s imp_rss <t.imp
	imp_rows=0
	for t in $(sqlite3 imp.db "SELECT name FROM sqlite_master WHERE type = 'table'"); do
		imp_rows=$((imp_rows + $(sqlite3 imp.db "SELECT count(*) FROM \"$t\"")))
	done
	imp_rps=$(awk -v r="$imp_rows" -v s="$imp_s" 'BEGIN { printf "%.0f", r / (s > 0 ? s : 0.01) }')
	echo "sqlite3 .import --csv: $imp_s s, $imp_rps rows/s, $imp_rows rows, peak RSS $imp_rss kB"
fi

su_rps=0
if command -v sqlite-utils >/dev/null; then
	# sqlite-utils on the same NDJSON records (the record objects, per stream)
	rm -f su.db*
	maxrss=0
	su_rows=0
	# it runs at a few thousand rows/s: measured on the first BF_BENCH_SU_ROWS records
	grep -m "${BF_BENCH_SU_ROWS:-200000}" '"type":"RECORD"' msgs |
		jq -c '[.stream, .record]' >su.all
	for s in $(jq -r '.[0]' su.all | sort -u); do
		jq -c --arg s "$s" 'select(.[0] == $s) | .[1]' su.all >su.$s
	done
	start=$(date +%s.%N)
	for s in $(jq -r '.[0]' su.all | sort -u); do
		rss_time t.su.$s sqlite-utils insert su.db "$s" su.$s --nl >/dev/null
		r=$(cut -d' ' -f2 t.su.$s)
		[ "$r" -gt "$maxrss" ] && maxrss=$r
		su_rows=$((su_rows + $(wc -l <su.$s)))
	done
	end=$(date +%s.%N)
	su_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
	su_rps=$(awk -v r="$su_rows" -v s="$su_s" 'BEGIN { printf "%.0f", r / s }')
	echo "sqlite-utils insert --nl: $su_s s, $su_rps rows/s, $su_rows rows, peak RSS $maxrss kB"
else
	echo "sqlite-utils: not installed"
fi

echo "ratio extract/mlr: $(awk -v a="$ex_mbs" -v b="$mlr_mbs" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }') (target >= 10x)"
echo "ratio load/.import: $(awk -v a="$ld_rps" -v b="$imp_rps" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "n/a" }') (target >= 70%)"
echo "ratio load/sqlite-utils: $(awk -v a="$ld_rps" -v b="$su_rps" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }')"
echo "bf-extract peak RSS: $ex_rss kB (target < 16384 kB)"
