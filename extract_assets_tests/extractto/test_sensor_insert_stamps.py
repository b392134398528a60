"""The extracts sensor reads a coarse `__insert_date` for the span its text leaves open: a
service that stamps rows with a plain date or to the minute still gets the days of a second
sync on the same day (or minute) read, at worst a day read twice, never one missed."""

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse

from .outside import OutsideExtractTo, row, ticking
from .test_sensors import RANGE_START, Tick


class ExtractTo(OutsideExtractTo):
    """One extract whose data table holds one row, of `row_day`; the test sets its `last_sync`
    and the row's `__insert_date`."""

    def __init__(self) -> None:
        super().__init__(["e1"])
        self.last_sync += timedelta(hours=6)
        self.row_day = self.today - timedelta(days=2)
        self.inserted = ""

    async def rows(self, request: Request) -> JSONResponse:
        page = [row(self.row_day, self.inserted, clicks=3)]
        return JSONResponse({"data": page, "next_cursor": None})


@pytest.fixture
def extractto() -> ExtractTo:
    return ExtractTo()


@pytest.fixture
def tick(extractto: ExtractTo, tmp_path: Path) -> Iterator[Tick]:
    with ticking(extractto, tmp_path) as ticks:
        yield ticks


def second_sync(extractto: ExtractTo, *, later: timedelta, inserted: str) -> None:
    extractto.last_sync += later
    extractto.inserted = inserted


def requested_days(requests: list[dg.RunRequest]) -> list[date]:
    return [date.fromisoformat(request.tags[RANGE_START]) for request in requests]


def test_a_plain_date_stamp_of_a_later_sync_the_same_day_gets_its_day_read(
    extractto: ExtractTo, tick: Tick
) -> None:
    assert tick() == []
    second_sync(extractto, later=timedelta(hours=9), inserted=extractto.today.isoformat())
    assert requested_days(tick()) == [extractto.row_day]


def test_a_stamp_to_the_minute_of_the_last_sync_gets_its_day_read(
    extractto: ExtractTo, tick: Tick
) -> None:
    extractto.last_sync += timedelta(seconds=20)
    assert tick() == []
    moment = extractto.last_sync + timedelta(seconds=30)
    second_sync(extractto, later=timedelta(seconds=35), inserted=moment.strftime("%Y-%m-%d %H:%M"))
    assert requested_days(tick()) == [extractto.row_day]


def test_a_stamp_to_the_second_of_the_last_sync_is_that_sync_s_row(
    extractto: ExtractTo, tick: Tick
) -> None:
    extractto.last_sync += timedelta(milliseconds=400)
    inserted = extractto.last_sync.strftime("%Y-%m-%d %H:%M:%S")
    assert tick() == []
    second_sync(extractto, later=timedelta(hours=1), inserted=inserted)
    assert tick() == []


def test_a_stamp_before_the_last_sync_requests_nothing(extractto: ExtractTo, tick: Tick) -> None:
    assert tick() == []
    earlier = (extractto.last_sync - timedelta(hours=1)).isoformat()
    second_sync(extractto, later=timedelta(hours=9), inserted=earlier)
    assert tick() == []
