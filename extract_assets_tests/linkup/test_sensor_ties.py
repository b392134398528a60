"""The Linkup sensor over a listing that writes `updatedAt` to the second, as real services may:
a task finishing in the same second as one already handled is still requested, wherever the
listing puts it among the tasks of that second."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset
from extract_assets_tests.linkup.test_sensors import OURS, tick
from extract_assets_tests.security.servers import serving

SECOND = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


class Listing:
    """`GET /v1/extract`: tasks, newest `updatedAt` first, ties in the order added, a page of
    `pageSize` at a time; `pages` records the pages asked for."""

    def __init__(self) -> None:
        self.tasks: list[dict[str, Any]] = []
        self.pages: list[int] = []

    def complete(self, task_id: str, updated_at: str) -> None:
        self.show(task_id, updated_at, "completed")

    def process(self, task_id: str, updated_at: str) -> None:
        self.show(task_id, updated_at, "processing")

    def show(self, task_id: str, updated_at: str, status: str) -> None:
        """List the task as of a status change, in place of how it was listed before."""
        self.tasks = [task for task in self.tasks if task["id"] != task_id]
        output = {"resultUrl": f"http://127.0.0.1/{task_id}", "rowsReturned": 1, "creditsUsed": 1}
        self.tasks.append(
            {
                "id": task_id,
                "status": status,
                "createdAt": updated_at,
                "updatedAt": updated_at,
                "output": output if status == "completed" else None,
            }
        )

    async def page(self, request: Request) -> JSONResponse:
        number = int(request.query_params["page"])
        size = int(request.query_params["pageSize"])
        self.pages.append(number)
        ordered = sorted(self.tasks, key=lambda task: task["updatedAt"], reverse=True)
        metadata = {
            "page": number,
            "pageSize": size,
            "total": len(ordered),
            "totalPages": -(-len(ordered) // size),
        }
        data = ordered[(number - 1) * size : number * size]
        return JSONResponse({"metadata": metadata, "data": data})


@pytest.fixture
def listing() -> Listing:
    return Listing()


@pytest.fixture
def resource(listing: Listing) -> Iterator[LinkupResource]:
    with serving(Starlette(routes=[Route("/v1/extract", listing.page)])) as url:
        yield LinkupResource(api_key="key", base_url=url)


@pytest.fixture
def sensor(tmp_path: Path) -> dg.SensorDefinition:
    outputs = build_linkup_task_outputs_asset(output_dir=str(tmp_path))
    return build_linkup_sensor([OURS], outputs, time_budget_seconds=10)


def requested(result: Any) -> list[str]:
    return [str(request.partition_key) for request in result.run_requests or []]


def test_a_task_of_the_watermark_s_second_listed_after_a_handled_one_is_requested(
    listing: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    listing.complete("task_w", SECOND)
    first = tick(sensor, instance, resource, None)
    assert requested(first) == ["task_w"]
    listing.complete("task_a", SECOND)
    second = tick(sensor, instance, resource, first.cursor)
    assert requested(second) == ["task_a"]
    assert requested(tick(sensor, instance, resource, second.cursor)) == []


def test_a_task_in_capitals_completed_is_requested(
    listing: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    listing.complete("task_c", SECOND)
    listing.tasks[0]["status"] = "COMPLETED"
    assert requested(tick(sensor, instance, resource, None)) == ["task_c"]
