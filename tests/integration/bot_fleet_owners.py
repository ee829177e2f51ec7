#!/usr/bin/python3
"""Issue 16, fleet alerts for a key with two owners, each with rules of
their own: a quota each (different GB and billing days) gives each owner
one message at their own crossing and their own line on /status; a
container stopping and one restarting too often reach both owners (one
owner's message does not hold back the other's); the firing message
carries the buttons 🔕 1 h and 🛠 Maintenance 2 h, and 🔕 1 h mutes that
owner's rule only; the bot's view of the key is kept across a restart, so
a container that stopped while the server was down is told. A raw WebSocket peer against the real server and the
Telegram double (SQLite: the logic under test is the bot's; bot_fleet.py
runs the rules on MariaDB too). Waits are upper bounds for "it happened",
never timing assertions."""
import calendar
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bottest import data_of  # noqa: E402
from fleetpeer import Peer, ctr, ups  # noqa: E402
from server import Server, Tap, tmpdir  # noqa: E402
from tg import TgDouble  # noqa: E402

t = Tap()
WAIT = 30
U1, U2 = 8301, 8302


def day_start(ts):
    g = time.gmtime(ts)
    return calendar.timegm((g.tm_year, g.tm_mon, g.tm_mday, 0, 0, 0)), g.tm_mday


