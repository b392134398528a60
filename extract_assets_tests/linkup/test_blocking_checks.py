"""`checks: {blocking: true}`: a materialization whose rows fail a check stops the assets
downstream of it in the same run; without it, they run on the rows as before."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from extract_assets.linkup.assets import (
    ROW_COUNT_MATCHES_LINKUP,
    ROWS_MATCH_SCHEMA,
    build_linkup_assets,
)
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.spec import LinkupExtractSpec
from extract_assets.metadata import SCHEMA_CHANGE

# The emulator's names are longer than one character: every row breaks this schema.
STRICT_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string", "maxLength": 1}, "role": {"type": "string"}},
}


def spec(*, blocking: bool) -> LinkupExtractSpec:
    return LinkupExtractSpec(
        name="team_members",
        q="All engineering team members with their name and role",
        url="https://example.com/team",
        schema=STRICT_SCHEMA,
        checks={"blocking": blocking},
    )


@dg.asset(deps=["team_members"])
def team_report() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"ran": True})


def run(
    extract: LinkupExtractSpec, resource: LinkupResource, output: Path, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*build_linkup_assets([extract], output_dir=str(output)), team_report],
        resources={"linkup": resource},
        instance=instance,
        raise_on_error=False,
    )


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {
        event.asset_key.to_user_string()
        for event in result.get_asset_materialization_events()
        if event.asset_key is not None
    }


def test_a_failed_blocking_check_stops_the_downstream_asset_in_the_same_run(
    fast_resource: LinkupResource, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    result = run(spec(blocking=True), fast_resource, tmp_path, instance)
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not evaluations[ROWS_MATCH_SCHEMA].passed
    assert evaluations[ROWS_MATCH_SCHEMA].severity == dg.AssetCheckSeverity.ERROR
    assert "team_report" not in materialized(result)
    assert not result.success


def test_a_failed_check_that_does_not_block_lets_the_downstream_asset_run(
    fast_resource: LinkupResource, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    result = run(spec(blocking=False), fast_resource, tmp_path, instance)
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations[ROWS_MATCH_SCHEMA] is False
    assert materialized(result) == {"team_members", "team_report"}
    assert result.success


def test_blocking_checks_that_pass_let_the_downstream_asset_run(
    fast_resource: LinkupResource, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    good = spec(blocking=True).model_copy(update={"row_schema": None})
    result = run(good, fast_resource, tmp_path, instance)
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations == {ROW_COUNT_MATCHES_LINKUP: True, SCHEMA_CHANGE: True}
    assert materialized(result) == {"team_members", "team_report"}
    assert result.success


def test_a_blocking_schema_change_check_stops_downstream_when_a_column_appears(
    fast_resource: LinkupResource, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    """The table gains a column on the second run: an ERROR that stops the report, where the
    same change on an evolving table is otherwise a WARN."""
    name = {"name": {"type": "string"}}
    first = spec(blocking=True).model_copy(
        update={"row_schema": {"type": "object", "properties": name}}
    )
    assert run(first, fast_resource, tmp_path, instance).success
    wider = first.model_copy(
        update={
            "row_schema": {"type": "object", "properties": {**name, "role": {"type": "string"}}}
        }
    )
    result = run(wider, fast_resource, tmp_path, instance)
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not evaluations[SCHEMA_CHANGE].passed
    assert evaluations[SCHEMA_CHANGE].severity == dg.AssetCheckSeverity.ERROR
    assert "team_report" not in materialized(result)
