#!/bin/sh
# The main job on the embedded default, from a fresh Debian machine:
# install what is missing, build, generate a sample nightly drop, backfill every date of
# it into a SQLite warehouse, and print a summary a person can read.
#
#   scripts/demo.sh [DIR]      (default DIR: ./demo; re-running it resumes, nothing twice)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-demo}

# the build, and the sqlite3 shell the last lines tell you to query with
bash "$top/scripts/install-deps.sh" --demo
make -C "$top" -s -j2

mkdir -p "$dir"
if [ ! -f "$dir/drop/manifest.json" ]; then
	echo "demo: generating a sample drop in $dir/drop (2 locations, 432 days)" >&2
	"$top/build/bf-sample" --out "$dir/drop" --seed 42 --days 432 --orders-per-day 300 \
		--locations 2 --defects bom,blank_lines,gzip
fi
export BF_STATE="$dir/state.db"
echo "demo: backfilling into $dir/warehouse.db (state in $BF_STATE)" >&2
rc=0
"$top/build/bf-run" --source "$dir/drop" --target "$dir/warehouse.db" --all \
	--max-workers 2 --log "$dir/run-log.json" || rc=$?
"$top/build/bf-report" summary
"$top/build/bf-report" closures
echo
echo "Query it: sqlite3 $dir/warehouse.db 'SELECT * FROM order_details_daily LIMIT 10'"
echo "State:    sqlite3 $BF_STATE 'SELECT status, count(*) FROM partitions GROUP BY 1'"
exit "$rc"
