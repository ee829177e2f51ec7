#!/usr/bin/python3
"""Issue 11 end to end: the Telegram double, a real monbot-server and real
monbot-agents, every action from the status message's buttons. Reboot and
shutdown ask first and then reach the port layer exactly once (the stub
`shutdown` on the agent's PATH records each call: see lib/actions.py for
why nothing here can power off this machine); No sends nothing; an agent
with AGENT_ALLOW_POWER=0 answers with its refusal and nothing runs; a
reboot queued for an offline host past COMMAND_TTL is not delivered when
it comes back, and its requester is told. Speedtest (the built-in one
against this server) and diagnostics (the built-in report, as
diagnostics.txt) come back in the chat."""
import base64
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from actions import agent, make_bin, make_live_root, power_log  # noqa: E402
from bottest import WAIT, BotRig, data_of, text_of  # noqa: E402
from server import Tap, stop_agent  # noqa: E402

t = Tap()
ALICE = {"id": 7201, "first_name": "Alice", "username": "alice"}
TTL = 4


def status_msg(r, name):
    m = r.ask(ALICE, f"/status {name}", "Updated", kb=True)
    t.ok(m is not None, f"/status {name} has the keyboard", r.d.explain())
    return m


def press_verb(r, m, verb, secret):
    """Presses verb's button on m (checked to be there); the next bot message after it."""
    mark = r.d.last_mid(ALICE["id"])
    t.ok(f"{verb}:{secret}" in data_of(m), f"the status message has {verb}:")
    r.press(ALICE, m, f"{verb}:{secret}")
    return mark


def question(r, name, secret, verb):
    m = status_msg(r, name)
    mark = press_verb(r, m, verb, secret)
    yes = "rby" if verb == "rb" else "sdy"
    q = r.d.wait_message(ALICE["id"], lambda x: f"{yes}:{secret}" in data_of(x), WAIT, after=mark)
    t.ok(q is not None and f"no:{secret}" in data_of(q), f"{verb}: a question with Yes and No")
    return q


def cmds(r, secret, verb):
    return r.srv.rows("SELECT state, answer FROM command_queue WHERE secret=? AND command=? ORDER BY id",
                      (secret, verb))


def power(r, base, secret, name):
    pb = os.path.join(base, "p1")
    # ---- No -----------------------------------------------------------------------
    q = question(r, name, secret, "rb")
    r.press(ALICE, q, f"no:{secret}")
    t.ok(r.edited(ALICE["id"], q["message_id"], lambda x: "Cancelled" in text_of(x)) is not None,
         "No: the question says cancelled")
    time.sleep(2)
    t.eq(cmds(r, secret, "reboot"), [], "No: no command recorded")
    t.eq(power_log(pb), [], "No: nothing reached the port layer")
    # ---- reboot, then shutdown ---------------------------------------------------
    for verb, word, arg in (("rb", "reboot", "-r now"), ("sd", "shutdown", "-h now")):
        mark = r.d.last_mid(ALICE["id"])
        q = question(r, name, secret, verb)
        r.press(ALICE, q, f"{'rby' if verb == 'rb' else 'sdy'}:{secret}")
        e = r.edited(ALICE["id"], q["message_id"],
                     lambda x: ("Rebooting" if word == "reboot" else "Shutting down") in text_of(x))
        t.ok(e is not None, f"{word}: the agent's answer replaces the question", text_of(e))
        r.wait_rows("SELECT 1 FROM command_queue WHERE secret=? AND command=? AND state=2", (secret, word), bool)
        n = r.d.wait_message(ALICE["id"], lambda x: "going down" in text_of(x) and word in text_of(x),
                             WAIT, after=mark)
        t.eq(text_of(n), f"\u23fb {name} is going down: {word} requested by @alice.",
             f"{word}: the owner is told it is going down")
    deadline = time.time() + WAIT
    while time.time() < deadline and len(power_log(pb)) < 2:
        time.sleep(0.2)
    time.sleep(2)
    t.eq(power_log(pb), ["-r now", "-h now"], "each reached the port layer exactly once")


def refused(r, base, secret, name):
    q = question(r, name, secret, "rb")
    mark = r.d.last_mid(ALICE["id"])
    r.press(ALICE, q, f"rby:{secret}")
    e = r.edited(ALICE["id"], q["message_id"], lambda x: "disabled" in text_of(x))
    t.eq(text_of(e), "Power commands are disabled on this host (AGENT_ALLOW_POWER=0): reboot refused.",
         "AGENT_ALLOW_POWER=0: the refusal in the chat")
    time.sleep(2)
    t.eq(power_log(os.path.join(base, "p2")), [], "AGENT_ALLOW_POWER=0: nothing ran")
    t.eq([x for x in r.d.bot_messages(ALICE["id"]) if x["message_id"] > mark and "going down" in text_of(x)],
         [], "and no going-down notice")


