#!/usr/bin/python3
"""Issue 10: charts in the bot, with the real server and the Telegram double.
Samples with known values are stored through a WebSocket peer (sample ts
in the past, so 7 days of history exist); then the status message's chart
buttons lead to the range keyboard, each range to a photo (a PNG decoded
here: signature, CRCs, IHDR 1600x800, IDAT inflating to whole RGB rows),
/plot variants draw, and every error is answered with its text: bad
metric, bad interval, mixed units, no data, an unknown key, someone
else's key, forged buttons. The render queue's per-user share answers
"busy" for a burst. Russian texts on a second start. Waits are upper
bounds for "it happened"; nothing asserts a duration."""
import asyncio
import base64
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from server import Server, Tap, tmpdir  # noqa: E402
from tg import TgDouble  # noqa: E402  (tests/integration/lib/tg.py)
from bottest import png_check, push, wait_for  # noqa: E402

t = Tap()
WAIT = 30
OWNER, OTHER = 1001, 2002
NOW = int(time.time())
GIB = 1 << 30


# ---- data ---------------------------------------------------------------------
def sample(ts, i, gpu=True, net=True):
    d = {"ts": ts, "cpu": 10.0 + i % 50, "ram": 40.0 + i % 10, "ram_used": 8 * GIB + i,
         "ram_total": 16 * GIB, "swap": 0.0, "swap_used": 0, "swap_total": GIB, "uptime": 1000 + i,
         "disks": [], "top_procs": []}
    if gpu:
        d.update({"gpu": 20.0 + i % 30, "vram": 30.0, "vram_used": 2457.6, "vram_total": 8192.0})
    if net:
        d.update({"net_up": 1.25e6, "net_down": 2.5e6 + i})
    return d


def history():
    """web1: every 5 min over 7 days, every 10 s over the last 2 hours."""
    ts = list(range(NOW - 7 * 86400 + 60, NOW - 7200, 300)) + list(range(NOW - 7200, NOW - 5, 10))
    return [sample(x, i) for i, x in enumerate(ts)]


def quiet():
    """quiet: CPU and RAM only, 50 to 20 minutes ago (nothing in the last 10)."""
    return [sample(x, i, gpu=False, net=False) for i, x in enumerate(range(NOW - 3000, NOW - 1200, 30))]


def seed(srv, key, samples):
    asyncio.run(push(srv, key, samples))
    n = len(samples)
    got = wait_for(lambda: srv.rows("SELECT COUNT(*) FROM metrics WHERE secret=?", (key,))[0][0] == n)
    # minutes that ended a while ago are folded into the rollups
    wait_for(lambda: srv.rows("SELECT COUNT(*) FROM rollup_dirty WHERE secret=? AND bucket < ?",
                              (key, NOW - 120))[0][0] == 0)
    return got


# ---- PNG --------------------------------------------------------------------------
# ---- the conversation ---------------------------------------------------------------
class Chat:
    """One user in one chat, and what the bot sent there."""
    def __init__(self, tg, user, chat=None):
        self.tg, self.user, self.chat = tg, user, chat or user

    def say(self, text):
        m = self.tg.mark()
        self.tg.say(self.user, text, chat=self.chat)
        return m

    def press(self, msg_id, data, forge=False):
        m = self.tg.mark()
        return m, self.tg.press(self.user, msg_id, data, chat=self.chat, forge=forge)

    def reply(self, after, method="sendMessage"):
        """The first call of method to this chat after the mark (with file data for photos)."""
        c = self.tg.wait_call(method, lambda c: str(c["params"].get("chat_id")) == str(self.chat),
                              timeout=WAIT, after=after)
        if c and method == "sendPhoto":
            c = self.tg.calls(method, since=c["i"], data=True)[0]
        return c

    def sent(self, after, methods=("sendPhoto", "sendDocument", "editMessageReplyMarkup", "sendMessage")):
        return [c for c in self.tg.calls(since=after + 1) if c["method"] in methods and
                str(c["params"].get("chat_id")) == str(self.chat)]


def photo_ok(c, caption, name):
    if not c:
        t.ok(False, name + ": a photo arrived")
        return None
    f = [x for x in c["files"] if x["name"] == "photo"]
    t.eq((f[0]["filename"], f[0]["mime"]) if f else None, ("chart.png", "image/png"), name + ": photo part")
    t.eq(png_check(base64.b64decode(f[0]["data_b64"])) if f else None, (1600, 800),
         name + ": a valid 1600x800 PNG")
    t.eq(c["params"].get("caption"), caption, name + ": caption")
    return f[0]["sha256"] if f else None


