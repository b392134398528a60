"""Query parameters and pages: `limit` and `cursor` in, `{"data", "next_cursor"}` out."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, Protocol, TypeVar

from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse, Response

from extract_assets.emulator.extractto.cursors import CursorCodec
from extract_assets.emulator.extractto.dates import parse_iso_date
from extract_assets.emulator.extractto.errors import ExtracttoError
from extract_assets.emulator.extractto.models import ExtracttoSettings

LIST_LIMIT = (50, 200)
ROWS_LIMIT = (1000, 10_000)


class Listed(Protocol):
    """Anything listed: it knows its creation order."""

    @property
    def seq(self) -> int: ...


ItemT = TypeVar("ItemT", bound=Listed)


def parse_limit(params: QueryParams, default: int, maximum: int) -> int:
    """`limit` between 1 and `maximum`, or 400."""
    raw = params.get("limit")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= maximum:
        raise ExtracttoError(400, f"limit must be an integer between 1 and {maximum}")
    return value


def parse_date_param(params: QueryParams, name: str) -> date | None:
    """An optional ISO date query parameter, or 400."""
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return parse_iso_date(raw)
    except ValueError as exc:
        raise ExtracttoError(400, f"{name} must be an ISO date (YYYY-MM-DD)") from exc


class Pager:
    """Answers list requests in the configured style, from signed cursors."""

    def __init__(self, codec: CursorCodec, settings: Callable[[], ExtracttoSettings]) -> None:
        self.codec = codec
        self._settings = settings

    def cursor(self, scope: str, position: list[Any], now: float) -> str:
        """A cursor of `scope` at `position`, valid for the configured time."""
        return self.codec.encode(scope, position, now + self._settings().cursor_ttl)

    def position(self, params: QueryParams, scope: str, now: float) -> list[Any] | None:
        """Where the `cursor` parameter points, None without one, or 400."""
        cursor = params.get("cursor")
        return None if cursor is None else self.codec.decode(scope, cursor, now)

    def respond(
        self,
        params: QueryParams,
        scope: str,
        items: Iterable[ItemT],
        render: Callable[[ItemT], dict[str, Any]],
        now: float,
        *,
        newest_first: bool = False,
    ) -> Response:
        """One page of `items` in creation order (or newest first), or all as a bare array."""
        limit = parse_limit(params, *LIST_LIMIT)
        position = self.position(params, scope, now)
        ordered = sorted(items, key=lambda item: item.seq, reverse=newest_first)
        if self._settings().list_style == "array":
            # A bare array cannot carry a cursor, so it holds everything, as an API without
            # pagination would answer.
            return JSONResponse([render(item) for item in ordered])
        if position is not None:
            after = int(position[0])
            ordered = [
                item for item in ordered if (item.seq < after if newest_first else item.seq > after)
            ]
        page = ordered[:limit]
        more = len(ordered) > limit
        next_cursor = self.cursor(scope, [page[-1].seq], now) if more else None
        return JSONResponse({"data": [render(item) for item in page], "next_cursor": next_cursor})