def main():
    work = tmpdir("mb-fleet-owners.")
    d = TgDouble().start()
    env = dict(d.env())
    env.update({"BOT_LANG": "en"})
    srv = Server(work, env=env).start()
    p = None
    try:
        d.wait_polling(timeout=WAIT)
        web = srv.cli("key", "new", "web1", "--owner", str(U1)).stdout.split()[0]
        srv.cli("key", "owner", web, str(U2))
        d.user(U1, first_name="Ann")
        d.user(U2, first_name="Bob")

        def ask(u, text, part):
            mark = d.last_mid(u)
            d.say(u, text)
            return d.wait_message(u, lambda m: part in (m.get("text") or ""), WAIT, after=mark)

        def after(u, mark):
            return [m for m in d.bot_messages(u) if m["message_id"] > mark]

        def settle(marks, want):
            """Each user's messages after its mark once it has want[u] of them, and a last
            sample went through (so nothing more is on its way)."""
            for u, n in want.items():
                if n:
                    d.wait_message(u, lambda m, u=u, n=n: len(after(u, marks[u])) >= n, WAIT, after=marks[u])
            p.send(containers=last["containers"], ups=last["ups"])
            deadline = time.monotonic() + WAIT
            while srv.rows("SELECT COUNT(*) FROM bot_outbox") != [(0,)] and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
            return {u: after(u, marks[u]) for u in want}

        def texts(ms):
            return [m.get("text") or "" for m in ms]

        for u in (U1, U2):
            t.ok(ask(u, "/setalert web1 container 3", "Alert for") is not None, f"user {u}: container rule set")
        now = int(time.time())
        b1, day1 = day_start(now - 86400)       # U1: from yesterday, 1 GB
        b2, day2 = day_start(now - 2 * 86400)   # U2: from the day before, 2 GB
        t.ok(ask(U1, f"/setquota web1 1 {day1}", "Traffic quota") is not None, "U1: quota 1 GB set")
        t.ok(ask(U2, f"/setquota web1 2 {day2}", "Traffic quota") is not None, "U2: quota 2 GB set")

        # traffic first: 1e8 B/s up + down, 5 s apart = 0.5 GB an interval; 4 intervals = 2 GB
        p = Peer(srv, web)
        last = {"containers": [ctr("web", "running"), ctr("db", "running")], "ups": ups(False, 100)}
        marks = {U1: d.last_mid(U1), U2: d.last_mid(U2)}
        start = now - 60
        for i in range(5):
            p.send(ts=start + 5 * i, net_up=50e6, net_down=50e6)
        p.send(ts=start + 25, net_up=0, net_down=0)
        got = settle(marks, {U1: 1, U2: 1})
        since1 = time.strftime("%d.%m.%Y", time.gmtime(b1))
        since2 = time.strftime("%d.%m.%Y", time.gmtime(b2))
        t.eq(texts(got[U1]), [f"📶 web1: traffic 1.00 GB since {since1} is over the quota of 1 GB."],
             "U1: its own quota's message, once, at 1 GB")
        t.eq(texts(got[U2]), [f"📶 web1: traffic 2.00 GB since {since2} is over the quota of 2 GB."],
             "U2: its own quota's message, once, at 2 GB")
        m = ask(U1, "/status web1", "Traffic")
        t.ok(m and f"📶 Traffic: 2.00 of 1 GB since {since1}" in m["text"], "U1's /status: its period's use",
             m and m["text"])
        m = ask(U2, "/status web1", "Traffic")
        t.ok(m and f"📶 Traffic: 2.00 of 2 GB since {since2}" in m["text"], "U2's /status: its period's use",
             m and m["text"])

        # a container stops: both owners, with the buttons
        marks = {U1: d.last_mid(U1), U2: d.last_mid(U2)}
        p.send(containers=last["containers"], ups=last["ups"])
        last["containers"] = [ctr("web", "exited"), ctr("db", "running")]
        p.send(containers=last["containers"], ups=last["ups"])
        got = settle(marks, {U1: 1, U2: 1})
        stop = "🔴 web1: container web stopped (running → exited)."
        for u in (U1, U2):
            t.eq(texts(got[u]), [stop], f"user {u}: the stop, once")
            t.eq(data_of(got[u][0]) if got[u] else None, [f"mu:1h:container:{web}", f"al:mt:7200:{web}"],
                 f"user {u}: 🔕 1 h and 🛠 Maintenance 2 h on the message")
        # restarting too often: both owners
        marks = {U1: d.last_mid(U1), U2: d.last_mid(U2)}
        last["containers"] = [ctr("web", "exited"), ctr("db", "running", restarts=2)]
        p.send(containers=last["containers"], ups=last["ups"])
        last["containers"] = [ctr("web", "exited"), ctr("db", "running", restarts=6)]
        p.send(containers=last["containers"], ups=last["ups"])
        got = settle(marks, {U1: 1, U2: 1})
        for u in (U1, U2):
            t.eq(texts(got[u]), ["🔴 web1: container db restarted 6 times in 10 min (limit 3)."],
                 f"user {u}: the restarts, once")

        # U1 mutes its rule for an hour from the button; the next stop reaches U2 only
        msg = d.wait_message(U1, lambda m: (m.get("text") or "") == stop, WAIT)
        cid = d.press(U1, msg, f"mu:1h:container:{web}")
        t.eq((d.wait_answer(cid, timeout=WAIT) or {}).get("text"), "🔕 Muted for 1 hour.", "🔕 1 h: answered")
        marks = {U1: d.last_mid(U1), U2: d.last_mid(U2)}
        last["containers"] = [ctr("web", "running"), ctr("db", "running", restarts=6)]
        p.send(containers=last["containers"], ups=last["ups"])
        last["containers"] = [ctr("web", "exited"), ctr("db", "running", restarts=6)]
        p.send(containers=last["containers"], ups=last["ups"])
        got = settle(marks, {U1: 0, U2: 1})
        t.eq(texts(got[U2]), [stop], "U2: the next stop")
        t.eq(texts(got[U1]), [], "U1, muted: nothing")

        # the server restarts; web stops while it is down: told from the view it kept
        last["containers"] = [ctr("web", "running"), ctr("db", "running", restarts=6)]
        p.send(containers=last["containers"], ups=last["ups"])
        deadline = time.monotonic() + WAIT
        kept = []
        while time.monotonic() < deadline:
            kept = srv.rows("SELECT state FROM fleet_state WHERE secret=?", (web,))
            if kept and '"name":"web","engine":"docker","state":"running"' in kept[0][0]:
                break
            time.sleep(0.05)
        t.ok(kept and '"name":"web","engine":"docker","state":"running"' in kept[0][0],
             "fleet_state keeps web running", kept)
        p.close()
        p = None
        t.eq(srv.stop(), 0, "server stops")
        srv = Server(work, env=env).start()
        p = Peer(srv, web)
        marks = {U1: d.last_mid(U1), U2: d.last_mid(U2)}
        last["containers"] = [ctr("web", "exited"), ctr("db", "running", restarts=6)]
        p.send(containers=last["containers"], ups=last["ups"])
        got = settle(marks, {U1: 0, U2: 1})
        t.eq(texts(got[U2]), [stop], "after a restart: the stop that happened while it was down, to U2")
        t.eq(texts(got[U1]), [], "U1's mute outlives the restart")
        srv.cli("key", "del", web)
        t.eq(srv.rows("SELECT COUNT(*) FROM fleet_state"), [(0,)], "the kept view goes with the key")
    finally:
        if p:
            p.close()
        t.eq(srv.stop(), 0, "server exits 0")
        d.stop()
    t.done()


if __name__ == "__main__":
    main()