def speed_and_diag(r, secret, name):
    m = status_msg(r, name)
    mark = press_verb(r, m, "sp", secret)
    p = r.d.wait_message(ALICE["id"], lambda x: "Speedtest" in text_of(x), 90, after=mark)
    mm = re.match(r"Speedtest \(monitoring server\): download ([0-9.]+) Mbit/s, upload ([0-9.]+) Mbit/s",
                  text_of(p))
    t.ok(mm and float(mm.group(1)) > 1 and float(mm.group(2)) > 1,
         "speedtest: the built-in test's rates in the chat (over 1 Mbit/s on loopback)", text_of(p))
    m = status_msg(r, name)
    c0 = r.d.mark()
    press_verb(r, m, "dg", secret)
    doc = r.d.wait_call("sendDocument", lambda c: str(c["params"].get("chat_id")) == str(ALICE["id"]),
                        timeout=90, after=c0)
    doc = r.d.calls("sendDocument", since=doc["i"], data=True)[0] if doc else None
    f = [x for x in (doc or {}).get("files", []) if x["name"] == "document"]
    t.eq((f[0]["filename"], f[0]["mime"]) if f else None, ("diagnostics.txt", "text/plain"),
         "diagnostics: sent as diagnostics.txt")
    body = base64.b64decode(f[0]["data_b64"]).decode() if f else ""
    missing = [h for h in ("OS", "Kernel", "CPU", "Memory", "Uptime", "Mounts", "Interfaces")
               if not re.search("^" + h, body, re.M)]
    t.eq(missing, [], "diagnostics: the built-in report's sections", )


def expired(r, base, secret, name, a1):
    stop_agent(a1)
    time.sleep(2)  # the server has seen the close: the command is queued, not delivered
    mark = r.d.last_mid(ALICE["id"])
    q = question(r, name, secret, "rb")
    r.press(ALICE, q, f"rby:{secret}")
    n = r.d.wait_message(ALICE["id"], lambda x: "was dropped" in text_of(x), WAIT, after=mark)
    t.ok(n is not None and re.fullmatch(rf"\u231b reboot for {name} \(asked at \d\d:\d\d\) was dropped: the host "
                                        r"did not connect in time \(COMMAND_TTL\)\.", text_of(n)),
         "a reboot queued past COMMAND_TTL: the requester is told", text_of(n))
    before = power_log(os.path.join(base, "p1"))
    a = agent(r.srv, secret, os.path.join(base, "p1"), "agent-back", r.bindir, r.live)
    r.agents.append(a)
    r.wait_rows("SELECT COUNT(*) FROM metrics WHERE secret=?", (secret,), lambda x: x and x[0][0] > 0)
    time.sleep(3)
    t.eq(power_log(os.path.join(base, "p1")), before, "back online: the expired reboot is not delivered")
    t.eq([s for s, _ in cmds(r, secret, "reboot")][-1:], [3], "and its record reads expired")


def main():
    r = BotRig("mb-bot-actions.", env={"COMMAND_TTL": str(TTL), "LOG_LEVEL": "INFO"})
    try:
        base = r.tmp
        r.bindir = make_bin(base, "bin", ["shutdown"])
        for d in ("p1", "p2"):
            os.makedirs(os.path.join(base, d), exist_ok=True)
        r.live = make_live_root(base)
        r.ask(ALICE, "/newkey web1", "Key created")
        r.ask(ALICE, "/newkey nopower", "Key created")
        keys = dict(r.srv.rows("SELECT nickname, secret FROM agents"))
        a1 = agent(r.srv, keys["web1"], os.path.join(base, "p1"), "agent1", r.bindir, r.live)
        a2 = agent(r.srv, keys["nopower"], os.path.join(base, "p2"), "agent2", r.bindir, r.live,
                   extra={"AGENT_ALLOW_POWER": "0"})
        r.agents += [a1, a2]
        for k in keys.values():
            r.wait_rows("SELECT 1 FROM metrics WHERE secret=?", (k,), bool)
        power(r, base, keys["web1"], "web1")
        refused(r, base, keys["nopower"], "nopower")
        speed_and_diag(r, keys["web1"], "web1")
        expired(r, base, keys["web1"], "web1", a1)
        r.agents.remove(a1)
    finally:
        r.close()
    t.done()


main()
