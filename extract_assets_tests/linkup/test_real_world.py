"""Linkup as real services answer (the emulator's real-world profile): offsets and naive
timestamps, partial outputs, inputs echoed in part, error bodies of other shapes, result files
sent gzip-compressed whatever the client asks."""

import json
from pathlib import Path

import dagster as dg
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract_assets.core.errors import IncompleteResultError, NotFoundError, ServerError
from extract_assets.core.retry import RetryPolicy
from extract_assets.emulator import EmulatorServer
from extract_assets.linkup.client import LinkupClient, LinkupTaskFailedError
from extract_assets.linkup.models import Task
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset
from extract_assets_tests.readers import read_with_all

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


@pytest.fixture
def gzipped_task(real_world: EmulatorServer, client: LinkupClient) -> Task:
    real_world.control.add_linkup_scenario("compressed", rows=3_000)
    return client.wait(client.create("compressed rows", "https://example.com/rows").id)


def served_rows(task: Task) -> list[dict[str, object]]:
    """The rows of the result file, as httpx's own decoder reads them."""
    assert task.output is not None
    answer = httpx.get(task.output.result_url, headers={"Accept-Encoding": "identity"})
    assert answer.headers["content-encoding"] == "gzip"
    return [json.loads(line) for line in answer.content.splitlines()]


def test_a_result_sent_gzip_compressed_lands_whole_in_every_reader(
    gzipped_task: Task, client: LinkupClient, tmp_path: Path
) -> None:
    served = served_rows(gzipped_task)
    written = client.write_result(gzipped_task, tmp_path / "rows" / "part.parquet")
    assert written.rows == len(served) == 3_000
    names = sorted(str(row["name"]) for row in served)
    readers = ("pyarrow", "duckdb", "polars", "pandas")
    for reader, rows in read_with_all(tmp_path / "rows", None, readers).items():
        assert sorted(str(row["name"]) for row in rows) == names, reader


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# The 3,000 rows are 31 kB gzip-compressed: the first break always falls inside the body.
@given(breaks=st.lists(st.integers(min_value=1, max_value=30_000), min_size=1, max_size=3))
def test_a_compressed_download_broken_anywhere_resumes_by_its_compressed_bytes(
    real_world: EmulatorServer, gzipped_task: Task, client: LinkupClient, breaks: list[int]
) -> None:
    expected = b"".join(json.dumps(row).encode() for row in served_rows(gzipped_task))
    real_world.control.clear_faults()
    for after in breaks:
        real_world.control.add_fault(kind="drop", path="^/files/", after_bytes=after, times=1)
    got = b"".join(client.iter_result(gzipped_task))
    assert b"".join(json.dumps(json.loads(line)).encode() for line in got.splitlines()) == expected
    downloads = [r for r in real_world.control.requests("linkup") if "/files/" in r["path"]]
    assert len(downloads) >= 2


def test_a_compressed_result_missing_its_last_lines_fails_and_leaves_no_file(
    real_world: EmulatorServer, gzipped_task: Task, client: LinkupClient, tmp_path: Path
) -> None:
    real_world.control.add_fault(kind="truncate", keep_fraction=0.5)
    with pytest.raises(IncompleteResultError, match="1,500 rows arrived but 3,000"):
        client.write_result(gzipped_task, tmp_path / "rows.parquet")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_task_whose_error_is_an_object_raises_with_its_message(
    real_world: EmulatorServer, client: LinkupClient, linkup_url: str
) -> None:
    real_world.control.add_linkup_scenario(match="broken page", fail="Seed URL returned HTTP 500")
    sent = set()
    for n in range(6):
        task = client.create(f"broken page {n}", "https://example.com/x")
        with pytest.raises(LinkupTaskFailedError, match="Seed URL returned HTTP 500"):
            client.wait(task.id)
        answer = httpx.get(
            f"{linkup_url}/v1/extract/{task.id}",
            headers={"Authorization": f"Bearer {SECRET_KEY}"},
        )
        sent.add(type(answer.json()["error"]))
    assert sent == {dict, str}