def text_of(c):
    return c["params"].get("text") if c else None


def js(v):
    """A JSON parameter as the double recorded it (already parsed, or text)."""
    return json.loads(v) if isinstance(v, str) else (v or {})


def status_message(tg, ch, key):
    """/status key: the bot's message once it carries the chart buttons (current state)."""
    after = tg.last_mid(ch.chat)
    tg.say(ch.user, f"/status {key}", chat=ch.chat)
    m = tg.wait_message(ch.chat, lambda m: any((d or "").startswith("ch:") for d in
                                               [b.get("callback_data") for row in
                                                (m.get("reply_markup") or {}).get("inline_keyboard", [])
                                                for b in row]),
                        timeout=WAIT, after=after)
    return (m["message_id"], m.get("reply_markup") or {}) if m else (None, {})


def buttons(markup):
    return [[b.get("callback_data") for b in row] for row in markup.get("inline_keyboard", [])]


def english(srv, tg, keys):
    web1, quiet_key, theirs = keys
    me, other = Chat(tg, OWNER), Chat(tg, OTHER)

    # ---- the status message's chart buttons ----
    mid, markup = status_message(tg, me, "web1")
    flat = [d for row in buttons(markup) for d in row]
    for m in ("all", "cpu", "ram", "gpu", "vram", "net"):
        t.ok(f"ch:{m}:{web1}" in flat, f"status message has the {m} chart button")
    t.ok(all(len(d.encode()) <= 64 for d in flat), "every callback_data of the status message <= 64 bytes")

    for m in ("all", "cpu", "ram", "gpu", "vram", "net"):
        mk, cb = me.press(mid, f"ch:{m}:{web1}")
        e = me.reply(mk, "editMessageReplyMarkup")
        kb = buttons(js(e["params"]["reply_markup"])) if e else None
        t.eq(kb, [[f"cr:{m}:{r}:{web1}" for r in ("10m", "1h", "24h", "7d")], [f"bk:{web1}"]],
             f"{m}: the range keyboard replaces the status buttons")
        t.ok(e and str(e["params"].get("message_id")) == str(mid), f"{m}: on the status message")
        t.ok(max(len(d.encode()) for row in kb or [[""]] for d in row) <= 64, f"{m}: callback_data <= 64 bytes")
        t.ok(wait_for(lambda: tg.callbacks()[cb]["answered"]), f"{m}: the press is answered")

    labels = {"10m": "10 min", "1h": "1 h", "24h": "24 h", "7d": "7 d"}
    names = {"all": "All metrics", "cpu": "CPU", "ram": "RAM", "gpu": "GPU", "vram": "VRAM", "net": "Net"}
    shas = {}
    for r in ("10m", "1h", "24h", "7d"):
        mk, cb = me.press(mid, f"cr:cpu:{r}:{web1}")
        shas[r] = photo_ok(me.reply(mk, "sendPhoto"), f"<b>web1</b>: CPU, last {labels[r]}", f"cpu {r}")
    t.eq(len(set(shas.values())), 4, "each range draws a picture of its own")
    for m in ("all", "ram", "gpu", "vram", "net"):
        mk, cb = me.press(mid, f"cr:{m}:1h:{web1}")
        photo_ok(me.reply(mk, "sendPhoto"), f"<b>web1</b>: {names[m]}, last 1 h", f"{m} 1h")

    # ---- no data: nothing in the range, or a metric the host never had ----
    for data, name in ((f"cr:cpu:10m:{quiet_key}", "quiet cpu 10m"), (f"cr:gpu:24h:{quiet_key}", "quiet gpu 24h"),
                       (f"cr:net:7d:{quiet_key}", "quiet net 7d")):
        mk, cb = me.press(mid, data)
        t.eq(text_of(me.reply(mk)), "📭 No data for this period.", name + ": no data, as text")
        t.eq(me.sent(mk, ("sendPhoto",)), [], name + ": no picture")
    mk, cb = me.press(mid, f"cr:cpu:1h:{quiet_key}")
    photo_ok(me.reply(mk, "sendPhoto"), "<b>quiet</b>: CPU, last 1 h", "quiet cpu 1h")

    # ---- /plot ----
    for args, caption in (("cpu;ram 1h", "CPU/RAM, last 1 h"), ("net 30m 100 mbit", "NET, last 30 min"),
                          ("ram 2h gib", "RAM, last 2 h"), ("cpu 1d12h", "CPU, last 1 d 12 h"),
                          ("cpu;gpu 15m 30s 50", "CPU/GPU, last 15 min 30 s"),
                          ("vram_used 7d mib", "VRAM_USED, last 7 d")):
        mk = me.say(f"/plot web1 {args}")
        photo_ok(me.reply(mk, "sendPhoto"), f"<b>web1</b>: {caption}", f"/plot web1 {args}")
    mk = me.say(f"/plot {web1} cpu 10m")
    photo_ok(me.reply(mk, "sendPhoto"), "<b>web1</b>: CPU, last 10 min", "/plot by the secret")

    usage = "❌ Usage: /plot &lt;key or name&gt; &lt;metrics&gt; &lt;interval&gt; [limit] [unit]"
    for args, want in (("web1 bogus 1h", "❌ Unknown metric: bogus"),
                       ("web1 cpu 1x", "❌ Invalid interval"),
                       ("web1 cpu 0m", "❌ Invalid interval"),
                       ("web1 cpu;net 1h", "❌ Metric units do not match"),
                       ("web1 cpu 1h mib", "❌ Metric units do not match"),
                       ("web1 ram 1h furlong",
                        "❌ Unknown unit: furlong (use % b kb kib mb mib gb gib bit kbit mbit gbit)"),
                       ("web1 cpu 1h 50 % extra", "❌ Too many arguments"),
                       ("web1 cpu 1h -5", "❌ Invalid limit: -5"),
                       ("web1 cpu", usage), ("", usage),
                       ("quiet cpu 10m", "📭 No data for this period."),
                       ("quiet gpu 1h", "📭 No data for this period."),
                       ("nokey cpu 1h", "❌ You have no key <b>nokey</b>. /list shows yours."),
                       (f"{theirs} cpu 1h", f"❌ You have no key <b>{theirs}</b>. /list shows yours.")):
        mk = me.say(f"/plot {args}".rstrip())
        t.eq(text_of(me.reply(mk)), want, f"/plot {args}: error text")
        t.eq(me.sent(mk, ("sendPhoto",)), [], f"/plot {args}: no picture")
    mk = other.say(f"/plot web1 cpu 1h")
    t.eq(text_of(other.reply(mk)), "❌ You have no key <b>web1</b>. /list shows yours.",
         "someone else's key by name: refused")
    mk = other.say(f"/plot {web1} cpu 1h")
    t.eq(text_of(other.reply(mk)), f"❌ You have no key <b>{web1}</b>. /list shows yours.",
         "someone else's key by secret: refused")

    # ---- forged and malformed buttons ----
    refusal = "⛔ That key is not yours (or no longer exists)."
    for data in (f"ch:cpu:{web1}", f"cr:cpu:1h:{web1}", f"cr:all:7d:{web1}"):
        mk, cb = other.press(1, data, forge=True)
        a = wait_for(lambda: tg.callbacks()[cb]["answered"] and tg.callbacks()[cb])
        t.eq((a.get("answer") or {}).get("text"), refusal, f"forged {data[:8]}…: refused")
        time.sleep(0.3)
        t.eq(other.sent(mk), [], f"forged {data[:8]}…: nothing drawn or shown")
    for data, want in ((f"cr:cpu:5y:{web1}", "Unknown button"), (f"ch:disk:{web1}", "Unknown button"),
                       ("cr:cpu:1h", "Unknown button"), ("ch:", "Unknown button"),
                       (f"ch:cpu:{web1}x", refusal), (f"cr:cpu:1h:{web1}:", refusal)):
        mk, cb = me.press(mid, data)
        a = wait_for(lambda: tg.callbacks()[cb]["answered"] and tg.callbacks()[cb])
        t.eq((a.get("answer") or {}).get("text"), want, f"malformed {data[:12]}: '{want}'")
        t.eq(me.sent(mk, ("sendPhoto",)), [], f"malformed {data[:12]}: no picture")


