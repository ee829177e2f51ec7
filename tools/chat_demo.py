#!/usr/bin/python3
"""tools/chat_demo.py — the README's picture of a chat, from a real run:
monbot-server with the bot, a real monbot-agent on this machine, and the
Telegram double (tests/fakes/tgdouble.py) standing in for Telegram. It
plays a short conversation (/newkey, /status with its fresh edit, a chart,
an alert) and draws the double's record of that chat as an SVG, bot
messages with their buttons and the chart as sent.
  python3 tools/chat_demo.py [out.svg]     (default docs/chat.svg)
Needs `make server agent` first."""
import base64
import html
import os
import re
import shutil
import sys
import textwrap
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "lib"))
from server import Server, start_agent, stop_agent, tmpdir  # noqa: E402
from tg import TgDouble, buttons  # noqa: E402

USER = {"id": 1001, "first_name": "Alice", "username": "alice"}
W = 560          # picture width
BW = 430         # bubble width
LINE = 17        # text line height
WRAP = 54        # characters a line in a bubble


def plain(text):
    """Telegram HTML as the reader sees it: tags gone, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", text or ""))


def conversation(d, srv, workdir):
    uid = USER["id"]
    d.user(uid, first_name=USER["first_name"], username=USER["username"])
    keep = []
    d.say(uid, "/newkey web1")
    m = d.wait_message(uid, lambda m: "<code>" in (m.get("text") or "") or "web1" in (m.get("text") or ""))
    secret = re.search(r"\b[A-Za-z0-9]{20}\b", plain(m["text"])).group(0)
    keep.append(("user", "/newkey web1"))
    keep.append(("bot", m["message_id"]))
    agent = start_agent(srv, secret, workdir, interval=2)
    deadline = time.time() + 30
    while time.time() < deadline and not srv.rows("SELECT 1 FROM metrics WHERE secret=?", (secret,)):
        time.sleep(0.5)
    time.sleep(3)  # a second sample: CPU and net speeds have a delta
    mark = d.mark()
    d.say(uid, "/status web1")
    d.wait_call("editMessageText", timeout=20, after=mark)
    status = d.bot_messages(uid)[-1]
    keep.append(("user", "/status web1"))
    keep.append(("bot", status["message_id"]))
    mark = d.mark()
    d.press(uid, status, f"cr:cpu:1h:{secret}")
    photo = d.wait_call("sendPhoto", timeout=30, after=mark)
    keep.append(("photo", photo["i"] if photo else None))
    d.say(uid, "/setalert web1 cpu 0")
    keep.append(("user", "/setalert web1 cpu 0"))
    alert = d.wait_message(uid, lambda m: "🔴" in (m.get("text") or "") or "🚨" in (m.get("text") or ""),
                           timeout=30)
    if alert:
        confirm = [m for m in d.bot_messages(uid) if m["message_id"] < alert["message_id"]][-1]
        keep.append(("bot", confirm["message_id"]))
        keep.append(("bot", alert["message_id"]))
    stop_agent(agent)
    return keep


def bubble(out, y, text, kb, mine):
    lines = []
    for para in text.split("\n"):
        lines += textwrap.wrap(para, WRAP) or [""]
    h = 16 + LINE * len(lines)
    x = W - BW - 12 if mine else 12
    fill = "#2b5278" if mine else "#182533"
    out.append(f'<rect x="{x}" y="{y}" width="{BW}" height="{h}" rx="12" fill="{fill}"/>')
    for i, ln in enumerate(lines):
        out.append(f'<text x="{x + 12}" y="{y + 8 + LINE * (i + 1) - 4}" fill="#e9eef3">{html.escape(ln)}</text>')
    y += h + 4
    rows = {}
    for t, _, r, _ in kb:
        rows.setdefault(r, []).append(t)
    for r in sorted(rows):
        bw = (BW - 4 * (len(rows[r]) - 1)) / len(rows[r])
        for i, t in enumerate(rows[r]):
            bx = x + i * (bw + 4)
            out.append(f'<rect x="{bx:.0f}" y="{y}" width="{bw:.0f}" height="26" rx="6" fill="#24384c"/>')
            out.append(f'<text x="{bx + bw / 2:.0f}" y="{y + 17}" fill="#e9eef3" text-anchor="middle">'
                       f'{html.escape(t[:18])}</text>')
        y += 30
    return y + 8


def draw(d, keep, path):
    uid = USER["id"]
    msgs = {m["message_id"]: m for m in d.bot_messages(uid)}
    photos = {c["i"]: c for c in d.calls("sendPhoto", data=True)}
    out, y = [], 12
    for kind, ref in keep:
        if kind == "user":
            y = bubble(out, y, ref, [], True)
        elif kind == "bot" and ref in msgs:
            y = bubble(out, y, plain(msgs[ref].get("text")), buttons(msgs[ref]), False)
        elif kind == "photo" and ref in photos:
            f = photos[ref]["files"][0]
            out.append(f'<image x="12" y="{y}" width="{BW}" height="{BW // 2}" '
                       f'href="data:image/png;base64,{f["data_b64"]}"/>')
            y += BW // 2 + 4
            y = bubble(out, y, plain(photos[ref]["params"].get("caption", "")), [], False)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{y + 8}" '
           f'font-family="DejaVu Sans, sans-serif" font-size="13">',
           f'<rect width="{W}" height="{y + 8}" fill="#0e1621"/>'] + out + ["</svg>"]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(svg) + "\n")


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs", "chat.svg")
    tmp = tmpdir("mb-chat-demo.")
    d = TgDouble().start()
    srv = Server(tmp, env=dict(d.env(), LOG_LEVEL="WARN"))
    try:
        srv.start()
        keep = conversation(d, srv, os.path.join(tmp, "agent"))
        draw(d, keep, path)
        print(f"wrote {path}")
    finally:
        srv.stop()
        d.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
