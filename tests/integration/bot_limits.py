#!/usr/bin/python3
"""Issue 10: Telegram's limits. /list of 200 keys goes out as several
messages, each at most 4096 UTF-16 units and each accepted by the double's
parser (so no entity was cut); every key is listed once; the keyboard stays
under Telegram's 100 buttons by pages turned in place, and over all pages
every key has its button; every callback_data of every keyboard the bot
sent is at most 64 bytes. Names with HTML and Markdown characters, quotes,
Cyrillic and a newline are escaped and shown literally, in /list, /status,
/newkey and /renamekey."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bottest import SECRET_RE, BotRig, data_of, text_of, u16len  # noqa: E402
from server import Tap  # noqa: E402

t = Tap()
U = 9001
N = 200
SPECIAL = ['a<b>&"c\'d', "*bold* _it_ `code` [x](y)", "<i>not italic</i>", "&amp; &lt;", "сервер «№1»",
           "x" * 32, "🚀 emoji 🧪"]


def all_markups(rig):
    out = []
    for c in rig.d.calls():
        rm = c["params"].get("reply_markup")
        if rm:
            out.append(rm if isinstance(rm, dict) else json.loads(rm))
    return out


def main():
    rig = BotRig("bot-limits-")
    try:
        rig.d.user(U, first_name="Lim")
        names = [SPECIAL[i] if i < len(SPECIAL) else f"host-{i:03d}" for i in range(N)]
        secrets = []
        for n in names:
            secrets.append(rig.srv.cli("key", "new", n, "--owner", str(U)).stdout.split()[0])
        t.eq(len(set(secrets)), N, f"{N} keys made for one user")

        mark_mid = rig.d.last_mid(U)
        mark = rig.d.mark()
        rig.d.say(U, "/list")
        last = rig.d.wait_message(U, lambda m: m.get("reply_markup") is not None, after=mark_mid, timeout=120)
        t.ok(last is not None, "/list ends with a message carrying the keyboard", rig.d.explain())
        parts = [m for m in rig.d.bot_messages(U) if m["message_id"] > mark_mid]
        sends = rig.d.calls("sendMessage", since=mark + 1)
        t.ok(len(parts) > 1, f"the list is split over several messages ({len(parts)})")
        t.ok(all(c["response"] and c["response"].get("ok") for c in sends),
             "Telegram accepted every part (limits and HTML entities)",
             [c["response"] for c in sends if not (c["response"] or {}).get("ok")])
        t.ok(all(u16len(c["params"]["text"]) <= 4096 for c in sends), "every part is within 4096 UTF-16 units",
             [u16len(c["params"]["text"]) for c in sends])
        t.ok(all(u16len(m["text"]) <= 4096 for m in parts), "and so is every shown text")
        body = "\n".join(text_of(m) for m in parts)
        t.eq([s for s in secrets if body.count(s) != 1], [], "every key is listed exactly once")
        for n in SPECIAL:
            t.ok(n in body, f"the name {n!r} is shown literally")

        # pages of buttons, turned in place
        seen, pages, msg = set(), 0, last
        while msg is not None and pages < 20:
            ds = data_of(msg)
            t.ok(len(ds) <= 100, f"page {pages + 1}: {len(ds)} buttons, within Telegram's 100")
            seen |= {d[3:] for d in ds if d.startswith("ss:")}
            nxt = [d for d in ds if d.startswith("lp:")]
            pages += 1
            if len(nxt) < 3 or len(seen) == N:
                break
            before = ds
            rig.press(U, msg, nxt[2])
            msg = rig.edited(U, msg["message_id"], lambda m: data_of(m) != before)
        t.eq(len(seen), N, f"over {pages} pages every key has its button")
        t.eq(seen, set(secrets), "and only the user's keys")

        # /newkey and /renamekey with special characters, a newline cut
        m = rig.ask(U, "/newkey <b>x</b> & \"y\"", "(")
        t.ok(m and '<b>x</b> & "y"' in text_of(m), "/newkey shows a name with HTML literally", text_of(m))
        m = rig.ask(U, f"/renamekey {secrets[10]} first line\nsecond line", "→")
        t.eq(rig.srv.rows("SELECT nickname FROM agents WHERE secret=?", (secrets[10],)), [("first line",)],
             "/renamekey keeps the first line of a name")
        m = rig.ask(U, f"/status {secrets[0]}", "a<b>", kb=True)
        t.ok(m and SPECIAL[0] in text_of(m), "/status shows the name literally", text_of(m))
        m = rig.ask(U, f"/status {SPECIAL[1]}", "code", kb=True)
        t.ok(m and SPECIAL[1] in text_of(m), "/status finds a key by a name with spaces and Markdown")

        bad = []
        for mk in all_markups(rig):
            for row in mk.get("inline_keyboard", []):
                for b in row:
                    cd = b.get("callback_data")
                    if cd is not None and not (1 <= len(cd.encode()) <= 64):
                        bad.append(cd)
        t.eq(bad, [], "every callback_data the bot sent is 1-64 bytes")
        t.ok(SECRET_RE.search(secrets[0]) is not None, "secrets are 20 letters and digits")
    finally:
        rig.close()


main()
t.done()
