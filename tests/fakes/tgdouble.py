#!/usr/bin/env python3
"""A Telegram Bot API test double (standard library only).

It answers /bot<token>/<method> like api.telegram.org (JSON, form, query and
multipart bodies; {"ok":...} answers with Telegram's error codes and
descriptions), keeps chats, messages and an update queue, records every call,
enforces Telegram's limits, and injects faults on request. A control API under
/_ctl/ (JSON) drives it: push user messages and button presses, read the
calls and the chats, set faults and rate limits. tests/integration/lib/tg.py
wraps both.

Run alone:  python3 tests/fakes/tgdouble.py [--port N] [--port-file F] [--token T]
(prints "tgdouble listening on 127.0.0.1:PORT"), or import it and call
start_server(Double(...)) for an in-process server on a thread."""
import argparse
import json
import os
import select
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tgcontrol  # noqa: E402  (the /_ctl/ API)
import tgmethods  # noqa: E402  (the Bot API methods)
from tgmethods import ApiError  # noqa: E402

BAD_GATEWAY = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
               b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
               b"</body>\r\n</html>\r\n")
MAX_BODY = 64 << 20
FAULT_KINDS = ("429", "not_modified", "502", "drop", "slow", "outage", "error")


class Drop(Exception):
    """Close the connection without an answer."""


