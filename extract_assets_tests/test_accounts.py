"""Several accounts of one provider in one code location, from YAML alone.

A provider's section may be a list of accounts, each named by `account`: two Linkup
organizations, two Extract.to users. Each account's assets, resource, pool, sensors, dynamic
partitions and files are its own, so two accounts may even declare the same asset name.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest

from extract_assets.build import definitions_from_config
from extract_assets.config import load_config
from extract_assets.core.errors import ConfigError
from extract_assets.emulator import EmulatorServer
from extract_assets.pools import POOL_LIMITS, pool_limits
from extract_assets_tests.readers import assert_all_readers_agree, describe_difference

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"

EXTRACT_ID = "b6bf6030-da15-46a5-a82e-d1a102e663f4"
CONFIG = f"""
linkup:
  - account: marketing
    api: {{key_env: LINKUP_MARKETING_KEY}}
    extracts:
      - {{name: team_members, q: Marketing team members, url: "https://example.com/team"}}
  - account: research
    api: {{key_env: LINKUP_RESEARCH_KEY}}
    sensor: {{running: true}}
    extracts:
      - {{name: team_members, q: Research team members, url: "https://example.com/team"}}
extractto:
  - account: ads_eu
    extracts:
      - {{name: campaigns, extract_id: {EXTRACT_ID}, start_date: "2026-10-01"}}
  - account: ads_us
    extracts:
      - {{name: campaigns, extract_id: {EXTRACT_ID}, start_date: "2026-10-01"}}
dataextractor:
  datasets:
    - {{name: documents, start_date: "2026-11-01"}}
