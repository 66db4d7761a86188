#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2034,SC2317 # bodies are single-quoted and eval'ed by the library, which also reads test_description
test_description='the test harness itself: assertions, TAP output, servers'
# shellcheck source=tests/lib/test-lib.sh
. "$(dirname "$0")/../lib/test-lib.sh"

# ---------------------------------------------------------------------------
# Assertions

test_expect_success 'bodies run in the script shell and see the environment' '
	harness_var=set-in-test-1 &&
	test "$PWD" = "$TRASH_DIRECTORY" &&
	test "$BF_STATE" = "$TRASH_DIRECTORY/state.db" &&
	test "${PATH%%:*}" = "$BF_BUILD" &&
	case "$BF_BUILD" in /*) true ;; *) false ;; esac
'

test_expect_success 'variables set in one test are seen by the next' '
	test "$harness_var" = set-in-test-1
'

test_expect_success 'test_must_fail accepts failures and rejects the rest' '
	test_must_fail false &&
	test_must_fail sh -c "exit 3" &&
	! test_must_fail true &&
	! test_must_fail sh -c "kill -SEGV \$\$" &&
	! test_must_fail sh -c "kill -ABRT \$\$" &&
	! test_must_fail bf-no-such-command &&
	test_must_fail ok=signal sh -c "kill -TERM \$\$" &&
	test_must_fail ok=sigpipe sh -c "kill -PIPE \$\$" &&
	! test_must_fail ok=sigpipe sh -c "kill -TERM \$\$" &&
	test_must_fail ok=success true
'

test_expect_success 'test_expect_code checks the exact status' '
	test_expect_code 3 sh -c "exit 3" &&
	test_expect_code 0 true &&
	! test_expect_code 3 sh -c "exit 4" &&
	! test_expect_code 0 false
'

test_expect_success 'test_cmp passes on equal files and shows the diff otherwise' '
	printf "a\nsame\n" >expect &&
	printf "b\nsame\n" >actual &&
	cp expect expect.copy &&
	test_cmp expect expect.copy &&
	! test_cmp expect actual >cmp.out 2>&1 &&
	grep "^-a$" cmp.out &&
	grep "^+b$" cmp.out &&
	! test_cmp expect no-such-file
'

test_expect_success 'test_line_count' '
	printf "1\n2\n3\n" >three &&
	: >empty &&
	test_line_count = 3 three &&
	test_line_count -gt 2 three &&
	test_line_count = 0 empty &&
	! test_line_count = 2 three &&
	! test_line_count -lt 3 three &&
	! test_line_count = 0 no-such-file
'

test_expect_success 'free_port gives distinct ports nothing listens on' '
	p1=$(free_port) &&
	p2=$(free_port) &&
	test "$p1" -gt 1023 && test "$p1" -lt 65536 &&
	test "$p1" != "$p2" &&
	! port_in_use "$p1" &&
	! port_in_use "$p2"
'

test_expect_success 'wait_for_port times out on a closed port, quickly' '
	p=$(free_port) &&
	start=$SECONDS &&
	test_must_fail wait_for_port 127.0.0.1 "$p" 1 &&
	test $((SECONDS - start)) -le 3
'

test_expect_success 'wait_for_file waits for a file written later' '
	(sleep 0.3 && echo x >late.txt) &
	wait_for_file late.txt 5 &&
	test_must_fail wait_for_file never.txt 0.2
'

test_expect_success SQLITE3 'sqlite_checksum ignores row order and sees changes' '
	sqlite3 one.db "create table t(a,b); insert into t values (1,\"x\"),(2,\"y\");" &&
	sqlite3 two.db "create table t(a,b); insert into t values (2,\"y\"),(1,\"x\");" &&
	sqlite3 three.db "create table t(a,b); insert into t values (1,\"x\"),(2,\"z\");" &&
	c1=$(sqlite_checksum one.db "select * from t") &&
	c2=$(sqlite_checksum two.db "select * from t") &&
	c3=$(sqlite_checksum three.db "select * from t") &&
	test ${#c1} -eq 64 &&
	test "$c1" = "$c2" &&
	test "$c1" != "$c3" &&
	test_must_fail sqlite_checksum no-such.db "select 1" &&
	test ! -e no-such.db &&
	test_must_fail sqlite_checksum one.db "select * from no_such_table"
'

# ---------------------------------------------------------------------------
# The library seen from outside: scripts that use it, run as prove would.

mkdir -p subtmp

# write_sub NAME < body: a test script using the library.
write_sub() {
	{
		printf '#!/usr/bin/env bash\n'
		printf '. %q\n' "$TEST_DIRECTORY/lib/test-lib.sh"
		cat
	} >"$1.sh"
	chmod +x "$1.sh"
}

# run_sub NAME [VAR=VALUE...]: run NAME.sh without CI (unless given) and
# without the harness options of this script; output in NAME.out/.err.
run_sub() {
	local name=$1
	shift
	env -u CI -u BF_TEST_VERBOSE -u BF_TEST_IMMEDIATE -u BF_TEST_KEEP -u BF_TEST_TRACE \
		TMPDIR="$TRASH_DIRECTORY/subtmp" "$@" ./"$name.sh" >"$name.out" 2>"$name.err"
}

test_expect_success 'a failing test makes the script fail, with diagnostics' '
	write_sub fails <<-\EOF &&
	test_expect_success "passes" "true"
	test_expect_success "compares" "
		echo one >expect &&
		echo two >actual &&
		echo to-stderr >&2 &&
		test_cmp expect actual
	"
	test_expect_success "passes again" "true"
	test_done
	EOF
	test_expect_code 1 run_sub fails &&
	grep "^ok 1 - passes$" fails.out &&
	grep "^not ok 2 - compares$" fails.out &&
	grep "^ok 3 - passes again$" fails.out &&
	grep "^1\.\.3$" fails.out &&
	grep "^#.*test_cmp expect actual" fails.out &&
	grep "^#.*+two" fails.out &&
	grep "^#.*to-stderr" fails.out &&
	grep "^# failed 1 among 3" fails.out
'

test_expect_success 'prove reads the output: passing and failing scripts' '
	write_sub passes <<-\EOF &&
	test_expect_success "one" "true"
	test_expect_success "two" "test 1 = 1"
	test_done
	EOF
	run_sub passes &&
	TMPDIR="$TRASH_DIRECTORY/subtmp" prove passes.sh >prove-pass.out 2>&1 &&
	grep "^Result: PASS" prove-pass.out &&
	! env -u CI TMPDIR="$TRASH_DIRECTORY/subtmp" prove fails.sh >prove-fail.out 2>&1 &&
	grep "^Result: FAIL" prove-fail.out
'

test_expect_success 'known breakage is TODO, and a fixed one is reported' '
	write_sub todo <<-\EOF &&
	test_expect_failure "still broken" "false"
	test_expect_failure "fixed now" "true"
	test_done
	EOF
	run_sub todo &&
	grep "^not ok 1 - still broken # TODO known breakage$" todo.out &&
	grep "^ok 2 - fixed now # TODO known breakage vanished$" todo.out &&
	grep "^1\.\.2$" todo.out
'

test_expect_success 'an unset variable or exit in a body fails that test' '
	write_sub unset <<-\EOF &&
	test_expect_success "fine" "true"
	test_expect_success "typo" "echo \$no_such_variable_here"
	test_expect_success "never reached" "true"
	test_done
	EOF
	test_must_fail run_sub unset &&
	grep "^ok 1 - fine$" unset.out &&
	grep "^not ok 2 - typo$" unset.out &&
	grep "^1\.\.2$" unset.out &&
	! grep "never reached" unset.out &&
	write_sub exits <<-\EOF &&
	test_expect_success "exits" "exit 0"
	test_done
	EOF
	test_must_fail run_sub exits &&
	grep "^not ok 1 - exits$" exits.out &&
	write_sub nodone <<-\EOF &&
	test_expect_success "fine" "true"
	EOF
	test_must_fail run_sub nodone &&
	grep "^not ok 2 .*without test_done" nodone.out
'

test_expect_success 'test_skip_all skips, except under CI where it fails' '
	write_sub skipall <<-\EOF &&
	test_skip_all "no frobnicator here"
	test_expect_success "not run" "false"
	test_done
	EOF
	run_sub skipall &&
	grep "^1\.\.0 # SKIP no frobnicator here$" skipall.out &&
	! grep "ok" skipall.out &&
	test_expect_code 1 run_sub skipall CI=true &&
	grep "^not ok 1 .*no frobnicator here" skipall.out &&
	grep "^1\.\.1$" skipall.out
'

test_expect_success 'a missing prerequisite skips, except under CI where it fails' '
	write_sub prereq <<-\EOF &&
	test_lazy_prereq NEVER "false"
	test_lazy_prereq ALWAYS "true"
	test_expect_success NEVER "needs never" "true"
	test_expect_success ALWAYS "needs always" "true"
	test_expect_success !NEVER "needs not never" "true"
	test_done
	EOF
	run_sub prereq &&
	grep "^ok 1 # SKIP needs never (missing NEVER)$" prereq.out &&
	grep "^ok 2 - needs always$" prereq.out &&
	grep "^ok 3 - needs not never$" prereq.out &&
	test_expect_code 1 run_sub prereq CI=true &&
	grep "^not ok 1 - needs never$" prereq.out &&
	grep "^#.*missing prerequisite NEVER" prereq.out
'

test_expect_success 'each script gets its own trash directory, removed at exit' '
	rm -rf subtmp/* &&
	write_sub env <<-\EOF &&
	test_expect_success "record" "
		pwd >\"\$TMPDIR/../env-pwd\" &&
		echo \"\$BF_STATE\" >\"\$TMPDIR/../env-state\" &&
		echo \"\${PATH%%:*}\" >\"\$TMPDIR/../env-path\"
	"
	test_done
	EOF
	mkdir -p fake-build &&
	run_sub env BF_BUILD=fake-build &&
	trash=$(cat env-pwd) &&
	case "$trash" in "$TRASH_DIRECTORY/subtmp/bf-test.env."*) true ;; *) false ;; esac &&
	test "$(cat env-state)" = "$trash/state.db" &&
	test "$(cat env-path)" = "$TRASH_DIRECTORY/fake-build" &&
	test ! -e "$trash" &&
	run_sub env BF_TEST_KEEP=1 &&
	trash=$(cat env-pwd) &&
	test -d "$trash" &&
	grep "^# trash directory kept: $trash$" env.out
'

# ---------------------------------------------------------------------------
# Servers

cat >askpass <<\EOF
#!/bin/sh
printf '%s\n' "$BF_ASKPASS_SECRET"
EOF
chmod +x askpass

# sftp_batch USER KEY KNOWN_HOSTS [SSH OPTIONS...] < batch
# (sftp -b adds "-o BatchMode=yes" where it stands, and ssh keeps the first
# value it sees: an -o BatchMode=no must come before -b.)
sftp_batch() {
	local user=$1 key=$2 kh=$3
	shift 3
	sftp -F /dev/null -P "$SSH_PORT" -i "$key" -o IdentitiesOnly=yes \
		-o IdentityAgent=none -o UserKnownHostsFile="$kh" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=yes -o ConnectTimeout=10 "$@" -b - "$user@$SSH_HOST"
}

test_expect_success SSHD 'sshd starts and serves sftp with the generated key' '
	start_sshd &&
	test -n "$SSH_PORT" && test "$SSH_HOST" = 127.0.0.1 &&
	grep "^\[127.0.0.1\]:$SSH_PORT ssh-ed25519 " "$SSH_KNOWN_HOSTS" &&
	mkdir -p data &&
	head -c 100000 /dev/urandom >data/blob &&
	printf "get %s got-blob\n" "$PWD/data/blob" |
	sftp_batch "$SSH_USER" "$SSH_KEY" "$SSH_KNOWN_HOSTS" &&
	cmp data/blob got-blob &&
	printf "pwd\n" | sftp -q -b - -F "$SSH_CONFIG" bftest-sshd
'

test_expect_success SSHD 'sshd: a wrong host key is refused' '
	printf "pwd\n" >batch &&
	test_must_fail sftp_batch "$SSH_USER" "$SSH_KEY" "$SSH_KNOWN_HOSTS_BAD" <batch 2>err &&
	grep -i "host key" err
'

test_expect_success SSHD 'sshd: the passphrase key needs its passphrase' '
	printf "pwd\n" >batch &&
	BF_ASKPASS_SECRET=$SSH_KEY_PASSPHRASE SSH_ASKPASS=$PWD/askpass SSH_ASKPASS_REQUIRE=force \
		sftp_batch "$SSH_USER" "$SSH_KEY_PW" "$SSH_KNOWN_HOSTS" -o BatchMode=no <batch &&
	BF_ASKPASS_SECRET=wrong SSH_ASKPASS=$PWD/askpass SSH_ASKPASS_REQUIRE=force \
		test_must_fail sftp_batch "$SSH_USER" "$SSH_KEY_PW" "$SSH_KNOWN_HOSTS" \
		-o BatchMode=no -o NumberOfPasswordPrompts=1 <batch
'

test_expect_success SSHD,ROOT 'sshd: password login for the test user' '
	test -s "$SSH_DIR/password" &&
	test "$SSH_PASSWORD" = "$(cat "$SSH_DIR/password")" &&
	test "$SSH_PW_USER" = bftest &&
	printf "get %s pw-blob\n" "$PWD/data/blob" >batch &&
	BF_ASKPASS_SECRET=$SSH_PASSWORD SSH_ASKPASS=$PWD/askpass SSH_ASKPASS_REQUIRE=force \
		sftp -q -F /dev/null -P "$SSH_PORT" -o BatchMode=no -b - \
		-o PreferredAuthentications=password -o PubkeyAuthentication=no \
		-o UserKnownHostsFile="$SSH_KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
		"$SSH_PW_USER@$SSH_HOST" <batch &&
	cmp data/blob pw-blob &&
	BF_ASKPASS_SECRET=not-the-password SSH_ASKPASS=$PWD/askpass SSH_ASKPASS_REQUIRE=force \
		test_must_fail sftp -q -F /dev/null -P "$SSH_PORT" -o BatchMode=no -b - \
		-o NumberOfPasswordPrompts=1 \
		-o PreferredAuthentications=password -o PubkeyAuthentication=no \
		-o UserKnownHostsFile="$SSH_KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
		"$SSH_PW_USER@$SSH_HOST" <batch
'

test_expect_success SSHD 'sshd: password logins are offered exactly when running as root' '
	if test "$(id -u)" -eq 0
	then
		test -s "$SSH_DIR/password" &&
		test ! -e "$SSH_DIR/password.unavailable"
	else
		test -s "$SSH_DIR/password.unavailable" &&
		test ! -e "$SSH_DIR/password" &&
		test -z "${SSH_PASSWORD:-}"
	fi
'

test_expect_success SSHD 'sshd: kill, then restart on the same port with the same key' '
	port=$SSH_PORT &&
	cp "$SSH_KNOWN_HOSTS" kh.before &&
	"$BF_SERVERS/sshd.sh" kill "$SSH_DIR" &&
	test_must_fail "$BF_SERVERS/sshd.sh" status "$SSH_DIR" &&
	printf "pwd\n" >batch &&
	test_must_fail sftp_batch "$SSH_USER" "$SSH_KEY" "$SSH_KNOWN_HOSTS" <batch &&
	"$BF_SERVERS/sshd.sh" restart "$SSH_DIR" &&
	. "$SSH_DIR/env" &&
	test "$SSH_PORT" = "$port" &&
	test_cmp kh.before "$SSH_KNOWN_HOSTS" &&
	sftp_batch "$SSH_USER" "$SSH_KEY" "$SSH_KNOWN_HOSTS" <batch
'

test_expect_success SSHD 'sshd: stop closes the port' '
	"$BF_SERVERS/sshd.sh" stop "$SSH_DIR" &&
	test_must_fail wait_for_port 127.0.0.1 "$SSH_PORT" 0.2 &&
	"$BF_SERVERS/sshd.sh" stop "$SSH_DIR"
'

test_expect_success PG 'postgres starts and answers select 1 over TCP with a password' '
	start_pg &&
	test "$PGHOST" = 127.0.0.1 &&
	test "$BF_PG_URL" = "postgresql://$PGUSER@127.0.0.1:$PGPORT/$PGDATABASE" &&
	echo 1 >expect &&
	psql -X -At -c "select 1" >actual &&
	test_cmp expect actual &&
	psql -X -At "$BF_PG_URL" -c "select 1" >actual &&
	test_cmp expect actual
'

test_expect_success PG 'postgres: wrong password refused, pgpass file accepted' '
	PGPASSWORD=wrong test_must_fail psql -X -At -c "select 1" 2>err &&
	grep "password authentication failed" err &&
	grep "^127.0.0.1:$PGPORT:$PGDATABASE:$PGUSER:" "$PG_PASSFILE" &&
	(unset PGPASSWORD && PGPASSFILE=$PG_PASSFILE psql -X -At "$BF_PG_URL" -c "select 2") >actual &&
	echo 2 >expect &&
	test_cmp expect actual
'

test_expect_success PG 'postgres: kill drops it, restart brings the data back' '
	psql -X -q -v ON_ERROR_STOP=1 -c "create table harness(x int); insert into harness values (42)" &&
	port=$PGPORT &&
	"$BF_SERVERS/pg.sh" kill "$PG_SOCKET_DIR" &&
	test_must_fail psql -X -At -c "select 1" &&
	"$BF_SERVERS/pg.sh" restart "$PG_SOCKET_DIR" &&
	. "$PG_SOCKET_DIR/env" &&
	test "$PGPORT" = "$port" &&
	echo 42 >expect &&
	psql -X -At -c "select x from harness" >actual &&
	test_cmp expect actual &&
	"$BF_SERVERS/pg.sh" stop "$PG_SOCKET_DIR" &&
	test_must_fail "$BF_SERVERS/pg.sh" status "$PG_SOCKET_DIR" &&
	test_must_fail psql -X -At -c "select 1"
'

test_expect_success HTTPS 'https serves files, verified with the test CA' '
	mkdir -p www/sub &&
	head -c 300000 /dev/urandom >www/sub/blob.bin &&
	echo hello >www/hello.txt &&
	start_https www &&
	case "$BF_HTTPS_URL" in "https://127.0.0.1:$HTTPS_PORT") true ;; *) false ;; esac &&
	curl -sS -f --cacert "$HTTPS_CA" -o got.bin "$BF_HTTPS_URL/sub/blob.bin" &&
	cmp www/sub/blob.bin got.bin &&
	curl -sS -f --cacert "$HTTPS_CA" "https://localhost:$HTTPS_PORT/hello.txt" >got.txt &&
	test_cmp www/hello.txt got.txt &&
	curl -sS -f -I --cacert "$HTTPS_CA" "$BF_HTTPS_URL/sub/blob.bin" >head.txt &&
	grep -i "^content-length: 300000" head.txt &&
	test "$(curl -s -o /dev/null -w "%{http_code}" --cacert "$HTTPS_CA" "$BF_HTTPS_URL/nope")" = 404 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" --cacert "$HTTPS_CA" "$BF_HTTPS_URL/../etc/passwd")" = 404 &&
	test_expect_code 60 curl -sS --cacert "$HTTPS_WRONG_CA" "$BF_HTTPS_URL/hello.txt" &&
	test_expect_code 60 curl -sS "$BF_HTTPS_URL/hello.txt"
'

test_expect_success HTTPS 'https: ranges and conditional requests' '
	curl -sS -f --cacert "$HTTPS_CA" -r 1-3 "$BF_HTTPS_URL/hello.txt" >part &&
	printf ell >expect &&
	test_cmp expect part &&
	etag=$(curl -sS -f -I --cacert "$HTTPS_CA" "$BF_HTTPS_URL/hello.txt" |
		sed -n "s/^[Ee][Tt][Aa][Gg]: \(.*\)\r$/\1/p") &&
	test -n "$etag" &&
	test "$(curl -s -o /dev/null -w "%{http_code}" --cacert "$HTTPS_CA" \
		-H "If-None-Match: $etag" "$BF_HTTPS_URL/hello.txt")" = 304
'

test_expect_success HTTPS 'https: injected faults apply to the next requests only' '
	: >"$HTTPS_LOG" &&
	echo "503 2" >"$HTTPS_FAULTS" &&
	for i in 1 2 3; do
		curl -s -o /dev/null -w "%{http_code}\n" --cacert "$HTTPS_CA" "$BF_HTTPS_URL/hello.txt" || return 1
	done >codes &&
	printf "503\n503\n200\n" >expect &&
	test_cmp expect codes &&
	test_line_count = 3 "$HTTPS_LOG" &&
	echo "reset 1" >"$HTTPS_FAULTS" &&
	test_must_fail curl -sS --cacert "$HTTPS_CA" -o cut.bin "$BF_HTTPS_URL/sub/blob.bin" &&
	test "$(stat -c %s cut.bin)" -lt 300000 &&
	echo "drop 1" >"$HTTPS_FAULTS" &&
	test_must_fail curl -sS --cacert "$HTTPS_CA" -o /dev/null "$BF_HTTPS_URL/hello.txt" &&
	echo "slow 1 3" >"$HTTPS_FAULTS" &&
	test_expect_code 28 curl -sS --max-time 1 --cacert "$HTTPS_CA" -o /dev/null "$BF_HTTPS_URL/hello.txt" &&
	curl -sS -f --cacert "$HTTPS_CA" -o got.bin "$BF_HTTPS_URL/sub/blob.bin" &&
	cmp www/sub/blob.bin got.bin &&
	test ! -s "$HTTPS_FAULTS"
'

test_expect_success HTTPS 'https: kill, restart on the same port, stop' '
	port=$HTTPS_PORT &&
	"$BF_SERVERS/https.sh" kill "$HTTPS_DIR" &&
	test_must_fail curl -sS --cacert "$HTTPS_CA" "$BF_HTTPS_URL/hello.txt" &&
	"$BF_SERVERS/https.sh" restart "$HTTPS_DIR" &&
	. "$HTTPS_DIR/env" &&
	test "$HTTPS_PORT" = "$port" &&
	curl -sS -f --cacert "$HTTPS_CA" "$BF_HTTPS_URL/hello.txt" >got.txt &&
	test_cmp www/hello.txt got.txt &&
	"$BF_SERVERS/https.sh" stop "$HTTPS_DIR" &&
	test_expect_code 7 curl -sS --cacert "$HTTPS_CA" "$BF_HTTPS_URL/hello.txt"
'

test_done
