#!/usr/bin/python3
"""A database that falls behind holds the senders back instead of dropping
them (issue 15): with STORE_BUFFER_MB=1 and SQLite locked by another
process, an agent sends 400 samples of about 9 KB. Over half the buffer
the server stops reading that session (monbot_sessions_held_total 1); it
refuses nothing and closes nothing, the agent waits in TCP. Once the lock
goes, the queue drains, the session is read again, and every sample is
stored once and acknowledged in order; none refused, the session open."""
import json
import os
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawws import frame, open_ws, read_frame  # noqa: E402
from server import Server, Tap, metric, original_sample, tmpdir, wait_for  # noqa: E402

t = Tap()
N = 400
T0 = int(time.time()) - 3600


def sample(i):
    d = original_sample(i)
    d["ts"] = T0 + i
    # 32 disks with long mount points: about 9 KB queued for each sample
    d["disks"] = [{"mount": f"/srv/{'d' * 220}{k:02d}", "percent": 50.0, "used": 1000 + k, "total": 4000}
                  for k in range(32)]
    return json.dumps(d).encode()


def main():
    base = tmpdir("mb-store-hold.")
    srv = Server(base, env={"STORE_BUFFER_MB": "1", "LOG_LEVEL": "INFO"}).start()
    key = srv.new_key("holder")
    st, s = open_ws(srv, key)
    t.eq(st, 101, "connected")
    lock = sqlite3.connect(os.path.join(base, "monbot.db"), timeout=30, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    acks, closes, sent = [], [], [0]

    def sender():
        try:
            for i in range(N):
                s.sendall(frame(1, sample(i)))
                sent[0] += 1
        except OSError:
            pass

    def reader():
        try:
            while not acks or acks[-1] != T0 + N - 1:
                op, p = read_frame(s)
                if op == 1:
                    acks.append(json.loads(p).get("ack"))
                elif op == 8:
                    closes.append(p)
                    return
        except (OSError, EOFError):
            pass
    ts_, tr = threading.Thread(target=sender, daemon=True), threading.Thread(target=reader, daemon=True)
    ts_.start()
    tr.start()
    try:
        held = wait_for(lambda: metric(srv.metrics(), "monbot_sessions_held_total") >= 1)
        t.ok(held, "over half the buffer, the sending session is held")
        time.sleep(1.0)  # a closing server would have closed it by now
        m = srv.metrics()
        t.eq(metric(m, "monbot_sessions_held_total"), 1.0, "held once while the database is locked")
        t.eq(metric(m, "monbot_samples_refused_total"), 0.0, "nothing refused")
        t.eq(closes, [], "the session is not closed")
        t.eq(acks, [], "nothing acknowledged while nothing is stored")
        t.diag(f"the agent has sent {sent[0]} of {N} so far (TCP holds what the server does not read)")
        lock.execute("ROLLBACK")
        lock.close()
        lock = None
        tr.join(60)
        m = srv.metrics()
        t.diag(f"held {metric(m, 'monbot_sessions_held_total')} times in all; {len(acks)} replies")
        t.eq(acks[-1] if acks else None, T0 + N - 1, "after the lock: the last sample acknowledged")
        t.ok(all(a is not None and b is not None and a < b for a, b in zip(acks, acks[1:])),
             "acks in order, each newer than the last")
        t.eq(closes, [], "and the session still open")
        rows = srv.rows("SELECT COUNT(*), COUNT(DISTINCT ts), MIN(ts), MAX(ts) FROM metrics WHERE secret=?", (key,))
        t.eq(rows, [(N, N, T0, T0 + N - 1)], f"all {N} samples stored once")
        t.eq(metric(srv.metrics(), "monbot_samples_refused_total"), 0.0, "none refused in all")
    finally:
        if lock:
            lock.close()
        s.close()
        t.eq(srv.stop(), 0, "server exits 0")
    t.done()


if __name__ == "__main__":
    main()