def busy_burst(srv, tg, web1, mid):
    """Five presses delivered in one getUpdates batch (queued while the
    server is down): three are drawn, two answered busy."""
    srv.stop()
    mk = tg.mark()
    ids = [tg.press(OWNER, mid, f"cr:cpu:{r}:{web1}")
           for r in ("10m", "1h", "24h", "7d", "10m")]
    srv.start()
    answers = [wait_for(lambda i=i: tg.callbacks()[i]["answered"] and tg.callbacks()[i]) for i in ids]
    texts = [(a.get("answer") or {}).get("text") for a in answers]
    busy = "⏳ Busy drawing other charts, try again in a moment."
    t.eq(texts, ["📊 Drawing…"] * 3 + [busy] * 2, "a burst of five: three drawn, two busy")
    tg.wait_calls("sendPhoto", 3, timeout=WAIT, after=mk)
    time.sleep(1.5)
    t.eq(len(tg.calls("sendPhoto", since=mk + 1)), 3, "three photos for the burst")


def russian(srv, tg, web1, quiet_key):
    me = Chat(tg, OWNER)
    mid, _ = status_message(tg, me, "web1")
    mk, cb = me.press(mid, f"ch:cpu:{web1}")
    e = me.reply(mk, "editMessageReplyMarkup")
    kb = js(e["params"]["reply_markup"])["inline_keyboard"] if e else []
    t.eq([[b["text"] for b in row] for row in kb], [["10 мин", "1 ч", "24 ч", "7 д"], ["◀️ Назад"]],
         "ru: the range keyboard")
    mk, cb = me.press(mid, f"cr:cpu:1h:{web1}")
    photo_ok(me.reply(mk, "sendPhoto"), "<b>web1</b>: CPU за 1 ч", "ru cpu 1h")
    mk = me.say("/plot web1 cpu 1d12h")
    photo_ok(me.reply(mk, "sendPhoto"), "<b>web1</b>: CPU за 1 д 12 ч", "ru /plot cpu 1d12h")
    for args, want in (("web1 bogus 1h", "❌ Неизвестная метрика: bogus"),
                       ("web1 cpu 1x", "❌ Неверный интервал"),
                       ("web1 cpu;net 1h", "❌ Единицы метрик не совпадают"),
                       ("web1 cpu 1h 50 % extra", "❌ Слишком много аргументов"),
                       ("web1", "❌ Синтаксис: /plot &lt;ключ/имя&gt; &lt;метрики&gt; &lt;интервал&gt; [предел] [единицы]"),
                       ("quiet cpu 10m", "📭 Данных за этот период нет."),
                       ("nokey cpu 1h", "❌ У вас нет ключа <b>nokey</b>. /list покажет ваши.")):
        mk = me.say(f"/plot {args}")
        t.eq(text_of(me.reply(mk)), want, f"ru /plot {args}")
    mk, cb = me.press(mid, f"cr:cpu:10m:{quiet_key}")
    t.eq(text_of(me.reply(mk)), "📭 Данных за этот период нет.", "ru: no data for a range")


