#!/usr/bin/env bash
# Bench rows for wire/: WebSocket messages over loopback (100 B and 64 KiB,
# plain and TLS) and TLS handshakes per back-end, the agent-like client's TLS
# arena peak, and the static agent-like client's size with each back-end.
# Builds the wolfSSL variants itself (make TLS=wolfssl).
set -u
cd "$(dirname "$0")/.."
O=${O:-build/native}
WO=${O}-wolfssl
${MAKE:-make} --no-print-directory TLS=wolfssl "$WO/tools/wsbench" "$WO/tools/wsbench_client" >/dev/null 2>&1 ||
	echo "| wire wolfSSL build | FAILED | make TLS=wolfssl |"
# the real agent with each back-end, when it builds
${MAKE:-make} --no-print-directory TLS=wolfssl agent >/dev/null 2>&1 || true
STRIP=${STRIP:-strip}
rc=0
row() { printf '| %s | %s | %s |\n' "$1" "$2" "$3"; }
msg() { # build, label, size, count, tls
	local out rate mbs
	if out=$("$1/tools/wsbench" msg "$3" "$4" ${5:+tls}); then
		read -r rate mbs <<<"$out"
		row "ws $2 $(numfmt --to=iec "$3")B msgs" "$rate msg/s, $mbs MB/s" "loopback, client->server, $4 messages, batched 256 KiB writes"
	else
		row "ws $2 $3 B msgs" FAILED ""; rc=1
	fi
}
for b in "$O:mbedtls" "$WO:wolfssl"; do
	dir=${b%%:*} name=${b##*:}
	[ -x "$dir/tools/wsbench" ] || continue
	if [ "$name" = mbedtls ]; then
		msg "$dir" "plain" 100 300000
		msg "$dir" "plain" 65536 3000
	fi
	msg "$dir" "TLS $name" 100 300000 1
	msg "$dir" "TLS $name" 65536 3000 1
	if hs=$("$dir/tools/wsbench" hs 200); then
		row "TLS handshakes/s ($name)" "$hs" "sequential, one client, server in another process; X25519 key exchange, ECDSA P-256 certificate"
	else
		row "TLS handshakes/s ($name)" FAILED ""; rc=1
	fi
	if hs=$("$dir/tools/wsbench" hsr 200); then
		row "TLS resumed handshakes/s ($name)" "$hs" "the same, each connection resuming the last one's session from its ticket (no key exchange, no signature; the wolfSSL back-end does full ones)"
	else
		row "TLS resumed handshakes/s ($name)" FAILED ""; rc=1
	fi
	if ar=$("$dir/tools/wsbench" arena); then
		read -r peak left <<<"$ar"
		row "agent TLS arena peak ($name)" "$(( peak / 1024 )) KiB" "client only, against a $name server in another process: handshake + 100 messages on conn_tls_arena_init; $left B left in use after close (tls_pairs.sh checks the real agent against both servers)"
	else
		row "agent TLS arena peak ($name)" FAILED ""; rc=1
	fi
	if [ -x "$dir/tools/wsbench_client" ]; then
		t=$(mktemp)
		"$STRIP" -o "$t" "$dir/tools/wsbench_client"
		row "agent-like client size ($name)" "$(( $(stat -c %s "$t") / 1024 )) KiB" "static glibc, stripped: TCP+TLS+WebSocket+pin, nothing else"
		rm -f "$t"
	fi
	if [ -x "$dir/monbot-agent" ]; then
		t=$(mktemp)
		"$STRIP" -o "$t" "$dir/monbot-agent"
		row "monbot-agent size ($name)" "$(( $(stat -c %s "$t") / 1024 )) KiB" "native build (libc dynamic, TLS static on the arena), stripped"
		rm -f "$t"
	fi
done
exit $rc
