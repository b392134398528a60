"""The Linkup sensor over a listing that writes `updatedAt` to the second, as real services may:
a task finishing in the same second as one already handled is still requested, wherever the
listing puts it among the tasks of that second."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset
from extract_assets_tests.linkup.listing import Listing
from extract_assets_tests.linkup.test_sensors import OURS, requested, tick

SECOND = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def sensor(tmp_path: Path) -> dg.SensorDefinition:
    outputs = build_linkup_task_outputs_asset(output_dir=str(tmp_path))
    return build_linkup_sensor([OURS], outputs, time_budget_seconds=10)


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
