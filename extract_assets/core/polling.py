"""Waiting for a provider's long-running work to reach a final state."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from extract_assets.core.errors import DeadlineExceededError

T = TypeVar("T")


@dataclass(frozen=True)
class PollPolicy:
    """How often to look, and for how long: waits grow from `initial` to `max` seconds.

    >>> PollPolicy(initial_seconds=2, timeout_seconds=600).max_seconds
    15.0
    """

    initial_seconds: float = 1.0
    max_seconds: float = 15.0
    multiplier: float = 1.5
    timeout_seconds: float = 1200.0


def poll_until_final(
    fetch: Callable[[], T],
    *,
    is_final: Callable[[T], bool],
    status_of: Callable[[T], str],
    what: str,
    policy: PollPolicy,
    logger: logging.Logger,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call `fetch` until `is_final` holds, logging each status change; raise past the deadline.

    >>> states = iter(["pending", "processing", "completed"])
    >>> poll_until_final(lambda: next(states), is_final=lambda s: s == "completed",
    ...     status_of=str, what="task 1", policy=PollPolicy(initial_seconds=0),
    ...     logger=logging.getLogger("doctest"))
    'completed'
    """
    started = time.monotonic()
    wait = policy.initial_seconds
    last_status: str | None = None
    while True:
        current = fetch()
        status = status_of(current)
        if status != last_status:
            logger.info("%s is %s", what, status)
            last_status = status
        if is_final(current):
            return current
        elapsed = time.monotonic() - started
        if elapsed + wait > policy.timeout_seconds:
            raise DeadlineExceededError(
                f"{what} is still {status!r} after {elapsed:.0f} s, past the poll timeout of "
                f"{policy.timeout_seconds:.0f} s. It may still finish: raise the poll timeout, "
                "or re-execute the run later (it re-attaches to the same work; a new "
                "materialization starts and pays for new work)."
            )
        sleep(wait)
        wait = min(policy.max_seconds, wait * policy.multiplier)
