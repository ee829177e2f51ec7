#!/usr/bin/python3
"""Issue 9 point 7: a command queued by another process (`monbot-server
command`, straight into the database) reaches an agent that is already
connected, without waiting for its next connection; exactly once, and
recorded as delivered. A second agent of another key gets nothing. The
wait is an upper bound for "it happened", not a timing assertion."""
import asyncio
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import websockets  # noqa: E402
from server import Server, Tap, original_sample, tmpdir  # noqa: E402

t = Tap()
WAIT = 20  # upper bound for the poll (COMMAND_POLL 1 s here)


async def commands_until(ws, want, limit):
    """Replies' commands, sending a sample after each reply (the agent's
    rhythm), until `want` was seen or limit s passed."""
    got = []
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    i = 0
    while loop.time() < end and want not in got:
        try:
            r = json.loads(await asyncio.wait_for(ws.recv(), max(0.1, end - loop.time())))
        except asyncio.TimeoutError:
            break
        got += r.get("commands", [])
        if not r.get("commands"):
            await asyncio.sleep(0.2)
            await ws.send(json.dumps(original_sample(i)))
            i += 1
    return got


async def scenario(srv, key, other):
    async with websockets.connect(srv.ws_url(key), ping_interval=None) as ws, \
            websockets.connect(srv.ws_url(other), ping_interval=None) as ws2:
        first = json.loads(await asyncio.wait_for(ws.recv(), 30))
        t.eq(first.get("commands"), [], "connected with nothing queued")
        json.loads(await asyncio.wait_for(ws2.recv(), 30))
        out = srv.cli("command", key, "stability 100 2", "--by", "4242")
        cmd_id = int(out.stdout.split()[-1]) if out.stdout.split() else 0
        got = await commands_until(ws, "stability 100 2", WAIT)
        t.eq(got, ["stability 100 2"], "the queued command reached the connected agent, once")
        # The other key's session saw no command in the meantime.
        await ws2.send(json.dumps(original_sample(0)))
        r2 = json.loads(await asyncio.wait_for(ws2.recv(), 30))
        t.eq(r2.get("commands"), [], "another key's agent got nothing")
        # Nothing more arrives for the first one (exactly once).
        more = await commands_until(ws, "never", 3)
        t.eq(more, [], "no second delivery")
        return cmd_id


def main():
    base = tmpdir("mb-server-cmdpoll.")
    srv = Server(base, env={"COMMAND_POLL": "1"})
    srv.start()
    try:
        key = srv.new_key("polled")
        other = srv.new_key("other")
        cmd_id = asyncio.run(scenario(srv, key, other))
        rows = srv.rows("SELECT command, state, requested_by FROM command_queue WHERE secret=?", (key,))
        t.eq(rows, [("stability 100 2", 1, 4242)], "recorded as delivered (state 1) with who asked")
        t.diag(f"command id {cmd_id}")
    finally:
        rc = srv.stop()
        t.eq(rc, 0, "server exits 0")
        if not os.environ.get("KEEP"):
            shutil.rmtree(base, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