"""
MARKETING = dg.AssetKey(["marketing", "team_members"])
RESEARCH = dg.AssetKey(["research", "team_members"])


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "extract-assets.yaml"
    path.write_text(CONFIG)
    return path


@pytest.fixture
def defs(config_file: Path) -> dg.Definitions:
    return definitions_from_config(config_file)


def test_each_accounts_assets_are_keyed_under_its_name(defs: dg.Definitions) -> None:
    keys = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    assert {
        "marketing/team_members",
        "research/team_members",
        "marketing/linkup_task_outputs",
        "research/linkup_task_outputs",
        "ads_eu/campaigns",
        "ads_us/campaigns",
        "documents_datasets",
    } <= keys


def test_each_account_has_its_own_resource_pool_and_key_variable(defs: dg.Definitions) -> None:
    resources = defs.resources or {}
    assert {"linkup_marketing", "linkup_research", "extractto_ads_eu", "extractto_ads_us"} <= set(
        resources
    )
    assert "dataextractor" in resources
    assert resources["linkup_marketing"].api_key.env_var_name == "LINKUP_MARKETING_KEY"
    assert resources["linkup_research"].api_key.env_var_name == "LINKUP_RESEARCH_KEY"
    graph = defs.resolve_asset_graph()
    assert graph.get(MARKETING).pools == {"linkup_marketing"}
    assert graph.get(RESEARCH).pools == {"linkup_research"}
    assert graph.get(dg.AssetKey(["ads_us", "campaigns"])).pools == {"extractto_ads_us"}


def test_sensors_and_dynamic_partitions_are_named_per_account(defs: dg.Definitions) -> None:
    names = Counter(sensor.name for sensor in defs.sensors or [])
    assert set(names.values()) == {1}
    assert {
        "marketing_linkup_tasks_sensor",
        "research_linkup_tasks_sensor",
        "ads_eu_extractto_extracts_sensor",
        "ads_us_extractto_extracts_sensor",
    } <= set(names)
    research = defs.resolve_sensor_def("research_linkup_tasks_sensor")
    assert research.default_status == dg.DefaultSensorStatus.RUNNING
    outputs = defs.resolve_assets_def(dg.AssetKey(["research", "linkup_task_outputs"]))
    assert isinstance(outputs.partitions_def, dg.DynamicPartitionsDefinition)
    assert outputs.partitions_def.name == "research_linkup_tasks"
    dg.Definitions.validate_loadable(defs)


def test_each_account_materializes_with_its_own_key_into_its_own_folder(
    defs: dg.Definitions,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    marketing_org = emulator.control.add_linkup_key("lk-marketing-key", org="org_marketing")
    research_org = emulator.control.add_linkup_key("lk-research-key", org="org_research")
    monkeypatch.setenv("LINKUP_MARKETING_KEY", "lk-marketing-key")
    monkeypatch.setenv("LINKUP_RESEARCH_KEY", "lk-research-key")
    monkeypatch.setenv("LINKUP_BASE_URL", emulator.base_url("linkup"))
    monkeypatch.setenv("EXTRACT_ASSETS_OUTPUT", str(tmp_path / "data"))
    job = defs.resolve_implicit_job_def_def_for_assets([MARKETING, RESEARCH])
    assert job is not None
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(instance=instance, asset_selection=[MARKETING, RESEARCH])
    assert result.success
    orgs = Counter(task["org"] for task in emulator.control.linkup_tasks())
    assert orgs == {marketing_org: 1, research_org: 1}
    for account in ("marketing", "research"):
        table = tmp_path / "data" / "linkup" / account / "team_members" / "part-0.parquet"
        assert pq.read_table(table).num_rows > 0


def test_every_accounts_pool_gets_its_providers_limit(config_file: Path) -> None:
    limits = pool_limits(load_config(config_file))
    assert limits["linkup_marketing"] == limits["linkup_research"] == POOL_LIMITS["linkup"]
    assert limits["extractto_ads_eu"] == POOL_LIMITS["extractto"]
    assert limits["dataextractor"] == POOL_LIMITS["dataextractor"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("linkup:\n  - {extracts: []}\n  - {account: b}\n", "needs its own `account` name"),
        ("linkup:\n  - {account: a}\n  - {account: a}\n", "account names repeated: a"),
        ("linkup:\n  account: 'not a name'\n", "account"),
    ],
)
def test_accounts_without_a_distinct_name_are_refused(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "extract-assets.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_a_mistake_in_an_account_names_the_account_entry_and_field(tmp_path: Path) -> None:
    path = tmp_path / "extract-assets.yaml"
    path.write_text(
        "linkup:\n  - account: a\n    extracts:\n"
        "      - {name: team, q: Team, url: 'ftp://example.com/team'}\n"
    )
    with pytest.raises(
        ConfigError, match=r"linkup\[0\]\.extracts\[0\] \(name 'team'\), field 'url'"
    ):
        load_config(path)


def test_one_section_without_an_account_keeps_todays_names(tmp_path: Path) -> None:
    path = tmp_path / "extract-assets.yaml"
    path.write_text(
        "linkup:\n  extracts:\n    - {name: team, q: Team, url: 'https://example.com/team'}\n"
    )
    defs = definitions_from_config(path)
    assert {k.to_user_string() for k in defs.resolve_all_asset_keys()} == {
        "team",
        "linkup_task_outputs",
    }
    assert set(defs.resources or {}) >= {"linkup"}
    assert {sensor.name for sensor in defs.sensors or []} == {"linkup_tasks_sensor"}


@pytest.mark.slow
def test_two_accounts_submitting_one_folder_each_upload_it_once(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each account's ledger is its own: the same documents are paid for once per account, and
    a second materialization of either uploads nothing."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(3):
        (inbox / f"invoice-{n}.pdf").write_bytes(f"%PDF-1.4\n% invoice {n}\n%%EOF\n".encode())
    for account in ("emea", "apac"):
        emulator.control.add_dataextractor_key(f"dx-{account}-key", account=f"acct_{account}")
        monkeypatch.setenv(f"DX_{account.upper()}_KEY", f"dx-{account}-key")
    monkeypatch.setenv("DATAEXTRACTOR_BASE_URL", emulator.base_url("dataextractor"))
    monkeypatch.setenv("EXTRACT_ASSETS_OUTPUT", str(tmp_path / "data"))
    config = tmp_path / "extract-assets.yaml"
    config.write_text(
        "dataextractor:\n"
        + "".join(
            f"  - account: {account}\n    api: {{key_env: DX_{account.upper()}_KEY}}\n"
            "    submissions:\n      - {name: inbox, folder: inbox}\n"
            for account in ("emea", "apac")
        )
    )
    defs = definitions_from_config(config)
    keys = [dg.AssetKey(["emea", "inbox"]), dg.AssetKey(["apac", "inbox"])]
    job = defs.resolve_implicit_job_def_def_for_assets(keys)
    assert job is not None

    with dg.instance_for_test() as instance:
        for _ in range(2):
            assert job.execute_in_process(instance=instance, asset_selection=keys).success
    uploads = [
        r
        for r in emulator.control.requests("dataextractor")
        if r["method"] == "POST" and r["path"] == "/api/v1/extract"
    ]
    writes = {
        u["key"]: u["buckets"]["write"]["requests"] for u in emulator.control.dataextractor_usage()
    }
    assert len(uploads) == 6
    assert writes == {"dx-emea-key": 3, "dx-apac-key": 3}
    for account in ("emea", "apac"):
        assert (tmp_path / "data" / "dataextractor" / account / "inbox").is_dir()


def test_two_accounts_tables_from_real_world_answers_read_alike_with_every_reader(
    defs: dg.Definitions,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """As real services answer (offset and naive timestamps, other error bodies), each account
    writes a table of its own that DuckDB, pyarrow, Polars, pandas and Spark read as one, with
    the same rows for the same extract and days (but for the sync's own time stamps)."""
    emulator.control.set_profile("real-world", seed=11)
    monkeypatch.setenv("EXTRACTTO_BASE_URL", emulator.base_url("extractto"))
    monkeypatch.setenv("EXTRACTTO_API_KEY", "demo-extractto-key")
    monkeypatch.setenv("EXTRACT_ASSETS_OUTPUT", str(tmp_path / "data"))
    days = [(emulator.control.now().date() - timedelta(days=n)).isoformat() for n in (4, 3, 2)]
    keys = [dg.AssetKey([account, "campaigns"]) for account in ("ads_eu", "ads_us")]
    job = defs.resolve_implicit_job_def_def_for_assets(keys)
    assert job is not None
    with dg.instance_for_test() as instance:
        for key in keys:
            result = job.execute_in_process(
                instance=instance,
                asset_selection=[key],
                tags={RANGE_START: days[0], RANGE_END: days[-1]},
            )
            assert result.success
    tables = {
        account: assert_all_readers_agree(
            tmp_path / "data" / "extractto" / account / "campaigns", "date"
        )
        for account in ("ads_eu", "ads_us")
    }
    assert tables["ads_eu"]
    assert {str(row["date"])[:10] for row in tables["ads_eu"]} <= set(days)
    # Each account ran its own sync: only the time Extract.to stamped on its rows differs.
    eu, us = (
        [{k: v for k, v in row.items() if k != "__insert_date"} for row in tables[a]]
        for a in ("ads_eu", "ads_us")
    )
    assert describe_difference(eu, us) is None