def render_times(log):
    """Diagnostics only: render time (database read + render + PNG) per kind and span."""
    kinds = {"0": "metric", "1": "net", "2": "all", "3": "plot", "4": "stability"}
    by = {}
    for x in log.splitlines():
        if "bot: chart kind" not in x or "rc 0," not in x:
            continue
        w = x.split("bot: chart kind ")[1].split()
        by.setdefault((kinds.get(w[0], w[0]), int(w[2])), []).append((int(w[6]), int(w[-2])))
    for (k, span), v in sorted(by.items()):
        t.diag(f"render {k} over {span} s: " + ", ".join(f"{ms} ms/{n // 1024} KiB" for ms, n in sorted(v)))


def main():
    tmp = tmpdir("bot-charts-")
    tg = TgDouble().start()
    env = dict(tg.env(), GRAPH_WORKERS="1")
    srv = Server(tmp, env=env)
    try:
        web1 = srv.cli("key", "new", "web1", "--owner", str(OWNER)).stdout.split()[0]
        quiet_key = srv.cli("key", "new", "quiet", "--owner", str(OWNER)).stdout.split()[0]
        theirs = srv.cli("key", "new", "theirs", "--owner", str(OTHER)).stdout.split()[0]
        srv.start()
        t.ok(seed(srv, web1, history()), "web1: 7 days of samples stored")
        t.ok(seed(srv, quiet_key, quiet()), "quiet: 30 minutes of samples stored")
        english(srv, tg, (web1, quiet_key, theirs))
        mid, _ = status_message(tg, Chat(tg, OWNER), "web1")
        busy_burst(srv, tg, web1, mid)
        render_times(srv.log())
        t.eq(srv.stop(), 0, "server stops cleanly")
        srv.env["BOT_LANG"] = "ru"
        srv.start()
        russian(srv, tg, web1, quiet_key)
        t.eq(srv.stop(), 0, "ru: server stops cleanly")
    finally:
        srv.stop()
        tg.stop()
    if t.failed:
        sys.stderr.write(srv.log()[-6000:])
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    t.done()


main()
