#!/usr/bin/python3
"""Issue 9 point 5, the per-key message budget (session.c MSG_KEY_BUDGET,
8 MiB beside the global 256 MiB): with MAX_SESSIONS_PER_KEY=3 a key gets
three sessions, and each holds an unfinished fragment of 4 MiB - 64 bytes
(a 4 MiB assembly buffer). The first two fill the key's 8 MiB; the third,
which would pass it, is closed with 1013 "key busy" — while the global budget
has room for 60 more — and another key's fragmented sample is still stored and
answered. Raw sockets (lib/rawws.py)."""
import json
import os
import shutil
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawws import frame, next_data, open_ws, read_frame, sync  # noqa: E402
from server import Server, Tap, original_sample, tmpdir  # noqa: E402

t = Tap()
BIG = (4 << 20) - 64          # under the 4 MiB message limit; its buffer is 4 MiB
PAD = b" " * BIG


def main():
    base = tmpdir("mb-server-keybudget.")
    srv = Server(base, env={"LOG_LEVEL": "INFO", "MAX_SESSIONS_PER_KEY": "3"})
    srv.start()
    socks = []
    try:
        hog = srv.new_key("hog")
        other = srv.new_key("other")
        for i in range(3):
            st, s = open_ws(srv, hog)
            t.eq(st, 101, f"session {i + 1} of the key is accepted (MAX_SESSIONS_PER_KEY=3)")
            socks.append(s)
        for s in socks[:2]:
            s.sendall(frame(1, PAD, fin=False))
            sync(s)
        t.ok(True, "two sessions each hold an unfinished 4 MiB - 64 byte fragment")
        # The third: its fragment would take the key's assembly memory past
        # 8 MiB. The server closes it while reading; what it has not read is
        # then lost with the connection, so no sendall (a reset may end it).
        # A ping after it: a pong instead of the close says it was taken.
        s3 = socks[2]
        try:
            s3.sendall(frame(1, PAD, fin=False) + frame(9, b"after"))
        except OSError:
            pass
        try:
            while True:
                op, p = read_frame(s3)
                if op in (8, 10):
                    break
        except (EOFError, OSError) as e:
            op, p = None, repr(e).encode()
        t.eq((op, p), (8, struct.pack("!H", 1013) + b"key busy"),
             "the third is closed: 1013 \"key busy\" (close code and reason bytes)")
        want = "agent hog: its sessions' message memory budget reached: closing one (1013)"
        t.eq(srv.log().count(want), 1, "logged once")
        for i, s in enumerate(socks[:2]):
            sync(s, b"alive")
        t.ok(True, "the first two sessions stay open")

        st, s = open_ws(srv, other)
        t.eq(st, 101, "another key connects")
        ts = int(time.time()) - 5
        body = json.dumps(dict(original_sample(0), ts=ts)).encode()
        s.sendall(frame(1, body[:40], fin=False) + frame(0, body[40:]))
        op, p = next_data(s)
        reply = json.loads(p) if op == 1 else {"close": p}
        t.eq((reply.get("commands"), reply.get("ack")), ([], ts),
             "the other key's fragmented sample is answered and acknowledged")
        s.close()
        deadline = time.time() + 20
        rows = []
        while time.time() < deadline and not rows:
            rows = srv.rows("SELECT ts, cpu FROM metrics WHERE secret=?", (other,))
            time.sleep(0.1)
        t.eq(rows, [(ts, 12.5)], "and stored")
    finally:
        for s in socks:
            s.close()
        rc = srv.stop()
        t.eq(rc, 0, "server exits 0")
        if not os.environ.get("KEEP"):
            shutil.rmtree(base, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
