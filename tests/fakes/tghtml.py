"""Telegram's parse_mode=HTML, strictly: the tags the Bot API allows, the four
named entities and numeric ones, errors worded like Telegram's
("can't parse entities: ..."). Used by tgdouble.py; standard library only.

parse_html(s) -> (text, entities) or raises HtmlError(description) where the
description is the part after "Bad Request: can't parse entities: ".
Offsets and lengths of entities are in UTF-16 code units, like Telegram's."""
import re

TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "a": "text_link", "code": "code", "pre": "pre",
    "tg-spoiler": "spoiler", "span": "spoiler", "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}
NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENT = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")
_NAME = re.compile(r"[a-zA-Z0-9-]*")
_ATTR = re.compile(r"\s*([a-zA-Z_:-][a-zA-Z0-9_:.-]*)\s*(?:=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']+))?")
SPACE = " \t\r\n"


class HtmlError(Exception):
    pass


def u16(s):
    return len(s.encode("utf-16-le")) // 2


def _bo(s, i):  # the byte offset of s[i] in UTF-8, as Telegram reports it
    return len(s[:i].encode("utf-8"))


def _unescape_attr(v):
    if v[:1] in ("'", '"'):
        v = v[1:-1]
    return _ENT.sub(lambda m: _entity_char(m) or m.group(0), v)


def _entity_char(m):
    if m.group(1) is not None:
        cp = int(m.group(1))
    elif m.group(2) is not None:
        cp = int(m.group(2), 16)
    else:
        return NAMED.get(m.group(3).lower())
    if cp == 0 or cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
        return None
    return chr(cp)


def _start_tag(s, i, stack, pos, entities_open):
    """s[i] == '<' and s[i+1] != '/'. Returns the index after '>'."""
    m = _NAME.match(s, i + 1)
    name = m.group(0).lower()
    if name not in TAGS:
        raise HtmlError(f'Unsupported start tag "{name}" at byte offset {_bo(s, i)}')
    j = m.end()
    attrs = {}
    while True:
        if j >= len(s):
            raise HtmlError(f"Unclosed start tag at byte offset {_bo(s, i)}")
        if s[j] == ">":
            break
        if s[j] in SPACE:
            j += 1
            continue
        if s[j] == "/" and s[j + 1:j + 2] == ">":
            raise HtmlError(f'Unsupported self-closing tag "{name}" at byte offset {_bo(s, i)}')
        a = _ATTR.match(s, j)
        if not a or a.end() == j:
            raise HtmlError(f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                            f"at byte offset {_bo(s, i)}")
        attrs[a.group(1).lower()] = _unescape_attr(a.group(2)) if a.group(2) is not None else ""
        j = a.end()
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise HtmlError(f'Tag "span" must have class "tg-spoiler" at byte offset {_bo(s, i)}')
    if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
        raise HtmlError(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {_bo(s, i)}')
    stack.append((name, pos, attrs, i))
    return j + 1


def _close(name, start, attrs, pos, stack, entities):
    kind = TAGS[name]
    if pos == start:
        return
    ent = {"type": kind, "offset": start, "length": pos - start}
    if kind == "text_link":
        href = attrs.get("href", "")
        if not href:
            return
        m = re.match(r"tg://user\?id=(\d+)$", href)
        if m:
            ent = {"type": "text_mention", "offset": start, "length": pos - start,
                   "user": {"id": int(m.group(1))}}
        else:
            ent["url"] = href
    if kind == "code" and stack and stack[-1][0] == "pre":
        lang = attrs.get("class", "")
        if lang.startswith("language-"):
            stack[-1][2]["_language"] = lang[len("language-"):]
            return
    if kind == "custom_emoji":
        ent["custom_emoji_id"] = attrs.get("emoji-id", "")
    if kind == "blockquote" and "expandable" in attrs:
        ent["type"] = "expandable_blockquote"
    if kind == "pre" and attrs.get("_language"):
        ent["language"] = attrs["_language"]
    entities.append(ent)


def parse_html(s, strict_amp=True):
    out = []
    pos = 0  # UTF-16 position in the output
    stack = []
    entities = []
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == "&":
            m = _ENT.match(s, i)
            ch = _entity_char(m) if m else None
            if ch is None:
                if strict_amp:
                    raise HtmlError(f'Character "&" is not a part of an HTML entity at byte offset {_bo(s, i)}')
                ch, end = "&", i + 1
            else:
                end = m.end()
            out.append(ch)
            pos += u16(ch)
            i = end
        elif c == "<":
            if s[i + 1:i + 2] == "/":
                m = _NAME.match(s, i + 2)
                name = m.group(0).lower()
                j = m.end()
                while j < n and s[j] in SPACE:
                    j += 1
                if j >= n or s[j] != ">":
                    raise HtmlError(f"Unclosed end tag at byte offset {_bo(s, i)}")
                if not stack:
                    raise HtmlError(f"Unexpected end tag at byte offset {_bo(s, i)}")
                top = stack[-1][0]
                if name != top:
                    raise HtmlError(f'Unmatched end tag at byte offset {_bo(s, i)}, expected "</{top}>", '
                                    f'found "</{name}>"')
                t, start, attrs, _ = stack.pop()
                _close(t, start, attrs, pos, stack, entities)
                i = j + 1
            else:
                i = _start_tag(s, i, stack, pos, entities)
        else:
            out.append(c)
            pos += u16(c)
            i += 1
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def trim(text, entities):
    """Telegram drops leading and trailing white space and keeps the entities
    on what is left."""
    lead = len(text) - len(text.lstrip(SPACE))
    body = text.strip(SPACE)
    shift = u16(text[:lead])
    size = u16(body)
    kept = []
    for e in entities:
        a = max(e["offset"] - shift, 0)
        b = min(e["offset"] + e["length"] - shift, size)
        if b > a:
            e = dict(e, offset=a, length=b - a)
            kept.append(e)
    return body, kept


def command_entities(text):
    m = re.match(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?", text)
    return [{"type": "bot_command", "offset": 0, "length": u16(m.group(0))}] if m else []
