#!/usr/bin/env bash
# tools/run.sh — what `make run` does once the programs are built (SPEC §10):
# the server with its embedded defaults (SQLite, self-signed TLS) in run/,
# a fresh key, a local agent pushing to it; says what runs and where to
# look; Ctrl-C stops both cleanly. Builds nothing itself.
#   O=build/native tools/run.sh        (the Makefile passes O)
# Settings: PORT (8000), UDP_TEST_PORT (9999), AGENT_INTERVAL (5), BOT_TOKEN,
# and anything in run/.env (the server reads it; SPEC §2).
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
O=${O:-build/native}
SERVER=$ROOT/$O/monbot-server
AGENT=$ROOT/$O/monbot-agent
CHART=$ROOT/$O/monbot-chart
RUN=$ROOT/run
PORT=${PORT:-8000}
UDP_TEST_PORT=${UDP_TEST_PORT:-9999}
AGENT_INTERVAL=${AGENT_INTERVAL:-5}

for p in "$SERVER" "$AGENT"; do
	if [ ! -x "$p" ]; then
		echo "run: $p is not built (make server agent)" >&2
		exit 2
	fi
done
mkdir -p "$RUN"
cd "$RUN" || exit 1

# Something already on the port (an earlier run) would make the server fail.
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
	echo "run: port $PORT is taken (another monbot-server?); set PORT=... to use another" >&2
	exit 2
fi

# One key for the local agent, kept across runs in run/agent.key.
if [ -s agent.key ] && "$SERVER" key list 2>/dev/null | grep -q "^$(cat agent.key)"; then
	SECRET=$(cat agent.key)
else
	SECRET=$("$SERVER" key new "local-$(hostname -s 2>/dev/null || echo host)" 2>run-key.log | head -n1)
	if [ -z "$SECRET" ]; then
		echo "run: could not create a key:" >&2
		cat run-key.log >&2
		exit 1
	fi
	echo "$SECRET" >agent.key
fi

server_pid= agent_pid=
stop() {
	trap - INT TERM
	echo
	echo "stopping the agent and the server..."
	[ -n "$agent_pid" ] && kill -TERM "$agent_pid" 2>/dev/null
	[ -n "$agent_pid" ] && wait "$agent_pid" 2>/dev/null
	[ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null
	[ -n "$server_pid" ] && wait "$server_pid" 2>/dev/null
	echo "stopped. Logs: $RUN/server.log $RUN/agent.log; data: $RUN/monbot.db"
	exit 0
}
trap stop INT TERM

# stdin from /dev/null: the server would otherwise ask for BOT_TOKEN.
PORT=$PORT UDP_TEST_PORT=$UDP_TEST_PORT "$SERVER" </dev/null >>server.log 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
	if grep -q "monbot-server .*: agents on" server.log 2>/dev/null; then break; fi
	if ! kill -0 "$server_pid" 2>/dev/null; then
		echo "run: the server did not start:" >&2
		tail -n 20 server.log >&2
		exit 1
	fi
	sleep 0.1
done

AGENT_SECRET=$SECRET AGENT_SERVER_IP=127.0.0.1 AGENT_PORT=$PORT AGENT_UDP_PORT=$UDP_TEST_PORT \
AGENT_INTERVAL=$AGENT_INTERVAL AGENT_FP_FILE=$RUN/fingerprint.json \
	"$AGENT" </dev/null >>agent.log 2>&1 &
agent_pid=$!

cat <<EOF

  monbot is running (data and logs in $RUN/)
    server  pid $server_pid  wss://127.0.0.1:$PORT/ws/<key>, UDP echo on $UDP_TEST_PORT, SQLite run/monbot.db
    agent   pid $agent_pid  key $SECRET, a sample every ${AGENT_INTERVAL} s

  Look:
    curl -k https://127.0.0.1:$PORT/metrics      Prometheus text: agents, samples, queues
    curl -k https://127.0.0.1:$PORT/healthz
    tail -f run/server.log run/agent.log
EOF
if [ -x "$CHART" ]; then
	cat <<EOF
    (cd run && ../$O/monbot-chart --key $SECRET --kind all --range 1h --out chart.png)
                                                 a chart of the last hour in run/chart.png
EOF
fi
if [ -n "${BOT_TOKEN:-}" ] || grep -q '^BOT_TOKEN=.' .env 2>/dev/null; then
	echo "    Telegram: the bot is running; send it /linkkey $SECRET to watch this machine"
else
	echo "    Telegram: no BOT_TOKEN, so no bot (BOT_TOKEN=... make run starts it); keys and"
	echo "              commands meanwhile: 'monbot-server key ...', 'monbot-server command <key> <cmd>'"
fi
cat <<EOF
    (cd run && ../$O/monbot-server key list)     the keys in this database

  Ctrl-C stops both.
EOF

# `wait` returns at once on Ctrl-C (a plain sleep would delay the trap, and
# the terminal's SIGINT reaches the server and the agent too).
while kill -0 "$server_pid" 2>/dev/null && kill -0 "$agent_pid" 2>/dev/null; do
	sleep 1 &
	wait $!
done
if ! kill -0 "$server_pid" 2>/dev/null; then
	echo "run: the server exited; last lines of run/server.log:" >&2
	tail -n 10 server.log >&2
else
	echo "run: the agent exited; last lines of run/agent.log:" >&2
	tail -n 10 agent.log >&2
fi
stop
