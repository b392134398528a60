"""`automation:` in the YAML: Dagster's automation evaluates it as the automation condition
sensor would, tick after tick, and the runs it requests materialize the assets it names."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from extract_assets.build import definitions_from_config
from extract_assets.emulator import EmulatorServer

# The emulator seeds this extract on every start; its rows cover every recent day.
EXTRACT_ID = "b6bf6030-da15-46a5-a82e-d1a102e663f4"
CONFIG = f"""
linkup:
  extracts:
    - name: team_members
      q: All engineering team members with their name and role
      url: https://example.com/team
      automation: {{on_cron: "0 6 * * *"}}
    - name: pricing_plans
      q: Every pricing plan with its price
      url: https://example.com/pricing
extractto:
  extracts:
    - name: google_ads_campaigns
      extract_id: {EXTRACT_ID}
      start_date: "2026-10-01"
      automation: {{on_cron: "0 6 * * *"}}
"""
BEFORE_SIX = timedelta(hours=5, minutes=59)
AFTER_SIX = timedelta(hours=6, minutes=1)


@pytest.fixture
def midnight() -> datetime:
    """The midnight UTC that started the day the test runs on, not the day its module was
    imported on: the emulator reads its clock when the test runs."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def day_before(midnight: datetime) -> str:
    return (midnight - timedelta(days=1)).date().isoformat()


@pytest.fixture
def defs(
    tmp_path: Path, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> dg.Definitions:
    for provider in ("linkup", "extractto"):
        monkeypatch.setenv(f"{provider.upper()}_BASE_URL", emulator.base_url(provider))
    monkeypatch.setenv("LINKUP_API_KEY", "demo-linkup-key")
    monkeypatch.setenv("EXTRACTTO_API_KEY", "demo-extractto-key")
    monkeypatch.setenv("EXTRACT_ASSETS_OUTPUT", str(tmp_path / "data"))
    config = tmp_path / "extract-assets.yaml"
    config.write_text(CONFIG)
    return definitions_from_config(config)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


def requested(result: dg.EvaluateAutomationConditionsResult) -> dict[str, set[str | None]]:
    return {
        key.to_user_string(): set(partitions)
        for key in (dg.AssetKey("team_members"), dg.AssetKey("google_ads_campaigns"))
        if (partitions := result.get_requested_partitions(key))
    }


def test_nothing_is_requested_before_the_cron_tick(
    defs: dg.Definitions, instance: dg.DagsterInstance, midnight: datetime
) -> None:
    result = dg.evaluate_automation_conditions(
        defs, instance, evaluation_time=midnight + BEFORE_SIX
    )
    assert result.total_requested == 0


def test_the_cron_tick_requests_the_asset_and_the_latest_complete_day_once(
    defs: dg.Definitions, instance: dg.DagsterInstance, midnight: datetime
) -> None:
    """Assets without `automation` (pricing_plans) are never requested."""
    before = dg.evaluate_automation_conditions(
        defs, instance, evaluation_time=midnight + BEFORE_SIX
    )
    after = dg.evaluate_automation_conditions(
        defs, instance, evaluation_time=midnight + AFTER_SIX, cursor=before.cursor
    )
    assert requested(after) == {
        "team_members": {None},
        "google_ads_campaigns": {day_before(midnight)},
    }
    assert after.total_requested == 2
    again = dg.evaluate_automation_conditions(
        defs,
        instance,
        evaluation_time=midnight + AFTER_SIX + timedelta(minutes=5),
        cursor=after.cursor,
    )
    assert again.total_requested == 0


def test_the_requested_runs_materialize_the_assets(
    defs: dg.Definitions, instance: dg.DagsterInstance, midnight: datetime
) -> None:
    before = dg.evaluate_automation_conditions(
        defs, instance, evaluation_time=midnight + BEFORE_SIX
    )
    after = dg.evaluate_automation_conditions(
        defs, instance, evaluation_time=midnight + AFTER_SIX, cursor=before.cursor
    )
    for name, partitions in requested(after).items():
        job = defs.resolve_implicit_global_asset_job_def()
        for partition in partitions:
            result = job.execute_in_process(
                instance=instance, asset_selection=[dg.AssetKey(name)], partition_key=partition
            )
            assert result.success
    assert instance.get_latest_materialization_event(dg.AssetKey("team_members"))
    days = instance.get_materialized_partitions(dg.AssetKey("google_ads_campaigns"))
    assert days == {day_before(midnight)}
    assert instance.get_latest_materialization_event(dg.AssetKey("pricing_plans")) is None
