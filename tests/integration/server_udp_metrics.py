#!/usr/bin/python3
"""Issue 9, points 3 and 8, against a real monbot-server on loopback.

The UDP echo answers only "<idx>:<ts>" test datagrams: a datagram spoofed
from the echo's own address and port (a raw socket, as root; otherwise one
bound to 127.0.0.2 on the echo's port) gets no answer and is counted, a
65 000-byte one gets no answer, a well-formed one gets its exact bytes, and
10 datagrams at UDP_ECHO_RATE=2 get exactly 2 answers. Each step ends with a
sentinel datagram from a fresh 127.0.0.x source: the echo reads one socket
in order, so once the sentinel's answer is back every datagram before it was
judged (no waiting on time).

/metrics with METRICS_TOKEN set: 401 without the token (no nickname in the
body), 200 and the agent series with it. The agent id label is not the old
unkeyed hash of the secret and is the same after a restart (the key file
metrics-id.key, mode 0600)."""
import asyncio
import json
import os
import shutil
import socket
import stat
import struct
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import websockets  # noqa: E402
from server import Server, Tap, metric, original_sample, parse_metrics, tmpdir  # noqa: E402

t = Tap()
TOKEN = "s3cret-metrics-token"


def get(srv, path, token=None):
    h = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(srv.url(path), headers=h), timeout=10) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


def fams(srv):
    st, body, _ = get(srv, "/metrics", TOKEN)
    return parse_metrics(body)


def sentinel(srv, host):
    """A well-formed datagram from a fresh source; returns its echo (None on silence)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, 0))
    s.settimeout(10)
    msg = b"0:1700000000.5"
    s.sendto(msg, ("127.0.0.1", srv.udp_port))
    try:
        return s.recvfrom(2048)[0]
    except socket.timeout:
        return None
    finally:
        s.close()


def drain(s):
    got = []
    s.setblocking(False)
    while True:
        try:
            got.append(s.recv(70000))
        except BlockingIOError:
            return got


def spoof_own(port):
    """127.0.0.1:port -> 127.0.0.1:port. Returns how it was sent."""
    payload = b"1:1700000000.25"
    try:
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    except PermissionError:
        raw = None
    if raw:
        udp = struct.pack("!HHHH", port, port, 8 + len(payload), 0) + payload  # no checksum (IPv4)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0x1234, 0, 64, socket.IPPROTO_UDP,
                         0, socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1"))
        raw.sendto(ip + udp, ("127.0.0.1", 0))
        raw.close()
        return "raw"
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.2", port))
    s.sendto(payload, ("127.0.0.1", port))
    s.close()
    return "bound"


def old_id(secret):
    """The label the server used before: unkeyed FNV-1a + a fixed mix."""
    m = (1 << 64) - 1
    h = 0xcbf29ce484222325
    for b in secret.encode():
        h = ((h ^ b) * 0x100000001b3) & m
    h ^= 0x9e3779b97f4a7c15
    h = ((h ^ (h >> 31)) * 0xbf58476d1ce4e5b9) & m
    h ^= h >> 29
    return f"{h:016x}"


def one_sample(srv, key):
    """An original agent's session: one sample, its reply (the key is then in the table)."""
    async def go():
        async with websockets.connect(srv.ws_url(key)) as ws:
            await ws.send(json.dumps(original_sample(1)))
            return json.loads(await asyncio.wait_for(ws.recv(), 10))
    return asyncio.run(go())


def agent_ids(f, nick):
    return [l.get("id") for n, l, v in f.get("monbot_agent_connected", {"samples": []})["samples"]
            if l.get("agent") == nick]


