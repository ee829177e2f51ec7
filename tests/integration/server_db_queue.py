#!/usr/bin/python3
"""Issue 9 point 6: database work queued for a session is bounded. While
another process holds SQLite locked (BEGIN EXCLUSIVE), an agent sends 2000
texts of 70 KB that each mean a write (an answer to record). Before, every
one was read and queued (RSS grew by their size); now the session stops
being read once SESSION_DBWORK_MAX (8) of its calls are at the database
thread (each text answers a delivered speedtest: an UPDATE that waits for
the lock): it has exactly 8 there (the queue 8 to 10 with the server's
own), the server's RSS stays under 20 MB, the sender is held back by TCP; after the lock goes, every message is
answered."""
import json
import os
import shutil
import socket
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from server import Server, Tap, metric, tmpdir  # noqa: E402
from server_key_sessions import frame, open_ws, read_frame  # noqa: E402

t = Tap()
N = 2000
BOUND = 8
# Over one 64 KiB read each, so a read completes one message at most and
# the pause comes exactly at the 8th (the answer kept is cut to 16 KiB).
TEXT = json.dumps({"text": "Speedtest: " + "x" * 70000}).encode()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    base = tmpdir("mb-server-dbq.")
    srv = Server(base, env={"LOG_LEVEL": "INFO"})
    srv.start()
    lock = None
    try:
        key = srv.new_key("texter")
        # A speedtest delivered at connect: each text is its answer, an
        # UPDATE that waits for the lock (SQLite's readers are not blocked).
        srv.cli("command", key, "speedtest")
        st, s = open_ws(srv, key)
        t.eq(st, 101, "connected")
        lock = sqlite3.connect(os.path.join(base, "monbot.db"), timeout=30, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        sent = [0]
        replies = [0]

        def sender():
            try:
                for _ in range(N):
                    s.sendall(frame(1, TEXT))
                    sent[0] += 1
            except OSError:
                pass

        def reader():
            try:
                while replies[0] < N:
                    op, _ = read_frame(s)
                    if op == 1:
                        replies[0] += 1
            except (OSError, EOFError):
                pass
        ts = threading.Thread(target=sender, daemon=True)
        tr = threading.Thread(target=reader, daemon=True)
        ts.start()
        tr.start()
        # Wait until the sender is done or held back (no progress for 2 s).
        last, still = -1, 0
        end = time.time() + 120
        while time.time() < end and ts.is_alive() and still < 20:
            time.sleep(0.1)
            still = still + 1 if sent[0] == last else 0
            last = sent[0]
        ms = [srv.metrics() for _ in range(5)]
        mine = [metric(m, "monbot_session_db_calls_pending") for m in ms]
        depth = [metric(m, "monbot_store_queue_rows") for m in ms]
        rss = rss_kb(srv.proc.pid)
        t.diag(f"sent {sent[0]} of {N}, session calls {mine}, queue {depth}, RSS {rss} kB")
        t.eq(mine, [float(BOUND)] * 5, "the session has exactly 8 calls at the database thread")
        # ... and the queue those 8 plus at most the server's own two (the
        # command poll and the expiry sweep, one of each at a time)
        t.ok(all(BOUND <= d <= BOUND + 2 for d in depth), "the queue holds 8 to 10", depth)
        t.ok(rss < 20 * 1024, "the server's RSS stays under 20 MB", f"{rss} kB")
        t.ok(sent[0] < N, "the sender is held back", sent[0])
        lock.execute("ROLLBACK")
        lock.close()
        lock = None
        ts.join(120)
        end = time.time() + 120
        while time.time() < end and replies[0] < N:
            time.sleep(0.1)
        t.eq(replies[0], N, "after the lock goes every message is answered")
        s.close()
    finally:
        if lock:
            lock.close()
        rc = srv.stop()
        t.eq(rc, 0, "server exits 0")
        if not os.environ.get("KEEP"):
            shutil.rmtree(base, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
