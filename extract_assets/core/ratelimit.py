"""Client-side rate limits: requests per minute per named bucket, shared by a process's threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

_registry: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


class RateLimiter:
    """Spaces requests evenly at `per_minute`, allowing a burst of `burst` (a GCRA bucket).

    Evenly spaced rather than "N then wait a minute": providers ask for batch work to be spread
    out, and a window-edge burst is what gets a client throttled.

    >>> limiter = RateLimiter(per_minute=600, burst=1)
    >>> limiter.acquire()  # the first request never waits
    0.0
    """

    def __init__(
        self,
        per_minute: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.per_minute = per_minute
        self.interval = 60.0 / per_minute
        self.burst = max(1, burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._theoretical_arrival = clock()

    def reserve(self) -> float:
        """Book the next slot and return how many seconds to wait for it (does not sleep)."""
        with self._lock:
            now = self._clock()
            tat = max(self._theoretical_arrival, now)
            allowed_at = tat - (self.burst - 1) * self.interval
            wait = max(0.0, allowed_at - now)
            self._theoretical_arrival = tat + self.interval
            return wait

    def acquire(self) -> float:
        """Wait for the next slot; returns the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait


def shared_limiter(name: str, per_minute: float, *, burst: int = 1) -> RateLimiter:
    """The process-wide limiter for bucket `name`: every client and thread using it shares it.

    Asking for a different rate replaces the bucket, so a changed setting takes effect.
    """
    with _registry_lock:
        limiter = _registry.get(name)
        if limiter is None or limiter.per_minute != per_minute or limiter.burst != burst:
            limiter = RateLimiter(per_minute, burst=burst)
            _registry[name] = limiter
        return limiter
