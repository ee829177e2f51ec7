#!/usr/bin/python3
"""Issue 16: the fleet keys' numeric series stored and charted. A WebSocket
peer sends samples with a UPS, containers and a custom metric (ts in the
past: one every 5 minutes over the last 20 hours); the real server stores each
value in fleet_metrics and folds it into the minute and hour rollups
(checked value by value, SQLite and a private MariaDB); /plot draws
ups_charge, container_cpu:<name>, container_mem:<name> and custom:<key>
through the Telegram double (a valid PNG with the series' colour in it, the
exact caption), and every refusal has its text: a series the host never
sent, a bad interval, someone else's key. Waits are upper bounds for "it
happened", never timing assertions."""
import asyncio
import base64
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bottest import png_check, png_rgb, push, wait_for  # noqa: E402
from server import Server, Tap, on_both_backends  # noqa: E402
from tg import TgDouble  # noqa: E402

t = Tap()
WAIT = 30
OWNER, OTHER = 3101, 3202
NOW = int(time.time())
START = (NOW - 20 * 3600) // 3600 * 3600  # an hour's start, 20 h back at most
LINE = (0x8d, 0xd3, 0xc7)                 # the first series' colour (chart_plan.c)


def sample(i):
    """Sample i, 5 min apart from START: charge 100 - i % 50, web's CPU i % 7, db exited."""
    return {"ts": START + 300 * i, "cpu": 5.0, "ram": 20.0, "uptime": 1000 + i,
            "containers": [{"name": "web", "engine": "docker", "state": "running", "restarts": 0,
                            "cpu": float(i % 7), "mem": 1048576 * (1 + i % 3)},
                           {"name": "db", "engine": "docker", "state": "exited", "restarts": 0}],
            "ups": {"source": "nut", "name": "ups", "status": "OL", "on_battery": False,
                    "charge": 100 - i % 50, "runtime": 1800, "load": 20},
            "custom": {"backup_age_seconds": 60 * i}}


N = (NOW - 300 - START) // 300 + 1  # the last one five minutes back at most


