"""The extracts sensor over a data table too slow to read within a tick: the tick stops
reading at its time budget and requests every day of the look-back, rather than run past
Dagster's 60 s on every tick or pass over a day it did not read."""

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse

from .outside import OutsideExtractTo, row, ticking
from .test_sensors import RANGE_END, RANGE_START, Tick

PAGES = 40
LOOKBACK_DAYS = 7


class SlowTable(OutsideExtractTo):
    """One extract whose data table answers `PAGES` pages of one row, a quarter second each."""

    def __init__(self) -> None:
        super().__init__(["e1"])
        self.pages_served = 0

    async def rows(self, request: Request) -> JSONResponse:
        await asyncio.sleep(0.25)
        number = int(request.query_params.get("cursor") or 0)
        self.pages_served += 1
        page = [row(self.today - timedelta(days=2), self.last_sync.isoformat())]
        following = str(number + 1) if number + 1 < PAGES else None
        return JSONResponse({"data": page, "next_cursor": following})


@pytest.fixture
def table() -> SlowTable:
    return SlowTable()


@pytest.fixture
def tick(table: SlowTable, tmp_path: Path) -> Iterator[Tick]:
    with ticking(table, tmp_path, time_budget_seconds=1, lookback_days=LOOKBACK_DAYS) as ticks:
        yield ticks


def test_a_table_too_slow_for_a_tick_stops_at_the_budget_and_requests_the_whole_look_back(
    table: SlowTable, tick: Tick
) -> None:
    assert tick() == []
    table.last_sync += timedelta(hours=1)
    (request,) = tick()
    assert table.pages_served < PAGES
    # Today's partition does not exist yet: the range ends on yesterday's.
    first, last = table.today - timedelta(days=LOOKBACK_DAYS), table.today - timedelta(days=1)
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (
        first.isoformat(),
        last.isoformat(),
    )


def test_after_a_look_back_requested_whole_the_same_sync_is_not_requested_again(
    table: SlowTable, tick: Tick
) -> None:
    tick()
    table.last_sync += timedelta(hours=1)
    tick()
    assert tick() == []
