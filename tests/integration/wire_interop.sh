#!/usr/bin/env bash
# Our WebSocket client and server against python3-websockets, plain and TLS,
# on the build's TLS back-end ($O: build/native is mbedTLS).
set -u
cd "$(dirname "$0")/../.."
O=${O:-build/native}
exec "${PYTHON:-/usr/bin/python3}" tests/integration/wire_interop.py "$O/tests/ws_peer" "$(basename "$O")"
