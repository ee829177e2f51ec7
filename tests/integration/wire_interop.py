#!/usr/bin/python3
"""wire_interop.py — our RFC 6455 code against an independent implementation,
Debian's python3-websockets, in both directions, plain and TLS: messages of
0 B to 4 MiB, fragmented and not, pings and closes from either side, the
message limit, HTTP refusals, and raw peers that break the protocol getting
the right close code. Our side is the ws_peer helper (wire_ws_peer.c).

usage: wire_interop.py <ws_peer binary> <label>     prints TAP lines
"""
import asyncio
import http
import os
import shutil
import ssl
import struct
import subprocess
import sys
import tempfile

import websockets

PEER = sys.argv[1]
LABEL = sys.argv[2] if len(sys.argv) > 2 else "native"
T = 120  # generous bound for any one step; no timing is asserted
MIB = 1 << 20
SIZES = [0, 1, 125, 126, 127, 65535, 65536, 1 * MIB, 4 * MIB]

results = []


def report(ok, what, detail=""):
    results.append(ok)
    n = len(results)
    print(("ok %d - %s %s" if ok else "not ok %d - %s %s") % (n, LABEL, what), flush=True)
    if not ok and detail:
        for line in str(detail).splitlines()[:20]:
            print("# " + line, flush=True)


def pattern(n, text):
    """The bytes ws_peer's !send produces."""
    if text:
        return bytes(ord("a") + i % 26 for i in range(n)).decode()
    return bytes((i * 7 + (i >> 8)) & 0xFF for i in range(n))


def payload(n, text):
    """n bytes: random binary, or UTF-8 text with multi-byte characters (so
    characters are split across reads and fragments)."""
    if not text:
        return os.urandom(n)
    base = "ключ-κλειδί-😀-".encode()
    s = (base * (n // len(base) + 1))[:n].decode("utf-8", errors="ignore")
    return s + "x" * (n - len(s.encode()))


class Peer:
    """A running ws_peer with its stdout collected line by line."""

    def __init__(self, proc):
        self.proc = proc
        self.lines = []
        self.new_line = asyncio.Event()
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, *args):
        proc = await asyncio.create_subprocess_exec(PEER, *args, stdout=asyncio.subprocess.PIPE)
        return cls(proc)

    async def _read(self):
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line.decode(errors="replace").rstrip("\n"))
            self.new_line.set()

    async def wait_line(self, prefix, timeout=T):
        async def look():
            while True:
                for line in self.lines:
                    if line.startswith(prefix):
                        return line
                self.new_line.clear()
                if self.reader.done():
                    return None
                await self.new_line.wait()
        return await asyncio.wait_for(look(), timeout)

    async def wait_exit(self, timeout=T):
        rc = await asyncio.wait_for(self.proc.wait(), timeout)
        await self.reader
        return rc

    def has(self, text):
        return any(text in line for line in self.lines)

    async def stop(self):
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        await self.reader


# ---- raw frames for the protocol breakers ----

def frame(op, data, fin=True, mask=None, rsv=0, length=None):
    n = len(data) if length is None else length
    b0 = (0x80 if fin else 0) | rsv | op
    mb = 0x80 if mask else 0
    if n < 126:
        h = bytes([b0, mb | n])
    elif n < 65536:
        h = bytes([b0, mb | 126]) + struct.pack(">H", n)
    else:
        h = bytes([b0, mb | 127]) + struct.pack(">Q", n)
    if mask:
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        h += mask
    return h + data


