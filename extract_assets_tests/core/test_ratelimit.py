import itertools
import threading

from extract_assets.core.ratelimit import RateLimiter, shared_limiter


class FakeClock:
    """Time that moves only when the limiter sleeps, so pacing is measured exactly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.lock = threading.Lock()

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def test_requests_are_spaced_evenly_at_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, clock=clock.time, sleep=clock.sleep)
    starts = []
    for _ in range(5):
        limiter.acquire()
        starts.append(clock.now)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert gaps == [1.0, 1.0, 1.0, 1.0]


def test_a_burst_is_allowed_then_pacing_starts() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, burst=3, clock=clock.time, sleep=clock.sleep)
    waits = [limiter.acquire() for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] > 0


def test_threads_share_one_budget() -> None:
    limiter = RateLimiter(600, clock=lambda: 0.0, sleep=lambda _: None)
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            wait = limiter.reserve()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 40 requests at 10/s from time 0: the slots are 0.0, 0.1, ..., 3.9, each booked once.
    assert sorted(round(w, 6) for w in waits) == [round(i * 0.1, 6) for i in range(40)]


def test_shared_limiter_is_one_object_per_bucket_name() -> None:
    assert shared_limiter("test-bucket-a", 60) is shared_limiter("test-bucket-a", 60)
    assert shared_limiter("test-bucket-a", 60) is not shared_limiter("test-bucket-b", 60)
