from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.sensor_definition import SensorExecutionData

from extract_assets.core.errors import ConfigError
from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.sensors import build_extractto_sensor
from extract_assets.extractto.spec import ExtractToExtractSpec
from extract_assets_tests.security.servers import Seen, proxy_app, serving

from .conftest import run_requests, served_rows, wait_until

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """A persistent instance: the sensor reads our materializations through its ref."""
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def today(emulator: EmulatorServer) -> date:
    """The emulator's UTC date, which outside syncs and the sensor's look-back count from."""
    return emulator.control.now().date()


@pytest.fixture
def spec(demo: dict[str, str], today: date) -> ExtractToExtractSpec:
    return ExtractToExtractSpec(
        name="ads", extract_id=demo["extract_id"], start_date=today - timedelta(days=60)
    )


@pytest.fixture
def assets(spec: ExtractToExtractSpec, tmp_path: Path) -> list[dg.AssetsDefinition]:
    return build_extractto_assets([spec], output_dir=str(tmp_path))


@pytest.fixture
def sensor(spec: ExtractToExtractSpec) -> dg.SensorDefinition:
    return build_extractto_sensor([spec], time_budget_seconds=10)


@pytest.fixture
def tick(
    assets: list[dg.AssetsDefinition],
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    fast_resource: ExtractToResource,
) -> "Tick":
    return Tick(assets, sensor, instance, fast_resource)


class Tick:
    """Evaluates the sensor the way the sensor daemon does, carrying its cursor along: on the
    instance rebuilt from its ref, as a code server does; `from_ref=False` hands each tick the
    instance itself (with its ref, from which Dagster loads dynamic partitions), for tests of
    hundreds of ticks, as rebuilding a SQLite instance costs about 0.07 s a tick."""

    def __init__(
        self,
        assets: list[dg.AssetsDefinition],
        sensor: dg.SensorDefinition,
        instance: dg.DagsterInstance,
        resource: ExtractToResource,
        *,
        from_ref: bool = True,
    ) -> None:
        self.defs = dg.Definitions(
            assets=assets, sensors=[sensor], resources={"extractto": resource}
        )
        self.sensor = sensor
        self.instance = instance
        self.resource = resource
        self.cursor: str | None = None
        self.from_ref = from_ref

    def __call__(self) -> list[dg.RunRequest]:
        with dg.build_sensor_context(
            instance=None if self.from_ref else self.instance,
            instance_ref=self.instance.get_ref(),
            cursor=self.cursor,
            definitions=self.defs,
            resources={"extractto": self.resource},
        ) as context:
            result: SensorExecutionData = self.sensor.evaluate_tick(context)
        self.cursor = result.cursor
        return list(result.run_requests or [])


def outside_sync(emulator: EmulatorServer, extract_id: str, first: date, last: date) -> None:
    """A sync Extract.to runs on its own schedule, waited out on the emulator clock."""
    emulator.control.sync_extractto_extract(extract_id, first.isoformat(), last.isoformat())
    emulator.control.advance_clock(1)


def test_an_outside_sync_becomes_one_run_request_for_the_days_it_wrote(
    emulator: EmulatorServer, tick: Tick, demo: dict[str, str], today: date
) -> None:
    assert tick() == []
    first, last = today - timedelta(days=3), today - timedelta(days=2)
    outside_sync(emulator, demo["extract_id"], first, last)
    (request,) = tick()
    assert request.tags[RANGE_START] == first.isoformat()
    assert request.tags[RANGE_END] == last.isoformat()
    assert request.asset_selection == [dg.AssetKey("ads")]
    assert request.run_config == {"ops": {"ads": {"config": {"sync": False}}}}


def test_later_ticks_add_no_request_for_the_same_sync(
    emulator: EmulatorServer, tick: Tick, demo: dict[str, str], today: date
) -> None:
    tick()
    outside_sync(emulator, demo["extract_id"], today - timedelta(days=3), today - timedelta(days=2))
    assert len(tick()) == 1
    for _ in range(3):
        assert tick() == []


def test_syncs_before_the_first_tick_are_only_noted(
    emulator: EmulatorServer, tick: Tick, demo: dict[str, str], today: date
) -> None:
    outside_sync(emulator, demo["extract_id"], today - timedelta(days=3), today - timedelta(days=2))
    assert tick() == []
    assert tick() == []


