"""What an error answer says, whatever its shape: JSON of any kind, HTML, text, or nothing.

Providers document one error shape, but what answers may be a proxy, a gateway or a framework's
default handler: ``{"error": "Bad Gateway"}``, NestJS's ``{"statusCode": 404, "message": "…",
"error": "Not Found"}``, FastAPI's ``{"detail": [...]}``, an HTML page, plain text, an empty body
or JSON cut off mid-way. Each is read into a code (when one is given), a message and details;
nothing here raises.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from extract_assets.core.charset import other_charset, utf8_first

__all__ = ["ErrorBody", "read_error_body", "said_in"]

_EXCERPT = 200
_ERROR_KEYS = frozenset({"error", "errors", "message", "msg", "detail", "error_description"})
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HEADING = re.compile(r"<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class ErrorBody:
    """A provider's code (if any), a message a person reads, and details (field errors)."""

    message: str
    code: str | None = None
    details: list[str] = field(default_factory=list)


def read_error_body(response: httpx.Response) -> ErrorBody:
    """The error an answer carries.

    >>> read_error_body(httpx.Response(502, json={"error": "Bad Gateway"})).message
    'Bad Gateway'
    >>> read_error_body(httpx.Response(502, text="<html><h1>502 Bad Gateway</h1></html>")).message
    '502 Bad Gateway'
    >>> read_error_body(httpx.Response(503)).message
    'HTTP 503 Service Unavailable'
    """
    fallback = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    text = _text(response)
    if not text.strip():
        return ErrorBody(fallback)
    try:
        body = json.loads(text)
    except ValueError:
        return ErrorBody(_excerpt(_plain(text)) or fallback)
    return _from_json(body) or ErrorBody(fallback)


def said_in(body: Any) -> str | None:
    """The message of an error sent as a successful answer's JSON (a 200 whose body is
    `{"error": ...}`), or None when `body` is no object holding an error's keys.

    >>> said_in({"error": {"code": "UNAUTHORIZED", "message": "Invalid API key"}})
    'Invalid API key'
    >>> said_in({"data": []}) is None
    True
    """
    if not isinstance(body, dict) or not _ERROR_KEYS & body.keys():
        return None
    found = _from_json(body)
    return found.message if found else None


def _text(response: httpx.Response) -> str:
    """The body as text: UTF-8 when its bytes are, whatever charset is declared, as servers
    label UTF-8 `ISO-8859-1` (see `charset`); else by the declared charset."""
    try:
        content = response.content
        codec = other_charset(response.charset_encoding)
        if codec is None or utf8_first(codec):
            with contextlib.suppress(UnicodeDecodeError):
                return content.decode("utf-8-sig")
        return response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        return ""


def _from_json(body: Any) -> ErrorBody | None:
    if isinstance(body, str):
        return ErrorBody(_excerpt(body)) if body else None
    if isinstance(body, list):
        messages = [m for item in body if (m := _message_of(item))]
        return ErrorBody(_excerpt("; ".join(messages))) if messages else None
    if not isinstance(body, dict):
        return ErrorBody(_excerpt(json.dumps(body)))
    error = body.get("error")
    if isinstance(error, dict):
        code = error.get("code")
        details = [d for item in _as_list(error.get("details")) if (d := _detail(item))]
        message = _message_of(error.get("message")) or (str(code) if code else None)
        if message:
            return ErrorBody(_excerpt(message), str(code) if code else None, details)
    for key in ("message", "msg", "detail", "error_description", "error", "errors", "title"):
        message = _message_of(body.get(key))
        if message:
            code = body.get("code")
            return ErrorBody(_excerpt(message), str(code) if isinstance(code, str) else None)
    return ErrorBody(_excerpt(json.dumps(body, ensure_ascii=False)))


def _message_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, list):
        parts = [m for item in value if (m := _message_of(item))]
        return "; ".join(parts) or None
    if isinstance(value, dict):
        for key in ("message", "msg", "detail", "error", "description"):
            if isinstance(value.get(key), str) and value[key]:
                where = value.get("field") or value.get("loc")
                prefix = f"{_where(where)}: " if where else ""
                return prefix + value[key]
        return json.dumps(value, ensure_ascii=False)
    if value is None or value == "" or isinstance(value, bool):
        return None  # `"error": true` flags an error; the message is elsewhere
    return str(value)


def _detail(item: Any) -> str | None:
    if isinstance(item, dict):
        where = item.get("field") or item.get("loc") or "?"
        return f"{_where(where)}: {item.get('message') or item.get('msg') or ''}"
    return _message_of(item)


def _where(where: Any) -> str:
    return ".".join(map(str, where)) if isinstance(where, list) else str(where)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _plain(text: str) -> str:
    if "<" not in text:
        return _SPACES.sub(" ", text).strip()
    for pattern in (_HEADING, _TITLE):
        found = pattern.search(text)
        if found and (inner := _SPACES.sub(" ", html.unescape(_TAGS.sub("", found[1]))).strip()):
            return inner
    return _SPACES.sub(" ", html.unescape(_TAGS.sub(" ", text))).strip()


def _excerpt(text: str) -> str:
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"
