"""A translator: one subclass changes the AssetSpec of every asset of every provider, and the
sensors, schedules and runs of the code location follow the keys it gives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import dagster as dg
import pytest

from extract_assets.build import definitions_from_config
from extract_assets.config import DEMO_CONFIG
from extract_assets.emulator import EmulatorServer
from extract_assets.linkup.assets import build_linkup_assets
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.spec import LinkupExtractSpec
from extract_assets.translator import AssetProps, ExtractAssetsTranslator

T = TypeVar("T")


class Acme(ExtractAssetsTranslator):
    """Every asset under `acme/`, in one group, with one more owner, tag, kind and metadata."""

    def get_asset_spec(self, props: AssetProps) -> dg.AssetSpec:
        spec = super().get_asset_spec(props)
        return spec.replace_attributes(
            key=spec.key.with_prefix("acme"),
            group_name="acme_lake",
            owners=[*spec.owners, "team:acme"],
            automation_condition=dg.AutomationCondition.eager(),
        ).merge_attributes(
            tags={"tenant": "acme"}, kinds={"acme"}, metadata={"provider": props.provider}
        )


@pytest.fixture
def defs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dg.Definitions:
    monkeypatch.chdir(tmp_path)
    return definitions_from_config(DEMO_CONFIG, translator=Acme())


def test_every_asset_of_every_provider_gets_the_translators_key_and_attributes(
    defs: dg.Definitions,
) -> None:
    specs = list(defs.resolve_all_asset_specs())
    assert {spec.metadata["provider"] for spec in specs} == {
        "linkup",
        "extractto",
        "dataextractor",
    }
    for spec in specs:
        assert spec.key.path[0] == "acme", spec.key
        assert spec.group_name == "acme_lake"
        assert "team:acme" in spec.owners
        assert spec.tags["tenant"] == "acme"
        assert "acme" in spec.kinds
        assert spec.automation_condition is not None


def test_the_default_translation_is_still_there_under_the_subclass(defs: dg.Definitions) -> None:
    """What the subclass did not change is the package's: kinds, description, owners."""
    team = defs.resolve_assets_def(dg.AssetKey(["acme", "team_members"])).specs_by_key
    spec = team[dg.AssetKey(["acme", "team_members"])]
    assert {"linkup", "parquet"} <= spec.kinds
    assert spec.description and "team members" in spec.description
    assert "team:data-platform" in spec.owners


def test_the_code_location_loads_with_sensors_and_schedules_on_the_new_keys(
    defs: dg.Definitions,
) -> None:
    dg.Definitions.validate_loadable(defs)
    keys = set(defs.resolve_all_asset_keys())
    for sensor in defs.sensors or []:
        assert sensor.asset_selection is not None
        selected = sensor.asset_selection.resolve(defs.resolve_asset_graph())
        assert selected <= keys, sensor.name
    [schedule] = defs.schedules or []
    job = defs.resolve_job_def(schedule.job_name)
    assert job.asset_layer.selected_asset_keys == {dg.AssetKey(["acme", "google_ads_campaigns"])}


def test_checks_follow_the_translated_key(defs: dg.Definitions) -> None:
    checks = {key.asset_key for key in defs.resolve_asset_graph().asset_check_keys}
    assert checks
    assert all(key.path[0] == "acme" for key in checks)


def test_a_renamed_asset_materializes_and_the_sensor_run_config_names_its_op(
    defs: dg.Definitions,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The Extract.to sensor configures re-reads by op name: the op of a translated asset is
    named after its key, and a run with that config materializes it."""
    monkeypatch.setenv("EXTRACTTO_BASE_URL", emulator.base_url("extractto"))
    monkeypatch.setenv("EXTRACTTO_API_KEY", "demo-extractto-key")
    monkeypatch.setenv("EXTRACT_ASSETS_OUTPUT", str(tmp_path / "data"))
    key = dg.AssetKey(["acme", "google_ads_campaigns"])
    job = defs.resolve_implicit_job_def_def_for_assets([key])
    assert job is not None
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance,
            asset_selection=[key],
            partition_key="2026-10-02",
            run_config={"ops": {key.to_python_identifier(): {"config": {"sync": True}}}},
        )
        assert result.success
        assert instance.get_materialized_partitions(key) == {"2026-10-02"}
    assert (tmp_path / "data" / "extractto" / "google_ads_campaigns" / "date=2026-10-02").is_dir()


class Audited(ExtractAssetsTranslator):
    """Wraps every materialization: notes the asset before and after, or refuses it."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.calls: list[str] = []

    def execute(self, context: dg.AssetExecutionContext, materialize: Callable[[], T]) -> T:
        name = context.op.name
        if self.refuse:
            raise RuntimeError(f"{name} is frozen this week")
        self.calls.append(f"before {name}")
        result = materialize()
        self.calls.append(f"after {name}")
        return result


def linkup_defs(
    translator: ExtractAssetsTranslator, emulator: EmulatorServer, output: Path
) -> dg.Definitions:
    spec = LinkupExtractSpec(name="team_members", q="Team members", url="https://example.com/team")
    return dg.Definitions(
        assets=build_linkup_assets([spec], output_dir=str(output), translator=translator),
        resources={
            "linkup": LinkupResource(
                api_key="demo-linkup-key",
                base_url=emulator.base_url("linkup"),
                poll_initial_seconds=0.1,
                poll_max_seconds=0.3,
            )
        },
    )


def test_execute_wraps_every_materialization_and_returns_what_it_returned(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    audited = Audited()
    defs = linkup_defs(audited, emulator, tmp_path)
    with dg.instance_for_test() as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance)
    assert result.success
    assert audited.calls == ["before team_members", "after team_members"]
    [materialization] = result.asset_materializations_for_node("team_members")
    assert materialization.metadata["dagster/row_count"].value > 0


def test_an_execute_that_refuses_fails_the_run_before_any_request(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    defs = linkup_defs(Audited(refuse=True), emulator, tmp_path)
    with dg.instance_for_test() as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, raise_on_error=False
        )
    assert not result.success
    assert "team_members is frozen this week" in str(result.failure_data_for_node("team_members"))
    assert emulator.control.requests("linkup") == []
    assert not (tmp_path / "linkup").exists()


def test_one_function_may_stand_in_for_a_subclass(tmp_path: Path) -> None:
    """It gets the default AssetSpec and the props, and returns the asset's AssetSpec."""

    def into_lake(spec: dg.AssetSpec, props: AssetProps) -> dg.AssetSpec:
        return spec.replace_attributes(
            key=spec.key.with_prefix("lake"), group_name=f"lake_{props.provider}"
        )

    defs = definitions_from_config(DEMO_CONFIG, translator=into_lake)
    specs = list(defs.resolve_all_asset_specs())
    assert all(spec.key.path[0] == "lake" for spec in specs)
    assert {spec.group_name for spec in specs} == {
        "lake_linkup",
        "lake_extractto",
        "lake_dataextractor",
    }
    dg.Definitions.validate_loadable(defs)
