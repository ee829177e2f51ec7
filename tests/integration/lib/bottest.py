"""What the bot's scenario tests share (tests/integration/bot_*.py): a real
monbot-server talking to the Telegram double (tests/fakes/tgdouble.py),
real agents, and waits for the bot's answers. Waits are upper bounds for
"it happened", never timing assertions."""
import asyncio
import json
import os
import re
import struct
import time
import zlib

import websockets

from server import Server, start_agent, stop_agent, tmpdir, wait_for  # noqa: F401
from tg import TgDouble, buttons  # noqa: F401

SECRET_RE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z0-9]{20})(?![A-Za-z0-9])")
WAIT = 30


async def push(srv, key, samples):
    """Sends samples on one connection, each after the server's previous reply."""
    async with websockets.connect(srv.ws_url(key), ping_interval=None) as ws:
        await asyncio.wait_for(ws.recv(), WAIT)
        for s in samples:
            await ws.send(json.dumps(s))
            await asyncio.wait_for(ws.recv(), WAIT)


class BotRig:
    def __init__(self, prefix, lang="en", env=None):
        self.tmp = tmpdir(prefix)
        self.d = TgDouble().start()
        e = dict(self.d.env())
        e.update({"BOT_LANG": lang, "COMMAND_POLL": "1"})
        e.update(env or {})
        self.srv = Server(self.tmp, env=e).start()
        self.agents = []
        self.d.wait_polling(timeout=WAIT)

    def close(self):
        for p in self.agents:
            stop_agent(p)
        self.srv.stop()
        self.d.stop()

    def agent(self, secret, name="agent"):
        p = start_agent(self.srv, secret, os.path.join(self.tmp, name), interval=1,
                        extra={"AGENT_ALLOW_POWER": "0"})
        self.agents.append(p)
        return p

    def wait_rows(self, sql, args, pred, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while True:
            rows = self.srv.rows(sql, args)
            if pred(rows) or time.monotonic() > deadline:
                return rows
            time.sleep(0.1)

    def ask(self, user, text, part=None, chat=None, timeout=WAIT, kb=False):
        """user writes text; the bot's first later message (containing part; with a keyboard
        when kb) in its current state, or None."""
        if chat is None:
            chat = user["id"] if isinstance(user, dict) else user
        mark = self.d.last_mid(chat)
        self.d.say(user, text, chat=chat)
        return self.d.wait_message(chat, lambda m: (part is None or part in (m.get("text") or ""))
                                   and (not kb or m.get("reply_markup")), timeout, after=mark)

    def press(self, user, msg, data, chat=None, forge=False):
        """user presses a button (data) on msg; the answer to the callback query."""
        cid = self.d.press(user, msg, data, chat=chat, forge=forge)
        return self.d.wait_answer(cid, timeout=WAIT)

    def edited(self, chat, mid, pred, timeout=WAIT):
        """Message mid once pred(message) holds, or None."""
        deadline = time.monotonic() + timeout
        while True:
            m = self.d.message(chat, mid)
            if m and pred(m):
                return m
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    def commands(self):
        return self.srv.rows("SELECT command, requested_by, chat_id FROM command_queue ORDER BY id")


def data_of(msg):
    return [b[1] for b in buttons(msg)]


def text_of(msg):
    return (msg or {}).get("text") or ""


def png_check(d):
    """(width, height) of a valid 8-bit RGB PNG, or a string saying what is wrong."""
    if d[:8] != b"\x89PNG\r\n\x1a\n":
        return "bad signature"
    i, idat, ihdr, end = 8, b"", None, False
    while i + 12 <= len(d):
        n = struct.unpack(">I", d[i:i + 4])[0]
        kind, body = d[i + 4:i + 8], d[i + 8:i + 8 + n]
        if zlib.crc32(kind + body) != struct.unpack(">I", d[i + 8 + n:i + 12 + n])[0]:
            return "bad CRC"
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            end = True
        i += 12 + n
    if not ihdr or not end:
        return "no IHDR or IEND"
    w, h, depth, ctype = ihdr[:4]
    if depth != 8 or ctype != 2:
        return "not 8-bit RGB"
    raw = zlib.decompress(idat)
    if len(raw) != h * (1 + 3 * w) or any(raw[y * (1 + 3 * w)] > 4 for y in range(h)):
        return "IDAT is not whole rows"
    return (w, h)


def png_rgb(d):
    """The (r, g, b) pixels of an 8-bit RGB PNG that png_check accepts, row
    by row (the five filters of PNG §9 undone)."""
    i, idat, w, h = 8, b"", 0, 0
    while i + 12 <= len(d):
        n = struct.unpack(">I", d[i:i + 4])[0]
        kind, body = d[i + 4:i + 8], d[i + 8:i + 8 + n]
        if kind == b"IHDR":
            w, h = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        i += 12 + n
    raw, stride, prev, out = zlib.decompress(idat), 3 * w, bytearray(3 * w), []
    for y in range(h):
        f, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = row[x - 3] if x >= 3 else 0
            b = prev[x]
            if f == 1:
                row[x] = (row[x] + a) & 255
            elif f == 2:
                row[x] = (row[x] + b) & 255
            elif f == 3:
                row[x] = (row[x] + (a + b) // 2) & 255
            elif f == 4:
                c = prev[x - 3] if x >= 3 else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                row[x] = (row[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out.extend(zip(row[0::3], row[1::3], row[2::3]))
        prev = row
    return out


def png_size(data):
    """(width, height) of a PNG, or None."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def u16len(s):
    return len(s.encode("utf-16-le")) // 2
