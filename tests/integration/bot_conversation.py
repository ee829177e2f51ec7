#!/usr/bin/python3
"""Issue 10: a scripted conversation with the real server, a real agent and
the Telegram double, in English and in Russian (BOT_LANG): /start, /help,
/newkey → the secret → an agent started with it → /status answered at once
with the stored sample and edited in place with the agent's fresh one
(disks, top processes) → every button of the status message → /list →
/set, /linkkey, /renamekey → /delkey removes the key with its samples,
alerts, commands and active-chat rows. Usage errors get the usage line."""
import base64
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bottest import SECRET_RE, WAIT, BotRig, data_of, png_size, text_of  # noqa: E402
from server import Tap, agent_has_link  # noqa: E402

t = Tap()

T = {
    "en": {
        "greet": "Hi! I watch your machines.", "commands": "Commands:", "unknown": "Unknown command.",
        "no_active": "No active key.", "created": "Key created:", "taken": "That name is taken.",
        "updated": "Updated:", "asking": "Asking the agent for fresh data", "top": "TOP CPU",
        "disks": "DISKS", "list": "List", "refresh": "Refresh", "all": "All", "diag": "Diagnostics",
        "stab": "Stability", "keys": "Your keys", "stale": "STALE DATA", "nodata": "no data",
        "active": "Active:", "linked": "Key added and made active.", "already": "You already have access.",
        "notfound": "Key not found.", "usage": "Usage: ", "deleted": "Key deleted:",
        "speed": "Speed test on", "collect": "Collecting diagnostics on",
        "stab_started": "Stability test started on", "reboot_q": "Reboot ", "shutdown_q": "Shut down ",
        "yes": "Yes", "no": "No", "cancelled": "Cancelled.", "reboot_req": "Reboot requested for",
        "shutdown_req": "Shutdown requested for", "ms100": "100 ms", "min5": "5 min", "back": "Back",
        "nokey": "You have no key", "cpu_btn": "CPU", "range": "10 min",
    },
    "ru": {
        "greet": "Привет! Я бот-монитор.", "commands": "Команды:", "unknown": "Неизвестная команда.",
        "no_active": "Нет активного ключа.", "created": "Создан ключ:", "taken": "Имя уже занято.",
        "updated": "Обновлено:", "asking": "Запрашиваем свежие данные у агента", "top": "ТОП CPU",
        "disks": "ДИСКИ", "list": "Список", "refresh": "Обновить", "all": "Все", "diag": "Диагностика",
        "stab": "Стабильность", "keys": "Ваши ключи", "stale": "ДАННЫЕ УСТАРЕЛИ", "nodata": "нет данных",
        "active": "Активный:", "linked": "Ключ добавлен и сделан активным.", "already": "Уже есть доступ.",
        "notfound": "Ключ не найден.", "usage": "Синтаксис: ", "deleted": "Удалён ключ:",
        "speed": "Тестируем скорость на", "collect": "Собираем диагностику на",
        "stab_started": "Тест стабильности запущен на", "reboot_q": "Перезагрузить ",
        "shutdown_q": "Выключить ", "yes": "Да", "no": "Нет", "cancelled": "Отменено.",
        "reboot_req": "Запрошена перезагрузка", "shutdown_req": "Запрошено выключение",
        "ms100": "100 мс", "min5": "5 мин", "back": "Назад", "nokey": "У вас нет ключа",
        "cpu_btn": "CPU", "range": "10 мин",
    },
}

U = 7001


def has(m, part):
    return part in text_of(m)


def basics(rig, L, lang):
    m = rig.ask(U, "/start", L["greet"])
    t.ok(m and "/newkey" in text_of(m) and "/setalert" in text_of(m), f"{lang}: /start greets and lists the commands",
         rig.d.explain())
    m = rig.ask(U, "/help", L["commands"])
    t.ok(m and L["greet"] not in text_of(m) and "/mute" in text_of(m) and "/plot" in text_of(m),
         f"{lang}: /help lists the commands without the greeting")
    t.ok(rig.ask(U, "/frobnicate", L["unknown"]) is not None, f"{lang}: an unknown command gets a hint")
    t.ok(rig.ask(U, "/status", L["no_active"]) is not None, f"{lang}: /status without a key points to /newkey")
    for cmd, line in (("/linkkey", "/linkkey"), ("/set", "/set"), ("/renamekey", "/renamekey"),
                      ("/delkey", "/delkey"), ("/renamekey onlyone", "/renamekey")):
        m = rig.ask(U, cmd, L["usage"])
        t.ok(m and text_of(m).startswith(L["usage"] + line), f"{lang}: {cmd!r} answers with the usage line",
             text_of(m))


