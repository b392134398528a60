"""The extracts sensor over an Extract.to that stamps `last_sync` as a sync starts and writes a
sync's rows as it goes: a sync may begin, and write some rows, while the sensor reads the rows
of one of ours. Those rows come after our `last_sync` as ours do; their days are requested once
that sync is seen, not passed over as ours."""

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from extract_assets.extractto.assets import sync_tag

from .outside import OutsideExtractTo, midnight, row, ticking
from .test_sensor_property import days_of
from .test_sensors import Tick


class Progressive(OutsideExtractTo):
    """One extract, shown `status`; each row stamped as written; a sync that begins, and
    writes its first day (`early`), as the rows are read once `begins_while_read`."""

    def __init__(self) -> None:
        super().__init__(["e1"])
        self.start = self.last_sync = midnight(self.today) - timedelta(hours=12)
        self.ours, self.early, self.late = (self.today - timedelta(days=n) for n in (4, 3, 2))
        self.status = "active"
        self.rows_held: list[dict[str, Any]] = []
        self.begins_while_read = False

    def begin(self, minutes: int) -> str:
        """A sync begins `minutes` after the first; its `last_sync`."""
        self.last_sync = self.start + timedelta(minutes=minutes)
        return self.last_sync.isoformat()

    def write(self, day: date, seconds: int) -> None:
        """The sync under way writes `day`, `seconds` after it began."""
        self.rows_held.append(row(day, (self.last_sync + timedelta(seconds=seconds)).isoformat()))

    async def extracts(self, request: Request) -> JSONResponse:
        extract = {
            "id": "e1",
            "title": "e1",
            "status": self.status,
            "last_sync": self.last_sync.isoformat(),
            "data_table_id": "table-e1",
        }
        return JSONResponse({"data": [extract], "next_cursor": None})

    async def extract(self, request: Request) -> JSONResponse:
        listed = json.loads((await self.extracts(request)).body)
        return JSONResponse(listed["data"][0])

    def app(self) -> Starlette:
        app = super().app()
        app.router.routes.append(Route("/extracts/{extract_id}", self.extract))
        return app

    async def rows(self, request: Request) -> JSONResponse:
        if self.begins_while_read:
            self.begins_while_read = False
            self.begin(20)
            self.status = "syncing"
            self.write(self.early, 5)
        return JSONResponse({"data": self.rows_held, "next_cursor": None})


@pytest.fixture
def extractto() -> Progressive:
    return Progressive()


@pytest.fixture
def tick(extractto: Progressive, tmp_path: Path) -> Iterator[Tick]:
    with ticking(extractto, tmp_path) as ticks:
        yield ticks


def our_run(instance: dg.DagsterInstance, last_sync: str) -> None:
    """A run of our asset that synced the extract, as its tag records it."""

    @dg.asset
    def synced() -> None:
        return None

    assert dg.materialize([synced], instance=instance, tags={sync_tag("e1"): last_sync}).success


def test_a_sync_begun_while_our_sync_s_rows_are_read_has_its_early_days_requested(
    extractto: Progressive, tick: Tick
) -> None:
    tick()
    our_run(tick.instance, extractto.begin(10))
    extractto.write(extractto.ours, 5)
    extractto.begins_while_read = True
    assert tick() == []
    extractto.write(extractto.late, 60)
    extractto.status = "active"
    days = {day for request in tick() for day in days_of(request)}
    assert {extractto.early.isoformat(), extractto.late.isoformat()} <= days
