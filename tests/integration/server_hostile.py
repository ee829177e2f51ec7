#!/usr/bin/python3
"""Hostile clients against monbot-server (TLS), each while a well-behaved
agent keeps sending samples and getting every reply: garbage instead of
HTTP (400, closed), 64 KiB of headers (431, closed), a head trickled one
byte a second (dropped at HEADER_TIMEOUT), 2000 connections that never
finish the TLS handshake (dropped at HANDSHAKE_TIMEOUT), a message over
4 MiB (1009), JSON of the wrong types and nested 1000 deep (ignored, the
reply still comes). Each is counted in /metrics, which is read with the
text format's rules. No timing assertions: timeouts are only upper bounds
for "it happened"."""
import asyncio
import json
import os
import resource
import shutil
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import websockets  # noqa: E402
from server import Server, Tap, metric, original_sample, tmpdir  # noqa: E402

t = Tap()
HANDSHAKE_TIMEOUT = 3
HEADER_TIMEOUT = 3


class GoodAgent(threading.Thread):
    """Sends a sample every 0.2 s and waits for each reply."""

    def __init__(self, srv, key):
        super().__init__(daemon=True)
        self.srv, self.key = srv, key
        self.stop = threading.Event()
        self.sent = self.replied = 0
        self.error = None

    def run(self):
        try:
            asyncio.run(self.loop())
        except Exception as e:  # noqa: BLE001
            self.error = repr(e)

    async def loop(self):
        async with websockets.connect(self.srv.ws_url(self.key), ssl=self.srv.ssl_ctx(),
                                      ping_interval=None) as ws:
            await asyncio.wait_for(ws.recv(), 30)
            i = 0
            while not self.stop.is_set():
                await ws.send(json.dumps(original_sample(i)))
                self.sent += 1
                r = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if "commands" in r:
                    self.replied += 1
                i += 1
                await asyncio.sleep(0.2)

    def served_since(self, n0, want=3, limit=30):
        """Waits until `want` more replies came (upper bound `limit` s)."""
        end = time.time() + limit
        while time.time() < end and self.error is None:
            if self.replied >= n0 + want:
                return True
            time.sleep(0.05)
        return False


def tls_sock(srv, timeout=10):
    ctx = srv.ssl_ctx()
    raw = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def read_all(s, limit=1 << 20):
    out = b""
    try:
        while len(out) < limit:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except (ConnectionResetError, ssl.SSLError, socket.timeout, OSError):
        pass
    return out


def closed_by_server(s, limit):
    """True when the server closed s within limit seconds (EOF or reset)."""
    s.settimeout(limit)
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, ssl.SSLError, OSError) as e:
        return not isinstance(e, socket.timeout)


