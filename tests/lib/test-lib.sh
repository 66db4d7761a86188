# shellcheck shell=bash
# Test library for bf's CLI tests, modelled on git's t/test-lib.sh.
#
# A test script tests/cli/tNNNN-topic.sh looks like:
#
#	#!/usr/bin/env bash
#	test_description='what this script covers'
#	. "$(dirname "$0")/../lib/test-lib.sh"
#
#	test_expect_success 'extract writes one row per record' '
#		bf-extract --out out.csv input.csv &&
#		test_line_count = 3 out.csv
#	'
#	test_done
#
# and prints TAP. Each script runs in its own trash directory (removed at exit
# unless BF_TEST_KEEP=1 or --keep), with $BF_BUILD (default: the repository's
# build/) first on PATH and BF_STATE=$TRASH_DIRECTORY/state.db.
#
# Options (to the script, or as environment variables):
#	-v, --verbose    BF_TEST_VERBOSE=1    show every test's commands and output
#	-i, --immediate  BF_TEST_IMMEDIATE=1  stop at the first failing test
#	-k, --keep       BF_TEST_KEEP=1       keep the trash directory
#	-x               BF_TEST_TRACE=1      trace test bodies (set -x)
#
# Test bodies are eval'ed in the script's own shell (no subshell), with stdin
# from /dev/null and their output captured; chain commands with && so that
# the body's status is that of the first failing command. `set -u` and
# `set -o pipefail` are in force: using an unset variable ends the script,
# and that test is reported as failed. On failure the body and its output
# are printed as TAP diagnostics ("# ..." lines, shown by prove --comments).
#
# Functions:
#	test_expect_success [PREREQS] DESC BODY
#	test_expect_failure [PREREQS] DESC BODY   known breakage (TAP TODO)
#	test_must_fail [ok=success,sigpipe,signal] CMD...  CMD must exit non-zero,
#	                 and not by a signal (exit 129..192), 126 or 127, unless ok=
#	test_expect_code N CMD...
#	test_cmp EXPECTED ACTUAL           diff -u; the diff is the failure output
#	test_line_count OP N FILE          OP: = != -lt -le -gt -ge
#	test_skip_all REASON               skip the whole script (fails when CI=true)
#	test_require_cmd CMD...            test_skip_all unless every CMD exists
#	test_set_prereq NAME, test_have_prereq NAME[,NAME...] (!NAME negates)
#	test_lazy_prereq NAME SCRIPT       prereq decided by running SCRIPT once
#	test_when_finished CMDS            run CMDS after the current test
#	test_atexit CMDS                   run CMDS when the script ends
#	test_bg CMD...                     start CMD in the background (pid in
#	                                   $TEST_BG_PID), killed at exit
# Variables: TRASH_DIRECTORY, BF_BUILD, BF_SRC (repository root), TEST_DIRECTORY
# (tests/), TEST_SCRIPT_DIR (the script's directory, for fixtures), BF_SERVERS
# (tests/servers), BF_STATE, TEST_NAME.
#	test_done
# Helpers:
#	free_port, wait_for_port HOST PORT [SECS], wait_for_port_closed HOST PORT [SECS],
#	wait_for_file FILE [SECS], wait_until CMD [SECS], sqlite_checksum DB SQL
#	start_sshd [DIR], start_pg [DIR], start_mariadb [DIR], start_https ROOT [DIR]: start a server
#	(default DIR: $TRASH_DIRECTORY/sshd|pg|https), source its env file into the
#	script and stop the server when the script ends; start_openai DIR [OPTIONS]:
#	the loopback model API (sets API); valgrind_plain_build PROG;
#	run_unprivileged PROG ARGS...: PROG as a user who is not root (see below);
#	odbc_driver FILE, odbc_setup: unixODBC drivers and a test-local odbcinst.ini.
# Prerequisites known to every script: ROOT, SSHD, PG, MARIADB, ODBC_PG, ODBC_MARIADB,
# ODBC_SQLITE, HTTPS, SQLITE3, CURL, JQ, VALGRIND, CHROMIUM, PARALLEL (GNU parallel). A test whose prerequisite is missing is skipped,
# except when CI=true, where it fails: CI must run everything.

if [ -z "${BASH_VERSION:-}" ]; then
	echo "1..0 # SKIP test-lib.sh needs bash"
	exit 1
fi

# ---------------------------------------------------------------------------
# Locations and options

