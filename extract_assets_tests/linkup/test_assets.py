import json
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pyarrow.parquet as pq
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from extract_assets.emulator import EmulatorServer
from extract_assets.linkup.assets import (
    ROW_COUNT_MATCHES_LINKUP,
    ROWS_MATCH_SCHEMA,
    build_linkup_assets,
)
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import TASKS_PARTITIONS, build_linkup_task_outputs_asset
from extract_assets.linkup.spec import LinkupExtractSpec
from extract_assets.metadata import SCHEMA_CHANGE
from extract_assets_tests.readers import WITHOUT_SPARK, assert_all_readers_agree
from extract_assets_tests.security.servers import serving

from .conftest import SECRET_KEY

TEAM = LinkupExtractSpec(
    name="team_members",
    q="All engineering team members with their name, role, and profile page",
    url="https://example.com/team",
    schema={
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "role": {"type": "string"},
            "profileUrl": {"type": "string", "format": "uri"},
        },
        "required": ["name", "profileUrl"],
    },
)


def materialize(
    resource: LinkupResource,
    output: Path,
    instance: dg.DagsterInstance,
    spec: LinkupExtractSpec = TEAM,
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        build_linkup_assets([spec], output_dir=str(output)),
        resources={"linkup": resource},
        instance=instance,
        raise_on_error=False,
    )


def event_log_text(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult) -> str:
    return "\n".join(str(entry) for entry in instance.all_logs(result.run_id))


