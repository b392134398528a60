"""Progress of long work (downloads, page-by-page reads), logged at a bounded rate.

A line says rows and bytes so far, the rates, the time taken and, once a total is known
(Content-Length, a row count, a number of pages or days), the percentage done and the time left.
Lines go to a Python logger (`extract_assets.*` loggers land in Dagster's event log), at most
one per interval while the work goes on and always one at the end, so a million-row download
logs tens of lines, not thousands. The clock is injectable: tests move it instead of sleeping.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

_MB = 1_000_000


class Progress:
    """Counts rows, bytes and steps of one piece of work and logs how far it got.

    >>> now = [0.0]
    >>> log = logging.getLogger("example")
    >>> progress = Progress("t1", logger=log, total_bytes=4_000_000, clock=lambda: now[0])
    >>> now[0] = 2.0
    >>> progress.add(rows=1_000, nbytes=1_000_000)
    >>> progress.line()
    't1: 1,000 rows, 1.0 MB in 2.0 s (500 rows/s, 0.50 MB/s); 25% of 4.0 MB, ETA 6 s'
    """

    def __init__(
        self,
        what: str,
        *,
        logger: logging.Logger,
        every: float = 5.0,
        unit: str = "rows",
        step_unit: str = "pages",
        total_rows: int | None = None,
        total_bytes: int | None = None,
        total_steps: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what = what
        self.unit = unit
        self.step_unit = step_unit
        self.rows = 0
        self.bytes = 0
        self.steps = 0
        self.note = ""
        self.total_rows = total_rows
        self.total_bytes = total_bytes
        self.total_steps = total_steps
        self.lines_logged = 0
        self._logger = logger
        self._every = every
        self._clock = clock
        self._started = clock()
        self._last_line = self._started
        self._finished = False

    def add(
        self, rows: int = 0, nbytes: int = 0, steps: int = 0, *, note: str | None = None
    ) -> None:
        """Count more work done; logs a line if the last one is at least an interval old."""
        self.rows += rows
        self.bytes += nbytes
        self.steps += steps
        if note is not None:
            self.note = note
        now = self._clock()
        if now - self._last_line >= self._every:
            self._log(now, "")

    def finish(self, *, note: str | None = None) -> None:
        """Log the final line (once, however often it is called)."""
        if self._finished:
            return
        self._finished = True
        if note is not None:
            self.note = note
        self._log(self._clock(), "done, ")

    def line(self, prefix: str = "") -> str:
        """What a progress line says now."""
        return self._text(self._clock(), prefix)

    def _log(self, now: float, prefix: str) -> None:
        self._last_line = now
        self.lines_logged += 1
        self._logger.info("%s", self._text(now, prefix))

    def _text(self, now: float, prefix: str) -> str:
        elapsed = max(now - self._started, 0.0)
        parts = [f"{self.rows:,} {self.unit}"]
        if self.bytes:
            exact = f" ({self.bytes:,} bytes)" if self._finished else ""
            parts.append(f"{_size(self.bytes)}{exact}")
        if self.steps or self.total_steps:
            of = f" of {self.total_steps:,}" if self.total_steps else ""
            parts.append(f"{self.steps:,}{of} {self.step_unit}")
        text = f"{self.what}: {prefix}{', '.join(parts)} in {elapsed:,.1f} s"
        if elapsed > 0:
            rates = [f"{self.rows / elapsed:,.0f} {self.unit}/s"]
            if self.bytes:
                rates.append(f"{self.bytes / elapsed / _MB:,.2f} MB/s")
            text += f" ({', '.join(rates)})"
        fraction, of_what = self._fraction()
        if fraction is not None and not self._finished:
            text += f"; {fraction:.0%} of {of_what}"
            if 0 < fraction < 1 and elapsed > 0:
                text += f", ETA {elapsed * (1 - fraction) / fraction:,.0f} s"
        if self.note:
            text += f"; {self.note}"
        return text

    def _fraction(self) -> tuple[float | None, str]:
        """Share of the work done, judged by the most exact total known."""
        if self.total_bytes:
            return min(self.bytes / self.total_bytes, 1.0), _size(self.total_bytes)
        if self.total_rows:
            return min(self.rows / self.total_rows, 1.0), f"{self.total_rows:,} {self.unit}"
        if self.total_steps:
            return min(self.steps / self.total_steps, 1.0), f"{self.total_steps:,} {self.step_unit}"
        return None, ""


def _size(nbytes: int) -> str:
    """Bytes in MB, or kB below a megabyte (where MB would read "0.0 MB").

    >>> _size(8_668), _size(2_532_241)
    ('8.7 kB', '2.5 MB')
    """
    if nbytes < _MB:
        return f"{nbytes / 1000:,.1f} kB"
    return f"{nbytes / _MB:,.1f} MB"