def newkey(rig, L, lang):
    m = rig.ask(U, "/newkey web", L["created"])
    secret = SECRET_RE.search(text_of(m)).group(1) if m and SECRET_RE.search(text_of(m)) else None
    t.ok(secret is not None, f"{lang}: /newkey web shows a 20-character secret", text_of(m))
    t.ok(m and "AGENT_SECRET=" + str(secret) in text_of(m), f"{lang}: the reply says how to start the agent")
    t.eq(rig.srv.rows("SELECT nickname FROM agents WHERE secret=?", (secret,)), [("web",)],
         f"{lang}: the key is stored with its name")
    t.eq(rig.srv.rows("SELECT user_id FROM agent_owners WHERE secret=?", (secret,)), [(U,)],
         f"{lang}: owned by the caller")
    t.eq(rig.srv.rows("SELECT secret FROM chat_active WHERE chat_id=?", (U,)), [(secret,)],
         f"{lang}: and active in the chat")
    t.ok(rig.ask(U, "/newkey web", L["taken"]) is not None, f"{lang}: a second 'web' is refused")
    m = rig.ask(U, "/newkey", L["created"])
    second = SECRET_RE.search(text_of(m)).group(1) if m and SECRET_RE.search(text_of(m)) else None
    t.eq(rig.srv.rows("SELECT nickname FROM agents WHERE secret=?", (second,)), [("key1",)],
         f"{lang}: /newkey without a name is key1")
    return secret, second


def status(rig, L, lang, secret):
    """/status: at once with the stored sample, then edited with the fresh one."""
    rig.d.say(U, f"/set {secret}")
    rig.wait_rows("SELECT secret FROM chat_active WHERE chat_id=?", (U,), lambda r: r == [(secret,)])
    mark = rig.d.mark()
    m = rig.ask(U, "/status", L["updated"], kb=True)
    first = rig.d.wait_call("sendMessage", lambda c: L["updated"] in c["params"].get("text", ""), after=mark)
    t.ok(first and L["asking"] in first["params"]["text"] and "CPU:" in first["params"]["text"]
         and L["top"] not in first["params"]["text"],
         f"{lang}: /status answers at once with the stored sample and says it asks the agent",
         first and first["params"]["text"])
    fresh = m and rig.edited(U, m["message_id"], lambda x: L["top"] in text_of(x))
    t.ok(fresh is not None, f"{lang}: the message is edited in place with the fresh sample (top processes)",
         rig.d.explain())
    disks = rig.srv.rows("SELECT disks FROM metrics WHERE secret=? ORDER BY ts DESC LIMIT 1", (secret,))
    if disks and disks[0][0] and disks[0][0] != "[]":
        t.ok(fresh and L["disks"] in text_of(fresh), f"{lang}: the fresh status shows the disks")
    else:
        t.skip(f"{lang}: the fresh status shows the disks", "the agent found no disks here")
    t.ok(fresh and L["asking"] not in text_of(fresh), f"{lang}: the footer is gone once fresh")
    t.ok(any(c[0] == "status" and int(c[1]) == U for c in rig.commands()),
         f"{lang}: the status command is recorded as asked by the user")
    want = ["ls", f"st:{secret}", f"ch:all:{secret}", f"ch:cpu:{secret}", f"ch:ram:{secret}",
            f"ch:gpu:{secret}", f"ch:vram:{secret}", f"ch:net:{secret}", f"sp:{secret}", f"dg:{secret}",
            f"sb:{secret}", f"rb:{secret}", f"sd:{secret}"]
    t.eq(data_of(fresh), want, f"{lang}: the status keyboard")
    return fresh


