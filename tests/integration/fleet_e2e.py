#!/usr/bin/python3
"""Issue 16 end to end: the real monbot-agent reads a fake Docker Engine on a
Unix socket and a fake NUT upsd on TCP (lib/fleetfakes.py) and sends its
samples over TLS/WebSocket to the real monbot-server, whose bot tells the
key's owner through the Telegram double. A container going running → exited
in the engine gives exactly one message, the UPS going on battery one, back
on mains one, each with the server's exact text. SQLite, then a private
MariaDB. Waits are upper bounds for "it happened", never timing assertions;
the agent asks the UPS every 30 s (fleet_poll.c UPS_PERIOD_MS), so the two
UPS steps make a backend's run about a minute."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from fleetfakes import Engine, nut_server, start_engine, tcp_listener  # noqa: E402
from server import Server, Tap, agent_log, on_both_backends, start_agent, stop_agent  # noqa: E402
from tg import TgDouble  # noqa: E402

t = Tap()
WAIT = 30
# upper bounds past the agent's own periods (fleet_poll.c): the UPS is asked
# every 30 s; an engine late for a cycle's budget is asked again in 60 s
UPS_WAIT = 30 + WAIT
DOCKER_WAIT = 60 + WAIT
U = 8301
NAME = "rack1"
WEB, DB = "a" * 64, "b" * 64


def series(fams, name, **labels):
    """The value of one series of /metrics, None when it is absent."""
    for fam in fams.values():
        for n, lb, v in fam["samples"]:
            if n == name and all(lb.get(k) == val for k, val in labels.items()):
                return v
    return None


def check(tag, work, mariadb=None):
    t0 = time.monotonic()
    d = TgDouble().start()
    env = dict(d.env())
    env.update({"BOT_LANG": "en", "COMMAND_POLL": "1"})
    srv = Server(work, db="mysql" if mariadb else "sqlite", mariadb=mariadb, tls=True, env=env).start()
    eng = Engine([(WEB, "web", "running", "Up 2 hours", 0), (DB, "db", "running", "Up 2 hours", 0)])
    esrv = start_engine(os.path.join(work, "docker.sock"), eng)
    nl = tcp_listener()
    nut = nut_server(nl)
    nut.set("OL", 100)
    ap = None
    try:
        d.wait_polling(timeout=WAIT)
        key = srv.cli("key", "new", NAME, "--owner", str(U)).stdout.split()[0]
        d.user(U, first_name="Ann")

        def ask(text):
            mark = d.last_mid(U)
            d.say(U, text)
            m = d.wait_message(U, None, WAIT, after=mark)
            return m and m.get("text")

        def after(mark):
            return [m.get("text") or "" for m in d.bot_messages(U) if m["message_id"] > mark]

        def stored():
            return int(srv.rows("SELECT COUNT(*) FROM metrics WHERE secret=?", (key,))[0][0])

        def settle(mark, n, wait):
            """The messages after mark once there are n, three more of the agent's
            samples have come and the outbox is empty: nothing more is on its way."""
            d.wait_message(U, lambda m: len(after(mark)) >= n, wait, after=mark)
            deadline = time.monotonic() + WAIT
            base = stored()
            while time.monotonic() < deadline and (
                    stored() < base + 3 or int(srv.rows("SELECT COUNT(*) FROM bot_outbox")[0][0]) != 0):
                time.sleep(0.1)
            return after(mark)

        t.eq(ask(f"/setalert {NAME} container 3"),
             f"✅ Alert for {NAME}: a container stops, turns unhealthy or restarts more than 3 times in 10 min.",
             f"[{tag}] /setalert container 3: the rule")
        t.eq(ask(f"/setalert {NAME} ups_battery"), f"✅ Alert for {NAME}: the UPS goes on battery.",
             f"[{tag}] /setalert ups_battery: the rule")

        ap = start_agent(srv, key, os.path.join(work, "agent"), interval=1, extra={
            "AGENT_DOCKER_SOCKET": os.path.join(work, "docker.sock"),
            "AGENT_NUT": "127.0.0.1:%d" % nl.getsockname()[1], "AGENT_APCUPSD": "0", "AGENT_SMART": "0",
            "AGENT_UNITS": "0", "AGENT_ALLOW_POWER": "0", "MONBOT_NO_NVML": "1"})

        # the server has the agent's fleet keys: both containers running, the UPS on mains
        want = {("monbot_agent_container_running", "web"): 1.0, ("monbot_agent_container_running", "db"): 1.0,
                ("monbot_agent_ups_on_battery", None): 0.0, ("monbot_agent_ups_charge_percent", None): 100.0}
        deadline = time.monotonic() + DOCKER_WAIT
        while True:
            fams = srv.metrics()
            got = {k: series(fams, k[0], agent=NAME, **({"container": k[1]} if k[1] else {})) for k in want}
            if got == want or time.monotonic() > deadline or ap.poll() is not None:
                break
            time.sleep(0.2)
        t.eq(got, want, f"[{tag}] /metrics: the agent's containers running and its UPS on mains")
        t.ok(nut.var_asks >= 1 and any(r.startswith("/containers/json") for r in eng.requests),
             f"[{tag}] the agent asked the fake engine and the fake upsd")

        mark = d.last_mid(U)
        eng.containers = [(WEB, "web", "exited", "Exited (0) 1 second ago", 0), eng.containers[1]]
        stop_msg = f"🔴 {NAME}: container web stopped (running → exited)."
        t.eq(settle(mark, 1, DOCKER_WAIT), [stop_msg], f"[{tag}] web running → exited: one message to the owner, exact text")

        nut.set("OB DISCHRG", 80)
        batt_msg = f"🔋 {NAME}: UPS ups is on battery, charge 80%."
        t.eq(settle(mark, 2, UPS_WAIT), [stop_msg, batt_msg],
             f"[{tag}] the UPS on battery (OB DISCHRG, 80 %): one message, exact text")

        nut.set("OL", 100)
        mains_msg = f"✅ {NAME}: UPS ups is back on mains."
        t.eq(settle(mark, 3, UPS_WAIT), [stop_msg, batt_msg, mains_msg],
             f"[{tag}] the UPS back on line (OL): one message, exact text; no other message")

        fams = srv.metrics()
        t.eq((series(fams, "monbot_agent_container_running", agent=NAME, container="web"),
              series(fams, "monbot_agent_ups_on_battery", agent=NAME)), (0.0, 0.0),
             f"[{tag}] /metrics: web not running, the UPS on mains")
    finally:
        if ap:
            rc = stop_agent(ap)
            log = agent_log(ap)
            t.ok(rc == 0 and "0 unacknowledged, 0 dropped" in log, f"[{tag}] the agent stops cleanly, "
                 "every sample acknowledged", log[-1500:])
        rc = srv.stop()
        t.eq(rc, 0, f"[{tag}] server exits 0")
        d.stop()
        esrv.shutdown()
        esrv.server_close()
        nl.close()
        t.diag(f"[{tag}] {time.monotonic() - t0:.0f} s")


def main():
    on_both_backends(t, "mb-fleet-e2e.", check)
    t.done()


if __name__ == "__main__":
    main()
