#!/usr/bin/python3
"""Issue 16, the server side: samples carrying the fleet keys of
wire/fleet.h (written here by hand, as the agent's writer will) from a raw
WebSocket peer against the real server and the Telegram double. A
container going running → exited gives exactly one message to the owner;
more restarts than the rule's N in 10 min one; a new failed unit and a
failing drive one each; a UPS going on battery and its charge below the
threshold one each; a traffic quota (/setquota) crossed gives one message
per billing period (time driven by the samples' ts across a period start),
none again in the same period; /status shows the fleet lines and the
period's use. SQLite, then a private MariaDB. Waits are upper bounds for
"it happened", never timing assertions."""
import calendar
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from fleetpeer import Peer, ctr, ups  # noqa: E402
from server import Server, Tap, metric, on_both_backends  # noqa: E402
from tg import TgDouble  # noqa: E402

t = Tap()
WAIT = 30
U = 8201


def check(tag, work, mariadb=None):
    d = TgDouble().start()
    env = dict(d.env())
    env.update({"BOT_LANG": "en", "COMMAND_POLL": "1"})
    srv = Server(work, db="mysql" if mariadb else "sqlite", mariadb=mariadb, env=env).start()
    p = None
    try:
        d.wait_polling(timeout=WAIT)
        web = srv.cli("key", "new", "web1", "--owner", str(U)).stdout.split()[0]
        p = Peer(srv, web)
        d.user(U, first_name="Ann")

        def ask(text, part):
            mark = d.last_mid(U)
            d.say(U, text)
            return d.wait_message(U, lambda m: part in (m.get("text") or ""), WAIT, after=mark)

        def after(mark):
            return [m.get("text") or "" for m in d.bot_messages(U) if m["message_id"] > mark]

        def outbox_empty():
            deadline = time.monotonic() + WAIT
            while int(srv.rows("SELECT COUNT(*) FROM bot_outbox")[0][0]) != 0 and time.monotonic() < deadline:
                time.sleep(0.05)

        def settle(mark, n, **kw):
            """Messages after mark once there are n of them (and a last sample went through
            the bot, so nothing more is on its way)."""
            if n:
                d.wait_message(U, lambda m: len(after(mark)) >= n, WAIT, after=mark)
            p.send(**(kw or {"containers": last["containers"], "ups": last["ups"]}))
            time.sleep(0.3)
            outbox_empty()
            return after(mark)

        m = ask("/setalert web1 container 3", "Alert for")
        t.eq(m and m["text"], "✅ Alert for web1: a container stops, turns unhealthy or restarts more than 3 "
                              "times in 10 min.", f"[{tag}] /setalert container answers with the rule")
        for rule, want in (("unit", "a systemd unit fails"), ("smart", "a disk's SMART health fails"),
                             ("ups_battery", "the UPS goes on battery"), ("ups_charge 50", "UPS charge below 50%")):
            m = ask(f"/setalert web1 {rule}", "Alert for")
            t.ok(m and want in m["text"], f"[{tag}] /setalert {rule}", m and m["text"])
        t.ok(ask("/setalert web1 ups_charge 150", "out of range") is not None, f"[{tag}] ups_charge over 100: refused")
        t.ok(ask("/setalert web1 quota 5", "Unknown metric") is not None, f"[{tag}] quota goes through /setquota")

        # containers: running -> exited, exactly one message
        last = {"containers": [ctr("web", "running"), ctr("db", "running")], "ups": ups(False, 100)}
        mark = d.last_mid(U)
        p.send(containers=last["containers"], units_failed=[], ups=last["ups"],
               smart=[{"dev": "sda", "model": "X", "ok": True, "temp": 30, "attrs": []}])
        p.send(containers=last["containers"], ups=last["ups"])
        last["containers"] = [ctr("web", "exited"), ctr("db", "running")]
        p.send(containers=last["containers"], ups=last["ups"])
        p.send(containers=last["containers"], ups=last["ups"])
        got = settle(mark, 1)
        t.eq(got, ["🔴 web1: container web stopped (running → exited)."],
             f"[{tag}] running → exited: one message to the owner, exact text")
        # restarts: more than 3 in 10 min
        mark = d.last_mid(U)
        last["containers"] = [ctr("web", "exited"), ctr("db", "running", restarts=2)]
        p.send(containers=last["containers"], ups=last["ups"])
        last["containers"] = [ctr("web", "exited"), ctr("db", "running", restarts=6)]
        p.send(containers=last["containers"], ups=last["ups"])
        got = settle(mark, 1)
        t.eq(got, ["🔴 web1: container db restarted 6 times in 10 min (limit 3)."],
             f"[{tag}] restarts over N in 10 min: one message")
        # unhealthy
        mark = d.last_mid(U)
        last["containers"] = [ctr("web", "exited"), ctr("db", "running", "unhealthy", restarts=6)]
        p.send(containers=last["containers"], ups=last["ups"])
        t.eq(settle(mark, 1), ["🔴 web1: container db is unhealthy."], f"[{tag}] unhealthy: one message")
        # a container removed while running
        mark = d.last_mid(U)
        last["containers"] = [ctr("web", "exited")]
        p.send(containers=last["containers"], ups=last["ups"])
        t.eq(settle(mark, 1), ["🔴 web1: container db stopped (running → gone)."], f"[{tag}] gone: one message")
        # a failed unit, a failing drive, an attribute past its threshold
        mark = d.last_mid(U)
        p.send(containers=last["containers"], ups=last["ups"], units_failed=["nginx.service"],
               smart=[{"dev": "sda", "ok": False, "attrs": [{"id": 5, "name": "Reallocated_Sector_Ct",
                                                              "value": 9, "worst": 9, "thresh": 10, "raw": 900}]}])
        p.send(containers=last["containers"], ups=last["ups"], units_failed=["nginx.service"],
               smart=[{"dev": "sda", "ok": False, "attrs": [{"id": 5, "name": "Reallocated_Sector_Ct",
                                                              "value": 9, "worst": 9, "thresh": 10, "raw": 900}]}])
        got = settle(mark, 3)
        t.eq(sorted(got), sorted(["🔴 web1: unit nginx.service failed.",
                                  "🔴 web1: disk sda: SMART health is FAILING.",
                                  "🔴 web1: disk sda: attribute 5 Reallocated_Sector_Ct is 9, threshold 10."]),
             f"[{tag}] failed unit, failing drive, attribute past threshold: one message each")
        # NUT-like UPS: on battery, then charge below 50 %
        mark = d.last_mid(U)
        last["ups"] = ups(True, 80)
        p.send(containers=last["containers"], ups=last["ups"])
        p.send(containers=last["containers"], ups=last["ups"])
        last["ups"] = ups(True, 40)
        p.send(containers=last["containers"], ups=last["ups"])
        got = settle(mark, 2)
        t.eq(got, ["🔋 web1: UPS ups is on battery, charge 80%.", "🪫 web1: UPS ups charge 40% is below 50%."],
             f"[{tag}] UPS on battery, then charge below the threshold: one message each")

        # /metrics: the numeric fleet keys, labelled
        p.send(containers=last["containers"], ups=last["ups"], custom={"backup_age_seconds": 3600,
                                                                      "temp{room=\"attic\"}": 21.5})
        fams = srv.metrics()
        for name, labels, want in (("monbot_agent_ups_charge_percent", {}, 40.0),
                                   ("monbot_agent_ups_on_battery", {}, 1.0),
                                   ("monbot_agent_ups_runtime_seconds", {}, 1200.0),
                                   ("monbot_agent_container_running", {"container": "web"}, 0.0),
                                   ("monbot_agent_container_cpu_percent", {"container": "web"}, 1.5),
                                   ("monbot_agent_container_memory_bytes", {"container": "web"}, 1048576.0),
                                   ("monbot_agent_custom", {"key": "temp{room=\"attic\"}"}, 21.5),
                                   ("monbot_agent_custom", {"key": "backup_age_seconds"}, 3600.0)):
            t.eq(metric(fams, name, agent="web1", **labels), want, f"[{tag}] /metrics {name} {labels}")
        t.ok(any(n == "monbot_agent_container_running" and l.get("container") == "web"
                 for fam in fams.values() for n, l, v in fam["samples"]), f"[{tag}] /metrics has the container")

        # /status: the fleet lines
        m = ask("/status web1", "Containers")
        txt = (m or {}).get("text") or ""
        for line in ("🐳 Containers: 0 of 1 running", "⚠️ web: exited", "⚙️ Failed units (1): nginx.service",
                     "💽 sda: FAILING", "🔋 UPS ups: on battery, charge 40%, runtime 20 min, load 20% (OB DISCHRG)"):
            t.ok(line in txt, f"[{tag}] /status shows {line!r}", txt)

        # quota: 1 GB, the period starts on yesterday's day of the month (00:00 UTC)
        now = time.time()
        y = time.gmtime(now - 86400)
        B = calendar.timegm((y.tm_year, y.tm_mon, y.tm_mday, 0, 0, 0))
        day = y.tm_mday
        m = ask(f"/setquota web1 1 {day}", "Traffic quota")
        t.eq(m and m["text"], f"✅ Traffic quota for web1: 1 GB per period, from day {day} of each month.",
             f"[{tag}] /setquota answers")
        t.ok(ask("/setquota web1 1 40", "day of the month") is not None, f"[{tag}] /setquota day 40: refused")
        rate = 50e6  # up and down each: 1e8 B/s, 5 s apart = 0.5 GB a sample
        mark = d.last_mid(U)
        for ts in (B - 100, B - 95, B - 90, B - 85, B - 80):
            p.send(ts=ts, net_up=rate, net_down=rate)
        got = settle(mark, 1, ts=B - 75, net_up=0, net_down=0)
        prev_start = time.strftime("%d.%m.%Y", time.gmtime(B - 100 - 0))
        t.ok(len(got) == 1, f"[{tag}] quota crossed: one message in the period, none again", got)
        t.ok(got and got[0].startswith("📶 web1: traffic 1.00 GB since ") and
             got[0].endswith("is over the quota of 1 GB."), f"[{tag}] the quota message", got)
        mark = d.last_mid(U)
        for ts in (B + 10, B + 15, B + 20, B + 25):
            p.send(ts=ts, net_up=rate, net_down=rate)
        got = settle(mark, 1, ts=B + 30, net_up=0, net_down=0)
        since = time.strftime("%d.%m.%Y", time.gmtime(B))
        t.eq(got, [f"📶 web1: traffic 1.00 GB since {since} is over the quota of 1 GB."],
             f"[{tag}] the next period: one message again")
        m = ask("/status web1", "Traffic")
        t.ok(m and f"📶 Traffic: 1.50 of 1 GB since {since}" in m["text"],
             f"[{tag}] /status shows the period's use", m and m["text"])
        t.diag(f"previous period started before {prev_start}")
    finally:
        if p:
            p.close()
        rc = srv.stop()
        t.eq(rc, 0, f"[{tag}] server exits 0")
        d.stop()


def main():
    on_both_backends(t, "mb-bot-fleet.", check)
    t.done()


if __name__ == "__main__":
    main()