def refresh_and_charts(rig, L, lang, msg, secret):
    mark = rig.d.mark()
    ans = rig.press(U, msg, f"st:{secret}")
    t.ok(ans is not None, f"{lang}: refresh is answered")
    ed = rig.d.wait_call("editMessageText", lambda c: c["params"].get("message_id") == msg["message_id"]
                         and L["top"] in c["params"].get("text", ""), after=mark)
    t.ok(ed is not None, f"{lang}: refresh edits the message with a fresh sample", rig.d.explain())
    ans = rig.press(U, msg, f"ch:cpu:{secret}")
    said = (ans or {}).get("text") or ""
    if "Unknown" in said or "Неизвестная" in said:
        t.skip(f"{lang}: a chart button", "render.c is not in this build")
        return
    kb = rig.edited(U, msg["message_id"], lambda x: any(d and d.startswith("cr:") for d in data_of(x)))
    t.ok(kb is not None, f"{lang}: a chart button offers the ranges")
    rng = [d for d in data_of(kb) if d.startswith("cr:")] if kb else []
    mark = rig.d.mark()
    if rng:
        rig.press(U, kb, rng[0])
    ph = rig.d.wait_call("sendPhoto", after=mark, timeout=60)
    if ph:
        got = rig.d.calls("sendPhoto", since=ph["i"], data=True)
        blob = base64.b64decode(got[0]["files"][0]["data_b64"]) if got and got[0].get("files") else b""
        t.ok(png_size(blob) is not None and png_size(blob)[0] > 0, f"{lang}: a range sends a PNG chart",
             png_size(blob))
    else:
        t.ok(False, f"{lang}: a range sends a PNG chart", rig.d.explain())
    for b in ("ch:all", "ch:ram", "ch:gpu", "ch:vram", "ch:net"):
        a = rig.press(U, msg, f"{b}:{secret}")
        t.ok(a is not None and "⛔" not in (a.get("text") or ""), f"{lang}: {b} is answered")
    rig.press(U, msg, f"st:{secret}")
    back = rig.edited(U, msg["message_id"], lambda x: f"sp:{secret}" in data_of(x))
    t.ok(back is not None, f"{lang}: back to the status keyboard")


