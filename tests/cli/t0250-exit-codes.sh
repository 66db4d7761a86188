#!/usr/bin/env bash
test_description=every\ exit\ code\ bf-extract\ and\ bf-load\ can\ return\ \(docs/DESIGN.md\ 4\)
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd jq sqlite3

. "$TEST_DIRECTORY/lib/drop-fixture.sh"

test_expect_success 'setup' '
	make_drop drop &&
	mkdir -p good/1/20240101 &&
	printf "a,b\n1,2\n" >good/1/20240101/T.csv
'

test_expect_success '0: everything done' '
	test_expect_code 0 bf-extract --source good --all --state ok.db >ok.out &&
	test_expect_code 0 bf-load --target ok.w --state ok.db <ok.out >/dev/null
'

test_expect_success '1: rows were quarantined' '
	test_expect_code 1 bf-extract --source drop --all --state q.db >q.out 2>q.err &&
	grep "quarantined" q.err
'

test_expect_success '1: bf-load when a partition failed upstream' '
	printf "{\"type\":\"STATE\",\"value\":{\"bf\":{\"source\":\"s\",\"location\":\"1\",\"date\":\"2024-01-01\",\"status\":\"failed\",\"error\":\"x\"}}}\n" >f.in &&
	test_expect_code 1 bf-load --target f.w --state f.db <f.in >/dev/null 2>&1
'

test_expect_success '64: usage errors' '
	test_expect_code 64 bf-extract --all 2>e1 &&
	grep "^bf-extract: --source is required" e1 &&
	test_expect_code 64 bf-extract --source good 2>e2 &&
	test_expect_code 64 bf-extract --source good --all --date 2024-01-01 2>e3 &&
	test_expect_code 64 bf-extract --source good --date 2024-02-30 2>e4 &&
	test_expect_code 64 bf-extract --source good --all --no-such-option 2>e5 &&
	test_expect_code 64 bf-extract --source good --all --layout "{nope}/{yyyymmdd}" --state u.db 2>e6 &&
	test_expect_code 64 bf-extract --source good --start-date 2024-01-02 --end-date 2024-01-01 2>e7 &&
	test_expect_code 64 bf-extract --source good --all stray 2>e8 &&
	test_expect_code 64 bf-load 2>e9 &&
	test_expect_code 64 bf-load --target x.db stray 2>e10 &&
	test_expect_code 64 bf-load --target x.db --max-line-bytes 10 2>e11 &&
	for f in e1 e2 e3 e4 e5 e6 e7 e8 e9 e10 e11; do test -s $f || return 1; done
'

test_expect_success '--help and --version exit 0 and print the exit-code table' '
	bf-extract --help >h1 && grep -- "--source" h1 && grep "78" h1 &&
	bf-load --help >h2 && grep -- "--target" h2 &&
	bf-extract --version | grep "^bf-extract [0-9]" &&
	bf-load --version | grep "^bf-load [0-9]"
'

test_expect_success '65: bad input data (--strict, broken protocol)' '
	test_expect_code 65 bf-extract --source drop --all --strict --state strict.db >/dev/null 2>&1 &&
	echo "not json" >bad.in &&
	test_expect_code 65 bf-load --target b.w --state b.db <bad.in 2>/dev/null
'

test_expect_success '66: the source is missing or not a folder' '
	test_expect_code 66 bf-extract --source no-such-dir --all --state m.db >/dev/null 2>m.err &&
	grep "no-such-dir" m.err &&
	test_expect_code 66 bf-extract --source good/1/20240101/T.csv --all --state m.db >/dev/null 2>&1
'

test_expect_success '74: stdout on /dev/full, for both tools' '
	test -w /dev/full &&
	test_expect_code 74 bf-extract --source good --all --force --state full.db >/dev/full 2>full.err &&
	grep "stdout" full.err &&
	test_expect_code 74 bf-extract --source drop --all --force --state full.db >/dev/full 2>/dev/null &&
	bf-extract --source good --all --force --state full2.db >full.in &&
	test_expect_code 74 bf-load --target full.w --state full2.db <full.in >/dev/full 2>/dev/null
'

test_expect_success '74: the warehouse cannot be created' '
	test_expect_code 74 bf-load --target no-such-dir/w.db --state ok.db <ok.out >/dev/null 2>&1
'

test_expect_success '77: the state file cannot be created for lack of permission' '
	if test "$(id -u)" != 0; then
		mkdir ro && chmod 555 ro &&
		test_expect_code 77 bf-extract --source good --all --state ro/s.db >/dev/null 2>&1
	fi
'

test_expect_success '78: a state file from a newer bf is refused by both' '
	bf-extract --source good --all --state new.db >new.out &&
	sqlite3 new.db "PRAGMA user_version = 9999" &&
	test_expect_code 78 bf-extract --source good --all --force --state new.db >/dev/null 2>n1 &&
	grep "newer" n1 &&
	test_expect_code 78 bf-load --target n.w --state new.db <new.out >/dev/null 2>n2 &&
	grep "newer" n2 &&
	test "$(sqlite3 new.db "PRAGMA user_version")" = 9999
'

# BF_LOCK_TIMEOUT shortens the wait for a locked state file (default two minutes).
test_expect_success '75: the state file stays locked by another process' '
	bf-extract --source good --all --state locked.db >/dev/null &&
	test_bg python3 -c "
import sqlite3, time
c = sqlite3.connect(\"locked.db\", isolation_level=None)
c.execute(\"BEGIN EXCLUSIVE\")
c.execute(\"INSERT INTO runs (stage, started_at) VALUES (\x27lock\x27, \x27now\x27)\")
open(\"locked.ready\", \"w\").write(\"ready\")
time.sleep(3600)
" &&
	wait_for_file locked.ready 30 &&
	BF_LOCK_TIMEOUT=3 test_expect_code 75 bf-extract --source good --all --force --state locked.db >locked.out 2>locked.err &&
	grep "locked" locked.err &&
	kill $TEST_BG_PID
'

test_done