TEST_DIRECTORY=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
BF_SRC=$(cd "$TEST_DIRECTORY/.." && pwd -P)
BF_SERVERS=$TEST_DIRECTORY/servers
TEST_NAME=$(basename "$0" .sh)
TEST_SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd -P)

while [ $# -gt 0 ]; do
	case "$1" in
	-v | --verbose) BF_TEST_VERBOSE=1 ;;
	-i | --immediate) BF_TEST_IMMEDIATE=1 ;;
	-k | --keep) BF_TEST_KEEP=1 ;;
	-x) BF_TEST_TRACE=1 ;;
	-h | --help)
		printf '%s: %s\n' "$TEST_NAME" "${test_description:-}"
		exit 0
		;;
	*)
		echo "Bail out! $TEST_NAME: unknown option $1"
		exit 1
		;;
	esac
	shift
done

BF_BUILD=${BF_BUILD:-$BF_SRC/build}
case "$BF_BUILD" in
/*) ;;
*) BF_BUILD=$PWD/$BF_BUILD ;;
esac
if [ -d "$BF_BUILD" ]; then
	BF_BUILD=$(cd "$BF_BUILD" && pwd -P)
fi
export BF_BUILD BF_SRC TEST_DIRECTORY BF_SERVERS TEST_SCRIPT_DIR

# The servers' helpers: free_port, wait_for_port, wait_for_file, ...
# shellcheck source=tests/servers/freeport.sh
. "$BF_SERVERS/freeport.sh"

# ---------------------------------------------------------------------------
# A predictable environment

# Keep only the BF_ variables the harness itself defines.
while IFS= read -r _bf_var; do
	case "$_bf_var" in
	BF_BUILD | BF_SRC | BF_SERVERS | BF_TEST_* | BF_POLL_INTERVAL) ;;
	*) unset "$_bf_var" ;;
	esac
done < <(compgen -v BF_)
unset _bf_var
unset SSH_AUTH_SOCK SSH_AGENT_PID PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD \
	PGPASSFILE PGSERVICE PGSSLMODE CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR \
	http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy \
	CDPATH GREP_OPTIONS XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME
export LC_ALL=C LANG=C TZ=UTC

# Sanitizer builds: a sanitizer report aborts (exit by SIGABRT), so that
# test_must_fail does not take it for an ordinary failure.
# Leaks found at exit abort too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-abort_on_error=1:halt_on_error=1:print_stacktrace=1}

# fd 5: TAP output (the script's stdout); fd 6: the script's stderr.
exec 5>&1 6>&2

# ---------------------------------------------------------------------------
# Trash directory

_bf_tmp=${TMPDIR:-/tmp}
TRASH_DIRECTORY=$(mktemp -d "$_bf_tmp/bf-test.$TEST_NAME.XXXXXX") || {
	echo "Bail out! cannot create a trash directory in $_bf_tmp"
	exit 1
}
unset _bf_tmp
# Searchable by others: servers running as another user (postgres, the sshd
# password user) must reach their directories inside.
chmod 755 "$TRASH_DIRECTORY"
export TRASH_DIRECTORY
export HOME=$TRASH_DIRECTORY
export BF_STATE=$TRASH_DIRECTORY/state.db
export PATH="$BF_BUILD:$PATH"
cd "$TRASH_DIRECTORY" || exit 1

if [ ! -d "$BF_BUILD" ]; then
	echo "# warning: BF_BUILD=$BF_BUILD does not exist (run make first)"
fi

# ---------------------------------------------------------------------------
# State

test_count=0
test_success=0
test_failure=0
test_fixed=0
test_broken=0
test_skipped=0
_bf_running=""       # description of the test being run, if any
_bf_done=""          # test_done was reached
_bf_atexit=""        # commands for the end of the script
_bf_when_finished="" # commands for the end of the current test
_bf_out=$TRASH_DIRECTORY/.test-output
_bf_prereqs=" "      # satisfied prereqs, space separated
_bf_noprereqs=" "    # known missing prereqs
declare -A _bf_lazy=()

set -u
set -o pipefail

# ---------------------------------------------------------------------------
# Output

_bf_tap() { printf '%s\n' "$*" >&5; }

# _bf_diag_file FILE: FILE as "# " lines (the last 200 lines at most).
_bf_diag_file() {
	local n
	[ -s "$1" ] || return 0
	n=$(wc -l <"$1")
	if [ "$n" -gt 200 ]; then
		_bf_tap "#	... ($((n - 200)) earlier lines left out)"
	fi
	tail -n 200 "$1" | sed 's/^/#	/' >&5
}

_bf_diag_text() {
	printf '%s\n' "$1" | sed 's/^/#	/' >&5
}

_bf_escape_desc() {
	local d=${1//$'\n'/ }
	d=${d//\\/\\\\}
	printf '%s' "${d//[#]/\\#}"
}

_bf_report_failure() {
	local desc=$1 body=$2 why=${3:-}
	_bf_tap "not ok $test_count - $(_bf_escape_desc "$desc")"
	[ -z "$why" ] || _bf_tap "#	$why"
	_bf_tap "#	commands:"
	_bf_diag_text "$body"
	if [ -s "$_bf_out" ]; then
		_bf_tap "#	output (stdout and stderr):"
		_bf_diag_file "$_bf_out"
	fi
}

# ---------------------------------------------------------------------------
# Prerequisites

test_set_prereq() {
	_bf_prereqs="$_bf_prereqs$1 "
}

test_lazy_prereq() {
	_bf_lazy[$1]=$2
}

_bf_have_one_prereq() {
	local p=$1
	case "$_bf_prereqs" in *" $p "*) return 0 ;; esac
	case "$_bf_noprereqs" in *" $p "*) return 1 ;; esac
	if [ -n "${_bf_lazy[$p]+set}" ]; then
		if (eval "${_bf_lazy[$p]}") </dev/null >/dev/null 2>&1; then
			_bf_prereqs="$_bf_prereqs$p "
			return 0
		fi
	fi
	_bf_noprereqs="$_bf_noprereqs$p "
	return 1
}

# test_have_prereq A,B,!C: true when all are satisfied. Sets
# _bf_missing_prereq to the first one that is not.
test_have_prereq() {
	local p list
	_bf_missing_prereq=""
	IFS=, read -r -a list <<<"$1"
	for p in "${list[@]}"; do
		case "$p" in
		!*)
			if _bf_have_one_prereq "${p#!}"; then
				_bf_missing_prereq=$p
				return 1
			fi
			;;
		*)
			if ! _bf_have_one_prereq "$p"; then
				_bf_missing_prereq=$p
				return 1
			fi
			;;
		esac
	done
	return 0
}

# shellcheck disable=SC2016 # evaluated later
test_lazy_prereq ROOT '[ "$(id -u)" -eq 0 ]'
test_lazy_prereq SSHD '[ -x /usr/sbin/sshd ] && command -v ssh-keygen && command -v sftp'
test_lazy_prereq PG 'ls /usr/lib/postgresql/*/bin/initdb && command -v psql'
test_lazy_prereq MARIADB '{ command -v mariadbd || [ -x /usr/sbin/mariadbd ]; } && command -v mariadb && command -v mariadb-install-db'
test_lazy_prereq ODBC_PG 'odbc_driver psqlodbcw.so'
test_lazy_prereq ODBC_MARIADB 'odbc_driver libmaodbc.so'
test_lazy_prereq ODBC_SQLITE 'odbc_driver libsqlite3odbc.so'
test_lazy_prereq HTTPS 'command -v python3 && command -v openssl && command -v curl'
test_lazy_prereq SQLITE3 'command -v sqlite3'
test_lazy_prereq CURL 'command -v curl'
test_lazy_prereq JQ 'command -v jq'
test_lazy_prereq VALGRIND 'command -v valgrind'
test_lazy_prereq CHROMIUM 'command -v chromium'
test_lazy_prereq PARALLEL 'parallel --version | grep -q "GNU parallel"'

