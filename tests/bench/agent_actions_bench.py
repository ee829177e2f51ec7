#!/usr/bin/python3
"""Agent rows of `make bench` for issue 11: the real agent connected over TLS
to a real monbot-server on loopback, idle at a 1 s interval, then while a
stability test at 1 ms runs (`monbot-server command <key> "stability 1 S"`).
CPU is the agent's own (utime + stime of /proc/<pid>/stat, every thread)
over the window, as a share of one core; RSS is VmRSS sampled each second
(the peak shown). The server and this script run on the same cores.
  AGENT_ACTIONS_BENCH_S (20): seconds of each window"""
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration", "lib"))
from server import Server, start_agent, stop_agent, tmpdir  # noqa: E402

S = int(os.environ.get("AGENT_ACTIONS_BENCH_S", "20"))
TICK = os.sysconf("SC_CLK_TCK")


def row(what, value, note=""):
    print(f"| {what} | {value} | {note} |", flush=True)


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / TICK  # utime, stime (fields 14, 15)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(ln.split()[1]) for ln in f if ln.startswith("VmRSS:"))


def window(pid, seconds):
    """(CPU share of one core in %, peak RSS KiB) over seconds."""
    c0, t0, peak = cpu_s(pid), time.monotonic(), 0
    end = t0 + seconds
    while time.monotonic() < end:
        peak = max(peak, rss_kib(pid))
        time.sleep(1)
    return (cpu_s(pid) - c0) / (time.monotonic() - t0) * 100, peak


def main():
    base = tmpdir("mb-agent-actions-bench.")
    srv = Server(base, tls=True, env={"LOG_LEVEL": "WARN"})
    agent = None
    ok = True
    try:
        secret = srv.new_key("benchhost")
        srv.start()
        agent = start_agent(srv, secret, os.path.join(base, "agent"), interval=1)
        deadline = time.time() + 30
        while time.time() < deadline and not srv.rows("SELECT 1 FROM metrics WHERE secret=?", (secret,)):
            time.sleep(0.2)
        time.sleep(2)
        idle_cpu, idle_rss = window(agent.pid, S)
        row("agent idle, 1 s interval: CPU / peak RSS", f"{idle_cpu:.2f} % / {idle_rss} KiB",
            f"{S} s window; TLS link to a local server")
        out = srv.cli("command", secret, f"stability 1 {S}").stdout
        time.sleep(1)
        st_cpu, st_rss = window(agent.pid, S)
        row("agent during a stability test at 1 ms: CPU / peak RSS", f"{st_cpu:.2f} % / {st_rss} KiB",
            f"1000 UDP packets/s to the server's echo and back, {S} s window, sampling at 1 s goes on")
        cid = None
        for tok in out.split():
            if tok.isdigit():
                cid = tok
                break
        ans = None
        deadline = time.time() + 60
        while cid and time.time() < deadline:
            rec = json.loads(srv.cli("command-show", cid).stdout)
            ans = rec.get("answer")
            if ans:
                break
            time.sleep(1)
        row("stability 1 ms result", (ans or "no answer").replace("|", "/"),
            "the command record's answer (loopback)")
        ok = bool(ans)
    finally:
        if agent:
            stop_agent(agent)
        srv.stop()
        shutil.rmtree(base, ignore_errors=True)
    sys.exit(0 if ok else 1)


main()
