"""The Linkup sensor gets further on every tick: a tick reads at least one page whatever its
time budget, and a scan that takes many ticks keeps a cursor of a bounded size."""

from pathlib import Path

import dagster as dg
import pytest

from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset
from extract_assets_tests.linkup.listing import Listing, at
from extract_assets_tests.linkup.test_sensor_ties import requested
from extract_assets_tests.linkup.test_sensors import OURS, tick


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
