#!/usr/bin/env bash
# Runs every tests/bench/b*.sh in order; each prints lines of results.
# Usage: BF_BUILD=build bash tests/bench/run.sh   (or `make bench`)
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
BF_SRC=${BF_SRC:-$(cd "$here/../.." && pwd -P)}
BF_BUILD=${BF_BUILD:-$BF_SRC/build}
export BF_SRC BF_BUILD
echo "# bf benchmarks: $(date -u +%Y-%m-%dT%H:%M:%SZ), nproc $(nproc), $(uname -sm)"
echo "# cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
rc=0
for b in "$here"/b*.sh; do
	[ -e "$b" ] || continue
	echo "## $(basename "$b")"
	st=0
	bash "$b" || st=$?
	if [ "$st" != 0 ]; then echo "# $(basename "$b") failed (exit $st)"; rc=1; fi
done
exit $rc
