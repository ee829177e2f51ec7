#!/usr/bin/python3
"""The Bot API client (server/bot/tg.c) under tests/unit/tg_drive against the
Telegram double (tests/fakes/tgdouble.py, in this process): JSON and
multipart calls, "message is not modified", Telegram's rates (1 s per chat,
~30 a second overall), retry_after (no call at all before it expires),
retries of 502s and dropped connections (delivered once), the classes'
retry rules (TG_REPLY gives up after 5 tries, TG_ALERT outlasts an outage,
TG_ONCE tries once), the getUpdates offset across polls, shutdown, and a
log without the token. Assertions are on the double's record of calls."""
import os
import queue
import struct
import subprocess
import sys
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "lib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))
from server import Tap, tmpdir  # noqa: E402
import tgdouble  # noqa: E402

t = Tap()
TOKEN = "123456:TEST-token"


class Drive:
    """tg_drive as a child: commands in, result lines out."""

    def __init__(self, url, logpath):
        exe = os.path.join(os.environ.get("O", os.path.join(ROOT, "build", "native")), "tests", "tg_drive")
        env = dict(os.environ, TELEGRAM_API_URL=url, BOT_TOKEN=TOKEN, LOG_LEVEL="DEBUG")
        for k in ("http_proxy", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
            env.pop(k, None)
        self.log = open(logpath, "w")
        self.p = subprocess.Popen([exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                  text=True, bufsize=1, env=env)
        self.q = queue.Queue()
        self.backlog = []
        self.updates = []
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_line(lambda s: s == "ready", 10)

    def _read(self):
        for line in self.p.stdout:
            self.q.put(line.rstrip("\n"))
        self.q.put(None)

    def cmd(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def wait_line(self, pred, timeout):
        for i, s in enumerate(self.backlog):
            if pred(s):
                return self.backlog.pop(i)
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                s = self.q.get(timeout=left)
            except queue.Empty:
                return None
            if s is None:
                return None
            if s.startswith("updates "):
                self.updates.append(s)
            if pred(s):
                return s
            self.backlog.append(s)

    def done(self, tag, timeout=30):
        s = self.wait_line(lambda x: x.startswith(f"done {tag} "), timeout)
        if s is None:
            return None
        head, _, desc = s.partition(" desc=")
        out = dict(kv.split("=", 1) for kv in head.split()[2:])
        out = {k: int(v) for k, v in out.items()}
        out["desc"] = desc
        return out

    def close(self):
        try:
            self.cmd("quit")
        except (BrokenPipeError, ValueError):
            pass
        bye = self.wait_line(lambda s: s == "bye", 15)
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.log.close()
        return bye, self.p.returncode


def png(w, h):
    raw = b"".join(b"\x00" + b"".join(bytes((x * 7 % 256, y * 9 % 256, 128)) for x in range(w))
                   for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) +
            chunk(b"IEND", b""))


def calls(d, method, chat=None):
    with d.lock:
        return [c for c in d.calls if c["method"] == method and
                (chat is None or str(c["params"].get("chat_id")) == str(chat))]


def delivered(d, chat):
    with d.lock:
        return [m for m in d.msgs.get(chat, {}).values() if m["bot"] and not m["deleted"]]


def add_chats(d, ids):
    with d.lock:
        for cid in ids:
            d.chat_for(cid, d.user(cid))


def push_message(d, uid, text):
    with d.lock:
        u = d.user(uid)
        c = d.chat_for(uid, u)
        return d.push_update({"message": {"message_id": 900 + d.next_update_id % 100, "from": dict(u),
                                          "chat": dict(c), "date": int(time.time()), "text": text}})


def max_per_window(times, w=1.0):
    times = sorted(times)
    best, j = 0, 0
    for i in range(len(times)):
        while times[i] - times[j] >= w:
            j += 1
        best = max(best, i - j + 1)
    return best


def basics(d, dr):
    dr.cmd("send s1 1001 reply hello <there> & \"you\"")
    r = dr.done("s1")
    t.ok(r and r["ok"] == 1 and r["http"] == 200 and r["mid"] == 1, "sendMessage: ok, message_id 1", r)
    c = calls(d, "sendMessage", 1001)
    t.eq([x["params"].get("text") for x in c], ['hello <there> & "you"'], "the text arrives as sent, as JSON")
    t.ok(c and c[0]["content_type"].startswith("application/json"), "a JSON body", c and c[0]["content_type"])
    dr.cmd("edit e1 1001 1 reply hello <there> & \"you\"")
    r = dr.done("e1")
    t.ok(r and r["ok"] == 1 and r["nm"] == 1 and r["http"] == 400, "an unchanged edit: ok, not modified", r)
    dr.cmd("edit e2 1001 1 reply changed")
    r = dr.done("e2")
    t.ok(r and r["ok"] == 1 and r["nm"] == 0 and r["mid"] == 1, "a real edit: ok, message_id 1", r)
    t.eq([m["message"]["text"] for m in delivered(d, 1001)], ["changed"], "the message was edited")
    dr.cmd("edit e3 1001 77 reply nothing there")
    r = dr.done("e3")
    t.ok(r and r["ok"] == 0 and r["http"] == 400 and r["code"] == 400 and
         r["desc"] == "Bad Request: message to edit not found", "another 400: failure with Telegram's words", r)
    t.eq(len([x for x in calls(d, "editMessageText") if str(x["params"].get("message_id")) == "77"]), 1,
         "a 400 is not retried")
    d.add_fault("502", count=3, method="answerCallbackQuery")
    dr.cmd("answer a1 nosuchquery")
    r = dr.done("a1")
    t.ok(r and r["ok"] == 0 and r["http"] == 502, "TG_ONCE on a 502: failure", r)
    t.eq(len(calls(d, "answerCallbackQuery")), 1, "TG_ONCE: one try only")
    d.clear_faults()


def spacing(d, dr):
    dr.cmd("send p1 1002 reply first")
    dr.cmd("send p2 1002 reply second")
    dr.cmd("send p3 1002 reply third")
    rs = [dr.done(x) for x in ("p1", "p2", "p3")]
    t.ok(all(r and r["ok"] == 1 for r in rs), "three messages to one chat: all ok", rs)
    c = calls(d, "sendMessage", 1002)
    t.eq([x["params"]["text"] for x in c], ["first", "second", "third"], "in order")
    gaps = [round(b["t"] - a["t"], 3) for a, b in zip(c, c[1:])]
    t.ok(len(gaps) == 2 and min(gaps) >= 1.0, "one chat: calls at least 1 s apart at the double", gaps)


def retry_after(d, dr):
    # polling (1 s long polls) runs all along: it must also wait out the 429
    d.add_fault("429", count=1, retry_after=2, method="sendMessage")
    dr.cmd("send r1 1003 reply after the limit")
    r = dr.done("r1", 20)
    t.ok(r and r["ok"] == 1, "a 429: delivered afterwards", r)
    c = calls(d, "sendMessage", 1003)
    t.eq([x["status"] for x in c], [429, 200], "the same call retried once, after retry_after")
    t.eq(len(delivered(d, 1003)), 1, "delivered once")
    with d.lock:
        during, by = d.during_retry, dict(d.during_retry_by_method)
        until = d.retry_until
    t.ok(during == 0, "no call of any method reached the double before retry_after expired", by)
    time.sleep(1.5)
    t.ok(any(x["t"] >= until for x in calls(d, "getUpdates")), "long polling resumed after it")


def faults(d, dr):
    d.add_fault("502", count=1, method="sendMessage")
    d.add_fault("drop", count=1, method="sendMessage")
    dr.cmd("send f1 1004 alert through the faults")
    r = dr.done("f1", 20)
    t.ok(r and r["ok"] == 1, "a 502 and a dropped connection: delivered", r)
    c = calls(d, "sendMessage", 1004)
    t.eq([x["fault"] for x in c], ["502", "drop", None], "both retried, then answered")
    t.eq(len(delivered(d, 1004)), 1, "delivered exactly once")
    d.clear_faults()


def global_rate(d, dr):
    chats = list(range(2001, 2041))
    add_chats(d, chats)
    for cid in chats:
        dr.cmd(f"send g{cid} {cid} reply to chat {cid}")
    rs = [dr.done(f"g{cid}", 30) for cid in chats]
    t.ok(all(r and r["ok"] == 1 for r in rs), "40 messages to 40 chats: all ok")
    times = [x["t"] for x in calls(d, "sendMessage") if int(x["params"]["chat_id"]) in chats]
    t.eq(len(times), 40, "40 calls, none retried")
    most = max_per_window(times)
    t.ok(most <= 31, "never more than 31 calls in one second", most)


def give_up(d, dr):
    d.add_fault("502", count=100, method="sendMessage")
    dr.cmd("send u1 1005 reply never")
    r = dr.done("u1", 40)
    t.ok(r and r["ok"] == 0 and r["http"] == 502, "TG_REPLY on a permanent 502: failure reported", r)
    t.eq(len(calls(d, "sendMessage", 1005)), 5, "after exactly 5 tries")
    d.clear_faults()


def outage(d, dr):
    d.add_fault("outage", seconds=10)
    t0 = time.monotonic()
    dr.cmd("send o1 1006 alert the host is down")
    r = dr.done("o1", 60)
    t.ok(r and r["ok"] == 1, "TG_ALERT through a 10 s outage: delivered", r)
    c = calls(d, "sendMessage", 1006)
    t.ok(len(c) >= 4 and all(x["fault"] == "outage" for x in c[:-1]) and c[-1]["status"] == 200 and
         c[-1]["t"] >= t0 + 10, "retried through it, answered after it",
         [(x["fault"], x["status"], round(x["t"] - t0, 2)) for x in c])
    t.eq(len(delivered(d, 1006)), 1, "delivered once")
    d.clear_faults()


def photo(d, dr, base):
    data = png(40, 30)
    path = os.path.join(base, "chart.png")
    with open(path, "wb") as f:
        f.write(data)
    dr.cmd(f"photo ph1 1007 {path} cpu_1h.png CPU, last hour")
    r = dr.done("ph1")
    t.ok(r and r["ok"] == 1 and r["mid"] == 1, "sendPhoto: ok", r)
    c = calls(d, "sendPhoto", 1007)
    f = c[0]["files"] if c else []
    t.ok(c and c[0]["content_type"].startswith("multipart/form-data"), "a multipart body")
    t.eq([(x["name"], x["filename"], x["mime"]) for x in f], [("photo", "cpu_1h.png", "image/png")],
         "one file part: name, filename, type")
    t.ok(f and f[0]["data"] == data, "the file's exact bytes", f and len(f[0]["data"]))
    t.eq(c and c[0]["params"].get("caption"), "CPU, last hour", "the caption as a form field")


def polling_offset(d, dr):
    ids = [push_message(d, 500, f"/m{i}")["update_id"] for i in range(3)]
    dr.cmd("poll 0 1")
    s = dr.wait_line(lambda x: x.startswith("updates 3 "), 10)
    t.eq(s, "updates 3 " + ",".join(map(str, ids)), "the first poll gets the queued updates")
    more = [push_message(d, 500, f"/n{i}")["update_id"] for i in range(2)]
    s = dr.wait_line(lambda x: x.startswith("updates 2 "), 10)
    t.eq(s, "updates 2 " + ",".join(map(str, more)), "the next poll only the new ones")
    offs = [int(x["params"].get("offset", 0)) for x in calls(d, "getUpdates")]
    t.ok(offs[:2] == [0, ids[-1] + 1] and offs == sorted(offs) and offs[-1] <= more[-1] + 1,
         "polls carry the offset the callback set", offs)
    p = calls(d, "getUpdates")[0]["params"]
    t.eq((p.get("timeout"), p.get("allowed_updates")), (1, ["message", "callback_query"]),
         "timeout and allowed_updates")
    return ids + more


def conflict(d, dr, url, base):
    # first polling again as usual (the outage before backed it off)
    dr.backlog = [x for x in dr.backlog if not x.startswith("updates")]
    t.ok(dr.wait_line(lambda x: x == "updates 0 -", 40), "polling as usual")
    other = Drive(url, os.path.join(base, "other.log"))
    other.cmd("poll 0 1")
    time.sleep(4)
    other.close()
    with d.lock:
        n = d.conflicts
    t.ok(n >= 2, "a second poller: the double ends polls with 409 Conflict", n)
    uid = push_message(d, 501, "/after")["update_id"]
    s = dr.wait_line(lambda x: x.startswith("updates 1 "), 40)
    t.eq(s, f"updates 1 {uid}", "when it has gone, polling goes on")
    return [uid]


def main():
    base = tmpdir("mb-bot-api.")
    d = tgdouble.Double(token=TOKEN)
    srv = tgdouble.start_server(d)
    url = f"http://127.0.0.1:{srv.server_port}/"
    add_chats(d, [1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008])
    logpath = os.path.join(base, "drive.log")
    dr = Drive(url, logpath)
    try:
        want_updates = polling_offset(d, dr)
        basics(d, dr)
        spacing(d, dr)
        retry_after(d, dr)
        faults(d, dr)
        photo(d, dr, base)
        global_rate(d, dr)
        give_up(d, dr)
        outage(d, dr)
        want_updates += conflict(d, dr, url, base)
        d.add_fault("outage", seconds=60)
        dr.cmd("send z1 1008 alert left behind")
        time.sleep(0.3)
        dr.cmd("quit")
        r = dr.done("z1", 10)
        t.ok(r and r["ok"] == 0 and r["desc"] == "shutting down", "tg_free: pending calls end 'shutting down'", r)
        t.ok(dr.wait_line(lambda s: s == "bye", 10), "the driver frees the client and ends")
        got = [int(x) for line in dr.updates for x in line.split()[2].split(",") if x != "-"]
        t.eq(got, want_updates, "every update handed over once")
    finally:
        _, rc = dr.close()
        tgdouble.stop_server(srv)
    t.eq(rc, 0, "the driver exits with status 0 (no sanitizer report)")
    with open(logpath) as f:
        log = f.read()
    t.ok("TEST-token" not in log, "the log never shows the token")
    t.ok("sendMessage" in log and "getUpdates" in log, "the log names the methods")
    warned = [x for x in log.splitlines() if "409" in x and " DEBUG " not in x]
    t.eq(len(warned), 1, "a 409 Conflict is logged once (then at DEBUG only)")
    t.done()


if __name__ == "__main__":
    main()
