#!/usr/bin/python3
"""A server cannot forge lines in the agent's log (issue 9 point 10): a
WebSocket server (python3-websockets, like the original's) sends a command
holding a newline, a fake time stamp and an ESC; the real agent logs it as
one line with the exact escaped text. Prints TAP lines."""
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import websockets

O = os.environ.get("O", "build/native")
AGENT = os.path.abspath(os.path.join(O, "monbot-agent"))
TMP = tempfile.mkdtemp(prefix="monbot-logesc-")
FORGED = "x\n2030-01-01T00:00:00Z [ERROR] FORGED\x1b[31m"
ESCAPED = "x\\n2030-01-01T00:00:00Z [ERROR] FORGED\\x1b[31m"
n = failed = 0


def report(ok, what, detail=""):
    global n, failed
    n += 1
    failed += 0 if ok else 1
    print(f"{'ok' if ok else 'not ok'} {n} - {what}")
    if not ok and detail:
        for line in str(detail).splitlines()[:20]:
            print(f"#   {line!r}")


async def handler(ws, path=None):
    sent = False
    try:
        async for _ in ws:
            await ws.send(json.dumps({"commands": [] if sent else [FORGED]}))
            sent = True
    except websockets.ConnectionClosed:
        pass


def log_text():
    with open(os.path.join(TMP, "agent.log"), errors="replace") as f:
        return f.read()


async def main():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    server = await websockets.serve(handler, "127.0.0.1", port)
    env = dict(os.environ)
    env.update({"AGENT_SECRET": "Sekret123", "AGENT_SERVER_IP": "127.0.0.1", "AGENT_PORT": str(port),
                "AGENT_INTERVAL": "1", "AGENT_TLS": "0"})
    with open(os.path.join(TMP, "agent.log"), "wb") as log:
        p = subprocess.Popen([AGENT], env=env, stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.STDOUT, cwd=TMP)
    end = time.monotonic() + 20
    while time.monotonic() < end and "FORGED" not in log_text():
        await asyncio.sleep(0.05)
    p.terminate()
    p.wait(20)
    server.close()
    await server.wait_closed()
    lines = log_text().splitlines()
    hits = [ln for ln in lines if "FORGED" in ln]
    report(len(hits) == 1, "the command is on one line of the agent's log", "\n".join(lines))
    report(len(hits) == 1 and hits[0].endswith(f" [INFO] command '{ESCAPED}' is not supported by this agent"),
           "the line carries the exact escaped text", "\n".join(hits))
    report(not [ln for ln in lines if ln.startswith("2030-") or "\x1b" in ln],
           "no forged line and no ESC in the agent's log", "\n".join(lines))


asyncio.run(main())
print(f"1..{n}")
sys.exit(1 if failed else 0)
