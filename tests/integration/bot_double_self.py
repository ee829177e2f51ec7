#!/usr/bin/python3
"""The Telegram double (tests/fakes/tgdouble.py) against the Bot API's own
rules, with urllib as the bot: the exact answers of getUpdates (offset,
limit, timeout, the 409 of a second poller), every limit it enforces, HTML
parsing, "not modified", multipart uploads with a PNG built here, each fault
of the control API, flood control, and lib/tg.py's helpers. TAP."""
import http.client
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from server import Tap  # noqa: E402
from tg import TgDouble, buttons  # noqa: E402

NM = ("Bad Request: message is not modified: specified new message content and reply markup are exactly "
      "the same as a current content and reply markup of the message")
CB_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
t = Tap()


def png(w, h, pad=0):
    """A real PNG of w x h grey pixels (pad: a private chunk of that many bytes)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x80" * w for _ in range(h))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    if pad:
        out += chunk(b"prVt", b"\x00" * pad)
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def png_header(w, h):
    """Only the signature and IHDR: enough for the dimension checks."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))


def multipart(fields, files):
    b = "----monbotBoundary7MA4YWxkTrZu0gW"
    out = b""
    for k, v in fields.items():
        out += f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    for name, filename, mime, data in files:
        out += (f'--{b}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {mime}\r\n\r\n").encode() + data + b"\r\n"
    return out + f"--{b}--\r\n".encode(), f"multipart/form-data; boundary={b}"


def call(d, method, body=None, ctype="application/json", http_method="POST", query=None, token=None):
    """(status, parsed body or text, content type)."""
    url = f"{d.url}/bot{token or d.token}/{method}" + ("?" + urllib.parse.urlencode(query) if query else "")
    if isinstance(body, dict):
        body = json.dumps(body).encode() if ctype == "application/json" else urllib.parse.urlencode(body).encode()
    req = urllib.request.Request(url, data=body, method=http_method, headers={"Content-Type": ctype})
    try:
        with OPENER.open(req, timeout=60) as r:
            raw, st, ct = r.read(), r.status, r.headers.get("Content-Type")
    except urllib.error.HTTPError as e:
        raw, st, ct = e.read(), e.code, e.headers.get("Content-Type")
    try:
        return st, json.loads(raw), ct
    except ValueError:
        return st, raw.decode("utf-8", "replace"), ct


def api(d, method, **params):
    st, body, _ = call(d, method, params)
    return st, body


def err(d, method, **params):
    st, body = api(d, method, **params)
    return (st, body.get("description")) if isinstance(body, dict) else (st, body)


def bad(desc):
    return (400, "Bad Request: " + desc)


def test_basics(d):
    st, b = api(d, "getMe")
    t.eq((st, b), (200, {"ok": True, "result": {
        "id": 123, "is_bot": True, "first_name": "MonBot Test", "username": "monbot_test_bot",
        "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False,
        "can_connect_to_business": False, "has_main_web_app": False}}), "getMe: the bot")
    st, b, _ = call(d, "getMe", token="123:WRONG")
    t.eq((st, b), (401, {"ok": False, "error_code": 401, "description": "Unauthorized"}), "wrong token: 401")
    st, b, _ = call(d, "sendSticker", {})
    t.eq((st, b), (404, {"ok": False, "error_code": 404, "description": "Not Found"}), "unknown method: 404")
    st, b, _ = call(d, "getme", http_method="GET")
    t.eq((st, b["ok"]), (200, True), "method names are case-insensitive, GET works")
    d.user(7, first_name="Ann", username="ann", lang="ru")
    st, b, _ = call(d, "sendMessage", http_method="GET", query={"chat_id": "7", "text": "q"})
    t.eq((st, b["result"]["text"], b["result"]["chat"]), (200, "q", {
        "id": 7, "type": "private", "first_name": "Ann", "username": "ann"}), "GET with a query string")
    kb = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    st, b, _ = call(d, "sendMessage", {"chat_id": 7, "text": "f", "reply_markup": json.dumps(kb)},
                    ctype="application/x-www-form-urlencoded")
    c = d.calls("sendMessage")[-1]
    t.eq((st, b["result"]["reply_markup"], c["params"]["reply_markup"], c["content_type"]),
         (200, kb, kb, "application/x-www-form-urlencoded"), "form body: reply_markup decoded and recorded")
    t.eq(err(d, "sendMessage", chat_id=99, text="x"), bad("chat not found"), "unknown chat")
    t.eq(err(d, "sendMessage", text="x"), bad("chat_id is empty"), "no chat_id")
    d.block(7)
    t.eq(err(d, "sendMessage", chat_id=7, text="x"), (403, "Forbidden: bot was blocked by the user"),
         "a user who blocked the bot: 403")
    d.block(7, False)
    st, b, _ = call(d, "sendMessage", b"{not json", ctype="application/json")
    t.eq((st, b.get("description")), bad("can't parse JSON object"), "a body that is not JSON")


def test_updates(d):
    u1 = d.say(10, "/start")
    full = d.say_full({"id": 11, "first_name": "Bob", "username": "bob", "language_code": "de"}, "hello")
    u3 = d.say(10, "/status@monbot_test_bot now")
    t.eq((u1, full["update_id"], u3), (10000, 10001, 10002), "update_id grows by one")
    st, b = api(d, "getUpdates")
    ids = [u["update_id"] for u in b["result"]]
    t.eq((st, ids), (200, [10000, 10001, 10002]), "getUpdates without offset: all pending")
    m = b["result"][0]["message"]
    t.eq({k: m[k] for k in ("message_id", "from", "chat", "text", "entities")}, {
        "message_id": 1, "from": {"id": 10, "is_bot": False, "first_name": "User10", "username": "user10",
                                  "language_code": "en"},
        "chat": {"id": 10, "type": "private", "first_name": "User10", "username": "user10"},
        "text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]},
        "a user's message as Telegram sends it")
    t.eq(b["result"][2]["message"]["entities"], [{"type": "bot_command", "offset": 0, "length": 23}],
         "bot_command entity covers /cmd@bot")
    t.eq(b["result"][1]["message"]["from"]["language_code"], "de", "language_code of the user")
    t.eq([u["update_id"] for u in api(d, "getUpdates", limit=2)[1]["result"]], [10000, 10001], "limit=2")
    t.eq([u["update_id"] for u in api(d, "getUpdates", limit=0)[1]["result"]], [10000], "limit=0 is 1")
    t.eq(len(api(d, "getUpdates", limit=500)[1]["result"]), 3, "limit=500 is 100")
    t.eq([u["update_id"] for u in api(d, "getUpdates", offset=10001)[1]["result"]], [10001, 10002],
         "offset=10001 returns from 10001")
    t.eq([u["update_id"] for u in api(d, "getUpdates")[1]["result"]], [10001, 10002],
         "offset confirmed: 10000 is gone")
    t.eq([u["update_id"] for u in api(d, "getUpdates", offset=-1)[1]["result"]], [10002],
         "offset=-1: the last one, the rest forgotten")
    t.eq(api(d, "getUpdates", offset=10003)[1], {"ok": True, "result": []}, "offset past the end: []")
    t.eq(d.stats()["updates_pending"], 0, "all confirmed")
    t0 = time.monotonic()
    t.eq(api(d, "getUpdates", offset=10003, timeout=1)[1]["result"], [], "timeout=1, nothing: []")
    t.ok(time.monotonic() - t0 >= 0.95, "timeout=1 held the request about a second")
    got = {}
    th = threading.Thread(target=lambda: got.update(r=api(d, "getUpdates", offset=10003, timeout=30)))
    th.start()
    _wait(lambda: d.stats()["polls_in_flight"] == 1)
    d.say(10, "wake")
    th.join(30)
    t.eq([(u["update_id"], u["message"]["text"]) for u in got["r"][1]["result"]], [(10003, "wake")],
         "a long poll returns when an update arrives")
    # two pollers: the one in flight is terminated with 409
    api(d, "getUpdates", offset=10004)
    th = threading.Thread(target=lambda: got.update(a=api(d, "getUpdates", offset=10004, timeout=30)))
    th.start()
    _wait(lambda: d.stats()["polls_in_flight"] == 1)
    b2 = api(d, "getUpdates", offset=10004, timeout=0)
    th.join(30)
    t.eq(got["a"], (409, {"ok": False, "error_code": 409, "description":
                          "Conflict: terminated by other getUpdates request; make sure that only one bot "
                          "instance is running"}), "a second getUpdates: the first gets 409")
    t.eq(b2, (200, {"ok": True, "result": []}), "the second getUpdates is answered")
    t.eq(d.stats()["conflicts"], 1, "stats count the conflict")
    body = json.dumps({"offset": 10004, "timeout": 30}).encode()
    s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    s.sendall((f"POST /bot{d.token}/getUpdates HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
    _wait(lambda: d.stats()["polls_in_flight"] == 1)
    s.close()
    _wait(lambda: d.stats()["polls_in_flight"] == 0)
    t.eq((api(d, "getUpdates", offset=10004), d.stats()["conflicts"]), ((200, {"ok": True, "result": []}), 1),
         "a long poll the bot gave up (closed) ends: no conflict with the next one")


def _wait(cond, timeout=20):
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_text_limits(d):
    d.user(20)
    st, b = api(d, "sendMessage", chat_id=20, text="x" * 4096)
    t.eq((st, len(b["result"]["text"])), (200, 4096), "4096 characters: sent")
    t.eq(err(d, "sendMessage", chat_id=20, text="x" * 4097), bad("message is too long"), "4097: too long")
    t.eq(api(d, "sendMessage", chat_id=20, text="\U0001F600" * 2048)[0], 200, "2048 emoji = 4096 UTF-16 units")
    t.eq(err(d, "sendMessage", chat_id=20, text="\U0001F600" * 2049), bad("message is too long"),
         "2049 emoji: too long (UTF-16)")
    t.eq(api(d, "sendMessage", chat_id=20, text="<b>" + "y" * 4096 + "</b>", parse_mode="HTML")[0], 200,
         "the limit counts text after entity parsing")
    t.eq(err(d, "sendMessage", chat_id=20, text=""), bad("message text is empty"), "empty text")
    t.eq(err(d, "sendMessage", chat_id=20, text=" \n "), bad("message text is empty"), "white space only")
    t.eq(err(d, "sendMessage", chat_id=20, text="<b></b>", parse_mode="HTML"), bad("message text is empty"),
         "empty after parsing")
    t.eq(api(d, "sendMessage", chat_id=20, text="  hi  ")[1]["result"]["text"], "hi", "text trimmed")


def test_html(d):
    pe = "can't parse entities: "
    cases = [
        ("<foo>x</foo>", pe + 'Unsupported start tag "foo" at byte offset 0'),
        ("é<foo>", pe + 'Unsupported start tag "foo" at byte offset 2'),
        ("<b>x", pe + 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", pe + "Unexpected end tag at byte offset 1"),
        ("<b>x</i>", pe + 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("a < b", pe + 'Unsupported start tag "" at byte offset 2'),
        ("a & b", pe + 'Character "&" is not a part of an HTML entity at byte offset 2'),
        ("&nbsp;", pe + 'Character "&" is not a part of an HTML entity at byte offset 0'),
        ("<b x", pe + "Unclosed start tag at byte offset 0"),
        ("<span>s</span>", pe + 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ]
    for html, want in cases:
        t.eq(err(d, "sendMessage", chat_id=20, text=html, parse_mode="HTML"), bad(want), f"HTML {html!r}")
    st, b = api(d, "sendMessage", chat_id=20, parse_mode="HTML",
                text='&lt;&#60;&#x3c;&gt;&amp;&quot; <b>B</b><i>I</i><u>U</u><s>S</s><tg-spoiler>P</tg-spoiler>'
                     '<span class="tg-spoiler">Q</span><code>C</code><pre><code class="language-c">x;</code></pre>'
                     '<a href="https://e.x/?a=1&amp;b=2">L</a><blockquote>Z</blockquote><strong>\U0001F600</strong>')
    r = b["result"]
    t.eq(r["text"], '<<<>&" BIUSPQCx;LZ\U0001F600', "HTML entities decoded, tags removed")
    t.eq(r["entities"], [
        {"type": "bold", "offset": 7, "length": 1}, {"type": "italic", "offset": 8, "length": 1},
        {"type": "underline", "offset": 9, "length": 1}, {"type": "strikethrough", "offset": 10, "length": 1},
        {"type": "spoiler", "offset": 11, "length": 1}, {"type": "spoiler", "offset": 12, "length": 1},
        {"type": "code", "offset": 13, "length": 1}, {"type": "pre", "offset": 14, "length": 2, "language": "c"},
        {"type": "text_link", "offset": 16, "length": 1, "url": "https://e.x/?a=1&b=2"},
        {"type": "blockquote", "offset": 17, "length": 1}, {"type": "bold", "offset": 18, "length": 2}],
        "entities with UTF-16 offsets")
    r = api(d, "sendMessage", chat_id=20, parse_mode="html", text='<tg-emoji emoji-id="5368324170671202286">'
             '\U0001F44D</tg-emoji><blockquote expandable>E</blockquote>')[1]["result"]
    t.eq(r["entities"], [{"type": "custom_emoji", "offset": 0, "length": 2, "custom_emoji_id": "5368324170671202286"},
                         {"type": "expandable_blockquote", "offset": 2, "length": 1}],
         "tg-emoji and an expandable blockquote; parse_mode is case-insensitive")
    t.eq(api(d, "sendMessage", chat_id=20, text="a & b <x>")[1]["result"]["text"], "a & b <x>",
         "without parse_mode nothing is parsed")
    t.eq(err(d, "sendMessage", chat_id=20, text="a.b", parse_mode="MarkdownV2"),
         bad(pe + "Character '.' is reserved and must be escaped with the preceding '\\'"), "MarkdownV2: '.'")
    t.eq(api(d, "sendMessage", chat_id=20, text="a\\.b", parse_mode="MarkdownV2")[1]["result"]["text"], "a.b",
         "MarkdownV2: escaped '.'")
    d.config(strict_amp=False)
    t.eq(api(d, "sendMessage", chat_id=20, text="a & b", parse_mode="HTML")[1]["result"]["text"], "a & b",
         "strict_amp off: a bare & is kept, as Telegram does")
    d.config(strict_amp=True)


def kb(*rows):
    return {"inline_keyboard": [[{"text": x, "callback_data": y} for x, y in row] for row in rows]}


def test_markup(d):
    t.eq(api(d, "sendMessage", chat_id=20, text="k", reply_markup=kb([("A", "x" * 64)]))[0], 200,
         "callback_data of 64 bytes")
    t.eq(err(d, "sendMessage", chat_id=20, text="k", reply_markup=kb([("A", "x" * 65)])),
         bad("BUTTON_DATA_INVALID"), "callback_data of 65 bytes")
    t.eq(err(d, "sendMessage", chat_id=20, text="k", reply_markup=kb([("A", "é" * 33)])),
         bad("BUTTON_DATA_INVALID"), "callback_data of 33 'é' (66 bytes)")
    t.eq(err(d, "sendMessage", chat_id=20, text="k", reply_markup=kb([("A", "")])),
         bad("BUTTON_DATA_INVALID"), "empty callback_data")
    t.eq(err(d, "sendMessage", chat_id=20, text="k", reply_markup=kb([("", "a")])),
         bad("BUTTON_TEXT_INVALID"), "empty button text")
    t.eq(err(d, "sendMessage", chat_id=20, text="k", reply_markup={"inline_keyboard": [[{"text": "A"}]]}),
         bad("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"),
         "a button without an action")
    t.eq(err(d, "sendMessage", chat_id=20, text="k", reply_markup="{bad"),
         bad("can't parse reply keyboard markup JSON object"), "reply_markup not JSON")
    t.eq(err(d, "sendMessage", chat_id=20, text="k",
             reply_markup={"inline_keyboard": [[{"text": "U", "url": "javascript:x"}]]}),
         bad("BUTTON_URL_INVALID"), "a bad url button")
    r = api(d, "sendMessage", chat_id=20, text="k", reply_markup={"inline_keyboard": []})[1]["result"]
    t.ok("reply_markup" not in r, "an empty inline keyboard is no keyboard", r)


def test_edit(d):
    d.user(30)
    k1, k2 = kb([("One", "1"), ("Two", "2")]), kb([("Three", "3")])
    m = api(d, "sendMessage", chat_id=30, text="<b>v1</b>", parse_mode="HTML", reply_markup=k1)[1]["result"]
    mid = m["message_id"]
    t.eq(err(d, "editMessageText", chat_id=30, message_id=mid, text="<b>v1</b>", parse_mode="HTML",
             reply_markup=k1), bad(NM[len("Bad Request: "):]), "same text, same markup: not modified")
    t.eq(api(d, "editMessageText", chat_id=30, message_id=mid, text="v1", reply_markup=k1)[0], 200,
         "same text without the bold entity: modified")
    st, b = api(d, "editMessageText", chat_id=30, message_id=mid, text="v1", reply_markup=k2)
    t.eq((st, b["result"]["reply_markup"], "edit_date" in b["result"]), (200, k2, True), "markup changed")
    st, b = api(d, "editMessageText", chat_id=30, message_id=mid, text="v2")
    t.ok(st == 200 and "reply_markup" not in b["result"], "an edit without reply_markup drops the keyboard", b)
    t.eq(d.message(30, mid)["text"], "v2", "messages() shows the edited text")
    t.eq(err(d, "editMessageText", chat_id=30, message_id=999, text="x"), bad("message to edit not found"),
         "edit a message that does not exist")
    t.eq(err(d, "editMessageText", chat_id=30, text="x"), bad("message identifier is not specified"),
         "edit without message_id")
    user_mid = d.say_full(30, "mine")["message"]["message_id"]
    t.eq(err(d, "editMessageText", chat_id=30, message_id=user_mid, text="x"), bad("message can't be edited"),
         "edit a user's message")
    t.eq(api(d, "editMessageReplyMarkup", chat_id=30, message_id=mid, reply_markup=k1)[0], 200,
         "editMessageReplyMarkup")
    t.eq(err(d, "editMessageReplyMarkup", chat_id=30, message_id=mid, reply_markup=k1), bad(NM[13:]),
         "editMessageReplyMarkup, same markup: not modified")
    t.eq(api(d, "deleteMessage", chat_id=30, message_id=mid), (200, {"ok": True, "result": True}), "deleteMessage")
    t.eq(err(d, "deleteMessage", chat_id=30, message_id=mid), bad("message to delete not found"), "delete twice")
    t.eq(err(d, "editMessageText", chat_id=30, message_id=mid, text="x"), bad("message to edit not found"),
         "edit a deleted message")
    t.eq([m["text"] for m in d.messages(30)], ["mine"], "messages() without the deleted one")
    t.eq(d.last_mid(30), user_mid, "message_id per chat: sent, then the user's")


def test_callbacks(d):
    d.user(40, lang="ru")
    m = api(d, "sendMessage", chat_id=40, text="menu", reply_markup=kb([("Status", "st:1"), ("Charts", "ch:1")]))[1]
    m = m["result"]
    t.eq(buttons(m), [("Status", "st:1", 0, 0), ("Charts", "ch:1", 0, 1)], "buttons() of a message")
    mark = d.stats()["next_update_id"]
    cb = d.press_button(40, m, "Charts")
    q = d.updates()[-1]
    t.eq((q["update_id"], q["callback_query"]["id"], q["callback_query"]["data"],
          q["callback_query"]["message"]["message_id"], q["callback_query"]["from"]["language_code"]),
         (mark, cb, "ch:1", m["message_id"], "ru"), "press_button: a callback_query update")
    t.ok("chat_instance" in q["callback_query"], "callback_query has chat_instance")
    forged = d.press(40, m, "rm:9999:../../x")
    t.eq(d.updates()[-1]["callback_query"]["data"], "rm:9999:../../x", "press: forged data goes through")
    t.eq(err(d, "answerCallbackQuery", callback_query_id="nope"), bad(CB_OLD[13:]), "unknown callback id")
    t.eq(err(d, "answerCallbackQuery", callback_query_id=cb, text="z" * 201), bad("MESSAGE_TOO_LONG"),
         "callback answer text of 201")
    t.eq(api(d, "answerCallbackQuery", callback_query_id=cb, text="z" * 200, show_alert=True),
         (200, {"ok": True, "result": True}), "callback answer text of 200")
    t.eq(d.wait_answer(cb, timeout=5), {"text": "z" * 200, "show_alert": True, "url": None, "cache_time": None},
         "wait_answer: the answer")
    t.eq(err(d, "answerCallbackQuery", callback_query_id=cb), bad(CB_OLD[13:]), "answered twice")
    t.eq(api(d, "answerCallbackQuery", callback_query_id=forged)[0], 200, "the forged press can be answered")
    try:
        d.press_button(40, m, "Nope")
        t.ok(False, "press_button of a missing button raises")
    except Exception as e:
        t.ok("Nope" in str(e), "press_button of a missing button raises")
    try:
        d.press(40, 9999, "x")
        t.ok(False, "press on a missing message raises")
    except Exception:
        t.ok(True, "press on a missing message raises (forge=True allows it)")
    t.eq(api(d, "sendChatAction", chat_id=40, action="typing"), (200, {"ok": True, "result": True}),
         "sendChatAction typing")
    t.eq(err(d, "sendChatAction", chat_id=40, action="dancing"), bad("wrong parameter action in request"),
         "sendChatAction with a bad action")


def test_commands(d):
    cmds = [{"command": "start", "description": "Start"}, {"command": "status_2", "description": "x" * 256}]
    t.eq(api(d, "setMyCommands", commands=cmds), (200, {"ok": True, "result": True}), "setMyCommands")
    t.eq(d.commands(), cmds, "the commands recorded")
    t.eq(api(d, "setMyCommands", commands=cmds[:1], language_code="ru")[0], 200, "setMyCommands for ru")
    t.eq((d.commands(lang="ru"), api(d, "getMyCommands", language_code="ru")[1]["result"]), (cmds[:1], cmds[:1]),
         "commands per language")
    for c, why in (({"command": "Start", "description": "d"}, "upper case"),
                   ({"command": "x" * 33, "description": "d"}, "33 characters"),
                   ({"command": "", "description": "d"}, "empty"),
                   ({"command": "a-b", "description": "d"}, "a dash")):
        t.eq(err(d, "setMyCommands", commands=[c]), bad("BOT_COMMAND_INVALID"), f"command name: {why}")
    for desc, why in (("", "empty"), ("x" * 257, "257 characters")):
        t.eq(err(d, "setMyCommands", commands=[{"command": "a", "description": desc}]),
             bad("BOT_COMMAND_DESCRIPTION_INVALID"), f"command description: {why}")


def upload(d, method, fields, files):
    body, ctype = multipart(fields, files)
    st, b, _ = call(d, method, body, ctype=ctype)
    return st, b


def test_files(d):
    d.user(50)
    img = png(3, 2)
    st, b = upload(d, "sendPhoto", {"chat_id": "50", "caption": "<b>cpu</b>", "parse_mode": "HTML"},
                   [("photo", "chart.png", "image/png", img)])
    r = b["result"] if st == 200 else b
    t.eq((st, r.get("caption"), r.get("caption_entities"), [(p["width"], p["height"], p["file_size"])
                                                             for p in r.get("photo", [])]),
         (200, "cpu", [{"type": "bold", "offset": 0, "length": 3}], [(3, 2, len(img))]),
         "sendPhoto: a multipart PNG, caption parsed")
    c = d.calls("sendPhoto", data=True)[-1]
    import base64
    f = c["files"][0]
    t.eq((f["name"], f["filename"], f["mime"], f["size"], f["width"], f["height"],
          base64.b64decode(f["data_b64"]) == img, c["params"]["chat_id"]),
         ("photo", "chart.png", "image/png", len(img), 3, 2, True, "50"), "the upload recorded")
    fid = r["photo"][0]["file_id"]
    st, b = api(d, "sendPhoto", chat_id=50, photo=fid)
    t.eq((st, b["result"]["photo"][0]["file_id"]), (200, fid), "sendPhoto again by file_id")
    t.eq(upload(d, "sendPhoto", {"chat_id": "50", "photo": "attach://pic"},
                [("pic", "p.png", "image/png", img)])[0], 200, "photo=attach://pic")
    for (w, h), why in (((21, 1), "aspect ratio 21"), ((6000, 4001), "width+height 10001")):
        t.eq(upload(d, "sendPhoto", {"chat_id": "50"}, [("photo", "p.png", "image/png", png_header(w, h))])[1]
             ["description"], "Bad Request: PHOTO_INVALID_DIMENSIONS", f"sendPhoto: {why}")
    t.eq(upload(d, "sendPhoto", {"chat_id": "50"}, [("photo", "p.png", "image/png", png_header(20, 1))])[0],
         200, "sendPhoto: aspect ratio 20 is allowed")
    big = png(4, 4, pad=10 * 1000 * 1000)
    t.eq(upload(d, "sendPhoto", {"chat_id": "50"}, [("photo", "p.png", "image/png", big)])[1]["description"],
         "Bad Request: PHOTO_INVALID_DIMENSIONS", "sendPhoto: over 10 MB")
    t.eq(upload(d, "sendPhoto", {"chat_id": "50"}, [("photo", "p.txt", "text/plain", b"hello")])[1]
         ["description"], "Bad Request: IMAGE_PROCESS_FAILED", "sendPhoto: not an image")
    t.eq(upload(d, "sendPhoto", {"chat_id": "50", "caption": "c" * 1025},
                [("photo", "p.png", "image/png", img)])[1]["description"],
         "Bad Request: message caption is too long", "sendPhoto: caption of 1025")
    t.eq(upload(d, "sendPhoto", {"chat_id": "50", "caption": "c" * 1024},
                [("photo", "p.png", "image/png", img)])[0], 200, "sendPhoto: caption of 1024")
    t.eq(err(d, "sendPhoto", chat_id=50), bad("there is no photo in the request"), "sendPhoto without a photo")
    csv = b"time,cpu\n1,2\n"
    st, b = upload(d, "sendDocument", {"chat_id": "50"}, [("document", "cpu.csv", "text/csv", csv)])
    t.eq((st, {k: b["result"]["document"][k] for k in ("file_name", "mime_type", "file_size")}),
         (200, {"file_name": "cpu.csv", "mime_type": "text/csv", "file_size": len(csv)}), "sendDocument")
    st, b = upload(d, "sendDocument", {"chat_id": "50"},
                   [("document", "big.bin", "application/octet-stream", b"\0" * (50 * 1000 * 1000 + 1))])
    t.eq((st, b), (413, {"ok": False, "error_code": 413, "description": "Request Entity Too Large"}),
         "sendDocument over 50 MB: 413")


def raw_http(d, data, read_until=b"\r\n\r\n"):
    s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    s.sendall(data)
    return s


def test_transport(d):
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    st = []
    for _ in range(3):
        conn.request("POST", f"/bot{d.token}/getMe", body=b"{}", headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        st.append(r.status)
    conn.close()
    t.eq(st, [200, 200, 200], "keep-alive: three calls on one connection")
    body = json.dumps({"chat_id": 50, "text": "expect"}).encode()
    s = raw_http(d, (f"POST /bot{d.token}/sendMessage HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n").encode())
    first = s.recv(100)
    s.sendall(body)
    rest = b""
    while b'"ok"' not in rest:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    s.close()
    t.ok(first.startswith(b"HTTP/1.1 100") and b"HTTP/1.1 200" in first + rest and b'"expect"' in rest,
         "Expect: 100-continue is answered", first + rest)
    s = raw_http(d, (f"POST /bot{d.token}/sendMessage HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{len(body):x}\r\n").encode()
                 + body + b"\r\n0\r\n\r\n")
    rest = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    s.close()
    t.ok(rest.startswith(b"HTTP/1.1 200") and b'"expect"' in rest, "a chunked body", rest)


def test_curl(d):
    """curl (libcurl, as the bot uses it) against the double: -F multipart, Expect: 100-continue."""
    if not shutil.which("curl"):
        t.skip("curl: multipart, form, Expect", "no curl")
        return
    tmp = tempfile.mkdtemp(prefix="tgdouble-")
    try:
        with open(os.path.join(tmp, "c.png"), "wb") as f:
            f.write(png(5, 4))
        with open(os.path.join(tmp, "big.bin"), "wb") as f:
            f.write(os.urandom(3 << 20))

        def curl(method, *args):
            out = subprocess.run(["curl", "-sS", "--noproxy", "*", *args, f"{d.url}/bot{d.token}/{method}"],
                                 capture_output=True, timeout=60)
            return json.loads(out.stdout or b"{}")
        r = curl("sendPhoto", "-F", "chat_id=50", "-F", "caption=c", "-F",
                 f"photo=@{tmp}/c.png;type=image/png")
        t.eq([(p["width"], p["height"]) for p in r.get("result", {}).get("photo", [])], [(5, 4)],
             "curl -F: sendPhoto")
        r = curl("sendDocument", "-F", "chat_id=50", "-F", f"document=@{tmp}/big.bin")
        c = d.calls("sendDocument")[-1]
        t.eq((r.get("ok"), r.get("result", {}).get("document", {}).get("file_size"), c["files"][0]["filename"]),
             (True, 3 << 20, "big.bin"), "curl -F: a 3 MB sendDocument (Expect: 100-continue)")
        r = curl("sendMessage", "--data-urlencode", "chat_id=50", "--data-urlencode", "text=a+b & <c>")
        t.eq(r.get("result", {}).get("text"), "a+b & <c>", "curl --data-urlencode: a form body")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_faults(d):
    d.user(60)
    d.fault("429", retry_after=1, method="sendMessage")
    st, b = api(d, "sendMessage", chat_id=60, text="a")
    t.eq((st, b), (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                         "parameters": {"retry_after": 1}}), "fault 429: the answer")
    t.eq(api(d, "sendMessage", chat_id=60, text="b")[0], 200, "fault 429 for one call only")
    s = d.stats()
    t.eq((s["calls_during_retry_after"], s["calls_during_retry_after_by_method"], s["retry_after_sent"]),
         (1, {"sendMessage": 1}, 1), "a call inside retry_after is counted")
    time.sleep(1.1)
    api(d, "sendMessage", chat_id=60, text="c")
    t.eq(d.stats()["calls_during_retry_after"], 1, "a call after retry_after is not")
    t.eq(d.calls("sendMessage")[-3]["during_retry_after"], False, "the 429'd call itself is not inside")
    d.fault("not_modified", method="editMessageText")
    mid = d.last_mid(60)
    t.eq(err(d, "editMessageText", chat_id=60, message_id=mid, text="new"), bad(NM[13:]), "fault not_modified")
    d.fault("502")
    st, b, ct = call(d, "sendMessage", {"chat_id": 60, "text": "x"})
    t.eq((st, ct, "<title>502 Bad Gateway</title>" in b), (502, "text/html", True), "fault 502: nginx's page")
    d.fault("drop")
    try:
        api(d, "sendMessage", chat_id=60, text="x")
        t.ok(False, "fault drop: no answer")
    except (ConnectionError, http.client.HTTPException, urllib.error.URLError) as e:
        t.ok(True, f"fault drop: no answer ({type(e).__name__})")
    t.eq(d.calls("sendMessage")[-1]["response"], {"dropped": True}, "the dropped call is recorded")
    d.fault("slow", delay=0.5)
    t0 = time.monotonic()
    st = api(d, "sendMessage", chat_id=60, text="slow")[0]
    t.ok(st == 200 and time.monotonic() - t0 >= 0.45, "fault slow: answered after the delay")
    d.fault("error", code=403, description="Forbidden: bot was blocked by the user", method=["sendMessage"])
    t.eq(err(d, "sendMessage", chat_id=60, text="x"), (403, "Forbidden: bot was blocked by the user"),
         "fault error: any code and description")
    d.fault("429", count=2, retry_after=1)
    t.eq([api(d, "sendMessage", chat_id=60, text="x")[0] for _ in range(3)], [429, 429, 200], "count=2")
    time.sleep(1.1)
    d.fault("502")
    t.eq((api(d, "getUpdates")[0], api(d, "getMe")[0]), (200, 502), "method=None spares getUpdates")
    d.fault("502", method="*")
    t.eq(api(d, "getUpdates")[0], 502, "method='*' includes getUpdates")
    d.fault("502", method="getMe")
    t.eq((api(d, "sendMessage", chat_id=60, text="x")[0], api(d, "getMe")[0]), (200, 502), "method=getMe only")
    d.fault("outage", seconds=0.6)
    outs = []
    for m in ("getUpdates", "sendMessage"):
        try:
            outs.append(api(d, m, chat_id=60, text="x")[0])
        except (ConnectionError, http.client.HTTPException, urllib.error.URLError):
            outs.append("dropped")
    t.eq((outs, d.stats()["calls"] > 0), (["dropped", "dropped"], True),
         "outage: every call dropped, the control API answers")
    time.sleep(0.7)
    t.eq(api(d, "getMe")[0], 200, "after the outage the calls are answered")
    d.fault("502", seconds=30)
    t.eq([api(d, "getMe")[0] for _ in range(3)], [502, 502, 502], "a fault for a time span")
    d.clear_faults()
    t.eq((api(d, "getMe")[0], d.faults()), (200, []), "clear_faults")


def test_rate(d):
    d.user(70)
    d.user(71)
    d.rate(strict_per_chat=True)
    a = api(d, "sendMessage", chat_id=70, text="1")[0]
    st, b = api(d, "sendMessage", chat_id=70, text="2")
    c = api(d, "sendMessage", chat_id=71, text="1")[0]
    t.eq((a, st, b, c), (200, 429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                                    "parameters": {"retry_after": 1}}, 200),
         "strict: a second message into a chat within a second is 429, another chat is fine")
    t.eq(api(d, "editMessageText", chat_id=70, message_id=d.last_mid(70), text="e")[0], 200,
         "edits are not counted unless count_edits")
    d.rate(strict_per_chat=False, per_chat_per_sec=3)
    time.sleep(1.1)
    t.eq([api(d, "sendMessage", chat_id=70, text=str(i))[0] for i in range(4)], [200, 200, 200, 429],
         "per_chat_per_sec=3")
    d.rate(per_chat_per_sec=0, global_per_sec=2)
    time.sleep(1.1)
    t.eq([api(d, "sendMessage", chat_id=c, text="g")[0] for c in (70, 71, 70)], [200, 200, 429], "global_per_sec=2")
    t.eq(d.rate(global_per_sec=300), {"per_chat_per_sec": 0, "strict_per_chat": False, "global_per_sec": 300,
                                      "count_edits": False}, "rate settings")


def test_lib(d):
    d.reset()
    t.eq((d.calls(), d.messages(10), d.stats()["calls_during_retry_after"]), ([], [], 0), "reset forgets all")
    after = d.mark()

    def bot():  # a tiny bot on a thread: answers /start, edits on the button
        st, b = api(d, "getUpdates", timeout=10)
        u = b["result"][0]
        api(d, "sendMessage", chat_id=u["message"]["chat"]["id"], text="Hello", reply_markup=kb([("Go", "go")]))
        st, b = api(d, "getUpdates", offset=u["update_id"] + 1, timeout=10)
        q = b["result"][0]["callback_query"]
        api(d, "answerCallbackQuery", callback_query_id=q["id"], text="going")
        api(d, "editMessageText", chat_id=q["message"]["chat"]["id"], message_id=q["message"]["message_id"],
            text="Gone")
        api(d, "getUpdates", offset=b["result"][0]["update_id"] + 1)
    th = threading.Thread(target=bot)
    th.start()
    t.eq(d.wait_polling(timeout=20), True, "wait_polling: the bot's first getUpdates is in flight")
    t.eq(([c["response"] for c in d.calls("getUpdates", since=after + 1, pending=True)],
          d.calls("getUpdates", since=after + 1)), ([None], []), "calls(pending=True) lists the poll in flight")
    d.say(80, "/start")
    c = d.wait_call("sendMessage", after=after, timeout=20)
    t.eq(c and (c["params"]["text"], c["status"]), ("Hello", 200), "wait_call: the bot's sendMessage")
    m = d.wait_message(80, lambda m: m["text"] == "Hello", timeout=20)
    t.eq(m and buttons(m), [("Go", "go", 0, 0)], "wait_message: with its keyboard")
    cb = d.press_button(80, m, "Go")
    t.eq(d.wait_answer(cb, timeout=20), {"text": "going", "show_alert": False, "url": None, "cache_time": None},
         "wait_answer")
    m2 = d.wait_message(80, lambda m: m["text"] == "Gone", timeout=20)
    t.eq(m2 and (m2["message_id"], "reply_markup" in m2), (m["message_id"], False), "wait_message sees the edit")
    th.join(20)
    t.eq(d.wait_call("sendPhoto", timeout=0.2), None, "wait_call times out with None")
    t.eq(d.wait_text(80, "Gon", timeout=1)["text"], "Gone", "wait_text")
    t.ok(d.stats()["confirmed_offset"] > 0, "the bot's offset is seen")
    e = TgDouble(token="999:EXT", external=True).start()
    try:
        t.eq((api(e, "getMe")[1]["result"]["id"], e.say(5, "hi")), (999, 10000),
             "the double as its own process (--port-file)")
    finally:
        e.stop()


def main():
    d = TgDouble(token="123:ABC").start()
    try:
        for fn in (test_basics, test_updates, test_text_limits, test_html, test_markup, test_edit,
                   test_callbacks, test_commands, test_files, test_transport, test_curl, test_faults, test_rate, test_lib):
            try:
                fn(d)
            except Exception as e:  # one broken group must not hide the others
                import traceback
                t.ok(False, f"{fn.__name__} raised {type(e).__name__}: {e}", traceback.format_exc())
                d.clear_faults()
    finally:
        d.stop()
    t.done()


if __name__ == "__main__":
    main()