def test_an_outside_sync_after_ones_seen_at_the_first_tick_is_requested(
    emulator: EmulatorServer, tick: Tick, demo: dict[str, str], today: date
) -> None:
    day = today - timedelta(days=4)
    outside_sync(emulator, demo["extract_id"], day, day)
    tick()
    later = today - timedelta(days=2)
    outside_sync(emulator, demo["extract_id"], later, later)
    (request,) = tick()
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (later.isoformat(),) * 2


def test_a_sync_under_way_is_requested_once_it_has_ended(
    emulator: EmulatorServer, tick: Tick, demo: dict[str, str], today: date
) -> None:
    tick()
    emulator.control.set_extractto_extract_scenario(demo["extract_id"], sync_seconds=600)
    day = (today - timedelta(days=2)).isoformat()
    emulator.control.sync_extractto_extract(demo["extract_id"], day, day)
    assert tick() == []
    emulator.control.advance_clock(601)
    (request,) = tick()
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (day, day)


def test_days_apart_become_separate_ranges(
    emulator: EmulatorServer, tick: Tick, demo: dict[str, str], today: date
) -> None:
    tick()
    earlier, later = today - timedelta(days=5), today - timedelta(days=2)
    outside_sync(emulator, demo["extract_id"], earlier, earlier)
    outside_sync(emulator, demo["extract_id"], later, later)
    ranges = sorted((r.tags[RANGE_START], r.tags[RANGE_END]) for r in tick())
    assert ranges == [(earlier.isoformat(),) * 2, (later.isoformat(),) * 2]


def test_a_sync_made_by_our_own_asset_is_not_requested(
    tick: Tick,
    assets: list[dg.AssetsDefinition],
    instance: dg.DagsterInstance,
    fast_resource: ExtractToResource,
    today: date,
) -> None:
    tick()
    result = dg.materialize(
        assets,
        resources={"extractto": fast_resource},
        instance=instance,
        partition_key=(today - timedelta(days=2)).isoformat(),
    )
    assert result.success
    assert tick() == []


def test_a_sync_of_our_own_asset_still_reading_its_rows_is_not_requested(
    emulator: EmulatorServer,
    tick: Tick,
    assets: list[dg.AssetsDefinition],
    instance: dg.DagsterInstance,
    fast_resource: ExtractToResource,
    today: date,
) -> None:
    tick()
    # The asset's first page of rows is slow: its sync has ended, its materialization not yet.
    emulator.control.add_fault("slow", provider="extractto", path="/rows$", delay=5, times=1)
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(
            dg.materialize,
            assets,
            resources={"extractto": fast_resource},
            instance=instance,
            partition_key=(today - timedelta(days=2)).isoformat(),
        )
        wait_until(
            lambda: emulator.control.faults()[0]["injected"] == 1, "the asset reading its rows"
        )
        assert tick() == []
        assert running.result().success
    assert tick() == []


def test_an_extract_in_error_is_logged_once(
    emulator: EmulatorServer,
    tick: Tick,
    demo: dict[str, str],
    today: date,
    capfd: pytest.CaptureFixture[str],
) -> None:
    tick()
    emulator.control.set_extractto_extract_scenario(
        demo["extract_id"], fail="developer token revoked"
    )
    outside_sync(emulator, demo["extract_id"], today - timedelta(days=2), today - timedelta(days=2))
    for _ in range(3):
        assert tick() == []
    logged = capfd.readouterr().err
    warning = f"{demo['extract_id']} (Google Ads campaigns daily) is in error: developer token"
    assert logged.count(warning) == 1


def test_extracts_without_a_spec_are_left_alone(
    emulator: EmulatorServer, tick: Tick, today: date
) -> None:
    other = emulator.control.add_extractto_extract("Not an asset")
    tick()
    outside_sync(emulator, other["id"], today - timedelta(days=2), today - timedelta(days=2))
    assert tick() == []


