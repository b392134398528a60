"""The emulator's clock: real time that tests can speed up, freeze or jump ahead."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Emulator time = wall-clock anchor + real monotonic progression x speed + offset.

    Every time-dependent behaviour of the emulator (task progress, URL expiry, rate windows) reads
    this clock, so a test can move days ahead in one call instead of sleeping.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._anchor_wall = 0.0
        self._anchor_mono = 0.0
        self._elapsed = 0.0
        self._speed = 1.0
        self.reset()

    def reset(self) -> None:
        """Back to real time: speed 1, no offset."""
        with self._lock:
            self._anchor_wall = time.time()
            self._anchor_mono = time.monotonic()
            self._elapsed = 0.0
            self._speed = 1.0

    @property
    def speed(self) -> float:
        """How many emulator seconds pass per real second."""
        return self._speed

    def time(self) -> float:
        """Emulator time as seconds since the Unix epoch."""
        with self._lock:
            return self._anchor_wall + self._elapsed_locked()

    def now(self) -> datetime:
        """Emulator time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> None:
        """Jump ahead; time never runs backwards, or finished tasks would become unfinished."""
        if seconds < 0:
            raise ValueError(f"the clock only moves forward; got advance({seconds})")
        with self._lock:
            self._elapsed += seconds

    def set_speed(self, factor: float) -> None:
        """Run at `factor` x real time from now on (0 freezes the clock)."""
        if factor < 0:
            raise ValueError(f"clock speed must be >= 0; got {factor}")
        with self._lock:
            # Fold the time run so far at the old speed into the offset, so a change of speed
            # never makes the clock jump.
            self._elapsed = self._elapsed_locked()
            self._anchor_mono = time.monotonic()
            self._speed = factor

    def _elapsed_locked(self) -> float:
        return self._elapsed + (time.monotonic() - self._anchor_mono) * self._speed


def iso_z(epoch_seconds: float) -> str:
    """ISO-8601 UTC with milliseconds and a `Z`, as the providers write timestamps."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