_bf_ci() {
	case "${CI:-}" in
	"" | 0 | false | no) return 1 ;;
	*) return 0 ;;
	esac
}

# ---------------------------------------------------------------------------
# Running tests

test_when_finished() {
	_bf_when_finished="$1
$_bf_when_finished"
}

test_atexit() {
	_bf_atexit="$1
$_bf_atexit"
}

# _bf_run BODY -> status of BODY (then of the test_when_finished commands)
_bf_run() {
	local status trace=""
	_bf_when_finished=""
	: >"$_bf_out"
	if [ -n "${BF_TEST_TRACE:-}" ]; then
		trace="set -x
"
	fi
	eval "$trace$1" </dev/null >>"$_bf_out" 2>&1
	{
		status=$?
		set +x
	} 2>/dev/null
	if [ -n "$_bf_when_finished" ]; then
		if ! eval "$_bf_when_finished" </dev/null >>"$_bf_out" 2>&1; then
			echo "test_when_finished commands failed" >>"$_bf_out"
			[ "$status" -ne 0 ] || status=1
		fi
		_bf_when_finished=""
	fi
	return "$status"
}

# _bf_expect success|failure [PREREQS] DESC BODY
_bf_expect() {
	local kind=$1 prereq="" desc body status
	shift
	if [ $# -eq 3 ]; then
		prereq=$1
		shift
	fi
	if [ $# -ne 2 ]; then
		echo "Bail out! $TEST_NAME: test_expect_$kind needs [PREREQS] DESC BODY"
		exit 1
	fi
	desc=$1
	body=$2
	test_count=$((test_count + 1))
	if [ -n "$prereq" ] && ! test_have_prereq "$prereq"; then
		if _bf_ci; then
			test_failure=$((test_failure + 1))
			: >"$_bf_out"
			_bf_report_failure "$desc" "$body" \
				"missing prerequisite $_bf_missing_prereq: CI=true, so this is a failure, not a skip"
			_bf_maybe_stop
		else
			test_skipped=$((test_skipped + 1))
			_bf_tap "ok $test_count # SKIP $(_bf_escape_desc "$desc") (missing $_bf_missing_prereq)"
		fi
		return 0
	fi
	_bf_running=$desc
	_bf_running_body=$body
	_bf_run "$body"
	status=$?
	_bf_running=""
	case "$kind,$status" in
	success,0)
		test_success=$((test_success + 1))
		_bf_tap "ok $test_count - $(_bf_escape_desc "$desc")"
		;;
	success,*)
		test_failure=$((test_failure + 1))
		_bf_report_failure "$desc" "$body" "exit status $status"
		_bf_maybe_stop
		;;
	failure,0)
		test_fixed=$((test_fixed + 1))
		_bf_tap "ok $test_count - $(_bf_escape_desc "$desc") # TODO known breakage vanished"
		;;
	failure,*)
		test_broken=$((test_broken + 1))
		_bf_tap "not ok $test_count - $(_bf_escape_desc "$desc") # TODO known breakage"
		;;
	esac
	if [ -n "${BF_TEST_VERBOSE:-}" ]; then
		_bf_diag_text "$body"
		_bf_diag_file "$_bf_out"
	fi
	return 0
}

