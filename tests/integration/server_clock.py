#!/usr/bin/python3
"""Issue 9 point 1: nothing lost, nothing twice under a wrong agent clock.
The real monbot-agent runs under tests/helpers/clockshim.c (LD_PRELOAD): its
wall clock (time, gettimeofday, CLOCK_REALTIME) is offset by the seconds in
a file the test rewrites mid-run; its monotonic clock and the server's
clocks are untouched. Cases: 120 s behind while the server is down and
spooling, 10 min ahead across a server restart, a jump from 1970 to now,
two agents on one key (one 110 s ahead) across an outage, 10 min ahead
across a SIGKILL with samples stored but not acknowledged (a proxy holds the
server's replies), and a backlog of re-stamped samples followed by sane
ones (the clock corrected right after the reconnection). In each the
agent's own count of samples taken equals the rows stored (none lost, none
twice), a clean stop leaves 0 unacknowledged, and every stored ts is sane.
SQLite, then MariaDB."""
import os
import re
import select
import socket
import sys
import threading
import time
import types

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from server import (O, Server, Tap, agent_has_link, agent_log, on_both_backends,  # noqa: E402
                    start_agent, stop_agent)

t = Tap()
SHIM = os.path.abspath(os.path.join(O, "tests", "libclockshim.so"))


class Proxy:
    """TCP relay between the agent and the server. While `hold` is set the
    server's bytes (replies, acks) stay unread; drop() closes every relayed
    connection without passing on what was held."""

    def __init__(self, port):
        self.port_to = port
        self.hold = False
        self.conns = []
        self.mu = threading.Lock()
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(8)
        self.port = self.ls.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def view(self, srv):
        return types.SimpleNamespace(port=self.port, tls=srv.tls, udp_port=srv.udp_port)

    def _accept(self):
        while True:
            try:
                a, _ = self.ls.accept()
            except OSError:
                return
            try:
                b = socket.create_connection(("127.0.0.1", self.port_to))
            except OSError:
                a.close()
                continue
            with self.mu:
                self.conns.append((a, b))
            threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, a, b):
        try:
            while True:
                want = [a] if self.hold else [a, b]
                r, _, _ = select.select(want, [], [], 0.05)
                for s in r:
                    if self.hold and s is b:
                        continue
                    d = s.recv(65536)
                    if not d:
                        raise OSError("closed")
                    (b if s is a else a).sendall(d)
        except (OSError, ValueError):
            pass
        for s in (a, b):
            try:
                s.close()
            except OSError:
                pass

    def drop(self):
        with self.mu:
            for a, b in self.conns:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            self.conns = []

    def close(self):
        self.drop()
        self.ls.close()


def set_offset(path, seconds):
    with open(path + ".tmp", "w") as f:
        f.write(str(int(seconds)))
    os.replace(path + ".tmp", path)


def clocked_agent(srv, key, wd, offset):
    os.makedirs(wd, exist_ok=True)
    cf = os.path.join(wd, "clock")
    set_offset(cf, offset)
    p = start_agent(srv, key, wd, extra={"LD_PRELOAD": SHIM, "MONBOT_CLOCK_FILE": cf})
    p.clock = cf
    return p


def stop_report(p):
    rc = stop_agent(p)
    m = re.search(r"(\d+) samples taken, (\d+) unacknowledged, (\d+) dropped", agent_log(p))
    return rc, (tuple(int(x) for x in m.groups()) if m else None)


def rows(srv, key):
    return [int(r[0]) for r in srv.rows("SELECT ts FROM metrics WHERE secret=? ORDER BY ts", (key,))]


def wait_rows(srv, key, n, timeout=30):
    end = time.time() + timeout
    while time.time() < end and len(rows(srv, key)) < n:
        time.sleep(0.2)


def reconnected(p, n, timeout=60):
    """Waits (events, not time) until the agent logged its n-th connection
    and one reply came on it, so a restarted server has been reached."""
    end = time.time() + timeout
    while time.time() < end and agent_log(p).count("connected to ") < n:
        time.sleep(0.2)
    t.ok(agent_log(p).count("connected to ") >= n, f"agent connected {n} times")
    time.sleep(2)


def settle(p, secs):
    time.sleep(secs)
    t.ok(p.poll() is None, "agent still running")


def check_agent(tag, name, srv, key, reports, lo, hi):
    got = rows(srv, key)
    taken = sum(r[0] for r in reports)
    t.eq([r[1] for r in reports], [0] * len(reports), f"[{tag}] {name}: a clean stop, 0 unacknowledged")
    t.eq([r[2] for r in reports], [0] * len(reports), f"[{tag}] {name}: 0 dropped")
    t.eq(len(got), taken, f"[{tag}] {name}: every sample taken stored exactly once ({taken})")
    bad = [x for x in got if x < lo or x > hi]
    t.eq(bad, [], f"[{tag}] {name}: every ts within [{lo}, {hi}]")


def case_behind(tag, wd, kw):
    srv = Server(wd, **kw).start()
    key = srv.new_key("behind")
    t0 = int(time.time())
    p = clocked_agent(srv, key, os.path.join(wd, "behind"), 0)
    wait_rows(srv, key, 3)
    srv.stop()
    set_offset(p.clock, -120)   # a restart without a real-time clock
    settle(p, 6)                # spooling, 120 s behind
    srv.start()
    reconnected(p, 2)
    rc, rep = stop_report(p)
    t.eq(rc, 0, f"[{tag}] behind: agent exit 0")
    check_agent(tag, "120 s behind, spooled while down", srv, key, [rep], t0 - 130, int(time.time()) + 2)
    srv.stop()


