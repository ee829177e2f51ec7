#!/usr/bin/env bash
# The agent on the stub port (make PORT=unsupported agent, built by
# test-build as agent-unsupported): it starts, reports every metric as
# absent, cannot reach a network and still stops cleanly on SIGTERM. Keeps
# port.h and port/unsupported/ from drifting apart.
cd "$(dirname "$0")/../.." || exit 1
: "${O:?O=<build folder> must be set}"
# build/native[-...] -> build/native-unsupported[-...] (the top Makefile's O)
O=$(dirname "$O")/$(basename "$O" | sed 's/^native/native-unsupported/')
. tests/integration/agent_lib.sh

run_agent once -- --once
check "--once exits 0" [ "$(rc_of once)" = 0 ] || show once
jexpect "$TMP/once.out" <<'X'
no scalar metric is reported :: not (k & {"cpu", "ram", "swap", "ram_total", "uptime", "cores", "net_up", "cpu_temp"})
no load average :: "load" not in k
disks and top_procs are empty lists :: j["disks"] == [] and j["top_procs"] == []
no GPU keys :: not (k & GPU_KEYS)
host says the OS is unknown :: j["host"]["os"] == "unknown" and j["host"]["agent"].startswith("monbot-agent ")
X

# The link loop: no sockets on this port, so it logs why, keeps sampling
# into the spool and stops on SIGTERM with exit 0.
dir=$TMP/cwd-loop
mkdir -p "$dir"
(cd "$dir" && exec env -i HOME="$TMP" AGENT_SECRET=x AGENT_SERVER_IP=127.0.0.1 AGENT_INTERVAL=1 \
	timeout --preserve-status -s TERM -k 5 3 "$AGENT_ABS" >"$TMP/loop.out" 2>"$TMP/loop.err" </dev/null)
rc=$?
check "the loop stops on SIGTERM with exit 0" [ "$rc" = 0 ] || show loop
check "it says it cannot reach the server" grep -q "no network on this OS port" "$TMP/loop.err" || show loop
check "it logs stopping on signal 15" grep -q "stopping (signal 15)" "$TMP/loop.err" || show loop
finish
