"""A webhook event naming its dataset by a number, as ids may come: the sensor reads it as the
id's text, as every other id is read, instead of skipping the event."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dagster as dg
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from extract_assets.dataextractor.contract import SIGNATURE_HEADER
from extract_assets.dataextractor.models import WebhookEvent
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.sensors import build_dataextractor_webhook_sensor
from extract_assets_tests.dataextractor.conftest import Receiver, sign
from extract_assets_tests.dataextractor.test_sensors import SPEC, days_ago, requested, tick
from extract_assets_tests.security.servers import serving


async def dataset(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "id": int(request.path_params["dataset_id"]),
            "status": "complete",
            "created_at": (datetime.now(UTC) - timedelta(days=2)).isoformat(),
        }
    )


@pytest.fixture
def resource() -> Iterator[DataExtractorResource]:
    app = Starlette(routes=[Route("/api/v1/datasets/{dataset_id}", dataset)])
    with serving(app) as url:
        yield DataExtractorResource(
            api_key="key", base_url=url, reads_per_minute=100_000, retry_deadline_seconds=5
        )


def test_a_numeric_dataset_id_is_read_as_its_digits() -> None:
    event = WebhookEvent(event_id="e", event_type="t", data={"dataset_id": 98765})
    assert event.dataset_id == "98765"


def test_a_dataset_id_that_is_not_an_id_names_no_dataset() -> None:
    for value in (True, None, "", 1.5, {"id": 1}):
        assert (
            WebhookEvent(event_id="e", event_type="t", data={"dataset_id": value}).dataset_id
            is None
        )


def test_an_event_naming_its_dataset_by_a_number_requests_the_dataset_s_day(
    receiver: Receiver, instance: dg.DagsterInstance, resource: DataExtractorResource
) -> None:
    body = json.dumps(
        {
            "event_id": "evt_1",
            "event_type": "extraction.completed",
            "data": {"dataset_id": 98765, "status": "complete"},
        }
    ).encode()
    answer = httpx.post(receiver.url, content=body, headers={SIGNATURE_HEADER: sign(body)})
    assert answer.status_code == 202
    sensor = build_dataextractor_webhook_sensor(SPEC, receiver.store_path, time_budget_seconds=10)
    assert requested(tick(sensor, instance, resource, None)) == [days_ago(2)]
