"""The extracts sensor over an Extract.to whose replicas lag: a listing may show an extract's
`last_sync` older than one it showed before. The sync seen before stays the one to read after,
so the days of that sync are not requested again with the next one."""

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse

from .outside import OutsideExtractTo, row, ticking
from .test_sensors import RANGE_END, RANGE_START, Tick


class Lagging(OutsideExtractTo):
    """One extract; `last_sync` is what the listing shows, and each sync adds a row dated
    `day`, stamped with its `last_sync`."""

    def __init__(self) -> None:
        super().__init__(["e1"])
        self.rows_held: list[dict[str, Any]] = []

    def sync(self, day: date) -> datetime:
        self.last_sync += timedelta(hours=1)
        self.rows_held.append(row(day, self.last_sync.isoformat()))
        return self.last_sync

    async def rows(self, request: Request) -> JSONResponse:
        return JSONResponse({"data": self.rows_held, "next_cursor": None})


@pytest.fixture
def extractto() -> Lagging:
    return Lagging()


@pytest.fixture
def tick(extractto: Lagging, tmp_path: Path) -> Iterator[Tick]:
    with ticking(extractto, tmp_path) as ticks:
        yield ticks


def test_an_older_last_sync_shown_by_a_lagging_replica_requests_no_day_twice(
    extractto: Lagging, tick: Tick
) -> None:
    first_sync = extractto.last_sync
    three_days_ago, two_days_ago = (extractto.today - timedelta(days=n) for n in (3, 2))
    assert tick() == []
    second_sync = extractto.sync(three_days_ago)
    requested = tick()
    extractto.last_sync = first_sync
    requested += tick()
    extractto.last_sync = second_sync
    extractto.sync(two_days_ago)
    requested += tick()
    days = [(request.tags[RANGE_START], request.tags[RANGE_END]) for request in requested]
    assert days == [
        (three_days_ago.isoformat(), three_days_ago.isoformat()),
        (two_days_ago.isoformat(), two_days_ago.isoformat()),
    ]
