# agent_lib.sh — sourced by the agent_*.sh integration scripts: TAP output,
# running the real agent binary in a clean environment and checking its
# JSON with Python (json module only). Needs O (the build folder).
set -u
: "${O:?O=<build folder> must be set}"
PYTHON=${PYTHON:-python3}
AGENT=$O/monbot-agent
TAP_N=0
TAP_FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/monbot-agent-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
not_ok() { TAP_N=$((TAP_N + 1)); echo "not ok $TAP_N - $*"; TAP_FAILED=1; }
skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1 # SKIP ${2:-}"; }
diag() { sed 's/^/# /'; }
check() { # description, command...
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
finish() { echo "1..$TAP_N"; exit "$TAP_FAILED"; }

[ -x "$AGENT" ] || { not_ok "agent binary $AGENT is built"; finish; }

# run_agent NAME [VAR=value...] [-- agent args]: runs the agent in its own
# empty working folder (no .env) with only the given environment plus HOME;
# stdout, stderr, exit status and wall time land in $TMP/NAME.{out,err,rc,ms}.
# Independent runs may go in the background (&) and be waited for.
run_agent() {
	local name=$1
	shift
	local envs=() args=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	args=("$@")
	local dir=$TMP/cwd-$name t0
	mkdir -p "$dir"
	t0=$(date +%s%N)
	(cd "$dir" && exec timeout -k 5 "${AGENT_TIMEOUT:-30}" env -i HOME="$TMP" "${envs[@]}" \
		"$AGENT_ABS" "${args[@]}" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null)
	echo $? >"$TMP/$name.rc"
	echo $((($(date +%s%N) - t0) / 1000000)) >"$TMP/$name.ms"
}
AGENT_ABS=$(cd "$(dirname "$AGENT")" && pwd)/$(basename "$AGENT")

rc_of() { cat "$TMP/$1.rc"; }

# jexpect FILE: reads "description :: python expression" lines on stdin and
# prints one TAP line each. In the expression: j (the JSON of FILE), k (its
# top-level keys as a set), E (os.environ), approx(a, b, tol), GPU_KEYS.
jexpect() {
	local file=$1 line
	while IFS= read -r line; do
		case "$line" in
		ok$'\t'*) ok "${line#ok$'\t'}" ;;
		notok$'\t'*) not_ok "${line#notok$'\t'}" ;;
		*) echo "# $line" ;;
		esac
	done < <("$PYTHON" -c '
import json, math, os, sys
src = open(sys.argv[1]).read()
try:
    j = json.loads(src)
    err = None
except Exception as e:
    j, err = None, e
k = set(j) if isinstance(j, dict) else set()
E = os.environ
GPU_KEYS = {"gpu", "vram", "vram_used", "vram_total", "gpu_temp", "gpus"}
def approx(a, b, tol):
    return a is not None and b is not None and abs(a - b) <= tol
for raw in sys.stdin:
    raw = raw.rstrip("\n")
    if not raw.strip() or raw.lstrip().startswith("#"):
        continue
    desc, _, expr = raw.partition(" :: ")
    if err is not None:
        print("notok\t%s\nnot JSON (%s): %.300s" % (desc, err, src))
        continue
    try:
        v = eval(expr)
    except Exception as e:
        v, why = False, "%s: %s" % (type(e).__name__, e)
    else:
        why = ""
    if v:
        print("ok\t" + desc)
    else:
        print("notok\t" + desc)
        print("  %s  -> %s" % (expr, why or repr(v)))
' "$file")
}

# The sample's JSON on one line for diagnostics.
show() { head -c 3000 "$TMP/$1.out" | diag; head -c 1000 "$TMP/$1.err" | diag; }
