#!/usr/bin/python3
"""TLS session resumption (RFC 5077 tickets) between the real agent and the
real server, and with an independent client (Python's ssl, OpenSSL): the
agent's reconnect after a server restart resumes its session (no key
exchange), the static x86_64 board agent's too (its own mbedTLS
configuration), samples keep being stored, and /metrics counts full and resumed
handshakes exactly. An OpenSSL client resumes too, within one server run
and across a restart; a client that offers no session gets a full one (the
original agent's way)."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from server import ROOT, Server, Tap, agent_log, metric, start_agent, stop_agent, tmpdir, wait_for  # noqa: E402

t = Tap()
# the static musl board agent (make boards; its own mbedTLS configuration)
BOARD_AGENT = os.path.join(ROOT, "build", "x86_64", "monbot-agent")


def handshakes(srv):
    """(full, resumed) as /metrics says, the fetch's own full handshake taken off."""
    m = srv.metrics()
    return (int(metric(m, "monbot_tls_handshakes_total", kind="full")) - 1,
            int(metric(m, "monbot_tls_handshakes_total", kind="resumed")))


def healthz(srv, c, session=None):
    """GET /healthz over one TLS connection: (status line, session, reused)."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as raw:
        with c.wrap_socket(raw, server_hostname="localhost", session=session) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                b = s.recv(4096)
                if not b:
                    break
                data += b
            return data.split(b"\r\n", 1)[0].decode(), s.session, s.session_reused


def stored(srv, key):
    return srv.rows("SELECT COUNT(*) FROM metrics WHERE secret=?", (key,))[0][0]


def main():
    base = tmpdir("mb-tls-resume.")
    srv = Server(base, tls=True).start()
    agents = [("the agent", srv.new_key("resume"), None)]
    if os.access(BOARD_AGENT, os.X_OK):
        agents.append(("the x86_64 board agent", srv.new_key("board"), BOARD_AGENT))
    else:
        t.skip("the x86_64 board agent", "build/x86_64/monbot-agent not built (make boards)")
    procs = [start_agent(srv, key, os.path.join(base, f"agent{i}"), interval=1, binary=b)
             for i, (_, key, b) in enumerate(agents)]
    na = len(agents)
    try:
        for (name, key, _), p in zip(agents, procs):
            t.ok(wait_for(lambda: stored(srv, key) >= 2), f"{name} stores samples")
            log = agent_log(p)
            t.eq(log.count("connected to "), 1, f"{name}: one connection")
            t.eq(log.count("session resumed"), 0, f"{name}: the first connection is a full handshake")
        t.eq(handshakes(srv), (na, 0), "/metrics: the agents' full handshakes, none resumed")

        # an OpenSSL client: a full handshake, then resumed from its ticket
        c = srv.ssl_ctx()  # no verification: one context, so its sessions can be offered
        line, sess, reused = healthz(srv, c)
        t.eq((line, reused), ("HTTP/1.1 200 OK", False), "OpenSSL: first connection, full")
        t.ok(sess is not None and sess.has_ticket, "OpenSSL: the server gave a session ticket")
        line, sess2, reused = healthz(srv, c, sess)
        t.eq((line, reused), ("HTTP/1.1 200 OK", True), "OpenSSL: second connection resumed")
        line, _, reused = healthz(srv, c)
        t.eq((line, reused), ("HTTP/1.1 200 OK", False), "OpenSSL: no session offered, a full one")
        t.eq(handshakes(srv), (na + 3, 1), "/metrics: 3 more full (the first fetch, 2 OpenSSL), 1 resumed")

        # the server restarts: each agent's reconnect resumes its session
        counts = [stored(srv, key) for _, key, _ in agents]
        t.eq(srv.stop(), 0, "server exits 0")
        srv.start()
        for (name, key, _), p, n in zip(agents, procs, counts):
            t.ok(wait_for(lambda: agent_log(p).count("connected to ") >= 2), f"{name} reconnected after the restart")
            line = [x for x in agent_log(p).splitlines() if "connected to " in x][-1]
            t.ok("session resumed" in line, f"{name}: the reconnect resumed its session", line)
            t.ok(wait_for(lambda: stored(srv, key) >= n + 2), f"{name}: samples stored after the resumed reconnect")
        t.eq(handshakes(srv), (0, na), "/metrics after the restart: the agents resumed, no full handshake")

        # OpenSSL's session of the previous run: resumed by the new process
        line, _, reused = healthz(srv, c, sess2)
        t.eq((line, reused), ("HTTP/1.1 200 OK", True), "OpenSSL: a ticket of the previous run resumes")
        t.eq(handshakes(srv), (1, na + 1), "/metrics: 1 full (the fetch), the agents' and OpenSSL's resumed")
        for (name, _, _), p in zip(agents, procs):
            t.ok(p.poll() is None, f"{name} still runs")
    finally:
        for (name, _, _), p in zip(agents, procs):
            t.eq(stop_agent(p), 0, f"{name} exits 0")
        t.eq(srv.stop(), 0, "server exits 0 at the end")
    t.done()


if __name__ == "__main__":
    main()
