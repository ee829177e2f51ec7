#!/usr/bin/env bash
# A private MariaDB for tests: its own data directory, socket and TCP port on
# 127.0.0.1, started by hand (never systemd), user root without a password.
#
# Sourced:   . tests/integration/lib/mariadb.sh
#            mariadb_start DIR [PORT]   # first start installs DIR/data
#            mariadb_env DIR            # MYSQL_HOST=... MYSQL_PORT=... MYSQL_SOCKET=... MYSQL_USER=root
#            mariadb_sql DIR "SQL"      # runs SQL with the client (extra args pass through)
#            mariadb_stop DIR           # clean shutdown; DIR kept, start again later
#            mariadb_kill DIR           # SIGKILL (crash); start again recovers
#            mariadb_cleanup DIR        # stop if running, remove DIR
# As a command: mariadb.sh start|stop|kill|env|cleanup DIR [PORT]
#   (start prints the mariadb_env lines on stdout).
# The port is chosen free on the first start and kept in DIR/port, so a
# restart listens where clients reconnect.

mariadb_bin() {
	local n
	for n in "$@"; do
		if command -v "$n" >/dev/null 2>&1; then command -v "$n"; return 0; fi
		if [ -x "/usr/sbin/$n" ]; then echo "/usr/sbin/$n"; return 0; fi
	done
	return 1
}

# The client tools read MYSQL_HOST and friends from the environment (tests
# export them for the program under test); talk to our socket regardless.
mariadb_tool() {
	env -u MYSQL_HOST -u MYSQL_TCP_PORT -u MYSQL_UNIX_PORT -u MYSQL_PWD "$@"
}

mariadb_free_port() {
	"${PYTHON:-python3}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

mariadb_port() { cat "$1/port"; }

mariadb_env() {
	echo "MYSQL_HOST=127.0.0.1"
	echo "MYSQL_PORT=$(mariadb_port "$1")"
	echo "MYSQL_SOCKET=$1/sock"
	echo "MYSQL_USER=root"
}

mariadb_running() {
	local d=$1
	[ -f "$d/pid" ] && kill -0 "$(cat "$d/pid" 2>/dev/null)" 2>/dev/null
}

mariadb_start() {
	local d=$1 port=${2:-} server install admin i
	server=$(mariadb_bin mariadbd mysqld) || { echo "mariadb.sh: mariadbd not installed" >&2; return 1; }
	install=$(mariadb_bin mariadb-install-db mysql_install_db) || { echo "mariadb.sh: mariadb-install-db not installed" >&2; return 1; }
	admin=$(mariadb_bin mariadb-admin mysqladmin) || return 1
	mkdir -p "$d"
	d=$(cd "$d" && pwd)
	if [ ! -d "$d/data/mysql" ]; then
		"$install" --no-defaults --user="$(id -un)" --datadir="$d/data" \
			--auth-root-authentication-method=normal --skip-test-db >"$d/install.log" 2>&1 ||
			{ echo "mariadb.sh: install failed, see $d/install.log" >&2; return 1; }
	fi
	if [ -n "$port" ]; then echo "$port" >"$d/port"
	elif [ ! -s "$d/port" ]; then mariadb_free_port >"$d/port"; fi
	port=$(cat "$d/port")
	if mariadb_running "$d"; then return 0; fi
	rm -f "$d/sock" "$d/pid"
	# setsid: the server outlives nothing of ours by accident, and a test's
	# Ctrl-C does not reach it before cleanup runs.
	setsid "$server" --no-defaults --user="$(id -un)" --datadir="$d/data" --socket="$d/sock" \
		--port="$port" --bind-address=127.0.0.1 --pid-file="$d/pid" --log-error="$d/err.log" \
		--innodb-buffer-pool-size=64M --max-connections=200 </dev/null >/dev/null 2>&1 &
	for i in $(seq 1 300); do
		if mariadb_tool "$admin" --no-defaults -uroot --socket="$d/sock" ping >/dev/null 2>&1 && [ -s "$d/pid" ]; then
			return 0
		fi
		sleep 0.1
	done
	echo "mariadb.sh: mariadbd did not come up on port $port; tail of $d/err.log:" >&2
	tail -n 20 "$d/err.log" >&2
	return 1
}

mariadb_wait_gone() {
	local pid=$1 i
	for i in $(seq 1 300); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

mariadb_stop() {
	local d=$1 pid admin
	mariadb_running "$d" || return 0
	pid=$(cat "$d/pid")
	admin=$(mariadb_bin mariadb-admin mysqladmin) || return 1
	mariadb_tool "$admin" --no-defaults -uroot --socket="$d/sock" shutdown >/dev/null 2>&1 || kill "$pid" 2>/dev/null
	mariadb_wait_gone "$pid" || { kill -9 "$pid" 2>/dev/null; mariadb_wait_gone "$pid"; }
}

mariadb_kill() {
	local d=$1 pid
	mariadb_running "$d" || return 0
	pid=$(cat "$d/pid")
	kill -9 "$pid" 2>/dev/null
	mariadb_wait_gone "$pid"
}

mariadb_sql() {
	local d=$1; shift
	local sql=$1; shift
	local client
	client=$(mariadb_bin mariadb mysql) || return 1
	mariadb_tool "$client" --no-defaults -uroot --socket="$d/sock" "$@" -e "$sql"
}

mariadb_cleanup() {
	local d=$1
	[ -n "$d" ] && [ -d "$d" ] || return 0
	mariadb_stop "$d"
	rm -rf "$d"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	cmd=${1:-}; dir=${2:-}
	[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop|kill|env|cleanup DIR [PORT]" >&2; exit 2; }
	case $cmd in
	start) mariadb_start "$dir" "${3:-}" && mariadb_env "$(cd "$dir" && pwd)" ;;
	stop) mariadb_stop "$dir" ;;
	kill) mariadb_kill "$dir" ;;
	env) mariadb_env "$dir" ;;
	cleanup) mariadb_cleanup "$dir" ;;
	*) echo "usage: $0 start|stop|kill|env|cleanup DIR [PORT]" >&2; exit 2 ;;
	esac
fi
