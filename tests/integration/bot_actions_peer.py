#!/usr/bin/python3
"""Issue 11, the server's half against an agent that speaks the protocol as
the original's agent does (python3-websockets, its texts): the stability
report and its chart from a result with a known loss pattern (exact
figures, a decodable PNG), the command record's answer, the "going down"
notice to every owner when the agent says it reboots (not when it refuses,
not on confirmation), cancel sends nothing, and /history lists the
commands with who asked and what the agent answered. The real agent's own
actions are in agent_actions.py and bot_actions.py."""
import asyncio
import base64
import json
import os
import re
import sys
import threading
import time

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bottest import WAIT, BotRig, data_of, png_check, text_of  # noqa: E402
from server import Tap, original_sample  # noqa: E402

t = Tap()
ALICE = {"id": 7101, "first_name": "Alice", "username": "alice"}
BOB = {"id": 7102, "first_name": "Bob", "username": "bob"}

# 600 packets at 500 ms: 10 ms on even packets, 12 ms on odd ones; lost:
# 100..109 (5 s, one outage of 3 s or more) and 300 (alone).
LOST = set(range(100, 110)) | {300}
RTTS = [None if i in LOST else (10.0 if i % 2 == 0 else 12.0) for i in range(600)]


class Peer:
    """An agent with the original's behaviour, on its own thread: a sample a
    second, and for each command the answer given in answers (a list of
    messages, or a function of the command)."""
    def __init__(self, srv, key, answers):
        self.srv, self.key, self.answers = srv, key, answers
        self.got = []
        self.stop = False
        self.th = threading.Thread(target=lambda: asyncio.run(self.main()), daemon=True)
        self.th.start()

    async def main(self):
        async with websockets.connect(self.srv.ws_url(self.key), max_size=None) as ws:
            i, next_sample = 0, 0.0
            while not self.stop:
                if time.monotonic() >= next_sample:
                    await ws.send(json.dumps(original_sample(i, full=True)))
                    i += 1
                    next_sample = time.monotonic() + 1
                try:
                    msg = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
                except asyncio.TimeoutError:
                    continue
                for c in msg.get("commands", []):
                    self.got.append(c)
                    a = self.answers(c) if callable(self.answers) else self.answers.get(c.split()[0], [])
                    for m in a:
                        await ws.send(json.dumps(m))

    def close(self):
        self.stop = True
        self.th.join(10)


def answers(cmd):
    verb = cmd.split()[0]
    if verb == "stability":
        start = time.time() - 300
        return [{"stability": {"start_ts": start, "interval_ms": 500, "rtts": RTTS[:400], "done": False}},
                {"stability": {"start_ts": start, "interval_ms": 500, "rtts": RTTS[400:], "done": True}}]
    if verb == "reboot":
        answers.reboots += 1
        if answers.reboots == 1:  # the first one refused, as an agent with power off does
            return [{"text": "Power commands are disabled on this host (AGENT_ALLOW_POWER=0): reboot refused."}]
        return [{"text": "\u26a1\ufe0f Rebooting\u2026"}]  # the original's text
    return []


answers.reboots = 0


def status_msg(r, user, name):
    m = r.ask(user["id"], f"/status {name}", "Updated", kb=True)
    t.ok(m is not None, f"/status {name} for {user['first_name']} has the keyboard", r.d.explain())
    return m


def press_for(r, user, m, verb):
    """Presses the button whose data starts with verb: on m; the data."""
    ds = [d for d in data_of(m) if d.startswith(verb + ":")]
    if not ds:
        t.ok(False, f"a {verb}: button", data_of(m))
        return None
    r.press(user, m, ds[0])
    return ds[0]


def ask_reboot(r, secret):
    """The status message's reboot button: the question (a new message with Yes/No), or None."""
    m = status_msg(r, ALICE, "web1")
    mark = r.d.last_mid(ALICE["id"])
    press_for(r, ALICE, m, "rb")
    return r.d.wait_message(ALICE["id"], lambda x: f"rby:{secret}" in data_of(x), WAIT, after=mark)


def cmd_rows(r, secret):
    return r.srv.rows("SELECT id, command, requested_by, state, answer FROM command_queue WHERE secret=? "
                      "ORDER BY id", (secret,))


