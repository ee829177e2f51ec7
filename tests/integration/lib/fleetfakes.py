"""Fake fleet sources for the agent's tests (tests/integration/agent_fleet.py,
fleet_e2e.py): a Docker Engine on a Unix socket (http.server over AF_UNIX,
replies in the Engine API's documented schema: ContainerSummary, one-shot
stats, inspect), NUT's upsd (LIST UPS / LIST VAR) and apcupsd's NIS on TCP.
Each answers from a state object the test may change while the agent runs."""
import json
import os
import socket
import socketserver
import struct
import threading
from http.server import BaseHTTPRequestHandler

FX = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "fleet"))


# ---- a Docker Engine on a Unix socket --------------------------------------

def summary(cid, name, state, status):
    """One ContainerSummary as GET /containers/json returns it."""
    return {"Id": cid, "Names": ["/" + name], "Image": "nginx:1.25", "ImageID": "sha256:" + "0" * 64,
            "Command": "nginx -g 'daemon off;'", "Created": 1701648000,
            "Ports": [{"PrivatePort": 80, "Type": "tcp"}], "Labels": {}, "State": state, "Status": status,
            "HostConfig": {"NetworkMode": "default"},
            "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "172.17.0.2"}}}, "Mounts": []}


class Engine:
    """The engine's state: containers is a list of (id, name, state, status,
    restarts), read afresh by every request (assign a new list to change it)."""

    def __init__(self, containers, truncate=False):
        self.containers = containers
        self.truncate = truncate
        self.calls = {}
        self.requests = []


class UnixHTTP(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *a):
        pass

    def address_string(self):
        return "unix"

    def reply(self, code, body, claim=None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Server", "Docker/24.0.7 (linux)")
        self.send_header("Content-Length", str(claim if claim is not None else len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        eng = self.server.engine
        eng.requests.append(self.path)
        path = self.path.split("?")[0]
        containers = eng.containers
        if path == "/containers/json":
            body = [summary(c[0], c[1], c[2], c[3]) for c in containers]
            if eng.truncate:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])  # and close: cut short
                return
            return self.reply(200, body)
        parts = path.split("/")
        byid = {c[0]: c for c in containers}
        if len(parts) == 4 and parts[1] == "containers" and parts[2] in byid:
            c = byid[parts[2]]
            if parts[3] == "json":
                return self.reply(200, {"Id": c[0], "Name": "/" + c[1], "RestartCount": c[4],
                                        "State": {"Status": c[2], "Running": c[2] == "running"}})
            if parts[3] == "stats":
                n = eng.calls[c[0]] = eng.calls.get(c[0], 0) + 1
                # each call: 0.5 s more CPU over 5 s more of 4 CPUs' time: 2.5 %
                return self.reply(200, {
                    "read": "2023-12-04T01:00:00Z", "pids_stats": {"current": 3},
                    "cpu_stats": {"cpu_usage": {"total_usage": 100000000000 + n * 500000000},
                                  "system_cpu_usage": 4000000000000000 + n * 20000000000, "online_cpus": 4},
                    "precpu_stats": {"cpu_usage": {"total_usage": 0}},
                    "memory_stats": {"usage": 52428800, "stats": {"inactive_file": 10485760}, "limit": 8589934592}})
        self.reply(404, {"message": "page not found"})


class Handler11(Handler):
    """The engine as Go's server is: keep-alive, pipelined requests answered in order."""
    protocol_version = "HTTP/1.1"


def start_engine(path, engine, http11=False):
    srv = UnixHTTP(path, Handler11 if http11 else Handler)
    srv.engine = engine
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


# ---- UPS daemons ------------------------------------------------------------

def tcp_listener():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    return s


class Nut:
    """upsd's state: the recorded LIST UPS and LIST VAR ups replies
    (tests/fixtures/fleet), with ups.status and battery.charge replaceable."""

    def __init__(self, silent=False):
        self.silent = silent
        with open(os.path.join(FX, "nut_list_ups.txt"), "rb") as f:
            self.list_ups = f.read()
        with open(os.path.join(FX, "nut_list_var.txt"), "rb") as f:
            self.list_var = f.read()
        self.var_asks = 0  # LIST VAR ups answered

    def set(self, status, charge):
        """What the next LIST VAR ups says: ups.status "status", battery.charge "charge"."""
        out = []
        for line in self.list_var.splitlines(True):
            if line.startswith(b"VAR ups ups.status "):
                line = b'VAR ups ups.status "%s"\n' % status.encode()
            elif line.startswith(b"VAR ups battery.charge "):
                line = b'VAR ups battery.charge "%d"\n' % charge
            out.append(line)
        self.list_var = b"".join(out)


def nut_server(s, silent=False, nut=None):
    """Serves nut (a Nut; a new one by default) on listener s; returns it."""
    nut = nut or Nut(silent)

    def serve(c):
        with c:
            f = c.makefile("rb")
            for line in f:
                if nut.silent:
                    continue  # reads, never answers
                cmd = line.decode().strip()
                if cmd == "LIST UPS":
                    c.sendall(nut.list_ups)
                elif cmd == "LIST VAR ups":
                    nut.var_asks += 1
                    c.sendall(nut.list_var)
                else:
                    c.sendall(b"ERR UNKNOWN-UPS\n")

    def loop():
        while True:
            c, _ = s.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
    return nut


def apc_server(s):
    def loop():
        while True:
            c, _ = s.accept()
            with c:
                hdr = c.recv(2)
                n = struct.unpack(">H", hdr)[0]
                cmd = c.recv(n)
                out = b""
                if cmd == b"status":
                    for line in open(os.path.join(FX, "apcupsd_status.txt"), "rb").read().splitlines(True):
                        out += struct.pack(">H", len(line)) + line
                c.sendall(out + b"\0\0")
    threading.Thread(target=loop, daemon=True).start()
