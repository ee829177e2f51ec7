#!/usr/bin/env bash
# The wolfSSL back-end (make TLS=wolfssl): builds it, then runs its
# connection unit test, the python3-websockets interop and the pinning
# scenario on it, and pinning across back-ends (a wolfSSL client pinning an
# mbedTLS server and the reverse: the pin file is the same for both).
set -u -o pipefail
cd "$(dirname "$0")/../.."
O=${O:-build/native}
WO=${O}-wolfssl
PY=${PYTHON:-/usr/bin/python3}
log=$(mktemp)
if ! ${MAKE:-make} --no-print-directory TLS=wolfssl "$WO/tests/ws_peer" "$WO/tests/test_conn" >"$log" 2>&1; then
	echo "not ok 1 - build with TLS=wolfssl"
	sed 's/^/# /' "$log" | tail -30
	rm -f "$log"
	exit 1
fi
rm -f "$log"
echo "ok 1 - build with TLS=wolfssl"
rc=0
CMOCKA_MESSAGE_OUTPUT=TAP "$WO/tests/test_conn" | sed 's/^\(not \)\{0,1\}ok [0-9]* - /&wolfssl test_conn: /' || rc=1
"$PY" tests/integration/wire_interop.py "$WO/tests/ws_peer" wolfssl || rc=1
"$PY" tests/integration/wire_pinning.py "$WO/tests/ws_peer" wolfssl || rc=1
if [ -x "$O/tests/ws_peer" ]; then
	"$PY" tests/integration/wire_pinning.py "$WO/tests/ws_peer" "wolfssl-client/mbedtls-server" "$O/tests/ws_peer" || rc=1
	"$PY" tests/integration/wire_pinning.py "$O/tests/ws_peer" "mbedtls-client/wolfssl-server" "$WO/tests/ws_peer" || rc=1
fi
exit $rc
