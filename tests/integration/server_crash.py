#!/usr/bin/python3
"""Nothing lost across a server crash (issue 4, "Nothing lost" (a)): three
real agents (monbot-agent, TLS with pinning) push a sample every second; the
server is killed with SIGKILL and stays down OUTAGE seconds (30); after the
restart every sample taken during the outage is stored once, at its real
time: per agent the stored ts run on without a hole over the outage, and
each second holds one row (the (key, ts) unique index). SQLite."""
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from server import (Server, Tap, agent_has_link, agent_log, gaps, start_agent, stop_agent,  # noqa: E402
                    tmpdir)

t = Tap()
OUTAGE = int(os.environ.get("OUTAGE", "30"))


def newest(srv, key):
    r = srv.rows("SELECT MAX(ts), COUNT(*) FROM metrics WHERE secret=?", (key,))
    return (int(r[0][0]) if r and r[0][0] is not None else 0), int(r[0][1])


def main():
    if not agent_has_link():
        t.skip("server crash with three agents pushing", "agent link not built")
        t.done()
    base = tmpdir("mb-server-crash.")
    srv = Server(base, tls=True).start()
    agents = []
    try:
        keys = [srv.new_key(f"crash{i}") for i in range(3)]
        agents = [start_agent(srv, k, os.path.join(base, f"agent{i}")) for i, k in enumerate(keys)]
        end = time.time() + 60
        while time.time() < end and min(newest(srv, k)[1] for k in keys) < 4:
            time.sleep(0.5)
        t.ok(min(newest(srv, k)[1] for k in keys) >= 4, "three agents push samples")

        t_kill = int(time.time())
        srv.kill()
        t.diag(f"server killed at {t_kill}, down for {OUTAGE} s")
        time.sleep(OUTAGE)
        t_up = int(time.time())
        srv.start()
        # the agents reconnect (backoff) and send their spools, oldest first
        end = time.time() + 120
        while time.time() < end and min(newest(srv, k)[0] for k in keys) < t_up + 5:
            time.sleep(1)
        t.ok(min(newest(srv, k)[0] for k in keys) >= t_up + 5, "the agents are back and caught up",
             [newest(srv, k) for k in keys])
        for i, p in enumerate(agents):
            stop_agent(p)
        agents = []
        t.eq(srv.stop(), 0, "the restarted server exits 0")
        for i, k in enumerate(keys):
            ts = [int(r[0]) for r in srv.rows("SELECT ts FROM metrics WHERE secret=? ORDER BY ts", (k,))]
            during = [x for x in ts if t_kill <= x < t_up]
            t.ok(len(during) >= OUTAGE - 2, f"agent {i}: the outage's samples are stored at their times",
                 f"{len(during)} rows in [{t_kill}, {t_up})")
            t.eq(gaps(ts), [], f"agent {i}: no hole in the stored seconds")
            t.eq(len(ts), len(set(ts)), f"agent {i}: each sample once")
            t.ok(len(ts) >= ts[-1] - ts[0] - 3, f"agent {i}: about one row a second over the run",
                 f"{len(ts)} rows over {ts[-1] - ts[0]} s")
    finally:
        for p in agents:
            stop_agent(p)
        srv.stop()
        if os.environ.get("KEEP"):
            t.diag(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    t.done()


main()
