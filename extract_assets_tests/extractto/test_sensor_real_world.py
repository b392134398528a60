"""The Extract.to sensor against the emulator's real-world profile, whose `last_sync` is stamped
as a sync starts: each outside sync is requested for the days it changed, and only those."""

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest

from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.sensors import build_extractto_sensor
from extract_assets.extractto.spec import ExtractToExtractSpec

from .test_sensors import RANGE_END, RANGE_START, Tick

# Long enough that a sync's rows are stamped a second or more after its `last_sync`, as real
# ones are; our own runs wait it out.
SYNC_SECONDS = 2


@pytest.fixture
def real_world(quick_emulator: EmulatorServer, demo: dict[str, str]) -> EmulatorServer:
    quick_emulator.control.set_profile("real-world", seed=5)
    quick_emulator.control.set_extractto_extract_scenario(
        demo["extract_id"], sync_seconds=SYNC_SECONDS
    )
    return quick_emulator


def outside_sync(emulator: EmulatorServer, extract_id: str, first: date, last: date) -> None:
    """A sync Extract.to runs on its own schedule, waited out on the emulator clock."""
    emulator.control.sync_extractto_extract(extract_id, first.isoformat(), last.isoformat())
    emulator.control.advance_clock(SYNC_SECONDS + 1)


@pytest.fixture
def today(real_world: EmulatorServer) -> date:
    return real_world.control.now().date()


@pytest.fixture
def spec(demo: dict[str, str], today: date) -> ExtractToExtractSpec:
    return ExtractToExtractSpec(
        name="ads", extract_id=demo["extract_id"], start_date=today - timedelta(days=60)
    )


@pytest.fixture
def assets(spec: ExtractToExtractSpec, tmp_path: Path) -> list[dg.AssetsDefinition]:
    return build_extractto_assets([spec], output_dir=str(tmp_path))


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """A persistent instance: the sensor reads our materializations through its ref."""
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def tick(
    spec: ExtractToExtractSpec,
    assets: list[dg.AssetsDefinition],
    instance: dg.DagsterInstance,
    fast_resource: ExtractToResource,
) -> Tick:
    """The extracts sensor evaluated as the daemon does."""
    sensor = build_extractto_sensor([spec], time_budget_seconds=10)
    return Tick(assets, sensor, instance, fast_resource)


@pytest.fixture
def our_run(
    assets: list[dg.AssetsDefinition],
    instance: dg.DagsterInstance,
    fast_resource: ExtractToResource,
) -> Callable[[date], None]:
    """Materializes one day of our asset, which syncs it."""

    def run(day: date) -> None:
        result = dg.materialize(
            assets,
            resources={"extractto": fast_resource},
            instance=instance,
            partition_key=day.isoformat(),
        )
        assert result.success

    return run


def ranges(requests: list[dg.RunRequest]) -> list[tuple[str, str]]:
    return sorted((request.tags[RANGE_START], request.tags[RANGE_END]) for request in requests)


def days(first: date, last: date | None = None) -> tuple[str, str]:
    return first.isoformat(), (last or first).isoformat()


def test_an_outside_sync_after_another_requests_only_the_days_it_wrote(
    real_world: EmulatorServer, tick: Tick, demo: dict[str, str], today: date
) -> None:
    tick()
    earlier, later = today - timedelta(days=5), today - timedelta(days=2)
    outside_sync(real_world, demo["extract_id"], earlier, earlier)
    assert ranges(tick()) == [days(earlier)]
    outside_sync(real_world, demo["extract_id"], later, later)
    assert ranges(tick()) == [days(later)]


def test_an_outside_sync_after_our_own_requests_only_the_days_it_wrote(
    real_world: EmulatorServer,
    tick: Tick,
    our_run: Callable[[date], None],
    demo: dict[str, str],
    today: date,
) -> None:
    tick()
    ours, outside = today - timedelta(days=5), today - timedelta(days=2)
    our_run(ours)
    assert tick() == []
    outside_sync(real_world, demo["extract_id"], outside, outside)
    assert ranges(tick()) == [days(outside)]


def test_an_outside_sync_no_tick_saw_before_our_own_is_requested(
    real_world: EmulatorServer,
    tick: Tick,
    our_run: Callable[[date], None],
    demo: dict[str, str],
    today: date,
) -> None:
    """As when Extract.to ran one while our run waited for it to end: our sync is the one
    the sensor sees, and the outside one's day is requested all the same, ours not."""
    tick()
    outside, ours = today - timedelta(days=5), today - timedelta(days=2)
    outside_sync(real_world, demo["extract_id"], outside, outside)
    our_run(ours)
    assert ranges(tick()) == [days(outside)]
    assert tick() == []
