"""Linkup as real services answer (the emulator's real-world profile): offsets and naive
timestamps, partial outputs, inputs echoed in part, error bodies of other shapes."""

from pathlib import Path

import dagster as dg
import pytest

from extract_assets.core.errors import NotFoundError, ServerError
from extract_assets.core.retry import RetryPolicy
from extract_assets.emulator import EmulatorServer
from extract_assets.linkup.client import LinkupClient
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset

from .conftest import SECRET_KEY
from .test_assets import materialize
from .test_sensors import OURS, outside_task, tick


@pytest.fixture
def real_world(emulator: EmulatorServer) -> EmulatorServer:
    emulator.control.set_profile("real-world", seed=11)
    return emulator


def test_an_extract_materializes_with_partial_outputs_and_offset_timestamps(
    real_world: EmulatorServer,
    fast_resource: LinkupResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    result = materialize(fast_resource, tmp_path, instance)
    assert result.success
    (task,) = real_world.control.linkup_tasks()
    metadata = result.asset_materializations_for_node("team_members")[0].metadata
    assert metadata["linkup/task_id"].value == task["id"]
    assert metadata["dagster/row_count"].value > 0


def test_a_lost_create_is_found_when_only_q_and_url_are_echoed(
    real_world: EmulatorServer, client: LinkupClient
) -> None:
    real_world.control.add_fault(kind="drop", method="POST", path="^/v1/extract$", times=1)
    task = client.create(
        "Team", "https://example.com/team", schema={"type": "object"}, verify_urls=True
    )
    assert [t["id"] for t in real_world.control.linkup_tasks()] == [task.id]


@pytest.mark.parametrize("body", ["provider", "html", "text", "empty", "truncated_json"])
def test_a_bad_gateway_of_any_body_is_retried(
    real_world: EmulatorServer, client: LinkupClient, body: str
) -> None:
    real_world.control.add_fault("status", status=502, body=body, times=2, method="GET")
    assert client.list().metadata.page == 1


@pytest.mark.parametrize("body", ["provider", "html", "text", "empty", "truncated_json"])
def test_a_lasting_bad_gateway_of_any_body_is_a_typed_error_with_status_and_excerpt(
    real_world: EmulatorServer, linkup_url: str, body: str
) -> None:
    real_world.control.add_fault("status", status=502, body=body, method="GET")
    retry = RetryPolicy(max_attempts=2, backoff_base_seconds=0.01)
    with LinkupClient(api_key=SECRET_KEY, base_url=linkup_url, retry=retry) as client:
        with pytest.raises(ServerError) as raised:
            client.list()
    error = raised.value
    assert error.status == 502 and error.attempts == 2
    assert error.message and len(error.message) <= 200
    assert SECRET_KEY not in str(error)


def test_a_nestjs_not_found_is_a_not_found_error_with_its_message(
    real_world: EmulatorServer, client: LinkupClient
) -> None:
    messages = []
    for task_id in (f"xyz{n}" for n in range(8)):
        with pytest.raises(NotFoundError) as raised:
            client.get(task_id)
        messages.append(raised.value.message)
    assert any("Cannot GET" in m for m in messages), messages


def test_the_tasks_sensor_requests_an_outside_task_once_with_offset_timestamps(
    real_world: EmulatorServer,
    client: LinkupClient,
    instance: dg.DagsterInstance,
    fast_resource: LinkupResource,
    tmp_path: Path,
) -> None:
    sensor = build_linkup_sensor(
        [OURS], build_linkup_task_outputs_asset(output_dir=str(tmp_path)), time_budget_seconds=10
    )
    task_id = outside_task(client, "outside rows")
    first = tick(sensor, instance, fast_resource, None)
    assert [r.partition_key for r in first.run_requests or []] == [task_id]
    later = tick(sensor, instance, fast_resource, first.cursor)
    assert not later.run_requests
