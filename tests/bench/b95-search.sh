#!/usr/bin/env bash
# bf-search against numpy, same vectors, same queries, same run:
#   N vectors (default 1,000,000) of DIM numbers (default 384), generated (clustered, as
#   embeddings are) and loaded by bf-load into SQLite, 1000 a partition;
#   numpy (Debian's python3-numpy): the matrix in memory, np.argpartition(M @ q, -10);
#   bf-search in-process (--bench: the vectors kept in memory after the first query, as
#   a server would), exact, then through the compact int8 index;
#   the cold CLI query (process start, vectors read from SQLite), exact and with the
#   index; peak RSS of each.
# Targets: exact in-process per query <= numpy's; int8 at least 3x faster than numpy with
# recall@10 >= 0.99. ROUNDS (default 3) alternating rounds; medians and their spread.
# numpy's BLAS runs as the machine has it (OPENBLAS_CORETYPE, thread count untouched).
# Usage: tests/bench/b95-search.sh [WORKDIR]   (BF_BUILD: the build directory; REUSE=1 with
# a WORKDIR of an earlier run: its warehouse and queries again, the index made anew)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${BF_BUILD:-$src/build}
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/bf-b95.XXXXXX")}
n=${N:-1000000}
dim=${DIM:-384}
nq=${QUERIES:-100}
rounds=${ROUNDS:-3}
mkdir -p "$work"
cd "$work"
export BF_STATE=$work/state.db LC_ALL=C
py=
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null && "$p" -c 'import numpy' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
	echo "# b95-search: skipped, python3 with numpy not found (scripts/install-deps.sh --bench)"
	exit 0
fi
echo "# b95-search: $n vectors x $dim, $nq queries, $rounds rounds, in $work"
echo "# numpy $("$py" -c 'import numpy; print(numpy.__version__)'), BLAS $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo '?'), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"

if [ -n "${REUSE:-}" ] && [ -s w.db ] && [ -s queries.f32 ]; then
	echo "load: reusing $work/w.db (REUSE)"
	sqlite3 w.db "drop table if exists _bf_search_int8"
else
	rm -f w.db w.db-wal w.db-shm ref.ids
	t0=$(date +%s.%N)
	"$py" "$here/b95-search.py" gen "$n" "$dim" "$nq" 7 | "$build/bf-load" --target w.db -q >/dev/null
	t1=$(date +%s.%N)
	echo "load: $(echo "$t1 - $t0" | bc) s (generation and bf-load), warehouse $(du -m w.db | cut -f1) MB"
fi
/usr/bin/time -f "%e %M" -o index.time "$build/bf-search" --target w.db --index -q
echo "index: $(cut -d' ' -f1 index.time) s, peak RSS $(($(cut -d' ' -f2 index.time) / 1024)) MB"

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
: >numpy.r; : >exact.r; : >int8.r; : >cold.r; : >coldi.r
for r in $(seq 1 "$rounds"); do
	/usr/bin/time -f "%M" -o numpy.rss "$py" "$here/b95-search.py" ref "$n" "$dim" 7 1 >numpy.out
	awk '{ print $3 }' numpy.out >>numpy.r
	/usr/bin/time -f "%M" -o exact.rss "$build/bf-search" --target w.db --bench queries.f32 "$dim" >bf.exact
	tail -n +2 bf.exact | awk '{ print $1 / 1000 }' | median >>exact.r
	/usr/bin/time -f "%M" -o int8.rss "$build/bf-search" --target w.db --bench queries.f32 --bench-index "$dim" >bf.int8
	tail -n +2 bf.int8 | awk '{ print $1 / 1000 }' | median >>int8.r
	/usr/bin/time -f "%e %M" -o cold.time "$build/bf-search" --target w.db --exact "document 17" >/dev/null
	cut -d' ' -f1 cold.time >>cold.r
	/usr/bin/time -f "%e %M" -o coldi.time "$build/bf-search" --target w.db "document 17" >/dev/null
	cut -d' ' -f1 coldi.time >>coldi.r
	echo "round $r: numpy $(tail -1 numpy.r) ms, bf exact $(tail -1 exact.r) ms, bf int8 $(tail -1 int8.r) ms," \
		"cold CLI exact $(tail -1 cold.r) s, cold CLI index $(tail -1 coldi.r) s"
done
spread() { sort -n "$1" | awk '{ a[NR] = $1 } END { printf "%s (%s-%s)", a[int((NR + 1) / 2)], a[1], a[NR] }'; }
echo "first in-process query (reads the vectors): exact $(awk 'NR == 1 { printf "%.2f", $1 / 1e6 }' bf.exact) s, int8 $(awk 'NR == 1 { printf "%.2f", $1 / 1e6 }' bf.int8) s"
echo "numpy per query:         $(spread numpy.r) ms, peak RSS $(($(cat numpy.rss) / 1024)) MB"
echo "bf exact per query:      $(spread exact.r) ms, peak RSS $(($(cat exact.rss) / 1024)) MB; $("$py" "$here/b95-search.py" compare ref.ids bf.exact)"
echo "bf int8 per query:       $(spread int8.r) ms, peak RSS $(($(cat int8.rss) / 1024)) MB; $("$py" "$here/b95-search.py" compare ref.ids bf.int8)"
echo "cold CLI exact:          $(spread cold.r) s, peak RSS $(($(cut -d' ' -f2 cold.time) / 1024)) MB"
echo "cold CLI with the index: $(spread coldi.r) s, peak RSS $(($(cut -d' ' -f2 coldi.time) / 1024)) MB"
nm=$(sort -n numpy.r | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
em=$(sort -n exact.r | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
im=$(sort -n int8.r | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
recall=$("$py" "$here/b95-search.py" compare ref.ids bf.int8 | awk '{ print $2 }')
echo "ratios (medians): numpy / bf exact = $(echo "scale=2; $nm / $em" | bc), numpy / bf int8 = $(echo "scale=2; $nm / $im" | bc)"
ok=1
[ "$(echo "$em <= $nm" | bc)" = 1 ] || { echo "# target missed: exact slower than numpy"; ok=0; }
[ "$(echo "$nm / $im >= 3" | bc)" = 1 ] || { echo "# target missed: int8 under 3x numpy"; ok=0; }
[ "$(echo "$recall >= 0.99" | bc)" = 1 ] || { echo "# target missed: recall@10 under 0.99"; ok=0; }
[ "$ok" = 1 ] && echo "targets met"
[ -n "${1:-}" ] || rm -rf "$work"
