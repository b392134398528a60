"""The request log: what every client sent to a provider, for tests to assert on."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from extract_assets.emulator.clock import Clock, iso_z

_SCOPE_KEY = "extract_assets.emulator.exchange"
# Enough for any test or demo session; the oldest entries go first beyond it.
_MAX_ENTRIES = 50_000


@dataclass
class Exchange:
    """One request to a provider and how it was answered (status None while in flight)."""

    provider: str
    method: str
    path: str
    query: dict[str, str]
    authorization: bool
    time: str
    status: int | None = None
    fault: str | None = None
    # Set by a truncate fault, honoured by the NDJSON file response.
    keep_fraction: float | None = None

    def as_json(self) -> dict[str, Any]:
        """The log entry as served by the control API."""
        entry = asdict(self)
        del entry["keep_fraction"]
        return entry


def exchange_of(scope: Scope) -> Exchange | None:
    """The exchange being recorded for this request, if it goes to a provider."""
    exchange: Exchange | None = scope.get(_SCOPE_KEY)
    return exchange


class RequestLog:
    """A bounded, in-order list of exchanges."""

    def __init__(self) -> None:
        self._entries: deque[Exchange] = deque(maxlen=_MAX_ENTRIES)

    def append(self, exchange: Exchange) -> None:
        """Record an exchange."""
        self._entries.append(exchange)

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()

    def entries(self, provider: str | None = None) -> list[Exchange]:
        """Exchanges in arrival order, optionally of one provider."""
        return [e for e in self._entries if provider is None or e.provider == provider]


class RequestLogMiddleware:
    """Records each HTTP request to a provider app, with the path relative to the provider."""

    def __init__(
        self, app: ASGIApp, *, provider: str, path_prefix: str, log: RequestLog, clock: Clock
    ) -> None:
        self.app = app
        self.provider = provider
        self.path_prefix = path_prefix
        self.log = log
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = Exchange(
            provider=self.provider,
            method=scope["method"],
            path=self.path_prefix + _path_below_mount(scope),
            query=dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))),
            authorization=any(name == b"authorization" for name, _ in scope["headers"]),
            time=iso_z(self.clock.time()),
        )
        scope[_SCOPE_KEY] = exchange
        # Logged on arrival, so the log is in arrival order and shows requests still in flight
        # (status null); the status is filled in before the client can see any of the answer.
        self.log.append(exchange)

        async def send_recording_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            if exchange.status is None:
                # The server answers 500 when the app fails before starting a response.
                exchange.status = 500


def _path_below_mount(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    below = path[len(root) :] if root and path.startswith(root) else path
    return below or "/"
