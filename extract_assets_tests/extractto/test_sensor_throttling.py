"""The extracts sensor over an Extract.to that throttles: it answers a page of rows, then 429
with a `Retry-After` longer than a tick may wait, as a service with a per-minute quota does.
Each tick keeps the extracts it read and the next one goes on with the others."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse

from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.sensors import build_extractto_sensor
from extract_assets.extractto.spec import ExtractToExtractSpec
from extract_assets_tests.security.servers import serving

from .outside import TODAY, OutsideExtractTo, midnight, row
from .test_sensors import RANGE_START, Tick

EXTRACTS = ["e1", "e2", "e3"]


class Throttled(OutsideExtractTo):
    """Extracts `EXTRACTS`, each with a table of one row dated two days ago and stamped with
    the last sync; rows are throttled after every page answered (the quota then refills)."""

    def __init__(self) -> None:
        super().__init__(EXTRACTS, midnight(TODAY))
        self.answered = False

    def sync(self) -> None:
        """Every extract syncs once more, outside Dagster."""
        self.last_sync += timedelta(hours=1)

    async def rows(self, request: Request) -> JSONResponse:
        if self.answered:
            self.answered = False
            return JSONResponse(
                {"detail": "Too many requests"}, status_code=429, headers={"Retry-After": "120"}
            )
        self.answered = True
        page = [row(TODAY - timedelta(days=2), self.last_sync.isoformat())]
        return JSONResponse({"data": page, "next_cursor": None})


@pytest.fixture
def extractto() -> Throttled:
    return Throttled()


@pytest.fixture
def tick(extractto: Throttled, tmp_path: Path) -> Iterator[Tick]:
    specs = [
        ExtractToExtractSpec(name=f"ads_{id}", extract_id=id, start_date=TODAY - timedelta(30))
        for id in EXTRACTS
    ]
    assets = build_extractto_assets(specs, output_dir=str(tmp_path))
    sensor = build_extractto_sensor(specs, time_budget_seconds=10)
    with serving(extractto.app()) as url, dg.instance_for_test() as instance:
        resource = ExtractToResource(api_key="key", base_url=url, requests_per_minute=None)
        yield Tick(assets, sensor, instance, resource)


def test_rows_throttled_mid_tick_have_every_extract_s_sync_requested_once_over_ticks(
    extractto: Throttled, tick: Tick
) -> None:
    assert tick() == []
    extractto.sync()
    requests = [request for _ in range(len(EXTRACTS) + 1) for request in tick()]
    assert sorted(request.run_key or "" for request in requests) == sorted(
        f"{id}:{extractto.last_sync.isoformat()}:{(TODAY - timedelta(days=2)).isoformat()}"
        for id in EXTRACTS
    )
    assert {request.tags[RANGE_START] for request in requests} == {
        (TODAY - timedelta(days=2)).isoformat()
    }
