"""Drive the Telegram Bot API double (tests/fakes/tgdouble.py) from a test.

    d = TgDouble(token="123:ABC").start()      # in-process, on a thread
    server = Server(tmp, env=d.env())          # TELEGRAM_API_URL, BOT_TOKEN, NO_PROXY
    d.wait_polling()                           # the bot is up: a getUpdates is in flight
    uid = d.say(42, "/start")                  # a user's message -> update_id
    m = d.wait_message(42, lambda m: "Hello" in m["text"])   # the bot's answer
    cb = d.press_button(42, m, "Status")       # press a button of that message
    d.wait_answer(cb)                          # the bot answered the callback query
    d.fault("429", retry_after=3, method="sendMessage")
    d.stop()

Users are ids (the private chat has the same id) or dicts from d.user(...).
Messages are dicts as Telegram sends them (message_id, chat, text,
reply_markup, ...); d.messages(chat) gives their current state after edits.
Waits poll every 20 ms and return None when the timeout (an upper bound,
never asserted) passes; d.explain() then says what did arrive."""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FAKES = os.path.join(ROOT, "tests", "fakes")
DOUBLE = os.path.join(FAKES, "tgdouble.py")
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class TgError(Exception):
    pass


def _uid(user):
    return user["id"] if isinstance(user, dict) else int(user)


def buttons(message):
    """[(text, callback_data or None, row, col)] of a message's inline keyboard."""
    out = []
    kb = (message or {}).get("reply_markup") or {}
    for r, row in enumerate(kb.get("inline_keyboard", [])):
        for c, b in enumerate(row):
            out.append((b.get("text"), b.get("callback_data"), r, c))
    return out


