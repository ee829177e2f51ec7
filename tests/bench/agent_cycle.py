#!/usr/bin/python3
"""The agent's live cycle, rows of `make bench` (issue 15, part 3): the real
agent at a 1 s interval, connected over TLS (pinning) to a real
monbot-server on SQLite, measured like its peers: CPU from
/proc/<pid>/task/*/schedstat (field 1, ns on a CPU, every thread) over
AGENT_CYCLE_S seconds (60) divided by the cycles in that window; then the
system calls of AGENT_CYCLE_STRACE_S seconds (20, 0 = none) under
`strace -c -f` per cycle (a second window: strace slows what it traces);
RSS (VmRSS and VmHWM) at the end. The native build ($O/monbot-agent) and
the static musl board (build/x86_64/monbot-agent, when built) run side by
side. Target: <= 0.25 ms of CPU a live cycle."""
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "lib"))
from server import AGENT, Server, start_agent, stop_agent, tmpdir  # noqa: E402

WINDOW_S = int(os.environ.get("AGENT_CYCLE_S", "60"))
STRACE_S = int(os.environ.get("AGENT_CYCLE_STRACE_S", "20"))
TARGET_MS = 0.25
MUSL = os.path.join(ROOT, "build", "x86_64", "monbot-agent")


def row(what, value, note=""):
    print(f"| {what} | {value} | {note} |", flush=True)


def cpu_ns(pid):
    """ns on a CPU summed over the process's threads (schedstat field 1)."""
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that ended between listdir and open
    return total


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for ln in f:
            if ln.startswith(key + ":"):
                return int(ln.split()[1])
    return None


def stored(srv, key):
    return len(srv.rows("SELECT ts FROM metrics WHERE secret=?", (key,)))


def wait_live(srv, key, p, timeout=30):
    """Until the agent has stored two samples (connected, cycling)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if p.poll() is not None:
            return False
        if stored(srv, key) >= 2:
            return True
        time.sleep(0.2)
    return False


def strace_start(pid, out):
    """`strace -c -f -p pid`, its summary into out when it is stopped."""
    return subprocess.Popen(["strace", "-c", "-f", "-qq", "-o", out, "-p", str(pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def strace_read(path):
    """(calls in all, {name: calls}) from strace -c's table."""
    calls, per = 0, {}
    try:
        text = open(path).read()
    except OSError:
        return None, {}
    for ln in text.splitlines():
        f = ln.split()
        # "% time seconds usecs/call calls [errors] syscall"
        if len(f) >= 5 and re.match(r"^[\d.]+$", f[0]) and f[-1] not in ("total",):
            try:
                per[f[-1]] = int(f[3])
            except ValueError:
                pass
        elif len(f) >= 4 and f[-1] == "total":
            try:
                calls = int(f[3])
            except ValueError:
                pass
    return calls, per


def main():
    bins = [("native", AGENT)]
    if os.access(MUSL, os.X_OK):
        bins.append(("BOARD=x86_64, static musl", MUSL))
    else:
        row("agent live cycle, BOARD=x86_64", "skipped", f"{MUSL} not built (make agent BOARD=x86_64)")
    if not os.access(AGENT, os.X_OK):
        row("agent live cycle", "FAILED", f"{AGENT} not built")
        return 1
    base = tmpdir("mb-agent-cycle.")
    srv = Server(base, tls=True).start()
    agents = []
    try:
        for label, path in bins:
            key = srv.new_key("cycle-" + str(len(agents)))
            p = start_agent(srv, key, os.path.join(base, "a%d" % len(agents)), interval=1, binary=path)
            agents.append((label, key, p))
        for label, key, p in agents:
            if not wait_live(srv, key, p):
                row(f"agent live cycle, {label}", "FAILED", "no samples stored within 30 s")
                return 1
        # A few cycles more so that the first full pages are in.
        time.sleep(3)
        t0 = time.monotonic()
        c0 = {p.pid: cpu_ns(p.pid) for _, _, p in agents}
        r0 = {key: stored(srv, key) for _, key, _ in agents}
        time.sleep(WINDOW_S)
        c1 = {p.pid: cpu_ns(p.pid) for _, _, p in agents}
        el = time.monotonic() - t0
        r1 = {key: stored(srv, key) for _, key, _ in agents}
        cycles = round(el)  # one cycle a second
        res = {}
        for label, key, p in agents:
            ms = (c1[p.pid] - c0[p.pid]) / 1e6 / cycles
            res[label] = [ms, r1[key] - r0[key], None, {}]
        if STRACE_S > 0 and shutil.which("strace"):
            sts = []
            for label, key, p in agents:
                out = os.path.join(base, "strace-%d.txt" % p.pid)
                sts.append((label, out, strace_start(p.pid, out)))
            time.sleep(STRACE_S)
            for label, out, st in sts:
                st.terminate()
                st.wait(10)
                calls, per = strace_read(out)
                res[label][2] = calls / STRACE_S if calls else None
                res[label][3] = per
        for label, key, p in agents:
            ms, nrows, sc, per = res[label]
            rss, hwm = status_kib(p.pid, "VmRSS"), status_kib(p.pid, "VmHWM")
            verdict = "within" if ms <= TARGET_MS else "OVER"
            top = ", ".join(f"{k} {v / STRACE_S:.1f}" for k, v in
                            sorted(per.items(), key=lambda kv: -kv[1])[:6])
            row(f"agent CPU per live cycle, {label}", f"{ms:.3f} ms",
                f"{verdict} the {TARGET_MS} ms target; schedstat over {el:.0f} s at 1 s, {cycles} cycles, "
                f"{nrows} samples stored through the real server over TLS")
            if sc is not None:
                row(f"agent system calls per live cycle, {label}", f"{sc:.1f}",
                    f"strace -c -f over {STRACE_S} s: {top}")
            row(f"agent RSS, live, {label}", f"{rss} KiB", f"VmHWM {hwm} KiB after {el + STRACE_S:.0f} s")
    finally:
        for _, _, p in agents:
            stop_agent(p)
        srv.stop()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
