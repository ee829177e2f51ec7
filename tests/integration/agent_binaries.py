#!/usr/bin/python3
"""The real agent of other builds (each path given: BOARD=x86_64 static
musl, STATIC=1 glibc) against the real server over TLS with pinning:
samples stored and acknowledged, a clean stop with 0 unacknowledged, rows
== the agent's "N samples taken", and the TLS arena's peak (printed) within
its size.
Usage: agent_binaries.py <label>=<path> ..."""
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from server import Server, Tap, agent_log, start_agent, stop_agent, tmpdir  # noqa: E402

t = Tap()


def main():
    base = tmpdir("mb-agent-binaries.")
    srv = Server(base, tls=True).start()
    try:
        for arg in sys.argv[1:]:
            label, path = arg.split("=", 1)
            path = os.path.abspath(path)
            key = srv.new_key(label)
            p = start_agent(srv, key, os.path.join(base, label), binary=path)
            end = time.time() + 30
            while time.time() < end and len(srv.rows("SELECT ts FROM metrics WHERE secret=?", (key,))) < 3:
                time.sleep(0.05)
            rc = stop_agent(p)
            t.eq(rc, 0, f"{label}: agent exits 0")
            m = re.search(r"(\d+) samples taken, (\d+) unacknowledged, (\d+) dropped", agent_log(p))
            t.ok(m is not None, f"{label}: exit report", agent_log(p)[-800:])
            rows = srv.rows("SELECT ts FROM metrics WHERE secret=?", (key,))
            if m:
                taken, unacked, dropped = (int(x) for x in m.groups())
                t.eq((unacked, dropped), (0, 0), f"{label}: 0 unacknowledged, 0 dropped")
                t.eq(len(rows), taken, f"{label}: every sample taken stored once ({taken})")
            t.ok(len(rows) >= 3, f"{label}: samples stored through the server ({len(rows)})")
            a = re.search(r"TLS arena peak (\d+) of (\d+) bytes", agent_log(p))
            t.ok(a is not None and 0 < int(a.group(1)) <= int(a.group(2)),
                 f"{label}: TLS arena peak within the arena", agent_log(p)[-800:])
            if a:
                t.diag(f"{label}: agent TLS arena peak {a.group(1)} of {a.group(2)} bytes")
    finally:
        srv.stop()
        if not os.environ.get("KEEP"):
            shutil.rmtree(base, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