_bf_maybe_stop() {
	if [ -n "${BF_TEST_IMMEDIATE:-}" ]; then
		_bf_tap "# stopping at the first failure (--immediate)"
		test_done
	fi
}

test_expect_success() {
	_bf_expect success "$@"
}

test_expect_failure() {
	_bf_expect failure "$@"
}

test_done() {
	_bf_done=1
	_bf_tap "1..$test_count"
	if [ "$test_fixed" -gt 0 ]; then
		_bf_tap "# $test_fixed known breakage(s) vanished; turn test_expect_failure into test_expect_success"
	fi
	if [ "$test_failure" -gt 0 ]; then
		_bf_tap "# failed $test_failure among $test_count test(s) in $TEST_NAME (BF_TEST_KEEP=1 keeps the trash directory)"
		exit 1
	fi
	exit 0
}

test_skip_all() {
	local reason=$1
	if [ "$test_count" -gt 0 ]; then
		_bf_tap "# test_skip_all after $test_count test(s): $reason"
		test_count=$((test_count + 1))
		test_failure=$((test_failure + 1))
		_bf_tap "not ok $test_count - test_skip_all called after tests ran"
		test_done
	fi
	_bf_done=1
	if _bf_ci; then
		_bf_tap "1..1"
		_bf_tap "not ok 1 - $TEST_NAME cannot run: $(_bf_escape_desc "$reason")"
		_bf_tap "#	CI=true: a missing prerequisite is a failure, not a skip"
		exit 1
	fi
	_bf_tap "1..0 # SKIP $reason"
	exit 0
}

test_require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || test_skip_all "$c is not installed"
	done
}

# ---------------------------------------------------------------------------
# Assertions

_bf_list_has() {
	case ",$1," in *",$2,"*) return 0 ;; esac
	return 1
}

test_must_fail() {
	local ok="" code
	case "${1:-}" in
	ok=*)
		ok=${1#ok=}
		shift
		;;
	esac
	if [ $# -eq 0 ]; then
		echo "test_must_fail: no command" >&2
		return 1
	fi
	"$@"
	code=$?
	if [ "$code" -eq 0 ]; then
		if _bf_list_has "$ok" success; then
			return 0
		fi
		echo "test_must_fail: command succeeded: $*" >&2
		return 1
	fi
	# 129..192: killed by signal 1..64 (as the shell reports it).
	if [ "$code" -gt 128 ] && [ "$code" -le 192 ]; then
		if _bf_list_has "$ok" signal; then
			return 0
		fi
		if [ "$code" -eq 141 ] && _bf_list_has "$ok" sigpipe; then
			return 0
		fi
		echo "test_must_fail: died by signal $((code - 128)) (exit $code): $*" >&2
		return 1
	fi
	if [ "$code" -eq 127 ]; then
		echo "test_must_fail: command not found: $1" >&2
		return 1
	fi
	if [ "$code" -eq 126 ]; then
		echo "test_must_fail: command not executable: $1" >&2
		return 1
	fi
	return 0
}

test_expect_code() {
	local want=$1 code
	shift
	"$@"
	code=$?
	if [ "$code" -eq "$want" ]; then
		return 0
	fi
	echo "test_expect_code: command exited $code, wanted $want: $*" >&2
	return 1
}

test_cmp() {
	if [ $# -ne 2 ]; then
		echo "test_cmp: needs EXPECTED ACTUAL" >&2
		return 1
	fi
	diff -u -- "$1" "$2" || {
		echo "test_cmp: $1 and $2 differ" >&2
		return 1
	}
}

test_line_count() {
	local op n actual
	if [ $# -ne 3 ]; then
		echo "test_line_count: needs OP N FILE" >&2
		return 1
	fi
	case "$1" in
	=) op=-eq ;;
	!=) op=-ne ;;
	-eq | -ne | -lt | -le | -gt | -ge) op=$1 ;;
	*)
		echo "test_line_count: bad operator $1" >&2
		return 1
		;;
	esac
	n=$2
	if [ ! -f "$3" ]; then
		echo "test_line_count: no such file: $3" >&2
		return 1
	fi
	actual=$(wc -l <"$3")
	if test "$actual" "$op" "$n"; then
		return 0
	fi
	echo "test_line_count: $3 has $actual line(s), wanted $1 $n; it holds:" >&2
	head -n 50 "$3" >&2
	return 1
}

# sqlite_checksum DB SQL: sha256 of the query's rows (CSV), sorted, so that
# row order does not matter.
sqlite_checksum() {
	local db=$1 sql=$2 sum
	if [ ! -f "$db" ]; then
		echo "sqlite_checksum: no such database: $db" >&2
		return 1
	fi
	sum=$(sqlite3 -batch -bail -readonly -noheader -csv -cmd ".timeout 30000" "$db" "$sql" | LC_ALL=C sort | sha256sum) || {
		echo "sqlite_checksum: query failed on $db: $sql" >&2
		return 1
	}
	printf '%s\n' "${sum%% *}"
}

# ---------------------------------------------------------------------------
# Background processes and servers

test_bg() {
	(
		close_inherited_fds
		exec "$@" </dev/null
	) &
	TEST_BG_PID=$!
	test_atexit "kill $TEST_BG_PID 2>/dev/null || true"
}

# _bf_start_server NAME DIR ARGS...: start tests/servers/NAME.sh, source its env.
_bf_start_server() {
	local name=$1 dir=$2
	shift 2
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd -P) || return 1
	test_atexit "$(printf '%q ' "$BF_SERVERS/$name.sh" stop "$dir") >/dev/null 2>&1 || true"
	"$BF_SERVERS/$name.sh" start "$dir" "$@" || return 1
	# shellcheck disable=SC1091
	. "$dir/env"
}

start_sshd() { _bf_start_server sshd "${1:-$TRASH_DIRECTORY/sshd}"; }
start_pg() { _bf_start_server pg "${1:-$TRASH_DIRECTORY/pg}"; }
start_mariadb() { _bf_start_server mariadb "${1:-$TRASH_DIRECTORY/mariadb}"; }