def test_executing_the_requested_run_reads_rows_without_a_new_run_request(
    emulator: EmulatorServer,
    tick: Tick,
    assets: list[dg.AssetsDefinition],
    instance: dg.DagsterInstance,
    fast_resource: ExtractToResource,
    demo: dict[str, str],
    today: date,
    tmp_path: Path,
    extractto_url: str,
) -> None:
    tick()
    first, last = today - timedelta(days=3), today - timedelta(days=2)
    outside_sync(emulator, demo["extract_id"], first, last)
    (request,) = tick()
    result = dg.materialize(
        assets,
        resources={"extractto": fast_resource},
        instance=instance,
        tags=request.tags,
        run_config=request.run_config,
    )
    assert result.success
    assert run_requests(emulator, demo["extract_id"]) == []
    served = served_rows(extractto_url, demo["data_table_id"], first.isoformat(), last.isoformat())
    counts = {
        m.partition: m.metadata["dagster/partition_row_count"].value
        for m in result.asset_materializations_for_node("ads")
    }
    assert counts == {
        day.isoformat(): sum(1 for row in served if row["date"] == day.isoformat())
        for day in (first, last)
    }
    assert all(counts.values())
    assert tick() == []


def test_a_cursor_set_by_hand_fails_the_tick_saying_how_to_clear_it(
    tick: Tick, demo: dict[str, str]
) -> None:
    tick.cursor = "2026-11-01"
    with pytest.raises(ConfigError, match="is not one it saved") as failure:
        tick()
    assert "dagster sensor cursor <sensor name> --delete" in str(failure.value)
    tick.cursor = None
    assert tick() == []


def test_an_extract_that_cannot_be_read_is_passed_over_and_the_tick_goes_on(
    emulator: EmulatorServer,
    assets: list[dg.AssetsDefinition],
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    fast_resource: ExtractToResource,
    demo: dict[str, str],
    today: date,
    caplog: pytest.LogCaptureFixture,
) -> None:
    odd = emulator.control.add_extractto_extract("Odd one")
    broken = ('"title":"Odd one"', '"title":{"en":"Odd one"}')
    with serving(proxy_app(Seen(), emulator.url, broken)) as api:
        settings = {**fast_resource.model_dump(), "base_url": f"{api}/extractto"}
        tick = Tick(assets, sensor, instance, ExtractToResource(**settings))
        assert tick() == []
        first, last = today - timedelta(days=3), today - timedelta(days=2)
        outside_sync(emulator, demo["extract_id"], first, last)
        (request,) = tick()
    assert request.tags[RANGE_START] == first.isoformat()
    assert f"Extract.to extract {odd['id']} cannot be read and is passed over: title" in (
        caplog.text
    )


