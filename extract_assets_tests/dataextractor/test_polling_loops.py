"""The polling sensor against a listing whose last page hands out its own cursor again: the
pass ends there, as the datasets asset's listing does, instead of spending every tick on it."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
import pytest
from dagster._core.definitions.sensor_definition import SensorExecutionData
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.sensors import build_dataextractor_polling_sensor
from extract_assets_tests.dataextractor.test_sensors import SPEC, days_ago, requested, tick
from extract_assets_tests.security.servers import serving

PAGE = 2


class LoopingListing:
    """Datasets newest first, `PAGE` a page; the last page's cursor is its own."""

    def __init__(self) -> None:
        self.datasets: list[dict[str, Any]] = []
        self.asked: list[str | None] = []

    def add(self, dataset_id: str, days_ago: int) -> None:
        created = datetime.now(UTC) - timedelta(days=days_ago)
        self.datasets.append(
            {"id": dataset_id, "status": "complete", "created_at": created.isoformat()}
        )
        self.datasets.sort(key=lambda dataset: dataset["created_at"], reverse=True)

    async def page(self, request: Request) -> JSONResponse:
        cursor = request.query_params.get("cursor")
        self.asked.append(cursor)
        start = 0 if cursor is None else int(cursor)
        last = max(len(self.datasets) - PAGE, 0)
        start = min(start, last)
        after = min(start + PAGE, last)
        return JSONResponse(
            {"data": self.datasets[start : start + PAGE], "next_cursor": str(after)}
        )


@pytest.fixture
def listing() -> LoopingListing:
    """Five complete datasets of the last three days."""
    looping = LoopingListing()
    for number, age in enumerate([3, 3, 2, 2, 1]):
        looping.add(f"ds_{number}", age)
    return looping


@pytest.fixture
def resource(listing: LoopingListing) -> Iterator[DataExtractorResource]:
    app = Starlette(routes=[Route("/api/v1/datasets", listing.page)])
    with serving(app) as url:
        yield DataExtractorResource(
            api_key="key", base_url=url, reads_per_minute=100_000, retry_deadline_seconds=5
        )


Tick = Callable[[str | None], SensorExecutionData]


@pytest.fixture
def ticks(instance: dg.DagsterInstance, resource: DataExtractorResource) -> Tick:
    """One tick of the polling sensor over the listing, from a cursor."""
    sensor = build_dataextractor_polling_sensor(SPEC, time_budget_seconds=30)
    return lambda cursor: tick(sensor, instance, resource, cursor)


@pytest.mark.timeout(60)
def test_a_top_pass_ends_where_the_listing_hands_out_the_same_cursor_with_nothing_new(
    listing: LoopingListing, ticks: Tick
) -> None:
    first = ticks(None)
    assert requested(first) == [days_ago(3), days_ago(2), days_ago(1)]
    assert len(listing.asked) < 10


@pytest.mark.timeout(60)
def test_a_dataset_new_after_a_looping_pass_is_requested_by_the_next_tick(
    listing: LoopingListing, ticks: Tick
) -> None:
    first = ticks(None)
    listing.add("ds_new", 0)
    second = ticks(first.cursor)
    assert requested(second) == [days_ago(0)]


@pytest.mark.timeout(60)
def test_an_idle_tick_over_a_looping_listing_reads_a_few_pages_not_until_its_time_runs_out(
    listing: LoopingListing, ticks: Tick
) -> None:
    cursor = ticks(None).cursor
    for _ in range(3):  # the sweep's cycles, which list below the top pass, included
        listing.asked.clear()
        result = ticks(cursor)
        cursor = result.cursor
        assert not result.run_requests
        assert len(listing.asked) < 10
