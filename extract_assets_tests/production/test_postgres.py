"""dagster-postgres.yaml: a Dagster instance whose storage is a real PostgreSQL server.

The server is Debian's PostgreSQL on 127.0.0.1, started for this module and stopped at its end;
the instance is built from the repo's dagster-postgres.yaml with the connection in environment
variables, and what runs and sensor ticks store is read back through a second instance.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import dagster_postgres
import pytest

from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.sensors import build_extractto_sensor
from extract_assets.extractto.spec import ExtractToExtractSpec
from extract_assets.linkup.assets import build_linkup_assets
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.spec import LinkupExtractSpec
from extract_assets_tests.production.dagster_home import (
    documented_pool_limits,
    set_pool_limit,
)

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
TEAM = LinkupExtractSpec(
    name="team_members",
    q="All engineering team members with their name, role, and profile page",
    url="https://example.com/team",
)


@pytest.fixture
def home(postgres_home: Path) -> Path:
    """A DAGSTER_HOME on a fresh database of its own."""
    return postgres_home


@pytest.fixture
def instance(home: Path) -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.from_config(str(home)) as postgres_instance:
        yield postgres_instance


def reopened(home: Path) -> dg.DagsterInstance:
    """A second instance on the same database, as another process would open it."""
    return dg.DagsterInstance.from_config(str(home))


@pytest.fixture
def linkup(emulator: EmulatorServer) -> LinkupResource:
    return LinkupResource(
        api_key="demo-linkup-key",
        base_url=emulator.base_url("linkup"),
        poll_initial_seconds=0.1,
        poll_max_seconds=0.3,
        requests_per_minute=None,
    )


@pytest.fixture
def extractto(emulator: EmulatorServer) -> ExtractToResource:
    emulator.control.extractto_settings(sync_seconds=0.05)
    return ExtractToResource(
        api_key="demo-extractto-key",
        base_url=emulator.base_url("extractto"),
        poll_initial_seconds=0.1,
        poll_max_seconds=0.3,
        requests_per_minute=None,
    )


@pytest.fixture
def today(emulator: EmulatorServer) -> date:
    return emulator.control.now().date()


@pytest.fixture
def ads(emulator: EmulatorServer, today: date) -> ExtractToExtractSpec:
    extract_id = emulator.control.extractto_demo()["extract_id"]
    return ExtractToExtractSpec(name="ads", extract_id=extract_id, start_date=today - timedelta(30))


def materialize_ads(
    spec: ExtractToExtractSpec,
    resource: ExtractToResource,
    instance: dg.DagsterInstance,
    output: Path,
    *,
    partition_key: str | None = None,
    request: dg.RunRequest | None = None,
) -> dg.ExecuteInProcessResult:
    """One run of the asset: a day, or what a sensor's run request asks for."""
    return dg.materialize(
        build_extractto_assets([spec], output_dir=str(output)),
        resources={"extractto": resource},
        instance=instance,
        partition_key=partition_key,
        tags=request.tags if request else None,
        run_config=request.run_config if request else None,
    )


class Tick:
    """Evaluates the Extract.to sensor as the daemon does, on the instance, carrying its cursor."""

    def __init__(
        self, spec: ExtractToExtractSpec, resource: ExtractToResource, instance: dg.DagsterInstance
    ) -> None:
        self.sensor = build_extractto_sensor([spec], time_budget_seconds=20)
        self.defs = dg.Definitions(
            assets=build_extractto_assets([spec]),
            sensors=[self.sensor],
            resources={"extractto": resource},
        )
        self.resource = resource
        self.instance = instance
        self.cursor: str | None = None

    def __call__(self) -> list[dg.RunRequest]:
        with dg.build_sensor_context(
            instance_ref=self.instance.get_ref(),
            cursor=self.cursor,
            definitions=self.defs,
            resources={"extractto": self.resource},
        ) as context:
            result = self.sensor.evaluate_tick(context)
        self.cursor = result.cursor
        return list(result.run_requests or [])


def test_every_storage_of_the_instance_is_postgres(instance: dg.DagsterInstance) -> None:
    assert isinstance(instance.run_storage, dagster_postgres.PostgresRunStorage)
    assert isinstance(instance.event_log_storage, dagster_postgres.PostgresEventLogStorage)
    assert isinstance(instance.schedule_storage, dagster_postgres.PostgresScheduleStorage)


def test_a_pool_limit_set_with_the_documented_command_is_kept_in_postgres(home: Path) -> None:
    limit = documented_pool_limits()["extractto"]
    set_pool_limit(home, "extractto", limit)
    with reopened(home) as other:
        assert other.event_log_storage.get_concurrency_info("extractto").slot_count == limit


def test_a_linkup_materialization_is_read_back_from_postgres(
    instance: dg.DagsterInstance, home: Path, linkup: LinkupResource, tmp_path: Path
) -> None:
    result = dg.materialize(
        build_linkup_assets([TEAM], output_dir=str(tmp_path / "data")),
        resources={"linkup": linkup},
        instance=instance,
    )
    (landed,) = result.asset_materializations_for_node("team_members")
    with reopened(home) as other:
        event = other.get_latest_materialization_event(dg.AssetKey("team_members"))
        run = other.get_run_record_by_id(result.run_id)
    assert event is not None and event.asset_materialization is not None
    assert event.run_id == result.run_id
    stored = event.asset_materialization.metadata
    assert stored["dagster/row_count"] == landed.metadata["dagster/row_count"]
    assert stored["linkup/task_id"] == landed.metadata["linkup/task_id"]
    assert run is not None and run.dagster_run.status == dg.DagsterRunStatus.SUCCESS


def test_an_extractto_partition_is_read_back_from_postgres(
    instance: dg.DagsterInstance,
    home: Path,
    ads: ExtractToExtractSpec,
    extractto: ExtractToResource,
    today: date,
    tmp_path: Path,
) -> None:
    day = (today - timedelta(days=2)).isoformat()
    materialize_ads(ads, extractto, instance, tmp_path, partition_key=day)
    with reopened(home) as other:
        assert other.get_materialized_partitions(dg.AssetKey("ads")) == {day}


def test_a_sensor_tick_reads_our_own_sync_from_postgres(
    instance: dg.DagsterInstance,
    ads: ExtractToExtractSpec,
    extractto: ExtractToResource,
    today: date,
    tmp_path: Path,
) -> None:
    tick = Tick(ads, extractto, instance)
    tick()
    day = (today - timedelta(days=2)).isoformat()
    materialize_ads(ads, extractto, instance, tmp_path, partition_key=day)
    assert tick() == []


def test_the_run_a_sensor_tick_requests_is_read_back_from_postgres(
    emulator: EmulatorServer,
    instance: dg.DagsterInstance,
    home: Path,
    ads: ExtractToExtractSpec,
    extractto: ExtractToResource,
    today: date,
    tmp_path: Path,
) -> None:
    tick = Tick(ads, extractto, instance)
    tick()
    first, last = today - timedelta(days=3), today - timedelta(days=2)
    emulator.control.sync_extractto_extract(ads.extract_id, first.isoformat(), last.isoformat())
    emulator.control.advance_clock(1)
    (request,) = tick()
    materialize_ads(ads, extractto, instance, tmp_path, request=request)
    with reopened(home) as other:
        (run,) = other.get_runs(filters=dg.RunsFilter(tags={RANGE_START: first.isoformat()}))
        partitions = other.get_materialized_partitions(dg.AssetKey("ads"))
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert run.tags[RANGE_END] == last.isoformat()
    assert partitions == {first.isoformat(), last.isoformat()}
