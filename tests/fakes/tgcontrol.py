"""The control API of the Telegram double: /_ctl/<name>, JSON in (body or
query string), {"ok":true,"result":...} out. See
tests/integration/lib/tg.py for the Python wrapper.

  POST message   {user_id, text, chat_id?, first_name?, username?, language_code?, last_name?}
                 -> {update_id, message}        a user's text message (an update)
  POST callback  {user_id, message_id, data, chat_id?, forge?} -> {update_id, callback_query_id,
                 callback_query}                a button press on a message of the bot
  POST user      {user_id, first_name?, username?, language_code?, blocked?} -> {user, chat}
  POST update    {update}                       any raw update -> {update_id}
  GET  calls     ?method=&since=&data=1&pending=1  recorded Bot API calls (index >= since;
                 answered ones, and with pending=1 those in flight, response null)
  GET  messages  ?chat_id=&include_deleted=1    [{message, bot, deleted}] (after edits)
  GET  callbacks                                {id: {answered, answer, data, user_id}}
  GET  updates                                  the updates not yet confirmed
  GET  commands                                 {"<scope>|<lang>": [BotCommand]}
  POST fault     {kind, count?, seconds?, method?, retry_after?, delay?, code?, description?} -> {id}
  GET  faults    POST faults/clear
  POST rate      {per_chat_per_sec?, strict_per_chat?, global_per_sec?, count_edits?}
  POST config    {strict_amp?, callback_ttl?}
  POST reset     GET stats"""
import base64
import hashlib
import json
import time
import urllib.parse

import tgmethods
from tghtml import command_entities


def file_summary(f, data=False):
    out = {"name": f["name"], "filename": f["filename"], "mime": f["mime"], "size": len(f["data"]),
           "sha256": hashlib.sha256(f["data"]).hexdigest()}
    dims = tgmethods.image_size(f["data"])
    if dims:
        out["width"], out["height"] = dims
    if data:
        out["data_b64"] = base64.b64encode(f["data"]).decode()
    return out


