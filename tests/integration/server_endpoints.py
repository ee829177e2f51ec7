#!/usr/bin/python3
"""monbot-server's command line, configuration and small endpoints:
--help/--version, defaults < .env < environment < flags, bad values exit 2,
BOT_TOKEN missing said once, the self-signed certificate, /healthz,
/speedtest both ways (a connected agent's key only), 404/405, the UDP echo, server pings and the drop of a
silent peer (PING_INTERVAL / IDLE_TIMEOUT shortened for the test)."""
import asyncio
import base64
import json
import os
import shutil
import socket
import ssl
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import websockets  # noqa: E402
from server import SERVER, Server, Tap, free_port, metric, original_sample, tmpdir  # noqa: E402

t = Tap()


def run_cli(args, cwd, env=None, timeout=30):
    e = {k: v for k, v in os.environ.items() if k not in ("PORT", "DB", "TLS", "BOT_TOKEN")}
    e.update(env or {})
    return subprocess.run([SERVER, *args], cwd=cwd, env=e, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout)


def listening_port(srv):
    import re
    m = re.search(r"agents on wss?://\*:(\d+)/", srv.log())
    return int(m.group(1)) if m else None


def main():
    base = tmpdir("mb-server-endpoints.")
    try:
        # --help, --version, bad values
        r = run_cli(["--help"], base)
        t.ok(r.returncode == 0 and "UDP_TEST_PORT" in r.stdout and "key new" in r.stdout, "--help")
        r = run_cli(["--version"], base)
        t.ok(r.returncode == 0 and r.stdout.startswith("monbot-server "), "--version", r.stdout)
        r = run_cli([], base, {"PORT": "abc"})
        t.ok(r.returncode == 2 and "PORT" in r.stderr, "PORT=abc is an error naming PORT, exit 2", r.stderr)
        r = run_cli(["--retention-days", "0"], base)
        t.ok(r.returncode == 2 and "RETENTION_DAYS" in r.stderr, "a bad flag value names its variable",
             r.stderr)
        r = run_cli(["--frobnicate", "1"], base)
        t.ok(r.returncode == 2 and "frobnicate" in r.stderr, "an unknown flag is an error", r.stderr)

        # precedence: defaults < .env < environment < flags
        d = os.path.join(base, "prec")
        os.makedirs(d)
        p_env, p_var, p_flag = free_port(), free_port(), free_port()
        with open(os.path.join(d, ".env"), "w") as f:
            f.write(f"# test\nPORT={p_env}\nTLS=0\nUDP_TEST_PORT=0\nLOG_LEVEL=INFO\n")
        for label, env, args, want in (("from .env", {}, [], p_env),
                                       ("the environment over .env", {"PORT": str(p_var)}, [], p_var),
                                       ("a flag over both", {"PORT": str(p_var)}, ["--port", str(p_flag)], p_flag)):
            srv = Server(d, env=env)
            for k in ("PORT", "TLS", "UDP_TEST_PORT", "LOG_LEVEL"):
                srv.env.pop(k, None)
            srv.env.update(env)
            srv.log_path = os.path.join(d, f"server-{want}.log")
            srv.proc = None
            srv.logf = open(srv.log_path, "ab")
            srv.proc = subprocess.Popen([SERVER, *args], cwd=d, env=srv.env, stdin=subprocess.DEVNULL,
                                        stdout=srv.logf, stderr=subprocess.STDOUT)
            end = time.time() + 20
            while time.time() < end and "agents on" not in srv.log() and srv.proc.poll() is None:
                time.sleep(0.05)
            t.eq(listening_port(srv), want, f"PORT {label}")
            log = srv.log()
            t.eq(log.count("running without the Telegram bot"), 1, f"BOT_TOKEN missing is said once ({label})")
            srv.stop()

        # a TLS server: certificate made at first start, key 0600
        os.makedirs(os.path.join(base, "tls"))
        srv = Server(os.path.join(base, "tls"), tls=True,
                     env={"PING_INTERVAL": "1", "IDLE_TIMEOUT": "3", "LOG_LEVEL": "WARN"})
        srv.start()
        try:
            kp = os.path.join(srv.dir, "key.pem")
            t.ok(os.path.exists(os.path.join(srv.dir, "cert.pem")) and os.path.exists(kp),
                 "cert.pem and key.pem made on first start")
            t.eq(stat.S_IMODE(os.stat(kp).st_mode), 0o600, "key.pem is mode 0600")
            x = subprocess.run(["openssl", "x509", "-in", os.path.join(srv.dir, "cert.pem"), "-noout",
                                "-text"], capture_output=True, text=True)
            t.ok("DNS:localhost" in x.stdout and "prime256v1" in x.stdout.replace("P-256", "prime256v1"),
                 "self-signed EC P-256 with SAN localhost", x.stdout[:400])
            t.ok(" INFO " not in srv.log(), "no INFO line at LOG_LEVEL=WARN", srv.log()[:500])

            st, body = srv.http_get("/healthz")
            t.ok(st == 200 and body == "ok\n", "/healthz")
            ctx = srv.ssl_ctx()
            # /speedtest: only with the key of an agent that is connected
            skey = srv.new_key("speed")
            try:
                urllib.request.urlopen(srv.url(f"/speedtest?bytes=10&key={skey}"), context=ctx, timeout=10)
                code = 200
            except urllib.error.HTTPError as e:
                code = e.code
            t.eq(code, 403, "GET /speedtest with an offline agent's key gets 403")
            agent = ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port), timeout=10))
            agent.sendall((f"GET /ws/{skey} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
            t.ok(agent.recv(4096).startswith(b"HTTP/1.1 101"), "the speed test's agent is connected")
            with urllib.request.urlopen(srv.url(f"/speedtest?bytes=3000000&key={skey}"), context=ctx,
                                        timeout=30) as r:
                data = r.read()
            t.eq(len(data), 3000000, "GET /speedtest?bytes=N&key=K sends N bytes")
            req = urllib.request.Request(srv.url(f"/speedtest?key={skey}"), data=b"u" * 2500000,
                                         method="POST", headers={"Content-Type": "application/octet-stream"})
            with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
                up = json.loads(r.read())
            t.eq(up.get("bytes"), 2500000, "POST /speedtest?key=K takes the body and says how much")
            agent.close()
            for path, method, want in (("/nothing", "GET", 404), ("/metrics", "POST", 405)):
                try:
                    urllib.request.urlopen(urllib.request.Request(srv.url(path), method=method,
                                                                  data=b"" if method == "POST" else None),
                                           context=ctx, timeout=10)
                    code = 200
                except urllib.error.HTTPError as e:
                    code = e.code
                t.eq(code, want, f"{method} {path} gets {want}")

            # UDP echo
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.settimeout(5)
            got = []
            for i in range(5):
                msg = f"{i}:{time.time():.6f}".encode()
                u.sendto(msg, ("127.0.0.1", srv.udp_port))
                try:
                    got.append(u.recvfrom(2048)[0] == msg)
                except socket.timeout:
                    got.append(False)
            u.close()
            t.eq(got, [True] * 5, "UDP echo returns each datagram unchanged")
            t.ok(metric(srv.metrics(), "monbot_udp_echo_packets_total") >= 5, "UDP echo counted")

            # a peer that answers pings stays; a silent one is dropped
            key = srv.new_key("pings")

            async def polite():
                async with websockets.connect(srv.ws_url(key), ssl=ctx, ping_interval=None) as ws:
                    await ws.recv()
                    await asyncio.sleep(5)  # past IDLE_TIMEOUT: pongs keep it alive
                    await ws.send(json.dumps(original_sample(1)))
                    return json.loads(await asyncio.wait_for(ws.recv(), 10))
            r = asyncio.run(polite())
            t.ok("commands" in r, "a peer answering pings is kept past IDLE_TIMEOUT")

            raw = ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port)), server_hostname="localhost")
            k = base64.b64encode(os.urandom(16)).decode()
            raw.sendall((f"GET /ws/{key} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                         f"Connection: Upgrade\r\nSec-WebSocket-Key: {k}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
            raw.settimeout(15)
            buf, eof = b"", False
            try:
                while True:
                    b = raw.recv(4096)
                    if not b:
                        eof = True  # the server closed it
                        break
                    buf += b
            except socket.timeout:
                pass  # still open after 15 s: not dropped
            except (OSError, ssl.SSLError):
                eof = True
            raw.close()
            head, _, frames = buf.partition(b"\r\n\r\n")
            t.ok(head.startswith(b"HTTP/1.1 101"), "raw upgrade accepted")
            t.ok(b"\x89\x00" in frames, "the server pings", frames[:80])
            t.ok(eof, "a silent peer is dropped after IDLE_TIMEOUT")
            t.ok(metric(srv.metrics(), "monbot_sessions_idle_dropped_total") >= 1, "the drop is counted")
        finally:
            t.eq(srv.stop(), 0, "exit 0")
    finally:
        if os.environ.get("KEEP"):
            t.diag(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    t.done()


main()
