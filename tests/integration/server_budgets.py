#!/usr/bin/python3
"""What one peer may cost the server (issue 9, points 2 and 11): /speedtest
only for a connected agent's key, its caps (bytes, concurrent transfers), its
deadline and minimum rate answered 408, bounded memory for peers that never
read, and a WebSocket frame sent in the same packet as the upgrade request
decoded (its sample stored and acknowledged). Plain TCP, real processes."""
import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from server import Server, Tap, tmpdir  # noqa: E402

t = Tap()
WS_KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def connect(srv):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    return s


def read_head(s, limit=10.0):
    """The response head as bytes ('' when the server closed or went silent)."""
    s.settimeout(limit)
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            d = s.recv(4096)
            if not d:
                break
            buf += d
    except (socket.timeout, ConnectionResetError):
        pass
    return buf


def status_of(head):
    line = head.split(b"\r\n", 1)[0].decode(errors="replace")
    parts = line.split(" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def request(srv, head, body=b"", limit=10.0):
    s = connect(srv)
    s.sendall(head + body)
    h = read_head(s, limit)
    rest = h.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in h else b""
    s.settimeout(limit)
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            rest += d
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return status_of(h), rest


def ws_frame(payload, opcode=1):
    mask = b"\x01\x02\x03\x04"
    n = len(payload)
    hdr = bytes([0x80 | opcode])
    if n < 126:
        hdr += bytes([0x80 | n])
    else:
        hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
    return hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def read_frames(s, buf, want, limit=10.0):
    """Unmasked server frames: a list of (opcode, payload) once want are in."""
    out = []
    end = time.time() + limit
    while len(out) < want and time.time() < end:
        while len(buf) >= 2:
            n = buf[1] & 0x7F
            off = 2
            if n == 126:
                if len(buf) < 4:
                    break
                n = struct.unpack(">H", buf[2:4])[0]
                off = 4
            if len(buf) < off + n:
                break
            out.append((buf[0] & 0x0F, buf[off:off + n]))
            buf = buf[off + n:]
        if len(out) >= want:
            break
        s.settimeout(max(0.1, end - time.time()))
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if not d:
            break
        buf += d
    return out


def upgrade_head(key):
    return (f"GET /ws/{key} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {WS_KEY}\r\n"
            f"Sec-WebSocket-Version: 13\r\n\r\n").encode()


def open_session(srv, key):
    """A connected agent for key (a raw WebSocket): the socket."""
    s = connect(srv)
    s.sendall(upgrade_head(key))
    h = read_head(s)
    assert status_of(h) == 101, h
    read_frames(s, h.split(b"\r\n\r\n", 1)[1], 1)
    return s


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def speedtest_rules(srv):
    key = srv.new_key("st")
    other = srv.new_key("offline")
    get = lambda q: f"GET /speedtest{q} HTTP/1.1\r\nHost: x\r\n\r\n".encode()  # noqa: E731

    st, _ = request(srv, get("?bytes=1000"))
    t.eq(st, 403, "GET /speedtest without a key: 403")
    st, _ = request(srv, get("?bytes=1000&key=nosuchkey"))
    t.eq(st, 403, "GET /speedtest with an unknown key: 403")
    st, _ = request(srv, get(f"?bytes=1000&key={other}"))
    t.eq(st, 403, "GET /speedtest with a key whose agent is not connected: 403")
    st, _ = request(srv, f"POST /speedtest?key={other} HTTP/1.1\r\nHost: x\r\n"
                         f"Content-Length: 10\r\n\r\n".encode(), b"u" * 10)
    t.eq(st, 403, "POST /speedtest with a key whose agent is not connected: 403")

    ag = open_session(srv, key)
    try:
        st, body = request(srv, get(f"?bytes=1000&key={key}"))
        t.eq((st, len(body)), (200, 1000), "GET /speedtest?bytes=1000&key=<connected> sends 1000 bytes")
        st, body = request(srv, f"POST /speedtest?key={key} HTTP/1.1\r\nHost: x\r\n"
                                f"Content-Length: 1000\r\n\r\n".encode(), b"u" * 1000)
        t.eq((st, json.loads(body or b"{}").get("bytes")), (200, 1000),
             "POST /speedtest?key=<connected> takes 1000 bytes")
        st, _ = request(srv, get(f"?bytes=4000001&key={key}"))
        t.eq(st, 413, "GET over SPEEDTEST_MAX_BYTES=4000000: 413")
        st, _ = request(srv, f"POST /speedtest?key={key} HTTP/1.1\r\nHost: x\r\n"
                             f"Content-Length: 4000001\r\n\r\n".encode())
        t.eq(st, 413, "POST over SPEEDTEST_MAX_BYTES=4000000: 413")

        # SPEEDTEST_MAX_CONCURRENT=1: a transfer under way, the next one 503
        busy = connect(srv)
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        busy.sendall(get(f"?bytes=4000000&key={key}"))
        h = read_head(busy)
        t.eq(status_of(h), 200, "the first transfer starts")
        st, _ = request(srv, get(f"?bytes=1000&key={key}"))
        t.eq(st, 503, "a second concurrent transfer: 503")
        busy.close()
        time.sleep(0.5)

        # a trickling upload passes neither the minimum rate nor the deadline
        s = connect(srv)
        s.sendall(f"POST /speedtest?key={key} HTTP/1.1\r\nHost: x\r\n"
                  f"Content-Length: 3000000\r\n\r\n".encode())
        got = b""
        end = time.time() + 20
        s.settimeout(0.2)
        while time.time() < end and b"\r\n\r\n" not in got:
            try:
                s.send(b"u")
                d = s.recv(4096)
                if not d:
                    break
                got += d
            except socket.timeout:
                pass
            except (BrokenPipeError, ConnectionResetError):
                break
        s.close()
        t.eq(status_of(got), 408, "POST trickling 5 bytes/s under SPEEDTEST_MIN_RATE=1024: 408")
        t.ok(b"Request Timeout" in got, "with its reason", got[:200])

    finally:
        ag.close()


def deadline_rule(base):
    d = os.path.join(base, "deadline")
    os.makedirs(d)
    srv = Server(d, env={"SPEEDTEST_TIMEOUT": "3", "SPEEDTEST_MIN_RATE": "1", "LOG_LEVEL": "INFO"})
    srv.start()
    try:
        key = srv.new_key("dl")
        ag = open_session(srv, key)
        s = connect(srv)
        s.sendall(f"POST /speedtest?key={key} HTTP/1.1\r\nHost: x\r\n"
                  f"Content-Length: 1073741824\r\n\r\n".encode())
        got = b""
        end = time.time() + 20
        s.settimeout(0.5)
        while time.time() < end and b"\r\n\r\n" not in got:
            try:
                s.send(b"uu")
                d2 = s.recv(4096)
                if not d2:
                    break
                got += d2
            except socket.timeout:
                pass
            except (BrokenPipeError, ConnectionResetError):
                break
        s.close()
        ag.close()
        t.eq(status_of(got), 408, "POST still sending at SPEEDTEST_TIMEOUT=3: 408")
    finally:
        srv.stop()


def memory_rule(base):
    d = os.path.join(base, "memory")
    os.makedirs(d)
    srv = Server(d, env={"SPEEDTEST_MAX_CONCURRENT": "100", "LOG_LEVEL": "INFO"})
    srv.start()
    get = lambda q: f"GET /speedtest{q} HTTP/1.1\r\nHost: x\r\n\r\n".encode()  # noqa: E731
    try:
        key = srv.new_key("mem")
        ag = open_session(srv, key)
        # bounded memory: 60 transfers whose peers never read
        pid = srv.proc.pid
        before = rss_kib(pid)
        socks = []
        for _ in range(60):
            x = connect(srv)
            x.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            x.sendall(get(f"?bytes=4000000&key={key}"))
            socks.append(x)
        time.sleep(2)
        per = (rss_kib(pid) - before) / 60.0
        for x in socks:
            x.close()
        t.ok(per < 96, f"a non-reading /speedtest peer costs under 96 KiB (measured {per:.0f} KiB)")
        ag.close()
    finally:
        srv.stop()


def early_frame(srv):
    key = srv.new_key("early")
    ts = int(time.time()) - 30
    sample = json.dumps({"cpu": 12.5, "ram": 40, "ts": ts}).encode()
    s = connect(srv)
    s.sendall(upgrade_head(key) + ws_frame(sample))
    h = read_head(s)
    t.eq(status_of(h), 101, "upgrade with a frame in the same packet: 101")
    frames = read_frames(s, h.split(b"\r\n\r\n", 1)[1], 2)
    replies = [json.loads(p) for op, p in frames if op == 1]
    t.eq(len(replies), 2, "the first reply and the reply to the early sample")
    t.eq(replies[-1].get("ack") if replies else None, ts, "the early sample acknowledged with its ts")
    s.close()
    rows = srv.rows("SELECT ts, cpu FROM metrics WHERE secret = ?", (key,))
    t.eq([(int(r[0]), float(r[1])) for r in rows], [(ts, 12.5)], "the early sample stored once at its ts")


def main():
    base = tmpdir("mb-server-budgets.")
    srv = Server(base, env={"SPEEDTEST_MAX_BYTES": "4000000", "SPEEDTEST_MAX_CONCURRENT": "1",
                            "SPEEDTEST_MIN_RATE": "1024", "SPEEDTEST_TIMEOUT": "60",
                            "LOG_LEVEL": "INFO"})
    srv.start()
    try:
        early_frame(srv)
        speedtest_rules(srv)
    finally:
        srv.stop()
    deadline_rule(base)
    memory_rule(base)
    t.done()


if __name__ == "__main__":
    main()
