#!/usr/bin/python3
"""Server bench rows per back-end (SQLite; MySQL on a private MariaDB):
monbot-loadgen opens N TLS WebSocket agents (one key each), then each sends
a sample a second for the duration. Rows: concurrent agents held, samples/s
ingested, p50/p99 send-to-ack (the ack is sent once the row is committed:
send-to-stored plus one hop), server RSS (peak over the send phase) and CPU,
TLS handshakes a second while connecting.
  SERVER_BENCH_AGENTS (5000)  SERVER_BENCH_SECONDS (60)  SERVER_BENCH_DBS (sqlite mysql)
Target (issue 4): 5000 agents, p99 < 2 s, RSS < 256 MiB on both back-ends."""
import json
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration", "lib"))
from server import O, MariaDB, Server, have_mariadb, tmpdir  # noqa: E402

N = int(os.environ.get("SERVER_BENCH_AGENTS", "5000"))
SECS = int(os.environ.get("SERVER_BENCH_SECONDS", "60"))
DBS = os.environ.get("SERVER_BENCH_DBS", "sqlite mysql").split()
LOADGEN = os.path.join(O, "monbot-loadgen")
TICK = os.sysconf("SC_CLK_TCK")


def row(what, value, note=""):
    print(f"| {what} | {value} | {note} |", flush=True)


def proc_stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    cpu = (int(parts[11]) + int(parts[12])) / TICK
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith("VmRSS:"))
    return cpu, rss


def make_keys(srv, n, path):
    """n keys through `monbot-server key new` (four at a time)."""
    first = srv.new_key("bench0")  # the schema is made once, before the parallel part
    names = "\n".join(f"bench{i}" for i in range(1, n)) + "\n"
    out = subprocess.run(["xargs", "-P4", "-n", "1", os.path.join(O, "monbot-server"), "key", "new"],
                         input=names, capture_output=True, text=True, cwd=srv.dir, env=srv.env)
    keys = [first] + [ln.split()[0] for ln in out.stdout.splitlines() if ln.strip()]
    with open(path, "w") as f:
        f.write("\n".join(keys) + "\n")
    return len(keys)


def bench(db, base, mariadb=None):
    srv = Server(base, db=db, mariadb=mariadb, tls=True, env={"LOG_LEVEL": "WARN"})
    keys_file = os.path.join(base, "keys.txt")
    nkeys = make_keys(srv, N, keys_file)
    srv.start()
    pid = srv.proc.pid
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
    lg = subprocess.Popen([LOADGEN, "--keys", keys_file, "--agents", str(nkeys), "--port", str(srv.port),
                           "--duration", str(SECS), "--ramp", "400", "--json"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # loadgen says on stderr when every session is open and sending starts/stops
    marks, errs = {}, []
    for line in lg.stderr:
        errs.append(line)
        if line.startswith("sending"):
            marks["t0"], marks["cpu0"] = time.time(), proc_stat(pid)[0]
        elif line.startswith("stopped sending"):
            marks["t1"], marks["cpu1"] = time.time(), proc_stat(pid)[0]
    err = "".join(errs)
    out = lg.stdout.read()
    lg.wait()
    stop.set()
    th.join()
    srv.stop()
    try:
        r = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        row(f"server {db}", "FAILED", f"loadgen: {err.strip()[-200:]}")
        return False
    tag = f"server {db}"
    note = f"{nkeys} TLS agents, 1 sample/s each, {SECS} s"
    row(f"{tag}: concurrent agents held", f"{r['held_at_end']}", f"{r['opened']} opened, {r['dropped']} dropped")
    row(f"{tag}: samples/s ingested", f"{r['acked'] / max(r['seconds'], 1):.0f}",
        note + "; acknowledged = committed")
    if "t1" in marks:
        span = marks["t1"] - marks["t0"]
        row(f"{tag}: server CPU, send phase", f"{100 * (marks['cpu1'] - marks['cpu0']) / span:.0f} % of a core",
            "2-core machine; the load generator runs beside it")
        rss_send = max((x[2] for x in samples if marks["t0"] <= x[0] <= marks["t1"]), default=0)
    else:
        rss_send = max((x[2] for x in samples), default=0)
    row(f"{tag}: p50 / p99 send to stored (ack)", f"{r['p50_ms']:.0f} / {r['p99_ms']:.0f} ms",
        f"max {r['max_ms']:.0f} ms; sent {r['sent']}, acked {r['acked']}, failed {r['failed']}")
    row(f"{tag}: server RSS", f"{rss_send / 1048576:.0f} MiB", f"peak over the send phase, {nkeys} sessions")
    if r.get("ramp_seconds") and r["ramp_seconds"] == r["ramp_seconds"]:
        row(f"{tag}: TLS sessions opened per second", f"{r['opened'] / r['ramp_seconds']:.0f}",
            "ECDHE-ECDSA P-256 handshakes, loadgen and server on the same 2 cores")
    return r["failed"] == 0 and r["dropped"] == 0


def main():
    base = tmpdir("mb-server-bench.")
    ok = True
    try:
        for db in DBS:
            d = os.path.join(base, db)
            os.makedirs(d)
            if db == "mysql":
                if not have_mariadb():
                    row("server mysql", "skipped", "mariadbd not installed")
                    continue
                m = MariaDB(d)
                try:
                    m.start()
                    ok = bench("mysql", d, m) and ok
                finally:
                    m.cleanup()
            else:
                ok = bench(db, d) and ok
    finally:
        shutil.rmtree(base, ignore_errors=True)
    sys.exit(0 if ok else 1)


main()
