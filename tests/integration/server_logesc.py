#!/usr/bin/python3
"""Issue 9 point 10 on the server side, end to end: peer text reaches the
server's log through the "second host on one key" warning (results.c), the
host name as the agent's JSON sent it. A host name with a newline, a forged
log line after it and an ANSI escape must come out as one line, the control
bytes written as \\n and \\x1b (wire/logesc.c), and no line of the log may
be the forged one."""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawws import frame, next_data, open_ws, sync  # noqa: E402
from server import Server, Tap, original_sample, tmpdir  # noqa: E402

t = Tap()
FORGED = "2030-01-01T00:00:00.000Z ERROR FORGED by the peer"
EVIL = "beta\n" + FORGED + "\x1b[31m\r\t\\"


def main():
    base = tmpdir("mb-server-logesc.")
    srv = Server(base, env={"LOG_LEVEL": "INFO"})
    srv.start()
    socks = []
    try:
        key = srv.new_key("evil")
        for name in ("alpha", EVIL):
            st, s = open_ws(srv, key)
            t.eq(st, 101, "a session of the key")
            socks.append(s)
        for s, name in zip(socks, ("alpha", EVIL)):
            msg = dict(original_sample(1), host={"hostname": name, "os": "Linux"})
            s.sendall(frame(1, json.dumps(msg).encode()))
            op, _ = next_data(s)
            t.eq(op, 1, "its sample is answered")
        for s in socks:
            sync(s)
    finally:
        for s in socks:
            s.close()
        rc = srv.stop()
        t.eq(rc, 0, "server exits 0")
    with open(srv.log_path, "rb") as f:
        lines = f.read().split(b"\n")
    want = (b"key evil: a second host on one key ('beta\\n" + FORGED.encode() +
            b"\\x1b[31m\\r\\t\\\\' while 'alpha' is connected)")
    hits = [ln for ln in lines if b"FORGED" in ln]
    t.eq(len(hits), 1, "the peer's text is on one line of the log")
    t.ok(len(hits) == 1 and hits[0].endswith(b" WARN  " + want), "escaped exactly", hits)
    t.eq([ln for ln in lines if ln.startswith(b"2030-")], [], "no forged line")
    t.eq([ln for ln in lines if b"\x1b" in ln or b"\r" in ln or b"\t" in ln], [],
         "no raw ESC, CR or TAB in the log")
    if not os.environ.get("KEEP"):
        shutil.rmtree(base, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
