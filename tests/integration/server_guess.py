#!/usr/bin/python3
"""Key guessing is slowed per source and logged with the address (issue 9
point 9). KEY_GUESS_LIMIT=3: three unknown keys from 127.0.0.1 get 403, the
fourth request from it (even with a good key) gets 429, while 127.0.0.2 still
gets 403 and a good key from it connects; the log names each address, one
line per refusal within the limit and one summary line at it."""
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from server import Server, Tap, tmpdir  # noqa: E402

t = Tap()


def upgrade(srv, secret, source):
    s = socket.socket()
    s.settimeout(10)
    s.bind((source, 0))
    s.connect(("127.0.0.1", srv.port))
    s.sendall((f"GET /ws/{secret} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    data = b""
    while b"\r\n" not in data:
        b = s.recv(4096)
        if not b:
            break
        data += b
    s.close()
    parts = data.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


d = tmpdir("guess")
srv = Server(d, env={"KEY_GUESS_LIMIT": "3", "LOG_LEVEL": "INFO"})
srv.start()
good = srv.new_key("g")
got = [upgrade(srv, "NoSuchKey%d" % i, "127.0.0.1") for i in range(3)]
t.eq(got, [403, 403, 403], "three unknown keys from 127.0.0.1: 403 each")
t.eq(upgrade(srv, "NoSuchKey3", "127.0.0.1"), 429, "the fourth from 127.0.0.1: 429")
t.eq(upgrade(srv, good, "127.0.0.1"), 429, "a good key from 127.0.0.1 waits too: 429")
t.eq(upgrade(srv, "NoSuchKey4", "127.0.0.2"), 403, "an unknown key from 127.0.0.2: still 403")
t.eq(upgrade(srv, good, "127.0.0.2"), 101, "a good key from 127.0.0.2 connects: 101")
srv.stop()
lines = srv.log().splitlines()
t.eq(sum(ln.endswith(" refused /ws/ from 127.0.0.1 with an unknown key (403)") for ln in lines), 3,
     "three refusal lines name 127.0.0.1")
t.eq(sum(ln.endswith(" refused /ws/ from 127.0.0.2 with an unknown key (403)") for ln in lines), 1,
     "one refusal line names 127.0.0.2")
t.eq(sum("key guessing from 127.0.0.1: 3 keys refused within 60 s" in ln for ln in lines), 1,
     "one summary line for 127.0.0.1")
t.eq(sum("unknown key" in ln and " from " not in ln for ln in lines), 0, "no refusal line without an address")
t.done()
