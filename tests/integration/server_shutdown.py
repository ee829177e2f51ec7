#!/usr/bin/python3
"""SIGTERM writes everything received (SPEC §5): an agent sends 300 samples
with their own ts without waiting for replies; the server gets SIGTERM; every
sample is stored once, the agent gets the acks and then a close with 1001,
and the server exits 0. On SQLite and on a private MariaDB."""
import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import websockets  # noqa: E402
from server import on_both_backends, Server, Tap, original_sample  # noqa: E402

t = Tap()
N = 300


async def burst(srv, key, t0):
    acks, code = [], None
    async with websockets.connect(srv.ws_url(key), ssl=srv.ssl_ctx(), ping_interval=None) as ws:
        await asyncio.wait_for(ws.recv(), 30)
        for i in range(N):
            await ws.send(json.dumps({**original_sample(i), "ts": t0 + i}))
        await asyncio.sleep(0.5)  # all of it is with the server now
        srv.proc.send_signal(15)
        try:
            while True:
                r = json.loads(await asyncio.wait_for(ws.recv(), 60))
                acks.append(r.get("ack"))
        except websockets.exceptions.ConnectionClosed as e:
            code = e.code
    return acks, code


def check(db, base, mariadb=None):
    tag = f"[{db}]"
    srv = Server(base, db=db, mariadb=mariadb, tls=True).start()
    key = srv.new_key("burst")
    t0 = int(time.time()) - 2 * N
    acks, code = asyncio.run(burst(srv, key, t0))
    rc = srv.stop()
    t.eq(rc, 0, f"{tag} the server exits 0 after SIGTERM")
    t.eq(code, 1001, f"{tag} the agent's session is closed with 1001")
    t.ok(acks and max(a for a in acks if a is not None) == t0 + N - 1,
         f"{tag} the last reply before the close acknowledges the last sample", acks[-3:])
    srv2 = Server(base, db=db, mariadb=mariadb)
    rows = srv2.rows("SELECT ts FROM metrics WHERE secret=? ORDER BY ts", (key,))
    t.eq([int(r[0]) for r in rows], list(range(t0, t0 + N)), f"{tag} all {N} samples stored once, at their ts")
    t.ok("every received sample is stored" in srv.log(), f"{tag} the server says so", srv.log()[-800:])


def main():
    on_both_backends(t, "mb-server-shutdown.", check)
    t.done()


main()
