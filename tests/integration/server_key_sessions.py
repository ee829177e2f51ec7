#!/usr/bin/python3
"""Issue 9 point 5: one key holder cannot starve the others. 64 sessions of
one key each hold an unfinished 4 MiB message (the audit's attack: before,
every one was accepted, the global 256 MiB assembly budget ran out and a
different key's sample got 1013 "server busy"). Now the key gets
MAX_SESSIONS_PER_KEY (2) sessions, the 3rd..64th are refused with HTTP 429
before the upgrade, and the other key's fragmented sample is stored and
answered. Two sessions of one key reporting different host names are logged
as a second host on that key. Raw sockets: frames are built here (masked
with a zero key, so the payload goes as it is; lib/rawws.py)."""
import json
import os
import shutil
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawws import frame, next_data, open_ws, read_frame  # noqa: E402
from server import Server, Tap, original_sample, tmpdir  # noqa: E402

t = Tap()
SESSIONS = 64
BIG = (4 << 20) - 64          # under the 4 MiB message limit
PAD = b" " * BIG


def main():
    base = tmpdir("mb-server-keysess.")
    srv = Server(base, env={"LOG_LEVEL": "INFO"})
    srv.start()
    socks = []
    try:
        hog = srv.new_key("hog")
        other = srv.new_key("other")
        statuses = []
        for i in range(SESSIONS):
            st, s = open_ws(srv, hog)
            statuses.append(st)
            if st != 101:
                s.close()
                continue
            socks.append(s)
            # An unfinished message: the first fragment of 4 MiB - 64, then a
            # ping so the pong says the server has read it all.
            s.sendall(frame(1, PAD, fin=False))
            s.sendall(frame(9, b"p%d" % i))
            while True:
                op, p = read_frame(s)
                if op == 10:
                    break
        t.eq(statuses.count(101), 2, "the key got MAX_SESSIONS_PER_KEY (2) sessions")
        t.eq(statuses[2:], [429] * (SESSIONS - 2), "the 3rd..64th session of the key: HTTP 429")

        st, s = open_ws(srv, other)
        t.eq(st, 101, "another key connects")
        ts = int(time.time()) - 5
        body = json.dumps(dict(original_sample(0), ts=ts)).encode()
        # fragmented, so the server has to assemble it
        s.sendall(frame(1, body[:40], fin=False) + frame(0, body[40:]))
        op, p = next_data(s)
        reply = json.loads(p) if op == 1 else {"close": struct.unpack("!H", p[:2])[0] if p else None}
        t.ok(op == 1 and reply.get("commands") == [] and "ack" in reply,
             "the other key's sample is answered (not 1013)", reply)
        deadline = time.time() + 20
        rows = []
        while time.time() < deadline and not rows:
            rows = srv.rows("SELECT ts, cpu FROM metrics WHERE secret=?", (other,))
            time.sleep(0.1)
        t.eq(rows, [(ts, 12.5)], "and stored")
        s.close()

        # Two hosts on one key: the hog's sessions say different host names.
        for s, name in zip(socks, ("alpha", "beta")):
            s.sendall(frame(0, b"{}"))  # ends the unfinished message (ignored)
            next_data(s)
            msg = dict(original_sample(1), host={"hostname": name, "os": "Linux"})
            s.sendall(frame(1, json.dumps(msg).encode()))
            next_data(s)
        want = "key hog: a second host on one key ('beta' while 'alpha' is connected)"
        deadline = time.time() + 10
        while time.time() < deadline and want not in srv.log():
            time.sleep(0.1)
        t.ok(want in srv.log(), "a second host on one key is logged", srv.log()[-1500:])
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