def main():
    r = BotRig("mb-bot-actions-peer.")
    peer = None
    try:
        d = r.d
        m = r.ask(ALICE, "/newkey web1", "Key created")
        secret = r.srv.rows("SELECT secret FROM agents WHERE nickname='web1'")[0][0]
        r.ask(BOB, f"/linkkey {secret}", "Key added")
        peer = Peer(r.srv, secret, answers)
        r.wait_rows("SELECT 1 FROM metrics WHERE secret=?", (secret,), bool)

        # ---- stability: the report and the chart --------------------------------
        m = status_msg(r, ALICE, "web1")
        mark = d.last_mid(ALICE["id"])
        press_for(r, ALICE, m, "sb")
        m = r.edited(ALICE["id"], m["message_id"], lambda x: any(v.startswith("sbi:500:") for v in data_of(x)))
        t.ok(m is not None, "stability asks for the interval")
        r.press(ALICE, m, f"sbi:500:{secret}")
        m = r.edited(ALICE["id"], m["message_id"], lambda x: any(v.startswith("sbd:500:300:") for v in data_of(x)))
        t.ok(m is not None, "then for the duration")
        calls0 = d.mark()
        r.press(ALICE, m, f"sbd:500:300:{secret}")
        rep = d.wait_message(ALICE["id"], lambda x: "Stability test done" in text_of(x), WAIT, after=mark)
        t.ok(rep is not None, "the report arrives", d.explain())
        body = text_of(rep)
        t.ok("Packets: 600, lost: 11 (1.8%)" in body, "report: packets and loss exact", body)
        t.ok("Ping: 11.0 ms average, jitter 2.0 ms" in body, "report: average ping and jitter exact", body)
        t.ok(re.search(r"Outages of 3 s or more: 1\n• \d\d:\d\d:\d\d, 5\.0 s$", body) is not None,
             "report: the one outage of 5 s, listed with its time", body)
        ph = d.wait_call("sendPhoto", lambda c: str(c["params"].get("chat_id")) == str(ALICE["id"]),
                         timeout=WAIT, after=calls0)
        ph = d.calls("sendPhoto", since=ph["i"], data=True)[0] if ph else None
        f = [x for x in (ph or {}).get("files", []) if x["name"] == "photo"]
        t.eq(png_check(base64.b64decode(f[0]["data_b64"])) if f else None, (1600, 800),
             "the stability chart is a valid 1600x800 PNG")
        rows = [x for x in cmd_rows(r, secret) if x[1].startswith("stability")]
        t.eq([(x[1], x[2], x[3]) for x in rows], [("stability 500 300", ALICE["id"], 2)],
             "the command record: who asked, answered")
        t.eq(rows[0][4] if rows else None,
             "stability: 600 packets, 11 lost (1.8%), ping 11.00 ms average, jitter 2.00 ms, "
             "1 outages of 3 s or more (+50.0 s for 5.0 s)", "the record's answer has the same figures")

        # ---- reboot: cancel, refused, carried out ------------------------------------
        q = ask_reboot(r, secret)
        t.ok(q is not None and f"no:{secret}" in data_of(q), "reboot asks to confirm, with a cancel button")
        r.press(ALICE, q, f"no:{secret}")
        c = r.edited(ALICE["id"], q["message_id"], lambda x: "Cancelled" in text_of(x))
        t.ok(c is not None and not data_of(c), "cancel: the question says so and loses its buttons")
        time.sleep(1.5)
        t.eq([x for x in cmd_rows(r, secret) if x[1] == "reboot"], [], "cancel sends nothing")
        t.eq([c for c in peer.got if c == "reboot"], [], "and the agent gets nothing")

        # a Yes that is not on a question this server asked (forged, or from before a restart)
        m = status_msg(r, ALICE, "web1")
        a = r.press(ALICE, m, f"rby:{secret}")
        t.eq((a or {}).get("text"), "This question has expired.", "a Yes on another message: refused")
        time.sleep(1.5)
        t.eq([x for x in cmd_rows(r, secret) if x[1] == "reboot"], [], "and nothing is sent")

        marks = {u["id"]: d.last_mid(u["id"]) for u in (ALICE, BOB)}
        for attempt in (1, 2):
            q = ask_reboot(r, secret)
            r.press(ALICE, q, f"rby:{secret}")
            r.wait_rows("SELECT 1 FROM command_queue WHERE secret=? AND command='reboot' AND state=2",
                        (secret,), lambda rows: len(rows) == attempt)
        a = r.press(ALICE, q, f"rby:{secret}")
        t.eq((a or {}).get("text"), "This question has expired.", "a question's Yes counts once")
        time.sleep(1.5)
        rb = [x for x in cmd_rows(r, secret) if x[1] == "reboot"]
        t.eq([(x[2], x[3]) for x in rb], [(ALICE["id"], 2), (ALICE["id"], 2)],
             "two confirmed reboots reached the agent and were answered")
        t.ok(len(rb) == 2 and "refused" in (rb[0][4] or "") and "Rebooting" in (rb[1][4] or ""),
             "the record keeps each answer", rb)
        for u in (ALICE, BOB):
            n = d.wait_message(u["id"], lambda x: "going down" in text_of(x), WAIT, after=marks[u["id"]])
            t.eq(text_of(n), "\u23fb web1 is going down: reboot requested by @alice.",
                 f"the going-down notice reaches owner {u['first_name']}")
        time.sleep(1)
        for u in (ALICE, BOB):
            downs = [x for x in d.bot_messages(u["id"]) if "going down" in text_of(x)]
            t.eq(len(downs), 1, f"{u['first_name']}: one notice, none for the refused reboot")

        # ---- /history ----------------------------------------------------------------
        h = r.ask(BOB, "/history web1", "Commands for")
        lines = text_of(h).split("\n")
        t.eq(len(lines), 1 + 3, "/history: a heading and the three commands (status requests left out)")
        t.ok(lines[1].endswith("reboot — @alice, answered: \u26a1\ufe0f Rebooting\u2026") if len(lines) > 1 else False,
             "/history: newest first, with who asked and the answer", lines)
        t.ok(any("stability 500 300 — @alice, answered: stability: 600 packets" in x for x in lines),
             "/history: the stability test with its figures", lines)
        other = {"id": 7199, "first_name": "Mallory", "username": "mallory"}
        t.ok(r.ask(other, f"/history {secret}", "You have no key") is not None,
             "/history of a key one does not own: not found")
    finally:
        if peer:
            peer.close()
        r.close()
    t.done()


main()