def actions(rig, L, lang, msg, secret):
    d = rig.d
    mark = d.last_mid(U)
    rig.press(U, msg, f"sp:{secret}")
    prog = d.wait_message(U, lambda m: has(m, L["speed"]), after=mark)
    t.ok(prog and "web" in text_of(prog), f"{lang}: speedtest: a progress message names the host")
    rows = rig.wait_rows("SELECT command, requested_by FROM command_queue WHERE secret=? AND command='speedtest'",
                         (secret,), lambda r: len(r) == 1)
    t.eq(rows, [("speedtest", U)], f"{lang}: speedtest is sent to the agent, once, recorded with the user")
    ans = prog and rig.edited(U, prog["message_id"], lambda m: not has(m, L["speed"]))
    t.ok(ans and "peedtest" in text_of(ans), f"{lang}: the agent's answer replaces the progress text",
         text_of(ans))

    mark = d.last_mid(U)
    rig.press(U, msg, f"dg:{secret}")
    prog = d.wait_message(U, lambda m: has(m, L["collect"]), after=mark)
    t.ok(prog is not None, f"{lang}: diagnostics: a progress message")
    rows = rig.wait_rows("SELECT command FROM command_queue WHERE secret=? AND command='diag'", (secret,),
                         lambda r: len(r) == 1)
    t.eq(rows, [("diag",)], f"{lang}: diag is sent to the agent")
    ans = prog and rig.edited(U, prog["message_id"], lambda m: not has(m, L["collect"]))
    doc = d.wait_call("sendDocument", timeout=1)
    t.ok((ans and "diag" in text_of(ans)) or (doc and doc["files"][0]["filename"] == "diagnostics.txt"),
         f"{lang}: the agent's answer (a diagnostics.txt or its text) arrives", text_of(ans))

    rig.press(U, msg, f"sb:{secret}")
    iv = rig.edited(U, msg["message_id"], lambda m: any((x or "").startswith("sbi:") for x in data_of(m)))
    t.eq(data_of(iv), [f"sbi:{ms}:{secret}" for ms in (1, 20, 50, 100, 200, 500)] + [f"bk:{secret}"],
         f"{lang}: stability offers the intervals 1/20/50/100/200/500 ms")
    rig.press(U, msg, f"sbi:100:{secret}")
    du = rig.edited(U, msg["message_id"], lambda m: any((x or "").startswith("sbd:") for x in data_of(m)))
    t.eq(data_of(du), [f"sbd:100:{s}:{secret}" for s in (300, 900, 3600, 21600, 43200, 86400)] + [f"sb:{secret}"],
         f"{lang}: then the durations 5 min/15 min/1 h/6 h/12 h/1 d")
    mark = d.last_mid(U)
    rig.press(U, msg, f"sbd:100:300:{secret}")
    prog = d.wait_message(U, lambda m: has(m, L["stab_started"]), after=mark)
    t.ok(prog is not None, f"{lang}: the stability test starts with a progress message")
    rows = rig.wait_rows("SELECT command FROM command_queue WHERE secret=? AND command LIKE 'stability%'",
                         (secret,), lambda r: len(r) == 1)
    t.eq(rows, [("stability 100 300",)], f"{lang}: 'stability 100 300' is sent to the agent")
    back = rig.edited(U, msg["message_id"], lambda m: f"sp:{secret}" in data_of(m))
    t.ok(back is not None, f"{lang}: the status keyboard is back after the choice")
    t.eq(rig.press(U, msg, f"sbd:100:301:{secret}").get("text"),
         "Unknown button." if lang == "en" else "Неизвестная кнопка.", f"{lang}: a duration not offered is refused")

    for verb, q, req, cmd in (("rb", L["reboot_q"], L["reboot_req"], "reboot"),
                              ("sd", L["shutdown_q"], L["shutdown_req"], "shutdown")):
        mark = d.last_mid(U)
        rig.press(U, msg, f"{verb}:{secret}")
        ask = d.wait_message(U, lambda m: has(m, q), after=mark)
        t.eq(data_of(ask), [f"{verb}y:{secret}", f"no:{secret}"], f"{lang}: {cmd} asks for confirmation first")
        t.eq(rig.srv.rows("SELECT COUNT(*) FROM command_queue WHERE command=?", (cmd,)), [(0,)],
             f"{lang}: nothing is sent before the confirmation")
        rig.press(U, ask, f"no:{secret}")
        t.ok(rig.edited(U, ask["message_id"], lambda m: has(m, L["cancelled"])) is not None,
             f"{lang}: No cancels")
        mark = d.last_mid(U)
        rig.press(U, msg, f"{verb}:{secret}")
        ask = d.wait_message(U, lambda m: has(m, q), after=mark)
        rig.press(U, ask, f"{verb}y:{secret}")
        t.ok(rig.edited(U, ask["message_id"], lambda m: has(m, req) or cmd in text_of(m)) is not None,
             f"{lang}: Yes requests the {cmd}")
        rows = rig.wait_rows("SELECT command, requested_by FROM command_queue WHERE command=?", (cmd,),
                             lambda r: len(r) == 1)
        t.eq(rows, [(cmd, U)], f"{lang}: {cmd} is sent once, recorded with the user")

    mark = d.mark()
    rig.press(U, msg, "ls")
    lst = rig.edited(U, msg["message_id"], lambda m: has(m, L["keys"]))
    t.ok(lst and secret in text_of(lst) and f"ss:{secret}" in data_of(lst), f"{lang}: List shows the keys")


