"""The components loaded in-process from `defs.yaml`, as `dg` loads them."""

import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import dagster as dg
import pytest
import yaml
from dagster.components.core.component_tree import ComponentTreeException
from dagster.components.testing import DefsFolderSandbox, create_defs_folder_sandbox

from extract_assets import (
    DataExtractorComponent,
    ExtractToComponent,
    LinkupComponent,
    definitions_from_config,
)
from extract_assets.emulator import EmulatorServer
from extract_assets.translator import AssetProps

T = TypeVar("T")

LINKUP = {
    "api": {"key_env": "SHOP_LINKUP_KEY", "base_url": "http://127.0.0.1:9/linkup"},
    "sensor": {"running": True, "minimum_interval_seconds": 15},
    "extracts": [
        {
            "name": "team",
            "q": "Team members",
            "url": "https://example.com/team",
            "schema": {"type": "object", "properties": {"name": {"type": "string"}}},
            "owners": ["team:people"],
            "tags": {"domain": "people"},
            "description": "The team page, one row a person.",
        }
    ],
}
EXTRACTTO = {
    "extracts": [
        {
            "name": "ads",
            "extract_id": "e-1",
            "start_date": "2026-11-01",
            "grain": "weekly",
            "schedule_hour": 6,
        }
    ],
    "connections": [{"name": "crm_sync", "connection_id": "c-1", "group": "crm"}],
}


@pytest.fixture
def sandbox() -> Iterator[DefsFolderSandbox]:
    with create_defs_folder_sandbox() as folder:
        yield folder


