"""When to try an HTTP call again, and how long to wait first."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# Delta-seconds, and the fractions some services send ("1.5"); not "inf", "1e400" or "1_0",
# which Python's float() would take.
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with jitter, bounded by attempts and by a deadline.

    >>> RetryPolicy(max_attempts=3).backoff(1, random.Random(0)) <= 1.0
    True
    """

    max_attempts: int = 6
    deadline_seconds: float = 300.0
    backoff_base_seconds: float = 0.5
    backoff_cap_seconds: float = 30.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based): "equal jitter"."""
        ceiling = min(self.backoff_cap_seconds, self.backoff_base_seconds * 2 ** (attempt - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)

    def wait_before_next(
        self, attempt: int, retry_after: float | None, rng: random.Random
    ) -> float:
        """The provider's `Retry-After` wins over our own backoff when it asks for longer."""
        delay = self.backoff(attempt, rng)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date.

    >>> parse_retry_after("7")
    7.0
    >>> noon = datetime(2015, 10, 21, 12, 0, tzinfo=UTC)
    >>> parse_retry_after("Wed, 21 Oct 2015 12:00:05 GMT", noon)
    5.0
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if _SECONDS.fullmatch(text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
