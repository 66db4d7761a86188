#!/usr/bin/env bash
# A throwaway MariaDB server for tests (Debian's mariadb-server package), run as the
# current user from a private directory: no system service, no system files.
#
#   tests/servers/mariadb.sh start   DIR   install a data directory in DIR/data (once),
#                                          start on 127.0.0.1 on a free port and on a unix
#                                          socket in DIR, create user and database "bftest"
#   tests/servers/mariadb.sh stop    DIR   shutdown; no-op if not running
#   tests/servers/mariadb.sh kill    DIR   SIGKILL (connections dropped): for fault tests
#   tests/servers/mariadb.sh restart DIR   kill, then start on the same port
#   tests/servers/mariadb.sh status  DIR   exit 0 if running
#
# Files in DIR:
#   env      sourceable: MARIADB_HOST=127.0.0.1 MARIADB_PORT MARIADB_USER=bftest
#            MARIADB_DATABASE=bftest MARIADB_PASSWORD MARIADB_SOCKET, MARIADB_ADMIN (the
#            OS user, trusted on the unix socket only)
#   my.cnf   client options for the admin: mariadb --defaults-file=DIR/my.cnf
#   mariadb.log  server log;  data/  the data directory;  port;  mariadbd.pid
#
# TCP logins need the password; the unix socket trusts the OS user who started it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/servers/freeport.sh
. "$here/freeport.sh"

DB_USER=bftest
DB_NAME=bftest

die() {
	echo "mariadb.sh: $*" >&2
	exit 1
}

usage() {
	echo "usage: $0 start|stop|kill|restart|status DIR" >&2
	exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd -P)
data=$dir/data
sock=$dir/mysql.sock
me=$(id -un)

find_bin() {
	local n
	for n in "$@"; do
		if command -v "$n" >/dev/null 2>&1; then
			command -v "$n"
			return 0
		fi
		for d in /usr/sbin /usr/bin; do
			[ -x "$d/$n" ] && { echo "$d/$n"; return 0; }
		done
	done
	return 1
}

server_pid() {
	[ -s "$dir/mariadbd.pid" ] || return 1
	local pid
	pid=$(cat "$dir/mariadbd.pid")
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

running() { server_pid >/dev/null; }

admin() {
	"$client" --no-defaults --protocol=socket -S "$sock" -u "$me" "$@"
}

install_db() {
	[ "${#sock}" -lt 100 ] || die "DIR is too long for a unix socket path: $dir"
	"$installdb" --no-defaults --datadir="$data" --user="$me" --auth-root-authentication-method=socket \
		--skip-test-db >"$dir/install.log" 2>&1 || {
		cat "$dir/install.log" >&2
		die "mariadb-install-db failed"
	}
}

provision() {
	local pw
	pw=$(random_password)
	admin -e "CREATE DATABASE \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$pw';
CREATE USER '$DB_USER'@'localhost' IDENTIFIED BY '$pw';
GRANT ALL ON \`$DB_NAME\`.* TO '$DB_USER'@'127.0.0.1';
GRANT ALL ON \`$DB_NAME\`.* TO '$DB_USER'@'localhost';" || die "could not create user and database"
	(umask 077 && echo "$pw" >"$dir/password")
	touch "$dir/.provisioned"
}

write_env() {
	local port=$1
	{
		printf 'export MARIADB_HOST=127.0.0.1\n'
		printf 'export MARIADB_PORT=%q\n' "$port"
		printf 'export MARIADB_USER=%q\n' "$DB_USER"
		printf 'export MARIADB_DATABASE=%q\n' "$DB_NAME"
		printf 'export MARIADB_PASSWORD=%q\n' "$(cat "$dir/password")"
		printf 'export MARIADB_SOCKET=%q\n' "$sock"
		printf 'export MARIADB_ADMIN=%q\n' "$me"
	} >"$dir/env.tmp"
	mv "$dir/env.tmp" "$dir/env"
	printf '[client]\nsocket=%s\nuser=%s\n' "$sock" "$me" >"$dir/my.cnf"
}

start() {
	local fixed_port=${1:-} port attempt=0
	running && die "already running in $dir"
	[ -d "$data/mysql" ] || install_db
	while :; do
		attempt=$((attempt + 1))
		if [ -n "$fixed_port" ]; then
			port=$fixed_port
		else
			port=$(free_port)
		fi
		echo "=== start on port $port $(date -u +%FT%TZ)" >>"$dir/mariadb.log"
		rm -f "$dir/mariadbd.pid"
		(
			close_inherited_fds
			exec setsid "$server" --no-defaults --datadir="$data" --user="$me" \
				--bind-address=127.0.0.1 --port="$port" --socket="$sock" \
				--pid-file="$dir/mariadbd.pid" --log-error="$dir/mariadb.log" \
				--skip-log-bin --innodb-buffer-pool-size=64M --innodb-log-file-size=48M \
				--innodb-flush-log-at-trx-commit=2 --character-set-server=utf8mb4 \
				--collation-server=utf8mb4_bin --max-connections=50 </dev/null >/dev/null 2>&1
		) &
		local i
		for i in $(seq 1 600); do
			if [ -S "$sock" ] && admin -e 'select 1' >/dev/null 2>&1; then
				break
			fi
			kill -0 $! 2>/dev/null || break
			sleep 0.1
		done
		if admin -e 'select 1' >/dev/null 2>&1; then
			break
		fi
		if [ -z "$fixed_port" ] && [ "$attempt" -lt 5 ] &&
			tail -n 20 "$dir/mariadb.log" | grep -q 'Address already in use\|Do you already have another'; then
			continue
		fi
		tail -n 20 "$dir/mariadb.log" >&2 || true
		die "MariaDB failed to start on 127.0.0.1:$port"
	done
	echo "$port" >"$dir/port"
	[ -f "$dir/.provisioned" ] || provision
	write_env "$port"
	wait_for_port 127.0.0.1 "$port" 30 || die "MariaDB does not listen on 127.0.0.1:$port"
}

stop_server() {
	local sig=$1 pid i
	pid=$(server_pid) || return 0
	kill "-$sig" "$pid" 2>/dev/null || true
	for i in $(seq 1 600); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && die "mariadbd $pid did not stop"
	rm -f "$dir/mariadbd.pid"
}

server=$(find_bin mariadbd mysqld) || die "no mariadbd (package mariadb-server)"
installdb=$(find_bin mariadb-install-db mysql_install_db) || die "no mariadb-install-db (package mariadb-server)"
client=$(find_bin mariadb mysql) || die "no mariadb client (package mariadb-client)"

case "$cmd" in
start) start ;;
stop) stop_server TERM ;;
kill) stop_server KILL ;;
restart)
	[ -s "$dir/port" ] || die "never started in $dir"
	stop_server KILL
	start "$(cat "$dir/port")"
	;;
status) running ;;
*) usage ;;
esac
