#!/usr/bin/python3
"""Bot bench rows (issue 10): the real server with the bot talking to the
Telegram double on loopback, a real agent, and BOT_BENCH_AGENTS (1000)
other agents from monbot-loadgen sending a sample a second.
  /status round trip: the update is queued at the double (a long poll is
    waiting, so it leaves at once) -> the editMessageText carrying the
    agent's fresh sample is recorded by the double.
  chart: the range button pressed -> the sendPhoto recorded.
Times are the double's own clock (same process). Target: /status p99
under 200 ms with 1000 other agents connected.
  BOT_BENCH_AGENTS (1000)  BOT_BENCH_ROUNDS (40)  BOT_BENCH_CHARTS (20)"""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration", "lib"))
from server import O, Server, start_agent, stop_agent, tmpdir  # noqa: E402
from tg import TgDouble  # noqa: E402

N = int(os.environ.get("BOT_BENCH_AGENTS", "1000"))
ROUNDS = int(os.environ.get("BOT_BENCH_ROUNDS", "40"))
CHARTS = int(os.environ.get("BOT_BENCH_CHARTS", "20"))
LOADGEN = os.path.join(O, "monbot-loadgen")
USER = 4242
# status.c's footers (BOT_LANG=en): the edit without either carries the fresh sample
FOOT_WAIT = "Asking the agent for fresh data"
FOOT_TIMEOUT = "No fresh status from the agent"
STATUS_WINDOW_MS = 150  # agent-min/agent.c STATUS_DELAY_MS: two process scans this far apart


def row(what, value, note=""):
    print(f"| {what} | {value} | {note} |", flush=True)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def other_keys(srv, n, path):
    names = "\n".join(f"load{i}" for i in range(n)) + "\n"
    out = subprocess.run(["xargs", "-P4", "-n", "1", os.path.join(O, "monbot-server"), "key", "new"],
                         input=names, capture_output=True, text=True, cwd=srv.dir, env=srv.env)
    keys = [ln.split()[0] for ln in out.stdout.splitlines() if ln.strip()]
    with open(path, "w") as f:
        f.write("\n".join(keys) + "\n")
    return len(keys)


def status_rounds(d, srv):
    """(first answers, fresh edits) in ms, ok."""
    first, fresh = [], []
    for _ in range(ROUNDS):
        mark = d.mark()
        t0 = time.monotonic()
        d.say(USER, "/status benchhost")
        sent = d.wait_call("sendMessage", lambda c: FOOT_WAIT in c["params"].get("text", ""),
                           timeout=20, after=mark)
        edit = d.wait_call("editMessageText", lambda c: FOOT_WAIT not in c["params"].get("text", "")
                           and FOOT_TIMEOUT not in c["params"].get("text", ""), timeout=20, after=mark)
        if sent is None or edit is None:
            return first, fresh, False
        first.append((sent["t"] - t0) * 1000)
        fresh.append((edit["t"] - t0) * 1000)
        time.sleep(1.2)  # Telegram's one message a second per chat
    return first, fresh, True


def chart_rounds(d, secret):
    times = []
    for _ in range(CHARTS):
        mark = d.mark()
        msgs = d.bot_messages(USER)
        t0 = time.monotonic()
        d.press(USER, msgs[-1], f"cr:cpu:1h:{secret}")
        photo = d.wait_call("sendPhoto", timeout=30, after=mark)
        if photo is None:
            return times, False
        times.append((photo["t"] - t0) * 1000)
        time.sleep(1.2)
    return times, True


def main():
    base = tmpdir("mb-bot-bench.")
    ok = True
    d = TgDouble().start()
    lg = agent = None
    srv = Server(base, tls=True, env=dict(d.env(), LOG_LEVEL="WARN", BOT_LANG="en"))
    try:
        secret = srv.cli("key", "new", "benchhost", "--owner", str(USER)).stdout.split()[0]
        keys_file = os.path.join(base, "keys.txt")
        n = other_keys(srv, N, keys_file)
        srv.start()
        lg = subprocess.Popen([LOADGEN, "--keys", keys_file, "--agents", str(n), "--port", str(srv.port),
                               "--duration", "900", "--ramp", "400"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in lg.stderr:
            if line.startswith("sending"):
                break
        agent = start_agent(srv, secret, os.path.join(base, "agent"), interval=5)
        deadline = time.time() + 60
        while time.time() < deadline and not srv.rows("SELECT 1 FROM metrics WHERE secret=?", (secret,)):
            time.sleep(0.5)
        first, st, ok1 = status_rounds(d, srv)
        note = f"{n} other TLS agents at 1 sample/s; double on loopback; {len(st)} rounds"
        if st:
            row("bot: /status first answer p50 / p99", f"{pct(first, 50):.0f} / {pct(first, 99):.0f} ms",
                note + "; update out -> sendMessage with the stored sample")
            row("bot: /status round trip p50 / p99", f"{pct(st, 50):.0f} / {pct(st, 99):.0f} ms",
                note + f"; update out -> edit with the fresh sample (target p99 < 200 ms); includes the agent's "
                f"{STATUS_WINDOW_MS} ms process-CPU window, without it {pct(st, 50) - STATUS_WINDOW_MS:.0f} / "
                f"{pct(st, 99) - STATUS_WINDOW_MS:.0f} ms")
        else:
            row("bot: /status round trip", "FAILED", d.explain())
        ch, ok2 = chart_rounds(d, secret)
        if ch:
            row("bot: chart button -> photo p50 / p99", f"{pct(ch, 50):.0f} / {pct(ch, 99):.0f} ms",
                f"CPU 1 h, 1600x800 PNG, GRAPH_WORKERS=1; {len(ch)} rounds")
        else:
            row("bot: chart button -> photo", "FAILED", d.explain())
        ok = ok1 and ok2
    finally:
        if agent:
            stop_agent(agent)
        if lg:
            lg.terminate()
            lg.wait()
        srv.stop()
        d.stop()
        shutil.rmtree(base, ignore_errors=True)
    sys.exit(0 if ok else 1)


main()
