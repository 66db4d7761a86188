#!/usr/bin/env bash
# A throwaway HTTPS file server for tests (tests/servers/https.py).
#
#   tests/servers/https.sh start   DIR ROOT  make a CA and a server certificate in DIR
#                                            (once), serve ROOT on 127.0.0.1:free port
#   tests/servers/https.sh stop    DIR       stop it; no-op if not running
#   tests/servers/https.sh kill    DIR       SIGKILL it (fault tests)
#   tests/servers/https.sh restart DIR       kill, then serve the same ROOT on the same
#                                            port with the same certificate
#   tests/servers/https.sh status  DIR       exit 0 if running
#
# Files in DIR:
#   env           sourceable: HTTPS_PORT, BF_HTTPS_URL=https://127.0.0.1:PORT (no
#                 trailing slash), HTTPS_CA, HTTPS_WRONG_CA, HTTPS_ROOT,
#                 HTTPS_FAULTS, HTTPS_LOG, HTTPS_DIR
#   ca.pem        the CA that signed the server certificate (give it to clients)
#   wrong-ca.pem  a CA that signed nothing here (verification must fail)
#   server.pem server.key  certificate for 127.0.0.1 and localhost
#   faults        write fault lines here (see https.py): "500 3", "slow 2 [SECS]",
#                 "reset 1", "drop 1", "redirect 1 LOCATION"
#   requests.log  one line per request: METHOD PATH STATUS FAULT
#   https.log     the server's own log;  https.pid  port  root
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/servers/freeport.sh
. "$here/freeport.sh"

die() {
	echo "https.sh: $*" >&2
	exit 1
}

usage() {
	echo "usage: $0 start DIR ROOT | stop|kill|restart|status DIR" >&2
	exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd -P)

python=${PYTHON:-}
if [ -z "$python" ]; then
	if [ -x /usr/bin/python3 ]; then
		python=/usr/bin/python3
	else
		python=python3
	fi
fi

running_pid() {
	local pid
	pid=$(cat "$dir/https.pid" 2>/dev/null) || return 1
	pid_alive "$pid" || return 1
	grep -q 'https\.py' "/proc/$pid/cmdline" 2>/dev/null || return 1
	echo "$pid"
}

ensure_certs() {
	command -v openssl >/dev/null 2>&1 || die "openssl not found (package openssl)"
	[ -f "$dir/server.pem" ] && [ -f "$dir/ca.pem" ] && [ -f "$dir/wrong-ca.pem" ] && return 0
	local days=30 ecparam=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	(
		cd "$dir"
		umask 077
		openssl req -x509 "${ecparam[@]}" -keyout ca.key -out ca.pem -days "$days" \
			-subj "/CN=bf test CA" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
		openssl req -x509 "${ecparam[@]}" -keyout wrong-ca.key -out wrong-ca.pem -days "$days" \
			-subj "/CN=bf unrelated test CA" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
		openssl req -new "${ecparam[@]}" -keyout server.key -out server.csr \
			-subj "/CN=127.0.0.1" 2>/dev/null
		cat >server.ext <<'EOF'
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
EOF
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days "$days" -sha256 -extfile server.ext -out server.pem 2>/dev/null
		chmod 644 ca.pem wrong-ca.pem server.pem
		rm -f server.csr ca.srl
		openssl verify -CAfile ca.pem server.pem >/dev/null
	) || die "certificate generation failed"
}

write_env() {
	local port=$1 root=$2
	{
		printf 'export HTTPS_DIR=%q\n' "$dir"
		printf 'export HTTPS_PORT=%q\n' "$port"
		printf 'export BF_HTTPS_URL=%q\n' "https://127.0.0.1:$port"
		printf 'export HTTPS_CA=%q\n' "$dir/ca.pem"
		printf 'export HTTPS_WRONG_CA=%q\n' "$dir/wrong-ca.pem"
		printf 'export HTTPS_ROOT=%q\n' "$root"
		printf 'export HTTPS_FAULTS=%q\n' "$dir/faults"
		printf 'export HTTPS_LOG=%q\n' "$dir/requests.log"
	} >"$dir/env.tmp"
	mv "$dir/env.tmp" "$dir/env"
}

# verify: one real TLS request, checked against the CA.
verify() {
	local port=$1 out
	if command -v curl >/dev/null 2>&1; then
		out=$(curl -sS --max-time 10 --cacert "$dir/ca.pem" "https://127.0.0.1:$port/__health__" 2>&1) ||
			die "curl --cacert to 127.0.0.1:$port failed: $out"
	else
		out=$(openssl s_client -connect "127.0.0.1:$port" -CAfile "$dir/ca.pem" \
			-verify_return_error -brief </dev/null 2>&1) ||
			die "TLS handshake with 127.0.0.1:$port failed: $out"
		out=ok
	fi
	[ "$out" = ok ] || die "unexpected health answer from 127.0.0.1:$port: $out"
}

start() {
	local root=$1 fixed_port=${2:-} pid port
	[ -d "$root" ] || die "ROOT is not a directory: $root"
	root=$(cd "$root" && pwd -P)
	command -v "$python" >/dev/null 2>&1 || die "python3 not found (package python3)"
	if pid=$(running_pid); then
		die "already running (pid $pid) in $dir"
	fi
	ensure_certs
	touch "$dir/faults" "$dir/requests.log"
	rm -f "$dir/port"
	echo "$root" >"$dir/root"
	echo "=== start $(date -u +%FT%TZ)" >>"$dir/https.log"
	# The server binds itself (port 0 unless restarting): no race for the port.
	(
		close_inherited_fds
		exec setsid "$python" "$here/https.py" --root "$root" \
			--cert "$dir/server.pem" --key "$dir/server.key" \
			--port "${fixed_port:-0}" --port-file "$dir/port" \
			--faults "$dir/faults" --log "$dir/requests.log" \
			</dev/null >>"$dir/https.log" 2>&1
	) &
	pid=$!
	echo "$pid" >"$dir/https.pid"
	local n=200
	until [ -s "$dir/port" ]; do
		if ! pid_alive "$pid"; then
			tail -n 20 "$dir/https.log" >&2 || true
			die "server exited during start"
		fi
		n=$((n - 1))
		[ "$n" -gt 0 ] || die "server did not report its port within 10s"
		sleep "$BF_POLL_INTERVAL"
	done
	port=$(cat "$dir/port")
	wait_for_port 127.0.0.1 "$port" 10 || die "server does not accept connections on $port"
	write_env "$port" "$root"
	verify "$port"
}

stop_server() {
	local sig=$1 pid
	pid=$(running_pid) || {
		rm -f "$dir/https.pid"
		return 0
	}
	kill "-$sig" "$pid" 2>/dev/null || true
	if ! wait_for_pid_exit "$pid" 10; then
		kill -KILL "$pid" 2>/dev/null || true
		wait_for_pid_exit "$pid" 5 || die "server (pid $pid) does not exit"
	fi
	rm -f "$dir/https.pid"
	if [ -s "$dir/port" ]; then
		wait_for_port_closed 127.0.0.1 "$(cat "$dir/port")" 5 || true
	fi
}

case "$cmd" in
start)
	[ $# -eq 3 ] || usage
	start "$3"
	;;
stop) stop_server TERM ;;
kill) stop_server KILL ;;
restart)
	if [ ! -s "$dir/port" ] || [ ! -s "$dir/root" ]; then
		die "never started in $dir"
	fi
	port=$(cat "$dir/port")
	stop_server KILL
	start "$(cat "$dir/root")" "$port"
	;;
status) running_pid >/dev/null ;;
*) usage ;;
esac
