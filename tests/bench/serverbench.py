"""What the server benches (server_bench.py, server_scale_bench.py) share:
the table row, the server's CPU and RSS from /proc, a sampler thread, the
keys file, a run of monbot-loadgen that marks its phases, and the loop over
the storage back-ends (MySQL on a private MariaDB)."""
import json
import os
import random
import shutil
import sqlite3
import string
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration", "lib"))
from server import O, MariaDB, Server, have_mariadb, tmpdir  # noqa: E402,F401  (Server: for the benches)

LOADGEN = os.path.join(O, "monbot-loadgen")
TICK = os.sysconf("SC_CLK_TCK")


def row(what, value, note=""):
    print(f"| {what} | {value} | {note} |", flush=True)


def proc_stat(pid):
    """(CPU seconds, RSS bytes) of a process."""
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    cpu = (int(parts[11]) + int(parts[12])) / TICK
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith("VmRSS:"))
    return cpu, rss


class Sampler:
    """(time, CPU, RSS) of pid once a second, until stop()."""

    def __init__(self, pid):
        self.pid, self.samples, self.ev = pid, [], threading.Event()
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()

    def _run(self):
        while not self.ev.is_set():
            try:
                cpu, rss = proc_stat(self.pid)
                self.samples.append((time.time(), cpu, rss))
            except (OSError, StopIteration):
                pass
            time.sleep(1)

    def stop(self):
        self.ev.set()
        self.th.join()

    def peak_rss(self, t0=0, t1=float("inf")):
        return max((x[2] for x in self.samples if t0 <= x[0] <= t1), default=0)


def write_keys(srv, n, path, bulk=False):
    """n keys in path. The first through `monbot-server key new` (it makes
    the schema); the others the same way four at a time, or with bulk
    straight into the agents table (a process per key would take minutes
    for 100 000)."""
    first = srv.new_key("bench0")
    if bulk:
        rnd = random.Random(15)
        alpha = string.ascii_letters + string.digits
        rest = ["".join(rnd.choice(alpha) for _ in range(20)) for _ in range(n - 1)]
        now = int(time.time())
        rows = [(k, f"bench{i + 1}", now) for i, k in enumerate(rest)]
        if srv.db == "mysql":
            for i in range(0, len(rows), 2000):
                vals = ",".join(f"('{k}','{nm}',{c})" for k, nm, c in rows[i:i + 2000])
                srv.mariadb.query(f"INSERT INTO agents (secret, nickname, created) VALUES {vals}")
        else:
            con = sqlite3.connect(os.path.join(srv.dir, "monbot.db"))
            con.executemany("INSERT INTO agents (secret, nickname, created) VALUES (?, ?, ?)", rows)
            con.commit()
            con.close()
    else:
        names = "\n".join(f"bench{i}" for i in range(1, n)) + "\n"
        out = subprocess.run(["xargs", "-P4", "-n", "1", os.path.join(O, "monbot-server"), "key", "new"],
                             input=names, capture_output=True, text=True, cwd=srv.dir, env=srv.env)
        rest = [ln.split()[0] for ln in out.stdout.splitlines() if ln.strip()]
    keys = [first] + rest
    with open(path, "w") as f:
        f.write("\n".join(keys) + "\n")
    return len(keys)


def run_loadgen(pid, args):
    """monbot-loadgen with args against the server pid: (its JSON result or
    None, its stderr, marks): the time and the server's CPU when sending
    starts (t0, cpu0) and stops (t1, cpu1), the time of a storm (ts)."""
    lg = subprocess.Popen([LOADGEN, *args, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    marks, errs = {}, []
    for line in lg.stderr:
        errs.append(line)
        if line.startswith("sending"):
            marks["t0"], marks["cpu0"] = time.time(), proc_stat(pid)[0]
        elif line.startswith("storm:"):
            marks["ts"] = time.time()
        elif line.startswith("stopped sending"):
            marks["t1"], marks["cpu1"] = time.time(), proc_stat(pid)[0]
    out = lg.stdout.read()
    lg.wait()
    try:
        r = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        r = None
    return r, "".join(errs), marks


def cpu_row(tag, marks):
    if "t1" in marks:
        span = marks["t1"] - marks["t0"]
        row(f"{tag}: server CPU, send phase", f"{100 * (marks['cpu1'] - marks['cpu0']) / span:.0f} % of a core",
            "2-core machine; the load generator runs beside it")


def on_backends(prefix, dbs, bench, label="server"):
    """bench(db, folder, mariadb) for each of dbs; exits 0 when all were true."""
    base = tmpdir(prefix)
    ok = True
    try:
        for db in dbs:
            d = os.path.join(base, db)
            os.makedirs(d)
            if db == "mysql":
                if not have_mariadb():
                    row(f"{label} mysql", "skipped", "mariadbd not installed")
                    continue
                m = MariaDB(d)
                try:
                    m.start()
                    ok = bench("mysql", d, m) and ok
                finally:
                    m.cleanup()
            else:
                ok = bench(db, d, None) and ok
    finally:
        shutil.rmtree(base, ignore_errors=True)
    sys.exit(0 if ok else 1)
