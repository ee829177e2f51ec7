"""The Bot API methods of the Telegram double (tgdouble.py): validation with
Telegram's error descriptions, chats and messages, the update queue. Every
method runs with Double.lock held (getUpdates waits on it)."""
import json
import re
import struct
import time

from tghtml import HtmlError, command_entities, parse_html, trim, u16

NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message")
CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
CB_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
           "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"}
BUTTON_ACTIONS = ("callback_data", "url", "switch_inline_query", "switch_inline_query_current_chat",
                  "switch_inline_query_chosen_chat", "web_app", "login_url", "callback_game", "pay",
                  "copy_text")
SEND_METHODS = {"sendmessage", "sendphoto", "senddocument"}
EDIT_METHODS = {"editmessagetext", "editmessagereplymarkup", "editmessagecaption"}
MD2_RESERVED = "_*[]()~`>#+-=|{}.!"


class ApiError(Exception):
    def __init__(self, code, description, retry_after=None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


def image_size(data):
    """(width, height) of a PNG or JPEG, else None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24 and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            seglen = struct.unpack(">H", data[i + 2:i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", data[i + 5:i + 9])
                return w, h
            i += 2 + seglen
    return None


def _int(v):
    if isinstance(v, bool):
        raise ValueError
    if isinstance(v, int):
        return v
    if isinstance(v, str) and re.fullmatch(r"-?\d+", v.strip()):
        return int(v)
    raise ValueError


def _bool(v):
    return v is True or (isinstance(v, str) and v.lower() in ("true", "1"))


def _json(params, name, err):
    v = params.get(name)
    if isinstance(v, str):
        try:
            v = json.loads(v)
        except ValueError:
            raise ApiError(400, err)
        params[name] = v  # the record keeps the decoded value
    return v


def _md2(text):
    """MarkdownV2, roughly: escapes honoured, formatting marks dropped, and an
    unescaped reserved character that is never a mark is refused."""
    out, i, b = [], 0, 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if c in MD2_RESERVED:
            if c in "_*~|`[]()":
                i += 1
                continue
            raise ApiError(400, f"Bad Request: can't parse entities: Character '{c}' is reserved and must be "
                                f"escaped with the preceding '\\'")
        out.append(c)
        b += 1
        i += 1
    return "".join(out), []


def normalize_markup(m):
    """The markup as Telegram keeps it: an inline keyboard without buttons is none."""
    if m is None:
        return None
    if "inline_keyboard" in m:
        rows = [[dict(b) for b in row] for row in m["inline_keyboard"] if row]
        return {"inline_keyboard": rows} if rows else None
    return None  # reply keyboards are not part of the Message Telegram returns


class Methods:
    """Mixed into Double: state lives there."""

    # ---- helpers ----
    def _chat_id(self, params, name="chat_id"):
        v = params.get(name)
        if v is None or v == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(v, str) and v.startswith("@"):
            for c in self.chats.values():
                if c.get("username") and "@" + c["username"] == v:
                    return c["id"]
            raise ApiError(400, "Bad Request: chat not found")
        try:
            cid = _int(v)
        except ValueError:
            raise ApiError(400, "Bad Request: chat not found")
        if cid not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        if cid in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return cid

    def _mid(self, params):
        v = params.get("message_id")
        if v is None or v == "":
            raise ApiError(400, "Bad Request: message identifier is not specified")
        try:
            return _int(v)
        except ValueError:
            raise ApiError(400, "Bad Request: message identifier is not specified")

    def _formatted(self, params, field, ent_field, limit, caption=False):
        text = params.get(field)
        if text is None:
            text = ""
        if not isinstance(text, str):
            text = json.dumps(text) if not isinstance(text, (int, float)) else str(text)
        mode = params.get("parse_mode") or ""
        if mode.lower() == "html":
            try:
                text, ents = parse_html(text, strict_amp=self.strict_amp)
            except HtmlError as e:
                raise ApiError(400, "Bad Request: can't parse entities: " + str(e))
        elif mode.lower() == "markdownv2":
            text, ents = _md2(text)
        elif mode.lower() in ("", "markdown"):
            ents = _json(params, ent_field, f"Bad Request: can't parse {ent_field} JSON object") or []
        else:
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        text, ents = trim(text, ents)
        if not text and not caption:
            raise ApiError(400, "Bad Request: message text is empty")
        if u16(text) > limit:
            raise ApiError(400, "Bad Request: message caption is too long" if caption
                           else "Bad Request: message is too long")
        return text, ents

    def _markup(self, params):
        m = _json(params, "reply_markup", "Bad Request: can't parse reply keyboard markup JSON object")
        if m is None or m == "":
            return None
        if not isinstance(m, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in m:
            kb = m["inline_keyboard"]
            if not isinstance(kb, list) or not all(isinstance(r, list) for r in kb):
                raise ApiError(400, 'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be '
                                    'an Array of Arrays')
            n = 0
            for row in kb:
                for b in row:
                    n += 1
                    self._button(b)
            if n > 100:
                raise ApiError(400, "Bad Request: reply markup is too long")
        return normalize_markup(m)

    @staticmethod
    def _button(b):
        if not isinstance(b, dict):
            raise ApiError(400, "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must "
                                "be an Object")
        text = b.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID" if isinstance(text, str) else
                           "Bad Request: can't parse inline keyboard button: Field \"text\" must be of type String")
        acts = [k for k in BUTTON_ACTIONS if k in b]
        if not acts:
            raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed "
                                "in the inline keyboard")
        if "callback_data" in b:
            d = b["callback_data"]
            if not isinstance(d, str) or not 1 <= len(d.encode("utf-8")) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        if "url" in b:
            u = b["url"]
            if not isinstance(u, str) or not re.match(r"(https?|tg)://\S+$", u):
                raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")

    def _rate(self, chat_id, method):
        """Telegram's flood control for one message into chat_id (lock held)."""
        r = self.rate
        if method in EDIT_METHODS and not r["count_edits"]:
            return
        now = time.monotonic()
        times = [t for t in self.sent_times.get(chat_id, []) if now - t < 1.0]
        self.global_times = [t for t in self.global_times if now - t < 1.0]
        wait = None
        if r["strict_per_chat"] and times and now - times[-1] < 1.0:
            wait = 1
        elif r["per_chat_per_sec"] and len(times) >= r["per_chat_per_sec"]:
            wait = 1
        elif r["global_per_sec"] and len(self.global_times) >= r["global_per_sec"]:
            wait = 1
        if wait:
            self.sent_times[chat_id] = times
            self._set_retry(wait, now)
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        times.append(now)
        self.sent_times[chat_id] = times
        self.global_times.append(now)

    def _store(self, chat_id, bot, **fields):
        mid = self.next_mid.get(chat_id, 1)
        self.next_mid[chat_id] = mid + 1
        msg = {"message_id": mid, "from": dict(self.bot) if bot else fields.pop("sender"),
               "chat": dict(self.chats[chat_id]), "date": int(time.time())}
        for k, v in fields.items():
            if v not in (None, [], ""):
                msg[k] = v
        self.msgs.setdefault(chat_id, {})[mid] = {"message": msg, "bot": bot, "deleted": False}
        return msg

    def _entry(self, chat_id, mid, what="edit"):
        e = self.msgs.get(chat_id, {}).get(mid)
        if not e or e["deleted"]:
            raise ApiError(400, f"Bad Request: message to {what} not found")
        if not e["bot"] and what == "edit":
            raise ApiError(400, "Bad Request: message can't be edited")
        return e

    def _reply_to(self, params, chat_id):
        r = _json(params, "reply_parameters", "Bad Request: can't parse reply parameters JSON object")
        mid = r.get("message_id") if isinstance(r, dict) else params.get("reply_to_message_id")
        if mid in (None, "", 0, "0"):
            return None
        try:
            mid = _int(mid)
        except ValueError:
            raise ApiError(400, "Bad Request: message to be replied not found")
        e = self.msgs.get(chat_id, {}).get(mid)
        if not e or e["deleted"]:
            if _bool(params.get("allow_sending_without_reply")) or (
                    isinstance(r, dict) and r.get("allow_sending_without_reply")):
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return dict(e["message"])

    def _new_file(self, kind, data, **extra):
        n = self.next_file
        self.next_file += 1
        fid = f"{kind[:2].upper()}AgACAgIAAxkBAAI{n:06d}"
        self.files[fid] = dict(extra, kind=kind, size=len(data))
        return fid, f"AQAD{n:06d}"

    def _upload(self, params, files, field):
        v = params.get(field)
        if isinstance(v, str) and v.startswith("attach://"):
            want = v[len("attach://"):]
        else:
            want = field
        for f in files:
            if f["name"] == want:
                return f, None
        if isinstance(v, str) and v:
            if v in self.files:
                return None, v
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        raise ApiError(400, f"Bad Request: there is no {field} in the request")

    # ---- the methods ----
    def m_getme(self, params, files):
        return dict(self.bot, can_join_groups=True, can_read_all_group_messages=False,
                    supports_inline_queries=False, can_connect_to_business=False, has_main_web_app=False)

    def m_getupdates(self, params, files):
        try:
            offset = _int(params.get("offset") or 0)
            limit = _int(params["limit"]) if params.get("limit") not in (None, "") else 100
            timeout = float(params.get("timeout") or 0)
        except ValueError:
            raise ApiError(400, "Bad Request: wrong parameter in request")
        limit = min(max(limit, 1), 100)
        timeout = max(timeout, 0.0)
        if self.polls_in_flight:
            self.conflicts += 1
            self.poll_gen += 1  # the poll in flight ends with 409, as at Telegram
            self.lock.notify_all()
        gen = self.poll_gen
        self.polls_in_flight += 1
        try:
            if offset < 0:
                self.updates = self.updates[offset:]
            elif offset > 0:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                self.confirmed = max(self.confirmed, offset)
            deadline = time.monotonic() + timeout
            while True:
                if self.poll_gen != gen:
                    raise ApiError(409, CONFLICT)
                if self.updates or self.stopping:
                    break
                left = deadline - time.monotonic()
                if left <= 0 or self.client_gone():
                    break
                self.lock.wait(min(left, 0.2))
            return [json.loads(json.dumps(u)) for u in self.updates[:limit]]
        finally:
            self.polls_in_flight -= 1

    def m_sendmessage(self, params, files):
        chat = self._chat_id(params)
        text, ents = self._formatted(params, "text", "entities", 4096)
        markup = self._markup(params)
        reply = self._reply_to(params, chat)
        self._rate(chat, "sendmessage")
        return dict(self._store(chat, True, text=text, entities=ents, reply_markup=markup,
                                reply_to_message=reply))

    def m_editmessagetext(self, params, files):
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._chat_id(params)
        mid = self._mid(params)
        text, ents = self._formatted(params, "text", "entities", 4096)
        markup = self._markup(params)
        e = self._entry(chat, mid)
        m = e["message"]
        if "text" not in m:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if m["text"] == text and m.get("entities", []) == ents and m.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        self._rate(chat, "editmessagetext")
        m["text"] = text
        for k, v in (("entities", ents), ("reply_markup", markup)):
            if v:
                m[k] = v
            else:
                m.pop(k, None)
        m["edit_date"] = int(time.time())
        return json.loads(json.dumps(m))

    def m_editmessagecaption(self, params, files):
        chat = self._chat_id(params)
        mid = self._mid(params)
        cap, ents = self._formatted(params, "caption", "caption_entities", 1024, caption=True)
        markup = self._markup(params)
        m = self._entry(chat, mid)["message"]
        if "photo" not in m and "document" not in m:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        if m.get("caption", "") == cap and m.get("caption_entities", []) == ents and \
                m.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        self._rate(chat, "editmessagecaption")
        for k, v in (("caption", cap), ("caption_entities", ents), ("reply_markup", markup)):
            if v:
                m[k] = v
            else:
                m.pop(k, None)
        m["edit_date"] = int(time.time())
        return json.loads(json.dumps(m))

    def m_editmessagereplymarkup(self, params, files):
        chat = self._chat_id(params)
        mid = self._mid(params)
        markup = self._markup(params)
        m = self._entry(chat, mid)["message"]
        if m.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        self._rate(chat, "editmessagereplymarkup")
        if markup:
            m["reply_markup"] = markup
        else:
            m.pop("reply_markup", None)
        m["edit_date"] = int(time.time())
        return json.loads(json.dumps(m))

    def m_deletemessage(self, params, files):
        chat = self._chat_id(params)
        mid = self._mid(params)
        self._entry(chat, mid, "delete")["deleted"] = True
        return True

    def m_answercallbackquery(self, params, files):
        cid = str(params.get("callback_query_id") or "")
        cb = self.callbacks.get(cid)
        if cb is None or cb["answered"]:
            raise ApiError(400, CB_INVALID)
        if self.callback_ttl is not None and time.monotonic() - cb["t"] > self.callback_ttl:
            raise ApiError(400, CB_INVALID)
        text = params.get("text") or ""
        if u16(str(text)) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        cb["answered"] = True
        cb["answer"] = {"text": text, "show_alert": _bool(params.get("show_alert")),
                        "url": params.get("url"), "cache_time": params.get("cache_time")}
        return True

    def m_sendchataction(self, params, files):
        self._chat_id(params)
        if params.get("action") not in ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def m_sendphoto(self, params, files):
        chat = self._chat_id(params)
        cap, ents = self._formatted(params, "caption", "caption_entities", 1024, caption=True)
        f, fid = self._upload(params, files, "photo")
        if f is not None:
            dims = image_size(f["data"])
            if dims is None:
                raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
            w, h = dims
            if len(f["data"]) > 10 * 1000 * 1000 or w + h > 10000 or w == 0 or h == 0 or \
                    max(w, h) / min(w, h) > 20:
                raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
            fid, uid = self._new_file("photo", f["data"], width=w, height=h)
        else:
            info = self.files[fid]
            if info["kind"] != "photo":
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            w, h, uid = info["width"], info["height"], "AQAD" + fid[-6:]
        markup = self._markup(params)
        self._rate(chat, "sendphoto")
        size = {"file_id": fid, "file_unique_id": uid, "file_size": self.files[fid]["size"],
                "width": w, "height": h}
        return dict(self._store(chat, True, photo=[size], caption=cap, caption_entities=ents,
                                reply_markup=markup))

    def m_senddocument(self, params, files):
        chat = self._chat_id(params)
        cap, ents = self._formatted(params, "caption", "caption_entities", 1024, caption=True)
        f, fid = self._upload(params, files, "document")
        if f is not None:
            if len(f["data"]) > 50 * 1000 * 1000:
                raise ApiError(413, "Request Entity Too Large")
            fid, uid = self._new_file("document", f["data"], file_name=f["filename"], mime_type=f["mime"])
        else:
            uid = "AQAD" + fid[-6:]
        info = self.files[fid]
        markup = self._markup(params)
        self._rate(chat, "senddocument")
        doc = {"file_name": info.get("file_name"), "mime_type": info.get("mime_type"), "file_id": fid,
               "file_unique_id": uid, "file_size": info["size"]}
        return dict(self._store(chat, True, document=doc, caption=cap, caption_entities=ents,
                                reply_markup=markup))

    def _commands_key(self, params):
        scope = _json(params, "scope", "Bad Request: can't parse BotCommandScope JSON object") or {}
        stype = scope.get("type", "default") if isinstance(scope, dict) else "default"
        if stype in ("chat", "chat_administrators", "chat_member"):
            stype += ":" + str(scope.get("chat_id"))
        return f"{stype}|{params.get('language_code') or ''}"

    def m_setmycommands(self, params, files):
        cmds = _json(params, "commands", "Bad Request: can't parse commands JSON object")
        if not isinstance(cmds, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(cmds) > 100:
            raise ApiError(400, "Bad Request: too many commands specified")
        for c in cmds:
            if not isinstance(c, dict) or not isinstance(c.get("command"), str) or \
                    not re.fullmatch(r"[a-z0-9_]{1,32}", c["command"]):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            d = c.get("description")
            if not isinstance(d, str) or not 1 <= u16(d.strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = [{"command": c["command"], "description": c["description"]}
                                                     for c in cmds]
        return True

    def m_getmycommands(self, params, files):
        return self.commands.get(self._commands_key(params), [])

    def m_deletemycommands(self, params, files):
        self.commands.pop(self._commands_key(params), None)
        return True

    def m_deletewebhook(self, params, files):
        if _bool(params.get("drop_pending_updates")):
            self.updates = []
        return True

    def m_getwebhookinfo(self, params, files):
        return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self.updates)}

    # ---- updates pushed by the control API ----
    def push_update(self, body):
        """body: the update without update_id. Lock held."""
        u = {"update_id": self.next_update_id}
        u.update(body)
        self.next_update_id += 1
        self.updates.append(u)
        self.lock.notify_all()
        return u

    def user(self, uid, first_name=None, username=None, language_code=None, last_name=None):
        u = self.users.get(uid) or {"id": uid, "is_bot": False, "first_name": f"User{uid}",
                                    "username": f"user{uid}", "language_code": "en"}
        for k, v in (("first_name", first_name), ("username", username), ("language_code", language_code),
                     ("last_name", last_name)):
            if v is not None:
                u[k] = v
        self.users[uid] = u
        return u

    def chat_for(self, chat_id, user):
        c = self.chats.get(chat_id)
        if chat_id == user["id"]:  # a private chat shows the user's names as they are now
            c = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            for k in ("last_name", "username"):
                if user.get(k):
                    c[k] = user[k]
            self.chats[chat_id] = c
        elif c is None:
            c = {"id": chat_id, "type": "supergroup" if chat_id < -1000000000000 else "group",
                 "title": f"Group {chat_id}"}
            self.chats[chat_id] = c
        return c


Methods.METHODS = {name[2:]: fn for name, fn in vars(Methods).items() if name.startswith("m_")}