def keys(rig, L, lang, web, key1):
    d = rig.d
    m = rig.ask(U, "/list", L["keys"], kb=True)
    txt = text_of(m)
    t.ok(m and web in txt and key1 in txt and "CPU" in txt, f"{lang}: /list names every key with its figures")
    t.ok(L["nodata"] in txt and txt.count(L["stale"]) == 1, f"{lang}: the key without samples is marked stale",
         txt)
    t.eq(data_of(m), [f"ss:{web}", f"ss:{key1}"], f"{lang}: a button per key")
    mark = d.last_mid(U)
    rig.press(U, m, f"ss:{web}")
    st = d.wait_message(U, lambda x: has(x, L["updated"]), after=mark)
    t.ok(st is not None and "web" in text_of(st), f"{lang}: a key's button shows its status")

    m = rig.ask(U, "/set key1", L["active"])
    t.ok(m and key1 in text_of(m), f"{lang}: /set by name")
    t.eq(rig.srv.rows("SELECT secret FROM chat_active WHERE chat_id=?", (U,)), [(key1,)],
         f"{lang}: /set changes the chat's active key")
    t.ok(rig.ask(U, "/set nosuchkey", L["nokey"]) is not None, f"{lang}: /set of an unknown key is refused")

    other = rig.srv.cli("key", "new", "theirs", "--owner", "9999").stdout.split()[0]
    t.ok(rig.ask(U, f"/linkkey {other}", L["linked"]) is not None, f"{lang}: /linkkey adds the caller")
    t.eq(sorted(r[0] for r in rig.srv.rows("SELECT user_id FROM agent_owners WHERE secret=?", (other,))),
         [U, 9999], f"{lang}: as a co-owner")
    t.eq(rig.srv.rows("SELECT secret FROM chat_active WHERE chat_id=?", (U,)), [(other,)],
         f"{lang}: /linkkey makes it active")
    t.ok(rig.ask(U, f"/linkkey {other}", L["already"]) is not None, f"{lang}: /linkkey twice says so")
    t.ok(rig.ask(U, "/linkkey AAAAAAAAAAAAAAAAAAAA", L["notfound"]) is not None,
         f"{lang}: /linkkey of an unknown key")

    m = rig.ask(U, "/renamekey key1 db <&> \"x\"", "→")
    t.ok(m and 'db <&> "x"' in text_of(m), f"{lang}: /renamekey shows the new name literally", text_of(m))
    t.eq(rig.srv.rows("SELECT nickname FROM agents WHERE secret=?", (key1,)), [('db <&> "x"',)],
         f"{lang}: and stores it")
    t.ok(rig.ask(U, f"/renamekey {key1} web", L["taken"]) is not None, f"{lang}: a name in use is refused")


def delkey(rig, L, lang, web):
    rig.d.say(U, f"/setalert web cpu 95")
    time.sleep(0.5)
    m = rig.ask(U, "/delkey web", L["deleted"])
    t.ok(m and web in text_of(m), f"{lang}: /delkey by name")
    for table in ("agents", "agent_owners", "metrics", "alert_rules", "command_queue", "chat_active"):
        t.eq(rig.srv.rows(f"SELECT COUNT(*) FROM {table} WHERE secret=?", (web,)), [(0,)],
             f"{lang}: /delkey leaves no {table} rows")
    time.sleep(2)
    t.eq(rig.srv.rows("SELECT COUNT(*) FROM metrics WHERE secret=?", (web,)), [(0,)],
         f"{lang}: the agent of a deleted key stores nothing more")
    t.ok(rig.ask(U, f"/status {web}", L["nokey"]) is not None, f"{lang}: the deleted key is gone for /status")


def scenario(lang):
    L = T[lang]
    rig = BotRig(f"bot-conv-{lang}-", lang=lang)
    try:
        rig.d.user(U, first_name="Ann")
        basics(rig, L, lang)
        web, key1 = newkey(rig, L, lang)
        rig.agent(web)
        rows = rig.wait_rows("SELECT COUNT(*) FROM metrics WHERE secret=?", (web,), lambda r: r[0][0] >= 2)
        t.ok(rows[0][0] >= 2, f"{lang}: the agent started with the secret stores samples")
        msg = status(rig, L, lang, web)
        if msg:
            refresh_and_charts(rig, L, lang, msg, web)
            actions(rig, L, lang, msg, web)
        keys(rig, L, lang, web, key1)
        delkey(rig, L, lang, web)
        bad = [c for c in rig.d.calls() if c["method"] != "getUpdates" and not (c["response"] or {}).get("ok")
               and "not modified" not in ((c["response"] or {}).get("description") or "")]
        t.eq([(c["method"], (c["response"] or {}).get("description")) for c in bad], [],
             f"{lang}: Telegram accepted every call")
    finally:
        rig.close()


if not agent_has_link():
    t.skip("bot conversation", "no agent binary")
else:
    for lang in ("en", "ru"):
        scenario(lang)
t.done()
