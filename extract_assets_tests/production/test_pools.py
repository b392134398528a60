"""The provider pools of dagster.yaml: documented limits that hold across runs.

A backfill here is several runs of one partition each, in processes of their own, started at
once against one persistent instance; the emulator answers slowly, so their calls would overlap
if nothing held them back, and it counts the most calls it had in flight at once.

The instance is a PostgreSQL one (dagster-postgres.yaml), as in production: Dagster claims a
pool slot by selecting a free slot row and then updating it, a claim SQLite cannot lock, so runs
claiming at the same moment on a SQLite instance can share one slot (seen: 3 calls at once with
a limit of 2).
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest

from extract_assets.emulator import EmulatorServer
from extract_assets_tests.production.dagster_home import (
    PROVIDER_POOLS,
    documented_pool_limits,
    new_home,
    pools_settings,
    set_pool_limit,
    set_pool_limits,
)
from extract_assets_tests.production.partition_runs import ASSET, PartitionRun, run_all_at_once

pytestmark = pytest.mark.slow

DAYS = ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]
SLOW_SECONDS = 1.0


@pytest.fixture(scope="module")
def documented_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An instance with the repo's dagster.yaml and every pool command its comments show."""
    home = new_home(tmp_path_factory.mktemp("documented") / "dagster_home")
    set_pool_limits(home, documented_pool_limits())
    return home


@pytest.fixture
def slow_extractto(emulator: EmulatorServer) -> EmulatorServer:
    """Every Extract.to call takes a second; syncs end at once, so the calls are the time."""
    emulator.control.extractto_settings(sync_seconds=0.05)
    emulator.control.add_fault("slow", provider="extractto", delay=SLOW_SECONDS)
    return emulator


def backfill(emulator: EmulatorServer, home: Path, output: Path) -> int:
    """Run every day of DAYS at once, one run and process each; the peak of Extract.to calls
    in flight at once."""
    extract_id = emulator.control.extractto_demo()["extract_id"]
    runs = [
        PartitionRun(
            home=str(home),
            extractto_url=emulator.base_url("extractto"),
            api_key="demo-extractto-key",
            extract_id=extract_id,
            output=str(output),
            partition=day,
            environment={k: v for k, v in os.environ.items() if k.startswith("DAGSTER_PG_")},
        )
        for day in DAYS
    ]
    emulator.control.reset_in_flight_peaks()
    assert run_all_at_once(runs) == [0] * len(runs)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_materialized_partitions(dg.AssetKey(ASSET)) == set(DAYS)
    peak: int = emulator.control.in_flight()["extractto"]["peak"]
    return peak


def test_dagster_yaml_documents_a_limit_for_each_provider_pool() -> None:
    limits = documented_pool_limits()
    assert set(limits) == PROVIDER_POOLS
    assert all(limit >= 1 for limit in limits.values())


def test_pools_are_per_op_with_the_safest_default() -> None:
    assert pools_settings() == {"granularity": "op", "default_limit": 1}


def test_the_instance_holds_the_documented_limits(documented_home: Path) -> None:
    with dg.DagsterInstance.from_config(str(documented_home)) as instance:
        pools = instance.get_concurrency_config().pool_config
        assert pools.default_pool_limit == pools_settings()["default_limit"]
        assert pools.pool_granularity is not None and pools.pool_granularity.value == "op"
        held = {
            pool: instance.event_log_storage.get_concurrency_info(pool).slot_count
            for pool in PROVIDER_POOLS
        }
    assert held == documented_pool_limits()


def test_a_backfill_never_calls_extractto_more_often_at_once_than_its_pool(
    postgres_home: Path, slow_extractto: EmulatorServer, tmp_path: Path
) -> None:
    set_pool_limits(postgres_home, documented_pool_limits())
    limit = documented_pool_limits()["extractto"]
    assert len(DAYS) > limit
    assert backfill(slow_extractto, postgres_home, tmp_path / "data") <= limit


def test_with_a_larger_pool_runs_of_one_extract_still_never_sync_at_once(
    postgres_home: Path, slow_extractto: EmulatorServer, tmp_path: Path
) -> None:
    """The pool no longer has to keep one extract's syncs apart: runs on a PostgreSQL instance
    take turns through its shared state, so Extract.to never answers "already syncing" and at
    most one sync call and one row read are in flight at once, however many slots the pool has.
    """
    set_pool_limit(postgres_home, "extractto", len(DAYS))
    peak = backfill(slow_extractto, postgres_home, tmp_path / "data")
    runs = [
        r
        for r in slow_extractto.control.requests("extractto")
        if r["method"] == "POST" and r["path"].endswith("/run")
    ]
    assert len(runs) == len(DAYS)
    assert [r["status"] for r in runs] == [200] * len(DAYS)
    assert peak <= 2
