"""The extracts sensor over an Extract.to whose replicas lag: a listing may show an extract's
`last_sync` older than one it showed before. The sync seen before stays the one to read after,
so the days of that sync are not requested again with the next one."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.sensors import build_extractto_sensor
from extract_assets.extractto.spec import ExtractToExtractSpec
from extract_assets_tests.security.servers import serving

from .test_sensors import RANGE_END, RANGE_START, Tick

TODAY = datetime.now(UTC).date()


class Lagging:
    """One extract; `listed` is the `last_sync` the listing shows, and each sync adds a row
    dated `day`, stamped with its `last_sync`."""

    def __init__(self) -> None:
        self.listed = datetime.combine(TODAY, datetime.min.time(), UTC)
        self.rows: list[dict[str, Any]] = []

    def sync(self, day: date) -> datetime:
        self.listed += timedelta(hours=1)
        stamp = self.listed.isoformat()
        self.rows.append(
            {
                "date": day.isoformat(),
                "account_id": "a1",
                "account_name": "A",
                "__insert_date": stamp,
            }
        )
        return self.listed

    async def extracts(self, request: Request) -> JSONResponse:
        extract = {
            "id": "e1",
            "title": "Ads",
            "status": "active",
            "last_sync": self.listed.isoformat(),
            "data_table_id": "t1",
        }
        return JSONResponse({"data": [extract], "next_cursor": None})

    async def rows_page(self, request: Request) -> JSONResponse:
        return JSONResponse({"data": self.rows, "next_cursor": None})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/extracts", self.extracts),
                Route("/data-tables/{table_id}/rows", self.rows_page),
            ]
        )


@pytest.fixture
def extractto() -> Lagging:
    return Lagging()


@pytest.fixture
def tick(extractto: Lagging, tmp_path: Path) -> Iterator[Tick]:
    spec = ExtractToExtractSpec(name="ads", extract_id="e1", start_date=TODAY - timedelta(30))
    assets = build_extractto_assets([spec], output_dir=str(tmp_path))
    sensor = build_extractto_sensor([spec], time_budget_seconds=10)
    with serving(extractto.app()) as url, dg.instance_for_test() as instance:
        resource = ExtractToResource(api_key="key", base_url=url, requests_per_minute=None)
        yield Tick(assets, sensor, instance, resource)


def test_an_older_last_sync_shown_by_a_lagging_replica_requests_no_day_twice(
    extractto: Lagging, tick: Tick
) -> None:
    first_sync = extractto.listed
    assert tick() == []
    second_sync = extractto.sync(TODAY - timedelta(days=3))
    requested = tick()
    extractto.listed = first_sync
    requested += tick()
    extractto.listed = second_sync
    extractto.sync(TODAY - timedelta(days=2))
    requested += tick()
    days = [(request.tags[RANGE_START], request.tags[RANGE_END]) for request in requested]
    assert days == [
        ((TODAY - timedelta(days=3)).isoformat(), (TODAY - timedelta(days=3)).isoformat()),
        ((TODAY - timedelta(days=2)).isoformat(), (TODAY - timedelta(days=2)).isoformat()),
    ]