class TgDouble:
    def __init__(self, token="123456:TEST-token", bot_username="monbot_test_bot", external=False, port=0):
        self.token = token
        self.bot_username = bot_username
        self.external = external
        self.port = port
        self.url = None
        self.proc = None
        self.srv = None
        self.double = None  # the Double object, in-process mode only

    # ---- life ----
    def start(self):
        if self.external:
            fd, pf = tempfile.mkstemp(prefix="tgdouble-port-")
            os.close(fd)
            os.unlink(pf)
            self.proc = subprocess.Popen([sys.executable, "-B", DOUBLE, "--port", str(self.port), "--port-file", pf,
                                          "--token", self.token, "--bot-username", self.bot_username],
                                         stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
            deadline = time.monotonic() + 20
            while not os.path.exists(pf):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise TgError("tgdouble did not start")
                time.sleep(0.02)
            with open(pf) as f:
                self.port = int(f.read())
            os.unlink(pf)
        else:
            sys.dont_write_bytecode = True  # no __pycache__ in the tree
            if FAKES not in sys.path:
                sys.path.insert(0, FAKES)
            import tgdouble
            self.double = tgdouble.Double(token=self.token, bot_username=self.bot_username)
            self.srv = tgdouble.start_server(self.double, self.port)
            self.port = self.srv.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    def stop(self):
        if self.srv:
            import tgdouble
            tgdouble.stop_server(self.srv)
            self.srv = None
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def __enter__(self):
        return self.start() if self.url is None else self

    def __exit__(self, *exc):
        self.stop()

    def env(self):
        """What monbot-server needs to talk to the double."""
        return {"TELEGRAM_API_URL": self.url, "BOT_TOKEN": self.token,
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}

    # ---- HTTP ----
    def ctl(self, name, body=None, **query):
        """One control call; returns its result or raises TgError."""
        url = f"{self.url}/_ctl/{name}"
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                     headers={"Content-Type": "application/json"})
        try:
            with _OPENER.open(req, timeout=30) as r:
                out = json.loads(r.read())
        except urllib.error.HTTPError as e:
            out = json.loads(e.read() or b"{}")
        if not out.get("ok"):
            raise TgError(f"/_ctl/{name}: {out.get('description')}")
        return out["result"]

    def api(self, method, _token=None, _timeout=60, **params):
        """A Bot API call as a bot would make it (JSON body); returns (http status, parsed body)."""
        req = urllib.request.Request(f"{self.url}/bot{_token or self.token}/{method}",
                                     data=json.dumps(params).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with _OPENER.open(req, timeout=_timeout) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, raw.decode("utf-8", "replace")

    # ---- users and what they do ----
    def user(self, uid, first_name=None, username=None, lang=None, last_name=None, blocked=None):
        """Creates or changes a user (and the private chat); returns the User dict."""
        body = {"user_id": uid, "first_name": first_name, "username": username, "language_code": lang,
                "last_name": last_name}
        if blocked is not None:
            body["blocked"] = blocked
        return self.ctl("user", {k: v for k, v in body.items() if v is not None})["user"]

    def block(self, user, blocked=True):
        """The user blocked the bot: sends to them get 403."""
        self.ctl("user", {"user_id": _uid(user), "blocked": blocked})

    def say_full(self, user, text, chat=None, **kw):
        body = {"user_id": _uid(user), "text": text}
        if isinstance(user, dict):
            body.update({k: user[k] for k in ("first_name", "username", "language_code", "last_name")
                         if k in user})
        if chat is not None:
            body["chat_id"] = chat
        body.update(kw)
        return self.ctl("message", body)

    def say(self, user, text, chat=None, **kw):
        """The user writes text (a command when it starts with /); returns the update_id."""
        return self.say_full(user, text, chat, **kw)["update_id"]

    def press(self, user, message, data, chat=None, forge=False):
        """The user presses a button with callback_data data (anything: forged data is allowed)
        on message (a dict, or a message_id with chat); returns the callback query id."""
        if isinstance(message, dict):
            chat = message["chat"]["id"] if chat is None else chat
            mid = message["message_id"]
        else:
            mid = int(message)
        body = {"user_id": _uid(user), "message_id": mid, "data": data, "forge": forge}
        if chat is not None:
            body["chat_id"] = chat
        return self.ctl("callback", body)["callback_query_id"]

    def press_button(self, user, message, text, chat=None):
        """Presses the button whose text is text (or contains it, when no text is equal) in
        the current keyboard of message; raises TgError when there is none."""
        if isinstance(message, dict):
            chat = message["chat"]["id"] if chat is None else chat
            mid = message["message_id"]
        else:
            mid = int(message)
            chat = _uid(user) if chat is None else chat
        cur = self.message(chat, mid)
        bs = buttons(cur)
        hit = [b for b in bs if b[0] == text] or [b for b in bs if text in (b[0] or "")]
        if not hit or hit[0][1] is None:
            raise TgError(f"no button {text!r} in message {mid}: {[b[0] for b in bs]}")
        return self.press(user, cur, hit[0][1], chat)

    # ---- what the bot did ----
    def messages(self, chat, bot_only=False, include_deleted=False):
        """The chat's messages in order, as they are now (after edits)."""
        es = self.ctl("messages", chat_id=chat, include_deleted=1 if include_deleted else None)
        return [e["message"] for e in es if e["bot"] or not bot_only]

    def bot_messages(self, chat):
        return self.messages(chat, bot_only=True)

    def message(self, chat, message_id):
        for m in self.messages(chat, include_deleted=True):
            if m["message_id"] == message_id:
                return m
        return None

    def calls(self, method=None, since=0, data=False, pending=False):
        """Recorded Bot API calls (answered ones; pending=True adds those in flight, with response
        None), each {i, t, wall, method, http_method, content_type, params, files, status,
        response, fault, during_retry_after}; data=True adds files' data_b64."""
        return self.ctl("calls", method=method, since=since, data=1 if data else None,
                        pending=1 if pending else None)

    def wait_polling(self, timeout=20):
        """True once the bot has a getUpdates long poll in flight (it is up and listening);
        None after timeout. An unanswered poll is not in calls() (see pending)."""
        return self._wait(lambda: True if self.stats()["polls_in_flight"] > 0 else None, timeout,
                          "a getUpdates in flight")

    def mark(self):
        """The index of the last call so far: wait_call(..., after=d.mark()) sees only later calls."""
        return self.stats()["calls"] - 1

    def _wait(self, fn, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            r = fn()
            if r is not None:
                return r
            if time.monotonic() > deadline:
                self.last_timeout = what
                return None
            time.sleep(0.02)

    def wait_call(self, method, pred=None, timeout=20, after=-1):
        """The first call of method (None: any but getUpdates) with index > after for which
        pred(call) is true; None after timeout."""
        def look():
            for c in self.calls(method, since=max(after + 1, 0)):
                if method is None and c["method"] == "getUpdates":
                    continue
                if pred is None or pred(c):
                    return c
            return None
        return self._wait(look, timeout, f"call {method}")

    def wait_calls(self, method, n, pred=None, timeout=20, after=-1):
        """The first n such calls, or None."""
        def look():
            cs = [c for c in self.calls(method, since=max(after + 1, 0)) if pred is None or pred(c)]
            return cs[:n] if len(cs) >= n else None
        return self._wait(look, timeout, f"{n} calls {method}")

    def wait_message(self, chat, pred=None, timeout=20, after=0):
        """The first message of the bot in chat with message_id > after for which pred(message)
        is true, in its current state; None after timeout."""
        def look():
            for m in self.bot_messages(chat):
                if m["message_id"] > after and (pred is None or pred(m)):
                    return m
            return None
        return self._wait(look, timeout, f"message in {chat}")

    def wait_text(self, chat, part, timeout=20, after=0):
        """A message of the bot whose text (or caption) contains part."""
        return self.wait_message(chat, lambda m: part in (m.get("text") or m.get("caption") or ""),
                                 timeout, after)

    def last_mid(self, chat):
        """The newest message_id in chat (0 when none): wait_message(after=...) sees newer ones."""
        ms = self.messages(chat, include_deleted=True)
        return ms[-1]["message_id"] if ms else 0

    def wait_answer(self, callback_id, timeout=20):
        """The bot's answerCallbackQuery for callback_id: {text, show_alert, url, cache_time}."""
        def look():
            cb = self.callbacks().get(callback_id)
            return cb["answer"] if cb and cb["answered"] else None
        return self._wait(look, timeout, f"answer to {callback_id}")

    def callbacks(self):
        return self.ctl("callbacks")

    def updates(self):
        """Updates the bot has not confirmed yet (offset)."""
        return self.ctl("updates")

    def commands(self, scope="default", lang=""):
        return self.ctl("commands").get(f"{scope}|{lang}")

    def explain(self, n=15):
        """The last n calls, one line each, for a failure's diagnostics."""
        lines = []
        for c in self.calls()[-n:]:
            p = {k: v for k, v in c["params"].items() if k != "reply_markup"}
            r = c["response"]
            lines.append(f"{c['i']} {c['method']} {json.dumps(p, ensure_ascii=False)[:200]} -> "
                         f"{c['status']} {json.dumps(r, ensure_ascii=False)[:200]}")
        return "\n".join(lines)

    # ---- faults and limits ----
    def fault(self, kind, count=None, method=None, seconds=None, **kw):
        """kind: "429" (retry_after=S), "not_modified", "502", "drop", "slow" (delay=S), "outage"
        (every call dropped, getUpdates too), "error" (code=, description=). For the next
        count calls (1 when neither count nor seconds is given) and/or seconds; method: one
        name, a list, None (every method but getUpdates) or "*". Returns the fault id."""
        body = {"kind": kind, "count": count, "method": method, "seconds": seconds}
        body.update(kw)
        return self.ctl("fault", body)["id"]

    def clear_faults(self):
        self.ctl("faults/clear", {})

    def faults(self):
        return self.ctl("faults")

    def rate(self, per_chat_per_sec=None, strict_per_chat=None, global_per_sec=None, count_edits=None):
        """Flood control: strict_per_chat=True allows one message a second per chat; the others
        are messages per second (0 = off). Returns the settings now."""
        body = {k: v for k, v in (("per_chat_per_sec", per_chat_per_sec), ("strict_per_chat", strict_per_chat),
                                  ("global_per_sec", global_per_sec), ("count_edits", count_edits))
                if v is not None}
        return self.ctl("rate", body)

    def config(self, **kw):
        """strict_amp (a bare '&' refused, default True), callback_ttl (seconds, default None)."""
        return self.ctl("config", kw)

    def stats(self):
        """{calls, calls_by_method, calls_during_retry_after, calls_during_retry_after_by_method,
        retry_after_sent, retry_after_left, updates_pending, next_update_id, confirmed_offset,
        conflicts, polls_in_flight, faults_fired}"""
        return self.ctl("stats")

    def reset(self):
        """Forgets users, chats, messages, updates, calls, faults, limits (update_id keeps growing)."""
        self.ctl("reset", {})
