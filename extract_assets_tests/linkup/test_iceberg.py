"""Linkup extracts and task outputs written as Iceberg tables: real materializations against the
emulator, read by every reader and by our IO manager."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pyarrow as pa
import pytest

from extract_assets.core.iceberg_catalog import CATALOG_ENV, CatalogSettings, open_catalog
from extract_assets.linkup.assets import (
    ROW_COUNT_MATCHES_LINKUP,
    ROWS_MATCH_SCHEMA,
)
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import TASKS_PARTITIONS, build_linkup_task_outputs_asset
from extract_assets.metadata import ICEBERG_SNAPSHOT
from extract_assets_tests.iceberg_readers import assert_iceberg_readers_agree

from .test_assets import TEAM, materialize

ICEBERG_TEAM = TEAM.model_copy(update={"table_format": "iceberg"})


@pytest.fixture(autouse=True)
def _default_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CATALOG_ENV, raising=False)


def served(resource: LinkupResource, task_id: str) -> list[dict[str, Any]]:
    with resource.get_client() as client:
        task = client.get(task_id)
    assert task.output is not None
    return [json.loads(line) for line in httpx.get(task.output.result_url).text.splitlines()]


def test_an_extract_lands_as_an_iceberg_table_with_the_rows_linkup_served_and_passing_checks(
    fast_resource: LinkupResource, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    result = materialize(fast_resource, tmp_path, instance, ICEBERG_TEAM)

    assert result.success
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks[ROW_COUNT_MATCHES_LINKUP] and checks[ROWS_MATCH_SCHEMA]
    metadata = result.asset_materializations_for_node("team_members")[0].metadata
    table = open_catalog(CatalogSettings(), tmp_path).load_table("linkup.team_members")
    assert ICEBERG_SNAPSHOT.read(metadata) == table.current_snapshot().snapshot_id
    rows = assert_iceberg_readers_agree(table, None)
    source = served(fast_resource, str(metadata["linkup/task_id"].value))
    names = table.schema().as_arrow().names
    expected = [{k: v for k, v in row.items() if k in names and v is not None} for row in source]
    assert sorted(rows, key=json.dumps) == sorted(expected, key=json.dumps)


def test_materializing_an_extract_again_replaces_the_whole_table(
    fast_resource: LinkupResource, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    first = materialize(fast_resource, tmp_path, instance, ICEBERG_TEAM)
    second = materialize(fast_resource, tmp_path, instance, ICEBERG_TEAM)

    assert first.success and second.success
    table = open_catalog(CatalogSettings(), tmp_path).load_table("linkup.team_members")
    metadata = second.asset_materializations_for_node("team_members")[0].metadata
    task_id = str(metadata["linkup/task_id"].value)
    assert len(table.snapshots()) == 2
    assert table.scan().to_arrow().num_rows == len(served(fast_resource, task_id))


@pytest.fixture
def tasks(fast_resource: LinkupResource, instance: dg.DagsterInstance) -> Iterator[list[str]]:
    with fast_resource.get_client() as client:
        ids = [
            client.wait(client.create(q, "https://example.com/outside").id).id
            for q in ("first rows", "second rows")
        ]
    instance.add_dynamic_partitions(TASKS_PARTITIONS, ids)
    yield ids


def test_task_outputs_land_as_one_iceberg_table_by_task_and_reach_a_downstream_asset(
    fast_resource: LinkupResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
    tasks: list[str],
) -> None:
    outputs = build_linkup_task_outputs_asset(output_dir=str(tmp_path), table_format="iceberg")
    for task_id in tasks:
        dg.materialize(
            [outputs], resources={"linkup": fast_resource}, instance=instance, partition_key=task_id
        )
    received: list[pa.Table] = []

    @dg.asset
    def all_outside_rows(linkup_task_outputs: pa.Table) -> None:
        received.append(linkup_task_outputs)

    dg.materialize(
        [outputs, all_outside_rows],
        selection=["all_outside_rows"],
        resources={"linkup": fast_resource},
        instance=instance,
    )

    table = open_catalog(CatalogSettings(), tmp_path).load_table("linkup.linkup_task_outputs")
    rows = assert_iceberg_readers_agree(table, "task_id")
    for task_id in tasks:
        count = sum(1 for row in rows if row["task_id"] == task_id)
        assert count == len(served(fast_resource, task_id)) > 0
    (downstream,) = received
    assert downstream.num_rows == len(rows)
    assert sorted(set(downstream.column("task_id").to_pylist())) == sorted(tasks)
    assert not list((tmp_path / "linkup" / "linkup_task_outputs").glob("task_id=*"))
