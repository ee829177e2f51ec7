#!/usr/bin/python3
"""Nothing lost while the database is away (issue 4, "Nothing lost" (b)):
three real agents push a sample every second to a server on a private
MariaDB; MariaDB is stopped for OUTAGE seconds (30) and started again. The
server buffers the samples (bounded, /metrics shows the queue), keeps the
agents connected, reconnects, and writes them: per agent every second of the
outage is stored once, none lost, none twice."""
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from server import (MariaDB, Server, Tap, agent_has_link, gaps, have_mariadb, metric,  # noqa: E402
                    start_agent, stop_agent, tmpdir)

t = Tap()
OUTAGE = int(os.environ.get("OUTAGE", "30"))


def main():
    if not agent_has_link():
        t.skip("MariaDB stopped under load", "agent link not built")
        t.done()
    if not have_mariadb():
        t.skip("MariaDB stopped under load", "mariadbd not installed")
        t.done()
    base = tmpdir("mb-server-dbout.")
    m = MariaDB(base)
    m.start()
    srv = Server(base, db="mysql", mariadb=m, tls=True).start()
    agents = []

    def newest(key):
        r = m.query(f"SELECT MAX(ts), COUNT(*) FROM metrics WHERE secret='{key}'")
        return (int(r[0][0]) if r and r[0][0] is not None else 0), int(r[0][1])
    try:
        keys = [srv.new_key(f"dbout{i}") for i in range(3)]
        agents = [start_agent(srv, k, os.path.join(base, f"agent{i}")) for i, k in enumerate(keys)]
        end = time.time() + 60
        while time.time() < end and min(newest(k)[1] for k in keys) < 4:
            time.sleep(0.5)
        t.ok(min(newest(k)[1] for k in keys) >= 4, "three agents push samples into MariaDB")

        t_stop = int(time.time())
        m.stop()
        t.diag(f"MariaDB stopped at {t_stop} for {OUTAGE} s")
        time.sleep(OUTAGE / 2)
        fams = srv.metrics()
        t.eq(metric(fams, "monbot_store_connected"), 0.0, "/metrics shows the database away")
        t.ok(metric(fams, "monbot_store_queue_rows") >= 3, "... and samples waiting in the buffer",
             metric(fams, "monbot_store_queue_rows"))
        t.eq(metric(fams, "monbot_sessions_open"), 3.0, "the agents stay connected")
        time.sleep(OUTAGE - OUTAGE / 2)
        t_back = int(time.time())
        m.start()
        end = time.time() + 120
        while time.time() < end:
            try:
                if min(newest(k)[0] for k in keys) >= t_back + 5:
                    break
            except RuntimeError:
                pass
            time.sleep(1)
        t.ok(min(newest(k)[0] for k in keys) >= t_back + 5, "written after MariaDB returned")
        fams = srv.metrics()
        t.eq(metric(fams, "monbot_store_queue_rows"), 0.0, "the buffer is empty again")
        t.eq(metric(fams, "monbot_store_rows_dropped_total"), 0.0, "nothing was dropped at the bound")
        for p in agents:
            stop_agent(p)
        agents = []
        t.eq(srv.stop(), 0, "the server exits 0")
        for i, k in enumerate(keys):
            ts = [int(r[0]) for r in m.query(f"SELECT ts FROM metrics WHERE secret='{k}' ORDER BY ts")]
            during = [x for x in ts if t_stop <= x < t_back]
            t.ok(len(during) >= OUTAGE - 2, f"agent {i}: the outage's samples are stored at their times",
                 f"{len(during)} rows in [{t_stop}, {t_back})")
            t.eq(gaps(ts), [], f"agent {i}: none lost (no hole in the stored seconds)")
            t.eq(len(ts), len(set(ts)), f"agent {i}: none twice")
    finally:
        for p in agents:
            stop_agent(p)
        srv.stop()
        m.cleanup()
        if os.environ.get("KEEP"):
            t.diag(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    t.done()


main()
