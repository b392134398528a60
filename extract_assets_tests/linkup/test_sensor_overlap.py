"""The Linkup sensor over a listing that shows some tasks late, as an eventually consistent one
does (a replica a few seconds behind): every tick lists again a window of `updatedAt` below the
newest task it handled, so a task shown late inside that window is still requested, once."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset
from extract_assets_tests.linkup.listing import Listing
from extract_assets_tests.linkup.test_sensors import OURS, requested, tick

OVERLAP_SECONDS = 60
START = datetime.now(UTC) - timedelta(hours=1)


def at(seconds: float) -> str:
    """`updatedAt` as the listing writes it, `seconds` after the start of the test's hour."""
    return (START + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def outputs(tmp_path: Path) -> dg.AssetsDefinition:
    return build_linkup_task_outputs_asset(output_dir=str(tmp_path))


def windowed(outputs: dg.AssetsDefinition, page_size: int = 100) -> dg.SensorDefinition:
    """The sensor with the test's window, reading `page_size` tasks a page."""
    return build_linkup_sensor(
        [OURS],
        outputs,
        time_budget_seconds=10,
        page_size=page_size,
        overlap_seconds=OVERLAP_SECONDS,
    )


@pytest.fixture
def sensor(outputs: dg.AssetsDefinition) -> dg.SensorDefinition:
    return windowed(outputs)


def test_a_task_listed_late_inside_the_window_is_requested_once(
    listing: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    listing.complete("task_new", at(100))
    first = tick(sensor, instance, resource, None)
    listing.complete("task_late", at(70))
    second = tick(sensor, instance, resource, first.cursor)
    assert requested(second) == ["task_late"]
    third = tick(sensor, instance, resource, second.cursor)
    assert requested(third) == []
    assert requested(tick(sensor, instance, resource, third.cursor)) == []


def test_a_task_listed_later_than_the_window_is_not_requested(
    listing: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    """The window's limit: a task shown after the newest handled one has moved more than
    `overlap_seconds` past its `updatedAt` is taken as handled."""
    listing.complete("task_new", at(100))
    first = tick(sensor, instance, resource, None)
    listing.complete("task_too_late", at(100 - 2 * OVERLAP_SECONDS))
    assert requested(tick(sensor, instance, resource, first.cursor)) == []


def test_a_status_change_listed_late_is_a_new_version_of_the_task(
    listing: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    listing.process("task_slow", at(40))
    listing.complete("task_new", at(100))
    first = tick(sensor, instance, resource, None)
    assert requested(first) == ["task_new"]
    listing.complete("task_slow", at(70))
    second = tick(sensor, instance, resource, first.cursor)
    assert requested(second) == ["task_slow"]
    assert requested(tick(sensor, instance, resource, second.cursor)) == []


def test_task_versions_older_than_the_window_leave_the_cursor(
    listing: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    cursors: list[str] = []
    cursor = None
    for number in range(10):
        listing.complete(f"task_{number}", at(number * 2 * OVERLAP_SECONDS))
        cursor = tick(sensor, instance, resource, cursor).cursor
        assert cursor is not None
        cursors.append(cursor)
    assert "task_0" not in cursors[-1]
    assert {len(text) for text in cursors[1:]} == {len(cursors[1])}


def test_a_tick_with_nothing_new_reads_one_page_when_the_window_fits_on_it(
    listing: Listing,
    outputs: dg.AssetsDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    sensor = windowed(outputs, page_size=3)
    # The window holds the newest two; page 1 ends on a task below it.
    for number in range(6):
        listing.complete(f"task_{number}", at(number * OVERLAP_SECONDS * 2 / 3))
    first = tick(sensor, instance, resource, None)
    listing.pages.clear()
    assert requested(tick(sensor, instance, resource, first.cursor)) == []
    assert listing.pages == [1]


def version_1_cursor(**fields: object) -> str:
    """A cursor as the sensor saved it before it had a window."""
    return json.dumps(
        {"version": 1, "watermark": None, "seen": [], "resume_page": None, "scan": [], **fields}
    )


def test_a_cursor_saved_before_the_window_requests_nothing_twice_and_goes_on(
    listing: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    listing.complete("task_below", at(70))
    listing.complete("task_at", at(100))
    old = version_1_cursor(watermark=at(100), seen=["task_at"])
    upgraded = tick(sensor, instance, resource, old)
    assert requested(upgraded) == []
    listing.complete("task_new", at(110))
    assert requested(tick(sensor, instance, resource, upgraded.cursor)) == ["task_new"]


def test_a_scan_paused_under_a_cursor_saved_before_the_window_resumes_where_it_stopped(
    listing: Listing,
    outputs: dg.AssetsDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    sensor = windowed(outputs, page_size=2)
    listing.complete("task_handled", at(0))
    for number in range(1, 4):
        listing.complete(f"task_{number}", at(100 + number))
    old = version_1_cursor(
        watermark=at(0),
        seen=["task_handled"],
        resume_page=2,
        scan=[f"task_3@{at(103)}", f"task_2@{at(102)}"],
    )
    resumed = tick(sensor, instance, resource, old)
    assert requested(resumed) == ["task_1"]
    assert requested(tick(sensor, instance, resource, resumed.cursor)) == []