async def read_frame(reader):
    h = await reader.readexactly(2)
    n = h[1] & 0x7F
    if n == 126:
        n = struct.unpack(">H", await reader.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack(">Q", await reader.readexactly(8))[0]
    mask = await reader.readexactly(4) if h[1] & 0x80 else None
    data = await reader.readexactly(n)
    if mask:
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    return h[0] & 0x0F, data


async def read_close_code(reader):
    """Reads frames until a close; returns its code (None if none)."""
    while True:
        op, data = await read_frame(reader)
        if op == 8:
            return struct.unpack(">H", data[:2])[0] if len(data) >= 2 else None


M = b"\x11\x22\x33\x44"
VIOLATIONS_AT_SERVER = [
    ("unmasked frame", frame(1, b"hi"), 1002),
    ("RSV1 set", frame(1, b"hi", mask=M, rsv=0x40), 1002),
    ("reserved opcode 3", frame(3, b"", mask=M), 1002),
    ("continuation first", frame(0, b"x", mask=M), 1002),
    ("fragmented ping", frame(9, b"x", fin=False, mask=M), 1002),
    ("ping of 126 bytes", frame(9, b"p" * 126, mask=M), 1002),
    ("invalid UTF-8", frame(1, b"abc\xc0\xaf", mask=M), 1007),
    ("UTF-8 surrogate split over fragments",
     frame(1, b"a\xed", fin=False, mask=M) + frame(0, b"\xa0\x80", mask=M), 1007),
    ("close code 1005 on the wire", frame(8, struct.pack(">H", 1005), mask=M), 1002),
    ("message over 4 MiB (header only)", frame(2, b"", mask=M, length=4 * MIB + 1), 1009),
]
VIOLATIONS_AT_CLIENT = [
    ("masked frame from the server", frame(1, b"hi", mask=M), 1002),
    ("RSV2 set", frame(1, b"hi", rsv=0x20), 1002),
    ("reserved opcode 0xB", frame(0xB, b""), 1002),
    ("text inside a fragmented message", frame(1, b"a", fin=False) + frame(1, b"b"), 1002),
    ("invalid UTF-8", frame(1, b"\xf4\x90\x80\x80"), 1007),
    ("close of 1 byte", frame(8, b"\x03"), 1002),
    ("message over 4 MiB (header only)", frame(2, b"", length=4 * MIB + 1), 1009),
]


def client_ssl(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = True
    return ctx


# ---- python client -> our server ----

async def our_server(tls, tmp):
    args = ["server"]
    if tls:
        args += ["--tls", "--cert", os.path.join(tmp, "srv_cert.pem"), "--key", os.path.join(tmp, "srv_key.pem")]
    peer = await Peer.start(*args)
    line = await peer.wait_line("listening ", 60)
    if not line:
        await peer.stop()
        raise RuntimeError("ws_peer server did not start: %s" % peer.lines)
    return peer, int(line.split()[1])


async def python_client_tests(tls, tmp):
    kind = "tls" if tls else "plain"
    peer, port = await our_server(tls, tmp)
    scheme = "wss" if tls else "ws"
    uri = "%s://localhost:%d/ws/interop" % (scheme, port)
    sslctx = client_ssl(os.path.join(tmp, "srv_cert.pem")) if tls else None
    kw = dict(ssl=sslctx, max_size=8 * MIB, open_timeout=T, close_timeout=T, ping_interval=None)
    try:
        # messages both kinds, every size class, echoed back
        async with websockets.connect(uri, **kw) as ws:
            for text in (True, False):
                for n in SIZES:
                    what = "python client -> our server (%s): %s %d B echoed" % (kind, "text" if text else "binary", n)
                    try:
                        msg = payload(n, text)
                        await ws.send(msg)
                        got = await asyncio.wait_for(ws.recv(), T)
                        report(got == msg, what, "got %d, sent %d" % (len(got), len(msg)))
                    except Exception as e:
                        report(False, what, repr(e))
            # fragmented by python
            parts = ["frag", "ment", "ed ", "κλειδί"]
            await ws.send(parts)
            got = await asyncio.wait_for(ws.recv(), T)
            report(got == "".join(parts), "python client -> our server (%s): fragmented text reassembled" % kind, got)
            big = [os.urandom(100000) for _ in range(40)]
            await ws.send(big)
            got = await asyncio.wait_for(ws.recv(), T)
            report(got == b"".join(big), "python client -> our server (%s): 4 MB in 40 fragments" % kind)
            # fragmented by us, with a ping between fragments
            for n, text, f in ((4 * MIB, False, 65536), (100000, True, 7), (10, True, 1)):
                await ws.send("!send %d %s %d" % (n, "text" if text else "binary", f))
                got = await asyncio.wait_for(ws.recv(), T)
                report(got == pattern(n, text),
                       "our server -> python client (%s): %d B %s in %d-byte fragments" % (kind, n, "text" if text else "binary", f))
            # ping from python; ping from us
            waiter = await ws.ping(b"py-ping")
            await asyncio.wait_for(waiter, T)
            report(True, "python client pings our server (%s): pong" % kind)
            await ws.send("!ping our-ping")
            got = await asyncio.wait_for(ws.recv(), T)
            report(got == "pong:our-ping", "our server pings python client (%s): pong came back" % kind, got)
            # clean close from python
            await ws.close(1000, "bye")
            report(ws.close_code == 1000, "python client closes (%s): our echo 1000" % kind, ws.close_code)
        line = await peer.wait_line("close ", 30)
        report(line == "close 1000 bye", "python client closes (%s): our server saw 1000 bye" % kind, line)

        # clean close from us
        async with websockets.connect(uri, **kw) as ws:
            await ws.send("!close 1001 going away")
            try:
                await asyncio.wait_for(ws.recv(), T)
                report(False, "our server closes (%s)" % kind, "got a message")
            except websockets.ConnectionClosedOK:
                report(ws.close_code == 1001 and ws.close_reason == "going away",
                       "our server closes (%s): python saw 1001 'going away'" % kind,
                       (ws.close_code, ws.close_reason))

        # over the limit: 4 MiB + 1 closes with 1009
        async with websockets.connect(uri, **kw) as ws:
            try:
                await ws.send(os.urandom(4 * MIB + 1))
                await asyncio.wait_for(ws.recv(), T)
                report(False, "our server: 4 MiB + 1 refused (%s)" % kind, "echoed")
            except websockets.ConnectionClosed:
                report(ws.close_code == 1009, "our server: 4 MiB + 1 closes with 1009 (%s)" % kind, ws.close_code)

        # HTTP refusals
        try:
            async with websockets.connect("%s://localhost:%d/ws/forbidden" % (scheme, port), **kw):
                report(False, "our server: 403 for a refused path (%s)" % kind)
        except websockets.InvalidStatusCode as e:
            report(e.status_code == 403, "our server: 403 for a refused path (%s)" % kind, e.status_code)

        # raw protocol breakers
        for what, data, code in VIOLATIONS_AT_SERVER + [("bad version", None, 426)]:
            try:
                r, w = await asyncio.open_connection("127.0.0.1", port, ssl=sslctx,
                                                     server_hostname="localhost" if tls else None)
                req = ("GET /ws/raw HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Sec-WebSocket-Version: %s\r\n\r\n" % ("8" if data is None else "13"))
                w.write(req.encode())
                head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), T)
                if data is None:
                    ok = head.startswith(b"HTTP/1.1 426 ") and b"Sec-WebSocket-Version: 13" in head
                    report(ok, "our server: Sec-WebSocket-Version 8 gets 426 (%s)" % kind, head)
                else:
                    assert b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head, head
                    w.write(data)
                    got = await asyncio.wait_for(read_close_code(r), T)
                    report(got == code, "our server closes a client sending %s with %d (%s)" % (what, code, kind), got)
                w.close()
            except Exception as e:
                report(False, "our server vs raw client: %s (%s)" % (what, kind), repr(e))
    finally:
        await peer.stop()


