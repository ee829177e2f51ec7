#!/usr/bin/python3
"""The server driven by an independent WebSocket client (python3-websockets)
sending the ORIGINAL agent's exact messages (client/__main__.py: SPEC §3 keys
only, no ts, no additions) and reading its {"commands": [...]} replies; the
samples are stored with the right values. Then the command queue: a command
queued while the agent is offline arrives exactly once after it reconnects,
an expired reboot is not delivered and is reported, answers are recorded;
/ws/<unknown> and /ws/<deleted> get 403. On SQLite and on a private MariaDB."""
import asyncio
import hashlib
import json
import math
import os
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import websockets  # noqa: E402
from server import on_both_backends, Server, Tap, metric, original_sample  # noqa: E402

t = Tap()


async def recv_json(ws, timeout=15):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def original_session(srv, key):
    """Messages exactly as the original agent sends them."""
    replies = []
    async with websockets.connect(srv.ws_url(key), ssl=srv.ssl_ctx(), max_size=None) as ws:
        first = await recv_json(ws)
        replies.append(first)
        for i in range(3):
            await ws.send(json.dumps(original_sample(i, full=(i == 2))))
            replies.append(await recv_json(ws))
            await asyncio.sleep(0.3)
        await ws.send(json.dumps({"text": "\u23f3 \u0422\u0435\u0441\u0442\u0438\u0440\u0443\u0435\u043c \u0441\u043a\u043e\u0440\u043e\u0441\u0442\u044c\u2026"}))
        replies.append(await recv_json(ws))
        await ws.send(json.dumps({"diag": "CPU: test\nMemory: 16 GiB\n", "diag_ok": True}))
        replies.append(await recv_json(ws))
        await ws.send(json.dumps({"stability": {"start_ts": time.time(), "interval_ms": 100,
                                                "rtts": [1.5, None, 2.25], "done": True}}))
        replies.append(await recv_json(ws))
    return replies


async def connect_and_first(srv, key, answer=None):
    """Connects, returns the commands of the first message; sends one sample
    (and answer, a message, when given) and returns their replies too."""
    async with websockets.connect(srv.ws_url(key), ssl=srv.ssl_ctx()) as ws:
        first = await recv_json(ws)
        await ws.send(json.dumps(original_sample(7)))
        second = await recv_json(ws)
        third = None
        if answer is not None:
            await ws.send(json.dumps(answer))
            third = await recv_json(ws)
        return first, second, third


def show(srv, cid):
    return json.loads(srv.cli("command-show", str(cid)).stdout)


def status_code(exc):
    return getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)


async def try_connect(srv, key):
    try:
        async with websockets.connect(srv.ws_url(key), ssl=srv.ssl_ctx()):
            return 101
    except websockets.exceptions.InvalidStatusCode as e:
        return status_code(e)