def declare(
    sandbox: DefsFolderSandbox, component: type[dg.Component], path: str, attributes: Any
) -> Path:
    """A `defs.yaml` for `component` at `path`, as a user writes it."""
    folder = sandbox.defs_folder_path / path
    folder.mkdir(parents=True)
    document = {"type": f"extract_assets.{component.__name__}", "attributes": attributes}
    (folder / "defs.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return folder


def load_error(sandbox: DefsFolderSandbox, path: Path) -> str:
    """Everything loading the component at `path` reports, the causes included, as dg prints it."""
    with pytest.raises(ComponentTreeException) as failure:
        with sandbox.load_component_and_build_defs(defs_path=path):
            pass
    return "\n".join(traceback.format_exception(failure.value))


def spec_summary(defs: dg.Definitions) -> dict[str, Any]:
    """What a user sees of each asset, without the code references the component tree adds."""
    return {
        spec.key.to_user_string(): (
            spec.group_name,
            spec.description,
            sorted(spec.owners),
            spec.tags,
            spec.partitions_def,
            sorted(dep.asset_key.to_user_string() for dep in spec.deps),
        )
        for spec in defs.resolve_all_asset_specs()
    }


def test_a_component_declares_the_same_assets_as_the_config_file_section(
    sandbox: DefsFolderSandbox, tmp_path: Path
) -> None:
    config = tmp_path / "extract-assets.yaml"
    config.write_text(yaml.safe_dump({"linkup": LINKUP, "extractto": EXTRACTTO}))
    declare(sandbox, LinkupComponent, "web", LINKUP)
    declare(sandbox, ExtractToComponent, "ads", EXTRACTTO)
    from_config = definitions_from_config(config)
    with sandbox.build_all_defs() as from_components:
        assert spec_summary(from_components) == spec_summary(from_config)
        assert {s.name for s in from_components.sensors or []} == {
            s.name for s in from_config.sensors or []
        }
        schedule = from_components.resolve_schedule_def("ads_schedule")
        assert (
            schedule.cron_schedule == from_config.resolve_schedule_def("ads_schedule").cron_schedule
        )


def test_a_component_is_the_config_files_section_model(sandbox: DefsFolderSandbox) -> None:
    from extract_assets.linkup.section import LinkupSection

    path = declare(sandbox, LinkupComponent, "web", LINKUP)
    with sandbox.load_component_and_build_defs(defs_path=path) as (component, _):
        assert isinstance(component, LinkupComponent)
        assert LinkupSection.model_validate(LINKUP) == LinkupSection.model_validate(
            component.model_dump(by_alias=True)
        )


def test_the_resource_reads_the_named_key_variable_and_the_base_url(
    sandbox: DefsFolderSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_LINKUP_KEY", "lk-from-the-shop-variable")
    path = declare(sandbox, LinkupComponent, "web", LINKUP)
    with sandbox.load_component_and_build_defs(defs_path=path) as (_, defs):
        resource = (defs.resources or {})["linkup"]
        assert resource.api_key == dg.EnvVar("SHOP_LINKUP_KEY")
        assert resource.base_url == "http://127.0.0.1:9/linkup"


def test_the_sensor_settings_apply(sandbox: DefsFolderSandbox) -> None:
    path = declare(sandbox, LinkupComponent, "web", LINKUP)
    with sandbox.load_component_and_build_defs(defs_path=path) as (_, defs):
        sensor = defs.resolve_sensor_def("linkup_tasks_sensor")
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
        assert sensor.minimum_interval_seconds == 15


def test_a_bad_field_names_the_file_and_the_field(sandbox: DefsFolderSandbox) -> None:
    bad = {"extracts": [{**LINKUP["extracts"][0], "url": "ftp://example.com/team"}]}
    path = declare(sandbox, LinkupComponent, "web", bad)
    lines = (path / "defs.yaml").read_text().splitlines()
    line = 1 + next(n for n, text in enumerate(lines) if "ftp://" in text)
    message = load_error(sandbox, path)
    assert f"attributes.extracts.0.url at {path / 'defs.yaml'}:{line}" in message
    assert "must be an http(s) URL such as https://example.com/team" in message


def test_an_unknown_field_is_refused_by_name(sandbox: DefsFolderSandbox) -> None:
    path = declare(sandbox, ExtractToComponent, "ads", {**EXTRACTTO, "sensors": {}})
    message = load_error(sandbox, path)
    assert f"attributes.sensors at {path / 'defs.yaml'}:" in message
    assert "Extra inputs are not permitted" in message


def test_a_setting_at_the_wrong_level_says_where_it_belongs_in_the_attributes(
    sandbox: DefsFolderSandbox,
) -> None:
    path = declare(sandbox, LinkupComponent, "web", {"name": "team", "extracts": []})
    message = load_error(sandbox, path)
    assert f"attributes.name at {path / 'defs.yaml'}:" in message
    assert "'name' belongs in each entry of attributes.extracts" in message


def test_a_misspelt_setting_suggests_the_right_one(sandbox: DefsFolderSandbox) -> None:
    path = declare(sandbox, ExtractToComponent, "ads", {**EXTRACTTO, "sensors": {}})
    assert "Extra inputs are not permitted (did you mean 'sensor'?)" in load_error(sandbox, path)


def test_a_bad_base_url_says_how_to_leave_it_to_the_variable(sandbox: DefsFolderSandbox) -> None:
    path = declare(sandbox, LinkupComponent, "web", {"api": {"base_url": "{{ env.URL }}"}})
    message = load_error(sandbox, path)
    assert f"attributes.api.base_url at {path / 'defs.yaml'}:" in message
    assert "leave it out to use the provider's *_BASE_URL variable" in message


@pytest.mark.parametrize(
    ("api", "field"),
    [({"key_env": "lk-SECRET-4b1d9e0a"}, "key_env"), ({"key": "lk-SECRET-4b1d9e0a"}, "key")],
    ids=["key_env", "unknown_setting"],
)
def test_a_key_written_in_the_defs_yaml_is_refused_without_being_shown(
    sandbox: DefsFolderSandbox, api: dict[str, str], field: str
) -> None:
    path = declare(sandbox, LinkupComponent, "web", {"api": api})
    message = load_error(sandbox, path)
    assert f"attributes.api.{field} at {path / 'defs.yaml'}:" in message
    assert "SECRET" not in message


def test_a_key_given_twice_in_a_defs_yaml_is_refused_naming_both_lines(
    sandbox: DefsFolderSandbox,
) -> None:
    folder = sandbox.defs_folder_path / "web"
    folder.mkdir(parents=True)
    entry = "    - {name: %s, q: Team, url: 'https://example.com/team'}\n"
    (folder / "defs.yaml").write_text(
        "type: extract_assets.LinkupComponent\nattributes:\n"
        f"  extracts:\n{entry % 'team'}  extracts:\n{entry % 'prices'}"
    )
    message = load_error(sandbox, folder)
    assert f"{folder / 'defs.yaml'}: not valid YAML at line 5, column 3" in message
    assert "'extracts' is given twice in one mapping (first at line 3)" in message


def test_two_extracts_of_one_name_are_refused_naming_the_defs_yaml(
    sandbox: DefsFolderSandbox,
) -> None:
    extract = LINKUP["extracts"][0]
    path = declare(sandbox, LinkupComponent, "web", {"extracts": [extract, extract]})
    message = load_error(sandbox, path)
    assert f"attributes at {path / 'defs.yaml'}:" in message
    assert "asset names must be unique; repeated: team: rename one" in message


def test_relative_document_folders_are_read_beside_the_defs_yaml(
    sandbox: DefsFolderSandbox,
) -> None:
    attributes = {
        "datasets": [{"name": "invoices", "start_date": "2026-11-01"}],
        "submissions": [{"name": "inbox", "folder": "documents"}],
    }
    path = declare(sandbox, DataExtractorComponent, "documents", attributes)
    with sandbox.load_component_and_build_defs(defs_path=path) as (component, _):
        assert isinstance(component, DataExtractorComponent)
        assert component.submissions[0].folder == path / "documents"


def test_a_relative_webhook_store_is_read_beside_the_defs_yaml(
    sandbox: DefsFolderSandbox,
) -> None:
    attributes = {
        "datasets": [{"name": "invoices", "start_date": "2026-11-01"}],
        "webhooks": {"enabled": True, "store": "events.sqlite3"},
    }
    path = declare(sandbox, DataExtractorComponent, "documents", attributes)
    with sandbox.load_component_and_build_defs(defs_path=path) as (component, _):
        assert isinstance(component, DataExtractorComponent)
        assert component.webhooks.store_path() == str(path / "events.sqlite3")


@pytest.mark.parametrize(
    ("component", "assets"),
    [
        (LinkupComponent, {"team_members", "linkup_task_outputs"}),
        (ExtractToComponent, {"ads_campaigns"}),
        (
            DataExtractorComponent,
            {f"documents_{table}" for table in ("datasets", "fields", "line_items")}
            | {"documents_ground_truth", "documents_accuracy"},
        ),
    ],
)
def test_a_scaffolded_defs_yaml_loads_as_written_and_explains_itself(
    sandbox: DefsFolderSandbox, component: type[dg.Component], assets: set[str]
) -> None:
    path = sandbox.scaffold_component(component_cls=component, defs_path="scaffolded")
    text = (path / "defs.yaml").read_text()
    assert "key_env" in text
    assert text.count("\n#") + text.count("  # ") >= 5
    with sandbox.load_component_and_build_defs(defs_path=path) as (loaded, defs):
        assert isinstance(loaded, component)
        assert {key.to_user_string() for key in defs.resolve_all_asset_keys()} == assets


def test_loading_a_component_makes_no_provider_request(
    sandbox: DefsFolderSandbox, emulator: EmulatorServer
) -> None:
    linkup = {**LINKUP, "api": {"base_url": emulator.base_url("linkup")}}
    extractto = {**EXTRACTTO, "api": {"base_url": emulator.base_url("extractto")}}
    declare(sandbox, LinkupComponent, "web", linkup)
    declare(sandbox, ExtractToComponent, "ads", extractto)
    with sandbox.build_all_defs() as defs:
        defs.resolve_implicit_global_asset_job_def()
        defs.resolve_sensor_def("linkup_tasks_sensor")
    assert emulator.control.requests() == []


def test_a_python_scaffold_builds_the_component_a_user_returns(sandbox: DefsFolderSandbox) -> None:
    path = sandbox.scaffold_component(
        component_cls=LinkupComponent, defs_path="in_python", scaffold_format="python"
    )
    component_py = path / "component.py"
    component_py.write_text(
        component_py.read_text().replace(
            "-> LinkupComponent: ...",
            "-> LinkupComponent:\n    return LinkupComponent(\n"
            "        extracts=[{'name': 'team', 'q': 'Team', 'url': 'https://example.com/team'}]\n"
            "    )\n",
        )
    )
    with sandbox.load_component_and_build_defs(defs_path=path) as (_, defs):
        assert {key.to_user_string() for key in defs.resolve_all_asset_keys()} == {
            "team",
            "linkup_task_outputs",
        }


class ShopLinkup(LinkupComponent):
    """A user's component: every key under `shop/`, every materialization counted."""

    def get_asset_spec(self, props: AssetProps) -> dg.AssetSpec:
        spec = super().get_asset_spec(props)
        return spec.replace_attributes(key=spec.key.with_prefix("shop"), group_name="shop")

    def execute(self, context: dg.AssetExecutionContext, materialize: Callable[[], T]) -> T:
        context.log.info(f"shop is materializing {context.op.name}")
        return materialize()


def test_a_component_subclass_changes_every_assets_spec_and_wraps_its_materializations(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKUP_API_KEY", "demo-linkup-key")
    monkeypatch.setenv("EXTRACT_ASSETS_OUTPUT", str(tmp_path))
    component = ShopLinkup.model_validate(
        {**LINKUP, "api": {"base_url": emulator.base_url("linkup")}}
    )
    defs = dg.build_defs_for_component(component=component)
    specs = {spec.key: spec for spec in defs.resolve_all_asset_specs()}
    assert set(specs) == {
        dg.AssetKey(["shop", "team"]),
        dg.AssetKey(["shop", "linkup_task_outputs"]),
    }
    assert {spec.group_name for spec in specs.values()} == {"shop"}
    dg.Definitions.validate_loadable(defs)
    job = defs.resolve_implicit_job_def_def_for_assets([dg.AssetKey(["shop", "team"])])
    assert job is not None
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance, asset_selection=[dg.AssetKey(["shop", "team"])]
        )
        assert result.success
        logs = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert "shop is materializing shop__team" in logs


def test_two_components_of_one_provider_load_side_by_side_when_each_names_its_account(
    sandbox: DefsFolderSandbox,
) -> None:
    """Each component owns the resource, pool and sensor of its account: no key collides."""
    for account in ("sales", "research"):
        declare(
            sandbox,
            LinkupComponent,
            f"web_{account}",
            {**LINKUP, "account": account, "api": {"key_env": f"LINKUP_{account.upper()}_KEY"}},
        )
    with sandbox.build_all_defs() as defs:
        keys = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
        assert {"sales/team", "research/team"} <= keys
        assert {"linkup_sales", "linkup_research"} <= set(defs.resources or {})
        assert {s.name for s in defs.sensors or []} == {
            "sales_linkup_tasks_sensor",
            "research_linkup_tasks_sensor",
        }
        dg.Definitions.validate_loadable(defs)


def test_two_components_of_one_provider_and_one_account_are_refused_naming_both_folders(
    sandbox: DefsFolderSandbox,
) -> None:
    first = declare(sandbox, LinkupComponent, "web_shop", LINKUP)
    second = declare(sandbox, LinkupComponent, "web_blog", {**LINKUP, "extracts": []})

    with pytest.raises(Exception) as failure:
        with sandbox.build_all_defs():
            pass

    said = "\n".join(traceback.format_exception(failure.value))
    assert "2 linkup components have no `account`" in said
    assert str(first) in said and str(second) in said
    assert "give each its own `account:`" in said
    assert "different resources with the same key" not in said


def test_components_of_two_providers_need_no_account(sandbox: DefsFolderSandbox) -> None:
    declare(sandbox, LinkupComponent, "web", LINKUP)
    declare(sandbox, ExtractToComponent, "ads", EXTRACTTO)

    with sandbox.build_all_defs() as defs:
        assert {"team", "ads", "crm_sync"} <= {
            k.to_user_string() for k in defs.resolve_all_asset_keys()
        }


def test_one_asset_name_in_components_of_two_providers_is_refused_naming_both_folders(
    sandbox: DefsFolderSandbox,
) -> None:
    web = declare(sandbox, LinkupComponent, "web", LINKUP)
    ads = declare(
        sandbox,
        ExtractToComponent,
        "ads",
        {"connections": [{"name": "team", "connection_id": "c-1"}]},
    )
    with pytest.raises(Exception) as failure:
        with sandbox.build_all_defs():
            pass
    message = "\n".join(traceback.format_exception(failure.value))
    assert "asset names must be unique; team declared in both" in message
    assert str(web) in message and str(ads) in message
