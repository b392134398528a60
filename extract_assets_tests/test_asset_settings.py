"""What a spec may say about its assets in Dagster: automation, freshness, blocking checks.

Each setting is read from YAML exactly as from Python, refused with a message that names the
field when Dagster would refuse it, and becomes the Dagster object it names on every asset of
every provider.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from extract_assets.asset_settings import (
    SpecSettings,
    TimeWindowFreshness,
    automation_condition,
)
from extract_assets.build import definitions_from_config
from extract_assets.config import load_config
from extract_assets.core.errors import ConfigError

LINKUP = "linkup:\n  extracts:\n    - {name: team, q: Team, url: 'https://example.com/team', %s}\n"
EXTRACTTO = (
    "extractto:\n  extracts:\n"
    "    - {name: ads, extract_id: e-1, start_date: '2026-11-01', %s}\n"
    "  connections:\n    - {name: sync, connection_id: c-1, %s}\n"
)
DATAEXTRACTOR = (
    "dataextractor:\n  datasets:\n    - {name: docs, start_date: '2026-11-01', %s}\n"
    "  submissions:\n    - {name: inbox, folder: inbox, %s}\n"
)
SETTINGS = (
    "automation: {on_cron: '0 6 * * *', timezone: Europe/Paris}, "
    "freshness: {fail_after: 26h, warn_after: 25h}, checks: {blocking: true}"
)


def load(tmp_path: Path, text: str) -> dg.Definitions:
    path = tmp_path / "extract-assets.yaml"
    path.write_text(text)
    (tmp_path / "inbox").mkdir(exist_ok=True)
    return definitions_from_config(path)


def every_spec(defs: dg.Definitions) -> dict[str, dg.AssetSpec]:
    return {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}


@pytest.mark.parametrize(
    "text",
    [LINKUP % SETTINGS, EXTRACTTO % (SETTINGS, SETTINGS), DATAEXTRACTOR % (SETTINGS, SETTINGS)],
    ids=["linkup", "extractto", "dataextractor"],
)
def test_every_asset_of_every_provider_takes_automation_and_freshness_from_yaml(
    tmp_path: Path, text: str
) -> None:
    specs = every_spec(load(tmp_path, text))
    ours = {key: spec for key, spec in specs.items() if key != "linkup_task_outputs"}
    assert ours
    for spec in ours.values():
        assert spec.automation_condition is not None
        assert spec.automation_condition.get_label() == "on_cron(0 6 * * *, Europe/Paris)"
        assert spec.freshness_policy == dg.FreshnessPolicy.time_window(
            fail_window=timedelta(hours=26), warn_window=timedelta(hours=25)
        )


@pytest.mark.parametrize(
    "text",
    [LINKUP % SETTINGS, EXTRACTTO % (SETTINGS, SETTINGS), DATAEXTRACTOR % (SETTINGS, SETTINGS)],
    ids=["linkup", "extractto", "dataextractor"],
)
def test_blocking_checks_are_declared_blocking_on_every_provider(tmp_path: Path, text: str) -> None:
    defs = load(tmp_path, text)
    checks = [
        check for assets in defs.resolve_asset_graph().assets_defs for check in assets.check_specs
    ]
    assert checks
    assert all(check.blocking for check in checks)


def test_without_settings_an_asset_has_no_automation_no_freshness_and_checks_that_do_not_block(
    tmp_path: Path,
) -> None:
    defs = load(tmp_path, LINKUP % "owners: [team:a]")
    spec = every_spec(defs)["team"]
    assert (spec.automation_condition, spec.freshness_policy) == (None, None)
    [assets] = [a for a in defs.resolve_asset_graph().assets_defs if a.key.path == ["team"]]
    assert not any(check.blocking for check in assets.check_specs)


def test_the_group_defaults_to_the_provider_and_a_spec_may_name_its_own(tmp_path: Path) -> None:
    specs = every_spec(load(tmp_path, LINKUP % "group: people"))
    assert specs["team"].group_name == "people"
    specs = every_spec(load(tmp_path, LINKUP % "owners: []"))
    assert specs["team"].group_name == "linkup"


@pytest.mark.parametrize(
    ("automation", "label"),
    [("eager", "eager"), ("on_missing", "on_missing"), ("{on_cron: '@daily'}", "on_cron")],
)
def test_each_automation_form_becomes_its_dagster_condition(
    tmp_path: Path, automation: str, label: str
) -> None:
    spec = every_spec(load(tmp_path, LINKUP % f"automation: {automation}"))["team"]
    assert spec.automation_condition is not None
    assert spec.automation_condition.get_label().startswith(label)


def test_a_cron_freshness_becomes_dagsters_cron_policy(tmp_path: Path) -> None:
    text = LINKUP % "freshness: {deadline_cron: '0 9 * * *', lower_bound: 2h, timezone: UTC}"
    spec = every_spec(load(tmp_path, text))["team"]
    assert spec.freshness_policy == dg.FreshnessPolicy.cron(
        deadline_cron="0 9 * * *", lower_bound_delta=timedelta(hours=2), timezone="UTC"
    )


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("automation: {on_cron: '0 25 * * *'}", "is not a cron schedule"),
        ("automation: {on_cron: '0 6 * * *', timezone: Mars/Olympus}", "is not a time zone"),
        ("automation: sometimes", "automation"),
        ("freshness: {fail_after: 30s}", "at least 1 minute"),
        ("freshness: {fail_after: 2h, warn_after: 3h}", "warn_after must be shorter"),
        ("freshness: {deadline_cron: '0 9 * * *', lower_bound: 2d}", "lower_bound"),
        ("freshness: {fail_after: soon}", "is not a duration such as 90m"),
        ("checks: {blocking: perhaps}", "blocking"),
        ("owners: [data team]", r"field 'owners.0': .*'data team' is not an owner: .*team:"),
        ("tags: {'bad key!': x}", r"field 'tags': .*invalid tag keys: \['bad key!'\]"),
        ("group: my group", r"field 'group': .*\"my group\" is not a valid asset group name"),
    ],
)
def test_a_setting_dagster_would_refuse_is_a_config_error_naming_it(
    tmp_path: Path, setting: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, LINKUP % setting)


@given(
    days=st.integers(0, 30),
    hours=st.integers(0, 23),
    minutes=st.integers(0, 59),
    seconds=st.integers(0, 59),
)
def test_a_duration_reads_in_days_hours_minutes_and_seconds(
    days: int, hours: int, minutes: int, seconds: int
) -> None:
    expected = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if expected < timedelta(minutes=1):
        return
    text = "".join(
        f"{value}{unit}"
        for value, unit in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s"))
        if value
    )
    assert TimeWindowFreshness(fail_after=text).fail_after == expected


def test_a_duration_may_also_be_seconds_or_iso_8601() -> None:
    assert TimeWindowFreshness(fail_after=3600).fail_after == timedelta(hours=1)
    assert TimeWindowFreshness(fail_after="PT2H").fail_after == timedelta(hours=2)


def test_settings_are_the_same_from_python() -> None:
    settings = SpecSettings(automation={"on_cron": "0 6 * * *"}, checks={"blocking": True})
    condition = automation_condition(settings.automation)
    assert condition is not None
    assert condition.get_label() == "on_cron(0 6 * * *, UTC)"
    assert settings.checks.blocking


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(ValidationError, match="automaton"):
        SpecSettings(automaton="eager")  # type: ignore[call-arg]


def test_dagsters_own_names_of_the_windows_are_read_too() -> None:
    assert TimeWindowFreshness.model_validate(
        {"fail_window": "2h", "warn_window": "1h"}
    ) == TimeWindowFreshness(fail_after="2h", warn_after="1h")


def test_an_id_copied_with_spaces_around_it_is_sent_without_them(tmp_path: Path) -> None:
    path = tmp_path / "extract-assets.yaml"
    path.write_text(EXTRACTTO.replace("extract_id: e-1", "extract_id: ' e-1 '") % ("", ""))
    (spec,) = load_config(path).extractto.extracts
    assert spec.extract_id == "e-1"


def test_an_empty_filter_is_refused_saying_to_leave_it_out(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError,
        match=r"\(name 'docs'\), field 'customer_id': .*is empty: give the value, or leave",
    ):
        load(tmp_path, DATAEXTRACTOR % ("customer_id: ''", ""))
