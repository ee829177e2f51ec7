#!/usr/bin/python3
"""Issue 10: ownership. A second Telegram user can neither see, status,
rename, delete, plot nor command the first user's key: through commands
(by secret and by name, and through a group chat whose active key is the
first user's), through the real buttons of the first user's status message
in a shared group, and through forged callback_data for every verb (the
status message's, the list's, the charts' "ch:"/"cr:", the alerts'
"al:"/"mu:"). Each is refused, and nothing goes out: no photo, no
document, no message with the key's data, no command row, no alert row,
no change to the key. BOT_ALLOWED_USERS refuses everyone else."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bottest import SECRET_RE, BotRig, data_of, text_of  # noqa: E402
from server import Tap, agent_has_link  # noqa: E402

t = Tap()
A, B, G = 8001, 8002, -100200300
REFUSED = "⛔ That key is not yours (or no longer exists)."
UNKNOWN = "Unknown button."


def state(rig, secret):
    """Everything a refused action must leave as it was."""
    s = rig.srv
    return (s.rows("SELECT nickname FROM agents WHERE secret=?", (secret,)),
            sorted(s.rows("SELECT user_id FROM agent_owners WHERE secret=?", (secret,))),
            s.rows("SELECT command, requested_by FROM command_queue ORDER BY id"),
            s.rows("SELECT user_id, metric FROM alert_rules ORDER BY user_id, metric"),
            s.rows("SELECT chat_id, secret FROM chat_active ORDER BY chat_id"))


def leaks(rig, since, secret):
    """Calls after since, to anyone but the key's owner A (whose own alert
    may fire on a busy machine), that carry a file, the key's figures or a
    button for it."""
    out = []
    for c in rig.d.calls(since=since + 1):
        p = c["params"]
        if str(p.get("chat_id")) == str(A):
            continue
        if c["method"] in ("sendPhoto", "sendDocument", "sendMediaGroup"):
            out.append((c["method"], p.get("chat_id")))
        txt = (p.get("text") or "") + (p.get("caption") or "")
        if "CPU:" in txt or "🕒" in txt or secret in str(p.get("reply_markup") or ""):
            out.append((c["method"], p.get("chat_id"), txt[:80]))
    return out


def commands_of_b(rig, secret):
    mark = rig.d.mark()
    before = state(rig, secret)
    for cmd in (f"/status {secret}", "/status web", f"/set {secret}", f"/renamekey {secret} mine",
                "/renamekey web mine", f"/delkey {secret}", "/delkey web", f"/setalert {secret} cpu 1",
                f"/delalert {secret} cpu", f"/mute {secret} 1h", f"/plot {secret} cpu 1h", "/plot web cpu 1h"):
        m = rig.ask(B, cmd, "You have no key")
        t.ok(m is not None and "CPU:" not in text_of(m),
             f"B's {cmd.split()[0]} {'by secret' if secret in cmd else 'by name'} is refused", rig.d.explain(4))
    m = rig.ask(B, "/list", None)
    t.ok(m and "No keys" in text_of(m) and secret not in text_of(m), "B's /list shows none of A's keys")
    t.ok(rig.ask(B, "/status", "No active key") is not None, "B has no active key")
    m = rig.ask(B, "/status", "No active key", chat=G)
    t.ok(m is not None, "B's /status in a group where A's key is active is refused")
    m = rig.ask(B, "/delkey", "Usage", chat=G)
    time.sleep(1.5)  # a late photo or command would show below
    t.eq(state(rig, secret), before, "B's commands changed nothing (key, owners, commands, alerts, chats)")
    t.eq(leaks(rig, mark, secret), [], "and nothing of A's key went out")


FORGED = ["st:{s}", "ss:{s}", "bk:{s}", "sp:{s}", "dg:{s}", "sb:{s}", "sbi:100:{s}", "sbd:100:300:{s}",
          "rb:{s}", "sd:{s}", "rby:{s}", "sdy:{s}", "no:{s}", "ch:all:{s}", "ch:cpu:{s}", "ch:net:{s}",
          "cr:cpu:1h:{s}", "cr:all:10m:{s}", "cr:net:7d:{s}", "mu:1h:cpu:{s}", "mu:rc:*:{s}",
          "al:mt:3600:{s}", "al:mo:{s}"]


def buttons_of_b(rig, secret, group_status):
    """Forged data on B's own message, and A's real buttons in the shared group."""
    anchor = rig.ask(B, "/help", "Commands")
    mark = rig.d.mark()
    before = state(rig, secret)
    for f in FORGED:
        ans = rig.press(B, anchor, f.format(s=secret))
        t.eq((ans or {}).get("text"), REFUSED, f"forged {f.split(':')[0]}:...:<A's key> is refused")
    for data in data_of(group_status):
        if data == "ls":
            continue
        ans = rig.press(B, group_status, data, chat=G)
        t.eq((ans or {}).get("text"), REFUSED, f"B pressing A's button {data.split(':')[0]} in the group is refused")
    t.ok(rig.press(B, anchor, "lp:0") is not None, "lp: is answered")
    rig.press(B, group_status, "ls", chat=G)
    g = rig.edited(G, group_status["message_id"], lambda m: "No keys" in text_of(m))
    t.ok(g is not None and secret not in text_of(g) and "CPU:" not in text_of(g),
         "B's list button in the group lists B's keys (none), not A's")
    time.sleep(1.5)
    t.eq(state(rig, secret), before, "no forged or foreign button changed anything")
    t.eq(leaks(rig, mark, secret), [], "and none sent a photo, a document, A's figures or A's buttons")


def deleted_key(rig, secret):
    """Once A deletes the key, A's own old buttons are refused too."""
    m = rig.ask(A, f"/delkey {secret}", "Key deleted")
    t.ok(m is not None, "A deletes the key")
    anchor = rig.ask(A, "/help", "Commands")
    for f in ("st:{s}", "sp:{s}", "rby:{s}", "ch:cpu:{s}", "mu:1h:cpu:{s}"):
        ans = rig.press(A, anchor, f.format(s=secret))
        t.eq((ans or {}).get("text"), REFUSED, f"a deleted key's {f.split(':')[0]}: is refused")


