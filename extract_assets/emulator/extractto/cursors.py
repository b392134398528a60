"""Opaque page cursors: a signed position in one listing, valid for a limited emulator time."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from extract_assets.emulator.extractto.errors import ExtracttoError

INVALID_CURSOR = "Invalid or expired cursor"


class CursorCodec:
    """Encodes where the next page starts; refuses forged, foreign and expired cursors.

    A cursor names its listing (`scope`, e.g. the table and date range), so a cursor of one
    listing never silently pages through another.
    """

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def encode(self, scope: str, position: list[Any], expires: float) -> str:
        """The cursor for `position` in `scope`, valid until `expires` (epoch seconds)."""
        payload = json.dumps({"s": scope, "p": position, "e": round(expires, 3)}).encode()
        body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
        return f"{body}.{self._sign(body)}"

    def decode(self, scope: str, cursor: str, now: float) -> list[Any]:
        """The position a cursor of `scope` points at, or 400."""
        body, _, signature = cursor.partition(".")
        if not hmac.compare_digest(self._sign(body), signature):
            raise ExtracttoError(400, INVALID_CURSOR)
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (ValueError, binascii.Error) as exc:
            raise ExtracttoError(400, INVALID_CURSOR) from exc
        if payload.get("s") != scope or now > payload.get("e", 0):
            raise ExtracttoError(400, INVALID_CURSOR)
        position: list[Any] = payload["p"]
        return position

    def _sign(self, body: str) -> str:
        return hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()[:24]