# odbc_driver FILE: the path of an installed unixODBC driver library (Debian's
# odbc-postgresql, odbc-mariadb, libsqliteodbc), or failure.
odbc_driver() {
	local f
	for f in /usr/lib/*/odbc/"$1" /usr/lib/odbc/"$1" /usr/lib64/"$1"; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

# odbc_setup: a test-local odbcinst.ini naming the drivers found as [PostgreSQL],
# [MariaDB] and [SQLite3], and an empty odbc.ini; ODBCSYSINI, ODBCINSTINI and ODBCINI
# point at them (the system's files are never read or written).
odbc_setup() {
	local d=$TRASH_DIRECTORY/odbc name file
	mkdir -p "$d" || return 1
	: >"$d/odbcinst.ini"
	for name in PostgreSQL:psqlodbcw.so MariaDB:libmaodbc.so SQLite3:libsqlite3odbc.so; do
		file=$(odbc_driver "${name#*:}") || continue
		printf '[%s]\nDriver=%s\n\n' "${name%%:*}" "$file" >>"$d/odbcinst.ini"
	done
	: >"$d/odbc.ini"
	export ODBCSYSINI=$d ODBCINSTINI=odbcinst.ini ODBCINI=$d/odbc.ini
}
start_https() {
	if [ $# -lt 1 ]; then
		echo "start_https: needs ROOT [DIR]" >&2
		return 1
	fi
	_bf_start_server https "${2:-$TRASH_DIRECTORY/https}" "$1"
}

# start_openai DIR [server options]: the loopback model API (tests/servers/openai.py) in
# $TRASH_DIRECTORY/DIR with empty faults and requests.log files there; sets API (its
# base URL, with /v1). Stopped when the script ends.
start_openai() {
	local dir=$TRASH_DIRECTORY/$1
	shift
	mkdir -p "$dir" && : >"$dir/faults" && : >"$dir/requests.log" &&
	test_bg python3 "$BF_SERVERS/openai.py" --port-file "$dir/port" --faults "$dir/faults" \
		--log "$dir/requests.log" "$@" &&
	wait_for_file "$dir/port" &&
	API=http://127.0.0.1:$(cat "$dir/port")/v1 &&
	wait_for_port 127.0.0.1 "$(cat "$dir/port")"
}

# valgrind_plain_build PROG: valgrind cannot run sanitizer builds; under `make SANITIZE=1
# test` put the plain build's binaries (built by the same `make` run of CI) first on
# PATH, or skip the script. (grep without -q: under pipefail an early exit would make
# ldd's SIGPIPE the verdict)
valgrind_plain_build() {
	local plain=$BF_SRC/build
	ldd "$(command -v "$1")" 2>/dev/null | grep libasan >/dev/null || return 0
	if [ -x "$plain/$1" ] && ! ldd "$plain/$1" | grep libasan >/dev/null; then
		PATH=$plain:$PATH
	else
		test_skip_all "sanitizer build and no plain build in $plain for valgrind"
	fi
}

# run_unprivileged PROG ARGS...: runs PROG as a user that file permissions bind, for
# tests of a file that cannot be written. Run by root (as CI is), PROG is copied into
# the trash directory and run as nobody, and the files the test names must be owned by
# nobody (own_unprivileged FILE...); otherwise both are plain.
run_unprivileged() {
	if [ "$(id -u)" -ne 0 ]; then
		"$@"
		return
	fi
	local bin=$TRASH_DIRECTORY/unprivileged-bin
	mkdir -p "$bin" && cp "$(command -v "$1")" "$bin/" && chmod 755 "$bin" "$bin/$1" || return
	local prog=$1
	shift
	setpriv --reuid=65534 --regid=65534 --clear-groups -- "$bin/$prog" "$@"
}
own_unprivileged() {
	[ "$(id -u)" -ne 0 ] || chown 65534:65534 "$@"
}

# ---------------------------------------------------------------------------
# Exit: report a script that died, run test_atexit commands, remove the trash.

_bf_exit() {
	local code=$1
	{ set +x; } 2>/dev/null
	set +u
	trap - EXIT
	if [ -z "$_bf_done" ]; then
		if [ -n "$_bf_running" ]; then
			test_failure=$((test_failure + 1))
			_bf_report_failure "$_bf_running" "$_bf_running_body" \
				"the test ended the script (exit $code: 'exit' in a body, or an unset variable with set -u)"
		else
			test_count=$((test_count + 1))
			_bf_tap "not ok $test_count - $TEST_NAME ended (exit $code) outside a test or without test_done"
		fi
		_bf_tap "1..$test_count"
		[ "$code" -ne 0 ] || code=1
	fi
	if [ -n "$_bf_atexit" ]; then
		cd "$TRASH_DIRECTORY" 2>/dev/null || cd /
		eval "$_bf_atexit" </dev/null >/dev/null 2>&1 || true
	fi
	cd / || true
	if [ -n "${BF_TEST_KEEP:-}" ]; then
		printf '# trash directory kept: %s\n' "$TRASH_DIRECTORY" >&5
	else
		rm -rf "$TRASH_DIRECTORY"
	fi
	exit "$code"
}
trap '_bf_exit $?' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
