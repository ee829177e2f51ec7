#!/usr/bin/python3
"""TLS session resumption (RFC 5077 tickets) between the real agent and the
real server, and with an independent client (Python's ssl, OpenSSL): the
agent's reconnect after a server restart resumes its session (no key
exchange), samples keep being stored, and /metrics counts full and resumed
handshakes exactly. An OpenSSL client resumes too, within one server run
and across a restart; a client that offers no session gets a full one (the
original agent's way)."""
import os
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from server import Server, Tap, agent_log, metric, start_agent, stop_agent, tmpdir, wait_for  # noqa: E402

t = Tap()


def handshakes(srv):
    """(full, resumed) as /metrics says, the fetch's own full handshake taken off."""
    m = srv.metrics()
    return (int(metric(m, "monbot_tls_handshakes_total", kind="full")) - 1,
            int(metric(m, "monbot_tls_handshakes_total", kind="resumed")))


def ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


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
    key = srv.new_key("resume")
    agent = start_agent(srv, key, os.path.join(base, "agent"), interval=1)
    try:
        t.ok(wait_for(lambda: stored(srv, key) >= 2), "the agent stores samples")
        log = agent_log(agent)
        t.eq(log.count("connected to "), 1, "one connection")
        t.eq(log.count("session resumed"), 0, "the first connection is a full handshake")
        t.eq(handshakes(srv), (1, 0), "/metrics: the agent's full handshake, none resumed")

        # an OpenSSL client: a full handshake, then resumed from its ticket
        c = ctx()
        line, sess, reused = healthz(srv, c)
        t.eq((line, reused), ("HTTP/1.1 200 OK", False), "OpenSSL: first connection, full")
        t.ok(sess is not None and sess.has_ticket, "OpenSSL: the server gave a session ticket")
        line, sess2, reused = healthz(srv, c, sess)
        t.eq((line, reused), ("HTTP/1.1 200 OK", True), "OpenSSL: second connection resumed")
        line, _, reused = healthz(srv, c)
        t.eq((line, reused), ("HTTP/1.1 200 OK", False), "OpenSSL: no session offered, a full one")
        t.eq(handshakes(srv), (1 + 2 + 1, 1), "/metrics: 3 more full (the first fetch, 2 OpenSSL), 1 resumed")

        # the server restarts: the agent's reconnect resumes its session
        n = stored(srv, key)
        t.eq(srv.stop(), 0, "server exits 0")
        srv.start()
        t.ok(wait_for(lambda: agent_log(agent).count("connected to ") >= 2),
             "the agent reconnected after the restart")
        line = [x for x in agent_log(agent).splitlines() if "connected to " in x][-1]
        t.ok("session resumed" in line, "the agent's reconnect resumed its session", line)
        t.ok(wait_for(lambda: stored(srv, key) >= n + 2), "samples stored after the resumed reconnect")
        t.eq(handshakes(srv), (0, 1), "/metrics after the restart: the agent resumed, no full handshake")

        # OpenSSL's session of the previous run: resumed by the new process
        line, _, reused = healthz(srv, c, sess2)
        t.eq((line, reused), ("HTTP/1.1 200 OK", True), "OpenSSL: a ticket of the previous run resumes")
        t.eq(handshakes(srv), (1, 2), "/metrics: 1 full (the fetch), 2 resumed")
        t.ok(agent.poll() is None, "the agent still runs")
    finally:
        rc = stop_agent(agent)
        t.eq(rc, 0, "agent exits 0")
        t.eq(srv.stop(), 0, "server exits 0 at the end")
    t.done()


if __name__ == "__main__":
    main()
