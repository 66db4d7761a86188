#!/usr/bin/env bash
# Install the Debian packages bf needs, and only those that are missing.
#
#   scripts/install-deps.sh [--build|--demo|--test|--bench|--all] [--list]
#                                                  (default: --test)
#   --build  compilers, make and the -dev libraries
#   --demo   --build plus the sqlite3 shell the demo tells you to query with
#   --test   --build plus everything the test suite uses (servers, tools)
#   --bench  --test plus the benchmark tools
#   --all    same as --bench
#   --list   print the packages of that set, one a line, and install nothing
#
# Idempotent: when every package is present it prints nothing and exits 0.
# Runs apt-get as root directly, otherwise through sudo; with neither it
# prints the command to run and exits 1.
set -euo pipefail

usage() {
	sed -n '2,15s/^# \{0,1\}//p' "$0"
}

mode="test"
list=""
for arg in "$@"; do
	case "$arg" in
	--build) mode="build" ;;
	--demo) mode="demo" ;;
	--list) list=1 ;;
	--test) mode="test" ;;
	--bench | --all) mode="bench" ;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		echo "install-deps: unknown argument: $arg" >&2
		usage >&2
		exit 2
		;;
	esac
done

# libclang-rt-dev: clang's libFuzzer and sanitizer runtimes, for the fuzz targets that
# `make` builds when clang can link them.
build_pkgs=(
	gcc clang libclang-rt-dev make pkg-config libc6-dev
	libsqlite3-dev libssh2-1-dev libcurl4-openssl-dev libssl-dev
	libcsv-dev libcjson-dev zlib1g-dev libpq-dev libmicrohttpd-dev unixodbc-dev
)
# perl: prove; iproute2: ss; procps: ps/pgrep; curl: the HTTPS server checks; time:
# /usr/bin/time for peak RSS;
# chromium: headless page checks (large, but part of the test set); man-db: the man
# pages are rendered by the tests; mariadb-server and the ODBC drivers: the SQL source
# tests (servers on loopback); parallel: GNU parallel --sshlogin drives the shards of
# t1000 on three sshd.
demo_pkgs=(sqlite3)
test_pkgs=(
	sqlite3 perl jq valgrind man-db
	openssh-server openssh-client postgresql
	mariadb-server mariadb-client odbc-postgresql odbc-mariadb libsqliteodbc
	openssl python3 ca-certificates procps iproute2 curl
	time gzip parallel
	chromium
)
# python3-numpy with OpenBLAS: the peer of b95-search (the reference BLAS numpy would
# otherwise get is several times slower, an unfair peer)
bench_pkgs=(miller sqlite-utils hyperfine bc python3-numpy libopenblas0-pthread)

wanted=("${build_pkgs[@]}")
case "$mode" in
demo) wanted+=("${demo_pkgs[@]}") ;;
test) wanted+=("${test_pkgs[@]}") ;;
bench) wanted+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
esac

if [ -n "$list" ]; then
	printf '%s\n' "${wanted[@]}"
	exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: this script needs a Debian-based system (dpkg-query, apt-get)" >&2
	echo "install-deps: packages wanted: ${wanted[*]}" >&2
	exit 1
fi

missing=()
for pkg in "${wanted[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	if [ "$status" != installed ]; then
		missing+=("$pkg")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

echo "install-deps: missing ${#missing[@]} package(s), installing: ${missing[*]}" >&2

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
install_cmd=(apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}")
update_cmd=(apt-get "${apt_opts[@]}" update)

if [ "$(id -u)" -eq 0 ]; then
	as_root=()
elif command -v sudo >/dev/null 2>&1; then
	as_root=(sudo DEBIAN_FRONTEND=noninteractive)
else
	echo "install-deps: not root and sudo is not available; run as root:" >&2
	printf '  DEBIAN_FRONTEND=noninteractive %s && DEBIAN_FRONTEND=noninteractive %s\n' \
		"${update_cmd[*]}" "${install_cmd[*]}" >&2
	exit 1
fi

# apt's progress goes to stderr so that stdout stays clean for callers.
"${as_root[@]}" "${update_cmd[@]}" >&2
"${as_root[@]}" "${install_cmd[@]}" >&2

# Check that everything really is there now.
still=()
for pkg in "${missing[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || still+=("$pkg")
done
if [ "${#still[@]}" -ne 0 ]; then
	echo "install-deps: still missing after install: ${still[*]}" >&2
	exit 1
fi
echo "install-deps: done" >&2
