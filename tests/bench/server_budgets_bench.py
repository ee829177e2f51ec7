#!/usr/bin/python3
"""What one peer may cost the others (issue 9, point 2). Rows, plain TCP and
TLS: an agent's reply latency (message sent to reply read, p50/p99 over
BUDGET_BENCH_MSGS) idle and while a fast reader runs a 1 GiB GET /speedtest;
server RSS with 1 000 /speedtest peers that never read (the concurrency cap
lifted to 1000 for the row, so each one is a transfer under way).
  BUDGET_BENCH_MSGS (300)  BUDGET_BENCH_PEERS (1000)
Target: p99 during the transfer within 2x idle; RSS bounded per peer."""
import os
import socket
import ssl
import struct
import sys
import multiprocessing
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration", "lib"))
from server import Server, tmpdir  # noqa: E402

MSGS = int(os.environ.get("BUDGET_BENCH_MSGS", "300"))
PEERS = int(os.environ.get("BUDGET_BENCH_PEERS", "1000"))
GIB = 1 << 30


def row(what, value, note=""):
    print(f"| {what} | {value} | {note} |", flush=True)


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith("VmRSS:"))


def dial(srv, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(30)
    s.connect(("127.0.0.1", srv.port))
    return srv.ssl_ctx().wrap_socket(s) if srv.tls else s


def recv_until(s, buf, pred):
    while not pred(buf):
        d = s.recv(65536)
        if not d:
            raise RuntimeError("closed")
        buf += d
    return buf


def frame(payload):
    mask = b"\x11\x22\x33\x44"
    return bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class Agent:
    def __init__(self, srv, key):
        self.s = dial(srv)
        self.s.sendall((f"GET /ws/{key} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        buf = recv_until(self.s, b"", lambda b: b"\r\n\r\n" in b)
        self.buf = buf.split(b"\r\n\r\n", 1)[1]
        self.read_frame()  # the first reply

    def read_frame(self):
        while True:
            self.buf = recv_until(self.s, self.buf, lambda b: len(b) >= 2)
            n, off = self.buf[1] & 0x7F, 2
            if n == 126:
                self.buf = recv_until(self.s, self.buf, lambda b: len(b) >= 4)
                n, off = struct.unpack(">H", self.buf[2:4])[0], 4
            self.buf = recv_until(self.s, self.buf, lambda b: len(b) >= off + n)
            op = self.buf[0] & 0x0F
            self.buf = self.buf[off + n:]
            if op == 1:
                return

    def latencies(self, n):
        out = []
        msg = frame(b'{"bench": 1}')
        for _ in range(n):
            t0 = time.perf_counter()
            self.s.sendall(msg)
            self.read_frame()
            out.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.005)
        out.sort()
        return out[len(out) // 2], out[min(len(out) - 1, int(len(out) * 0.99))]


def fast_reader(srv, key, q):
    s = dial(srv)
    s.sendall(f"GET /speedtest?bytes={GIB}&key={key} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    got, buf = 0, bytearray(1 << 20)
    t0 = time.perf_counter()
    while True:
        n = s.recv_into(buf)
        if n == 0:
            break
        got += n
    q.put((got, time.perf_counter() - t0))
    s.close()


def bench(tls, base):
    tag = "TLS" if tls else "plain"
    d = os.path.join(base, tag)
    os.makedirs(d)
    srv = Server(d, tls=tls, env={"LOG_LEVEL": "WARN", "SPEEDTEST_MAX_CONCURRENT": str(PEERS + 1),
                                  "SPEEDTEST_TIMEOUT": "600", "MAX_CONNECTIONS": "0"})
    srv.start()
    try:
        key = srv.new_key("bench")
        ag = Agent(srv, key)
        p50, p99 = ag.latencies(MSGS)
        row(f"{tag}: agent reply p50 / p99, idle", f"{p50:.2f} / {p99:.2f} ms")
        # the reader in its own process: no interpreter lock shared with the agent
        mq = multiprocessing.Queue()
        th = multiprocessing.Process(target=fast_reader, args=(srv, key, mq))
        th.start()
        time.sleep(0.3)
        q50, q99 = ag.latencies(MSGS)
        got, secs = mq.get(timeout=600)
        th.join()
        res = {"bytes": got}
        rate = got / secs / 1e6
        row(f"{tag}: agent reply p50 / p99, 1 GiB /speedtest running", f"{q50:.2f} / {q99:.2f} ms",
            f"{q99 / p99:.1f}x idle p99 (target <= 2x); reader got {res.get('bytes', 0)} bytes "
            f"at {rate:.0f} MB/s")
        before = rss(srv.proc.pid)
        peers = []
        for _ in range(PEERS):
            x = dial(srv, rcvbuf=4096)
            x.sendall(f"GET /speedtest?bytes={GIB}&key={key} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            peers.append(x)
        time.sleep(3)
        after = rss(srv.proc.pid)
        row(f"{tag}: server RSS with {PEERS} non-reading /speedtest peers",
            f"{before / 2**20:.1f} -> {after / 2**20:.1f} MiB",
            f"{(after - before) / PEERS / 1024:.1f} KiB a peer")
        for x in peers:
            x.close()
        ag.s.close()
    finally:
        srv.stop()


def main():
    base = tmpdir("mb-budgets-bench.")
    print("| what | value | note |\n|---|---|---|", flush=True)
    for tls in (False, True):
        bench(tls, base)


if __name__ == "__main__":
    main()
