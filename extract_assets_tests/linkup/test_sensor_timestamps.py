"""The Linkup sensor over `updatedAt` written the other ways the contract's readers allow: with
an offset, without one, to the second, to the nanosecond, and ahead of our clock. A task is
requested once, however the listing spells its instant from one tick to the next."""

import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest

from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset
from extract_assets_tests.linkup.listing import Listing
from extract_assets_tests.linkup.test_sensors import OURS, requested, tick

INSTANT = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0)
SPELLINGS = {
    "Z, milliseconds": INSTANT.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    "Z, seconds": INSTANT.strftime("%Y-%m-%dT%H:%M:%SZ"),
    "offset": INSTANT.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat(),
    "offset without colon": INSTANT.astimezone(timezone(timedelta(hours=-8))).strftime(
        "%Y-%m-%dT%H:%M:%S%z"
    ),
    "naive": INSTANT.strftime("%Y-%m-%d %H:%M:%S"),
    "nanoseconds": INSTANT.strftime("%Y-%m-%dT%H:%M:%S.000000000Z"),
}


@pytest.fixture
def sensor(tmp_path: Path) -> dg.SensorDefinition:
    outputs = build_linkup_task_outputs_asset(output_dir=str(tmp_path))
    return build_linkup_sensor([OURS], outputs, time_budget_seconds=10)


@pytest.mark.parametrize("first", list(SPELLINGS))
def test_a_task_spelled_otherwise_on_the_next_tick_is_not_requested_again(
    listing: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
    first: str,
) -> None:
    listing.complete("task_a", SPELLINGS[first])
    cursor = tick(sensor, instance, resource, None).cursor
    for spelling in SPELLINGS.values():
        listing.complete("task_a", spelling)
        result = tick(sensor, instance, resource, cursor)
        assert requested(result) == []
        cursor = result.cursor


def test_a_task_updated_ahead_of_our_clock_leaves_later_tasks_to_be_requested(
    listing: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    """As a local time two hours east of UTC sent without its offset is read."""
    now = datetime.now(UTC)
    listing.complete("task_ahead", (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S"))
    first = tick(sensor, instance, resource, None)
    assert requested(first) == ["task_ahead"]
    listing.complete("task_now", now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    second = tick(sensor, instance, resource, first.cursor)
    assert requested(second) == ["task_now"]
    assert requested(tick(sensor, instance, resource, second.cursor)) == []


def test_a_task_finishing_during_a_scan_begun_below_one_ahead_of_our_clock_is_requested(
    listing: Listing,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
    tmp_path: Path,
) -> None:
    """The window of the scan's end lies below where it began, not below the clock when it
    ended: a task that finished while a backlog was read, longer ago than the window by then."""
    now = datetime.now(UTC)
    listing.complete("task_ahead", (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S"))
    for number in range(4):
        listing.complete(f"old_{number}", (now - timedelta(hours=1, minutes=number)).isoformat())
    outputs = build_linkup_task_outputs_asset(output_dir=str(tmp_path))
    sensor = build_linkup_sensor(
        [OURS], outputs, page_size=2, max_tasks_per_tick=2, overlap_seconds=0.5
    )
    first = tick(sensor, instance, resource, None)
    listing.complete("task_during", datetime.now(UTC).isoformat())
    time.sleep(1)  # the window's half second has passed since
    cursor, handled = first.cursor, requested(first)
    for _ in range(4):
        result = tick(sensor, instance, resource, cursor)
        handled += requested(result)
        cursor = result.cursor
    old = [f"old_{number}" for number in range(4)]
    assert sorted(handled) == sorted(["task_ahead", "task_during", *old])
