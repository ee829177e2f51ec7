#!/usr/bin/env bash
# Agent configuration (SPEC §2) through the real binary: a bad value exits
# 2 with a message naming the variable (or the .env line, or the flag);
# .env < environment < flags; no secret without a terminal is an error
# naming AGENT_SECRET; --help and --version exit 0. Each run has its own
# empty working folder (for .env) and a clean environment.
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/agent_lib.sh
export AGENT_TIMEOUT=10

# expect_error NAME WORD [VAR=value...] [-- args]: exit 2, WORD on stderr
# (after "monbot-agent: "), nothing on stdout.
expect_error() {
	local name=$1 word=$2
	shift 2
	run_agent "$name" "$@"
	local rc err
	rc=$(rc_of "$name")
	err=$(head -c 2000 "$TMP/$name.err")
	if [ "$rc" = 2 ] && grep -qF -- "$word" "$TMP/$name.err" && grep -q '^monbot-agent: ' "$TMP/$name.err" &&
		[ ! -s "$TMP/$name.out" ]; then
		ok "$name: exit 2 naming $word"
	else
		not_ok "$name: exit 2 naming $word"
		echo "# exit $rc, stderr: $err" | head -5
	fi
}
expect_ok() { # NAME [VAR=value...] [-- args]: exit 0
	local name=$1
	shift
	run_agent "$name" "$@"
	if [ "$(rc_of "$name")" = 0 ]; then ok "$name: exit 0"; else not_ok "$name: exit 0"; show "$name"; fi
}
dotenv() { # NAME: writes stdin to the .env of NAME's working folder
	mkdir -p "$TMP/cwd-$1"
	cat >"$TMP/cwd-$1/.env"
}

# ---- bad values, from the environment --------------------------------------
expect_error interval-0 AGENT_INTERVAL AGENT_INTERVAL=0 -- --once
expect_error interval-huge AGENT_INTERVAL AGENT_INTERVAL=99999999999999999999999 -- --once
expect_error interval-neg AGENT_INTERVAL AGENT_INTERVAL=-5 -- --once
expect_error interval-unit AGENT_INTERVAL AGENT_INTERVAL=5s -- --once
expect_error port-abc AGENT_PORT AGENT_PORT=abc -- --once
expect_error port-70000 AGENT_PORT AGENT_PORT=70000 -- --once
expect_error port-0 AGENT_PORT AGENT_PORT=0 -- --once
expect_error verify-maybe AGENT_VERIFY_SSL AGENT_VERIFY_SSL=maybe -- --once
expect_error reconnect-x AGENT_RECONNECT_DELAY AGENT_RECONNECT_DELAY=x -- --once
expect_error udp-port-0 AGENT_UDP_PORT AGENT_UDP_PORT=0 -- --once
expect_error spool-0 AGENT_SPOOL AGENT_SPOOL=0 -- --once
expect_error tls-2 AGENT_TLS AGENT_TLS=2 -- --once
expect_error allow-power-perhaps AGENT_ALLOW_POWER AGENT_ALLOW_POWER=perhaps -- --once
expect_error secret-too-long AGENT_SECRET AGENT_SECRET="$(printf 'k%.0s' $(seq 300))" -- --once
expect_error root-too-long MONBOT_ROOT MONBOT_ROOT="/$(printf 'd%.0s' $(seq 300))" -- --once

# ---- from .env ---------------------------------------------------------------
printf '# agent settings\nAGENT_PORT 8000\n' | dotenv env-not-kv
expect_error env-not-kv ".env:2" -- --once
printf 'AGENT_INTERVAL=0\n' | dotenv env-interval-0
expect_error env-interval-0 AGENT_INTERVAL -- --once
printf '=5\n' | dotenv env-no-key
expect_error env-no-key ".env:1" -- --once
printf '# comment\n\nexport AGENT_PORT="8000"\nAGENT_INTERVAL='"'"'5'"'"'\n  AGENT_VERIFY_SSL = force  \n' | dotenv env-good
expect_ok env-good -- --once

# ---- flags -------------------------------------------------------------------
expect_error flag-unknown "'--bogus'" -- --bogus
expect_error flag-unknown-once "'-x'" -- --once -x
expect_error flag-i-0 AGENT_INTERVAL -- -i 0 --once
expect_error flag-p-abc AGENT_PORT -- -p abc --once
expect_error flag-p-no-value AGENT_PORT -- --once -p
expect_ok flags-good -- -i 10 -p 8443 -H example.org -s k --once

# ---- precedence: .env < environment < flags --------------------------------
# The message quotes the value in force, so a bad value at each level shows
# which one won; a good value over a bad one in .env is no error at all.
printf 'AGENT_PORT=111x\n' | dotenv prec-env-over-dotenv
expect_error prec-env-over-dotenv "'222x'" AGENT_PORT=222x -- --once
printf 'AGENT_PORT=111x\n' | dotenv prec-env-good
expect_ok prec-env-good AGENT_PORT=8000 -- --once
expect_error prec-flag-over-env "'333x'" AGENT_PORT=8000 -- -p 333x --once
printf 'AGENT_INTERVAL=7\n' | dotenv prec-flag-over-dotenv
expect_error prec-flag-over-dotenv "AGENT_INTERVAL: 0 " AGENT_INTERVAL=9 -- -i 0 --once

# ---- no secret without a terminal ------------------------------------------
expect_error no-secret AGENT_SECRET
check "no-secret: nothing written to .env" [ ! -e "$TMP/cwd-no-secret/.env" ]
expect_error no-secret-empty AGENT_SECRET AGENT_SECRET=

# ---- --help, --version -------------------------------------------------------
expect_ok help -- --help
check "--help: usage on stdout naming the flags" grep -q -- '--once' "$TMP/help.out"
expect_ok version -- --version
check "--version: one line 'monbot-agent <version>'" \
	bash -c '[ "$(wc -l <"$1")" = 1 ] && grep -qE "^monbot-agent [0-9]+\.[0-9]+\.[0-9]+" "$1"' _ "$TMP/version.out"
expect_ok once -- --once
check "--once: one line of JSON on stdout" bash -c '[ "$(wc -l <"$1")" = 1 ]' _ "$TMP/once.out"

finish
