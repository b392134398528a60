"""Linkup as real services answer (the emulator's real-world profile): offsets and naive
timestamps, times to the second shared by several tasks, statuses in other cases, partial
outputs, inputs echoed in part, error bodies of other shapes, result files sent gzip-compressed
whatever the client asks, numbers beyond float64 in result rows."""

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract_assets.core.errors import IncompleteResultError, NotFoundError, ServerError
from extract_assets.core.retry import RetryPolicy
from extract_assets.emulator import EmulatorServer
from extract_assets.emulator.linkup.realworld import whole_second
from extract_assets.linkup.client import LinkupClient, LinkupTaskFailedError
from extract_assets.linkup.models import Task
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset
from extract_assets.linkup.spec import LinkupExtractSpec
from extract_assets_tests.readers import describe_difference, read_with_all

from .conftest import SECRET_KEY
from .test_assets import materialize
from .test_sensors import OURS, outside_task, requested, tick

SEED = 11
READERS = ("pyarrow", "duckdb", "polars", "pandas")


@pytest.fixture
def real_world(emulator: EmulatorServer) -> EmulatorServer:
    emulator.control.set_profile("real-world", seed=SEED)
    return emulator


class Beyond(str):
    """The text of a JSON number beyond float64 (a double would be infinity)."""


def _float_or_beyond(text: str) -> float | Beyond:
    number = float(text)
    return Beyond(text) if math.isinf(number) else number


def listed(linkup_url: str) -> list[dict[str, Any]]:
    """The first page of tasks, as the API writes them."""
    answer = httpx.get(
        f"{linkup_url}/v1/extract",
        params={"pageSize": 100},
        headers={"Authorization": f"Bearer {SECRET_KEY}"},
    )
    tasks: list[dict[str, Any]] = answer.json()["data"]
    return tasks


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


@pytest.fixture
def stopped(real_world: EmulatorServer) -> EmulatorServer:
    """The profile on, the clock stopped 0.15 s before a second whose times Linkup writes to the
    second (`WHOLE`, 0.15 s on), tasks processing as soon as they are created."""
    control = real_world.control
    control.set_speed(0)
    control.linkup_settings(pending_seconds=0.0)
    now = control.now().timestamp()
    second = math.floor(now) + 2
    while not whole_second(SEED, second):
        second += 1
    control.advance_clock(second - 0.15 - now)
    return real_world


def sensor_of(tmp_path: Path) -> dg.SensorDefinition:
    outputs = build_linkup_task_outputs_asset(output_dir=str(tmp_path))
    return build_linkup_sensor([OURS], outputs, time_budget_seconds=10)


def instant(text: str) -> datetime:
    """A time Linkup wrote as an aware UTC instant; one without an offset is UTC."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def test_a_task_finishing_in_the_second_of_a_handled_one_listed_after_it_is_requested(
    stopped: EmulatorServer,
    client: LinkupClient,
    instance: dg.DagsterInstance,
    fast_resource: LinkupResource,
    linkup_url: str,
    tmp_path: Path,
) -> None:
    control, sensor = stopped.control, sensor_of(tmp_path)
    # Both process from the second before WHOLE and finish in it, 0.4 s and 0.65 s on.
    control.add_linkup_scenario("first", processing_seconds=0.55)
    control.add_linkup_scenario("later", processing_seconds=0.8)
    first_id = client.create("first rows", "https://example.com/outside").id
    later_id = client.create("later rows", "https://example.com/outside").id
    control.advance_clock(0.6)
    first = tick(sensor, instance, fast_resource, None)
    assert requested(first) == [first_id]
    control.advance_clock(0.4)
    listing = listed(linkup_url)
    assert [t["id"] for t in listing] == [first_id, later_id]
    assert len({instant(t["updatedAt"]) for t in listing}) == 1
    second = tick(sensor, instance, fast_resource, first.cursor)
    assert requested(second) == [later_id]
    assert requested(tick(sensor, instance, fast_resource, second.cursor)) == []


def test_a_task_completing_in_the_second_it_began_processing_is_requested(
    stopped: EmulatorServer,
    client: LinkupClient,
    instance: dg.DagsterInstance,
    fast_resource: LinkupResource,
    tmp_path: Path,
) -> None:
    control, sensor = stopped.control, sensor_of(tmp_path)
    control.add_linkup_scenario("quick", processing_seconds=0.6)
    control.advance_clock(0.2)
    task_id = client.create("quick rows", "https://example.com/outside").id
    control.advance_clock(0.3)
    first = tick(sensor, instance, fast_resource, None)
    assert requested(first) == []
    control.advance_clock(0.4)
    assert requested(tick(sensor, instance, fast_resource, first.cursor)) == [task_id]


def test_tasks_reported_in_another_case_are_each_requested_once(
    stopped: EmulatorServer,
    client: LinkupClient,
    instance: dg.DagsterInstance,
    fast_resource: LinkupResource,
    linkup_url: str,
    tmp_path: Path,
) -> None:
    sensor = sensor_of(tmp_path)
    ids = [client.create(f"outside {n}", "https://example.com/outside").id for n in range(6)]
    stopped.control.advance_clock(1.1)
    statuses = {t["status"] for t in listed(linkup_url)}
    assert {s.lower() for s in statuses} == {"completed"} and len(statuses) > 1
    first = tick(sensor, instance, fast_resource, None)
    assert sorted(requested(first)) == sorted(ids)
    assert requested(tick(sensor, instance, fast_resource, first.cursor)) == []


PRICED = LinkupExtractSpec(
    name="priced",
    q="every priced item",
    url="https://example.com/shop",
    schema={
        "type": "object",
        "properties": {"name": {"type": "string"}, "price": {"type": "number"}},
        "required": ["name", "price"],
    },
)


def test_rows_holding_numbers_beyond_float64_land_whole_alike_in_every_reader(
    real_world: EmulatorServer,
    fast_resource: LinkupResource,
    client: LinkupClient,
    instance: dg.DagsterInstance,
    tmp_path: Path,
) -> None:
    real_world.control.add_linkup_scenario("priced", rows=600)
    result = materialize(fast_resource, tmp_path, instance, PRICED)
    assert result.success
    task = client.get(
        str(result.asset_materializations_for_node("priced")[0].metadata["linkup/task_id"].value)
    )
    assert task.output is not None
    served = [
        json.loads(line, parse_float=_float_or_beyond)
        for line in httpx.get(task.output.result_url).content.splitlines()
    ]
    beyond = sorted(row["price"] for row in served if isinstance(row["price"], Beyond))
    assert beyond, "the profile sent no number beyond float64"
    tables = read_with_all(tmp_path / "linkup" / "priced", None, READERS)
    for reader, rows in tables.items():
        assert describe_difference(tables["pyarrow"], rows) is None, reader
    rows = tables["pyarrow"]
    assert len(rows) == len(served) == 600
    texts = sorted(
        str(v)
        for row in rows
        for k, v in row.items()
        if k.startswith("price") and isinstance(v, str)
    )
    assert texts == beyond
    numbers = sorted(row["price"] for row in rows if row["price"] is not None)
    assert numbers == sorted(row["price"] for row in served if not isinstance(row["price"], Beyond))
