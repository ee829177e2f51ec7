#!/usr/bin/python3
"""Issue 11, the stability test end to end: a real monbot-server (TLS) and a
real monbot-agent whose AGENT_UDP_PORT is a UDP relay of this test's in
front of the server's echo. The relay passes every datagram (0 % loss),
or drops every 10th one (exactly 10 %), or drops a 3 s stretch while it
sends the agent, from another socket, well-formed echoes of exactly the
packets it dropped (which must not count). Results are read from the
command record (`command-show`), whose answer carries the same figures as
the bot's report. 20 ms x 10 s = 500 packets."""
import json
import os
import re
import shutil
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from actions import WAIT, agent, make_bin, make_live_root  # noqa: E402
from server import Server, Tap, stop_agent, tmpdir  # noqa: E402

t = Tap()


class Relay:
    """agent <-> relay <-> server echo, dropping by mode; a second socket
    spoofs replies from another source port."""
    def __init__(self, server_port):
        self.server = ("127.0.0.1", server_port)
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", 0))
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.bind(("127.0.0.1", 0))
        self.spoof = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.spoof.bind(("127.0.0.1", 0))
        self.port = self.front.getsockname()[1]
        self.mode = "pass"
        self.agent = None
        self.stop = False
        self.dropped = 0
        for fn in (self.up, self.down):
            threading.Thread(target=fn, daemon=True).start()

    def drop(self, idx):
        if self.mode == "tenth":
            return idx % 10 == 9
        if self.mode == "outage":
            return 200 <= idx < 350
        return False

    def up(self):
        self.front.settimeout(0.2)
        while not self.stop:
            try:
                data, src = self.front.recvfrom(2048)
            except socket.timeout:
                continue
            self.agent = src
            m = re.match(rb"(\d+):", data)
            if m and self.drop(int(m.group(1))):
                self.dropped += 1
                if self.mode == "outage":  # a well-formed echo, but not from where the agent sent
                    self.spoof.sendto(data, src)
                continue
            self.back.sendto(data, self.server)

    def down(self):
        self.back.settimeout(0.2)
        while not self.stop:
            try:
                data, _ = self.back.recvfrom(2048)
            except socket.timeout:
                continue
            if self.agent:
                self.front.sendto(data, self.agent)

    def close(self):
        self.stop = True


def run(srv, key, relay, mode):
    relay.mode = mode
    relay.dropped = 0
    cid = int(srv.cli("command", key, "stability 20 10").stdout.split()[-1])
    end = time.time() + 10 + WAIT
    rec = {}
    while time.time() < end:
        rec = json.loads(srv.cli("command-show", str(cid)).stdout)
        if rec.get("state") == "answered":
            break
        time.sleep(0.5)
    return rec.get("answer") or ""


def main():
    base = tmpdir("mb-agent-stability.")
    srv = Server(base, tls=True).start()
    relay = Relay(srv.udp_port)
    a = None
    try:
        key = srv.new_key("stab")
        a = agent(srv, key, base, "agent", make_bin(base, "bin", ["shutdown"]), make_live_root(base),
                  extra={"AGENT_UDP_PORT": str(relay.port)})
        ans = run(srv, key, relay, "pass")
        t.ok(re.match(r"stability: 500 packets, 0 lost \(0\.0%\), ping [0-9.]+ ms average, jitter [0-9.]+ ms, "
                      r"0 outages of 3 s or more$", ans), "20 ms x 10 s on loopback: 500 packets, none lost", ans)
        ans = run(srv, key, relay, "tenth")
        t.eq(relay.dropped, 50, "the relay dropped every 10th packet")
        t.ok(re.match(r"stability: 500 packets, 50 lost \(10\.0%\), .* 0 outages of 3 s or more$", ans),
             "every 10th dropped: exactly 10 % loss, no outage", ans)
        ans = run(srv, key, relay, "outage")
        t.eq(relay.dropped, 150, "the relay dropped packets 200..349 (3 s) and echoed them from elsewhere")
        t.ok(re.match(r"stability: 500 packets, 150 lost \(30\.0%\), .* 1 outages of 3 s or more "
                      r"\(\+4\.0 s for 3\.0 s\)$", ans),
             "a 3 s outage: listed at +4 s; the spoofed echoes did not count", ans)
    finally:
        relay.close()
        if a:
            stop_agent(a)
        srv.stop()
        if t.failed == 0:
            shutil.rmtree(base, ignore_errors=True)
    t.done()


main()
