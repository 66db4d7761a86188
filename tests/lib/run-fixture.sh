# Fixtures shared by the bf-run CLI tests (sourced after test-lib.sh).

# run_drop DIR NDATES LOCATIONS ROWS [SKIP]: Orders.csv (OrderId,Total) in one folder per
# location (a space-separated list) and date from 2024-01-01; ROWS rows a day, a number or
# an awk expression of i, the day's index from 0 ("i % 3 + 2"); no folder for date SKIP
# (YYYYMMDD).
run_drop() {
	local dir=$1 n=$2 locs=$3 rows=$4 skip=${5:-} loc i d
	for loc in $locs; do
		for i in $(seq 0 $((n - 1))); do
			d=$(date -u -d "2024-01-01 +$i day" +%Y%m%d)
			[ "$d" = "$skip" ] && continue
			mkdir -p "$dir/$loc/$d" &&
			awk -v i="$i" -v id="$loc$d" "BEGIN { n = $rows; print \"OrderId,Total\";
				for (r = 1; r <= n; r++) printf \"%s%03d,%d.50\\n\", id, r, r }" \
				>"$dir/$loc/$d/Orders.csv" || return 1
		done
	done
}

# q SQL: one query of the state file, values only
q() { sqlite3 -batch -noheader "$BF_STATE" "$1"; }
