from pathlib import Path

import dagster as dg
import pytest

from extract_assets.cli import main
from extract_assets.pools import POOL_LIMITS, apply_pool_limits
from extract_assets_tests.production.dagster_home import documented_pool_limits, new_home


def limits_of(home: Path) -> dict[str, int]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return {
            pool: instance.event_log_storage.get_concurrency_info(pool).slot_count
            for pool in POOL_LIMITS
        }


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = new_home(tmp_path / "home")
    monkeypatch.setenv("DAGSTER_HOME", str(folder))
    return folder


def test_the_limits_are_those_dagster_yaml_documents() -> None:
    assert documented_pool_limits() == POOL_LIMITS


def test_the_pools_command_sets_every_provider_pool(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pools"]) == 0
    assert limits_of(home) == POOL_LIMITS
    assert "pool dataextractor: 1 (set)" in capsys.readouterr().out


def test_the_pools_command_keeps_a_limit_an_operator_set(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.event_log_storage.set_concurrency_slots("linkup", 3)
    assert main(["pools"]) == 0
    assert limits_of(home)["linkup"] == 3
    assert "pool linkup: 3 (kept)" in capsys.readouterr().out


def test_the_pools_command_overwrites_when_told(home: Path) -> None:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.event_log_storage.set_concurrency_slots("linkup", 3)
    assert main(["pools", "--overwrite"]) == 0
    assert limits_of(home) == POOL_LIMITS


def test_the_pools_command_needs_dagster_home(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert main(["pools"]) == 2
    assert "set DAGSTER_HOME" in capsys.readouterr().err


def test_applying_reports_only_the_pools_it_set() -> None:
    with dg.instance_for_test() as instance:
        instance.event_log_storage.set_concurrency_slots("extractto", 5)
        assert apply_pool_limits(instance) == {"linkup": 8, "dataextractor": 1}