class Double(tgmethods.Methods):
    """The state of one fake Telegram: one bot (token), its chats and calls."""

    def __init__(self, token="123456:TEST-token", bot_id=None, bot_username="monbot_test_bot",
                 bot_name="MonBot Test", first_update_id=10000):
        self.token = token
        head = token.split(":")[0]
        self.bot = {"id": bot_id or (int(head) if head.isdigit() else 1),
                    "is_bot": True, "first_name": bot_name, "username": bot_username}
        self.lock = threading.Condition()
        self.next_update_id = first_update_id
        self.stopping = False
        self.strict_amp = True    # a '&' outside an entity is refused (Telegram keeps it)
        self.callback_ttl = None  # seconds a callback query may be answered; None = forever
        self.poll_gen = 0
        self.polls_in_flight = 0
        self.local = threading.local()  # .conn: the socket of the call on this thread
        self._reset_state()

    def _reset_state(self):
        self.users = {}        # user id -> User
        self.chats = {}        # chat id -> Chat
        self.blocked = set()   # user ids that blocked the bot
        self.msgs = {}         # chat id -> {message_id: {"message", "bot", "deleted"}}
        self.next_mid = {}     # chat id -> next message_id
        self.updates = []      # pending (unconfirmed) updates
        self.callbacks = {}    # callback id -> {"query", "answered", "answer"}
        self.next_cb = 1
        self.commands = {}     # "scope|lang" -> [BotCommand]
        self.calls = []
        self.faults = []
        self.next_fault = 1
        self.rate = {"per_chat_per_sec": None, "strict_per_chat": False, "global_per_sec": 300,
                     "count_edits": False}
        self.sent_times = {}   # chat id -> [monotonic of accepted sends]
        self.global_times = []
        self.retry_until = 0.0
        self.during_retry = 0
        self.during_retry_by_method = {}
        self.retry_after_sent = 0
        self.conflicts = 0
        self.confirmed = 0
        self.files = {}        # file_id -> {"kind", "size", ...}
        self.next_file = 1

    def reset(self):
        with self.lock:
            self._reset_state()
            self.lock.notify_all()

    def stop(self):
        with self.lock:
            self.stopping = True
            self.lock.notify_all()

    # ---- faults ----
    def add_fault(self, kind, count=None, seconds=None, method=None, **kw):
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {FAULT_KINDS}")
        if count is None and seconds is None:
            count = 1
        with self.lock:
            f = {"id": self.next_fault, "kind": kind, "count": count, "method": method,
                 "until": time.monotonic() + seconds if seconds is not None else None,
                 "seconds": seconds, "retry_after": int(kw.get("retry_after", 5)),
                 "delay": float(kw.get("delay", 3.0)), "code": int(kw.get("code", 400)),
                 "description": kw.get("description", "Bad Request: forced by the test"), "fired": 0}
            self.next_fault += 1
            self.faults.append(f)
            return f["id"]

    def clear_faults(self):
        with self.lock:
            self.faults = []

    @staticmethod
    def _fault_matches(f, method, now):
        if f["until"] is not None and now >= f["until"]:
            return False
        if f["count"] is not None and f["count"] <= 0:
            return False
        m = f["method"]
        method = method.lower()  # Telegram's method names are case-insensitive
        if m is None:  # every method but getUpdates, which polls all the time
            return method != "getupdates"
        if m == "*":
            return True
        return method in [x.lower() for x in (m if isinstance(m, (list, tuple)) else [m])]

    def _take_fault(self, method, now):
        """The fault this call meets (consumed), or None. Lock held."""
        for f in self.faults:
            if f["kind"] == "outage" and self._fault_matches(dict(f, method=f["method"] or "*"), method, now):
                f["fired"] += 1
                return f
        for f in self.faults:
            if f["kind"] != "outage" and self._fault_matches(f, method, now):
                if f["count"] is not None:
                    f["count"] -= 1
                f["fired"] += 1
                return f
        return None

    def client_gone(self):
        """The bot closed the connection of this thread's call (a long poll it gave up)."""
        s = getattr(self.local, "conn", None)
        if s is None:
            return False
        try:
            r, _, _ = select.select([s], [], [], 0)
            return bool(r) and s.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _set_retry(self, seconds, now):
        self.retry_until = max(self.retry_until, now + seconds)
        self.retry_after_sent += 1

    # ---- one Bot API call ----
    def bot_call(self, http_method, token, method, params, files, raw_ctype):
        """Returns (status, body bytes, content type); raises Drop."""
        now = time.monotonic()
        with self.lock:
            rec = {"i": len(self.calls), "t": now, "wall": time.time(), "method": method,
                   "http_method": http_method, "content_type": raw_ctype, "params": params,
                   "files": files, "response": None, "status": None, "fault": None,
                   "during_retry_after": now < self.retry_until}
            self.calls.append(rec)
            if rec["during_retry_after"]:
                self.during_retry += 1
                self.during_retry_by_method[method] = self.during_retry_by_method.get(method, 0) + 1
            fault = self._take_fault(method, now)
            if fault:
                rec["fault"] = fault["kind"]
        try:
            status, body, ctype = self._answer(token, method, params, files, fault, rec)
        except Drop:
            with self.lock:
                rec["response"] = {"dropped": True}
                self.lock.notify_all()
            raise
        with self.lock:
            rec["status"] = status
            try:
                rec["response"] = json.loads(body)
            except ValueError:
                rec["response"] = {"raw": body.decode("utf-8", "replace")}
            self.lock.notify_all()
        return status, body, ctype

    def _answer(self, token, method, params, files, fault, rec):
        kind = fault["kind"] if fault else None
        if kind in ("drop", "outage"):
            raise Drop()
        if kind == "slow":
            time.sleep(fault["delay"])
        if kind == "502":
            return 502, BAD_GATEWAY, "text/html"
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            if "_error" in params:
                raise ApiError(400, params["_error"])
            if kind == "429":
                with self.lock:
                    self._set_retry(fault["retry_after"], time.monotonic())
                raise ApiError(429, f"Too Many Requests: retry after {fault['retry_after']}",
                               retry_after=fault["retry_after"])
            if kind == "not_modified":
                raise ApiError(400, tgmethods.NOT_MODIFIED)
            if kind == "error":
                raise ApiError(fault["code"], fault["description"])
            fn = self.METHODS.get(method.lower())
            if fn is None:
                raise ApiError(404, "Not Found")
            with self.lock:
                result = fn(self, params, files)
            body = {"ok": True, "result": result}
        except ApiError as e:
            body = {"ok": False, "error_code": e.code, "description": e.description}
            if e.retry_after is not None:
                body["parameters"] = {"retry_after": e.retry_after}
            return e.code, json.dumps(body, ensure_ascii=False).encode(), "application/json"
        return 200, json.dumps(body, ensure_ascii=False).encode(), "application/json"


