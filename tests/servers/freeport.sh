# shellcheck shell=bash
# Port and polling helpers, sourced by tests/servers/*.sh and tests/lib/test-lib.sh.
#
#   free_port                       print a TCP port on 127.0.0.1 that nothing uses
#   port_in_use PORT                true if a local TCP socket uses PORT
#   wait_for_port HOST PORT [SECS]  wait until HOST:PORT accepts connections (default 10s)
#   wait_for_port_closed HOST PORT [SECS]
#                                   wait until HOST:PORT refuses connections
#   wait_for_file FILE [SECS]       wait until FILE exists and is not empty
#   wait_until CMD [SECS]           wait until the shell command CMD succeeds
#   close_inherited_fds             close every fd above 2 (use in a subshell
#                                   before starting a daemon, so that it does
#                                   not keep the test harness's pipes open)
#
# free_port asks the kernel (bind to port 0 through python3) when python3 is
# there, else picks a random port below the ephemeral range and checks it with
# ss. Another process may still take the port before the caller binds it: the
# server scripts therefore retry with a new port when the bind fails.

# Polling interval in seconds.
BF_POLL_INTERVAL=${BF_POLL_INTERVAL:-0.05}

port_in_use() {
	local port=$1
	if command -v ss >/dev/null 2>&1; then
		[ -n "$(ss -Htan "( sport = :$port )" 2>/dev/null)" ]
	else
		# Without ss: a port is in use if something accepts on it.
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
	fi
}

free_port() {
	local port i py=""
	if [ -x /usr/bin/python3 ]; then
		py=/usr/bin/python3
	elif command -v python3 >/dev/null 2>&1; then
		py=python3
	fi
	for i in 1 2 3 4 5 6 7 8 9 10; do
		port=""
		if [ -n "$py" ]; then
			port=$("$py" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' 2>/dev/null) || port=""
		fi
		if [ -z "$port" ]; then
			# 20000..32767: below Linux's default ephemeral range.
			port=$((20000 + (RANDOM * 32768 + RANDOM) % 12768))
		fi
		if ! port_in_use "$port"; then
			echo "$port"
			return 0
		fi
		: "$i"
	done
	echo "free_port: could not find a free port" >&2
	return 1
}

# _bf_poll_iterations SECS -> number of polls of BF_POLL_INTERVAL in SECS
_bf_poll_iterations() {
	awk -v t="$1" -v i="$BF_POLL_INTERVAL" 'BEGIN { n = int(t / i); if (n < 1) n = 1; print n }'
}

# _bf_poll SECS CMD...: runs CMD every BF_POLL_INTERVAL until it succeeds (0) or SECS
# have passed (1)
_bf_poll() {
	local n
	n=$(_bf_poll_iterations "$1")
	shift
	while :; do
		"$@" && return 0
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep "$BF_POLL_INTERVAL"
	done
}

_bf_port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
_bf_port_closed() { ! _bf_port_open "$1" "$2"; }

wait_for_port() {
	_bf_poll "${3:-10}" _bf_port_open "$1" "$2" && return 0
	echo "wait_for_port: $1:$2 does not accept connections after ${3:-10}s" >&2
	return 1
}

wait_for_port_closed() {
	_bf_poll "${3:-10}" _bf_port_closed "$1" "$2" && return 0
	echo "wait_for_port_closed: $1:$2 still accepts connections after ${3:-10}s" >&2
	return 1
}

wait_for_file() {
	_bf_poll "${2:-10}" test -s "$1" && return 0
	echo "wait_for_file: $1 did not appear after ${2:-10}s" >&2
	return 1
}

wait_until() {
	_bf_poll "${2:-10}" eval "$1" && return 0
	echo "wait_until: still false after ${2:-10}s: $1" >&2
	return 1
}

# pid_alive PID: true if PID exists and is not a zombie (a daemon's parent
# may be slow to reap it).
pid_alive() {
	local stat
	kill -0 "$1" 2>/dev/null || return 1
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# wait_for_pid_exit PID [SECS]: true once PID no longer runs.
wait_for_pid_exit() {
	local pid=$1 secs=${2:-10} n
	n=$(_bf_poll_iterations "$secs")
	while pid_alive "$pid"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep "$BF_POLL_INTERVAL"
	done
	return 0
}

close_inherited_fds() {
	local fd
	for fd in /proc/self/fd/*; do
		fd=${fd##*/}
		case "$fd" in
		0 | 1 | 2 | 255 | *[!0-9]*) continue ;;
		esac
		eval "exec $fd>&-" 2>/dev/null || true
	done
}

# random_password: 24 hex characters from /dev/urandom.
random_password() {
	od -An -tx1 -N12 /dev/urandom | tr -d ' \n'
}

# pid_is PID NAME: true if process PID exists and its command name is NAME.
pid_is() {
	local pid=$1 name=$2 comm
	[ -n "$pid" ] || return 1
	case "$pid" in *[!0-9]*) return 1 ;; esac
	pid_alive "$pid" || return 1
	comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
	[ "$comm" = "$name" ]
}
