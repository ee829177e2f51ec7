#!/usr/bin/env bash
# The original server's TLS (uvicorn's default ssl_ciphers="TLSv1": in
# OpenSSL terms the CBC suites with SHA-1 MAC, and over TLS 1.2 nothing
# else) against the real agent of each TLS back-end and the BOARD=x86_64 agent
# (agent_tls_orig.py).
# The wolfSSL agent goes into $O-wolfssl, the folder wire_wolfssl.sh and
# tls_pairs.sh build in.
set -u -o pipefail
cd "$(dirname "$0")/../.."
O=${O:-build/native}
WO=${O}-wolfssl
log=$(mktemp)
if ! ${MAKE:-make} --no-print-directory TLS=wolfssl "$WO/monbot-agent" >"$log" 2>&1; then
	echo "not ok 1 - build monbot-agent with TLS=wolfssl"
	sed 's/^/# /' "$log" | tail -30
	rm -f "$log"
	exit 1
fi
# The board agent too: its mbedTLS is the project's minimal configuration
# (boards/mbedtls_agent_config.h), which must keep these suites and both
# certificate types.
if ! ${MAKE:-make} --no-print-directory BOARD=x86_64 SAN=0 agent >"$log" 2>&1; then
	echo "not ok 1 - build monbot-agent with BOARD=x86_64"
	sed 's/^/# /' "$log" | tail -30
	rm -f "$log"
	exit 1
fi
rm -f "$log"
exec "${PYTHON:-/usr/bin/python3}" tests/integration/agent_tls_orig.py "$O/monbot-agent" mbedtls "$WO/monbot-agent" wolfssl \
	build/x86_64/monbot-agent board-x86_64
