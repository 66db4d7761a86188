#!/usr/bin/env bash
# bf-extract over SFTP against OpenSSH's own client, same files, same run:
#   bf-extract --source sftp://... --all > /dev/null      (fetch + parse + NDJSON)
#   sftp -b batch                                          (fetch only, one "get" a file)
# from a loopback sshd (tests/servers/sshd.sh). Data: bf-sample, DAYS dates (default 432)
# x 7 files, one location. Target: bf-extract <= 1.3x sftp's wall time, memory flat.
# Usage: tests/bench/b30-sftp.sh [WORKDIR]   (BF_BUILD: the build directory)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${BF_BUILD:-$src/build}
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/bf-b30.XXXXXX")}
mkdir -p "$work"
chmod 755 "$work"
work=$(cd "$work" && pwd -P)
days=${DAYS:-432}
cd "$work"
export BF_STATE=$work/state.db LC_ALL=C
unset SSH_AUTH_SOCK

cleanup() { "$src/tests/servers/sshd.sh" stop "$work/sshd" >/dev/null 2>&1 || true; }
trap cleanup EXIT

echo "# b30-sftp: $days dates x 7 files in $work"
rm -rf drop
"$build/bf-sample" --out drop --days "$days" --locations 1 --no-closures --quiet
nfiles=$(find drop -type f -name '*.csv' | wc -l)
bytes=$(find drop -type f -name '*.csv' -printf '%s\n' | awk '{ s += $1 } END { print s }')
echo "# $nfiles files, $bytes bytes"

"$src/tests/servers/sshd.sh" start "$work/sshd" >/dev/null
# shellcheck disable=SC1091
. "$work/sshd/env"
url="sftp://$SSH_USER@127.0.0.1:$SSH_PORT$work/drop"

# the batch: one get a file, into a scratch folder made beforehand
find drop -type f -name '*.csv' | sort | while read -r f; do
	printf 'get %s %s/got/%s\n' "$work/$f" "$work" "$(dirname "${f#drop/}")"
done >batch
(cd drop && find . -type d) | sed 's|^\.|got|' >dirs

seconds() {
	local s e
	s=$(date +%s.%N)
	"$@"
	e=$(date +%s.%N)
	echo "$e - $s" | bc -l
}

run_sftp() {
	rm -rf got && xargs mkdir -p <dirs
	sftp -q -F /dev/null -P "$SSH_PORT" -i "$SSH_KEY" -o IdentitiesOnly=yes -o IdentityAgent=none \
		-o UserKnownHostsFile="$SSH_KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=yes -b batch "$SSH_USER@127.0.0.1" >/dev/null
}

run_bf() {
	rm -f "$BF_STATE"*
	/usr/bin/time -v -o bf.time "$build/bf-extract" --source "$url" --known-hosts "$SSH_KNOWN_HOSTS" \
		--identity "$SSH_KEY" --all --quiet >/dev/null
}

# one warm-up of each (page cache, sshd), then the measured runs, interleaved
run_sftp
run_bf
best_sftp="" best_bf=""
for _ in 1 2 3; do
	t=$(seconds run_sftp)
	[ -z "$best_sftp" ] || [ "$(echo "$t < $best_sftp" | bc)" = 1 ] && best_sftp=$t
	t=$(seconds run_bf)
	[ -z "$best_bf" ] || [ "$(echo "$t < $best_bf" | bc)" = 1 ] && best_bf=$t
done
got=$(find got -type f | wc -l)
[ "$got" -eq "$nfiles" ] || { echo "sftp -b fetched $got of $nfiles files" >&2; exit 1; }
rss=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' bf.time)
ratio=$(echo "scale=2; $best_bf / $best_sftp" | bc -l)
printf 'sftp -b (OpenSSH)      %6.2f s\n' "$best_sftp"
printf 'bf-extract (sftp)      %6.2f s   peak RSS %d kB\n' "$best_bf" "$rss"
printf 'ratio bf/sftp          %6.2f x   (target <= 1.30)\n' "$ratio"
if [ "$(echo "$ratio <= 1.3" | bc)" = 1 ]; then
	echo "b30-sftp: PASS"
else
	echo "b30-sftp: ABOVE TARGET"
fi
