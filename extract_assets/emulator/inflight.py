"""How many requests each provider is answering at once, and the most it has had at once.

Concurrency limits (Dagster pools, client pacing) are about calls that overlap in time; the peak
seen by the server is the one number that shows whether they held, whichever processes called.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class InFlight:
    """Requests in progress per provider, and the peak since the last reset.

    >>> counts = InFlight(["linkup"])
    >>> counts.enter("linkup"); counts.enter("linkup"); counts.leave("linkup")
    >>> counts.snapshot()
    {'linkup': {'in_flight': 1, 'peak': 2}}
    >>> counts.reset(); counts.snapshot()
    {'linkup': {'in_flight': 1, 'peak': 1}}
    """

    def __init__(self, providers: Iterable[str]) -> None:
        self._lock = threading.Lock()
        self._now = dict.fromkeys(providers, 0)
        self._peak = dict(self._now)

    def enter(self, provider: str) -> None:
        """A request to `provider` has arrived."""
        with self._lock:
            now = self._now.get(provider, 0) + 1
            self._now[provider] = now
            self._peak[provider] = max(self._peak.get(provider, 0), now)

    def leave(self, provider: str) -> None:
        """A request to `provider` has been answered (or abandoned)."""
        with self._lock:
            self._now[provider] -= 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        """Per provider: `in_flight` now and the `peak` since the last reset."""
        with self._lock:
            return {
                name: {"in_flight": now, "peak": self._peak[name]}
                for name, now in sorted(self._now.items())
            }

    def reset(self) -> None:
        """Start the peaks again from the requests in flight now (those still count)."""
        with self._lock:
            self._peak = dict(self._now)


class InFlightMiddleware:
    """Counts each HTTP request to one provider app from its arrival until its answer is whole."""

    def __init__(self, app: ASGIApp, *, provider: str, counts: InFlight) -> None:
        self.app = app
        self.provider = provider
        self.counts = counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.counts.enter(self.provider)
        counted = True

        def leave() -> None:
            nonlocal counted
            if counted:
                counted = False
                self.counts.leave(self.provider)

        async def send_and_leave_at_the_end(message: Message) -> None:
            # Left before the last bytes go out: a client that sends its next request as soon
            # as it has an answer can never be counted twice.
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                leave()
            await send(message)

        try:
            await self.app(scope, receive, send_and_leave_at_the_end)
        finally:
            leave()