def main_rig():
    rig = BotRig("bot-own-")
    try:
        rig.d.user(A, first_name="Ann")
        rig.d.user(B, first_name="Bob")
        m = rig.ask(A, "/newkey web", "Key created")
        secret = SECRET_RE.search(text_of(m)).group(1)
        rig.agent(secret)
        rig.wait_rows("SELECT COUNT(*) FROM metrics WHERE secret=?", (secret,), lambda r: r[0][0] >= 1)
        rig.ask(A, f"/set {secret}", "Active", chat=G)
        st = rig.ask(A, "/status", "web", chat=G, kb=True)
        t.ok(st is not None and f"sp:{secret}" in data_of(st), "A's status message in the group")
        st = st and rig.edited(G, st["message_id"], lambda m: "Asking" not in text_of(m))
        rig.ask(A, "/setalert web cpu 99", None)
        commands_of_b(rig, secret)
        if st:
            buttons_of_b(rig, secret, st)
        deleted_key(rig, secret)
    finally:
        rig.close()


def allowed_rig():
    rig = BotRig("bot-allow-", env={"BOT_ALLOWED_USERS": str(A)})
    try:
        m = rig.ask(B, "/start", None)
        t.ok(m and "private" in text_of(m), "BOT_ALLOWED_USERS: a user not listed is refused", text_of(m))
        mark = rig.d.mark()
        m = rig.ask(B, "/newkey x", None)
        t.ok(m and "Key created" not in text_of(m), "and cannot make a key")
        t.eq(rig.srv.rows("SELECT COUNT(*) FROM agent_owners WHERE user_id=?", (B,)), [(0,)],
             "no key is made for them")
        ans = rig.press(B, m, "ls") if m else None
        t.ok(ans and "Not allowed" in (ans.get("text") or ""), "their buttons are refused too")
        t.ok(rig.ask(A, "/start", "Hi!") is not None, "a listed user is served")
        t.ok(all(int(c["params"].get("chat_id", 0)) != B or "private" in (c["params"].get("text") or "")
                 for c in rig.d.calls("sendMessage", since=mark + 1)), "the refused user got only the refusals")
    finally:
        rig.close()


if not agent_has_link():
    t.skip("bot ownership", "no agent binary")
else:
    main_rig()
    allowed_rig()
t.done()
