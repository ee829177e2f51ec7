#!/usr/bin/env bash
# Every agent build against every server build (tls_pairs.py): builds
# monbot-server and monbot-agent with TLS=wolfssl into $O-wolfssl (the
# folder wire_wolfssl.sh builds its wolfSSL test programs in, so the wire
# objects are shared), then runs the four pairs and the board agent against
# both servers.
set -u -o pipefail
cd "$(dirname "$0")/../.."
O=${O:-build/native}
WO=${O}-wolfssl
log=$(mktemp)
if ! ${MAKE:-make} --no-print-directory TLS=wolfssl "$WO/monbot-server" "$WO/monbot-agent" >"$log" 2>&1; then
	echo "not ok 1 - build monbot-server and monbot-agent with TLS=wolfssl"
	sed 's/^/# /' "$log" | tail -30
	rm -f "$log"
	exit 1
fi
# and the BOARD=x86_64 agent (the project's own mbedTLS configuration)
if ! ${MAKE:-make} --no-print-directory BOARD=x86_64 SAN=0 agent >"$log" 2>&1; then
	echo "not ok 1 - build monbot-agent with BOARD=x86_64"
	sed 's/^/# /' "$log" | tail -30
	rm -f "$log"
	exit 1
fi
rm -f "$log"
exec "${PYTHON:-/usr/bin/python3}" tests/integration/tls_pairs.py board-x86_64=build/x86_64/monbot-agent