# ---- our client -> python server ----

async def client_scenario(ws, path):
    """The python server's side of each scenario; returns a list of (ok, what)."""
    out = []
    name = path.rsplit("/", 1)[-1]
    if name == "echo":
        for text in (True, False):
            for n in SIZES:
                msg = payload(n, text)
                await ws.send(msg)
                got = await asyncio.wait_for(ws.recv(), T)
                out.append((got == msg, "%s %d B echoed" % ("text" if text else "binary", n)))
        parts = [b"ab", b"", b"cd" * 1000]
        await ws.send(parts)
        got = await asyncio.wait_for(ws.recv(), T)
        out.append((got == b"".join(parts), "fragmented binary reassembled"))
        for n, text, f in ((4 * MIB, False, 65536), (300, True, 1)):
            await ws.send("!send %d %s %d" % (n, "text" if text else "binary", f))
            got = await asyncio.wait_for(ws.recv(), T)
            out.append((got == pattern(n, text), "our client sends %d B in %d-byte fragments" % (n, f)))
        waiter = await ws.ping(b"srv-ping")
        await asyncio.wait_for(waiter, T)
        out.append((True, "python server pings our client: pong"))
        await ws.send("!ping cli-ping")
        got = await asyncio.wait_for(ws.recv(), T)
        out.append((got == "pong:cli-ping", "our client pings python server: pong came back"))
        await ws.close(1000, "done")
        out.append((ws.close_code == 1000, "python server closes: our echo 1000"))
    elif name == "client-closes":
        await ws.send("!close 1000 bye")
        try:
            await asyncio.wait_for(ws.recv(), T)
            out.append((False, "our client closes"))
        except websockets.ConnectionClosedOK:
            out.append((ws.close_code == 1000 and ws.close_reason == "bye", "our client closes: python saw 1000 bye"))
    elif name == "too-big":
        try:
            await ws.send(os.urandom(4 * MIB + 1))
            await asyncio.wait_for(ws.recv(), T)
            out.append((False, "our client: 4 MiB + 1 refused"))
        except websockets.ConnectionClosed:
            out.append((ws.close_code == 1009, "our client: 4 MiB + 1 closes with 1009"))
    return out


