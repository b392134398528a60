"""Opaque page cursors: a signed position in one listing, valid until a fixed emulator time."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass

from extract_assets.emulator.dataextractor.errors import DataextractorError

INVALID_CURSOR = "Invalid or expired cursor"


@dataclass(frozen=True)
class Position:
    """The last item of the page a cursor follows, and when the whole pagination expires."""

    created_at: float
    id: str
    expires: float


class CursorCodec:
    """Encodes where the next page starts; refuses forged, foreign and expired cursors.

    A cursor names its listing (`scope`: the account and filters), so a cursor of one listing
    never silently pages through another.
    """

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def encode(self, scope: str, position: Position) -> str:
        """The cursor for `position` in `scope`."""
        payload = {"s": scope, "c": position.created_at, "i": position.id, "e": position.expires}
        body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
        return f"{body}.{self._sign(body)}"

    def decode(self, scope: str, cursor: str, now: float) -> Position:
        """The position a cursor of `scope` points at, or 400."""
        body, _, signature = cursor.partition(".")
        if not hmac.compare_digest(self._sign(body), signature):
            raise DataextractorError(400, INVALID_CURSOR)
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            position = Position(float(payload["c"]), str(payload["i"]), float(payload["e"]))
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise DataextractorError(400, INVALID_CURSOR) from exc
        if payload.get("s") != scope or now > position.expires:
            raise DataextractorError(400, INVALID_CURSOR)
        return position

    def _sign(self, body: str) -> str:
        return hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()[:24]
