#!/usr/bin/python3
"""Issue 9 point 2, the byte budget per connection and loop turn
(CLIENT_IO_BUDGET, 64 KiB; session.c session_read): one session's backlog
does not hold the loop while another session waits. Event order, not time:
the server is stopped (SIGSTOP) while session A of a key queues N samples
(each one frame of L bytes, N * L several budgets) and then session B of the
same key queues one; on SIGCONT both are ready in one turn of the loop. The
samples carry sane, distinct ts, so they are stored as sent; the database
thread inserts them in the order the loop read them, so SQLite's rowid says
which were read before B's. With the budget, A yields after 64 KiB: B's sample comes after one or two budgets of
A's (the test allows half of A's backlog). Without it, A is read until the
kernel has no more, all N before B."""
import json
import os
import shutil
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawws import frame, next_data, open_ws, sync  # noqa: E402
from server import Server, Tap, original_sample, tmpdir  # noqa: E402

t = Tap()
N = 300          # under SESSION_PENDING_MAX (512), where reading pauses anyway
BUDGET = 64 << 10


def sample_frame(ts_ms, cpu, width):
    """One sample of exactly `width` frame bytes (JSON padded with blanks)."""
    body = json.dumps(dict(original_sample(0), ts=ts_ms / 1000.0, cpu=cpu))
    hdr = len(frame(1, b"x" * 1000)) - 1000  # 126..65535: 8 bytes of header
    return frame(1, (body[:-1] + " " * (width - hdr - len(body)) + "}").encode())


def main():
    base = tmpdir("mb-server-iobudget.")
    srv = Server(base, env={"LOG_LEVEL": "INFO"})
    srv.start()
    socks = []
    try:
        key = srv.new_key("busy")
        for _ in range(2):
            st, s = open_ws(srv, key)
            t.eq(st, 101, "a session of the key")
            socks.append(s)
        a, b = socks
        a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
        L = 1500
        now_ms = int(time.time()) * 1000
        frames_a = [sample_frame(now_ms - (N + 10 - i) * 1000, 12.5, L) for i in range(N)]
        t.eq({len(f) for f in frames_a}, {L}, f"A's samples are {L}-byte frames")
        data_a = b"".join(frames_a)
        frame_b = sample_frame(now_ms - 5 * 1000, 99.5, L)

        srv.proc.send_signal(signal.SIGSTOP)
        try:
            a.setblocking(False)
            sent = 0
            try:
                while sent < len(data_a):
                    sent += a.send(data_a[sent:])
            except BlockingIOError:
                pass
            a.setblocking(True)
            b.sendall(frame_b)
        finally:
            srv.proc.send_signal(signal.SIGCONT)
        t.ok(sent >= 4 * BUDGET, f"A queued {sent} bytes while the server was stopped (4 budgets at least)")
        a.settimeout(30)
        a.sendall(data_a[sent:])
        replies = [next_data(a) for _ in range(N)]
        t.eq({op for op, _ in replies}, {1}, f"A's {N} samples are answered")
        t.eq(next_data(b)[0], 1, "B's sample is answered")
        for s in socks:
            sync(s)

        deadline = time.time() + 20
        rows = []
        while time.time() < deadline and len(rows) < N + 1:
            rows = srv.rows("SELECT rowid, cpu FROM metrics WHERE secret=? ORDER BY rowid", (key,))
            time.sleep(0.1)
        t.eq(len(rows), N + 1, "all samples stored, each once")
        rid_b = [rid for rid, cpu in rows if cpu == 99.5]
        before = sum(1 for rid, cpu in rows if cpu == 12.5 and rid_b and rid < rid_b[0])
        t.diag(f"{before} of A's {N} samples were read before B's (one budget: {BUDGET // L})")
        # One budget is BUDGET // L samples; the loop may come back to A (its
        # resume timer) before it polls B's readiness once or twice, so the
        # bound is half the backlog: without the budget, all N come first.
        t.ok(len(rid_b) == 1 and before <= N // 2,
             f"B's sample is read before half of A's {N} (one budget: {BUDGET // L} samples of {L} bytes; "
             f"without the budget all {N} come first)", (before, rows[:3]))
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
