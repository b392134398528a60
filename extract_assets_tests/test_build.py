import os
import subprocess
import sys
import warnings
from pathlib import Path

import dagster as dg
import pytest

from extract_assets.build import definitions_from_config
from extract_assets.config import DEMO_CONFIG
from extract_assets.dataextractor.webhook_store import WebhookStore
from extract_assets.emulator import EmulatorServer

PREVIEW = [sys.executable, "-m", "dagster", "sensor", "preview"]


def test_loading_definitions_makes_no_provider_request(
    emulator: EmulatorServer, linkup_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKUP_BASE_URL", linkup_url)
    monkeypatch.setenv("LINKUP_API_KEY", "demo-linkup-key")
    monkeypatch.setenv("EXTRACTTO_BASE_URL", emulator.base_url("extractto"))
    monkeypatch.setenv("EXTRACTTO_API_KEY", "demo-extractto-key")
    monkeypatch.setenv("DATAEXTRACTOR_BASE_URL", emulator.base_url("dataextractor"))
    monkeypatch.setenv("DATAEXTRACTOR_API_KEY", "demo-dataextractor-key")
    defs = definitions_from_config(DEMO_CONFIG)
    defs.resolve_implicit_global_asset_job_def()
    defs.resolve_sensor_def("linkup_tasks_sensor")
    defs.resolve_sensor_def("extractto_extracts_sensor")
    defs.resolve_sensor_def("documents_webhook_sensor")
    defs.resolve_sensor_def("documents_polling_sensor")
    assert emulator.control.requests() == []


def test_loading_definitions_warns_of_nothing_in_beta_that_the_package_chose() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        definitions_from_config(DEMO_CONFIG)
    assert [str(w.message) for w in caught if issubclass(w.category, dg.BetaWarning)] == []


def test_the_demo_declares_assets_of_every_provider() -> None:
    defs = definitions_from_config(DEMO_CONFIG)
    keys = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    assert keys == {
        "team_members",
        "pricing_plans",
        "job_postings",
        "linkup_task_outputs",
        "google_ads_campaigns",
        "hubspot_to_warehouse",
        "documents_datasets",
        "documents_fields",
        "documents_line_items",
        "documents_ground_truth",
        "documents_accuracy",
        "documents_inbox",
    }


def test_the_demo_schedules_the_daily_extract() -> None:
    defs = definitions_from_config(DEMO_CONFIG)
    schedule = defs.resolve_schedule_def("google_ads_campaigns_schedule")
    assert schedule.cron_schedule == "0 6 * * *"


def test_the_demo_sensor_starts_running() -> None:
    sensor = definitions_from_config(DEMO_CONFIG).resolve_sensor_def("linkup_tasks_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_with_webhooks_on_the_demo_polls_nothing_and_listens() -> None:
    defs = definitions_from_config(DEMO_CONFIG)
    polling = defs.resolve_sensor_def("documents_polling_sensor")
    webhooks = defs.resolve_sensor_def("documents_webhook_sensor")
    assert polling.default_status == dg.DefaultSensorStatus.STOPPED
    assert webhooks.default_status == dg.DefaultSensorStatus.RUNNING


def test_a_relative_document_folder_is_read_beside_the_config_file() -> None:
    from extract_assets.config import load_config

    (spec,) = load_config(DEMO_CONFIG).dataextractor.submissions
    assert spec.folder == DEMO_CONFIG.parent / "documents"


def test_a_provider_the_file_leaves_out_builds_no_assets_sensor_or_resource(
    tmp_path: Path,
) -> None:
    config = tmp_path / "extract-assets.yaml"
    config.write_text(
        "extractto:\n  extracts:\n    - name: google_ads_campaigns\n"
        "      extract_id: b6bf6030-da15-46a5-a82e-d1a102e663f4\n"
        '      start_date: "2026-10-01"\n'
    )
    defs = definitions_from_config(config)
    assert [key.to_user_string() for key in defs.resolve_all_asset_keys()] == [
        "google_ads_campaigns"
    ]
    assert [sensor.name for sensor in defs.sensors or []] == ["extractto_extracts_sensor"]
    assert sorted(defs.resources or {}) == ["extractto"]


def test_an_empty_linkup_section_still_collects_tasks_started_outside_dagster(
    tmp_path: Path,
) -> None:
    config = tmp_path / "extract-assets.yaml"
    config.write_text("linkup: {}\n")
    defs = definitions_from_config(config)
    assert [key.to_user_string() for key in defs.resolve_all_asset_keys()] == [
        "linkup_task_outputs"
    ]
    assert [sensor.name for sensor in defs.sensors or []] == ["linkup_tasks_sensor"]


@pytest.mark.slow
def test_a_code_location_started_elsewhere_reads_the_webhook_store_beside_its_config_file(
    tmp_path: Path,
) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    config = project / "extract-assets.yaml"
    config.write_text(
        "dataextractor:\n  webhooks: {enabled: true, store: events.sqlite3}\n"
        '  datasets:\n    - {name: documents, start_date: "2026-11-01"}\n'
    )
    # What `extract-assets webhooks --store events.sqlite3` creates, run in the project folder.
    WebhookStore(project / "events.sqlite3")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATAEXTRACTOR_", "DAGSTER_"))}
    env |= {
        "EXTRACT_ASSETS_CONFIG": str(config),
        "DAGSTER_HOME": str(tmp_path / "home"),
        "DATAEXTRACTOR_API_KEY": "demo-dataextractor-key",
    }
    (tmp_path / "home").mkdir()

    preview = subprocess.run(
        [*PREVIEW, "documents_webhook_sensor", "-m", "extract_assets.definitions"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert "skipping: no new webhook events" in preview.stdout, preview.stdout + preview.stderr
    assert not (elsewhere / "events.sqlite3").exists()