def main():
    base = tmpdir("mb-server-udp-metrics.")
    srv = Server(base, env={"UDP_ECHO_RATE": "2", "METRICS_TOKEN": TOKEN, "LOG_LEVEL": "INFO"})
    try:
        key = srv.new_key("nick-visible-7")
        srv.start()
        port = srv.udp_port

        # ---- point 3: the UDP echo ----
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        a.bind(("127.0.0.1", 0))
        a.settimeout(10)
        msg = b"42:1700000000.654321"
        a.sendto(msg, ("127.0.0.1", port))
        try:
            back = a.recvfrom(2048)[0]
        except socket.timeout:
            back = None
        t.eq(back, msg, "a well-formed datagram comes back byte for byte")

        a.sendto(b"7:" + b"1" * 64998, ("127.0.0.1", port))
        t.eq(sentinel(srv, "127.0.0.2"), b"0:1700000000.5", "sentinel after the 65 000-byte datagram")
        t.eq(len(drain(a)), 0, "a 65 000-byte datagram gets no answer")

        before = metric(fams(srv), "monbot_udp_echo_packets_total")
        how = spoof_own(port)
        t.diag(f"own-address datagram sent {how}")
        t.eq(sentinel(srv, "127.0.0.3"), b"0:1700000000.5", "sentinel after the spoofed datagram")
        f = fams(srv)
        t.eq(metric(f, "monbot_udp_echo_refused_total", reason="own_port"), 1.0,
             "the datagram from the echo's own port is refused and counted once")
        t.eq(metric(f, "monbot_udp_echo_packets_total") - before, 1.0,
             "answered since: only the sentinel (no loop)")
        t.eq(metric(f, "monbot_udp_echo_refused_total", reason="too_large"), 1.0,
             "the 65 000-byte datagram is counted as too_large")

        r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        r.bind(("127.0.0.4", 0))
        for i in range(10):
            r.sendto(f"{i}:1700000000.{i}".encode(), ("127.0.0.1", port))
        t.eq(sentinel(srv, "127.0.0.5"), b"0:1700000000.5", "sentinel after the burst")
        got = drain(r)
        t.eq(got, [b"0:1700000000.0", b"1:1700000000.1"], "10 datagrams at UDP_ECHO_RATE=2: exactly 2 answered")
        t.eq(metric(fams(srv), "monbot_udp_echo_refused_total", reason="rate"), 8.0, "8 refused for rate")
        a.close()
        r.close()

        # ---- point 8: /metrics ----
        t.ok("commands" in one_sample(srv, key), "the agent's sample is answered")
        st, body, hdr = get(srv, "/metrics")
        t.eq(st, 401, "/metrics without the token: 401")
        t.eq(hdr.get("WWW-Authenticate"), "Bearer", "401 names the Bearer scheme")
        t.ok("nick-visible-7" not in body and "monbot_" not in body, "401 body has no nickname or series",
             body[:200])
        st, body, _ = get(srv, "/metrics", "wrong-token")
        t.eq(st, 401, "/metrics with a wrong token: 401")
        st, body, _ = get(srv, "/metrics", TOKEN)
        t.eq(st, 200, "/metrics with the token: 200")
        f = parse_metrics(body)
        ids = agent_ids(f, "nick-visible-7")
        t.eq(len(ids), 1, "the agent's series is there with the token")
        t.ok(ids and ids[0] != old_id(key) and len(ids[0]) == 16, "the id label is not the unkeyed hash",
             (ids, old_id(key)))
        kp = os.path.join(base, "metrics-id.key")
        t.eq(stat.S_IMODE(os.stat(kp).st_mode), 0o600, "metrics-id.key is 0600")
        t.eq(metric(f, "monbot_connections_rejected_total", reason="metrics_auth"), 2.0,
             "the two refused reads are counted")
        t.eq(srv.stop(), 0, "exit 0")
        srv.log_path = os.path.join(base, "server-2.log")
        srv.start()
        one_sample(srv, key)
        t.eq(agent_ids(fams(srv), "nick-visible-7"), ids, "the id label is the same after a restart")
    finally:
        t.eq(srv.stop(), 0, "exit 0 at the end")
        if os.environ.get("KEEP"):
            t.diag(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    t.done()


main()