def test_rows_refused_for_good_pass_the_extract_over_and_its_sync_is_read_once_they_are_not(
    emulator: EmulatorServer,
    tick: Tick,
    demo: dict[str, str],
    today: date,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A 403 is not retried within a tick; failing the tick would fail every later one too
    and keep the other extracts from being read."""
    tick()
    day = today - timedelta(days=2)
    outside_sync(emulator, demo["extract_id"], day, day)
    emulator.control.add_fault("status", provider="extractto", path="/rows$", status=403)
    assert tick() == []
    assert f"Extract.to extract {demo['extract_id']}: its rows cannot be read" in (
        capfd.readouterr().err
    )
    emulator.control.clear_faults()
    (request,) = tick()
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (day.isoformat(),) * 2


def test_a_listing_of_extracts_throttled_ends_the_tick_and_the_next_requests_the_sync(
    emulator: EmulatorServer, tick: Tick, demo: dict[str, str], today: date
) -> None:
    tick()
    day = today - timedelta(days=2)
    outside_sync(emulator, demo["extract_id"], day, day)
    emulator.control.add_fault(
        "status", provider="extractto", path="/extracts$", status=429, retry_after="120", times=1
    )
    assert tick() == []
    (request,) = tick()
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (day.isoformat(),) * 2


@pytest.fixture
def our_run(
    assets: list[dg.AssetsDefinition],
    instance: dg.DagsterInstance,
    fast_resource: ExtractToResource,
) -> Callable[[date], dg.ExecuteInProcessResult]:
    """Materializes one day of our asset, which syncs it."""

    def run(day: date) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            assets,
            resources={"extractto": fast_resource},
            instance=instance,
            partition_key=day.isoformat(),
            raise_on_error=False,
        )

    return run


def requested_days(requests: list[dg.RunRequest]) -> list[str]:
    days: list[str] = []
    for request in requests:
        first = date.fromisoformat(request.tags[RANGE_START])
        last = date.fromisoformat(request.tags[RANGE_END])
        days += [(first + timedelta(n)).isoformat() for n in range((last - first).days + 1)]
    return sorted(days)


def test_an_outside_sync_no_tick_saw_before_our_own_is_requested_and_ours_not(
    emulator: EmulatorServer,
    tick: Tick,
    our_run: Callable[[date], dg.ExecuteInProcessResult],
    demo: dict[str, str],
    today: date,
) -> None:
    tick()
    outside, ours = today - timedelta(days=5), today - timedelta(days=2)
    outside_sync(emulator, demo["extract_id"], outside, outside)
    assert our_run(ours).success
    assert requested_days(tick()) == [outside.isoformat()]
    assert tick() == []


def test_two_runs_of_ours_with_no_tick_between_request_nothing(
    tick: Tick, our_run: Callable[[date], dg.ExecuteInProcessResult], today: date
) -> None:
    tick()
    assert our_run(today - timedelta(days=5)).success
    assert our_run(today - timedelta(days=2)).success
    assert tick() == []


def test_an_outside_sync_between_two_runs_of_ours_is_requested(
    emulator: EmulatorServer,
    tick: Tick,
    our_run: Callable[[date], dg.ExecuteInProcessResult],
    demo: dict[str, str],
    today: date,
) -> None:
    tick()
    outside = today - timedelta(days=4)
    assert our_run(today - timedelta(days=6)).success
    outside_sync(emulator, demo["extract_id"], outside, outside)
    assert our_run(today - timedelta(days=2)).success
    assert outside.isoformat() in requested_days(tick())


def test_an_outside_sync_our_run_waited_for_is_requested(
    emulator: EmulatorServer,
    tick: Tick,
    our_run: Callable[[date], dg.ExecuteInProcessResult],
    demo: dict[str, str],
    today: date,
) -> None:
    """Its `last_sync` was not known yet as our run read the extract."""
    extract_id = demo["extract_id"]
    tick()
    outside = today - timedelta(days=5)
    emulator.control.set_extractto_extract_scenario(extract_id, sync_seconds=600)
    emulator.control.sync_extractto_extract(extract_id, outside.isoformat(), outside.isoformat())
    emulator.control.set_extractto_extract_scenario(extract_id, sync_seconds=0.05)
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(our_run, today - timedelta(days=2))
        wait_until(
            lambda: len(run_requests(emulator, extract_id)) > 0,
            "our run asking for its sync while the outside one is under way",
        )
        emulator.control.advance_clock(601)
        assert running.result().success
    assert outside.isoformat() in requested_days(tick())


def test_a_run_that_failed_before_its_sync_leaves_an_outside_sync_requested(
    emulator: EmulatorServer,
    tick: Tick,
    our_run: Callable[[date], dg.ExecuteInProcessResult],
    demo: dict[str, str],
    today: date,
) -> None:
    extract_id = demo["extract_id"]
    tick()
    outside = today - timedelta(days=5)
    outside_sync(emulator, extract_id, outside, outside)
    emulator.control.add_fault("status", provider="extractto", path="/run$", status=403, times=1)
    assert not our_run(today - timedelta(days=2)).success
    assert requested_days(tick()) == [outside.isoformat()]


def test_an_outside_sync_before_a_requested_run_reads_its_rows_is_requested(
    emulator: EmulatorServer,
    tick: Tick,
    assets: list[dg.AssetsDefinition],
    instance: dg.DagsterInstance,
    fast_resource: ExtractToResource,
    demo: dict[str, str],
    today: date,
) -> None:
    """The requested run records the `last_sync` it read on its materialization, a sync that
    is not ours."""
    tick()
    first, later = today - timedelta(days=5), today - timedelta(days=2)
    outside_sync(emulator, demo["extract_id"], first, first)
    (request,) = tick()
    outside_sync(emulator, demo["extract_id"], later, later)
    result = dg.materialize(
        assets,
        resources={"extractto": fast_resource},
        instance=instance,
        tags=request.tags,
        run_config=request.run_config,
    )
    assert result.success
    assert requested_days(tick()) == [later.isoformat()]