def served(good, name):
    n0 = good.replied
    t.ok(good.served_since(n0), f"the well-behaved agent is still served ({name})",
         good.error or f"replied {good.replied}")


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    base = tmpdir("mb-server-hostile.")
    srv = Server(base, tls=True, env={"HANDSHAKE_TIMEOUT": str(HANDSHAKE_TIMEOUT),
                                      "HEADER_TIMEOUT": str(HEADER_TIMEOUT), "LOG_LEVEL": "INFO"})
    srv.start()
    good = None
    try:
        key = srv.new_key("good")
        bad_key = srv.new_key("bad")
        good = GoodAgent(srv, key)
        good.start()
        t.ok(good.served_since(0), "a well-behaved agent is served", good.error)

        # 1. garbage instead of HTTP, inside TLS
        s = tls_sock(srv)
        s.sendall(b"\x00\x01\x02garbage garbage\r\n\r\n")
        resp = read_all(s)
        s.close()
        t.ok(resp.startswith(b"HTTP/1.1 400 "), "garbage instead of HTTP gets 400", resp[:200])
        t.ok(b"Connection: close" in resp, "... and the connection is closed")
        # plain bytes on the TLS port: the handshake fails, closed
        p = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        p.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        t.ok(closed_by_server(p, 15), "plain HTTP on the TLS port is closed")
        p.close()
        served(good, "garbage")

        # 2. 64 KiB of headers
        s = tls_sock(srv)
        head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Padding: " + b"a" * 100 + b"\r\n"
        try:
            s.sendall(head + (b"X-Padding: " + b"a" * 100 + b"\r\n") * 600 + b"\r\n")
        except OSError:
            pass  # the server may close before all 64 KiB are written
        resp = read_all(s)
        s.close()
        t.ok(resp.startswith(b"HTTP/1.1 431 "), "64 KiB of headers gets 431", resp[:200])
        served(good, "64 KiB head")

        # 3. a head trickled one byte a second: dropped at HEADER_TIMEOUT
        s = tls_sock(srv)
        req = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: yes\r\n\r\n"
        dropped = False
        start = time.time()
        for b in req:
            try:
                s.sendall(bytes([b]))
            except OSError:
                dropped = True
                break
            s.settimeout(1.0)
            try:
                got = s.recv(1)
                if got == b"":
                    dropped = True
                    break
                if got:  # an answer would mean it was not dropped
                    break
            except socket.timeout:
                pass
            except (ssl.SSLError, OSError):
                dropped = True
                break
            if good.error:
                break
        s.close()
        t.ok(dropped and time.time() - start < len(req), "a head trickled a byte a second is dropped",
             f"dropped={dropped} after {time.time() - start:.1f} s")
        served(good, "slow head")

        # 4. 2000 connections that never finish the TLS handshake
        stuck = []
        for i in range(2000):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", srv.port))
            stuck.append(c)
            if i % 3 == 0:
                try:  # half a ClientHello on some
                    c.send(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
                except OSError:
                    pass
        time.sleep(0.5)
        fams = srv.metrics()
        waiting = metric(fams, "monbot_connections_open", state="tls_handshake")
        t.ok(waiting >= 1000, "the stuck handshakes are held for a while", waiting)
        served(good, "2000 stuck handshakes")
        # all of them closed by the server within the timeout (+ slack)
        end = time.time() + HANDSHAKE_TIMEOUT + 30
        open_left = set(range(len(stuck)))
        while open_left and time.time() < end:
            for i in list(open_left):
                try:
                    if stuck[i].recv(1) == b"":
                        open_left.discard(i)
                except BlockingIOError:
                    pass
                except OSError:
                    open_left.discard(i)
            time.sleep(0.2)
        for c in stuck:
            c.close()
        t.eq(len(open_left), 0, "all 2000 were dropped after the handshake timeout")
        fams = srv.metrics()
        t.eq(metric(fams, "monbot_connections_open", state="tls_handshake"), 0.0,
             "no handshake is left waiting")
        served(good, "after the stuck handshakes")

        # 5. a message over 4 MiB: 1009; one just under 4 MiB is fine
        async def big(n):
            async with websockets.connect(srv.ws_url(bad_key), ssl=srv.ssl_ctx(), max_size=None,
                                          ping_interval=None) as ws:
                await asyncio.wait_for(ws.recv(), 30)
                await ws.send(json.dumps({"text": "x" * n}))
                try:
                    r = await asyncio.wait_for(ws.recv(), 60)
                    return "reply", r
                except websockets.exceptions.ConnectionClosed as e:
                    return "closed", e.code
        kind, val = asyncio.run(big((4 << 20) - 64))
        t.ok(kind == "reply", "a message just under 4 MiB is taken", (kind, val))
        kind, val = asyncio.run(big(4 << 20))
        t.ok(kind == "closed" and val == 1009, "a message over 4 MiB closes with 1009", (kind, val))
        served(good, "4 MiB message")

        # 6. JSON of the wrong types, nested 1000 deep, not JSON at all
        async def junk():
            out = []
            async with websockets.connect(srv.ws_url(bad_key), ssl=srv.ssl_ctx(), ping_interval=None) as ws:
                await asyncio.wait_for(ws.recv(), 30)
                for m in ['{"cpu": "12", "ram": [1, 2], "disks": {"mount": 5}, "top_procs": "no", '
                          '"uptime": -1, "net_up": 1e999}',
                          '{"cpu": ' + "[" * 1000 + "]" * 1000 + ', "ram": 1}',
                          'this is not json',
                          '[1, 2, 3]',
                          '{"cpu": 1, "ram": 2, "ts": "yesterday"}']:
                    await ws.send(m)
                    out.append(json.loads(await asyncio.wait_for(ws.recv(), 30)))
            return out
        before = srv.metrics()
        replies = asyncio.run(junk())
        after = srv.metrics()
        t.ok(len(replies) == 5 and all(r.get("commands") == [] for r in replies),
             "malformed messages are ignored and still answered", replies)

        def delta(name, **labels):
            return metric(after, name, **labels) - metric(before, name, **labels)
        t.ok(delta("monbot_sample_fields_invalid_total") >= 7, "wrong-typed values are counted",
             delta("monbot_sample_fields_invalid_total"))
        t.eq(delta("monbot_messages_ignored_total", reason="depth"), 1.0, "1000-deep nesting is counted")
        t.eq(delta("monbot_messages_ignored_total", reason="json"), 1.0, "not-JSON is counted")
        t.eq(delta("monbot_messages_ignored_total", reason="type"), 1.0, "a non-object is counted")
        rows = srv.rows("SELECT cpu, ram FROM metrics WHERE secret=?", (bad_key,))
        t.eq([(float(a), float(b)) for a, b in rows], [(1.0, 2.0)],
             "only the well-formed sample of the hostile session is stored (its bad ts stamped)")
        served(good, "malformed JSON")

        # label values are escaped: a nickname with a quote and a backslash
        odd = 'rack "7" \\ east'
        okey = srv.new_key(odd)

        async def one_sample():
            async with websockets.connect(srv.ws_url(okey), ssl=srv.ssl_ctx(), ping_interval=None) as ws:
                await asyncio.wait_for(ws.recv(), 30)
                await ws.send(json.dumps(original_sample(3)))
                await asyncio.wait_for(ws.recv(), 30)
        asyncio.run(one_sample())
        text = srv.http_get("/metrics")[1]
        t.ok('agent="rack \\"7\\" \\\\ east"' in text, "the nickname is escaped in label values",
             [ln for ln in text.splitlines() if "rack" in ln][:3])
        fams = srv.metrics()
        t.eq(metric(fams, "monbot_agent_cpu_percent", agent=odd), original_sample(3)["cpu"],
             "... and reads back as the nickname with the text format's rules")
        t.ok(okey not in text, "no secret appears in /metrics")

        # every kind is counted in /metrics
        fams = srv.metrics()
        for reason in ("bad_request", "head_too_large", "header_timeout", "tls_timeout", "tls_failed"):
            t.ok(metric(fams, "monbot_connections_rejected_total", reason=reason) >= 1,
                 f"/metrics counts {reason}", metric(fams, "monbot_connections_rejected_total", reason=reason))
        t.ok(metric(fams, "monbot_connections_rejected_total", reason="tls_timeout") >= 2000,
             "/metrics counts every stuck handshake")
        t.ok(metric(fams, "monbot_ws_close_sent_total", code="1009") >= 1, "/metrics counts the 1009 close")
        for fam in ("monbot_connections_rejected_total", "monbot_messages_ignored_total",
                    "monbot_ws_close_sent_total", "monbot_samples_ingested_total"):
            t.ok(fams.get(fam, {}).get("type") == "counter" and fams[fam].get("help"),
                 f"{fam} has HELP and TYPE counter")
    finally:
        if good:
            good.stop.set()
            good.join(10)
        rc = srv.stop()
        t.ok(good is not None and good.error is None and good.replied >= good.sent - 1,
             "the well-behaved agent got every reply", good and (good.error, good.sent, good.replied))
        t.eq(rc, 0, "server exits 0")
        if not os.environ.get("KEEP"):
            shutil.rmtree(base, ignore_errors=True)
        else:
            t.diag(f"kept {base}")
    t.done()


main()
