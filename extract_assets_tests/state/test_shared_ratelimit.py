"""SharedRateLimiter: one evenly spaced budget per bucket, booked by every process that uses it.

The spacing is what a provider sees: however many processes book from one bucket, no window of
time holds more requests than the rate allows, and together they still get (nearly) the whole
rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from extract_assets.core.ratelimit import SharedRateLimiter
from extract_assets.core.state import SharedState
from extract_assets_tests.state.processes import run_together

# Processes booking and sleeping: one slot every 0.1 s.
PER_MINUTE = 600
INTERVAL = 60.0 / PER_MINUTE
# Bookings only, nobody sleeping: a long interval, so no busy machine blurs it.
ONE_A_SECOND = 60
SECOND = 1.0
PROCESSES = 4
SLOTS_EACH = 6
# Seconds since 1970 as a float are exact to a microsecond or so.
ROUNDING = 1e-5


def most_in_any_window(times: list[float], width: float) -> int:
    """The largest number of `times` within any `width` seconds."""
    ordered = sorted(times)
    most, first = 0, 0
    for last, moment in enumerate(ordered):
        while moment - ordered[first] > width:
            first += 1
        most = max(most, last - first + 1)
    return most


def prepared(url: str) -> str:
    """`url`, its tables made: the processes below race for slots, not for the new file."""
    state = SharedState(url)
    SharedRateLimiter(state, "warm-up", PER_MINUTE)
    state.engine.dispose()
    return url


def timed(reserve: Callable[[], float]) -> tuple[float, float]:
    """The wait `reserve` booked, and when it returned (this machine's seconds)."""
    wait = reserve()
    return wait, time.perf_counter()


def _book(go: Callable[[], None], url: str, bucket: str, count: int) -> list[float]:
    """In another process: book `count` slots as a client would, noting when each came."""
    limiter = SharedRateLimiter(SharedState(url), bucket, PER_MINUTE)
    go()
    booked = []
    for _ in range(count):
        limiter.acquire()
        booked.append(time.time())
    limiter.state.engine.dispose()
    return booked


def test_the_first_booking_of_a_bucket_does_not_wait(state: SharedState) -> None:
    assert SharedRateLimiter(state, "reads", ONE_A_SECOND).reserve() == 0.0


def test_bookings_made_one_after_another_are_spaced_by_the_interval(
    state: SharedState,
) -> None:
    """Booked without waiting, the n-th booking waits n intervals, less the time that went
    by since the first was booked."""
    limiter = SharedRateLimiter(state, "reads", ONE_A_SECOND)
    began = time.perf_counter()
    for n in range(5):
        wait, now = timed(limiter.reserve)
        assert n * SECOND - (now - began) <= wait <= n * SECOND + ROUNDING


def test_a_burst_lets_that_many_bookings_through_at_once(state: SharedState) -> None:
    limiter = SharedRateLimiter(state, "writes", ONE_A_SECOND, burst=3)
    began = time.perf_counter()
    waits = [limiter.reserve() for _ in range(3)]
    wait, now = timed(limiter.reserve)
    assert all(w <= ROUNDING for w in waits)
    assert SECOND - (now - began) <= wait <= SECOND + ROUNDING


def test_limiters_of_one_bucket_share_its_budget(
    state_url: str, open_state: Callable[[str], SharedState]
) -> None:
    """Two limiters over two engines stand for two processes: the second is booked after the
    first, not from scratch."""
    first = SharedRateLimiter(open_state(state_url), "reads", ONE_A_SECOND)
    second = SharedRateLimiter(open_state(state_url), "reads", ONE_A_SECOND)
    began = time.perf_counter()
    assert first.reserve() == 0.0
    wait, now = timed(second.reserve)
    assert SECOND - (now - began) <= wait <= SECOND + ROUNDING


def test_buckets_are_independent(state: SharedState) -> None:
    reads = SharedRateLimiter(state, "key-1:reads", ONE_A_SECOND)
    for _ in range(5):
        reads.reserve()
    assert SharedRateLimiter(state, "key-1:writes", ONE_A_SECOND).reserve() == 0.0
    assert SharedRateLimiter(state, "key-2:reads", ONE_A_SECOND).reserve() == 0.0


def test_the_time_is_the_databases_not_the_machines(
    state: SharedState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A machine whose clock is an hour ahead books after the others, not an hour later (nor
    at once): only the database's clock counts."""
    here = SharedRateLimiter(state, "reads", ONE_A_SECOND)
    began = time.perf_counter()
    here.reserve()
    ahead = time.time() + 3600
    started = time.monotonic() + 3600
    monkeypatch.setattr(time, "time", lambda: ahead)
    monkeypatch.setattr(time, "monotonic", lambda: started)
    wait, now = timed(SharedRateLimiter(state, "reads", ONE_A_SECOND).reserve)
    assert SECOND - (now - began) <= wait <= SECOND + ROUNDING


@pytest.fixture(scope="module")
def booked_together(module_state_url: str) -> list[float]:
    """When each slot came, of four processes booking from one bucket at once (run once per
    backend; the tests below read different things from it)."""
    url = prepared(module_state_url)
    runs = run_together(_book, [(url, "reads", SLOTS_EACH)] * PROCESSES)
    return sorted(moment for slots in runs for moment in slots)


def test_processes_sharing_a_bucket_never_exceed_its_rate_together(
    booked_together: list[float],
) -> None:
    """In any stretch of time the four processes got at most one slot per interval, plus the
    one that opens it, however their bookings interleaved.

    A process acts on its slot a little after it (the booking's commit, the OS waking it up),
    never before: that can move one slot towards the next, but not put more slots in a
    stretch as long as a whole number of intervals."""
    assert len(booked_together) == PROCESSES * SLOTS_EACH
    for intervals in (5, 10, 20):
        width = intervals * INTERVAL
        assert most_in_any_window(booked_together, width - 0.01) <= intervals + 1


def test_processes_sharing_a_bucket_get_nearly_its_whole_rate(
    booked_together: list[float],
) -> None:
    """Pacing together does not make them much slower than the rate allows."""
    achieved = (len(booked_together) - 1) / (booked_together[-1] - booked_together[0])
    assert 0.8 * PER_MINUTE / 60 <= achieved <= 1.05 * PER_MINUTE / 60


def test_processes_on_different_buckets_do_not_slow_each_other(state_url: str) -> None:
    """Each process has a bucket of its own: each gets the whole rate, from the start."""
    url = prepared(state_url)
    runs = run_together(_book, [(url, f"key-{n}:reads", SLOTS_EACH) for n in range(3)])
    for slots in runs:
        assert slots[-1] - slots[0] <= (SLOTS_EACH - 1) * INTERVAL * 1.5
    firsts = sorted(slots[0] for slots in runs)
    # The first slot of every bucket is free: the three begin together.
    assert firsts[-1] - firsts[0] < 5 * INTERVAL