def test_a_spec_materializes_the_rows_linkup_served(
    fast_resource: LinkupResource, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    result = materialize(fast_resource, tmp_path, instance)
    assert result.success
    metadata = result.asset_materializations_for_node("team_members")[0].metadata
    path = Path(str(metadata["path"].value))
    assert path == tmp_path / "linkup" / "team_members" / "part-0.parquet"
    task_id = str(metadata["linkup/task_id"].value)
    with fast_resource.get_client() as client:
        task = client.get(task_id)
    assert task.output is not None
    served = [json.loads(line) for line in httpx.get(task.output.result_url).text.splitlines()]
    table = pq.read_table(path)
    assert table.to_pylist() == [
        {column: row.get(column) for column in table.column_names} for row in served
    ]
    assert metadata["dagster/row_count"].value == len(served)
    assert metadata["linkup/rows_returned"].value == len(served)
    assert "name" in str(metadata["preview"].value)


def test_materialization_reports_the_column_schema(
    fast_resource: LinkupResource, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    result = materialize(fast_resource, tmp_path, instance)
    schema = result.asset_materializations_for_node("team_members")[0].metadata[
        "dagster/column_schema"
    ]
    columns = {column.name: column for column in schema.value.columns}
    assert set(columns) == {"name", "role", "profileUrl"}
    assert columns["name"].type == "string"


def test_every_column_of_the_table_is_nullable_required_ones_too(
    fast_resource: LinkupResource, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    # A required value missing from a later result must not make that file differ from the
    # others: the table's columns are all nullable; the rows_match_schema check still reports it.
    result = materialize(fast_resource, tmp_path, instance)
    schema = result.asset_materializations_for_node("team_members")[0].metadata[
        "dagster/column_schema"
    ]
    assert all(column.constraints.nullable for column in schema.value.columns)


def test_every_asset_check_passes_on_a_good_result(
    fast_resource: LinkupResource, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    result = materialize(fast_resource, tmp_path, instance)
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations == {
        ROW_COUNT_MATCHES_LINKUP: True,
        ROWS_MATCH_SCHEMA: True,
        SCHEMA_CHANGE: True,
    }


def test_rows_discard_row_leaves_out_count_toward_linkups_rows_returned(
    fast_resource: LinkupResource, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    # Ids the agent writes from 2**63 - 1 up: all but the first are beyond the declared int64.
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "id": {"type": "integer", "minimum": 2**63 - 1, "maximum": 2**63 + 2},
        },
        "required": ["name", "id"],
    }
    spec = LinkupExtractSpec(
        name="ids", q=TEAM.q, url=TEAM.url, schema=schema, schema_contract="discard_row"
    )

    result = materialize(fast_resource, tmp_path, instance, spec)

    assert result.success
    [check] = [
        e for e in result.get_asset_check_evaluations() if e.check_name == ROW_COUNT_MATCHES_LINKUP
    ]
    counts = {key: value.value for key, value in check.metadata.items()}
    assert check.passed and counts["rows_discarded"] > 0
    assert counts["rows_in_file"] + counts["rows_discarded"] == counts["rows_returned"]


def test_a_failed_task_fails_the_run_with_linkups_error(
    emulator: EmulatorServer,
    fast_resource: LinkupResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    emulator.control.add_linkup_scenario(match="engineering", fail="The seed URL is unreachable")
    result = materialize(fast_resource, tmp_path, instance)
    assert not result.success
    assert "The seed URL is unreachable" in event_log_text(instance, result)
    assert not (tmp_path / "linkup").exists()


def test_server_errors_and_throttling_do_not_fail_the_run(
    emulator: EmulatorServer,
    fast_resource: LinkupResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    emulator.control.add_fault(kind="status", status=429, path="^/v1/extract/", times=3)
    emulator.control.add_fault(kind="status", status=503, probability=0.1)
    assert materialize(fast_resource, tmp_path, instance).success


@pytest.mark.parametrize(
    ("key_settings", "message"),
    [
        ({"credits": 0}, "out of credits"),
        ({"budget_limit": 0}, "budget"),
        ({"extract_enabled": False}, "closed beta"),
    ],
)
def test_money_and_access_errors_fail_fast_and_never_show_the_key(
    emulator: EmulatorServer,
    fast_resource: LinkupResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
    capfd: pytest.CaptureFixture[str],
    key_settings: dict[str, object],
    message: str,
) -> None:
    emulator.control.add_linkup_key(key=SECRET_KEY, **key_settings)
    result = materialize(fast_resource, tmp_path, instance)
    assert not result.success
    log = event_log_text(instance, result)
    assert message in log
    printed = capfd.readouterr()
    assert SECRET_KEY not in log + printed.out + printed.err
    posts = [r for r in emulator.control.requests("linkup") if r["method"] == "POST"]
    assert len(posts) == 1


def test_a_wrong_key_fails_with_what_to_do_and_is_never_shown(
    linkup_url: str, tmp_path: Path, instance: dg.DagsterInstance, capfd: pytest.CaptureFixture[str]
) -> None:
    wrong = "lk-WRONG-0000111122223333"
    resource = LinkupResource(api_key=wrong, base_url=linkup_url, requests_per_minute=None)
    result = materialize(resource, tmp_path, instance)
    log = event_log_text(instance, result)
    printed = capfd.readouterr()
    assert not result.success
    assert "LINKUP_API_KEY" in log
    assert wrong not in log + printed.out + printed.err


def test_a_truncated_download_fails_the_run_and_writes_nothing(
    emulator: EmulatorServer,
    fast_resource: LinkupResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    emulator.control.add_fault(kind="truncate", keep_fraction=0.5)
    result = materialize(fast_resource, tmp_path, instance)
    assert not result.success
    assert "truncated" in event_log_text(instance, result)
    folder = tmp_path / "linkup" / "team_members"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_table_that_cannot_be_read_fails_the_run_before_linkup_is_paid(
    emulator: EmulatorServer,
    fast_resource: LinkupResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    (tmp_path / "linkup" / "team_members.schema.json").mkdir(parents=True)

    result = materialize(fast_resource, tmp_path, instance)

    assert not result.success
    assert "team_members.schema.json" in event_log_text(instance, result)
    assert emulator.control.linkup_tasks() == []


def test_materializing_again_creates_a_new_task(
    emulator: EmulatorServer,
    fast_resource: LinkupResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    assert materialize(fast_resource, tmp_path, instance).success
    assert materialize(fast_resource, tmp_path, instance).success
    assert len(emulator.control.linkup_tasks()) == 2


def test_the_assets_use_the_linkup_pool() -> None:
    (asset,) = build_linkup_assets([TEAM])
    assert asset.op.pool == "linkup"


def test_a_result_of_no_rows_without_a_schema_materializes_an_empty_table(
    emulator: EmulatorServer,
    fast_resource: LinkupResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    emulator.control.add_linkup_scenario(match="nobody", rows=0)
    spec = LinkupExtractSpec(name="nobody", q="nobody at all", url="https://example.com/team")
    result = materialize(fast_resource, tmp_path, instance, spec)
    assert result.success
    checks = {check.check_name: check.passed for check in result.get_asset_check_evaluations()}
    assert checks["row_count_matches_linkup"]
    assert not list((tmp_path / "linkup" / "nobody").glob("*.parquet"))


class TaskHost:
    """Linkup's GET /v1/extract/{id} for completed tasks, and their result files."""

    def __init__(self) -> None:
        self.tasks: dict[str, tuple[dict[str, Any] | None, list[dict[str, Any]]]] = {}

    async def task(self, request: Request) -> Response:
        task_id = request.path_params["task_id"]
        schema, rows = self.tasks[task_id]
        result = f"{request.base_url}files/{task_id}"
        return JSONResponse(
            {
                "id": task_id,
                "type": "extract",
                "status": "completed",
                "createdAt": "2026-11-01T00:00:00Z",
                "updatedAt": "2026-11-01T00:00:00Z",
                "input": {"q": "rows", "url": "https://example.com/", "schema": schema},
                "output": {"creditsUsed": 1, "resultUrl": result, "rowsReturned": len(rows)},
            }
        )

    async def file(self, request: Request) -> Response:
        _, rows = self.tasks[request.path_params["task_id"]]
        return Response("".join(json.dumps(row) + "\n" for row in rows))


def test_task_outputs_keep_a_property_an_earlier_tasks_schema_declared_inside_an_object(
    tmp_path: Path,
) -> None:
    host = TaskHost()
    person = {"type": "object", "properties": {"age": {"type": "integer"}}}
    host.tasks["t1"] = ({"properties": {"person": person}}, [{"person": {"age": 36}}])
    host.tasks["t2"] = (None, [{"person": {"age": 1.5, "name": "Ada"}}])
    outputs = build_linkup_task_outputs_asset(output_dir=str(tmp_path))
    routes = [Route("/v1/extract/{task_id}", host.task), Route("/files/{task_id}", host.file)]
    with serving(Starlette(routes=routes)) as url, dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(TASKS_PARTITIONS, list(host.tasks))
        for task_id in host.tasks:
            result = dg.materialize(
                [outputs],
                resources={"linkup": LinkupResource(api_key="k", base_url=url)},
                instance=instance,
                partition_key=task_id,
            )
            assert result.success

    rows = assert_all_readers_agree(
        tmp_path / "linkup" / "linkup_task_outputs", "task_id", WITHOUT_SPARK
    )
    later = next(row for row in rows if row["task_id"] == "t2")
    assert later["person"] is None
    assert json.loads(later["person__v_json"]) == {"age": 1.5, "name": "Ada"}


def test_an_output_path_that_is_a_file_fails_the_run_before_linkup_is_paid(
    emulator: EmulatorServer,
    fast_resource: LinkupResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    (tmp_path / "linkup").write_text("not a folder")

    result = materialize(fast_resource, tmp_path, instance)

    assert not result.success
    assert "part of the output path is a file" in event_log_text(instance, result)
    assert emulator.control.linkup_tasks() == []
