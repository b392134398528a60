"""The Linkup sensor over a listing that throttles: it answers a page, then 429 with a
`Retry-After` longer than a tick may wait, as a service with a per-minute quota does. Each
tick keeps the pages it read and the next one goes on from there."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset
from extract_assets_tests.linkup.listing import Listing
from extract_assets_tests.linkup.test_sensors import OURS, requested_over_ticks, tick
from extract_assets_tests.security.servers import serving

START = datetime.now(UTC) - timedelta(hours=1)


class OnePagePerWindow:
    """`listing`, throttled after every page it answers (the quota then refills)."""

    def __init__(self, listing: Listing) -> None:
        self.listing = listing
        self.answered = False

    async def page(self, request: Request) -> JSONResponse:
        if self.answered:
            self.answered = False
            body = {"statusCode": 429, "error": "TOO_MANY_REQUESTS", "message": "Slow down"}
            return JSONResponse(body, status_code=429, headers={"Retry-After": "120"})
        self.answered = True
        return await self.listing.page(request)


def test_a_listing_throttled_mid_scan_has_every_task_requested_once_over_ticks(
    listing: Listing, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    ids = [f"task_{n}" for n in range(6)]
    for n, task_id in enumerate(ids):
        listing.complete(task_id, (START + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    outputs = build_linkup_task_outputs_asset(output_dir=str(tmp_path))
    sensor = build_linkup_sensor([OURS], outputs, time_budget_seconds=10, page_size=2)
    app = Starlette(routes=[Route("/v1/extract", OnePagePerWindow(listing).page)])
    with serving(app) as url:
        resource = LinkupResource(api_key="key", base_url=url)
        handled = requested_over_ticks(4, sensor, instance, resource)
    assert sorted(handled) == ids


def test_a_throttled_tick_says_the_next_tick_tries_again_not_to_re_execute_a_run(
    listing: Listing,
    instance: dg.DagsterInstance,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    for n in range(4):
        listing.complete(f"task_{n}", (START + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    outputs = build_linkup_task_outputs_asset(output_dir=str(tmp_path))
    sensor = build_linkup_sensor([OURS], outputs, time_budget_seconds=10, page_size=2)
    app = Starlette(routes=[Route("/v1/extract", OnePagePerWindow(listing).page)])
    with serving(app) as url:
        tick(sensor, instance, LinkupResource(api_key="key", base_url=url), None)
    logged = capfd.readouterr().err
    assert "Retry-After" in logged
    assert "nothing is lost" in logged
    assert "re-execute" not in logged
