"""Client-side rate limits: requests per minute per named bucket, shared by a process's threads
or, over a `SharedState`, by every process and machine."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import sqlalchemy as sa

from extract_assets.core.state import SharedState

_registry: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


class Pacer(Protocol):
    """What a client needs of a limiter: wait for the next slot."""

    def acquire(self) -> float: ...


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


_BUDGETS = "extract_assets_rate_budgets"
_BUDGET_TABLES = {
    dialect: [
        f"CREATE TABLE IF NOT EXISTS {_BUDGETS} "
        f"(bucket VARCHAR(200) PRIMARY KEY, theoretical_arrival {real} NOT NULL)"
    ]
    for dialect, real in (("sqlite", "REAL"), ("postgresql", "DOUBLE PRECISION"))
}


class SharedRateLimiter:
    """The same evenly spaced pacing as `RateLimiter`, with its one number kept in a
    `SharedState`: every process and machine using the bucket books its slots from it.

    >>> import tempfile
    >>> from pathlib import Path
    >>> from extract_assets.core.state import SharedState, sqlite_url
    >>> state = SharedState(sqlite_url(Path(tempfile.mkdtemp()) / "state.sqlite3"))
    >>> limiter = SharedRateLimiter(state, "docs:read", per_minute=60)
    >>> limiter.reserve(), 0.9 < limiter.reserve() <= 1.0
    (0.0, True)
    """

    def __init__(
        self,
        state: SharedState,
        bucket: str,
        per_minute: float,
        *,
        burst: int = 1,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.state = state
        self.bucket = bucket
        self.per_minute = per_minute
        self.interval = 60.0 / per_minute
        self.burst = max(1, burst)
        self._sleep = sleep
        state.create_tables(_BUDGETS, _BUDGET_TABLES)

    def reserve(self) -> float:
        """Book the next slot and return how many seconds to wait for it (does not sleep)."""
        with self.state.begin() as connection:
            now = self.state.clock(connection)
            connection.execute(
                sa.text(
                    f"INSERT INTO {_BUDGETS} (bucket, theoretical_arrival) VALUES (:bucket, :now) "
                    "ON CONFLICT (bucket) DO NOTHING"
                ),
                {"bucket": self.bucket, "now": now},
            )
            # One statement reads and moves the budget, so concurrent bookings queue on the
            # row's lock and each sees the one before it.
            booked = connection.execute(
                sa.text(
                    f"UPDATE {_BUDGETS} SET theoretical_arrival = CASE WHEN "
                    "theoretical_arrival > :now THEN theoretical_arrival ELSE :now END + :interval "
                    "WHERE bucket = :bucket RETURNING theoretical_arrival"
                ),
                {"bucket": self.bucket, "now": now, "interval": self.interval},
            ).scalar_one()
        allowed_at = booked - self.interval - (self.burst - 1) * self.interval
        return max(0.0, allowed_at - now)

    def acquire(self) -> float:
        """Wait for the next slot; returns the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait
