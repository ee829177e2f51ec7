"""WebSocket client frames over a plain socket, for tests that need the wire
itself: unfinished fragments, frames queued while the server is stopped.
Client frames are masked with a zero key, so the payload goes as it is."""
import socket
import struct


def frame(op, payload, fin=True):
    b0 = (0x80 if fin else 0) | op
    n = len(payload)
    if n < 126:
        hdr = struct.pack("!BB", b0, 0x80 | n)
    elif n < 65536:
        hdr = struct.pack("!BBH", b0, 0x80 | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, 0x80 | 127, n)
    return hdr + b"\0\0\0\0" + payload


def recv_exact(s, n):
    out = b""
    while len(out) < n:
        b = s.recv(n - len(out))
        if not b:
            raise EOFError("closed")
        out += b
    return out


def read_frame(s):
    b0, b1 = recv_exact(s, 2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", recv_exact(s, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", recv_exact(s, 8))[0]
    return b0 & 0x0F, recv_exact(s, n)


def open_ws(srv, key, timeout=30):
    """Returns (status, socket); on 101 the socket is past the first reply."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    s.sendall((f"GET /ws/{key} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        b = s.recv(1)
        if not b:
            break
        head += b
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.1 ") else 0
    if status == 101:
        read_frame(s)  # the first {"commands": [], "ack": ...}
    return status, s


def next_data(s):
    """The next text or close frame (pings and pongs skipped)."""
    while True:
        op, p = read_frame(s)
        if op in (1, 8):
            return op, p


def sync(s, tag=b"s"):
    """A ping, then frames up to its pong: the server has read all before it."""
    s.sendall(frame(9, tag))
    while True:
        op, p = read_frame(s)
        if op == 10 and p == tag:
            return