# ---- request bodies ----
def parse_multipart(body, ctype):
    """multipart/form-data → (fields {name: str}, files [{name, filename, mime, data}])."""
    boundary = None
    for part in ctype.split(";")[1:]:
        k, _, v = part.strip().partition("=")
        if k.lower() == "boundary":
            boundary = v.strip('"')
    if not boundary:
        raise ValueError("no boundary")
    fields, files = {}, []
    delim = b"--" + boundary.encode()
    chunks = body.split(delim)
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        if chunk.endswith(b"\r\n"):
            chunk = chunk[:-2]
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        disp = headers.get("content-disposition", "")
        attrs = {}
        for item in disp.split(";")[1:]:
            k, _, v = item.strip().partition("=")
            attrs[k.lower()] = v.strip().strip('"')
        name = attrs.get("name", "")
        if "filename" in attrs:
            files.append({"name": name, "filename": attrs["filename"],
                          "mime": headers.get("content-type", "application/octet-stream"), "data": data})
        else:
            fields[name] = data.decode("utf-8", "replace")
    return fields, files


def parse_body(ctype, body, query):
    """(params, files) of one request; raises ApiError for an unreadable body."""
    params = {k: v[-1] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
    files = []
    base = ctype.split(";")[0].strip().lower()
    if body:
        if base == "application/json":
            try:
                obj = json.loads(body.decode("utf-8"))
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON object")
            if not isinstance(obj, dict):
                raise ApiError(400, "Bad Request: JSON object expected")
            params.update(obj)
        elif base == "multipart/form-data":
            try:
                fields, files = parse_multipart(body, ctype)
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse multipart/form-data")
            params.update(fields)
        else:  # application/x-www-form-urlencoded and anything else
            for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items():
                params[k] = v[-1]
    return params, files


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx/1.18.0"
    sys_version = ""

    def setup(self):
        super().setup()
        # Headers and body leave in two writes; with Nagle the body would
        # wait for the client's delayed ACK (40 ms a response), a cost
        # Telegram's front end does not have.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        if os.environ.get("TGDOUBLE_LOG"):
            sys.stderr.write("tgdouble: " + (fmt % args) + "\n")

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
                if len(out) > MAX_BODY:
                    raise ApiError(413, "Request Entity Too Large")
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise ApiError(413, "Request Entity Too Large")
        return self.rfile.read(n) if n else b""

    def _send(self, status, body, ctype):
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the bot went away
            self.close_connection = True

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _handle(self):
        d = self.server.double
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        try:
            body = self._body()
        except ApiError as e:
            self.close_connection = True
            return self._send(e.code, json.dumps({"ok": False, "error_code": e.code,
                                                  "description": e.description}).encode(), "application/json")
        ctype = self.headers.get("Content-Type", "")
        if path.startswith("/_ctl/"):
            status, obj = tgcontrol.handle(d, self.command, path[len("/_ctl/"):], ctype, body, url.query)
            return self._send(status, json.dumps(obj, ensure_ascii=False).encode(), "application/json")
        parts = path.split("/")
        if len(parts) != 3 or not parts[1].startswith("bot") or not parts[2]:
            return self._send(404, b'{"ok":false,"error_code":404,"description":"Not Found"}', "application/json")
        token, method = parts[1][3:], parts[2]
        try:
            params, files = parse_body(ctype, body, url.query)
        except ApiError as e:
            params, files = {"_unparsed": body[:2000].decode("utf-8", "replace")}, []
            params["_error"] = e.description
        d.local.conn = self.connection
        try:
            status, out, octype = d.bot_call(self.command, token, method, params, files, ctype)
        except Drop:
            return self._drop()
        self._send(status, out, octype)

    do_GET = _handle
    do_POST = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], OSError):  # a bot that hung up is no error
            super().handle_error(request, client_address)


def start_server(double, port=0, host="127.0.0.1"):
    """Starts the double on a daemon thread; returns the server (.server_port)."""
    srv = Server((host, port), Handler)
    srv.double = double
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                         name="tgdouble")
    t.start()
    srv.thread = t
    return srv


def stop_server(srv):
    srv.double.stop()
    srv.shutdown()
    srv.server_close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--token", default=os.environ.get("TGDOUBLE_TOKEN", "123456:TEST-token"))
    ap.add_argument("--bot-username", default="monbot_test_bot")
    a = ap.parse_args()
    srv = start_server(Double(token=a.token, bot_username=a.bot_username), a.port)
    port = srv.server_port
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, a.port_file)
    print(f"tgdouble listening on 127.0.0.1:{port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    stop_server(srv)


if __name__ == "__main__":
    main()