def check_backend(db, base, mariadb=None):
    tag = f"[{db}]"
    srv = Server(base, db=db, mariadb=mariadb, tls=True).start()
    try:
        key = srv.new_key("compat")
        # The original agent first fetches the certificate on a bare TLS
        # connection (_ensure_fp) and hangs up, then opens the WebSocket.
        raw = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        tls = ssl._create_unverified_context().wrap_socket(raw, server_hostname="127.0.0.1")
        der = tls.getpeercert(binary_form=True)
        tls.close()
        t.ok(der and len(hashlib.sha256(der).hexdigest()) == 64, f"{tag} the original's certificate fetch works")
        t0 = time.time()
        replies = asyncio.run(original_session(srv, key))
        t.eq(len(replies), 7, f"{tag} a reply after every message (and one on connect)")
        t.ok(all(isinstance(r.get("commands"), list) and r["commands"] == [] for r in replies),
             f"{tag} every reply is {{\"commands\": [...]}} with no command", replies)
        # The original agent sends no ts, so a reply has no sample to name.
        t.ok(all("ack" in r and r["ack"] is None for r in replies), f"{tag} replies carry \"ack\": null", replies)

        rows = srv.rows("SELECT ts, cpu, ram, ram_used, ram_total, swap, swap_used, swap_total, "
                        "vram_used, vram_total, cpu_temp, gpu_temp, net_up, net_down, uptime, gpu, vram, "
                        "disks, top_procs FROM metrics WHERE secret=? ORDER BY ts", (key,))
        t.eq(len(rows), 3, f"{tag} three samples stored")
        if len(rows) == 3:
            ts = [int(r[0]) for r in rows]
            t.ok(all(int(t0) - 1 <= x <= int(time.time()) + 3 for x in ts) and len(set(ts)) == 3,
                 f"{tag} stamped with the server's time (no ts from the original)", ts)
            for i, r in enumerate(rows):
                want = original_sample(i, full=(i == 2))
                cols = ["cpu", "ram", "ram_used", "ram_total", "swap", "swap_used", "swap_total",
                        "vram_used", "vram_total", "cpu_temp", "gpu_temp", "net_up", "net_down", "uptime",
                        "gpu", "vram"]
                bad = []
                for j, c in enumerate(cols):
                    got = r[1 + j]
                    w = want[c]
                    if w is None:
                        if got is not None:
                            bad.append((c, got, w))
                    elif got is None or not math.isclose(float(got), float(w), rel_tol=1e-9, abs_tol=1e-6):
                        bad.append((c, got, w))
                t.ok(not bad, f"{tag} sample {i} stored with the values sent", bad)
            disks = json.loads(rows[2][17]) if rows[2][17] else None
            procs = json.loads(rows[2][18]) if rows[2][18] else None
            t.ok(disks and disks[0]["mount"] == "/" and int(disks[0]["total"]) == 215504928768,
                 f"{tag} disks stored as JSON", rows[2][17])
            t.ok(procs and procs[0]["name"] == "python3 (2)", f"{tag} top_procs stored as JSON", rows[2][18])

        # a status answer is kept for the bot, not stored (the original's LATEST_STATUS)
        async def oneshot():
            async with websockets.connect(srv.ws_url(key), ssl=srv.ssl_ctx()) as ws:
                await recv_json(ws)
                await ws.send(json.dumps({**original_sample(9, full=True), "oneshot": True}))
                return await recv_json(ws)
        r = asyncio.run(oneshot())
        t.eq(r.get("commands"), [], f"{tag} reply to a oneshot status sample")
        n = srv.rows("SELECT COUNT(*) FROM metrics WHERE secret=?", (key,))[0][0]
        t.eq(int(n), 3, f"{tag} the oneshot sample is not stored (as the original)")

        # SPEC §5: a sane ts is kept; one in the future or past retention is stamped
        tkey = srv.new_key("tscheck")

        async def with_ts():
            async with websockets.connect(srv.ws_url(tkey), ssl=srv.ssl_ctx()) as ws:
                await recv_json(ws)
                for ts in (int(time.time()) - 3600, int(time.time()) + 86400, 1000):
                    await ws.send(json.dumps({**original_sample(1), "ts": ts}))
                    await recv_json(ws)
        now = int(time.time())
        asyncio.run(with_ts())
        got = sorted(int(r[0]) for r in srv.rows("SELECT ts FROM metrics WHERE secret=?", (tkey,)))
        # Stamps lie below the arrival second, one each (store_insert).
        t.ok(len(got) == 3 and got[0] == now - 3600 and all(now - 3 <= x <= now + 5 for x in got[1:]),
             f"{tag} a sane ts is kept, a future or too old one is stamped", (now, got))

        # /ws/<unknown> and /ws/<deleted>
        t.eq(asyncio.run(try_connect(srv, "NoSuchKey0123456789x")), 403, f"{tag} /ws/<unknown> gets 403")
        gone = srv.new_key("todelete")
        t.eq(asyncio.run(try_connect(srv, gone)), 101, f"{tag} a new key is accepted")
        srv.cli("key", "del", gone)
        t.eq(asyncio.run(try_connect(srv, gone)), 403, f"{tag} /ws/<deleted key> gets 403")

        # command queued while offline: delivered exactly once after reconnect
        cid = int(srv.cli("command", "compat", "status", "--by", "4242", "--chat", "4242").stdout)
        first, second, _ = asyncio.run(connect_and_first(srv, key,
                                                         {**original_sample(8, True), "oneshot": True}))
        t.eq(first.get("commands"), ["status"], f"{tag} queued command arrives on reconnect")
        t.eq(second.get("commands"), [], f"{tag} ... and not in the next reply")
        first2, _, _ = asyncio.run(connect_and_first(srv, key))
        t.eq(first2.get("commands"), [], f"{tag} ... nor after another reconnect (exactly once)")
        time.sleep(0.3)
        st = show(srv, cid)
        t.ok(st["state"] == "answered" and st["requested_by"] == 4242 and st["delivered_at"] > 0
             and st["answered_at"] > 0, f"{tag} who, when and the answer are recorded", st)

        # speedtest answered by a text (the new agent's "Speedtest ..." and the original's)
        sid = int(srv.cli("command", "compat", "speedtest", "--by", "7").stdout)
        first, _, _ = asyncio.run(connect_and_first(
            srv, key, {"text": "\U0001f4a8 Speedtest:\n\u2193 93.4 Mbit/s  \u2191 41.0 Mbit/s  Ping 7 ms"}))
        t.eq(first.get("commands"), ["speedtest"], f"{tag} speedtest delivered")
        time.sleep(0.3)
        st = show(srv, sid)
        t.ok(st["state"] == "answered" and "93.4 Mbit/s" in (st["answer"] or ""),
             f"{tag} the speedtest text is recorded as its answer", st)

        # expired reboot: not delivered, reported; a stale non-power command still is
        rid = int(srv.cli("command", "compat", "reboot", "--by", "99", "--chat", "99", "--ago", "700").stdout)
        did = int(srv.cli("command", "compat", "diag", "--ago", "700").stdout)
        first, _, _ = asyncio.run(connect_and_first(srv, key))
        t.eq(first.get("commands"), ["diag"], f"{tag} an expired reboot is not delivered (diag is)")
        st = show(srv, rid)
        t.eq(st["state"], "expired", f"{tag} the expired reboot is marked expired")
        t.ok(f"command {rid} 'reboot'" in srv.log() and "expired undelivered" in srv.log(),
             f"{tag} the expiry is reported", srv.log()[-1500:])
        fams = srv.metrics()
        t.ok(metric(fams, "monbot_commands_expired_total") >= 1, f"{tag} expiry counted in /metrics")
        t.ok(metric(fams, "monbot_diag_reports_total") >= 1 and metric(fams, "monbot_text_messages_total") >= 2
             and metric(fams, "monbot_stability_chunks_total") >= 1,
             f"{tag} text, diag and stability results kept", fams.get("monbot_text_messages_total"))
        _ = did
    finally:
        rc = srv.stop()
        t.eq(rc, 0, f"{tag} server exits 0 on SIGTERM")


def main():
    on_both_backends(t, "mb-server-compat.", check_backend)
    t.done()


main()
