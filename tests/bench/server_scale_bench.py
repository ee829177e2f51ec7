#!/usr/bin/python3
"""Server scale rows per back-end (SQLite; MySQL on a private MariaDB):
monbot-loadgen holds N TLS WebSocket agents (one key each) sending a sample
every interval (the agent's default 5 s) for the duration, and halfway
through kills STORM of them at once, each reconnecting after the agent's
own first delay (3.75-5 s) and resuming its TLS session from its ticket, as
after a server restart. Rows: agents held, samples/s stored, p50/p99
send->stored (ack), server RSS and per agent, server CPU, the storm's time
until every killed agent is back and storing, and the p99 of the agents
that stayed meanwhile.

The bench raises its own open-file limit (both processes hold N sockets;
as root up to fs.nr_open) and spreads the sessions over several loopback
addresses (each has about 28 000 ephemeral ports). The generator runs on
the same cores as the server: its TLS work (a full handshake costs the
client about what it costs the server) is in the figures.
  SCALE_AGENTS (100000)  SCALE_SECONDS (300)  SCALE_INTERVAL_MS (5000)
  SCALE_STORM (10000)  SCALE_DBS (sqlite mysql)
Targets (issue 15): 100 000 agents held, p99 <= 1 s, RSS <= 1 GiB; the
storm back in <= 10 s."""
import json
import os
import random
import resource
import shutil
import sqlite3
import string
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration", "lib"))
from server import O, MariaDB, Server, have_mariadb, tmpdir  # noqa: E402

N = int(os.environ.get("SCALE_AGENTS", "100000"))
SECS = int(os.environ.get("SCALE_SECONDS", "300"))
INTERVAL = int(os.environ.get("SCALE_INTERVAL_MS", "5000"))
STORM = int(os.environ.get("SCALE_STORM", "10000"))
DBS = os.environ.get("SCALE_DBS", "sqlite mysql").split()
LOADGEN = os.path.join(O, "monbot-loadgen")
TICK = os.sysconf("SC_CLK_TCK")
PER_ADDR = 25000


def row(what, value, note=""):
    print(f"| {what} | {value} | {note} |", flush=True)


def proc_stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    cpu = (int(parts[11]) + int(parts[12])) / TICK
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith("VmRSS:"))
    return cpu, rss


