from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster._core.definitions.sensor_definition import SensorExecutionData

from extract_assets.emulator import EmulatorServer
from extract_assets.linkup.assets import build_linkup_assets
from extract_assets.linkup.client import LinkupClient
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import (
    TASKS_PARTITIONS,
    build_linkup_sensor,
    build_linkup_task_outputs_asset,
)
from extract_assets.linkup.spec import LinkupExtractSpec

OURS = LinkupExtractSpec(name="ours", q="our own extract", url="https://example.com/ours")
OUTPUTS_FOR_SELECTION = build_linkup_task_outputs_asset()


def tick(
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
    cursor: str | None,
    *,
    from_ref: bool = True,
) -> SensorExecutionData:
    """One tick, evaluated the way the sensor daemon evaluates it: on the instance rebuilt from
    its ref, as a code server does; `from_ref=False` hands the tick the instance itself (with
    its ref, from which Dagster loads dynamic partitions), for tests of hundreds of ticks, as
    rebuilding a SQLite instance costs 0.07 s a tick."""
    defs = dg.Definitions(
        assets=[OUTPUTS_FOR_SELECTION], sensors=[sensor], resources={"linkup": resource}
    )
    with dg.build_sensor_context(
        instance=None if from_ref else instance,
        instance_ref=instance.get_ref(),
        cursor=cursor,
        definitions=defs,
        resources={"linkup": resource},
    ) as context:
        return sensor.evaluate_tick(context)


def requested(result: Any) -> list[str]:
    """The task ids a tick's run requests name, in order."""
    return [str(request.partition_key) for request in result.run_requests or []]


def requested_over_ticks(
    count: int, sensor: dg.SensorDefinition, instance: dg.DagsterInstance, resource: LinkupResource
) -> list[str]:
    """The task ids `count` ticks in a row request, each tick given the cursor of the one
    before, as the daemon ticks."""
    cursor, handled = None, []
    for _ in range(count):
        result = tick(sensor, instance, resource, cursor)
        handled += requested(result)
        cursor = result.cursor
    return handled


def outside_task(client: LinkupClient, q: str) -> str:
    """A task created with the plain client, as a script outside Dagster would."""
    return client.wait(client.create(q, "https://example.com/outside").id).id


@pytest.fixture
def outputs(tmp_path: Path) -> dg.AssetsDefinition:
    return build_linkup_task_outputs_asset(output_dir=str(tmp_path))


@pytest.fixture
def sensor(outputs: dg.AssetsDefinition) -> dg.SensorDefinition:
    return build_linkup_sensor([OURS], outputs, time_budget_seconds=10)


def test_a_completed_outside_task_is_requested_once(
    client: LinkupClient,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    fast_resource: LinkupResource,
) -> None:
    task_id = outside_task(client, "outside rows")
    first = tick(sensor, instance, fast_resource, None)
    assert [r.partition_key for r in first.run_requests or []] == [task_id]
    assert first.dynamic_partitions_requests
    cursor = first.cursor
    for _ in range(5):
        later = tick(sensor, instance, fast_resource, cursor)
        assert not later.run_requests
        cursor = later.cursor


def test_a_task_finishing_after_a_tick_is_requested_on_a_later_tick(
    emulator: EmulatorServer,
    client: LinkupClient,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    fast_resource: LinkupResource,
) -> None:
    emulator.control.add_linkup_scenario(match="slow outside", processing_seconds=600)
    task = client.create("slow outside rows", "https://example.com/slow")
    first = tick(sensor, instance, fast_resource, None)
    assert not first.run_requests
    emulator.control.advance_clock(900)
    second = tick(sensor, instance, fast_resource, first.cursor)
    assert [r.partition_key for r in second.run_requests or []] == [task.id]


def test_tasks_created_by_our_assets_are_left_to_them(
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    fast_resource: LinkupResource,
    tmp_path: Path,
) -> None:
    result = dg.materialize(
        build_linkup_assets([OURS], output_dir=str(tmp_path)),
        resources={"linkup": fast_resource},
        instance=instance,
    )
    assert result.success
    assert not tick(sensor, instance, fast_resource, None).run_requests


def test_a_failed_outside_task_is_logged_not_materialized(
    emulator: EmulatorServer,
    client: LinkupClient,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    fast_resource: LinkupResource,
    capfd: pytest.CaptureFixture[str],
) -> None:
    emulator.control.add_linkup_scenario(match="doomed", fail="Page requires a login")
    task = client.create("doomed rows", "https://example.com/private")
    emulator.control.advance_clock(60)
    result = tick(sensor, instance, fast_resource, None)
    assert not result.run_requests
    assert f"Linkup task {task.id} failed: Page requires a login" in capfd.readouterr().err


def test_a_scan_out_of_time_resumes_and_handles_every_task_once(
    emulator: EmulatorServer,
    client: LinkupClient,
    outputs: dg.AssetsDefinition,
    instance: dg.DagsterInstance,
    fast_resource: LinkupResource,
) -> None:
    emulator.control.linkup_settings(max_in_flight=1000)
    created = {client.create(f"batch item {i}", "https://example.com/b").id for i in range(120)}
    emulator.control.advance_clock(60)
    emulator.control.add_fault(kind="slow", method="GET", path="^/v1/extract$", delay=0.2)
    sensor = build_linkup_sensor([OURS], outputs, time_budget_seconds=1.0, page_size=10)
    requested: list[str] = []
    cursor = None
    ticks = 0
    while ticks < 20:
        ticks += 1
        result = tick(sensor, instance, fast_resource, cursor)
        requested += [str(r.partition_key) for r in result.run_requests or []]
        cursor = result.cursor
        if set(requested) >= created:
            break
    assert ticks > 1
    assert sorted(requested) == sorted(created)


def test_a_backlog_beyond_the_tick_limit_is_requested_over_several_ticks_each_task_once(
    emulator: EmulatorServer,
    outputs: dg.AssetsDefinition,
    instance: dg.DagsterInstance,
    fast_resource: LinkupResource,
    secret_key: str,
) -> None:
    created = emulator.control.seed_linkup_tasks(25, key=secret_key)
    sensor = build_linkup_sensor([OURS], outputs, page_size=5, max_tasks_per_tick=10)
    per_tick: list[int] = []
    requested: list[str] = []
    cursor = None
    for _ in range(4):
        result = tick(sensor, instance, fast_resource, cursor)
        per_tick.append(len(result.run_requests or []))
        requested += [str(r.partition_key) for r in result.run_requests or []]
        cursor = result.cursor
    assert per_tick == [10, 10, 5, 0]
    assert sorted(requested) == sorted(created)


def test_the_outputs_asset_writes_the_tasks_rows_by_partition(
    client: LinkupClient,
    outputs: dg.AssetsDefinition,
    instance: dg.DagsterInstance,
    fast_resource: LinkupResource,
    tmp_path: Path,
) -> None:
    task_id = outside_task(client, "outside rows")
    instance.add_dynamic_partitions(TASKS_PARTITIONS, [task_id])
    result = dg.materialize(
        [outputs], resources={"linkup": fast_resource}, instance=instance, partition_key=task_id
    )
    expected = tmp_path / "linkup" / "linkup_task_outputs" / f"task_id={task_id}"
    assert (expected / "part-0.parquet").exists()
    metadata = result.asset_materializations_for_node("linkup_task_outputs")[0].metadata
    assert metadata["linkup/task_id"].value == task_id