def case_ahead(tag, wd, kw):
    srv = Server(wd, **kw).start()
    key = srv.new_key("ahead")
    t0 = int(time.time())
    p = clocked_agent(srv, key, os.path.join(wd, "ahead"), 600)
    wait_rows(srv, key, 3)
    settle(p, 1)
    srv.stop()
    settle(p, 2)
    srv.start()
    reconnected(p, 2)
    rc, rep = stop_report(p)
    t.eq(rc, 0, f"[{tag}] ahead: agent exit 0")
    # Stamped by the server at or below each arrival: a burst after the
    # outage fills the seconds before it.
    check_agent(tag, "10 min ahead, across a restart", srv, key, [rep], t0 - 60, int(time.time()))
    srv.stop()


def case_jump(tag, wd, kw):
    srv = Server(wd, **kw).start()
    key = srv.new_key("jump")
    t0 = int(time.time())
    p = clocked_agent(srv, key, os.path.join(wd, "jump"), -(t0 - 86400))   # 1970-01-02
    wait_rows(srv, key, 3)
    settle(p, 1)
    set_offset(p.clock, 0)
    settle(p, 4)
    rc, rep = stop_report(p)
    t.eq(rc, 0, f"[{tag}] jump: agent exit 0")
    check_agent(tag, "a jump from 1970 to now", srv, key, [rep], t0 - 60, int(time.time()) + 5)
    srv.stop()


def case_two(tag, wd, kw):
    srv = Server(wd, **kw).start()
    key = srv.new_key("two")
    t0 = int(time.time())
    p1 = clocked_agent(srv, key, os.path.join(wd, "two1"), 0)
    p2 = clocked_agent(srv, key, os.path.join(wd, "two2"), 110)
    wait_rows(srv, key, 4)
    srv.stop()
    settle(p1, 5)               # both spool
    srv.start()
    reconnected(p1, 2)
    reconnected(p2, 2)
    rc1, rep1 = stop_report(p1)
    rc2, rep2 = stop_report(p2)
    t.eq((rc1, rc2), (0, 0), f"[{tag}] two: agents exit 0")
    check_agent(tag, "two agents on one key, one 110 s ahead", srv, key, [rep1, rep2], t0,
                int(time.time()) + 112)
    srv.stop()


def case_crash(tag, wd, kw):
    """SIGKILL with re-stamped samples stored but not acknowledged: the
    agent resends them to the new process, which must find them."""
    srv = Server(wd, **kw).start()
    key = srv.new_key("crash")
    px = Proxy(srv.port)
    t0 = int(time.time())
    p = clocked_agent(px.view(srv), key, os.path.join(wd, "crash"), 600)
    wait_rows(srv, key, 3)
    px.hold = True              # acks from here on never reach the agent
    n = len(rows(srv, key))
    wait_rows(srv, key, n + 3)
    held = len(rows(srv, key)) - n
    t.ok(held >= 3, f"[{tag}] crash: {held} samples stored while their acks were held")
    srv.kill()
    px.drop()
    px.hold = False
    settle(p, 2)                # spooling
    srv.start()
    reconnected(p, 2)
    rc, rep = stop_report(p)
    t.eq(rc, 0, f"[{tag}] crash: agent exit 0")
    # Stamps lie at or below each sample's arrival: a backlog fills the
    # seconds before it.
    check_agent(tag, "10 min ahead, SIGKILL with samples stored but not acked", srv, key, [rep],
                t0 - 60, int(time.time()))
    srv.stop()
    px.close()


def case_collide(tag, wd, kw):
    """A backlog of re-stamped samples, then the clock corrected at once:
    the sane samples must find their seconds free."""
    srv = Server(wd, **kw).start()
    key = srv.new_key("collide")
    t0 = int(time.time())
    p = clocked_agent(srv, key, os.path.join(wd, "collide"), 600)
    wait_rows(srv, key, 3)
    srv.stop()
    settle(p, 8)                # eight or so spooled, 10 min ahead
    srv.start()
    end = time.time() + 60
    while time.time() < end and agent_log(p).count("connected to ") < 2:
        time.sleep(0.05)
    set_offset(p.clock, 0)      # NTP caught up: sane from here on
    settle(p, 8)
    rc, rep = stop_report(p)
    t.eq(rc, 0, f"[{tag}] collide: agent exit 0")
    check_agent(tag, "re-stamped backlog, then sane samples", srv, key, [rep], t0 - 60,
                int(time.time()) + 2)
    srv.stop()


def check(tag, wd, mariadb=None):
    kw = {"db": "mysql", "mariadb": mariadb} if mariadb else {}
    for name, fn in (("behind", case_behind), ("ahead", case_ahead), ("jump", case_jump),
                     ("two", case_two), ("crash", case_crash), ("collide", case_collide)):
        if os.environ.get("CLOCK_CASES") and name not in os.environ["CLOCK_CASES"].split(","):
            continue
        d = os.path.join(wd, name)
        os.makedirs(d)
        fn(tag, d, kw)


def main():
    if not agent_has_link() or not os.path.exists(SHIM):
        t.skip("clock tests", "agent link or clock shim not built")
        t.done()
    on_both_backends(t, "mb-clock.", check)
    t.done()


main()