def check(tag, work, mariadb=None):
    d = TgDouble().start()
    env = dict(d.env())
    env.update({"BOT_LANG": "en"})
    srv = Server(work, db="mysql" if mariadb else "sqlite", mariadb=mariadb, env=env).start()
    def nrows(sql, args):
        """Numeric rows as floats (MariaDB's client answers text)."""
        return [tuple(float(c) for c in r) for r in srv.rows(sql, args)]

    try:
        d.wait_polling(timeout=WAIT)
        d.user(OWNER, first_name="Ann")
        d.user(OTHER, first_name="Bob")
        key = srv.cli("key", "new", "web1", "--owner", str(OWNER)).stdout.split()[0]
        asyncio.run(push(srv, key, [sample(i) for i in range(N)]))
        per = 2 + 3 + 1  # web's cpu and mem (db has neither); the UPS' three; the custom one
        count = "SELECT COUNT(*) FROM fleet_metrics WHERE secret=?"
        wait_for(lambda: nrows(count, (key,)) == [(N * per,)])
        t.eq(nrows(count, (key,)), [(N * per,)], f"[{tag}] every value of {N} samples stored")
        t.eq(srv.rows("SELECT DISTINCT series FROM fleet_metrics WHERE secret=? ORDER BY series", (key,)),
             [("container_cpu:web",), ("container_mem:web",), ("custom:backup_age_seconds",),
              ("ups_charge",), ("ups_load",), ("ups_runtime",)], f"[{tag}] the series' names")
        t.eq(nrows("SELECT ts, value FROM fleet_metrics WHERE secret=? AND series='ups_charge' "
                   "AND ts<? ORDER BY ts", (key, START + 900)),
             [(START, 100), (START + 300, 99), (START + 600, 98)], f"[{tag}] raw ups_charge, exact")
        wait_for(lambda: nrows("SELECT COUNT(*) FROM rollup_dirty WHERE secret=?", (key,)) == [(0,)])
        t.eq(nrows("SELECT bucket, n, vsum, vmin, vmax FROM fleet_1m WHERE secret=? AND "
                   "series='container_mem:web' AND bucket<? ORDER BY bucket", (key, START + 600)),
             [(START, 1, 1048576, 1048576, 1048576), (START + 300, 1, 2097152, 2097152, 2097152)],
             f"[{tag}] minute rollups of container_mem:web, exact")
        # the first hour: samples 0..11, charge 100..89
        t.eq(nrows("SELECT bucket, n, vsum, vmin, vmax FROM fleet_1h WHERE secret=? AND "
                   "series='ups_charge' AND bucket=?", (key, START)),
             [(START, 12, sum(100 - i for i in range(12)), 89, 100)], f"[{tag}] the hour rollup of ups_charge, exact")
        t.eq(nrows("SELECT COUNT(*) FROM fleet_1h WHERE secret=? AND series='ups_charge'", (key,)),
             [((N - 1) // 12 + 1,)], f"[{tag}] one hour rollup per hour")

        def plot(user, text, method="sendPhoto"):
            mark = d.mark()
            d.say(user, text)
            c = d.wait_call(method, lambda c: str(c["params"].get("chat_id")) == str(user), timeout=WAIT,
                            after=mark)
            if c and method == "sendPhoto":
                c = d.calls(method, since=c["i"], data=True)[0]
            return c

        for args, caption in (("ups_charge 24h", "ups_charge, last 1 d"),
                              ("container_cpu:web 1d", "container_cpu:web, last 1 d"),
                              ("container_mem:web 2h", "container_mem:web, last 2 h"),
                              ("custom:backup_age_seconds 12h 30m", "custom:backup_age_seconds, last 12 h 30 min"),
                              ("ups_charge 8d 60", "ups_charge, last 8 d"),
                              (f"{key} ups_load 3h", "ups_load, last 3 h")):
            text = f"/plot {args}" if args.startswith(key) else f"/plot web1 {args}"
            c = plot(OWNER, text)
            f = [x for x in (c or {}).get("files", []) if x["name"] == "photo"]
            png = base64.b64decode(f[0]["data_b64"]) if f else b""
            t.eq(png_check(png) if f else None, (1600, 800), f"[{tag}] {text}: a valid 1600x800 PNG")
            t.eq((c or {}).get("params", {}).get("caption"), f"<b>web1</b>: {caption}", f"[{tag}] {text}: caption")
            if args == "ups_charge 24h":  # decoding is slow in Python: one chart
                line = sum(1 for p in png_rgb(png) if p == LINE) if f else 0
                t.ok(line > 500, f"[{tag}] {text}: the series' line is drawn", line)

        def answer(user, text):
            c = plot(user, text, "sendMessage")
            return (c or {}).get("params", {}).get("text")

        t.eq(answer(OWNER, "/plot web1 container_cpu:nope 24h"), "📭 No data for this period.",
             f"[{tag}] a series the host never sent: no data")
        t.eq(answer(OWNER, "/plot web1 ups_charge xyz"), "❌ Bad interval or limit: xyz",
             f"[{tag}] a bad interval: its text")
        t.eq(answer(OWNER, "/plot web1 ups_charge 200d 200d"), "❌ The interval is 1 s to 366 d, e.g. 24h or 1d12h.",
             f"[{tag}] an interval over 366 d: refused")
        t.eq(answer(OWNER, "/plot web1 ups_charge 24h 50 60"), "❌ Bad interval or limit: 50",
             f"[{tag}] two limits: refused")
        t.eq(answer(OTHER, f"/plot {key} ups_charge 24h"), f"❌ You have no key <b>{key}</b>. /list shows yours.",
             f"[{tag}] someone else's key: refused")

        # the key removed: its series go with it
        srv.cli("key", "del", key)
        t.eq(nrows("SELECT (SELECT COUNT(*) FROM fleet_metrics) + (SELECT COUNT(*) FROM fleet_1m) + "
                   "(SELECT COUNT(*) FROM fleet_1h)", ()), [(0,)], f"[{tag}] key removed: no fleet rows left")
    finally:
        rc = srv.stop()
        t.eq(rc, 0, f"[{tag}] server exits 0")
        d.stop()


def main():
    on_both_backends(t, "mb-fleet-plot.", check)
    t.done()


if __name__ == "__main__":
    main()
