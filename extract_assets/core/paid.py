"""A paid request whose answer was lost: use what it created rather than pay for it twice."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from extract_assets.core.errors import (
    NotConnectedError,
    ServerError,
    TransportError,
    UnreadableAnswerError,
)
from extract_assets.core.retry import RetryPolicy

T = TypeVar("T")
_rng = random.Random()


def landed_or_back_off(
    error: ServerError | TransportError,
    attempt: int,
    find_landed: Callable[[], T | None],
    *,
    retry: RetryPolicy,
    what: str,
    landed: Callable[[T], str],
    logger: logging.Logger,
) -> T | None:
    """Decide what follows failed attempt number `attempt` (1-based) at a paid request.

    A 5xx or a dropped connection may come after the provider accepted, and charged for, the
    request. So `find_landed` looks first for what the request created: if found, it is
    returned, with a warning built from `what` and `landed(found)`. Otherwise `error` is raised
    once `retry.max_attempts` are spent, or when its `Retry-After` asks for longer than the
    retry deadline; else the backoff, or that `Retry-After` when longer, is slept through (and
    logged) and None tells the caller to send the request again. The caller owns the loop, so
    waits of its own (a full queue, a busy extract) count as attempts as they always did.

    >>> from extract_assets.core.errors import ServerError
    >>> lost = ServerError("502 Bad Gateway", provider="demo")
    >>> landed_or_back_off(
    ...     lost,
    ...     1,
    ...     lambda: "task-7",
    ...     retry=RetryPolicy(),
    ...     what="demo create",
    ...     landed=lambda task: f"{task} had been created",
    ...     logger=logging.getLogger("demo"),
    ... )
    'task-7'
    """
    # A connection never made cannot have created anything: no look-up (it would fail alike).
    found = None if isinstance(error, NotConnectedError) else find_landed()
    if found is not None:
        logger.warning("%s failed (%s) but %s; using it", what, error.message, landed(found))
        return found
    if attempt >= retry.max_attempts or (error.retry_after or 0) > retry.deadline_seconds:
        raise error
    wait = retry.wait_before_next(attempt, error.retry_after, _rng)
    logger.warning("%s failed (%s); retrying in %.1f s", what, error.message, wait)
    time.sleep(wait)
    return None


def landed_or_raise(
    error: UnreadableAnswerError,
    find_landed: Callable[[], T | None],
    *,
    what: str,
    landed: Callable[[T], str],
    logger: logging.Logger,
) -> T:
    """After a paid request answered with success in a body that cannot be read (a proxy's
    page, an error sent with 200, a body cut by a gateway): it may well have been processed and
    paid for, so what it created is looked for and returned; if nothing is found, `error` is
    raised, saying so. It is never sent again from here."""
    found = find_landed()
    if found is None:
        raise error.retold(f"{error.message}; what it would have made was looked for and not found")
    logger.warning(
        "%s was answered unreadably (%s) but %s; using it", what, error.message, landed(found)
    )
    return found
