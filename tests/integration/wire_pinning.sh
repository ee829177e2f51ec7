#!/usr/bin/env bash
# SPEC §4 certificate pinning end to end, on the build's TLS back-end.
set -u
cd "$(dirname "$0")/../.."
O=${O:-build/native}
exec "${PYTHON:-/usr/bin/python3}" tests/integration/wire_pinning.py "$O/tests/ws_peer" "$(basename "$O")"
