"""The Linkup sensor gets further on every tick: a tick reads at least one page whatever its
time budget, and a scan that takes many ticks keeps a cursor of a bounded size."""

import json
from pathlib import Path

import dagster as dg
import pytest

from extract_assets.emulator import EmulatorServer
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset
from extract_assets_tests.linkup.listing import Listing, at
from extract_assets_tests.linkup.test_sensors import OURS, requested, tick


@pytest.fixture
def outputs(tmp_path: Path) -> dg.AssetsDefinition:
    return build_linkup_task_outputs_asset(output_dir=str(tmp_path))


def test_a_tick_whose_time_budget_is_spent_before_it_starts_still_reads_a_page(
    listing: Listing,
    outputs: dg.AssetsDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    for number in range(4):
        listing.complete(f"task_{number}", at(number))
    sensor = build_linkup_sensor([OURS], outputs, time_budget_seconds=0, page_size=2)
    first = tick(sensor, instance, resource, None)
    assert requested(first) == ["task_3", "task_2"]
    assert requested(tick(sensor, instance, resource, first.cursor)) == ["task_1", "task_0"]


def backlog_sensor(outputs: dg.AssetsDefinition) -> dg.SensorDefinition:
    """Two tasks a tick, so that a scan of a backlog takes a tick for every two tasks."""
    return build_linkup_sensor(
        [OURS], outputs, page_size=2, max_tasks_per_tick=2, overlap_seconds=OVERLAP_SECONDS
    )


OVERLAP_SECONDS = 30


def test_a_scan_over_many_ticks_keeps_only_the_versions_its_window_needs(
    listing: Listing,
    outputs: dg.AssetsDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    """Tasks two windows apart: the newest is kept for the window, the oldest read so far marks
    how far the scan has listed; the versions between are neither kept nor requested again."""
    ids = [f"task_{number}" for number in range(40)]
    for number, task_id in enumerate(ids):
        listing.complete(task_id, at(number * 2 * OVERLAP_SECONDS))
    sensor = backlog_sensor(outputs)
    cursor, handled, kept = None, [], []
    for _ in range(21):
        result = tick(sensor, instance, resource, cursor)
        handled += requested(result)
        cursor = result.cursor
        assert cursor is not None
        kept.append(len(json.loads(cursor)["scan"]))
    assert sorted(handled) == sorted(ids)
    assert max(kept) == 2


def test_a_scan_over_many_ticks_of_a_listing_growing_a_page_a_tick_requests_each_task_once(
    listing: Listing,
    outputs: dg.AssetsDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    """Each tick the tasks already read move a page down, so the page the scan resumes at
    shows again the tasks of the page before."""
    ids = [f"task_{number}" for number in range(20)]
    for number, task_id in enumerate(ids):
        listing.complete(task_id, at(number * 2 * OVERLAP_SECONDS))
    sensor = backlog_sensor(outputs)
    cursor, handled = None, []
    for number in range(30):
        result = tick(sensor, instance, resource, cursor)
        handled += requested(result)
        cursor = result.cursor
        if number < 10:
            for new in range(2):
                ids.append(f"new_{number}_{new}")
                listing.complete(ids[-1], at(2400 + number * 2 * OVERLAP_SECONDS + new))
    assert sorted(handled) == sorted(ids)


def test_a_scan_paused_under_a_version_2_cursor_resumes_where_it_stopped(
    listing: Listing,
    outputs: dg.AssetsDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    """A version-2 cursor kept every version its scan handled, and not where the scan began."""
    for number in range(1, 5):
        listing.complete(f"task_{number}", at(100 + number))
    old = {
        "version": 2,
        "watermark": None,
        "floor": at(0),
        "recent": [],
        "resume_page": 2,
        "scan": [f"task_4@{at(104)}", f"task_3@{at(103)}"],
    }
    sensor = build_linkup_sensor([OURS], outputs, page_size=2)
    resumed = tick(sensor, instance, resource, json.dumps(old))
    assert requested(resumed) == ["task_2", "task_1"]
    assert requested(tick(sensor, instance, resource, resumed.cursor)) == []


@pytest.mark.parametrize("seed", [0, 3])
def test_a_backlog_served_as_real_services_answer_is_requested_once_over_ticks(
    emulator: EmulatorServer,
    outputs: dg.AssetsDefinition,
    instance: dg.DagsterInstance,
    fast_resource: LinkupResource,
    secret_key: str,
    seed: int,
) -> None:
    """Times with offsets or none, to the second and shared, statuses in other cases."""
    emulator.control.set_profile("real-world", seed=seed)
    created = emulator.control.seed_linkup_tasks(23, key=secret_key, spacing_seconds=0.4)
    sensor = build_linkup_sensor([OURS], outputs, page_size=5, max_tasks_per_tick=4)
    handled: list[str] = []
    cursor = None
    for _ in range(8):
        result = tick(sensor, instance, fast_resource, cursor)
        handled += requested(result)
        cursor = result.cursor
    assert sorted(handled) == sorted(created)