def _args(ctype, body, query):
    a = {k: v[-1] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
    if body:
        a.update(json.loads(body.decode("utf-8")))
    return a


def _call_view(c, data):
    out = {k: v for k, v in c.items() if k != "files"}
    out["files"] = [file_summary(f, data) for f in c["files"]]
    return out


def _message(d, a):
    uid = int(a["user_id"])
    with d.lock:
        user = d.user(uid, a.get("first_name"), a.get("username"), a.get("language_code"), a.get("last_name"))
        chat_id = int(a.get("chat_id") or uid)
        d.chat_for(chat_id, user)
        text = a.get("text", "")
        ents = a.get("entities")
        if ents is None:
            ents = command_entities(text)
        msg = d._store(chat_id, False, sender=dict(user), text=text, entities=ents)
        u = d.push_update({"message": msg})
        return {"update_id": u["update_id"], "message": msg}


def _callback(d, a):
    uid = int(a["user_id"])
    with d.lock:
        user = d.user(uid, a.get("first_name"), a.get("username"), a.get("language_code"), a.get("last_name"))
        chat_id = int(a.get("chat_id") or uid)
        chat = d.chat_for(chat_id, user)
        mid = int(a["message_id"])
        e = d.msgs.get(chat_id, {}).get(mid)
        if e and not e["deleted"]:
            msg = json.loads(json.dumps(e["message"]))
        elif a.get("forge"):
            msg = {"message_id": mid, "from": dict(d.bot), "chat": dict(chat), "date": int(time.time()),
                   "text": ""}
        else:
            raise KeyError(f"no message {mid} in chat {chat_id} (pass forge: true to press anyway)")
        cid = f"{4000000000000000000 + uid * 1000 + d.next_cb}"
        d.next_cb += 1
        q = {"id": cid, "from": dict(user), "message": msg, "chat_instance": str(-(abs(chat_id) * 7919 + 13)),
             "data": a.get("data", "")}
        d.callbacks[cid] = {"answered": False, "answer": None, "data": q["data"], "user_id": uid,
                            "t": time.monotonic()}
        u = d.push_update({"callback_query": q})
        return {"update_id": u["update_id"], "callback_query_id": cid, "callback_query": q}


def _user(d, a):
    uid = int(a["user_id"])
    with d.lock:
        user = d.user(uid, a.get("first_name"), a.get("username"), a.get("language_code"), a.get("last_name"))
        chat = d.chat_for(uid, user)
        if "blocked" in a:
            (d.blocked.add if a["blocked"] in (True, "1", "true") else d.blocked.discard)(uid)
        return {"user": user, "chat": chat}


def _stats(d):
    now = time.monotonic()
    with d.lock:
        by = {}
        for c in d.calls:
            by[c["method"]] = by.get(c["method"], 0) + 1
        return {"calls": len(d.calls), "calls_by_method": by, "calls_during_retry_after": d.during_retry,
                "calls_during_retry_after_by_method": dict(d.during_retry_by_method),
                "retry_after_sent": d.retry_after_sent, "retry_after_left": max(0.0, d.retry_until - now),
                "updates_pending": len(d.updates), "next_update_id": d.next_update_id,
                "confirmed_offset": d.confirmed, "conflicts": d.conflicts,
                "polls_in_flight": d.polls_in_flight,
                "faults_fired": sum(f["fired"] for f in d.faults)}


def handle(d, http_method, name, ctype, body, query):
    """Returns (status, JSON-able answer)."""
    try:
        a = _args(ctype, body, query)
        if name == "message":
            r = _message(d, a)
        elif name == "callback":
            r = _callback(d, a)
        elif name == "user":
            r = _user(d, a)
        elif name == "update":
            with d.lock:
                r = {"update_id": d.push_update(a["update"])["update_id"]}
        elif name == "calls":
            since = int(a.get("since") or 0)
            method = a.get("method")
            data = a.get("data") in ("1", 1, True, "true")
            pending = a.get("pending") in ("1", 1, True, "true")
            with d.lock:
                r = [_call_view(c, data) for c in d.calls[since:]
                     if (pending or c["response"] is not None) and
                     (not method or c["method"].lower() == method.lower())]
        elif name == "messages":
            with d.lock:
                chat = d.msgs.get(int(a["chat_id"]), {})
                r = [json.loads(json.dumps(e)) for _, e in sorted(chat.items())
                     if a.get("include_deleted") or not e["deleted"]]
        elif name == "callbacks":
            with d.lock:
                r = json.loads(json.dumps(d.callbacks))
        elif name == "updates":
            with d.lock:
                r = json.loads(json.dumps(d.updates))
        elif name == "commands":
            with d.lock:
                r = json.loads(json.dumps(d.commands))
        elif name == "fault":
            kw = {k: a[k] for k in ("retry_after", "delay", "code", "description") if k in a}
            r = {"id": d.add_fault(a["kind"], a.get("count"), a.get("seconds"), a.get("method"), **kw)}
        elif name == "faults":
            with d.lock:
                r = json.loads(json.dumps(d.faults))
        elif name == "faults/clear":
            d.clear_faults()
            r = True
        elif name == "rate":
            with d.lock:
                for k in ("per_chat_per_sec", "strict_per_chat", "global_per_sec", "count_edits"):
                    if k in a:
                        d.rate[k] = a[k]
                r = dict(d.rate)
        elif name == "config":
            with d.lock:
                if "strict_amp" in a:
                    d.strict_amp = bool(a["strict_amp"])
                if "callback_ttl" in a:
                    d.callback_ttl = a["callback_ttl"]
                r = {"strict_amp": d.strict_amp, "callback_ttl": d.callback_ttl}
        elif name == "reset":
            d.reset()
            r = True
        elif name == "stats":
            r = _stats(d)
        else:
            return 404, {"ok": False, "description": f"no control endpoint {name!r}"}
    except (KeyError, ValueError, TypeError) as e:
        return 400, {"ok": False, "description": f"{type(e).__name__}: {e}"}
    return 200, {"ok": True, "result": r}