def raise_fd_limit(want):
    """The open-file limit for this process and its children: want, or as
    much as the hard limit allows (raising that needs the privilege)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for lim in ((want, max(want, hard)), (min(want, hard), hard)):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, lim)
            break
        except (ValueError, OSError):
            continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def secrets(n):
    rnd = random.Random(15)
    alpha = string.ascii_letters + string.digits
    return ["".join(rnd.choice(alpha) for _ in range(20)) for _ in range(n)]


def make_keys(srv, n, path):
    """One key through `monbot-server key new` (the schema), the others
    straight into the agents table (a process per key would take minutes)."""
    keys = [srv.new_key("scale0")] + secrets(n - 1)
    now = int(time.time())
    rows = [(k, f"scale{i + 1}", now) for i, k in enumerate(keys[1:])]
    if srv.db == "mysql":
        for i in range(0, len(rows), 5000):
            vals = ",".join(f"('{k}','{nm}',{c})" for k, nm, c in rows[i:i + 5000])
            srv.mariadb.query(f"INSERT INTO agents (secret, nickname, created) VALUES {vals}")
    else:
        con = sqlite3.connect(os.path.join(srv.dir, "monbot.db"))
        con.executemany("INSERT INTO agents (secret, nickname, created) VALUES (?, ?, ?)", rows)
        con.commit()
        con.close()
    with open(path, "w") as f:
        f.write("\n".join(keys) + "\n")
    return len(keys)


def bench(db, base, n, mariadb=None):
    srv = Server(base, db=db, mariadb=mariadb, tls=True, env={"LOG_LEVEL": "WARN"})
    keys_file = os.path.join(base, "keys.txt")
    nkeys = make_keys(srv, n, keys_file)
    srv.start()
    pid = srv.proc.pid
    time.sleep(1)
    idle_rss = proc_stat(pid)[1]
    samples, stop = [], threading.Event()

    def sampler():
        while not stop.is_set():
            try:
                cpu, rss = proc_stat(pid)
                samples.append((time.time(), cpu, rss))
            except (OSError, StopIteration):
                pass
            time.sleep(1)
    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    hosts = ",".join(f"127.0.0.{1 + i}" for i in range((nkeys + PER_ADDR - 1) // PER_ADDR))
    storm = min(STORM, nkeys)
    lg = subprocess.Popen([LOADGEN, "--keys", keys_file, "--agents", str(nkeys), "--port", str(srv.port),
                           "--host", hosts, "--interval-ms", str(INTERVAL), "--duration", str(SECS),
                           "--ramp", "2000", "--ramp-timeout", "1800", "--inflight", "128", "--resume", "--storm", str(storm),
                           "--storm-at", str(SECS // 2), "--json"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    marks, errs = {}, []
    for line in lg.stderr:
        errs.append(line)
        if line.startswith("sending"):
            marks["t0"], marks["cpu0"] = time.time(), proc_stat(pid)[0]
        elif line.startswith("storm:"):
            marks["ts"] = time.time()
        elif line.startswith("stopped sending"):
            marks["t1"], marks["cpu1"] = time.time(), proc_stat(pid)[0]
    err = "".join(errs)
    out = lg.stdout.read()
    lg.wait()
    stop.set()
    th.join()
    srv.stop()
    tag = f"server {db} at scale"
    try:
        r = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        row(tag, "FAILED", f"loadgen: {err.strip()[-200:]}")
        return False
    per_s = 1000.0 / INTERVAL
    note = f"{nkeys} TLS agents, a sample every {INTERVAL / 1000:g} s, {SECS} s"
    row(f"{tag}: concurrent agents held", f"{r['held_at_end']}",
        f"{r['opened']} opened in {r['ramp_seconds']:.0f} s (full handshakes), {r['dropped']} dropped, "
        f"{r['connect_failed']} failed to connect")
    row(f"{tag}: samples/s stored", f"{r['acked'] / max(r['seconds'], 1):.0f}",
        f"{note}; offered {nkeys * per_s:.0f}/s; acknowledged = committed")
    row(f"{tag}: p50 / p99 send to stored (ack)", f"{r['p50_ms']:.0f} / {r['p99_ms']:.0f} ms",
        f"max {r['max_ms']:.0f} ms; sent {r['sent']}, acked {r['acked']}, never acked {r['failed']}, "
        f"{r['storm_lost']} lost in flight to the storm")
    t0, ts, t1 = marks.get("t0", 0), marks.get("ts", 0), marks.get("t1", time.time())
    if "t1" in marks:
        span = marks["t1"] - marks["t0"]
        row(f"{tag}: server CPU, send phase", f"{100 * (marks['cpu1'] - marks['cpu0']) / span:.0f} % of a core",
            "2-core machine; the load generator runs beside it")
    held = max((x[2] for x in samples if t0 <= x[0] <= (ts or t1)), default=0)
    peak = max((x[2] for x in samples if t0 <= x[0] <= t1), default=0)
    row(f"{tag}: server RSS, agents held", f"{held / 1048576:.0f} MiB",
        f"peak of the send phase before the storm, {nkeys} sessions; {idle_rss / 1048576:.0f} MiB before the "
        f"first: {(held - idle_rss) / max(nkeys, 1) / 1024:.1f} KiB an agent")
    row(f"{tag}: server RSS, storm included", f"{peak / 1048576:.0f} MiB",
        "peak of the whole send phase: the reconnects' handshakes")
    row(f"{tag}: storm, {storm} agents killed: all back and storing", f"{r['storm_back_s']:.1f} s",
        f"{r['storm_back']} back; reconnects after 3.75-5 s (the agent's first delay) resuming their TLS "
        f"session; {r['storm_retries']} retried; {r['resumed']} resumed handshakes")
    row(f"{tag}: storm, the others' p50 / p99 meanwhile", f"{r['storm_p50_ms']:.0f} / {r['storm_p99_ms']:.0f} ms",
        "send->stored of the agents that stayed connected, from the kill until all are back")
    return r["failed"] == 0 and r["dropped"] == 0 and r["storm_back"] == storm


def main():
    want = N + 4096
    lim = raise_fd_limit(want)
    n = N if lim >= want else max(lim - 4096, 100)
    if n < N:
        row("server at scale: open-file limit", f"{lim}", f"{n} agents instead of {N} (no privilege to raise it)")
    base = tmpdir("mb-scale-bench.")
    ok = True
    try:
        for db in DBS:
            d = os.path.join(base, db)
            os.makedirs(d)
            if db == "mysql":
                if not have_mariadb():
                    row("server mysql at scale", "skipped", "mariadbd not installed")
                    continue
                m = MariaDB(d)
                try:
                    m.start()
                    ok = bench("mysql", d, n, m) and ok
                finally:
                    m.cleanup()
            else:
                ok = bench(db, d, n) and ok
    finally:
        shutil.rmtree(base, ignore_errors=True)
    sys.exit(0 if ok else 1)


main()
