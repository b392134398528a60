import random
from datetime import UTC, datetime

from extract_assets.core.retry import RetryPolicy, parse_retry_after


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    policy = RetryPolicy(backoff_base_seconds=1, backoff_cap_seconds=8)
    rng = random.Random(1)
    ceilings = [1, 2, 4, 8, 8, 8]
    for attempt, ceiling in enumerate(ceilings, start=1):
        delay = policy.backoff(attempt, rng)
        assert ceiling / 2 <= delay <= ceiling


def test_backoff_is_jittered() -> None:
    policy = RetryPolicy(backoff_base_seconds=1, backoff_cap_seconds=30)
    rng = random.Random(7)
    assert len({round(policy.backoff(4, rng), 6) for _ in range(20)}) > 1


def test_retry_after_longer_than_backoff_wins() -> None:
    policy = RetryPolicy(backoff_base_seconds=0.1, backoff_cap_seconds=1)
    assert policy.wait_before_next(1, 12.0, random.Random(0)) == 12.0


def test_retry_after_accepts_delta_seconds() -> None:
    assert parse_retry_after("30") == 30.0


def test_retry_after_accepts_an_http_date() -> None:
    now = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Sun, 01 Nov 2026 12:00:42 GMT", now) == 42.0


def test_retry_after_in_the_past_means_now() -> None:
    now = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Sun, 01 Nov 2026 11:00:00 GMT", now) == 0.0


def test_unreadable_retry_after_is_ignored() -> None:
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