async def python_server_tests(tls, tmp, cert, key):
    kind = "tls" if tls else "plain"
    verdicts = {}

    done = {}

    async def handler(ws, path):
        try:
            verdicts[path] = await client_scenario(ws, path)
        except Exception as e:
            verdicts[path] = [(False, "scenario %s raised %r" % (path, e))]
        done.setdefault(path, asyncio.Event()).set()

    async def scenario_verdicts(path):
        """The handler's verdicts; it may finish after our client exits."""
        try:
            await asyncio.wait_for(done.setdefault(path, asyncio.Event()).wait(), T)
        except asyncio.TimeoutError:
            return [(False, "python side of %s never finished" % path)]
        done.pop(path, None)
        return verdicts.pop(path)

    async def refuse(path, headers):
        if path.endswith("/forbidden"):
            return (http.HTTPStatus.FORBIDDEN, [], b"no\n")
        return None

    sslctx = None
    if tls:
        sslctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sslctx.load_cert_chain(cert, key)
    server = await websockets.serve(handler, "127.0.0.1", 0, ssl=sslctx, max_size=8 * MIB,
                                    process_request=refuse, ping_interval=None, close_timeout=T)
    port = server.sockets[0].getsockname()[1]
    base = ["client", "--port", str(port), "--host", "127.0.0.1"]
    tls_modes = [[]]
    if tls:
        # the three AGENT_VERIFY_SSL modes; force checks the chain and the name
        tls_modes = [["--tls", "--verify", "0"],
                     ["--tls", "--verify", "1", "--pin", os.path.join(tmp, "pin-%d.json" % port)],
                     ["--tls", "--verify", "force", "--ca", cert, "--name", "localhost"]]
    try:
        for mode in tls_modes:
            label = "%s %s" % (kind, " ".join(mode[1:3]) if mode else "")
            for scen, want_rc, want_line in (("echo", 0, "close 1000 done"),
                                             ("client-closes", 0, "close 1000"),
                                             ("too-big", 5, "error 1009"),
                                             ("forbidden", 4, "http 403")):
                path = "/ws/%s" % scen
                peer = await Peer.start(*(base + mode + ["--path", path]))
                try:
                    rc = await peer.wait_exit()
                except asyncio.TimeoutError:
                    rc = None
                await peer.stop()
                for ok, what in ([] if scen == "forbidden" else await scenario_verdicts(path)):
                    report(ok, "our client -> python server (%s): %s" % (label, what))
                report(rc == want_rc and peer.has(want_line),
                       "our client (%s) %s: exit %s, '%s'" % (label, scen, want_rc, want_line),
                       "rc=%s lines=%s" % (rc, peer.lines[-8:]))
            if not mode or mode[2] != "force":
                continue
            # force with the wrong name is refused
            peer = await Peer.start(*(base + ["--tls", "--verify", "force", "--ca", cert, "--name", "wrong.example",
                                              "--path", "/ws/echo"]))
            rc = await peer.wait_exit()
            await peer.stop()
            report(rc == 1 and peer.has("conn-error TLS"), "our client (tls force): wrong host name refused",
                   peer.lines[-5:])
    finally:
        server.close()
        await server.wait_closed()

    # a raw server that breaks the protocol
    for what, data, code in VIOLATIONS_AT_CLIENT:
        got = {}

        async def raw(reader, writer, data=data, got=got):
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                key = [l.split(b":", 1)[1].strip() for l in head.split(b"\r\n")
                       if l.lower().startswith(b"sec-websocket-key:")][0]
                import base64
                import hashlib
                acc = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
                writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                             b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + acc + b"\r\n\r\n" + data)
                got["code"] = await asyncio.wait_for(read_close_code(reader), T)
            except Exception as e:
                got["err"] = repr(e)
            finally:
                writer.close()

        srv = await asyncio.start_server(raw, "127.0.0.1", 0, ssl=sslctx)
        port = srv.sockets[0].getsockname()[1]
        args = ["client", "--port", str(port), "--path", "/ws/raw"] + (["--tls", "--verify", "0"] if tls else [])
        peer = await Peer.start(*args)
        rc = await peer.wait_exit()
        await peer.stop()
        srv.close()
        await srv.wait_closed()
        report(got.get("code") == code and rc == 5 and peer.has("error %d" % code),
               "our client closes a server sending %s with %d (%s)" % (what, code, kind),
               "got=%s rc=%s lines=%s" % (got, rc, peer.lines[-4:]))


async def main():
    tmp = tempfile.mkdtemp(prefix="wire_interop.")
    try:
        cert, key = os.path.join(tmp, "py_cert.pem"), os.path.join(tmp, "py_key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=localhost", "-days", "2",
                        "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True)
        for tls in (False, True):
            await python_client_tests(tls, tmp)
            await python_server_tests(tls, tmp, cert, key)
        # the certificate our server made for itself (SPEC §2)
        out = subprocess.run(["openssl", "x509", "-in", os.path.join(tmp, "srv_cert.pem"), "-noout", "-text"],
                             capture_output=True, text=True).stdout
        report("ASN1 OID: prime256v1" in out and "DNS:localhost" in out and "Subject: CN" in out,
               "our generated certificate: EC P-256, CN, SAN localhost", out[:400])
        st = os.stat(os.path.join(tmp, "srv_key.pem"))
        report(st.st_mode & 0o777 == 0o600, "our generated key file is mode 0600", oct(st.st_mode))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % len(results))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
