"""Per-key rate limits over a sliding 60-second window of emulator time, with counters."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from extract_assets.emulator.clock import iso_z
from extract_assets.emulator.dataextractor.errors import DataextractorError

Bucket = Literal["read", "write"]
BUCKETS: tuple[Bucket, ...] = ("read", "write")
WINDOW_SECONDS = 60.0
RATE_LIMITED = "Rate limit exceeded"


@dataclass
class _Window:
    """The admitted requests of one key in one bucket, and what the key was told."""

    admitted: deque[float] = field(default_factory=deque)
    requests: int = 0
    rate_limited: int = 0
    first_at: float | None = None
    last_at: float | None = None

    def as_json(self, limit: int) -> dict[str, Any]:
        return {
            "limit_per_minute": limit,
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "first_at": None if self.first_at is None else iso_z(self.first_at),
            "last_at": None if self.last_at is None else iso_z(self.last_at),
        }


class RateLimiter:
    """A sliding window: a request is admitted when fewer than `limit` requests of the same key
    and bucket were admitted in the 60 s before it.

    Sliding rather than fixed, so a client that spreads its requests evenly at the documented
    rate is never refused, while one bursting at a window edge is.
    """

    def __init__(self) -> None:
        self._windows: dict[tuple[str, Bucket], _Window] = {}

    def reset(self) -> None:
        """Forget every window and counter."""
        self._windows = {}

    def admit(self, key: str, bucket: Bucket, limit: int, now: float) -> None:
        """Count the request, or 429 with `Retry-After` = whole seconds until a slot frees."""
        window = self._windows.setdefault((key, bucket), _Window())
        admitted = window.admitted
        while admitted and admitted[0] <= now - WINDOW_SECONDS:
            admitted.popleft()
        if len(admitted) >= limit:
            window.rate_limited += 1
            # The slot of the oldest request frees when it leaves the window; a lowered limit
            # frees only after older requests left too, hence the index.
            frees_at = admitted[len(admitted) - limit] + WINDOW_SECONDS
            wait = max(1, math.ceil(frees_at - now))
            raise DataextractorError(429, RATE_LIMITED, {"Retry-After": str(wait)})
        admitted.append(now)
        window.requests += 1
        if window.first_at is None:
            window.first_at = now
        window.last_at = now

    def usage(self, limits: dict[Bucket, int]) -> list[dict[str, Any]]:
        """Per key and bucket: requests admitted, 429s answered, first and last admitted time."""
        keys = sorted({key for key, _ in self._windows})
        return [
            {
                "key": key,
                "buckets": {
                    bucket: self._windows.get((key, bucket), _Window()).as_json(limits[bucket])
                    for bucket in BUCKETS
                },
            }
            for key in keys
        ]
